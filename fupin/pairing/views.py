"""Pages of the pairing app (结对帮扶、驻村工作队), under /pairing/.

Thin views over :mod:`fupin.pairing.selectors`, :mod:`fupin.pairing.coverage` (reads, scoped) and
:mod:`fupin.pairing.services` (writes, which check scope and limits again). A user without
``pairing.view`` gets 404 for the officer pages; a user linked to a helper has "my households"
(``/pairing/mine/``); out of scope, or a write without its capability: 404.

Decisions: the coverage page is the start page of the app (gaps first: township table, then the villages
with a gap, the households without a helper, the helpers over their limit); a helper login going to
``/pairing/`` lands on their households. Pairing and transfers are done from the household's pairing
page, where a search finds helpers with their load; a refused write is shown on the same page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from fupin.accounts.models import User
from fupin.core import bilingual
from fupin.core.scoping import get_visible_or_404, region_in_scope, visible_to
from fupin.policy import roles
from fupin.policy.pairing_rules import attendance_short, funds_short
from fupin.registry.models import Household
from fupin.registry.services import RegistryError

from . import selectors, services
from .choices import EndReason
from .coverage import coverage
from .forms import (
    AttendanceForm,
    CoverageForm,
    EndForm,
    FundForm,
    HelperFilterForm,
    HelperForm,
    LeaveForm,
    MemberForm,
    PairByNumberForm,
    PairForm,
    PlaceForm,
    TeamForm,
)
from .limits import effective_limits, limits_for_regions
from .models import TeamMember

PAGE_SIZE = 50
HELPER_SEARCH_LIMIT = 30
PLACE_LABELS = {k: v.label for k, v in services.PLACE_KINDS.items()}


def _require(user: Any, capability: str = roles.VIEW_PAIRING) -> None:
    if not user.has_capability(capability):
        raise Http404


def _form_error(form: Any, exc: RegistryError) -> None:
    """Show a refused write on the form: per field where the form has it, else at the top."""
    placed = False
    for name, errors in exc.field_errors.items():
        if name in form.fields:
            for e in errors:
                form.add_error(name, e)
            placed = True
    if not placed:
        form.add_error(None, exc.message if not exc.field_errors else
                       "; ".join(e for errs in exc.field_errors.values() for e in errs))


# --- coverage (覆盖情况) --------------------------------------------------------------------------------

@login_required
def coverage_page(request: HttpRequest) -> HttpResponse:
    """覆盖情况 — coverage and workload of a region, gaps first."""
    user = request.user
    if not user.has_capability(roles.VIEW_PAIRING):
        if selectors.helper_for_user(user) is not None:
            return redirect("pairing:mine")
        raise Http404
    form = CoverageForm(request.GET or None, user=user)
    region, on = "", None
    if form.is_bound and form.is_valid():
        region, on = form.cleaned_data["region"] or "", form.cleaned_data["on"]
    report = coverage(user, region, on)
    context = {"form": form, "report": report, "gap_villages": [v for v in report.villages if v.has_gap],
               "ok_villages": [v for v in report.villages if not v.has_gap],
               "limits": effective_limits(report.region.code, report.on),
               "can_manage": user.has_capability(roles.MANAGE_PAIRING)}
    return render(request, "pairing/coverage.html", context)


# --- my households (我的结对户) ---------------------------------------------------------------------------

@login_required
def my_households(request: HttpRequest) -> HttpResponse:
    """我的结对户 — the households currently paired to the signed-in helper."""
    helper = selectors.helper_for_user(request.user)
    if helper is None:
        raise Http404
    households = list(selectors.my_households(request.user).order_by("village_code", "household_number"))
    limit = effective_limits(helper.region_code).household_limit(helper.unit_level)
    return render(request, "pairing/mine.html", {"helper": helper, "households": households, "limit": limit})


# --- helpers (帮扶责任人) ---------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def helper_list(request: HttpRequest) -> HttpResponse:
    """帮扶责任人 — search, filter; a new helper (乡镇/县 officers)."""
    user = request.user
    _require(user)
    can_manage = user.has_capability(roles.MANAGE_PAIRING)
    new_form = HelperForm(request.POST or None, user=user) if can_manage else None
    if request.method == "POST":
        _require(user, roles.MANAGE_PAIRING)
        if new_form is not None and new_form.is_valid():
            helper = _save_helper(request, new_form, None)
            if helper is not None:
                messages.success(request, f"已登记帮扶责任人「{helper.name}」 / helper registered")
                return redirect("pairing:helper", pk=helper.pk)
    # its own ids: the register form below has a 单位层级 too (one id_unit_level would label the wrong select)
    filters = HelperFilterForm(request.GET, auto_id="filter_%s")
    f = filters.cleaned_data if filters.is_valid() else {}
    qs = selectors.helpers(user, selectors.HelperFilters(q=f.get("q", ""), unit_level=f.get("unit_level", ""),
                                                          active=f.get("active") or "1"))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    by_region = limits_for_regions({h.region_code for h in page.object_list})
    for h in page.object_list:
        h.limit = by_region[h.region_code].household_limit(h.unit_level)
    return render(request, "pairing/helpers.html", {"filters": filters, "page": page, "form": new_form,
                                                    "can_manage": can_manage})


def _save_helper(request: HttpRequest, form: HelperForm, helper: Any) -> Any:
    c = form.cleaned_data
    data: dict[str, Any] = {k: c[k] for k in ("name", "unit", "unit_level", "phone", "region_code")}
    username = c.get("username", "").strip()
    if username:
        login = User.objects.filter(username=username).first()
        if login is None:
            form.add_error("username", "无此账号 / no such login")
            return None
        data["user"] = login.pk
    else:
        data["user"] = None
    try:
        if helper is None:
            return services.create_helper(actor=request.user, data=data)
        return services.update_helper(actor=request.user, helper_id=helper.pk,
                                      expected_version=int(request.POST.get("version") or helper.version), data=data)
    except RegistryError as exc:
        _form_error(form, _renamed(exc))
        return None


def _renamed(exc: RegistryError) -> RegistryError:
    """The service says ``user``, the form ``username``."""
    return RegistryError(exc.message, {("username" if k == "user" else k): v for k, v in exc.field_errors.items()})


@login_required
@require_http_methods(["GET", "POST"])
def helper_page(request: HttpRequest, pk: int) -> HttpResponse:
    """帮扶责任人详情 — details, current households and history; pair a household by its number."""
    user = request.user
    helper = selectors.helper_detail(user, pk)
    if not user.has_capability(roles.VIEW_PAIRING) and selectors.helper_for_user(user) != helper:
        raise Http404
    can_manage = region_in_scope(user, helper.region_code, roles.MANAGE_PAIRING) or \
        user.has_capability(roles.MANAGE_PAIRING)
    pair_form = PairByNumberForm(request.POST or None) if can_manage else None
    if request.method == "POST":
        _require(user, roles.MANAGE_PAIRING)
        if pair_form is not None and pair_form.is_valid():
            number = pair_form.cleaned_data["household_number"].strip()
            household = visible_to(user, Household.objects.filter(household_number=number),
                                   roles.MANAGE_PAIRING).first()
            if household is None:
                pair_form.add_error("household_number", "户编号不存在或不在您的范围内 / no such household in your region")
            else:
                try:
                    services.pair_household(actor=user, helper_id=helper.pk, household_id=household.pk,
                                            started_on=pair_form.cleaned_data["started_on"])
                except RegistryError as exc:
                    _form_error(pair_form, _as_form_fields(exc, {"household": "household_number",
                                                                 "helper": "household_number"}))
                else:
                    messages.success(request, f"已结对:{household.household_number} / paired")
                    return redirect("pairing:helper", pk=helper.pk)
    pairings = list(selectors.helper_pairings(user, helper))
    limit = effective_limits(helper.region_code).household_limit(helper.unit_level)
    context = {
        "helper": helper, "limit": limit, "pair_form": pair_form, "can_manage": can_manage,
        "current": [p for p in pairings if p.ended_on is None], "past": [p for p in pairings if p.ended_on],
        "edit_form": HelperForm(initial={"name": helper.name, "unit": helper.unit, "unit_level": helper.unit_level,
                                         "phone": helper.phone, "region_code": helper.region_code,
                                         "username": helper.user.username if helper.user else ""}, user=user)
        if can_manage else None,
        "teams": list(helper.team_memberships.select_related("team__village").order_by("-joined_on")[:10]),
        "show_nav": user.has_capability(roles.VIEW_PAIRING),
    }
    return render(request, "pairing/helper.html", context)


def _as_form_fields(exc: RegistryError, names: dict[str, str]) -> RegistryError:
    return RegistryError(exc.message, {names.get(k, k): v for k, v in exc.field_errors.items()})


@login_required
@require_POST
def helper_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    _require(user, roles.MANAGE_PAIRING)
    helper = selectors.helper_detail(user, pk)
    form = HelperForm(request.POST, user=user)
    if form.is_valid() and _save_helper(request, form, helper) is not None:
        messages.success(request, "已保存 / saved")
    else:
        errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
        messages.error(request, f"未保存 / not saved: {errors}")
    return redirect("pairing:helper", pk=pk)


@login_required
@require_POST
def helper_leave(request: HttpRequest, pk: int) -> HttpResponse:
    """帮扶人调离 — every current pairing ends; the households show as gaps until paired again."""
    user = request.user
    _require(user, roles.MANAGE_PAIRING)
    helper = selectors.helper_detail(user, pk)
    form = LeaveForm(request.POST)
    if form.is_valid():
        try:
            services.helper_leaves(actor=user, helper_id=helper.pk, on=form.cleaned_data["left_on"],
                                   comment=form.cleaned_data["comment"])
        except RegistryError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"「{helper.name}」已调离 / the helper has left")
    return redirect("pairing:helper", pk=pk)


# --- a household's pairings (结对情况) ------------------------------------------------------------------

def _helper_search(user: Any, household: Household, term: str) -> list[Any]:
    """Helpers the user may pair (search by name or unit), with their load and limit."""
    near = [household.village_code, household.township_code]  # the household's own village and township first
    qs = (selectors.helpers(user, selectors.HelperFilters(q=term, active="1"))
          .annotate(near=Case(When(region_code__in=near, then=Value(0)), default=Value(1)))
          .order_by("near", "current_households", "name", "pk"))
    found = list(qs[:HELPER_SEARCH_LIMIT])
    by_region = limits_for_regions({h.region_code for h in found})
    for h in found:
        h.limit = by_region[h.region_code].household_limit(h.unit_level)
        h.full = h.current_households >= h.limit
    return found


@login_required
@require_http_methods(["GET", "POST"])
def household_page(request: HttpRequest, pk: int) -> HttpResponse:
    """结对情况 — a household's helpers now and before (the history across transfers); pair or transfer."""
    user = request.user
    household = get_visible_or_404(user, Household.objects.select_related("village"), pk=pk)
    can_manage = region_in_scope(user, household.village_code, roles.MANAGE_PAIRING)
    history = list(selectors.household_pairings(user, household.pk))
    current = [p for p in history if p.ended_on is None]
    form = PairForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            raise Http404
        if form.is_valid():
            c = form.cleaned_data
            transfer_from = request.POST.get("transfer_from")
            try:
                if transfer_from:
                    services.transfer_household(actor=user, pairing_id=int(transfer_from), to_helper_id=c["helper"],
                                                on=c["on"], comment=c["comment"])
                else:
                    services.pair_household(actor=user, helper_id=c["helper"], household_id=household.pk,
                                            started_on=c["on"], comment=c["comment"])
            except RegistryError as exc:
                form.add_error(None, "; ".join(e for errs in exc.field_errors.values() for e in errs) or exc.message)
            else:
                messages.success(request, "已保存 / saved")
                return redirect("pairing:household", pk=household.pk)
    term = request.GET.get("q", "").strip()
    context = {
        "h": household, "history": history, "current": current, "can_manage": can_manage, "form": form,
        "end_form": EndForm(), "q": term,
        "found": _helper_search(user, household, term) if can_manage and (term or request.GET.get("search")) else None,
        "limits": effective_limits(household.village_code), "show_nav": user.has_capability(roles.VIEW_PAIRING),
    }
    return render(request, "pairing/household.html", context)


