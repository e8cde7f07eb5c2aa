"""Return-to-poverty monitoring (防返贫监测) in the API: the monitoring list with reasons, a household's
monitoring record, the procedure's steps, income checks, risk elimination, and the flag and elimination runs.

Thin adapters over :mod:`fupin.monitoring.selectors` (scoped by :func:`fupin.core.scoping.visible_to`,
``monitoring.view``) and the services (``source="api"``). The schemas and presenters of events, objections,
steps and reasons, and the list's page, are the case procedures' (:mod:`.procedure`, :mod:`.procedure_cases`);
the endpoints are monitoring's own (its paths say ``objects/{object_id}``, its operation ids and summaries
are its functions' names, and its writes interleave with 排除, so the shared
:func:`~.procedure_cases.add_case_endpoints` would change the OpenAPI document). Writes on an object need ``monitoring.perform``,
runs and eliminations ``monitoring.run`` (else 404, like any write without its capability); out of scope
is 404; a refused action (illegal step, wrong role, missing evidence, notice of fewer than 5 days, open
objection, conditions not met …) is 422 with a Chinese and English message; a stale ``version`` is 409.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from fupin.monitoring import runs as monitoring_runs
from fupin.monitoring import selectors, services
from fupin.monitoring.choices import Channel
from fupin.monitoring.errors import MonitoringError
from fupin.monitoring.models import MonitoringObject, MonitoringRun
from fupin.monitoring.policies import effective_monitoring, line_for
from fupin.policy import roles
from fupin.policy.regions import RegionCodeError, level_of, normalize_code
from fupin.registry.models import Household, Member

from . import payload, procedure
from .auth import TokenAuth
from .procedure import (
    STRICT,
    WRITE_RESPONSES,
    ObjectionIn,
    ReasonIn,
    ReasonOut,
    ResolveIn,
    event_out,
    objection_out,
    step_out,
)
from .procedure_cases import case_page
from .schemas import DetailOut, ErrorOut, HouseholdIn, RecordId

router = Router(tags=["monitoring 防返贫监测"])
performer_auth = TokenAuth(capability=roles.PERFORM_MONITORING)
runner_auth = TokenAuth(capability=roles.RUN_MONITORING)
ChannelIn = Literal["self_report", "cadre"]


# ------------------------------------------------------------------------------------------ schemas


class LineOut(Schema):
    """监测范围: the line used, the year and region of the line, and the policy version."""

    amount: Decimal
    year: int
    region: str
    note: str
    policy_version: str


class ObjectItem(Schema):
    """One row of the monitoring list, with its reasons (risk causes)."""

    id: int
    household_id: int
    household_number: str
    head_name: str
    village_code: str
    type: str
    type_label: str
    status: str
    status_label: str
    channel: str
    risk_causes: list[ReasonOut]
    cause_note: str
    line: LineOut
    flagged_on: dt.date
    monitored_on: dt.date | None
    closed_on: dt.date | None
    run_id: int | None
    step: str
    version: int


class ObjectPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[ObjectItem]


class ObjectQuery(Schema):
    region: str = Field("", description="区划代码 / region code")
    status: Literal["open", "flagged", "identifying", "monitored", "eliminated", "dismissed", "all"] = "open"
    type: Literal["", "unstable_exited", "edge", "sudden_hardship"] = ""
    cause: str = Field("", description="风险类型(规则编号) / a flag rule id, e.g. large_medical_spending")
    q: str = Field("", description="户编号或户主姓名 / household number or head's name")
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(20, ge=1, le=100)


class StepOut(Schema):
    id: str
    label_zh: str
    label_en: str
    level: str
    roles: list[str]
    evidence_fields: list[str]
    publicity_days: int | None


class FlagOut(Schema):
    id: int
    rule_id: str
    label_zh: str
    label_en: str
    rule_text: str
    sudden: bool
    policy_version: str
    values: dict[str, Any]
    raised_on: dt.date
    run_id: int | None


class EventOut(Schema):
    id: int
    step: str
    action: str
    on: dt.date
    at: dt.datetime
    actor_name: str
    actor_role: str
    evidence: dict[str, Any]
    comment: str
    objection_id: int | None


class ObjectionOut(Schema):
    id: int
    object_id: int
    step: str
    raised_by: str
    text: str
    raised_on: dt.date
    resolved_on: dt.date | None
    resolved_by_name: str
    resolution: str
    upheld: bool | None


class IncomeCheckOut(Schema):
    id: int
    checked_on: dt.date
    income_per_capita: Decimal
    note: str
    recorded_by_name: str


class DecisionOut(Schema):
    """风险消除判定: eliminable or not, the conditions not met, the facts, the policy version."""

    id: int
    made_on: dt.date
    eliminable: bool
    stays_monitored: bool
    failed: list[ReasonOut]
    facts: dict[str, Any]
    policy_version: str
    run_id: int | None


class ObjectDetail(ObjectItem):
    close_reason: str
    procedure_version: str
    steps: list[StepOut]
    step_started_on: dt.date | None
    publicity_ends_on: dt.date | None
    open_objections: int
    allowed_actions: list[str] = Field(..., description="what the requesting user may try now")
    flags: list[FlagOut]
    events: list[EventOut]
    objections: list[ObjectionOut]
    income_checks: list[IncomeCheckOut]
    decisions: list[DecisionOut]


class HouseholdRecord(Schema):
    """一户的监测记录."""

    household_id: int
    household_number: str
    head_name: str
    record_status: str
    poverty_status: str
    objects: list[ObjectItem]


class FlagIn(Schema):
    household_id: RecordId
    causes: list[str] = Field(default_factory=list, description="风险类型(规则编号) / flag rule ids")
    note: str = Field("", description="风险情况说明 / what happened")
    channel: ChannelIn = "cadre"
    on: dt.date | None = None

    model_config = STRICT


class EdgeHouseholdIn(HouseholdIn):
    """边缘易致贫户 / 突发严重困难户 not on the registry: the household (as for 建档) and the flag."""

    causes: list[str] = Field(default_factory=list)
    note: str = ""
    channel: ChannelIn = "cadre"
    on: dt.date | None = None


class StepIn(procedure.StepIn):
    version: int | None = Field(None, description="the object version the client read (并发控制)")


class IncomeCheckIn(Schema):
    income_per_capita: Decimal = Field(..., ge=0, description="人均纯收入(元/年) / net income per person a year")
    checked_on: dt.date | None = None
    note: str = ""

    model_config = STRICT


class DatedIn(Schema):
    on: dt.date | None = None
    comment: str = ""
    version: int | None = None

    model_config = STRICT


class RunIn(Schema):
    region_code: str = Field("", description="区划代码 (default: the user's region) / region code")
    on: dt.date | None = Field(None, description="评估日期 (default today) / as of")

    model_config = STRICT


class RunOut(Schema):
    id: int
    kind: str
    region_code: str
    on: dt.date
    status: str
    policy_versions: list[str]
    data_lists: list[int]
    counts: dict[str, Any]
    actor_name: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    seconds: float
    error: str


class RunItem(Schema):
    object_id: int
    household_id: int
    household_number: str
    type: str | None = None
    risk_causes: list[ReasonOut] = Field(default_factory=list)
    eliminable: bool | None = None
    stays_monitored: bool | None = None
    failed: list[ReasonOut] = Field(default_factory=list)


class RunDetail(RunOut):
    items: list[RunItem]
    items_count: int


class RunPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[RunOut]


class LineQuery(Schema):
    region: str = Field(..., description="县级或以下区划代码 / a county (or lower) code")
    year: int = Field(..., ge=2020, le=2100)


class ResolvedLineOut(LineOut):
    carried: bool = Field(..., description="沿用往年 / an earlier year's line still in force")
    unconfirmed: bool
    asked_year: int


# ------------------------------------------------------------------------------------------ presenting


def _reasons(items: Any) -> list[dict[str, Any]]:
    return [r for r in items or [] if isinstance(r, dict)]


def _item(o: MonitoringObject) -> dict[str, Any]:
    h = o.household
    return {
        "id": o.pk, "household_id": h.pk, "household_number": h.household_number, "head_name": h.head_name,
        "village_code": o.village_code, "type": o.type, "type_label": o.get_type_display(), "status": o.status,
        "status_label": o.get_status_display(), "channel": o.channel, "risk_causes": _reasons(o.risk_causes),
        "cause_note": o.cause_note,
        "line": {"amount": o.line_amount, "year": o.line_year, "region": o.line_region, "note": o.line_note,
                 "policy_version": o.policy_version},
        "flagged_on": o.flagged_on, "monitored_on": o.monitored_on, "closed_on": o.closed_on, "run_id": o.run_id,
        "step": o.step, "version": o.version,
    }


def _detail(request: HttpRequest, object_id: int) -> dict[str, Any]:
    user = request.auth
    o = selectors.object_detail(user, object_id)
    procedure = o.get_procedure() or effective_monitoring(o.county_code, services.today()).procedure
    return {
        **_item(o), "close_reason": o.close_reason, "procedure_version": o.procedure_version,
        "steps": [step_out(s, decision=False) for s in procedure.steps], "step_started_on": o.step_started_on,
        "publicity_ends_on": o.publicity_ends_on, "open_objections": o.open_objections,
        "allowed_actions": selectors.actions_for(user, o),
        "flags": [{"id": f.pk, "rule_id": f.rule_id, "label_zh": f.label_zh, "label_en": f.label_en,
                   "rule_text": f.rule_text, "sudden": f.sudden, "policy_version": f.policy_version,
                   "values": f.values, "raised_on": f.raised_on, "run_id": f.run_id} for f in selectors.flags(o)],
        "events": [event_out(e, decision=False) for e in selectors.events(o)],
        "objections": [_objection(x) for x in selectors.objections(o)],
        "income_checks": [{"id": c.pk, "checked_on": c.checked_on, "income_per_capita": c.income_per_capita,
                           "note": c.note, "recorded_by_name": c.recorded_by_name} for c in selectors.income_checks(o)],
        "decisions": [_decision(d) for d in selectors.decisions(o)],
    }


def _decision(d: Any) -> dict[str, Any]:
    return {"id": d.pk, "made_on": d.made_on, "eliminable": d.eliminable, "stays_monitored": d.stays_monitored,
            "failed": _reasons(d.failed), "facts": d.facts, "policy_version": d.policy_version, "run_id": d.run_id}


def _objection(o: Any) -> dict[str, Any]:
    return objection_out(o, "object_id")


def _run(r: MonitoringRun) -> dict[str, Any]:
    return {"id": r.pk, "kind": r.kind, "region_code": r.region_code, "on": r.on, "status": r.status,
            "policy_versions": r.policy_versions or [], "data_lists": r.data_lists or [], "counts": r.counts or {},
            "actor_name": r.actor_name, "started_at": r.started_at, "finished_at": r.finished_at,
            "seconds": r.seconds, "error": r.error}


# ------------------------------------------------------------------------------------------ reads


@router.get("/objects", response={200: ObjectPage, 422: ErrorOut})
def list_objects(request: HttpRequest, query: Query[ObjectQuery]):
    """监测对象列表: the objects in the user's scope with their reasons, filtered."""
    qs = selectors.objects(request.auth, selectors.ObjectFilters(region=query.region, status=query.status,
                                                                 type=query.type, cause=query.cause, q=query.q))
    return case_page(qs, query, _item)


