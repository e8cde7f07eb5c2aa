"""Pages of village exit (贫困村出列) and county exit (贫困县摘帽): an area's villages with incidence and
conditions, county readiness, a village's conditions and exit case.

Thin views over :mod:`.selectors` (scoped reads) and :mod:`.services` (writes, which check scope and the
procedure again). Out of scope: 404. A refused action is shown as a message; nothing is written.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from fupin.core.scoping import region_in_scope
from fupin.policy import clock, roles
from fupin.policy.area_exit import CONDITIONS, DENOMINATORS, STATUS_LABELS
from fupin.policy.procedure import ActionKind, earliest_end
from fupin.policy.regions import LEVEL_COUNTY, LEVEL_VILLAGE
from fupin.registry.services import RegistryError

from . import selectors, services


def _en() -> bool:
    from fupin.web.templatetags.fupin_tags import current_lang

    return current_lang().startswith("en")


def _pick(pair: tuple[str, str]) -> str:
    return pair[1] if _en() else pair[0]


def _year(request: HttpRequest) -> int:
    try:
        return int(request.GET.get("year") or clock.today().year)
    except ValueError as exc:
        raise Http404("year") from exc


def _require_view(user: Any) -> None:
    if not user.has_capability(roles.VIEW_REGION_EXIT):
        raise Http404("不存在或无权查看 / not found")


class ConditionsForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2013)
    road = forms.BooleanField(label=CONDITIONS["road"][0] + " " + CONDITIONS["road"][1], required=False)
    water = forms.BooleanField(label=CONDITIONS["water"][0] + " " + CONDITIONS["water"][1], required=False)
    power = forms.BooleanField(label=CONDITIONS["power"][0] + " " + CONDITIONS["power"][1], required=False)
    clinic = forms.BooleanField(label=CONDITIONS["clinic"][0] + " " + CONDITIONS["clinic"][1], required=False)
    broadband = forms.BooleanField(label=CONDITIONS["broadband"][0] + " " + CONDITIONS["broadband"][1],
                                   required=False)
    collective_income = forms.DecimalField(label=_("Collective income (yuan)"), required=False, min_value=0,
                                           max_digits=14, decimal_places=2)
    evidence = forms.CharField(label=_("Evidence"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ActionForm(forms.Form):
    on = forms.DateField(label=_("Date of the action"),
                         widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    reviewer = forms.CharField(label=_("Reviewed by"), required=False)
    opinion = forms.CharField(label=_("Opinion"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    raised_by = forms.CharField(label=_("Raised by"), required=False)
    objection = forms.IntegerField(required=False, widget=forms.HiddenInput)
    upheld = forms.BooleanField(label=_("Objection upheld"), required=False)
    step = forms.CharField(widget=forms.HiddenInput)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class CountyExitForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2013)
    approved_on = forms.DateField(label=_("Approved on"),
                                  widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    document = forms.CharField(label=_("Approval document"))
    comment = forms.CharField(label=_("Comment"), required=False)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Where a user starts: their county or township, a list of counties, or their village."""
    user = request.user
    _require_view(user)
    if user.region is not None and user.region.level == LEVEL_VILLAGE:
        return redirect("region_exit:village", user.region.code)
    areas = selectors.areas_of(user)
    if len(areas) == 1:
        return redirect("region_exit:area", areas[0].code)
    return render(request, "region_exit/index.html", {"areas": areas})


@login_required
def area_page(request: HttpRequest, code: str) -> HttpResponse:
    """贫困村出列 — the poor villages of a county or township: incidence, conditions, exit status; for a
    county also its 摘帽 readiness."""
    user = request.user
    _require_view(user)
    area = selectors.region(user, code)
    if area.level not in (LEVEL_COUNTY, LEVEL_VILLAGE - 1):
        raise Http404("area")
    year = _year(request)
    policy = services.effective_area_policy(area.code)
    rows = selectors.villages_of(user, area, year, poor_only=request.GET.get("all") != "1")
    readiness = services.county_readiness(area.code, year) if area.level == LEVEL_COUNTY else None
    county_exit = selectors.county_exit(user, area.code) if area.level == LEVEL_COUNTY else None
    may_record_exit = (readiness is not None and county_exit is None
                       and region_in_scope(user, area.code, roles.RECORD_COUNTY_EXIT))
    return render(request, "region_exit/area.html", {
        "area": area, "year": year, "rows": rows, "policy": policy, "denominator": _pick(DENOMINATORS[policy.denominator]),
        "readiness": readiness, "county_exit": county_exit,
        "county_form": CountyExitForm(initial={"year": year, "approved_on": clock.today()})
        if may_record_exit else None,
        "breadcrumbs": [(r, region_in_scope(user, r.code, roles.VIEW_REGISTRY)) for r in [*area.ancestors(), area]],
    })


def _timeline(case: Any, events: list[Any]) -> list[dict[str, Any]]:
    procedure = case.get_procedure()
    done = {e.step: e for e in events if e.action == ActionKind.COMPLETE}
    current = procedure.index(case.step)
    rows = []
    for i, step in enumerate(procedure.steps):
        state = "done" if step.id in done else ("current" if i == current and case.is_open else
                                                 ("stopped" if i == current else "todo"))
        rows.append({"step": step, "label": _pick((step.label_zh, step.label_en)), "state": state,
                     "event": done.get(step.id), "number": i + 1})
    return rows