@login_required
@require_POST
def pairing_end(request: HttpRequest, pk: int) -> HttpResponse:
    """结束结对 (脱贫销号, 户注销 …)."""
    user = request.user
    pairing = selectors.pairing_detail(user, pk)
    form = EndForm(request.POST)
    if form.is_valid():
        c = form.cleaned_data
        try:
            services.end_household_pairing(actor=user, pairing_id=pairing.pk, reason=c["reason"],
                                           ended_on=c["ended_on"], comment=c["comment"])
        except RegistryError as exc:
            messages.error(request, "; ".join(e for errs in exc.field_errors.values() for e in errs) or exc.message)
        else:
            reason = bilingual.split(EndReason(c["reason"]).label) or (EndReason(c["reason"]).label,) * 2
            messages.success(request, f"结对已结束({reason[0]}) / the pairing ended ({reason[1]})")
    else:
        messages.error(request, "请填写结束原因和日期 / give the reason and the date")
    back = request.POST.get("next") or reverse("pairing:household", args=[pairing.household_id])
    return redirect(back if back.startswith("/pairing/") else reverse("pairing:household", args=[pairing.household_id]))


# --- work teams (驻村工作队) ----------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def team_list(request: HttpRequest) -> HttpResponse:
    """驻村工作队 — current teams of the user's region (poor villages without one are on the coverage page)."""
    user = request.user
    _require(user)
    can_manage = user.has_capability(roles.MANAGE_PAIRING)
    form = TeamForm(request.POST or None, user=user) if can_manage else None
    if request.method == "POST":
        _require(user, roles.MANAGE_PAIRING)
        if form is not None and form.is_valid():
            c = form.cleaned_data
            try:
                team = services.create_team(actor=user, village_code=c["village"], sending_unit=c["sending_unit"],
                                            unit_level=c["unit_level"], name=c["name"], started_on=c["started_on"])
            except RegistryError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, "已组建工作队 / team created")
                return redirect("pairing:team", pk=team.pk)
    show = request.GET.get("show", "current")
    qs = selectors.teams(user, current_only=show != "all").order_by("village_id", "-started_on")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "pairing/teams.html", {"page": page, "form": form, "show": show})


