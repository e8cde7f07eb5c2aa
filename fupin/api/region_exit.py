"""Village exit (出列) and county exit (摘帽) in the API: an area's villages with incidence, a village's
exit check and conditions, the village exit procedure, county readiness and exit.

Thin adapters over :mod:`fupin.region_exit.selectors` (scoped, ``region_exit.view``) and
:mod:`fupin.region_exit.services` (``source="api"``). Writes need their capability (conditions:
``region_exit.conditions``; the procedure: ``region_exit.perform``; a county's exit:
``region_exit.county``), else 404; out of scope is 404; a refused action is 422; a stale version 409.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from fupin.policy import clock, roles
from fupin.policy.area_exit import CountyReadiness, ExitCheck
from fupin.policy.regions import LEVEL_COUNTY, LEVEL_VILLAGE
from fupin.region_exit import selectors, services
from fupin.region_exit.models import VillageCondition, VillageExitCase

from .auth import TokenAuth
from .schemas import DetailOut, ErrorOut, RecordId

router = Router(tags=["region_exit 贫困村出列与贫困县摘帽"])
viewer_auth = TokenAuth(capability=roles.VIEW_REGION_EXIT)
conditions_auth = TokenAuth(capability=roles.RECORD_VILLAGE_CONDITIONS)
performer_auth = TokenAuth(capability=roles.PERFORM_VILLAGE_EXIT)
county_auth = TokenAuth(capability=roles.RECORD_COUNTY_EXIT)
WRITE_RESPONSES = {401: DetailOut, 404: DetailOut, 409: ErrorOut, 422: ErrorOut}
READ_RESPONSES = {401: DetailOut, 404: DetailOut, 422: ErrorOut}
STRICT = ConfigDict(extra="forbid")
CODE = Field(..., pattern=r"^\d{12}$", description="12位区划代码 / 12-digit region code")


class YearQuery(Schema):
    year: int = Field(default_factory=lambda: clock.today().year, ge=2013, le=2100)


class CheckItemOut(Schema):
    id: str
    label_zh: str
    label_en: str
    passed: bool
    detail_zh: str
    detail_en: str


class CheckOut(Schema):
    level: str
    code: str
    year: int
    passed: bool
    poor_persons: int
    population: int | None
    denominator: str
    rate: Decimal | None = Field(..., description="贫困发生率(%) / incidence in percent")
    threshold: Decimal
    policy_version: str
    items: list[CheckItemOut]


class VillageRowOut(Schema):
    code: str
    name: str
    is_poor_village: bool
    exit_year: int | None
    poor_households: int
    poor_persons: int
    population: int | None
    rate: float | None
    threshold: float
    below: bool | None
    conditions_recorded: bool
    open_case: int | None


class ReadinessOut(Schema):
    ready: bool
    check: CheckOut
    poor_households: int
    poor_persons: int
    poor_villages: int
    poor_villages_exited: int
    poor_villages_remaining: int
    exit_year: int | None


class AreaOut(Schema):
    code: str
    name: str
    year: int
    policy_version: str
    villages: list[VillageRowOut]
    readiness: ReadinessOut | None


class ConditionsIn(Schema):
    model_config = STRICT
    road: bool | None = None
    water: bool | None = None
    power: bool | None = None
    clinic: bool | None = None
    broadband: bool | None = None
    collective_income: Decimal | None = Field(None, ge=0, description="村集体经济收入(元) / yuan")
    evidence: str | None = None
    version: int | None = None


class ConditionsOut(Schema):
    village_code: str
    year: int
    road: bool
    water: bool
    power: bool
    clinic: bool
    broadband: bool
    collective_income: Decimal | None
    evidence: str
    recorded_by: str
    version: int


class EventOut(Schema):
    step: str
    action: str
    on: dt.date
    actor: str
    role: str
    comment: str
    evidence: dict[str, Any]
    exit_check: dict[str, Any]


class CaseOut(Schema):
    id: int
    village_code: str
    year: int
    step: str
    status: str
    procedure_version: str
    policy_version: str
    step_started_on: dt.date
    publicity_ends_on: dt.date | None
    open_objections: int
    version: int
    actions: list[str]
    events: list[EventOut]


class ProposeIn(Schema):
    model_config = STRICT
    year: int = Field(..., ge=2013, le=2100)
    on: dt.date | None = None
    evidence: dict[str, Any] = Field(default_factory=dict, description='{"reviewer": …, "opinion": …}')
    comment: str = ""


class ActionIn(Schema):
    model_config = STRICT
    kind: Literal["complete", "reject", "object", "resolve", "withdraw"]
    step: str
    on: dt.date | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)
    comment: str = ""
    raised_by: str = ""
    objection_id: int | None = None
    upheld: bool = False
    version: int | None = None


class CountyExitIn(Schema):
    model_config = STRICT
    year: int = Field(..., ge=2013, le=2100)
    approved_on: dt.date
    document: str
    comment: str = ""


def _check(c: ExitCheck) -> dict[str, Any]:
    return {"level": c.level, "code": c.code, "year": c.year, "passed": c.passed,
            "poor_persons": c.incidence.poor_persons, "population": c.incidence.population,
            "denominator": c.denominator, "rate": c.incidence.rate, "threshold": c.threshold,
            "policy_version": c.policy_version,
            "items": [{"id": i.id, "label_zh": i.label_zh, "label_en": i.label_en, "passed": i.passed,
                       "detail_zh": i.detail_zh, "detail_en": i.detail_en} for i in c.items]}


def _readiness(r: CountyReadiness, exit_year: int | None) -> dict[str, Any]:
    return {"ready": r.ready, "check": _check(r.check), "poor_households": r.poor_households,
            "poor_persons": r.poor_persons, "poor_villages": r.poor_villages,
            "poor_villages_exited": r.poor_villages_exited, "poor_villages_remaining": r.poor_villages_remaining,
            "exit_year": exit_year}


def _conditions(c: VillageCondition) -> dict[str, Any]:
    return {"village_code": c.village_code, "year": c.year, "road": c.road, "water": c.water, "power": c.power,
            "clinic": c.clinic, "broadband": c.broadband, "collective_income": c.collective_income,
            "evidence": c.evidence, "recorded_by": c.recorded_by_name, "version": c.version}


def _case(request: HttpRequest, case: VillageExitCase) -> dict[str, Any]:
    return {"id": case.pk, "village_code": case.village_code, "year": case.year, "step": case.step,
            "status": case.status, "procedure_version": case.procedure_version, "policy_version": case.policy_version,
            "step_started_on": case.step_started_on, "publicity_ends_on": case.publicity_ends_on,
            "open_objections": case.open_objections, "version": case.version,
            "actions": selectors.actions_for(request.auth, case),
            "events": [{"step": e.step, "action": e.action, "on": e.on, "actor": e.actor_name, "role": e.actor_role,
                        "comment": e.comment, "evidence": e.evidence, "exit_check": e.exit_check}
                       for e in selectors.events(case)]}


@router.get("/areas/{code}", auth=viewer_auth, response={200: AreaOut, **READ_RESPONSES})
def area(request: HttpRequest, code: str, query: Query[YearQuery]):
    """一个县或乡镇的贫困村: incidence (scoped figures), conditions recorded, exit; for a county, 摘帽 readiness."""
    region = selectors.region(request.auth, code)
    if region.level not in (LEVEL_COUNTY, LEVEL_VILLAGE - 1):
        from fupin.core.scoping import ScopeError

        raise ScopeError("不存在或无权查看 / not found")
    rows = selectors.villages_of(request.auth, region, query.year)
    readiness = None
    if region.level == LEVEL_COUNTY:
        readiness = _readiness(services.county_readiness(region.code, query.year), region.exit_year)
    return {"code": region.code, "name": region.name, "year": query.year,
            "policy_version": services.effective_area_policy(region.code).version, "readiness": readiness,
            "villages": [{**{k: getattr(r, k) for k in ("code", "name", "is_poor_village", "exit_year",
                                                         "poor_households", "poor_persons", "population", "rate",
                                                         "threshold", "below")},
                          "conditions_recorded": r.conditions is not None,
                          "open_case": r.open_case.pk if r.open_case else None} for r in rows]}


@router.get("/villages/{code}/check", auth=viewer_auth, response={200: CheckOut, **READ_RESPONSES})
def village_check(request: HttpRequest, code: str, query: Query[YearQuery]):
    """出列核查: the village's incidence and conditions against the policy for the year."""
    village = selectors.region(request.auth, code, LEVEL_VILLAGE)
    return _check(services.check_village_exit(village.code, query.year))