@router.get("/objects/{object_id}", response={200: ObjectDetail, 404: DetailOut})
def get_object(request: HttpRequest, object_id: RecordId):
    """一个监测对象: flags with rule versions, procedure steps, events, objections, income checks, decisions."""
    return _detail(request, object_id)


@router.get("/households/{household_id}", response={200: HouseholdRecord, 404: DetailOut})
def household_record(request: HttpRequest, household_id: RecordId):
    """一户的监测记录: every monitoring object of the household, newest first."""
    household, objs = selectors.household_record(request.auth, household_id)
    return {"household_id": household.pk, "household_number": household.household_number,
            "head_name": household.head_name, "record_status": household.status,
            "poverty_status": household.poverty_status, "objects": [_item(o) for o in objs]}


@router.get("/line", response={200: ResolvedLineOut, 404: DetailOut, 422: ErrorOut})
def monitoring_line(request: HttpRequest, query: Query[LineQuery]):
    """监测范围: the monitoring line of a county for a year (the policy in force on 31 December of it, or today)."""
    try:
        code = normalize_code(query.region)
    except RegionCodeError as exc:
        raise MonitoringError.on("region", str(exc)) from exc
    if level_of(code) < 3:
        raise MonitoringError.on("region", "请给出县级或以下区划 / give a county (or lower) code")
    from fupin.core.scoping import require_in_scope

    require_in_scope(request.auth, code, roles.VIEW_MONITORING)
    on = min(dt.date(query.year, 12, 31), services.today())
    policy = effective_monitoring(code, on)
    line = line_for(policy, code[:6].ljust(12, "0"), query.year, on)
    return {"amount": Decimal(str(line.amount)).quantize(Decimal("0.01")), "year": line.year, "region": line.region, "note": line.describe(),
            "policy_version": policy.version, "carried": line.carried, "unconfirmed": line.line.unconfirmed,
            "asked_year": query.year}


