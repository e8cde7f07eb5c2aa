"""Members (家庭成员): add a person (新增成员), change one (修改成员), a member leaves (成员减少)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from fupin.core.scoping import get_visible_or_404
from fupin.policy import roles
from fupin.registry import services
from fupin.registry.choices import RecordStatus
from fupin.registry.models import Household, Member
from fupin.web.forms.common import INVALID_FORM, apply_registry_error
from fupin.web.forms.members import MemberEditForm, MemberForm, MemberLeaveForm


def _editable_household(user: Any, pk: int) -> Household:
    return get_visible_or_404(user, Household.objects.select_related("village"), roles.EDIT_REGISTRY, pk=pk)


def _editable_member(user: Any, pk: int) -> Member:
    return get_visible_or_404(user, Member.objects.select_related("household__village"), roles.EDIT_REGISTRY, pk=pk)


def _closed(request: HttpRequest, household: Household, member: Member | None = None) -> HttpResponse | None:
    """Left households and members are not changed; send the user back to the household."""
    if household.status != RecordStatus.ACTIVE:
        messages.warning(request, _("This household has left the registry and cannot be changed."))
    elif member is not None and member.status != RecordStatus.ACTIVE:
        messages.warning(request, _("This member has left the household and cannot be changed."))
    else:
        return None
    return redirect("web:household", pk=household.pk)


@login_required
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    """新增成员 — a birth, a marriage into the household …"""
    household = _editable_household(request.user, pk)
    if (closed := _closed(request, household)) is not None:
        return closed
    form = MemberForm(request.POST if request.method == "POST" else None)
    error = ""
    if request.method == "POST":
        if form.is_valid():
            try:
                member = services.add_member(actor=request.user, household_id=household.pk,
                                             data=form.registry_data(), source="web")
            except services.RegistryError as err:
                apply_registry_error(err, form)
                error = err.message
            else:
                messages.success(request, _("%(name)s added to the household.") % {"name": member.name})
                return redirect("web:household", pk=household.pk)
        else:
            error = str(INVALID_FORM)
    return render(request, "web/members/form.html", {"form": form, "h": household, "error": error})


@login_required
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """修改成员 — with the version the user opened (并发控制)."""
    member = _editable_member(request.user, pk)
    household = member.household
    if (closed := _closed(request, household, member)) is not None:
        return closed
    error, conflict = "", False
    if request.method == "POST":
        form = MemberEditForm(request.POST)
        if form.is_valid():
            try:
                services.update_member(actor=request.user, member_id=member.pk,
                                       expected_version=form.cleaned_data["version"],
                                       data=form.registry_data(), source="web")
            except services.VersionConflict as err:
                error, conflict = err.message, True
            except services.RegistryError as err:
                apply_registry_error(err, form)
                error = err.message
            else:
                messages.success(request, _("Changes saved."))
                return redirect("web:household", pk=household.pk)
        else:
            error = str(INVALID_FORM)
    else:
        form = MemberEditForm(initial={**MemberForm.initial_for(member), "version": member.version})
    return render(request, "web/members/form.html",
                  {"form": form, "h": household, "member": member, "error": error, "conflict": conflict})


@login_required
def member_leave(request: HttpRequest, pk: int) -> HttpResponse:
    """成员减少 — the member leaves with a reason; the record stays (nothing is deleted)."""
    member = _editable_member(request.user, pk)
    household = member.household
    if (closed := _closed(request, household, member)) is not None:
        return closed
    form = MemberLeaveForm(request.POST if request.method == "POST" else None)
    error = ""
    if request.method == "POST":
        if form.is_valid():
            try:
                services.member_leaves(actor=request.user, member_id=member.pk, reason=form.cleaned_data["reason"],
                                       comment=form.cleaned_data["comment"], source="web")
            except services.RegistryError as err:
                apply_registry_error(err, form)
                error = err.message
            else:
                messages.success(request, _("%(name)s has left the household.") % {"name": member.name})
                return redirect("web:household", pk=household.pk)
        else:
            error = str(INVALID_FORM)
    return render(request, "web/members/leave.html", {"form": form, "h": household, "member": member,
                                                      "error": error})