@router.get("/villages/{code}/conditions", auth=viewer_auth, response={200: list[ConditionsOut], **READ_RESPONSES})
def village_conditions(request: HttpRequest, code: str):
    village = selectors.region(request.auth, code, LEVEL_VILLAGE)
    return [_conditions(c) for c in selectors.conditions(request.auth, village.code)]


@router.put("/villages/{code}/conditions/{year}", auth=conditions_auth, response={200: ConditionsOut, **WRITE_RESPONSES})
def record_conditions(request: HttpRequest, code: str, year: int, body: ConditionsIn):
    """填报出列条件 for a year (fields not sent keep their value; new rows default to not met)."""
    data = body.model_dump(exclude_unset=True)
    version = data.pop("version", None)
    row = services.record_conditions(actor=request.auth, village_code=code, year=year, data=data,
                                     expected_version=version, source="api")
    return _conditions(row)


@router.get("/villages/{code}/cases", auth=viewer_auth, response={200: list[CaseOut], **READ_RESPONSES})
def village_cases(request: HttpRequest, code: str):
    village = selectors.region(request.auth, code, LEVEL_VILLAGE)
    return [_case(request, c) for c in selectors.cases(request.auth, village.code)]


@router.post("/villages/{code}/cases", auth=performer_auth, response={201: CaseOut, **WRITE_RESPONSES})
def propose(request: HttpRequest, code: str, body: ProposeIn):
    """乡镇提出: open the village's exit case; the exit check runs and must pass."""
    case = services.propose_village_exit(actor=request.auth, village_code=code, year=body.year,
                                         evidence=body.evidence, on=body.on, comment=body.comment, source="api")
    return Status(201, _case(request, case))