# ------------------------------------------------------------------------------------------ object writes


@router.post("/objects", auth=performer_auth, response={201: ObjectDetail, **WRITE_RESPONSES})
def flag_household(request: HttpRequest, body: FlagIn):
    """发现: flag a household on the registry (self-report or cadre screening) with its risk causes."""
    o = services.flag_household(actor=request.auth, household_id=body.household_id, causes=body.causes,
                                note=body.note, channel=body.channel, on=body.on, source="api")
    return Status(201, _detail(request, o.pk))


@router.post("/households", auth=performer_auth, response={201: ObjectDetail, **WRITE_RESPONSES})
def record_edge_household(request: HttpRequest, body: EdgeHouseholdIn):
    """A household not on the registry: recorded as 监测户 with its members, and flagged."""
    data = body.model_dump(exclude_unset=True)
    village_code = data.pop("village_code")
    causes, note = data.pop("causes", []), data.pop("note", "")
    channel, on = data.pop("channel", Channel.CADRE), data.pop("on", None)
    data = payload.clean(Household, data, nested={"members": Member})
    members = data.pop("members")
    o = services.record_edge_household(actor=request.auth, village_code=village_code, data=data, members=members,
                                       causes=causes, note=note, channel=channel, on=on, source="api")
    return Status(201, _detail(request, o.pk))


