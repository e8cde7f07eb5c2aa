"""The household exit (精准退出) in the API: cases, steps, objections, village batches, candidate lists,
one household's criteria, and the criteria in force.

Thin adapters over :mod:`fupin.exits.selectors` (scoped by :func:`fupin.core.scoping.visible_to`) and
:mod:`fupin.exits.services` (``source="api"``). Writes need ``exits.perform`` (else 404, like any write
without its capability); out of scope is 404; a refused action (illegal step, wrong role, missing
evidence or consent, publicity not over, open objection, criteria not met …) is 422 with the procedure's
Chinese and English message; a stale ``version`` is 409.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from fupin.core.scoping import get_visible_or_404
from fupin.exits import selectors, services
from fupin.exits.evaluation import evaluate_household, procedure_for, rules_for
from fupin.exits.models import ExitCase
from fupin.policy import roles
from fupin.policy.exit_procedure import status_label
from fupin.policy.regions import RegionCodeError, normalize_code
from fupin.registry.models import Household

from .auth import TokenAuth
from .procedure import (
    STRICT,
    WRITE_RESPONSES,
    EventOut,
    ObjectionOut,
    ReasonOut,
    StepOut,
    event_out,
    objection_out,
    step_out,
)
from .procedure_cases import CaseEndpointDocs, add_case_endpoints, case_page, moved_out
from .schemas import DetailOut, ErrorOut, RecordId

router = Router(tags=["exits 精准退出"])
performer_auth = TokenAuth(capability=roles.PERFORM_EXIT)


# ------------------------------------------------------------------------------------------ schemas


class CaseItem(Schema):
    """One row of the case list."""

    id: int
    household_id: int
    household_number: str
    head_name: str
    village_code: str
    year: int
    procedure_version: str
    rules_version: str
    step: str
    step_label: str
    step_started_on: dt.date
    publicity_ends_on: dt.date | None
    open_objections: int
    status: str
    status_label: str
    version: int


class CasePage(Schema):
    count: int
    page: int
    page_size: int
    items: list[CaseItem]


class CaseQuery(Schema):
    region: str = Field("", description="区划代码(2/4/6/9/12位) / region code")
    step: str = Field("", description="当前环节 / current step id, e.g. verification")
    status: Literal["in_progress", "exited", "rejected", "withdrawn", "all"] = "in_progress"
    year: int | None = Field(None, ge=2013, le=2100, description="退出年度 / exit year")
    q: str = Field("", description="户编号或户主姓名 / household number or head's name")
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(20, ge=1, le=100)


class DecisionOut(Schema):
    """退出判定 (stored as a fupin.rules HouseholdDecision of kind exit)."""

    id: int
    outcome: str
    policy_version: str = Field(..., description="退出标准版本 / the exit criteria version")
    reasons: list[ReasonOut]
    details: dict[str, Any]
    context: str
    made_by_name: str
    made_at: dt.datetime


class CaseDetail(CaseItem):
    household_status: str
    poverty_status: str
    exit_year: int | None
    previous_poverty_status: str
    started_on: dt.date
    closed_on: dt.date | None
    exited_on: dt.date | None
    outcome_comment: str
    steps: list[StepOut]
    allowed_actions: list[str] = Field(..., description="what the requesting user may try now")
    events: list[EventOut]
    objections: list[ObjectionOut]
    decisions: list[DecisionOut]


class ProposalIn(Schema):
    """拟退出: one household."""

    household_id: int
    year: int | None = Field(None, description="退出年度 (default: the year of ``on``) / exit year")
    on: dt.date | None = Field(None, description="办理日期 / date (default today)")
    comment: str = ""

    model_config = STRICT


class VillageProposalIn(Schema):
    """整村拟退出: households of one village, all or none."""

    household_ids: list[int] = Field(..., min_length=1, max_length=5000)
    year: int | None = None
    on: dt.date | None = None
    comment: str = ""

    model_config = STRICT


class VillageBatchIn(Schema):
    evidence: dict[str, Any] = Field(default_factory=dict)
    comment: str = ""
    on: dt.date | None = None
    year: int | None = Field(None, description="only the cases of this exit year")

    model_config = STRICT


class BatchOut(Schema):
    count: int
    case_ids: list[int]


class ListRow(Schema):
    household_id: int
    household_number: str
    head_name: str | None
    size: int | None
    village_code: str
    poverty_status: str
    income_per_capita: float | None
    poverty_line: float | None
    previous_income_per_capita: float | None
    previous_poverty_line: float | None
    meets: bool
    failed: list[str] = Field(..., description="the checks that failed (ids)")
    reasons_zh: list[str]
    reasons_en: list[str]
    case_id: int | None = None
    step: str | None = None


class ListsOut(Schema):
    """退出名单: meet the criteria but not proposed; proposed but failing (with reasons)."""

    region: str
    year: int
    rules_version: str | None
    candidate_count: int
    failing_count: int
    proposed_count: int
    candidates: list[ListRow]
    failing: list[ListRow]


class ListsQuery(Schema):
    region: str = Field(..., description="区划代码 / region code")
    year: int | None = Field(None, ge=2013, le=2100, description="退出年度 (default: this year)")
    limit: int = Field(500, ge=1, le=5000, description="rows per list at most")


class CheckOut(Schema):
    rule_id: str
    label_zh: str
    label_en: str
    kind: str


class CriteriaOut(Schema):
    """One household judged for exit now (not stored)."""

    household_id: int
    year: int
    meets: bool
    outcome: str
    rules_version: str
    policy_version: str
    failed: list[CheckOut]
    passed: list[CheckOut]
    details: dict[str, Any]


class CriteriaQuery(Schema):
    year: int | None = Field(None, ge=2013, le=2100)


class CriterionOut(Schema):
    id: str
    label_zh: str
    label_en: str
    text: str
    group: str
    evidence: bool
    enabled: bool


class RulesOut(Schema):
    """The exit criteria and procedure in force in a region."""

    rules_version: str
    label_zh: str
    valid_from: dt.date
    line_series: str
    line_standard: str
    lag: int | None
    stable_years: int
    no_exit_in_identification_year: bool
    no_exit_in_return_year: bool
    criteria: list[CriterionOut]
    checks: list[str]
    procedure_version: str
    steps: list[StepOut]


class RulesQuery(Schema):
    region: str = Field(..., description="区划代码 / region code")
    on: dt.date | None = None


# ------------------------------------------------------------------------------------------ presenting


def _step_out(case_procedure: Any, step: Any, criteria: Any) -> dict[str, Any]:
    return step_out(step, case_procedure.evidence_fields(step.id, criteria))


def _item(case: ExitCase) -> dict[str, Any]:
    step = case.current_step
    h = case.household
    zh, en = status_label({"exited": "registered"}.get(case.status, case.status), case.step)
    return {
        "id": case.pk, "household_id": h.pk, "household_number": h.household_number, "head_name": h.head_name,
        "village_code": case.village_code, "year": case.year, "procedure_version": case.procedure_version,
        "rules_version": case.rules_version, "step": case.step, "step_label": step.label_zh,
        "step_started_on": case.step_started_on, "publicity_ends_on": case.publicity_ends_on,
        "open_objections": case.open_objections, "status": case.status, "status_label": f"{zh} {en}",
        "version": case.version,
    }


def _detail(request: HttpRequest, case_id: int) -> dict[str, Any]:
    user = request.auth
    case = selectors.case_detail(user, case_id)
    h = case.household
    procedure, criteria = case.get_procedure(), case.get_rules().evidence_criteria
    return {
        **_item(case), "household_status": h.status, "poverty_status": h.poverty_status, "exit_year": h.exit_year,
        "previous_poverty_status": case.previous_poverty_status, "started_on": case.started_on,
        "closed_on": case.closed_on, "exited_on": case.exited_on, "outcome_comment": case.outcome_comment,
        "steps": [_step_out(procedure, s, criteria) for s in procedure.steps],
        "allowed_actions": selectors.actions_for(user, case),
        "events": [event_out(e) for e in selectors.events(case)],
        "objections": [objection_out(o) for o in selectors.objections(case)],
        "decisions": [{
            "id": d.pk, "outcome": d.outcome, "policy_version": d.policy_version,
            "reasons": [r for r in d.reasons if isinstance(r, dict)], "details": d.details, "context": d.context,
            "made_by_name": d.made_by_name, "made_at": d.made_at,
        } for d in selectors.decisions(case)],
    }


# ------------------------------------------------------------------------------------------ cases


@router.get("/cases", response={200: CasePage, 422: ErrorOut})
def list_cases(request: HttpRequest, query: Query[CaseQuery]):
    """退出案件列表: the exit cases in the user's scope, filtered by region, step, status and year."""
    qs = selectors.cases(request.auth, selectors.CaseFilters(region=query.region, step=query.step,
                                                             status=query.status, year=query.year, q=query.q))
    return case_page(qs, query, _item)


