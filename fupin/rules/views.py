"""Pages of the rules app (规则与判定), under /rules/.

Thin views over :mod:`fupin.rules.selectors` (reads, scoped) and :mod:`fupin.rules.services` (writes,
which check the region again). Out of scope is 404, as everywhere.

- 现行政策 ``/rules/`` — the policy in force for the user's region (or ``?region=``) on a date: version,
  poverty lines, rules with labels and text, pathway schemes, and the columns rules may use;
- 规则试算 ``/rules/try/`` — a rule text against one household (by 户编号): the result and the values of
  the columns the rule read, or the rule error;
- 批量运行 ``/rules/runs/`` — run the eligibility set, a rule, or a pathway scheme over a region; the run
  works in the background (:mod:`fupin.rules.jobs`) and its page polls the progress with htmx;
- results: counts per region level with drill-down, and the households of each rule / pathway, paged;
- 一户的判定 ``/rules/households/<id>/`` — a household's decisions and pathways, with reasons.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fupin.core.scoping import ScopeError, region_in_scope
from fupin.policy import clock, roles
from fupin.policy.codes import IDENTIFICATION_STANDARD
from fupin.policy.income import TRANSFER_LINES
from fupin.policy.regions import RegionCodeError, level_of, normalize_code
from fupin.policy.rules import HOUSEHOLD_COLUMNS, PERSON_COLUMNS
from fupin.regions.models import Region
from fupin.registry.models import Household

from . import jobs, selectors, services
from .forms import RuleRunForm, SchemeRunForm, TryRuleForm
from .models import PathwayRun, PolicyVersion, RuleRun

PAGE_SIZE = 50
RUNS_PAGE_SIZE = 20


def _region_code(request: HttpRequest, raw: str | None = None) -> str:
    """``?region=`` (or the user's region), normalised and in the user's scope — else 404."""
    user = request.user
    value = raw if raw is not None else (request.GET.get("region") or user.region_id or "")
    try:
        code = normalize_code(value)
    except RegionCodeError as exc:
        raise Http404 from exc
    if not region_in_scope(user, code, roles.VIEW_REGISTRY):
        raise ScopeError("不存在或无权查看 / not found")
    return code


def _on(request: HttpRequest) -> date:
    try:
        return date.fromisoformat(request.GET.get("on", ""))
    except ValueError:
        return clock.today()


def _breadcrumbs(user: Any, code: str) -> list[tuple[Region, bool]]:
    region = Region.objects.filter(code=code).first()
    if region is None:
        return []
    return [(r, region_in_scope(user, r.code, roles.VIEW_REGISTRY)) for r in [*region.ancestors(), region]]


@login_required
@require_GET
def policy_page(request: HttpRequest) -> HttpResponse:
    """现行政策 — the policy in force for a region on a date."""
    code = _region_code(request)
    on = _on(request)
    version = services.effective_version(code, on)
    policy = services.policy_of(version)
    lookup = code if level_of(code) <= 3 else code[:6].ljust(12, "0")
    try:
        year = services.line_year(policy, lookup, on.year)
        lines = [{"standard": s, "label": IDENTIFICATION_STANDARD.label(s), "amount": amount,
                  "entry": policy.poverty_line_entry(year=year, standard=s, region_code=lookup)}
                 for s, amount in policy.poverty_lines_by_standard(year=year, region_code=lookup).items()]
    except services.RulesRefused:
        year, lines = None, []
    chain = [c for c in services.region_chain(code) if c]
    stored = PolicyVersion.objects.filter(region_code__in=[*chain, ""]).order_by("region_code", "-valid_from", "-id")
    context = {
        "region": Region.objects.filter(code=code).first(), "region_code": code, "on": on, "version": version,
        "policy": policy, "line_year": year, "lines": lines, "stored_versions": stored,
        # in the registration form's order, by label (the policy holds them as a set)
        "counted_transfers": [Household._meta.get_field(f).verbose_name for f in TRANSFER_LINES
                              if f in policy.income.counted_transfers],
        "breadcrumbs": _breadcrumbs(request.user, code),
        "household_columns": HOUSEHOLD_COLUMNS.values(), "person_columns": PERSON_COLUMNS.values(),
        "can_manage": services.may_manage(request.user, code) and request.user.is_staff,
    }
    return render(request, "rules/policy.html", context)


@login_required
@require_GET
def try_rule(request: HttpRequest) -> HttpResponse:
    """规则试算 — one rule on one household; 404 when the household is not in the user's scope."""
    form = TryRuleForm(request.GET or None)
    result, household, status = None, None, 200
    if form.is_bound and form.is_valid():
        try:
            household = selectors.household_by_number(request.user, form.cleaned_data["household_number"])
        except Http404:
            form.add_error("household_number", _("No such household in your region."))
            status = 404
        else:
            result = services.try_rule(household, form.cleaned_data["text"], unit=form.cleaned_data["unit"],
                                       on=_on(request))
            names = dict(household.members.values_list("id", "name"))
            for person in result.persons:
                person["name"] = names.get(person["member_id"], person["member_id"])
            if result.error:
                status = 422
    elif form.is_bound:
        status = 422
    context = {"form": form, "result": result, "household": household,
               "household_columns": HOUSEHOLD_COLUMNS.values(), "person_columns": PERSON_COLUMNS.values()}
    return render(request, "rules/try.html", context, status=status)


def _runs_context(request: HttpRequest, rule_form: RuleRunForm, scheme_form: SchemeRunForm) -> dict[str, Any]:
    user = request.user
    return {
        "rule_form": rule_form, "scheme_form": scheme_form,
        "rule_runs": Paginator(selectors.rule_runs(user), RUNS_PAGE_SIZE).get_page(request.GET.get("page")),
        "pathway_runs": Paginator(selectors.pathway_runs(user), RUNS_PAGE_SIZE).get_page(request.GET.get("ppage")),
    }


def _forms(request: HttpRequest, data: Any = None, which: str = "") -> tuple[RuleRunForm, SchemeRunForm]:
    user = request.user
    if not user.has_capability(roles.VIEW_REGISTRY):
        raise Http404
    policy = services.effective_policy(user.region_id or "")
    return (RuleRunForm(data if which == "rule" else None, user=user, policy=policy),
            SchemeRunForm(data if which == "scheme" else None, user=user, policy=policy))


@login_required
def runs(request: HttpRequest) -> HttpResponse:
    """批量运行 — start a rule run (POST) and list the runs."""
    if request.method == "POST":
        rule_form, scheme_form = _forms(request, request.POST, "rule")
        if rule_form.is_valid():
            data = rule_form.cleaned_data
            _region_code(request, data["region_code"])
            try:
                run = services.create_rule_run(
                    actor=request.user, region_code=data["region_code"], eligibility=data["mode"] == "eligibility",
                    rule_text=data["rule_text"], rule_ids=data["rule_ids"], source="web")
            except services.RulesRefused as exc:
                rule_form.add_error(exc.field if exc.field in rule_form.fields else None, exc.message)
            else:
                jobs.start_rule_run(run.pk)
                return redirect("rules:rule_run", run.pk)
        return render(request, "rules/runs.html", _runs_context(request, rule_form, scheme_form), status=422)
    rule_form, scheme_form = _forms(request)
    return render(request, "rules/runs.html", _runs_context(request, rule_form, scheme_form))


@login_required
@require_POST
def start_scheme(request: HttpRequest) -> HttpResponse:
    """Start a pathway run (N个一批分类) over a region."""
    rule_form, scheme_form = _forms(request, request.POST, "scheme")
    if scheme_form.is_valid():
        data = scheme_form.cleaned_data
        _region_code(request, data["region_code"])
        try:
            run = services.create_pathway_run(actor=request.user, region_code=data["region_code"],
                                              scheme_id=data["scheme_id"], source="web")
        except services.RulesRefused as exc:
            scheme_form.add_error(exc.field if exc.field in scheme_form.fields else None, exc.message)
        else:
            jobs.start_pathway_run(run.pk)
            return redirect("rules:pathway_run", run.pk)
    return render(request, "rules/runs.html", _runs_context(request, rule_form, scheme_form), status=422)


def _sub_region(request: HttpRequest, run: RuleRun | PathwayRun) -> str:
    """``?region=`` inside the run's region (default: the run's region); 404 outside it."""
    raw = request.GET.get("region") or run.region_code
    try:
        code = normalize_code(raw)
    except RegionCodeError as exc:
        raise Http404 from exc
    if not code.startswith(run.region_code[: {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}[level_of(run.region_code)]]):
        raise Http404
    return code


def _progress(request: HttpRequest, run: RuleRun | PathwayRun, url_name: str) -> HttpResponse:
    response = render(request, "rules/_progress.html", {"run": run, "progress_url": url_name})
    if not run.running and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
def rule_run(request: HttpRequest, pk: int) -> HttpResponse:
    """一次规则运行 — progress, then counts per region (drill-down) and the households of a rule."""
    run = selectors.rule_run(request.user, pk)
    code = _sub_region(request, run)
    policy = services.effective_policy(run.region_code, run.as_of)
    labels = services.rule_labels(policy, english=_english())
    rule_id = request.GET.get("rule", "")
    table = selectors.count_table(run.counts or {}, "rule_id", code)
    page = None
    if rule_id and not run.running:
        page = Paginator(selectors.rule_households(request.user, run, rule_id, code), PAGE_SIZE).get_page(
            request.GET.get("page"))
    context = {"run": run, "table": table, "labels": labels, "region_code": code, "rule_id": rule_id,
               "rule_label": labels.get(rule_id, rule_id), "page": page, "breadcrumbs": _run_crumbs(request, run, code)}
    return render(request, "rules/rule_run.html", context)


@login_required
@require_GET
def rule_run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    return _progress(request, selectors.rule_run(request.user, pk), "rules:rule_run_progress")


def _run_crumbs(request: HttpRequest, run: RuleRun | PathwayRun, code: str) -> list[Region]:
    """The regions from the run's region down to ``code`` (for drilling back up)."""
    region = Region.objects.filter(code=code).first()
    if region is None:
        return []
    return [r for r in [*region.ancestors(), region] if r.level >= level_of(run.region_code)]


def _english() -> bool:
    """The page is in English (a rule's or pathway's label then in English where it has one)."""
    return (get_language() or "").startswith("en")


@login_required
@require_GET
def pathway_run(request: HttpRequest, pk: int) -> HttpResponse:
    """帮扶路径分类结果 — counts per pathway for the children of a region (drill-down), and the
    households of one pathway, paged."""
    run = selectors.pathway_run(request.user, pk)
    code = _sub_region(request, run)
    pathways = (run.counts or {}).get("pathways", [])
    labels = {p["id"]: (p.get("label_en") or p["label_zh"]) if _english() else p["label_zh"] for p in pathways}
    keys = [p["id"] for p in pathways] + ["*"]
    table = selectors.count_table(run.counts or {}, "pathway_id", code, keys=keys)
    pathway_id = request.GET.get("pathway", "")
    page = None
    if pathway_id and not run.running:
        page = Paginator(selectors.pathway_households(request.user, run, pathway_id, code), PAGE_SIZE).get_page(
            request.GET.get("page"))
    context = {"run": run, "table": table, "labels": labels, "pathways": pathways, "region_code": code,
               "pathway_id": pathway_id, "pathway_label": labels.get(pathway_id, pathway_id), "page": page,
               "breadcrumbs": _run_crumbs(request, run, code)}
    return render(request, "rules/pathway_run.html", context)


@login_required
@require_GET
def pathway_run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    return _progress(request, selectors.pathway_run(request.user, pk), "rules:pathway_run_progress")


@login_required
def household_page(request: HttpRequest, pk: int) -> HttpResponse:
    """一户的判定与帮扶路径 — stored decisions (with reasons and policy version), the pathways of the
    latest runs, and every scheme applied to the household now; editors can record a check (POST)."""
    user = request.user
    household = selectors.household(user, pk)
    can_decide = region_in_scope(user, household.village_code, roles.EDIT_REGISTRY)
    if request.method == "POST":
        if not can_decide:
            raise Http404
        try:
            services.decide_household(household, actor=user, context="manual_check", source="web")
        except services.RulesRefused as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The decision was recorded."))
        return redirect("rules:household", household.pk)
    try:
        now = services.household_pathways_now(household)
        now_error = ""
    except services.RulesRefused as exc:
        now, now_error = [], exc.message
    stored = selectors.household_pathways(user, household)
    context = {"h": household, "decisions": selectors.latest_decisions(user, household), "stored": stored,
               "now": now, "now_error": now_error, "can_decide": can_decide,
               "names": dict(household.members.values_list("id", "name")),
               "breadcrumbs": _breadcrumbs(user, household.village_code)}
    return render(request, "rules/household.html", context)