@login_required
@require_http_methods(["GET", "POST"])
def team_page(request: HttpRequest, pk: int) -> HttpResponse:
    """工作队 — members (第一书记 first), attendance by month, add a member, record attendance."""
    user = request.user
    team = selectors.team_detail(user, pk)
    can_manage = region_in_scope(user, team.village_id, roles.MANAGE_PAIRING)
    can_record = region_in_scope(user, team.village_id, roles.RECORD_ATTENDANCE)
    members = selectors.team_members(team)
    member_form = MemberForm(request.POST if request.POST.get("action") == "member" else None)
    attendance_form = AttendanceForm(request.POST if request.POST.get("action") == "attendance" else None,
                                     members=members)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "member" and can_manage and member_form.is_valid():
            c = member_form.cleaned_data
            try:
                services.add_team_member(actor=user, team_id=team.pk, helper_id=c["helper"], name=c["name"],
                                         unit=c["unit"], phone=c["phone"],
                                         is_first_secretary=c["is_first_secretary"], is_leader=c["is_leader"],
                                         joined_on=c["joined_on"])
            except RegistryError as exc:
                _form_error(member_form, exc)
            else:
                messages.success(request, "已添加队员 / member added")
                return redirect("pairing:team", pk=team.pk)
        elif action == "attendance" and can_record and attendance_form.is_valid():
            c = attendance_form.cleaned_data
            try:
                services.record_attendance(actor=user, member_id=c["member"], month=c["month"],
                                           days_present=c["days_present"], comment=c["comment"])
            except RegistryError as exc:
                _form_error(attendance_form, exc)
            else:
                messages.success(request, "已登记考勤 / attendance recorded")
                return redirect("pairing:team", pk=team.pk)
        elif action == "end" and can_manage:
            leave = LeaveForm(request.POST)
            if leave.is_valid():
                try:
                    services.end_team(actor=user, team_id=team.pk, ended_on=leave.cleaned_data["left_on"],
                                      comment=leave.cleaned_data["comment"])
                except RegistryError as exc:
                    messages.error(request, exc.message)
                else:
                    messages.success(request, "工作队已撤离 / the team has left")
            return redirect("pairing:team", pk=team.pk)
        elif action not in ("member", "attendance"):
            raise Http404
        elif not (can_manage if action == "member" else can_record):
            raise Http404
    limits = effective_limits(team.village_id)
    months = sorted({r.month for m in members for r in m.months}, reverse=True)[:6]
    grid = [(m, [next((r for r in m.months if r.month == month), None) for month in months]) for m in members]
    context = {
        "team": team, "members": members, "grid": grid, "months": months, "limits": limits,
        "short": {r.pk for m in members for r in m.months if attendance_short(limits, r.days_present)},
        "can_manage": can_manage, "can_record": can_record, "member_form": member_form,
        "attendance_form": attendance_form, "leave_form": LeaveForm(auto_id="leave_%s"),
        "has_first_secretary": any(m.is_first_secretary and m.left_on is None for m in members),
    }
    return render(request, "pairing/team.html", context)


