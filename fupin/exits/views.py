"""Pages of the household exit (精准退出): the case list, a case, a village (proposals and batches), a
village's batch at one step, and the candidate lists.

Thin views over :mod:`.selectors` (reads, scoped) and :mod:`.services` (writes, which check the scope
and the procedure again). Out of scope: 404. A refused action is shown on the page with its Chinese and
English message and the form as the user filled it (status 422); nothing is written.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fupin.core.scoping import get_visible_or_404, region_in_scope
from fupin.policy import roles
from fupin.policy.exit_procedure import CONSENT_STEP, evidence_labels, load_exit_procedure
from fupin.policy.procedure import ActionKind
from fupin.policy.regions import LEVEL_VILLAGE, RegionCodeError, normalize_code
from fupin.regions.models import Region
from fupin.registry.services import RegistryError
from fupin.web import procedure as procedure_views
from fupin.web.forms.common import INVALID_FORM
from fupin.web.procedure import ActionForms
from fupin.web.procedure_pages import CasePages, batch_rows, breadcrumbs, label, village_batches

from . import selectors, services
from .choices import ExitStatus
from .evaluation import SettingError, procedure_for, rules_for
from .forms import (
    CaseFilterForm,
    ObjectionForm,
    ProposalForm,
    ReasonForm,
    ResolveForm,
    StepForm,
    YearRegionForm,
)
from .models import ExitCase
from .templatetags.exits_tags import exit_action

PAGE_SIZE = 50
LIST_ROWS = 500


def _year(value: Any) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        return services.today().year
    return year if 2013 <= year <= 2100 else services.today().year


# ------------------------------------------------------------------------------------------ the list


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    """精准退出 — the exit cases in the user's scope, filtered; the villages' lists by step."""
    user = request.user
    form = CaseFilterForm(request.GET or None, procedure=load_exit_procedure())
    filters = selectors.CaseFilters()
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        filters = selectors.CaseFilters(region=d["region"], step=d["step"], q=d["q"], year=d["year"],
                                        status=d["status"] or ExitStatus.IN_PROGRESS)
    qs = selectors.cases(user, filters)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    open_cases = selectors.cases(user, selectors.CaseFilters(region=filters.region, year=filters.year))
    batches = village_batches(open_cases, {s.id: s for s in load_exit_procedure().steps})
    return render(request, "exits/list.html", {
        "form": form, "page": page, "batches": batches, "count": qs.count(),
        "can_propose": user.has_capability(roles.PERFORM_EXIT),
        "my_region": user.region_id or "", "year": filters.year or services.today().year,
    })


# ------------------------------------------------------------------------------------------ one case


def _evidence_labels(case: ExitCase) -> dict[str, str]:
    """The evidence labels of the case's procedure and criteria in the active language."""
    labels = evidence_labels(case.get_procedure(), case.get_rules().evidence_criteria)
    lang = 1 if procedure_views.en() else 0
    return {k: v[lang] for k, v in labels.items()}


def _step_form(case: ExitCase, data: Any = None) -> StepForm:
    return StepForm(data, procedure=case.get_procedure(), step_id=case.step,
                    criteria=case.get_rules().evidence_criteria, initial={"version": case.version})


def _ended(action: str, case: ExitCase) -> str:
    if action == ActionKind.WITHDRAW:
        return _("The exit proposal was withdrawn.")
    return (_("The household does not agree: the exit stops here.") if case.step == CONSENT_STEP
            else _("The exit did not pass."))


PAGES = CasePages(
    selectors=selectors, services=services, forms=ActionForms(reason=ReasonForm, objection=ObjectionForm,
                                                              resolve=ResolveForm),
    template="exits/case.html", case_url="exits:case", step_form=_step_form, evidence_labels=_evidence_labels,
    action_label=exit_action, ended=_ended, extra=lambda case: {"rules": case.get_rules(), "is_consent": case.step == CONSENT_STEP},
)


@login_required
def case_page(request: HttpRequest, pk: int) -> HttpResponse:
    """一户的退出 — timeline, current step and its form, objections, the exit decision, the event log."""
    return PAGES.show(request, pk)


@login_required
@require_POST
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """办理 — complete the current step, reject (or: the household does not agree), withdraw, record or
    resolve an objection."""
    return PAGES.act(request, pk, action)


# ------------------------------------------------------------------------------------------ a village


def _village(user: Any, code: str) -> Region:
    try:
        full = normalize_code(code)
    except RegionCodeError as exc:
        raise Http404("not a region code") from exc
    return get_visible_or_404(user, Region.objects.filter(level=LEVEL_VILLAGE), code=full)


