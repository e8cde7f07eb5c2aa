"""Registering a household (建档, 新增贫困户) and changing its registration data (修改登记信息).

Only users with ``registry.edit`` whose scope holds the household reach these pages; everyone else
gets 404. The services do the checking and the saving; a refused write is shown on the form and
nothing is saved.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from fupin.core.scoping import get_visible_or_404
from fupin.policy import roles
from fupin.registry import services
from fupin.registry.choices import RecordStatus
from fupin.registry.models import Household
from fupin.web.forms.common import INVALID_FORM, apply_registry_error
from fupin.web.forms.households import HouseholdEditForm, HouseholdForm
from fupin.web.forms.members import new_member_formset

ALIASES = {"category_form_version": "category", "village_code": "village"}


@login_required
def household_create(request: HttpRequest) -> HttpResponse:
    """新增贫困户 — the household, its head and further members in one form."""
    user = request.user
    if not user.has_capability(roles.EDIT_REGISTRY):
        raise Http404("not found")
    data = request.POST if request.method == "POST" else None
    form = HouseholdForm(data, user=user, initial={"village": request.GET.get("village", "")})
    formset = new_member_formset(data)
    error = ""
    if request.method == "POST":
        if form.is_valid() and formset.is_valid():
            try:
                household = services.create_household(
                    actor=user, village_code=form.cleaned_data["village"], data=form.registry_data(),
                    members=formset.registry_data(), source="web",
                )
            except services.RegistryError as err:
                apply_registry_error(err, form, formset.filled_forms(), ALIASES)
                error = err.message
            else:
                messages.success(request, _("Household %(number)s registered.") % {
                    "number": household.household_number})
                return redirect("web:household", pk=household.pk)
        else:
            error = str(INVALID_FORM)
    return render(request, "web/households/form.html",
                  {"form": form, "formset": formset, "error": error, "creating": True})


@login_required
def household_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """修改登记信息 — with the version the user opened; a stale version is refused (并发控制)."""
    user = request.user
    household = get_visible_or_404(user, Household.objects.select_related("village"), roles.EDIT_REGISTRY, pk=pk)
    if household.status != RecordStatus.ACTIVE:
        messages.warning(request, _("This household has left the registry and cannot be changed."))
        return redirect("web:household", pk=household.pk)
    error, conflict = "", False
    if request.method == "POST":
        form = HouseholdEditForm(request.POST, user=user)
        if form.is_valid():
            village = form.cleaned_data["village"]
            try:
                services.update_household(
                    actor=user, household_id=household.pk, expected_version=form.cleaned_data["version"],
                    data=form.registry_data(), source="web",
                    village_code=village if village != household.village_code else None,
                )
            except services.VersionConflict as err:
                error, conflict = err.message, True
            except services.RegistryError as err:
                apply_registry_error(err, form, (), ALIASES)
                error = err.message
            else:
                messages.success(request, _("Changes saved."))
                return redirect("web:household", pk=household.pk)
        else:
            error = str(INVALID_FORM)
    else:
        form = HouseholdEditForm(initial={**HouseholdForm.initial_for(household), "version": household.version},
                                 user=user)
    return render(request, "web/households/form.html",
                  {"form": form, "h": household, "error": error, "conflict": conflict, "creating": False})
