"""Assistance (精准帮扶) in the API: the measure catalogue, plans (一户一策), planned measures and their
status, measures given, visits with photos, the 七清 of a household and overdue visits.

Thin adapters over :mod:`fupin.assistance.selectors` (scoped by :func:`fupin.core.scoping.visible_to`; a
helper's token sees the households paired to them) and :mod:`fupin.assistance.services` (``source="api"``).
Out of scope, or a write the user may not make (not the household's helper nor an editor of its region;
approval by a role the catalogue does not name): 404. A refused write (illegal status move, missing
reason, amount above a limit, bad photo …) is 422 with the Chinese and English message; a stale
``version`` is 409.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ConfigDict

from fupin.assistance import selectors, services
from fupin.assistance.catalogue import effective_catalogue
from fupin.assistance.models import HouseholdPlan, MeasureGiven, PlannedMeasure, Visit
from fupin.core.scoping import region_in_scope
from fupin.policy import roles
from fupin.policy.measures import MEASURE_STATUS_LABELS, PLAN_STATUS_LABELS, load_default_catalogue
from fupin.policy.regions import RegionCodeError, normalize_code

from .schemas import DetailOut, ErrorOut, RecordId

router = Router(tags=["assistance 精准帮扶"])
WRITE_RESPONSES = {401: DetailOut, 404: DetailOut, 409: ErrorOut, 422: ErrorOut}
STRICT = ConfigDict(extra="forbid")


# ------------------------------------------------------------------------------------------ schemas


class MeasureTypeOut(Schema):
    id: str
    group: str
    group_label: str
    label_zh: str
    label_en: str
    unit: str
    unit_label: str
    level: str
    amounts: dict[str, Decimal] = Field(..., description="元/单位 by variant (standard, deep_poverty)")
    max_amount: Decimal | None
    max_term_months: int | None
    enabled: bool
    description: str


class CatalogueOut(Schema):
    version: str
    visit_interval_days: int
    due_window_days: int
    approver_roles: list[str]
    measure_types: list[MeasureTypeOut]


class ReasonOut(Schema):
    kind: str = Field(..., description="pathway, cause or condition")
    label_zh: str
    label_en: str
    scheme_id: str = ""
    pathway_id: str = ""
    cause: str = ""
    rule: str = ""


class SuggestionOut(Schema):
    measure_type: str
    label: str
    reasons: list[ReasonOut]


class PlannedMeasureOut(Schema):
    id: int
    plan_id: int
    household_id: int
    measure_type: str
    measure_label: str
    description: str
    quantity: Decimal | None
    planned_amount: Decimal | None
    target_date: dt.date
    helper_id: int | None
    helper_name: str
    expected_income: Decimal
    status: str
    status_label: str
    started_on: dt.date | None
    done_on: dt.date | None
    dropped_on: dt.date | None
    drop_reason: str
    reasons: list[ReasonOut]
    version: int


class PlanOut(Schema):
    id: int
    household_id: int
    household_number: str
    head_name: str
    village_code: str
    year: int
    status: str
    status_label: str
    goal: str
    catalogue_version: str
    created_by_name: str
    approved_by_name: str
    approved_at: dt.datetime | None
    version: int


class PlanDetail(PlanOut):
    measures: list[PlannedMeasureOut]
    suggestions: list[SuggestionOut]


class PlanPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[PlanOut]


class PlanQuery(Schema):
    region: str = Field("", description="区划代码(2/4/6/9/12位) / region code")
    year: int | None = Field(None, ge=2014, le=2100)
    status: Literal["draft", "approved", "closed", ""] = ""
    household_id: int | None = Field(None, ge=1, le=2**63 - 1)
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(20, ge=1, le=100)


class PlanIn(Schema):
    household_id: RecordId
    year: int = Field(..., ge=2014, le=2100)
    goal: str = ""

    model_config = STRICT


class PlanMoveIn(Schema):
    version: int | None = Field(None, description="the plan version the client read (并发控制)")
    comment: str = ""

    model_config = STRICT


class MeasureIn(Schema):
    measure_type: str = Field(..., description="措施类型 id (GET /assistance/measure-types)")
    target_date: dt.date = Field(..., description="完成时限 (倒排工期)")
    description: str = ""
    helper_id: int | None = Field(None, ge=1, description="责任人: a current helper of the household")
    expected_income: Decimal = Field(Decimal(0), ge=0, max_digits=12, decimal_places=2)
    quantity: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    planned_amount: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)

    model_config = STRICT


class StatusIn(Schema):
    status: Literal["in_progress", "done", "dropped"]
    reason: str = Field("", description="required for dropped")
    on: dt.date | None = None
    version: int | None = Field(None, description="the measure version the client read (并发控制)")

    model_config = STRICT


class GivenOut(Schema):
    id: int
    household_id: int
    measure_type: str
    measure_label: str
    given_on: dt.date
    amount: Decimal
    unit: str
    quantity: Decimal | None
    term_months: int | None
    description: str
    planned_measure_id: int | None
    project_ref: str
    fund_ref: str
    loan_ref: str
    recorded_by_name: str
    cancelled: bool
    cancel_reason: str


class GivenIn(Schema):
    household_id: RecordId
    measure_type: str
    given_on: dt.date
    amount: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2,
                                   description="元; empty: the catalogue's amount for the quantity")
    quantity: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    unit: str = Field("", description="empty: the measure type's unit")
    variant: Literal["standard", "deep_poverty"] = "standard"
    term_months: int | None = Field(None, ge=0, le=600)
    description: str = ""
    planned_measure_id: int | None = Field(None, ge=1)
    project_ref: str = Field("", max_length=80)
    fund_ref: str = Field("", max_length=80)
    loan_ref: str = Field("", max_length=80)

    model_config = STRICT


class CancelIn(Schema):
    reason: str

    model_config = STRICT


class ListQuery(Schema):
    household_id: int | None = Field(None, ge=1, le=2**63 - 1)
    helper_id: int | None = Field(None, ge=1, le=2**63 - 1)
    region: str = ""
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(50, ge=1, le=200)


class GivenPage(Schema):
    count: int
    items: list[GivenOut]


class PhotoOut(Schema):
    id: int
    content_type: str
    size: int
    url: str


class VisitOut(Schema):
    id: int
    helper_id: int
    helper_name: str
    household_id: int
    visited_on: dt.date
    found: str
    agreed: str
    recorded_by_name: str
    photos: list[PhotoOut]


class VisitPage(Schema):
    count: int
    items: list[VisitOut]


class VisitIn(Schema):
    household_id: RecordId
    visited_on: dt.date
    found: str
    agreed: str = ""
    helper_id: int | None = Field(None, ge=1, description="empty: the helper linked to the token's user")

    model_config = STRICT


class OverdueRow(Schema):
    helper_id: int
    helper_name: str
    unit: str
    households: int
    overdue: int
    never_visited: int
    max_days_overdue: int | None
    oldest_last_visit: dt.date | None


class OverdueOut(Schema):
    region_code: str
    visit_interval_days: int
    helpers: list[OverdueRow]


class QiqingOut(Schema):
    """七清: 现况, 贫困程度, 致贫原因, 帮扶措施, 扶持项目, 包保单位, 脱贫年限."""

    household_id: int
    year: int
    poverty_status: str
    category: str
    size: int
    income_per_capita: Decimal | None
    poverty_line: Decimal | None
    line_year: int | None
    policy_version: str
    gap: Decimal | None = Field(..., description="line − income per person (positive: below the line)")
    causes: list[str]
    plan_id: int | None
    measures_planned: int
    measures_done: int
    measures_overdue: int
    given_total: Decimal
    projects: list[str]
    helpers: list[str]
    units: list[str]
    planned_exit_year: int | None
    last_visit: dt.date | None


# ------------------------------------------------------------------------------------------ presenting


def _reasons(raw: Any) -> list[dict[str, Any]]:
    return [r if isinstance(r, dict) else r.to_dict() for r in raw or []]


def _measure_out(m: PlannedMeasure, catalogue: Any) -> dict[str, Any]:
    return {
        "id": m.pk, "plan_id": m.plan_id, "household_id": m.household_id, "measure_type": m.measure_type,
        "measure_label": catalogue.get(m.measure_type).label_zh if m.measure_type in catalogue else m.measure_type,
        "description": m.description, "quantity": m.quantity, "planned_amount": m.planned_amount,
        "target_date": m.target_date, "helper_id": m.helper_id, "helper_name": m.helper.name if m.helper else "",
        "expected_income": m.expected_income, "status": m.status,
        "status_label": "{} {}".format(*MEASURE_STATUS_LABELS[m.status]), "started_on": m.started_on,
        "done_on": m.done_on, "dropped_on": m.dropped_on, "drop_reason": m.drop_reason,
        "reasons": _reasons(m.reasons), "version": m.version,
    }


def _plan_out(p: HouseholdPlan) -> dict[str, Any]:
    h = p.household
    return {"id": p.pk, "household_id": h.pk, "household_number": h.household_number, "head_name": h.head_name,
            "village_code": h.village_code, "year": p.year, "status": p.status,
            "status_label": "{} {}".format(*PLAN_STATUS_LABELS[p.status]), "goal": p.goal,
            "catalogue_version": p.catalogue_version, "created_by_name": p.created_by_name,
            "approved_by_name": p.approved_by_name, "approved_at": p.approved_at, "version": p.version}


def _plan_detail(user: Any, plan_id: int) -> dict[str, Any]:
    plan = selectors.plan_detail(user, plan_id)
    catalogue = effective_catalogue(plan.household.village_code)
    suggestions = selectors.suggestions_for(plan.household, exclude=selectors.open_measure_types(plan))
    return {**_plan_out(plan), "measures": [_measure_out(m, catalogue) for m in selectors.planned_measures(plan)],
            "suggestions": [{"measure_type": s.measure.id, "label": s.measure.label_zh,
                             "reasons": _reasons(s.reasons)} for s in suggestions]}


def _given_out(g: MeasureGiven) -> dict[str, Any]:
    catalogue = load_default_catalogue()
    return {"id": g.pk, "household_id": g.household_id, "measure_type": g.measure_type,
            "measure_label": catalogue.get(g.measure_type).label_zh if g.measure_type in catalogue else g.measure_type,
            "given_on": g.given_on, "amount": g.amount, "unit": g.unit, "quantity": g.quantity,
            "term_months": g.term_months, "description": g.description, "planned_measure_id": g.planned_measure_id,
            "project_ref": g.project_ref, "fund_ref": g.fund_ref, "loan_ref": g.loan_ref,
            "recorded_by_name": g.recorded_by_name, "cancelled": g.is_cancelled, "cancel_reason": g.cancel_reason}


def _visit_out(v: Visit) -> dict[str, Any]:
    from django.urls import reverse

    return {"id": v.pk, "helper_id": v.helper_id, "helper_name": v.helper.name, "household_id": v.household_id,
            "visited_on": v.visited_on, "found": v.found, "agreed": v.agreed, "recorded_by_name": v.recorded_by_name,
            "photos": [{"id": p.pk, "content_type": p.content_type, "size": p.size,
                        "url": reverse("assistance:photo", args=[p.pk])} for p in v.photos.all()]}


def _region(value: str) -> str:
    if not value:
        return ""
    try:
        return normalize_code(value)
    except RegionCodeError:
        return "x"  # matches nothing


# ------------------------------------------------------------------------------------------ endpoints


@router.get("/measure-types", response={200: CatalogueOut, 422: ErrorOut})
def measure_types(request: HttpRequest, region: str = ""):
    """帮扶措施目录: the measure types in force in a region (default: the user's), with units, amounts and
    limits, the visit interval and who approves plans."""
    code = _region(region) or (request.auth.region.code if request.auth.region else "")
    catalogue = effective_catalogue(code) if code and code != "x" else load_default_catalogue()
    return {"version": catalogue.version, "visit_interval_days": catalogue.visit_interval_days,
            "due_window_days": catalogue.due_window_days, "approver_roles": list(catalogue.approver_roles),
            "measure_types": [{**m.to_dict(), "amounts": dict(m.amounts), "max_amount": m.max_amount,
                               "max_term_months": m.max_term_months, "enabled": m.enabled,
                               "description": m.description, "group_label": catalogue.group(m.group).label_zh,
                               "unit_label": catalogue.unit(m.unit).label_zh} for m in catalogue.measures]}


@router.get("/plans", response={200: PlanPage, 422: ErrorOut})
def list_plans(request: HttpRequest, query: Query[PlanQuery]):
    """帮扶计划列表 (一户一策) in the user's scope, by region, year, status or household."""
    qs = selectors.plans(request.auth, selectors.PlanFilters(region=query.region, year=query.year,
                                                             status=query.status, household_id=query.household_id))
    start = (query.page - 1) * query.page_size
    return {"count": qs.count(), "page": query.page, "page_size": query.page_size,
            "items": [_plan_out(p) for p in qs[start: start + query.page_size]]}


@router.post("/plans", response={201: PlanDetail, **WRITE_RESPONSES})
def create_plan(request: HttpRequest, body: PlanIn):
    """Start a household's plan for a year (its helper, or an editor of its region)."""
    plan = services.create_plan(actor=request.auth, household_id=body.household_id, year=body.year, goal=body.goal,
                                source="api")
    return Status(201, _plan_detail(request.auth, plan.pk))


@router.get("/plans/{plan_id}", response={200: PlanDetail, 404: DetailOut})
def get_plan(request: HttpRequest, plan_id: RecordId):
    """一个计划: its measures (倒排工期) and the measures its household's pathways and causes suggest."""
    return _plan_detail(request.auth, plan_id)


@router.post("/plans/{plan_id}/approve", response={200: PlanDetail, **WRITE_RESPONSES})
def approve_plan(request: HttpRequest, plan_id: RecordId, body: PlanMoveIn):
    """审定 (township or county officer, as the catalogue names)."""
    services.approve_plan(actor=request.auth, plan_id=plan_id, expected_version=body.version, comment=body.comment,
                          source="api")
    return _plan_detail(request.auth, plan_id)


@router.post("/plans/{plan_id}/close", response={200: PlanDetail, **WRITE_RESPONSES})
def close_plan(request: HttpRequest, plan_id: RecordId, body: PlanMoveIn):
    """结束: the plan's year is over."""
    services.close_plan(actor=request.auth, plan_id=plan_id, expected_version=body.version, comment=body.comment,
                        source="api")
    return _plan_detail(request.auth, plan_id)


@router.post("/plans/{plan_id}/measures", response={201: PlannedMeasureOut, **WRITE_RESPONSES})
def add_measure(request: HttpRequest, plan_id: RecordId, body: MeasureIn):
    """Add a measure to the plan (the suggestion reasons are stored with it)."""
    m = services.add_measure(actor=request.auth, plan_id=plan_id, measure_type=body.measure_type,
                             target_date=body.target_date, description=body.description, helper_id=body.helper_id,
                             expected_income=body.expected_income, quantity=body.quantity,
                             planned_amount=body.planned_amount, source="api")
    m = selectors.measure_detail(request.auth, m.pk)
    return Status(201, _measure_out(m, effective_catalogue(m.household.village_code)))


@router.post("/measures/{measure_id}/status", response={200: PlannedMeasureOut, **WRITE_RESPONSES})
def change_status(request: HttpRequest, measure_id: RecordId, body: StatusIn):
    """planned → in_progress → done; planned/in_progress → dropped (reason required). Anything else: 422."""
    services.change_measure_status(actor=request.auth, measure_id=measure_id, status=body.status, reason=body.reason,
                                   on=body.on, expected_version=body.version, source="api")
    m = selectors.measure_detail(request.auth, measure_id)
    return _measure_out(m, effective_catalogue(m.household.village_code))


@router.get("/measures-given", response={200: GivenPage, 422: ErrorOut})
def list_given(request: HttpRequest, query: Query[ListQuery]):
    """帮扶措施落实: help given in the user's scope (by household or region), newest first."""
    qs = selectors.measures_given(request.auth, household_id=query.household_id, region=query.region)
    start = (query.page - 1) * query.page_size
    return {"count": qs.count(), "items": [_given_out(g) for g in qs[start: start + query.page_size]]}


@router.post("/measures-given", response={201: GivenOut, **WRITE_RESPONSES})
def record_given(request: HttpRequest, body: GivenIn):
    """Record help given (amount from the catalogue when empty; limits checked)."""
    g = services.record_measure_given(
        actor=request.auth, household_id=body.household_id, measure_type=body.measure_type, given_on=body.given_on,
        amount=body.amount, quantity=body.quantity, unit=body.unit, term_months=body.term_months,
        description=body.description, planned_measure_id=body.planned_measure_id, project_ref=body.project_ref,
        fund_ref=body.fund_ref, loan_ref=body.loan_ref, variant=body.variant, source="api")
    return Status(201, _given_out(g))


@router.post("/measures-given/{given_id}/cancel", response={200: GivenOut, **WRITE_RESPONSES})
def cancel_given(request: HttpRequest, given_id: RecordId, body: CancelIn):
    """作废 with a reason (the record stays)."""
    return _given_out(services.cancel_measure_given(actor=request.auth, given_id=given_id, reason=body.reason,
                                                    source="api"))


@router.get("/visits", response={200: VisitPage, 422: ErrorOut})
def list_visits(request: HttpRequest, query: Query[ListQuery]):
    """走访记录 in the user's scope (by household, helper or region), newest first."""
    qs = selectors.visits(request.auth, household_id=query.household_id, helper_id=query.helper_id,
                          region=query.region)
    start = (query.page - 1) * query.page_size
    return {"count": qs.count(), "items": [_visit_out(v) for v in qs[start: start + query.page_size]]}


@router.post("/visits", response={201: VisitOut, **WRITE_RESPONSES})
def record_visit(request: HttpRequest, body: VisitIn):
    """Record a visit (photos: POST them to /visits/{id}/photos)."""
    v = services.record_visit(actor=request.auth, household_id=body.household_id, visited_on=body.visited_on,
                              found=body.found, agreed=body.agreed, helper_id=body.helper_id, source="api")
    return Status(201, _visit_out(selectors.visit_detail(request.auth, v.pk)))


@router.post("/visits/{visit_id}/photos", response={201: VisitOut, **WRITE_RESPONSES})
def add_photos(request: HttpRequest, visit_id: RecordId, photos: File[list[UploadedFile]]):
    """Photos of a visit (multipart ``photos``; JPEG, PNG, WebP or HEIC, checked by content)."""
    services.add_visit_photos(actor=request.auth, visit_id=visit_id, photos=photos, source="api")
    return Status(201, _visit_out(selectors.visit_detail(request.auth, visit_id)))


@router.get("/households/{household_id}/qiqing", response={200: QiqingOut, 404: DetailOut})
def household_qiqing(request: HttpRequest, household_id: RecordId):
    """七清 of one household."""
    q = selectors.qiqing(request.auth, selectors.household(request.auth, household_id))
    return {
        "household_id": q.household.pk, "year": q.year, "poverty_status": q.poverty_status, "category": q.category,
        "size": q.size, "income_per_capita": q.income_per_capita, "poverty_line": q.poverty_line,
        "line_year": q.line_year, "policy_version": q.policy_version, "gap": q.gap,
        "causes": [label for _code, label in q.causes], "plan_id": q.plan.pk if q.plan else None,
        "measures_planned": len(q.planned), "measures_done": q.n_done, "measures_overdue": q.n_overdue,
        "given_total": q.given_total, "projects": [p["ref"] for p in q.projects],
        "helpers": [x.name for x in q.helpers], "units": q.units, "planned_exit_year": q.planned_exit_year,
        "last_visit": q.last_visit.visited_on if q.last_visit else None,
    }


@router.get("/households/{household_id}/suggestions", response={200: list[SuggestionOut], 404: DetailOut})
def household_suggestions(request: HttpRequest, household_id: RecordId):
    """建议措施: from the household's pathways (every scheme of its policy), causes and conditions."""
    h = selectors.household(request.auth, household_id)
    return [{"measure_type": s.measure.id, "label": s.measure.label_zh, "reasons": _reasons(s.reasons)}
            for s in selectors.suggestions_for(h)]


@router.get("/overdue-visits", response={200: OverdueOut, 404: DetailOut, 422: ErrorOut})
def overdue_visits(request: HttpRequest, region: str = ""):
    """走访超期: per helper in a region (default: the user's): households, overdue visits, worst delay —
    helpers with overdue visits first."""
    user = request.auth
    code = _region(region) or (user.region.code if user.region else "")
    if code == "x" or (region and not region_in_scope(user, code, roles.VIEW_REGISTRY)):
        return Status(404, {"detail": "不存在或无权查看 / not found"})
    rows = selectors.overdue_by_helper(user, code)
    return {"region_code": code,
            "visit_interval_days": effective_catalogue(code).visit_interval_days if code else
            load_default_catalogue().visit_interval_days,
            "helpers": [{"helper_id": r.helper.pk, "helper_name": r.helper.name, "unit": r.helper.unit,
                         "households": r.households, "overdue": r.overdue, "never_visited": r.never_visited,
                         "max_days_overdue": r.max_days_overdue, "oldest_last_visit": r.oldest_last_visit}
                        for r in rows]}
