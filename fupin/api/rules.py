"""Rules, decisions and pathway runs in the API (规则与判定), under /api/v1/rules/.

Thin adapters over :mod:`fupin.rules.selectors` (scoped by :func:`fupin.core.scoping.visible_to`) and
:mod:`fupin.rules.services` (which check the region again). Out of scope, missing, or a decision
without ``registry.edit``: 404. A refused rule text, region or scheme: 422 ``{"message", "field_errors"}``.

- ``GET  /policy?region=&on=`` — the policy in force (version, poverty lines, rules, schemes);
- ``POST /try`` — a rule text on one household: holds or not, and the values of the columns it read;
- ``POST /households/{id}/decide`` — decide eligibility and store it; ``GET …/decisions``, ``GET …/pathways``;
- ``POST /runs`` — the eligibility set, a rule or named rules over a region; ``GET /runs/{id}`` (status,
  progress, counts for ``?region=``), ``GET /runs/{id}/households?rule=&region=&page=``;
- ``POST /pathway-runs`` — a pathway scheme over a region; ``GET /pathway-runs/{id}``,
  ``GET /pathway-runs/{id}/households?pathway=&region=&page=``.

Runs work in the background as on the pages (inline with ``FUPIN_IMPORT_SYNC``): poll the run.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from fupin.core.scoping import region_in_scope
from fupin.policy import clock, roles
from fupin.policy.codes import IDENTIFICATION_STANDARD
from fupin.policy.regions import RegionCodeError, level_of, normalize_code
from fupin.registry.services import INVALID, RegistryError
from fupin.rules import jobs, selectors, services
from fupin.rules.models import HouseholdDecision, PathwayRun, RuleRun

from . import present
from .auth import editor_auth
from .schemas import DetailOut, ErrorOut, HouseholdItem, RecordId

router = Router(tags=["rules 规则与判定"])
READ = {401: DetailOut, 404: DetailOut, 422: ErrorOut}


def _refused(exc: services.RulesRefused) -> RegistryError:
    return RegistryError(exc.message, {exc.field or "__all__": [exc.message]})


def _region(user: Any, raw: str | None, field: str = "region") -> str:
    try:
        code = normalize_code(raw or user.region_id or "")
    except RegionCodeError as exc:
        raise RegistryError(INVALID, {field: [str(exc)]}) from exc
    if not region_in_scope(user, code, roles.VIEW_REGISTRY):
        raise Http404
    return code


# ---------------------------------------------------------------- schemas


class RuleOut(Schema):
    id: str
    label_zh: str
    label_en: str
    text: str
    enabled: bool
    description: str = ""


class PathwayOut(Schema):
    id: str
    label_zh: str
    label_en: str
    rule: str
    overlapping: bool = False


class SchemeOut(Schema):
    id: str
    label_zh: str
    label_en: str
    unit: str
    overlap: str
    pathways: list[PathwayOut]


class LineOut(Schema):
    standard: str
    standard_label: str
    amount: float


class PolicyOut(Schema):
    """现行政策 of a region on a date."""

    region_code: str
    on: date
    version: str
    stored: bool = Field(..., description="a stored (county/city/province) version, not the shipped default")
    issued_for: str = Field(..., description="区划代码 of the version, '' for national")
    valid_from: date
    valid_to: date | None
    standard: str
    lag: int
    line_year: int | None
    poverty_lines: list[LineOut]
    counted_transfers: list[str]
    eligibility: list[RuleOut]
    exclusions: list[RuleOut]
    schemes: list[SchemeOut]


class PolicyQuery(Schema):
    region: str = Field("", description="区划代码; default: the user's region")
    on: date | None = None


class TryIn(Schema):
    household_number: str = Field(..., max_length=32)
    text: str = Field(..., max_length=2000, description="e.g. income_per_capita < poverty_line AND n_labour = 0")
    unit: Literal["household", "person"] = "household"
    on: date | None = None


class ValueOut(Schema):
    column: str
    label_zh: str
    label_en: str
    value: Any = None


class PersonResultOut(Schema):
    member_id: int
    matched: bool
    values: list[ValueOut]


class TryOut(Schema):
    household_id: int
    household_number: str
    matched: bool
    policy_version: str
    line_year: int | None
    values: list[ValueOut]
    persons: list[PersonResultOut]


class ReasonOut(Schema):
    rule_id: str
    label_zh: str
    label_en: str


class DecisionOut(Schema):
    id: int
    household_id: int
    kind: str
    outcome: str
    outcome_label: str
    policy_version: str
    reasons: list[ReasonOut]
    details: dict[str, Any]
    context: str
    made_by: str
    made_at: Any


class DecideIn(Schema):
    context: str = Field("manual_check", max_length=40, description="e.g. democratic_review, county_review")
    on: date | None = None


class RuleRunIn(Schema):
    region_code: str = Field(..., description="区划代码 (2/4/6/9/12 digits)")
    eligibility: bool = Field(False, description="run the whole eligibility set (income test + exclusions)")
    rule_text: str = Field("", max_length=2000)
    rule_ids: list[str] = []
    on: date | None = None


class PathwayRunIn(Schema):
    region_code: str
    scheme_id: str
    on: date | None = None


class RegionCountOut(Schema):
    code: str
    name: str
    level: int
    counts: dict[str, int] = Field(..., description="households per rule / pathway id ('*': any pathway)")
    persons: dict[str, int] = {}


class RunOut(Schema):
    id: int
    kind: str
    region_code: str
    as_of: date
    status: str
    status_label: str
    stalled: bool = Field(False, description="queued or running, but its process has ended (no heartbeat): start it again")
    progress: int
    progress_label: str
    policy_version: str
    error: str
    households: int | None = None
    totals: dict[str, Any] = Field(..., description="by rule id, or by pathway id {households, persons}")
    region: RegionCountOut | None = Field(None, description="the asked region (total row)")
    children: list[RegionCountOut] = Field([], description="one level down, for drilling down")
    rule_text: str = ""
    rule_ids: list[str] = []
    scheme_id: str = ""
    unit: str = ""
    line_years: list[int] = []


class RunQuery(Schema):
    region: str = Field("", description="a region inside the run's region (default: the run's)")


class ResultQuery(RunQuery):
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=500)


class RuleResultQuery(ResultQuery):
    rule: str = Field(..., description="rule id, or eligible / excluded / not_eligible")


class PathwayResultQuery(ResultQuery):
    pathway: str


class HouseholdResultPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[HouseholdItem]


class StoredPathwayOut(Schema):
    run_id: int
    scheme_id: str
    policy_version: str
    pathways: list[dict[str, Any]]


class PathwayNowOut(Schema):
    scheme_id: str
    scheme_label: str
    pathways: list[dict[str, Any]]


class HouseholdPathwaysOut(Schema):
    stored: list[StoredPathwayOut]
    now: list[PathwayNowOut]


# ---------------------------------------------------------------- policy and one household


@router.get("/policy", response={200: PolicyOut, **READ})
def policy(request: HttpRequest, query: Query[PolicyQuery]):
    """现行政策: the policy in force for a region (default: the user's) on a date (default: today)."""
    code = _region(request.auth, query.region)
    on = query.on or clock.today()
    version = services.effective_version(code, on)
    p = services.policy_of(version)
    lookup = code if level_of(code) <= 3 else code[:6].ljust(12, "0")
    try:
        year: int | None = services.line_year(p, lookup, on.year)
        lines = p.poverty_lines_by_standard(year=year, region_code=lookup)
    except services.RulesRefused:
        year, lines = None, {}
    return {
        "region_code": code, "on": on, "version": p.version, "stored": version is not None,
        "issued_for": version.region_code if version else "", "valid_from": p.valid_from, "valid_to": p.valid_to,
        "standard": p.standard, "lag": p.lag, "line_year": year,
        "poverty_lines": [{"standard": s, "standard_label": IDENTIFICATION_STANDARD.label(s), "amount": a}
                          for s, a in lines.items()],
        "counted_transfers": sorted(p.income.counted_transfers),
        "eligibility": [r.to_dict() for r in p.eligibility], "exclusions": [r.to_dict() for r in p.exclusions],
        "schemes": [s.to_dict() for s in p.scheme_list],
    }


@router.post("/try", response={200: TryOut, **READ})
def try_rule(request: HttpRequest, body: TryIn):
    """规则试算: a rule on one household (by 户编号); 404 out of scope, 422 with the rule error."""
    household = selectors.household_by_number(request.auth, body.household_number)
    result = services.try_rule(household, body.text, unit=body.unit, on=body.on)
    if result.error:
        raise RegistryError(result.error, {"text": [result.error]})
    return {"household_id": household.pk, "household_number": household.household_number,
            "matched": bool(result.matched), "policy_version": result.policy_version, "line_year": result.line_year,
            "values": result.values, "persons": result.persons}


def decision_out(d: HouseholdDecision) -> dict[str, Any]:
    return {"id": d.pk, "household_id": d.household_id, "kind": d.kind, "outcome": d.outcome,
            "outcome_label": d.outcome_label, "policy_version": d.policy_version, "reasons": d.reasons,
            "details": d.details, "context": d.context, "made_by": d.made_by_name, "made_at": d.made_at}


@router.post("/households/{household_id}/decide", auth=editor_auth,
             response={201: DecisionOut, **READ})
def decide(request: HttpRequest, household_id: RecordId, body: DecideIn):
    """识别判定: decide eligibility (income test + exclusions) for one household and store it."""
    household = selectors.household(request.auth, household_id)
    try:
        made = services.decide_household(household, actor=request.auth, context=body.context, on=body.on,
                                         source="api")
    except services.RulesRefused as exc:
        raise _refused(exc) from exc
    return Status(201, decision_out(made))


@router.get("/households/{household_id}/decisions", response={200: list[DecisionOut], **READ})
def decisions(request: HttpRequest, household_id: RecordId):
    """A household's latest decisions (newest first) with reasons and policy version."""
    household = selectors.household(request.auth, household_id)
    return [decision_out(d) for d in selectors.latest_decisions(request.auth, household, limit=50)]


@router.get("/households/{household_id}/pathways", response={200: HouseholdPathwaysOut, **READ})
def household_pathways(request: HttpRequest, household_id: RecordId):
    """A household's pathways: from the latest run of each scheme, and every scheme applied now."""
    user = request.auth
    household = selectors.household(user, household_id)
    stored = [{"run_id": s.run.pk, "scheme_id": s.run.scheme_id, "policy_version": s.run.policy_version,
               "pathways": [{"pathway_id": p["pathway_id"], "label_zh": s.labels.get(p["pathway_id"], p["pathway_id"]),
                             "rule_id": p["rule_id"], "member_id": p["member_id"]} for p in s.pathways]}
              for s in selectors.household_pathways(user, household)]
    try:
        now_items = services.household_pathways_now(household)
    except services.RulesRefused:
        now_items = []
    now = [{"scheme_id": item["scheme"].id, "scheme_label": item["scheme"].label_zh,
            "pathways": [{"pathway_id": h.pathway_id, "label_zh": h.label_zh, "label_en": h.label_en,
                          "rule_id": h.rule_id, "rule": h.rule, "member_id": h.member_id} for h in item["hits"]]}
           for item in now_items]
    return {"stored": stored, "now": now}


# ---------------------------------------------------------------- runs


def _sub_region(run: RuleRun | PathwayRun, raw: str) -> str:
    try:
        code = normalize_code(raw or run.region_code)
    except RegionCodeError as exc:
        raise RegistryError(INVALID, {"region": [str(exc)]}) from exc
    if not code.startswith(run.region_code[: {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}[level_of(run.region_code)]]):
        raise Http404
    return code


def _row(row: dict[str, Any], code: str, name: str, level: int) -> dict[str, Any]:
    return {"code": code, "name": name, "level": level, "counts": row.get("cells", {}),
            "persons": row.get("persons", {})}


def run_out(run: RuleRun | PathwayRun, region: str = "") -> dict[str, Any]:
    is_rule = isinstance(run, RuleRun)
    counts = run.counts or {}
    out: dict[str, Any] = {
        "id": run.pk, "kind": run.kind if is_rule else "pathway", "region_code": run.region_code,
        "as_of": run.as_of, "status": run.status, "status_label": run.status_label,
        "stalled": run.stalled(),
        "progress": run.progress, "progress_label": run.progress_label, "policy_version": run.policy_version,
        "error": run.error, "households": counts.get("households"),
        "totals": counts.get("by_rule" if is_rule else "by_pathway", {}), "line_years": counts.get("line_years", []),
    }
    if is_rule:
        out.update(rule_text=run.rule_text, rule_ids=run.rule_ids)
    else:
        out.update(scheme_id=run.scheme_id, unit=run.unit)
    code = _sub_region(run, region)
    if counts.get("regions"):
        table = selectors.count_table(counts, "rule_id" if is_rule else "pathway_id", code)
        name = table.region.name if table.region else code
        out["region"] = _row(table.total, code, name, level_of(code))
        out["children"] = [_row(r, r["code"], r["name"], r["level"]) for r in table.rows]
    return out


@router.post("/runs", response={202: RunOut, **READ})
def start_rule_run(request: HttpRequest, body: RuleRunIn):
    """Run the eligibility set, a rule text or named rules of the policy over a region."""
    code = _region(request.auth, body.region_code, "region_code")
    try:
        run = services.create_rule_run(actor=request.auth, region_code=code, eligibility=body.eligibility,
                                       rule_text=body.rule_text, rule_ids=body.rule_ids, on=body.on, source="api")
    except services.RulesRefused as exc:
        raise _refused(exc) from exc
    jobs.start_rule_run(run.pk)
    return Status(202, run_out(selectors.rule_run(request.auth, run.pk)))


@router.get("/runs/{run_id}", response={200: RunOut, **READ})
def get_rule_run(request: HttpRequest, run_id: RecordId, query: Query[RunQuery]):
    """A rule run: status and progress, totals, and the counts of a region and its children."""
    return run_out(selectors.rule_run(request.auth, run_id), query.region)


def _page(qs: Any, page: int, page_size: int) -> dict[str, Any]:
    start = (page - 1) * page_size
    return {"count": qs.count(), "page": page, "page_size": page_size,
            "items": [present.household_item(h) for h in qs[start:start + page_size]]}


@router.get("/runs/{run_id}/households", response={200: HouseholdResultPage, **READ})
def rule_run_households(request: HttpRequest, run_id: RecordId, query: Query[RuleResultQuery]):
    """The households a rule of the run held for (under ``region``), paged."""
    run = selectors.rule_run(request.auth, run_id)
    code = _sub_region(run, query.region)
    return _page(selectors.rule_households(request.auth, run, query.rule, code), query.page, query.page_size)


@router.post("/pathway-runs", response={202: RunOut, **READ})
def start_pathway_run(request: HttpRequest, body: PathwayRunIn):
    """Classify a region by a pathway scheme (N个一批)."""
    code = _region(request.auth, body.region_code, "region_code")
    try:
        run = services.create_pathway_run(actor=request.auth, region_code=code, scheme_id=body.scheme_id,
                                          on=body.on, source="api")
    except services.RulesRefused as exc:
        raise _refused(exc) from exc
    jobs.start_pathway_run(run.pk)
    return Status(202, run_out(selectors.pathway_run(request.auth, run.pk)))


@router.get("/pathway-runs/{run_id}", response={200: RunOut, **READ})
def get_pathway_run(request: HttpRequest, run_id: RecordId, query: Query[RunQuery]):
    """A pathway run: status, totals per pathway, counts of a region and its children (drill down)."""
    return run_out(selectors.pathway_run(request.auth, run_id), query.region)


@router.get("/pathway-runs/{run_id}/households", response={200: HouseholdResultPage, **READ})
def pathway_run_households(request: HttpRequest, run_id: RecordId, query: Query[PathwayResultQuery]):
    """The households of one pathway of the run (under ``region``), paged."""
    run = selectors.pathway_run(request.auth, run_id)
    code = _sub_region(run, query.region)
    return _page(selectors.pathway_households(request.auth, run, query.pathway, code), query.page, query.page_size)