@router.post("/objects/{object_id}/start", auth=performer_auth, response={200: ObjectDetail, **WRITE_RESPONSES})
def start_identification(request: HttpRequest, object_id: RecordId, body: StepIn):
    """发现核实: begin the procedure with the household check (its evidence)."""
    services.start_identification(actor=request.auth, object_id=object_id, evidence=body.evidence,
                                  comment=body.comment, on=body.on, expected_version=body.version, source="api")
    return _detail(request, object_id)


@router.post("/objects/{object_id}/steps/{step}", auth=performer_auth, response={200: ObjectDetail, **WRITE_RESPONSES})
def perform_step(request: HttpRequest, object_id: RecordId, step: str, body: StepIn):
    """完成环节: complete the current step (村级评议, 村内公示 ≥ 5 days, 乡镇审核, 县级确定)."""
    services.perform_step(actor=request.auth, object_id=object_id, step=step, evidence=body.evidence,
                          comment=body.comment, on=body.on, expected_version=body.version, source="api")
    return _detail(request, object_id)


@router.post("/objects/{object_id}/reject", auth=performer_auth, response={200: ObjectDetail, **WRITE_RESPONSES})
def reject(request: HttpRequest, object_id: RecordId, body: ReasonIn):
    """不予纳入 at the current step, with the reason."""
    services.reject(actor=request.auth, object_id=object_id, reason=body.reason, on=body.on,
                    expected_version=body.version, source="api")
    return _detail(request, object_id)


@router.post("/objects/{object_id}/withdraw", auth=performer_auth, response={200: ObjectDetail, **WRITE_RESPONSES})
def withdraw(request: HttpRequest, object_id: RecordId, body: ReasonIn):
    """撤回: the household withdraws, with the reason."""
    services.withdraw(actor=request.auth, object_id=object_id, reason=body.reason, on=body.on,
                      expected_version=body.version, source="api")
    return _detail(request, object_id)


@router.post("/objects/{object_id}/dismiss", auth=performer_auth, response={200: ObjectDetail, **WRITE_RESPONSES})
def dismiss(request: HttpRequest, object_id: RecordId, body: ReasonIn):
    """排除: a flagged household the check found not at risk."""
    services.dismiss(actor=request.auth, object_id=object_id, reason=body.reason, on=body.on,
                     expected_version=body.version, source="api")
    return _detail(request, object_id)


@router.post("/objects/{object_id}/objections", auth=performer_auth, response={201: ObjectionOut, **WRITE_RESPONSES})
def record_objection(request: HttpRequest, object_id: RecordId, body: ObjectionIn):
    """登记异议 during the village notice; it blocks the notice until resolved."""
    o = services.record_objection(actor=request.auth, object_id=object_id, raised_by=body.raised_by, text=body.text,
                                  on=body.on, source="api")
    return Status(201, _objection(o))