@login_required
def village_page(request: HttpRequest, code: str) -> HttpResponse:
    """一个贫困村的出列 — the exit check for a year, the conditions by year, the exit case and its actions."""
    user = request.user
    _require_view(user)
    village = selectors.region(user, code, LEVEL_VILLAGE)
    year = _year(request)
    check = services.check_village_exit(village.code, year)
    cases = list(selectors.cases(user, village.code))
    case = cases[0] if cases else None
    context: dict[str, Any] = {
        "village": village, "year": year, "check": check, "cases": cases, "case": case,
        "denominator": _pick(DENOMINATORS[check.denominator]), "conditions": selectors.conditions(user, village.code),
        "breadcrumbs": [(r, region_in_scope(user, r.code, roles.VIEW_REGISTRY)) for r in [*village.ancestors(), village]],
        "may_record": region_in_scope(user, village.code, roles.RECORD_VILLAGE_CONDITIONS),
        "may_propose": (village.is_poor_village and village.exit_year is None and (case is None or not case.is_open)
                        and region_in_scope(user, village.code, roles.PERFORM_VILLAGE_EXIT)
                        and str(user.role) in {"township", "county"}),
        "status_labels": {k: _pick(v) for k, v in STATUS_LABELS.items()},
    }
    current = selectors.conditions(user, village.code).filter(year=year).first()
    context["conditions_form"] = ConditionsForm(initial={
        "year": year, **({f: getattr(current, f) for f in ("road", "water", "power", "clinic", "broadband",
                                                            "collective_income", "evidence")} if current else {}),
        "version": current.version if current else None})
    if case is not None:
        events = selectors.events(case)
        actions = selectors.actions_for(user, case)
        step = case.current_step
        context.update({
            "timeline": _timeline(case, events), "events": events, "objections": selectors.objections(case),
            "actions": actions, "step": step, "step_label": _pick((step.label_zh, step.label_en)) if step else "",
            "publicity_ends_on": earliest_end(step, case.step_started_on) if case.is_open and step else None,
            # one form each (complete, objection, reject/withdraw): their fields need ids of their own
            **{name: ActionForm(initial={"on": clock.today(), "step": case.step, "version": case.version},
                                auto_id=f"{prefix}_%s")
               for name, prefix in (("action_form", "complete"), ("objection_form", "object"),
                                    ("close_form", "close"))},
            "case_status": _pick(STATUS_LABELS.get(case.status, (case.status, case.status))),
        })
    context["propose_form"] = ActionForm(initial={"on": clock.today(), "step": "proposal"}, auto_id="propose_%s")
    return render(request, "region_exit/village.html", context)


def _back(code: str, year: Any) -> HttpResponse:
    return redirect(f"{reverse('region_exit:village', args=[code])}?year={year}")


@login_required
@require_POST
def conditions_record(request: HttpRequest, code: str) -> HttpResponse:
    village = selectors.region(request.user, code, LEVEL_VILLAGE)
    form = ConditionsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the form: %(errors)s") % {"errors": form.errors.as_text()})
        return _back(village.code, request.POST.get("year", ""))
    data = form.cleaned_data
    try:
        services.record_conditions(actor=request.user, village_code=village.code, year=data["year"],
                                   expected_version=data.get("version"), source="web",
                                   data={k: data[k] for k in ("road", "water", "power", "clinic", "broadband",
                                                              "collective_income", "evidence")})
    except RegistryError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("Village conditions saved."))
    return _back(village.code, data["year"])


def _evidence(data: dict[str, Any]) -> dict[str, Any]:
    return {"reviewer": data.get("reviewer") or "", "opinion": data.get("opinion") or ""}


@login_required
@require_POST
def propose(request: HttpRequest, code: str) -> HttpResponse:
    village = selectors.region(request.user, code, LEVEL_VILLAGE)
    form = ActionForm(request.POST)
    year = request.POST.get("year") or clock.today().year
    if not form.is_valid():
        messages.error(request, _("Check the form: %(errors)s") % {"errors": form.errors.as_text()})
        return _back(village.code, year)
    try:
        services.propose_village_exit(actor=request.user, village_code=village.code, year=int(year),
                                      evidence=_evidence(form.cleaned_data), on=form.cleaned_data["on"],
                                      comment=form.cleaned_data["comment"], source="web")
    except RegistryError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("The village's exit has been proposed."))
    return _back(village.code, year)


@login_required
@require_POST
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    case = selectors.case_detail(request.user, pk)
    if action not in (ActionKind.COMPLETE, ActionKind.REJECT, ActionKind.OBJECT, ActionKind.RESOLVE,
                      ActionKind.WITHDRAW):
        raise Http404("action")
    form = ActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the form: %(errors)s") % {"errors": form.errors.as_text()})
        return _back(case.village_code, case.year)
    d = form.cleaned_data
    try:
        services.act_on_village_exit(actor=request.user, case_id=case.pk, kind=action, step_id=d["step"], on=d["on"],
                                     evidence=_evidence(d), comment=d["comment"] or d.get("opinion") or "",
                                     raised_by=d["raised_by"], objection_id=d["objection"], upheld=d["upheld"],
                                     expected_version=d["version"], source="web")
    except RegistryError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("Done."))
    return _back(case.village_code, case.year)


@login_required
@require_POST
def county_exit(request: HttpRequest, code: str) -> HttpResponse:
    county = selectors.region(request.user, code, LEVEL_COUNTY)
    form = CountyExitForm(request.POST)
    target = f"{reverse('region_exit:area', args=[county.code])}"
    if not form.is_valid():
        messages.error(request, _("Check the form: %(errors)s") % {"errors": form.errors.as_text()})
        return redirect(target)
    d = form.cleaned_data
    try:
        services.record_county_exit(actor=request.user, county_code=county.code, year=d["year"],
                                    approved_on=d["approved_on"], document=d["document"], comment=d["comment"],
                                    source="web")
    except RegistryError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("The county's exit is recorded."))
    return redirect(f"{target}?year={d['year']}")


today = clock.today  # 今天 in China Standard Time (fupin.policy.clock); callers use this module's today()