@router.get("/cases/{case_id}", auth=viewer_auth, response={200: CaseOut, **READ_RESPONSES})
def get_case(request: HttpRequest, case_id: RecordId):
    return _case(request, selectors.case_detail(request.auth, case_id))


@router.post("/cases/{case_id}/actions", auth=performer_auth, response={200: CaseOut, **WRITE_RESPONSES})
def act(request: HttpRequest, case_id: RecordId, body: ActionIn):
    """An action on the case: complete the current step, reject, record or resolve an objection, withdraw."""
    services.act_on_village_exit(actor=request.auth, case_id=case_id, kind=body.kind, step_id=body.step, on=body.on,
                                 evidence=body.evidence, comment=body.comment, raised_by=body.raised_by,
                                 objection_id=body.objection_id, upheld=body.upheld, expected_version=body.version,
                                 source="api")
    return _case(request, selectors.case_detail(request.auth, case_id))


@router.get("/counties/{code}/readiness", auth=viewer_auth, response={200: ReadinessOut, **READ_RESPONSES})
def readiness(request: HttpRequest, code: str, query: Query[YearQuery]):
    """摘帽 readiness: incidence against the threshold, poor villages exited/remaining, households remaining."""
    county = selectors.region(request.auth, code, LEVEL_COUNTY)
    return _readiness(services.county_readiness(county.code, query.year), county.exit_year)


@router.post("/counties/{code}/exit", auth=county_auth, response={201: ReadinessOut, **WRITE_RESPONSES})
def county_exit(request: HttpRequest, code: str, body: CountyExitIn):
    """贫困县摘帽: record the province's approval (refused unless ready)."""
    services.record_county_exit(actor=request.auth, county_code=code, year=body.year, approved_on=body.approved_on,
                                document=body.document, comment=body.comment, source="api")
    county = selectors.region(request.auth, code, LEVEL_COUNTY)
    return Status(201, _readiness(services.county_readiness(county.code, body.year), county.exit_year))