@router.post("/objections/{objection_id}/resolve", auth=performer_auth, response={200: ObjectionOut, **WRITE_RESPONSES})
def resolve_objection(request: HttpRequest, objection_id: RecordId, body: ResolveIn):
    """处理异议: the finding; ``upheld`` means the object must then be rejected."""
    o = services.resolve_objection(actor=request.auth, objection_id=objection_id, resolution=body.resolution,
                                   upheld=body.upheld, on=body.on, source="api")
    return _objection(o)


@router.post("/objects/{object_id}/income-checks", auth=performer_auth,
             response={201: IncomeCheckOut, **WRITE_RESPONSES})
def record_income_check(request: HttpRequest, object_id: RecordId, body: IncomeCheckIn):
    """收入核查: the household's net income per person (yuan a year) on a date."""
    c = services.record_income_check(actor=request.auth, object_id=object_id, income_per_capita=body.income_per_capita,
                                     checked_on=body.checked_on, note=body.note, source="api")
    return Status(201, {"id": c.pk, "checked_on": c.checked_on, "income_per_capita": c.income_per_capita,
                        "note": c.note, "recorded_by_name": c.recorded_by_name})


@router.post("/objects/{object_id}/assess", auth=performer_auth, response={201: DecisionOut, **WRITE_RESPONSES})
def assess(request: HttpRequest, object_id: RecordId, body: DatedIn):
    """风险消除评估: assess a monitored object now; the decision is stored with its reasons."""
    d = services.assess(actor=request.auth, object_id=object_id, on=body.on, source="api")
    return Status(201, _decision(d))


@router.post("/objects/{object_id}/eliminate", auth=runner_auth, response={200: ObjectDetail, **WRITE_RESPONSES})
def eliminate(request: HttpRequest, object_id: RecordId, body: DatedIn):
    """风险消除: close a monitored object when every condition holds (422 with the conditions not met)."""
    services.eliminate(actor=request.auth, object_id=object_id, comment=body.comment, on=body.on,
                       expected_version=body.version, source="api")
    return _detail(request, object_id)


# ------------------------------------------------------------------------------------------ runs


class RunQuery(Schema):
    kind: Literal["", "flag", "elimination"] = ""
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(20, ge=1, le=100)


@router.get("/runs", response={200: RunPage, 422: ErrorOut})
def list_runs(request: HttpRequest, query: Query[RunQuery]):
    """批量运行: flag runs and elimination runs of the user's scope, newest first."""
    qs = selectors.runs(request.auth, query.kind)
    start = (query.page - 1) * query.page_size
    return {"count": qs.count(), "page": query.page, "page_size": query.page_size,
            "items": [_run(r) for r in qs[start: start + query.page_size]]}


@router.post("/runs/flag", auth=runner_auth, response={201: RunOut, **WRITE_RESPONSES})
def run_flags(request: HttpRequest, body: RunIn):
    """风险识别: flag the region's households at risk (rules over the registry and department data)."""
    run = monitoring_runs.run_flags(actor=request.auth, region_code=body.region_code or None, on=body.on,
                                    source="api")
    return Status(201, _run(run))


@router.post("/runs/elimination", auth=runner_auth, response={201: RunOut, **WRITE_RESPONSES})
def run_elimination(request: HttpRequest, body: RunIn):
    """风险消除: assess every monitored object of the region (decisions with reasons; no status changes)."""
    run = monitoring_runs.run_elimination(actor=request.auth, region_code=body.region_code or None, on=body.on,
                                          source="api")
    return Status(201, _run(run))


@router.get("/runs/{run_id}", response={200: RunDetail, 404: DetailOut})
def get_run(request: HttpRequest, run_id: RecordId, limit: int = 200):
    """一次运行: its counts, and the objects it flagged or the decisions it made (the first ``limit``, ≤ 5000)."""
    user = request.auth
    limit = max(1, min(int(limit), 5000))
    run = selectors.run_detail(user, run_id)
    items: list[dict[str, Any]] = []
    if run.kind == "flag":
        qs = selectors.run_objects(user, run)
        items = [{"object_id": o.pk, "household_id": o.household_id,
                  "household_number": o.household.household_number, "type": o.type,
                  "risk_causes": _reasons(o.risk_causes)} for o in qs[:limit]]
    else:
        qs = selectors.run_decisions(user, run)
        items = [{"object_id": d.object_id, "household_id": d.object.household_id,
                  "household_number": d.object.household.household_number, "eliminable": d.eliminable,
                  "stays_monitored": d.stays_monitored, "failed": _reasons(d.failed)} for d in qs[:limit]]
    return {**_run(run), "items": items, "items_count": qs.count()}
