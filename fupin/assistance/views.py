"""Pages of the assistance app (精准帮扶), built for a phone first: a helper's households and to-do, the
household's plan (一户一策) with its measures, recording help given and visits, and the township/county
page of overdue visits per helper.

Thin views over :mod:`.selectors` (reads, scoped) and :mod:`.services` (writes, which check who may act
again). Out of scope: 404. A refused write is shown on the page with its Chinese and English message
and the form as filled (status 422); nothing is written.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fupin.core.scoping import get_visible_or_404, region_in_scope
from fupin.policy import roles
from fupin.policy.measures import MeasureStatus, deadline_state, plan_accepts_measures
from fupin.regions.models import Region
from fupin.registry.services import RegistryError, VersionConflict
from fupin.web.forms.common import INVALID_FORM

from . import selectors, services
from .access import helper_of, may_assist
from .catalogue import effective_catalogue
from .forms import CancelForm, GivenForm, MeasureForm, PlanForm, RegionForm, StatusForm, VisitForm
from .models import PlannedMeasure


def _put_errors(form: Any, err: RegistryError, aliases: dict[str, str] | None = None) -> None:
    for key, msgs in err.field_errors.items():
        name = (aliases or {}).get(key, key)
        if name in form.fields and name not in ("version", "status"):
            for m in msgs:
                form.add_error(name, m)


def _int(value: Any) -> int | None:
    return int(value) if value not in (None, "") and str(value).isdigit() else None


# ------------------------------------------------------------------------------------------ the helper's home


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """我的帮扶户 — the helper's households (overdue visits first) and to-do; for an officer without a
    helper record, a pointer to the overdue-visit page of their region."""
    data = selectors.helper_home(request.user)
    context = {"home": data, "today": services.today(),
               "can_see_region": request.user.has_capability(roles.VIEW_REGISTRY) and roles.sees_region(
                   str(request.user.role))}
    return render(request, "assistance/home.html", context)


# ------------------------------------------------------------------------------------------ the plan page


def _measure_rows(measures: list[PlannedMeasure], catalogue: Any, today: Any, user: Any) -> list[dict[str, Any]]:
    rows = []
    for m in measures:
        rows.append({"m": m, "type": catalogue.get(m.measure_type) if m.measure_type in catalogue else None,
                     "deadline": deadline_state(m.target_date, today, m.status, catalogue.due_window_days),
                     "next": [s for s in (MeasureStatus.IN_PROGRESS, MeasureStatus.DONE, MeasureStatus.DROPPED)
                              if s in _NEXT[m.status]]})
    return rows


_NEXT = {MeasureStatus.PLANNED: {MeasureStatus.IN_PROGRESS, MeasureStatus.DROPPED},
         MeasureStatus.IN_PROGRESS: {MeasureStatus.DONE, MeasureStatus.DROPPED},
         MeasureStatus.DONE: set(), MeasureStatus.DROPPED: set()}


def _year(request: HttpRequest) -> int:
    value = _int(request.GET.get("year") or request.POST.get("plan_year"))
    return value if value and 2014 <= value <= 2100 else services.today().year


def _plan_context(request: HttpRequest, household_id: int, year: int, *, bound: dict[str, Any] | None = None,
                  error: str = "", conflict: bool = False) -> dict[str, Any]:
    user = request.user
    h = selectors.household(user, household_id)
    today = services.today()
    catalogue = effective_catalogue(h.village_code)
    qiqing = selectors.qiqing(user, h, year=year)
    plan, measures = qiqing.plan, qiqing.planned
    helpers = selectors.current_helpers(h.pk)
    can_assist = may_assist(user, h)
    bound = bound or {}
    suggestions = []
    if plan and can_assist and plan_accepts_measures(plan.status):
        suggestions = selectors.suggestions_for(h, exclude=selectors.open_measure_types(plan))
    own = helper_of(user)
    initial_helper = str(own.pk) if own and any(x.pk == own.pk for x in helpers) else ""
    return {
        "h": h, "year": year, "years": sorted({*selectors.plan_years(user, h.pk), today.year}, reverse=True),
        "plan": plan, "rows": _measure_rows(measures, catalogue, today, user), "catalogue": catalogue,
        "suggestions": suggestions, "helpers": helpers, "can_assist": can_assist,
        "can_approve": bool(plan) and selectors.can_approve(user, plan),
        "accepts": bool(plan) and plan_accepts_measures(plan.status),
        "plan_form": bound.get("plan") or PlanForm(initial={"year": year}),
        "measure_form": bound.get("measure") or MeasureForm(
            catalogue=catalogue, helpers=helpers,
            initial={"helper": initial_helper, "measure_type": request.GET.get("measure_type", "")}),
        "status_form": bound.get("status"), "status_measure": bound.get("status_measure"),
        "given": list(selectors.measures_given(user, household_id=h.pk)[:50]),
        "visits": list(selectors.visits(user, household_id=h.pk)[:20]),
        "qiqing": qiqing, "error": error, "conflict": conflict, "today": today,
        "drop_reason_required": True,
    }


@login_required
def plan_page(request: HttpRequest, household_id: int) -> HttpResponse:
    """一户一策 — the household's 七清, its plan of the year with measures (倒排工期), suggestions from its
    pathways and causes, the help given and the visits."""
    return render(request, "assistance/plan.html", _plan_context(request, household_id, _year(request)))


def _plan_url(household_id: int, year: int) -> str:
    return f"{reverse('assistance:plan', args=[household_id])}?year={year}"


@login_required
@require_POST
def plan_create(request: HttpRequest, household_id: int) -> HttpResponse:
    user = request.user
    h = selectors.household(user, household_id)
    form = PlanForm(request.POST)
    year = _year(request)
    if form.is_valid():
        year = form.cleaned_data["year"]
        try:
            services.create_plan(actor=user, household_id=h.pk, year=year, goal=form.cleaned_data["goal"])
        except RegistryError as err:
            _put_errors(form, err)
            context = _plan_context(request, h.pk, year, bound={"plan": form}, error=err.message)
            return render(request, "assistance/plan.html", context, status=422)
        messages.success(request, _("The %(year)s plan was started.") % {"year": year})
        return redirect(_plan_url(h.pk, year))
    return render(request, "assistance/plan.html",
                  _plan_context(request, h.pk, year, bound={"plan": form}, error=str(INVALID_FORM)), status=422)


@login_required
@require_POST
def plan_move(request: HttpRequest, plan_id: int, action: str) -> HttpResponse:
    """审定 (approve) or 结束 (close) a plan."""
    user = request.user
    plan = selectors.plan_detail(user, plan_id)
    verb = {"approve": services.approve_plan, "close": services.close_plan}.get(action)
    if verb is None:
        raise Http404("not found")
    try:
        verb(actor=user, plan_id=plan.pk, expected_version=_int(request.POST.get("version")))
    except RegistryError as err:
        context = _plan_context(request, plan.household_id, plan.year, error=err.message,
                                conflict=isinstance(err, VersionConflict))
        return render(request, "assistance/plan.html", context, status=409 if isinstance(err, VersionConflict) else 422)
    messages.success(request, _("The plan was approved.") if action == "approve" else _("The plan was closed."))
    return redirect(_plan_url(plan.household_id, plan.year))


@login_required
@require_POST
def measure_add(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Add a measure (from a suggestion or the catalogue) to the plan."""
    user = request.user
    plan = selectors.plan_detail(user, plan_id)
    h = plan.household
    form = MeasureForm(request.POST, catalogue=effective_catalogue(h.village_code),
                       helpers=selectors.current_helpers(h.pk))
    error = str(INVALID_FORM)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.add_measure(actor=user, plan_id=plan.pk, measure_type=d["measure_type"],
                                 target_date=d["target_date"], description=d["description"],
                                 helper_id=_int(d["helper"]), expected_income=d["expected_income"] or 0,
                                 quantity=d["quantity"], planned_amount=d["planned_amount"])
        except RegistryError as err:
            _put_errors(form, err, {"helper": "helper"})
            error = err.message
        else:
            messages.success(request, _("The measure was added to the plan."))
            return redirect(_plan_url(h.pk, plan.year))
    context = _plan_context(request, h.pk, plan.year, bound={"measure": form}, error=error)
    return render(request, "assistance/plan.html", context, status=422)