@router.get("/cases/{case_id}", response={200: CaseDetail, 404: DetailOut})
def get_case(request: HttpRequest, case_id: RecordId):
    """一个退出案件: steps, event log, objections, exit decisions, the actions the user may try."""
    return _detail(request, case_id)


@router.post("/cases", auth=performer_auth, response={201: CaseDetail, **WRITE_RESPONSES})
def propose(request: HttpRequest, body: ProposalIn):
    """拟退出: propose one household (脱贫状态 → 2 预脱贫); the case waits at 村两委民主评议."""
    case = services.propose(actor=request.auth, household_id=body.household_id, on=body.on, year=body.year,
                            comment=body.comment, source="api")
    return Status(201, _detail(request, case.pk))


add_case_endpoints(router, module=__name__, services=services, auth=performer_auth, case_detail=CaseDetail,
                   detail=_detail, docs=CaseEndpointDocs(
                       perform_step="""完成环节: complete the case's current step with its evidence (``on`` defaults to today). At
                           ``verification`` send the verifiers and ``criterion_<id>`` for each criterion; at ``consent``
                           ``signed_by`` (the head or a member) and ``signed_on``.""",
                       reject_case="未通过 with the reason (at ``consent``: the household does not agree); the status "
                                   "goes back.",
                       withdraw_case="撤回: the proposal is withdrawn; the status goes back.",
                       record_objection="登记异议 during the village publicity; it blocks the step until resolved."))