@login_required
@require_POST
def member_leave(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    member = TeamMember.objects.filter(pk=pk).select_related("team").first()
    if member is None:
        raise Http404
    team = selectors.team_detail(user, member.team_id)
    form = LeaveForm(request.POST)
    if form.is_valid():
        try:
            services.team_member_leaves(actor=user, member_id=member.pk, left_on=form.cleaned_data["left_on"],
                                        comment=form.cleaned_data["comment"])
        except RegistryError as exc:
            messages.error(request, "; ".join(e for errs in exc.field_errors.values() for e in errs) or exc.message)
        else:
            messages.success(request, f"「{member.name}」已离岗 / the member has left")
    return redirect("pairing:team", pk=team.pk)


# --- place pairings (包村, 包乡镇, 百企联百村, 强村带弱村, 县际结对) ---------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def place_list(request: HttpRequest, kind: str = "unit_village") -> HttpResponse:
    user = request.user
    _require(user)
    if kind not in services.PLACE_KINDS:
        raise Http404
    can_manage = user.has_capability(roles.MANAGE_PAIRING)
    form = PlaceForm(request.POST if request.POST.get("action") == "start" else None, kind=kind) \
        if can_manage else None
    if request.method == "POST":
        _require(user, roles.MANAGE_PAIRING)
        action = request.POST.get("action")
        try:
            if action == "start" and form is not None and form.is_valid():
                data = {k: v for k, v in form.cleaned_data.items() if k != "started_on" and v not in (None, "")}
                services.start_place_pairing(actor=user, kind=kind, data=data,
                                             started_on=form.cleaned_data["started_on"])
                messages.success(request, "已保存 / saved")
                return redirect("pairing:places_kind", kind=kind)
            if action == "end":
                end = EndForm(request.POST)
                if end.is_valid():
                    services.end_place_pairing(actor=user, kind=kind, pairing_id=int(request.POST["pairing"]),
                                               reason=end.cleaned_data["reason"], ended_on=end.cleaned_data["ended_on"],
                                               comment=end.cleaned_data["comment"])
                    messages.success(request, "已结束 / ended")
                return redirect("pairing:places_kind", kind=kind)
            if action == "funds" and kind == "county":
                funds = FundForm(request.POST)
                if funds.is_valid():
                    c = funds.cleaned_data
                    services.set_county_funds(actor=user, pairing_id=int(request.POST["pairing"]), year=c["year"],
                                              committed=c["committed"], delivered=c["delivered"] or 0)
                    messages.success(request, "已保存 / saved")
                else:
                    messages.error(request, "资金数据有误 / invalid amounts")
                return redirect("pairing:places_kind", kind=kind)
        except RegistryError as exc:
            if form is not None and action == "start":
                _form_error(form, exc)
            else:
                messages.error(request, "; ".join(e for errs in exc.field_errors.values() for e in errs)
                               or exc.message)
                return redirect("pairing:places_kind", kind=kind)
    show = request.GET.get("show", "current")
    qs = selectors.place_pairings(user, kind, current_only=show != "all").order_by("ended_on", "-started_on", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    limits = effective_limits(user.region.code) if user.region else None
    if kind == "county" and limits is not None:
        for p in page.object_list:
            p.fund_rows = [(f, funds_short(limits, f.committed))
                           for f in p.funds.all()]
    context = {"kind": kind, "kinds": PLACE_LABELS, "label": PLACE_LABELS[kind], "page": page, "form": form,
               "show": show, "end_form": EndForm(), "fund_form": FundForm(), "can_manage": can_manage,
               "limits": limits}
    return render(request, "pairing/places.html", context)