@login_required
@require_POST
def measure_status(request: HttpRequest, measure_id: int) -> HttpResponse:
    """实施中 / 已完成 / 已放弃 — move a planned measure."""
    user = request.user
    measure = selectors.measure_detail(user, measure_id)
    form = StatusForm(request.POST, prefix=f"m{measure.pk}")
    error, status = str(INVALID_FORM), 422
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.change_measure_status(actor=user, measure_id=measure.pk, status=d["status"], reason=d["reason"],
                                           on=d["on"], expected_version=d.get("version"))
        except RegistryError as err:
            _put_errors(form, err)
            error, status = err.message, 409 if isinstance(err, VersionConflict) else 422
        else:
            done = {MeasureStatus.IN_PROGRESS: _("The measure is in progress."),
                    MeasureStatus.DONE: _("The measure was marked done."),
                    MeasureStatus.DROPPED: _("The measure was dropped.")}
            messages.success(request, done.get(d["status"], _("Saved.")))
            return redirect(_plan_url(measure.household_id, measure.plan.year))
    context = _plan_context(request, measure.household_id, measure.plan.year,
                            bound={"status": form, "status_measure": measure.pk}, error=error,
                            conflict=status == 409)
    return render(request, "assistance/plan.html", context, status=status)


# ------------------------------------------------------------------------------------------ help given