# ------------------------------------------------------------------------------------------ villages


@router.post("/villages/{village_code}/proposals", auth=performer_auth, response={201: BatchOut, **WRITE_RESPONSES})
def propose_village(request: HttpRequest, village_code: str, body: VillageProposalIn):
    """整村拟退出: households of the village proposed together, or none (the 422 lists each blocking
    household under ``field_errors.households``)."""
    cases = services.propose_village(actor=request.auth, village_code=village_code, household_ids=body.household_ids,
                                     on=body.on, year=body.year, comment=body.comment, source="api")
    return Status(201, moved_out(cases))


@router.post("/villages/{village_code}/steps/{step}", auth=performer_auth, response={200: BatchOut, **WRITE_RESPONSES})
def village_batch(request: HttpRequest, village_code: str, step: str, body: VillageBatchIn):
    """整村办理: every open exit case of the village at ``step`` completes it together, or none does."""
    moved = services.advance_village(actor=request.auth, village_code=village_code, step=step, evidence=body.evidence,
                                     comment=body.comment, on=body.on, year=body.year, source="api")
    return moved_out(moved)


# ------------------------------------------------------------------------------------------ lists and criteria


def _rows(lists: selectors.CandidateLists, frame: Any, limit: int) -> list[dict[str, Any]]:
    out = []
    for r in lists.named(frame, limit).iter_rows(named=True):
        out.append({**{k: r.get(k) for k in ListRow.model_fields if k in r},
                    "reasons_zh": lists.reason_labels(r["failed"], lang="zh"),
                    "reasons_en": lists.reason_labels(r["failed"], lang="en")})
    return out


@router.get("/lists", response={200: ListsOut, 404: DetailOut, 422: ErrorOut})
def lists(request: HttpRequest, query: Query[ListsQuery]):
    """退出名单 of a region and year: households that meet the criteria but are not proposed, and proposed
    households that fail (with the reasons). Judged in Polars over the whole region."""
    year = query.year or services.today().year
    try:
        result = selectors.candidate_lists(request.auth, query.region, year=year, on=services.today())
    except RegionCodeError as exc:
        from fupin.core.scoping import ScopeError

        raise ScopeError("not a region") from exc
    rules = result.rules()
    return {"region": result.region.code, "year": year, "rules_version": rules.version if rules else None,
            "candidate_count": result.candidates.height, "failing_count": result.failing.height,
            "proposed_count": result.proposed.height, "candidates": _rows(result, result.candidates, query.limit),
            "failing": _rows(result, result.failing, query.limit)}


@router.get("/households/{household_id}/criteria", response={200: CriteriaOut, 404: DetailOut, 422: ErrorOut})
def household_criteria(request: HttpRequest, household_id: RecordId, query: Query[CriteriaQuery]):
    """一户的退出标准判定 (not stored): every check passed or failed, the lines and incomes it saw."""
    household = get_visible_or_404(request.auth, Household.objects.all(), pk=household_id)
    year = query.year or services.today().year
    evaluation = evaluate_household(household, year=year, on=services.today())
    d = evaluation.decision

    def checks(items: Any) -> list[dict[str, str]]:
        return [{"rule_id": r.rule_id, "label_zh": r.label_zh, "label_en": r.label_en, "kind": r.kind} for r in items]

    return {"household_id": household.pk, "year": year, "meets": d.meets, "outcome": d.outcome,
            "rules_version": d.rules_version, "policy_version": evaluation.basis.policy.version,
            "failed": checks(d.failed), "passed": checks(d.passed), "details": evaluation.details()}


@router.get("/rules", response={200: RulesOut, 404: DetailOut, 422: ErrorOut})
def rules_in_force(request: HttpRequest, query: Query[RulesQuery]):
    """退出标准与程序: the criteria (with their rule texts) and the procedure in force in a region."""
    from fupin.regions.models import Region

    try:
        code = normalize_code(query.region)
    except RegionCodeError as exc:
        from fupin.core.scoping import ScopeError

        raise ScopeError("not a region") from exc
    region = get_visible_or_404(request.auth, Region.objects.all(), code=code)
    on = query.on or services.today()
    rules, procedure = rules_for(region.code, on), procedure_for(region.code, on)
    return {"rules_version": rules.version, "label_zh": rules.label_zh, "valid_from": rules.valid_from,
            "line_series": rules.line_series, "line_standard": rules.line_standard, "lag": rules.lag,
            "stable_years": rules.stable_years, "no_exit_in_identification_year": rules.no_exit_in_identification_year,
            "no_exit_in_return_year": rules.no_exit_in_return_year,
            "criteria": [c.to_dict() for c in rules.criteria], "checks": list(rules.check_ids()),
            "procedure_version": procedure.version,
            "steps": [_step_out(procedure, s, rules.evidence_criteria) for s in procedure.steps]}

