"""The identification procedure (识别程序) in the API: cases, steps, objections, a village's batch.

Thin adapters over :mod:`fupin.identification.selectors` (scoped by :func:`fupin.core.scoping.visible_to`)
and :mod:`fupin.identification.services` (``source="api"``). Writes need ``identification.perform``
(else 404, like any write without its capability); out of scope is 404; a refused action (illegal step,
wrong role, missing evidence, publicity not over, open objection, quorum …) is 422 with the procedure's
Chinese and English message; a stale ``version`` is 409.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from fupin.identification import selectors, services
from fupin.identification.models import IdentificationCase
from fupin.policy import roles
from fupin.policy.procedure import CaseStatus, earliest_end
from fupin.registry.models import Household, Member

from . import payload
from .auth import TokenAuth
from .procedure import (
    WRITE_RESPONSES,
    EventOut,
    ObjectionOut,
    ReasonOut,
    StepIn,
    StepOut,
    event_out,
    objection_out,
    step_out,
)
from .procedure_cases import CaseEndpointDocs, add_case_endpoints, case_page, moved_out
from .schemas import DetailOut, ErrorOut, HouseholdIn, RecordId

router = Router(tags=["identification 识别程序"])
performer_auth = TokenAuth(capability=roles.PERFORM_IDENTIFICATION)


# ------------------------------------------------------------------------------------------ schemas


class CaseItem(Schema):
    """One row of the case list."""

    id: int
    household_id: int
    household_number: str
    head_name: str
    village_code: str
    procedure_id: str
    procedure_version: str
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
    step: str = Field("", description="当前环节 / current step id, e.g. democratic_review")
    status: Literal["in_progress", "registered", "rejected", "withdrawn", "all"] = "in_progress"
    q: str = Field("", description="户编号或户主姓名 / household number or head's name")
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(20, ge=1, le=100)


class DecisionOut(Schema):
    """自动判定 (fupin.rules): outcome, policy version and the rules that fired."""

    id: int
    outcome: str
    outcome_label: str
    policy_version: str
    reasons: list[ReasonOut]
    context: str
    made_by_name: str
    made_at: dt.datetime


class CaseDetail(CaseItem):
    household_status: str
    handbook_number: str
    started_on: dt.date
    closed_on: dt.date | None
    outcome_comment: str
    steps: list[StepOut]
    allowed_actions: list[str] = Field(..., description="what the requesting user may try now")
    events: list[EventOut]
    objections: list[ObjectionOut]
    decisions: list[DecisionOut]


class ApplicationIn(HouseholdIn):
    """农户申请: the household (as for 建档) with its members, and the application."""

    on: dt.date | None = Field(None, description="办理日期 / date (default today)")
    applicant: str = Field("", description="申请人 (default: the head) / applicant")
    comment: str = ""
    procedure: Literal["national", "kaizhou", "jingyu"] | None = Field(
        None, description="识别程序 (default: the region's setting) / procedure")


class VillageBatchIn(StepIn):
    version: None = None


class VillageBatchOut(Schema):
    count: int
    case_ids: list[int]


# ------------------------------------------------------------------------------------------ presenting


def _item(case: IdentificationCase) -> dict[str, Any]:
    step = case.current_step
    h = case.household
    return {
        "id": case.pk, "household_id": h.pk, "household_number": h.household_number, "head_name": h.head_name,
        "village_code": case.village_code, "procedure_id": case.procedure_id,
        "procedure_version": case.procedure_version, "step": case.step, "step_label": step.label_zh,
        "step_started_on": case.step_started_on,
        "publicity_ends_on": earliest_end(step, case.step_started_on) if case.is_open else None,
        "open_objections": case.open_objections, "status": case.status,
        "status_label": "{} {}".format(*CaseStatus.LABELS.get(case.status, (case.status, ""))),
        "version": case.version,
    }


def _detail(request: HttpRequest, case_id: int) -> dict[str, Any]:
    user = request.auth
    case = selectors.case_detail(user, case_id)
    h = case.household
    return {
        **_item(case), "household_status": h.status, "handbook_number": h.handbook_number,
        "started_on": case.started_on, "closed_on": case.closed_on, "outcome_comment": case.outcome_comment,
        "steps": [step_out(s) for s in case.get_procedure().steps],
        "allowed_actions": selectors.actions_for(user, case),
        "events": [event_out(e) for e in selectors.events(case)],
        "objections": [objection_out(o) for o in selectors.objections(case)],
        "decisions": [{
            "id": d.pk, "outcome": d.outcome, "outcome_label": d.outcome_label, "policy_version": d.policy_version,
            "reasons": [r for r in d.reasons if isinstance(r, dict)], "context": d.context,
            "made_by_name": d.made_by_name, "made_at": d.made_at,
        } for d in selectors.decisions(case)],
    }


# ------------------------------------------------------------------------------------------ endpoints


@router.get("/cases", response={200: CasePage, 422: ErrorOut})
def list_cases(request: HttpRequest, query: Query[CaseQuery]):
    """识别案件列表: the cases in the user's scope, filtered by region, current step and status."""
    qs = selectors.cases(request.auth, selectors.CaseFilters(region=query.region, step=query.step,
                                                             status=query.status, q=query.q))
    return case_page(qs, query, _item)


@router.get("/cases/{case_id}", response={200: CaseDetail, 404: DetailOut})
def get_case(request: HttpRequest, case_id: RecordId):
    """一个案件: steps, event log, objections, automatic decisions, the actions the user may try."""
    return _detail(request, case_id)


@router.post("/cases", auth=performer_auth, response={201: CaseDetail, **WRITE_RESPONSES})
def create_case(request: HttpRequest, body: ApplicationIn):
    """农户申请: the household (status applicant) with its members, and its case."""
    data = body.model_dump(exclude_unset=True)
    village_code = data.pop("village_code")
    on, applicant = data.pop("on", None), data.pop("applicant", "")
    comment, procedure = data.pop("comment", ""), data.pop("procedure", None)
    data = payload.clean(Household, data, nested={"members": Member})
    members = data.pop("members")
    evidence = {"applicant": applicant, **({"applied_on": on.isoformat()} if on else {})}
    case = services.start_case(actor=request.auth, village_code=village_code, data=data, members=members,
                               evidence=evidence, comment=comment, on=on, procedure_id=procedure, source="api")
    return Status(201, _detail(request, case.pk))


add_case_endpoints(router, module=__name__, services=services, auth=performer_auth, case_detail=CaseDetail,
                   detail=_detail, docs=CaseEndpointDocs(
                       perform_step="完成环节: complete the case's current step with its evidence (``on`` defaults to today).",
                       reject_case="驳回 with the reason; the household becomes 未纳入 (declined).",
                       withdraw_case="撤回: the household withdraws its application.",
                       record_objection="登记异议 during the current publicity step; it blocks the step until resolved."))


@router.post("/villages/{village_code}/steps/{step}", auth=performer_auth,
             response={200: VillageBatchOut, **WRITE_RESPONSES})
def village_batch(request: HttpRequest, village_code: str, step: str, body: VillageBatchIn):
    """整村办理: every open case of the village at ``step`` completes it together, or none does (the
    422 lists each blocking household under ``field_errors.households``)."""
    moved = services.advance_village(actor=request.auth, village_code=village_code, step=step,
                                     evidence=body.evidence, comment=body.comment, on=body.on, source="api")
    return moved_out(moved)