@login_required
def given_new(request: HttpRequest, household_id: int) -> HttpResponse:
    """帮扶措施落实 — record help given to the household."""
    user = request.user
    h = selectors.household(user, household_id)
    if not may_assist(user, h):
        raise Http404("not found")
    catalogue = effective_catalogue(h.village_code)
    planned = list(selectors.measures(user, household_id=h.pk).exclude(status=MeasureStatus.DROPPED))
    planned_id = _int(request.GET.get("planned"))
    initial: dict[str, Any] = {}
    chosen = next((m for m in planned if m.pk == planned_id), None)
    if chosen is not None:
        initial = {"planned_measure": str(chosen.pk), "measure_type": chosen.measure_type,
                   "quantity": chosen.quantity, "amount": chosen.planned_amount}
    form = GivenForm(request.POST or None, catalogue=catalogue, planned=planned, initial=initial)
    error = ""
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.record_measure_given(
                    actor=user, household_id=h.pk, measure_type=d["measure_type"], given_on=d["given_on"],
                    amount=d["amount"], quantity=d["quantity"], unit=d["unit"] or "", term_months=d["term_months"],
                    description=d["description"], planned_measure_id=_int(d["planned_measure"]),
                    project_ref=d["project_ref"], fund_ref=d["fund_ref"], loan_ref=d["loan_ref"],
                    variant="deep_poverty" if d["deep_poverty"] else "standard")
            except RegistryError as err:
                _put_errors(form, err)
                error = err.message
            else:
                messages.success(request, _("The help given was recorded."))
                return redirect(reverse("assistance:plan", args=[h.pk]) + "#given")
        else:
            error = str(INVALID_FORM)
    return render(request, "assistance/given_form.html", {"h": h, "form": form, "error": error,
                                                          "catalogue": catalogue},
                  status=422 if error else 200)


@login_required
@require_POST
def given_cancel(request: HttpRequest, given_id: int) -> HttpResponse:
    user = request.user
    row = selectors.given_detail(user, given_id)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.cancel_measure_given(actor=user, given_id=row.pk, reason=form.cleaned_data["reason"])
        except RegistryError as err:
            messages.error(request, err.message)
        else:
            messages.success(request, _("The record was cancelled."))
    else:
        messages.error(request, _("Cancelling needs a reason."))
    return redirect(reverse("assistance:plan", args=[row.household_id]) + "#given")


# ------------------------------------------------------------------------------------------ visits


@login_required
def visit_new(request: HttpRequest, household_id: int) -> HttpResponse:
    """走访 — the field form (phone first): date, what was found, what was agreed, photos."""
    user = request.user
    h = selectors.household(user, household_id)
    if not may_assist(user, h):
        raise Http404("not found")
    helpers = selectors.current_helpers(h.pk)
    own = helper_of(user)
    choose = own is None or not any(x.pk == own.pk for x in helpers)
    form = VisitForm(request.POST or None, request.FILES or None, helpers=helpers, choose_helper=choose)
    error = ""
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.record_visit(actor=user, household_id=h.pk, visited_on=d["visited_on"], found=d["found"],
                                      agreed=d["agreed"], helper_id=_int(d.get("helper")), photos=d["photos"])
            except RegistryError as err:
                _put_errors(form, err)
                error = err.message
            else:
                messages.success(request, _("The visit was recorded."))
                if choose:  # an editor recording for a helper: back to the household
                    return redirect(reverse("assistance:plan", args=[h.pk]) + "#visits")
                return redirect("assistance:home")
        else:
            error = str(INVALID_FORM)
    if choose and not helpers:
        error = error or _("The household has no current helper: pair one first.")
    return render(request, "assistance/visit_form.html", {"h": h, "form": form, "error": error,
                                                          "helpers": helpers}, status=422 if error and
                  request.method == "POST" else 200)


@login_required
def photo(request: HttpRequest, photo_id: int) -> FileResponse:
    """A visit photo, to whoever may see the household (never public media)."""
    row = selectors.photo_detail(request.user, photo_id)
    try:
        handle = row.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("not found") from exc
    response = FileResponse(handle, content_type=row.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ------------------------------------------------------------------------------------------ overdue visits


@login_required
def overdue_page(request: HttpRequest) -> HttpResponse:
    """走访督查 — per helper in a region: households, overdue visits, worst delay (gaps first); one
    helper's overdue households below when chosen."""
    user = request.user
    if not user.has_capability(roles.VIEW_REGISTRY) or not roles.sees_region(str(user.role)) or user.region is None:
        raise Http404("not found")
    form = RegionForm(request.GET or None)
    region = user.region
    if form.is_valid() and form.cleaned_data["region"]:
        code = form.cleaned_data["region"].ljust(12, "0")
        region = get_visible_or_404(user, Region.objects.all(), code=code)
    rows = selectors.overdue_by_helper(user, region.code)
    helper_id = _int(request.GET.get("helper"))
    chosen = next((r for r in rows if r.helper.pk == helper_id), None)
    detail = selectors.overdue_households(user, helper_id, region.code) if chosen else []
    totals = {"helpers": len(rows), "households": sum(r.households for r in rows),
              "overdue": sum(r.overdue for r in rows), "helpers_overdue": sum(1 for r in rows if r.overdue)}
    children = Region.objects.filter(parent_id=region.code).order_by("code") if region.level < 5 else []
    return render(request, "assistance/overdue.html", {
        "region": region, "rows": rows, "chosen": chosen, "detail": detail, "totals": totals, "form": form,
        "children": [c for c in children if region_in_scope(user, c.code, roles.VIEW_REGISTRY)],
        "interval": effective_catalogue(region.code).visit_interval_days,
    })
