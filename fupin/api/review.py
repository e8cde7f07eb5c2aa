"""The yearly review (动态调整) in the API: cycles, snapshots, the flow report and its household lists.

Thin adapters over :mod:`fupin.review.selectors` (scoped by :func:`fupin.core.scoping.visible_to`, with
``review.view``) and :mod:`fupin.review.services` (``source="api"``). Writes need ``review.manage`` (else
404, like any write without its capability); out of scope is 404; a refused action (no start snapshot,
the year already frozen …) is 422; a stale ``version`` is 409.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from fupin.core.scoping import ScopeError
from fupin.policy import flows, roles
from fupin.review import selectors, services
from fupin.review.choices import SnapshotSource
from fupin.review.models import ReviewCycle, Snapshot

from .auth import TokenAuth
from .schemas import DetailOut, ErrorOut, RecordId

router = Router(tags=["review 动态调整"])
viewer_auth = TokenAuth(capability=roles.VIEW_REVIEW)
manager_auth = TokenAuth(capability=roles.MANAGE_REVIEW)
WRITE_RESPONSES = {401: DetailOut, 404: DetailOut, 409: ErrorOut, 422: ErrorOut}
STRICT = ConfigDict(extra="forbid")
YEAR = Field(..., ge=services.FIRST_YEAR, le=2100, description="年度 / year")


class SnapshotOut(Schema):
    id: int
    county: str
    year: int
    as_of: dt.datetime
    included_since: dt.datetime
    taken_by: str
    source: str
    households: int = Field(..., description="户数(行,含本期注销) / household rows (those that left included)")
    persons: int
    poor_households: int = Field(..., description="贫困户数(未脱贫、预脱贫、返贫) / registered poor households")
    poor_persons: int
    versions: dict[str, Any]


class CycleOut(Schema):
    id: int
    county: str
    year: int
    status: str
    opened_by: str
    closed_at: dt.datetime | None
    closed_by: str
    snapshot: SnapshotOut | None
    comment: str
    version: int


class CycleIn(Schema):
    model_config = STRICT
    county: str = Field(..., pattern=r"^\d{6}(\d{6})?$", description="县级区划代码 / county code")
    year: int = YEAR
    comment: str = ""


class CloseIn(Schema):
    model_config = STRICT
    version: int | None = None
    comment: str = ""


class SnapshotIn(CycleIn):
    pass


class TotalsOut(Schema):
    start: int
    new: int
    returned: int
    exited: int
    removed: int
    natural_in: int
    natural_out: int
    end: int
    balanced: bool


class ChildOut(Schema):
    code: str
    name: str
    households: TotalsOut
    persons: TotalsOut


class ReasonOut(Schema):
    unit: Literal["households", "persons"]
    flow: str
    reason: str
    label: str
    count: int


class FlowReportOut(Schema):
    region: str
    name: str
    year: int
    available: bool = Field(..., description="有期初快照 / a start snapshot exists")
    provisional: bool = Field(..., description="期末为当前在册数据(年度未结束) / the end is the live registry")
    counties: list[str]
    missing: list[dict[str, str]]
    households: TotalsOut
    persons: TotalsOut
    children: list[ChildOut]
    reasons: list[ReasonOut]
    snapshots: list[dict[str, Any]]


class FlowQuery(Schema):
    region: str = Field(..., pattern=r"^\d{2,12}$", description="区划代码 / region code (12 digits)")
    year: int = YEAR


class FlowHouseholdsQuery(FlowQuery):
    flow: Literal["", "new", "returned", "exited", "removed", "natural_in", "natural_out"] = ""
    page: int = Field(1, ge=1)
    page_size: int = Field(100, ge=1, le=1000)


class FlowHouseholdOut(Schema):
    household_id: int
    household_number: str | None
    head_name: str | None
    village_code: str | None
    flow: str
    reason: str
    reason_label: str
    persons: int
    size_start: int | None
    size_end: int | None
    exited_on: dt.date | None
    exit_recorded: bool


class FlowHouseholdPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[FlowHouseholdOut]


def _snapshot(s: Snapshot) -> dict[str, Any]:
    return {"id": s.pk, "county": s.region_code, "year": s.year, "as_of": s.as_of, "included_since": s.included_since,
            "taken_by": s.taken_by_name, "source": s.source, "households": s.households, "persons": s.persons,
            "poor_households": s.poor_households, "poor_persons": s.poor_persons, "versions": s.versions}


def _cycle(c: ReviewCycle) -> dict[str, Any]:
    return {"id": c.pk, "county": c.region_code, "year": c.year, "status": c.status, "opened_by": c.opened_by_name,
            "closed_at": c.closed_at, "closed_by": c.closed_by_name,
            "snapshot": _snapshot(c.snapshot) if c.snapshot else None, "comment": c.comment, "version": c.version}


def _totals(t: flows.FlowTotals) -> dict[str, Any]:
    return {**t.as_dict(), "balanced": t.balanced}


def _county(code: str) -> str:
    return code if len(code) == 12 else code + "000000"


@router.get("/cycles", auth=viewer_auth, response={200: list[CycleOut], 401: DetailOut, 404: DetailOut})
def list_cycles(request: HttpRequest):
    """年度动态调整: the cycles the user may see (their county's, also from a township or village)."""
    return [_cycle(c) for c in selectors.cycles(request.auth)]


@router.post("/cycles", auth=manager_auth, response={201: CycleOut, **WRITE_RESPONSES})
def open_cycle(request: HttpRequest, body: CycleIn):
    """开始年度动态调整 for a county and year (the year before must have its snapshot)."""
    cycle = services.open_cycle(actor=request.auth, county_code=_county(body.county), year=body.year,
                                comment=body.comment, source="api")
    return Status(201, _cycle(cycle))


@router.get("/cycles/{cycle_id}", auth=viewer_auth, response={200: CycleOut, 401: DetailOut, 404: DetailOut})
def get_cycle(request: HttpRequest, cycle_id: RecordId):
    return _cycle(selectors.cycle_detail(request.auth, cycle_id))


@router.post("/cycles/{cycle_id}/close", auth=manager_auth, response={200: CycleOut, **WRITE_RESPONSES})
def close_cycle(request: HttpRequest, cycle_id: RecordId, body: CloseIn):
    """结束年度动态调整: freeze the year's snapshot (irreversible)."""
    selectors.cycle_detail(request.auth, cycle_id)
    cycle = services.close_cycle(actor=request.auth, cycle_id=cycle_id, expected_version=body.version,
                                 comment=body.comment, source="api")
    return _cycle(cycle)


@router.get("/snapshots", auth=viewer_auth, response={200: list[SnapshotOut], 401: DetailOut})
def list_snapshots(request: HttpRequest):
    """年度快照: the snapshot headers the user may see (counts and versions)."""
    return [_snapshot(s) for s in selectors.snapshots(request.auth)]


@router.post("/snapshots", auth=manager_auth, response={201: SnapshotOut, **WRITE_RESPONSES})
def take_snapshot(request: HttpRequest, body: SnapshotIn):
    """生成年度快照 (e.g. a baseline before the first review); immutable once taken."""
    snapshot = services.take_snapshot(actor=request.auth, county_code=_county(body.county), year=body.year,
                                      source=SnapshotSource.API, comment=body.comment)
    return Status(201, _snapshot(snapshot))


@router.get("/flows", auth=viewer_auth, response={200: FlowReportOut, 401: DetailOut, 404: DetailOut, 422: ErrorOut})
def flow_report(request: HttpRequest, query: Query[FlowQuery]):
    """年度进出统计: start + new + returned − exited − removed ± natural = end, households and persons,
    for the region and each of its children (drill-down), with the reasons."""
    code = query.region.ljust(12, "0")
    view = selectors.flow_view(request.auth, code, query.year)
    return {
        "region": view.region.code, "name": view.region.name, "year": view.year, "available": view.available,
        "provisional": view.provisional, "counties": view.counties,
        "missing": [{"county": c, "reason": why} for c, why in view.missing],
        "households": _totals(view.households), "persons": _totals(view.persons),
        "children": [{"code": c.code, "name": c.name, "households": _totals(c.households),
                      "persons": _totals(c.persons)} for c in view.children],
        "reasons": view.reasons, "snapshots": [{k: (v.isoformat() if isinstance(v, dt.datetime) else v)
                                                for k, v in s.items()} for s in view.versions],
    }


@router.get("/flows/households", auth=viewer_auth,
            response={200: FlowHouseholdPage, 401: DetailOut, 404: DetailOut, 422: ErrorOut})
def flow_households(request: HttpRequest, query: Query[FlowHouseholdsQuery]):
    """The households of one flow (or all flows) in a region and year: the bottom of the drill-down."""
    code = query.region.ljust(12, "0")
    view = selectors.flow_view(request.auth, code, query.year, children=False)
    if not view.available:
        raise ScopeError("不存在或无权查看 / not found")
    frame = selectors.flow_households(view, query.flow)
    start = (query.page - 1) * query.page_size
    items = [{**r, "exited_on": r["on"], "reason_label": flows.reason_label(r["reason"])}
             for r in frame.slice(start, query.page_size).iter_rows(named=True)]
    return {"count": frame.height, "page": query.page, "page_size": query.page_size, "items": items}