@login_required
def village_page(request: HttpRequest, village_code: str) -> HttpResponse:
    """一个村的退出 — the village's poor households judged for the exit year (those that meet the criteria
    first, checked), proposed with one button; the village's open cases by step, with their batch pages."""
    user = request.user
    village = _village(user, village_code)
    source = request.POST if request.method == "POST" else request.GET
    year = _year(source.get("year"))
    on = services.today()
    can_propose = region_in_scope(user, village.code, roles.PERFORM_EXIT)
    error, status, blocking = "", 200, []
    try:
        procedure = procedure_for(village.code, on)
        rules = rules_for(village.code, on)
        rows = selectors.village_overview(user, village, year=year, on=on)
    except SettingError as err:
        return render(request, "exits/village.html", {"village": village, "year": year, "error": err.message,
                                                       "breadcrumbs": breadcrumbs(user, village)}, status=422)
    ids = rows["household_id"].to_list()
    form = None
    if request.method == "POST":
        if not can_propose:
            raise Http404("not found")
        form = ProposalForm(request.POST, household_ids=ids)
        if form.is_valid():
            d = form.cleaned_data
            try:
                moved = services.propose_village(actor=user, village_code=village.code, household_ids=d["households"],
                                                 on=d["on"], year=d["year"], comment=d["comment"])
            except RegistryError as err:
                error, status = err.message, 422
                blocking = err.field_errors.get("households", [])
                procedure_views.put_errors(form, err)
            else:
                messages.success(request, _("%(n)s households proposed for exit in %(year)s.") % {
                    "n": len(moved), "year": d["year"]})
                return redirect(f"{reverse('exits:village', args=[village.code])}?year={d['year']}")
        else:
            error, status = str(INVALID_FORM), 422
    elif can_propose:
        meets = [r["household_id"] for r in rows.iter_rows(named=True) if r["meets"]]
        form = ProposalForm(household_ids=ids, initial={"households": meets, "year": year})
    open_cases = selectors.cases(user, selectors.CaseFilters(region=village.code))
    by_step = dict(open_cases.order_by().values_list("step").annotate(n=Count("id")).values_list("step", "n"))
    checked = {int(i) for i in (form["households"].value() or [])} if form is not None else set()
    table = [{**r, "reasons": [label(rules.reason(x)) for x in r["failed"]], "checked": r["household_id"] in checked}
             for r in rows.iter_rows(named=True)]
    steps = [{"step": s, "count": by_step.get(s.id, 0)} for s in procedure.steps[1:]]
    return render(request, "exits/village.html", {
        "village": village, "year": year, "rows": table, "form": form, "can_propose": can_propose,
        "steps": steps, "error": error, "blocking": blocking, "rules": rules,
        "breadcrumbs": breadcrumbs(user, village),
    }, status=status)


@login_required
def village_batch(request: HttpRequest, village_code: str, step: str) -> HttpResponse:
    """整村办理 — every open exit case of a village at one step, moved through it with one button."""
    user = request.user
    village = _village(user, village_code)
    cases = list(selectors.village_batch(user, village.code, step))
    procedure = cases[0].get_procedure() if cases else procedure_for(village.code, services.today())
    if not procedure.has_step(step):
        raise Http404("no such step")
    procedure_step = procedure.step(step)
    criteria = cases[0].get_rules().evidence_criteria if cases else ()
    batchable = step != CONSENT_STEP
    can_act = bool(cases) and batchable and region_in_scope(user, village.code, roles.PERFORM_EXIT) and (
        str(user.role) in procedure_step.roles)
    form = None
    error, status, blocking = "", 200, []
    if request.method == "POST":
        if not region_in_scope(user, village.code, roles.PERFORM_EXIT):
            raise Http404("not found")
        form = StepForm(request.POST, procedure=procedure, step_id=step, criteria=criteria)
        if not cases:
            error, status = _("No exit case of this village is at this step."), 422
        elif form.is_valid():
            try:
                moved = services.advance_village(actor=user, village_code=village.code, step=step,
                                                 evidence=form.evidence(), comment=form.cleaned_data["comment"],
                                                 on=form.cleaned_data["on"])
            except RegistryError as err:
                error, status = err.message, 422
                blocking = err.field_errors.get("households", [])
                procedure_views.put_errors(form, err)
            else:
                messages.success(request, _("%(n)s households completed %(step)s.") % {
                    "n": len(moved), "step": label(procedure_step)})
                return redirect("exits:village", village_code=village.code)
        else:
            error, status = str(INVALID_FORM), 422
    elif can_act:
        form = StepForm(procedure=procedure, step_id=step, criteria=criteria)
    return render(request, "exits/batch.html", {
        "village": village, "step_id": step, "step": procedure_step, "rows": batch_rows(cases), "form": form, "error": error,
        "can_act": can_act, "batchable": batchable, "blocking": blocking,
        "breadcrumbs": breadcrumbs(user, village),
    }, status=status)


# ------------------------------------------------------------------------------------------ lists


@login_required
def lists_page(request: HttpRequest) -> HttpResponse:
    """退出名单 — in a region and year: households that meet the criteria but are not proposed, and
    proposed households that fail (with the reasons)."""
    user = request.user
    form = YearRegionForm(request.GET or None)
    region_code = str(user.region_id or "")
    year = services.today().year
    if form.is_bound and form.is_valid():
        region_code = form.cleaned_data["region"] or region_code
        year = form.cleaned_data["year"] or year
    if not region_code:
        raise Http404("no region")
    try:
        lists = selectors.candidate_lists(user, region_code, year=year, on=services.today())
    except RegionCodeError as exc:
        raise Http404("not a region code") from exc
    except SettingError as err:
        return render(request, "exits/lists.html", {"form": form, "error": err.message, "year": year}, status=422)
    lang = "en" if procedure_views.en() else "zh"

    steps = {s.id: label(s) for s in load_exit_procedure().steps}

    def table(frame: Any) -> list[dict[str, Any]]:
        return [{**r, "reasons": lists.reason_labels(r["failed"], lang=lang),
                 "step_label": steps.get(r.get("step") or "", r.get("step") or "")}
                for r in lists.named(frame, LIST_ROWS).iter_rows(named=True)]

    return render(request, "exits/lists.html", {
        "form": form, "lists": lists, "region": lists.region, "year": year,
        "candidates": table(lists.candidates), "failing": table(lists.failing),
        "candidate_count": lists.candidates.height, "failing_count": lists.failing.height,
        "proposed_count": lists.proposed.height, "limit": LIST_ROWS,
        "breadcrumbs": breadcrumbs(user, lists.region), "rules": lists.rules(),
    })
