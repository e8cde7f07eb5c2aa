"""Pairing and work teams (结对帮扶、驻村工作队) in the API: thin adapters over fupin.pairing.

- ``GET /pairing/coverage?region=&on=`` — the coverage report (gaps first): totals, townships, villages,
  helper workload, households without a helper (the first 200).
- ``GET /pairing/limits?region=&on=`` — the pairing limits in force there (policy data with its version).
- ``GET /pairing/helpers`` (search, filters, paged), ``POST /pairing/helpers``, ``GET|PATCH /pairing/helpers/{id}``.
- ``GET /pairing/mine`` — the signed-in helper's current households.
- ``GET /pairing/households/{household_id}`` — a household's pairings (history across transfers);
  ``POST /pairing/households/{household_id}/pairings`` ``{helper_id, started_on?, comment?}`` — pair.
- ``POST /pairing/pairings/{id}/transfer`` ``{helper_id, on?, comment?}``; ``POST /pairing/pairings/{id}/end``
  ``{reason, ended_on?, comment?}``.
- ``GET|POST /pairing/teams``, ``GET /pairing/teams/{id}`` (members with attendance), ``POST
  /pairing/teams/{id}/members``, ``POST /pairing/teams/{id}/end``, ``POST /pairing/members/{id}/leave``,
  ``POST /pairing/members/{id}/attendance`` ``{month: YYYY-MM-01, days_present}``.
- ``GET|POST /pairing/places/{kind}`` (unit_village, leader_township, enterprise_village, village, county),
  ``POST /pairing/places/{kind}/{id}/end``, ``POST /pairing/places/{kind}/{id}/transfer``,
  ``POST /pairing/places/county/{id}/funds`` ``{year, committed, delivered}``.

Reads are scoped (``pairing.view``; a helper login sees its own households and pairings through the
scoping function's pairing rule); writes need ``pairing.manage`` (attendance: ``pairing.attendance``)
— without it, or out of scope: 404. Refusals (limits, periods …): 422 ``{"message", "field_errors"}``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from fupin.core.scoping import ScopeError, get_visible_or_404
from fupin.pairing import coverage as pairing_coverage
from fupin.pairing import selectors, services
from fupin.pairing.limits import effective_limits, limits_for_regions
from fupin.pairing.models import TeamMember
from fupin.policy import roles
from fupin.registry.models import Household

from .auth import TokenAuth
from .schemas import DetailOut, ErrorOut

router = Router(tags=["pairing 结对帮扶"])
manage_auth = TokenAuth(capability=roles.MANAGE_PAIRING)
attendance_auth = TokenAuth(capability=roles.RECORD_ATTENDANCE)
policy_auth = TokenAuth(capability=roles.MANAGE_POLICY)
WRITE_RESPONSES = {401: DetailOut, 404: DetailOut, 422: ErrorOut}
PlaceKind = Literal["unit_village", "leader_township", "enterprise_village", "village", "county"]
UnitLevel = Literal["province", "city", "county", "township", "village", "enterprise"]


def _require_view(user: Any) -> None:
    if not user.has_capability(roles.VIEW_PAIRING):
        raise ScopeError("不存在或无权查看 / not found")


# --- schemas -----------------------------------------------------------------------------------------

class Page(Schema):
    count: int
    page: int
    page_size: int


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(100, ge=1, le=500)


class LimitsOut(Schema):
    """结对限额: the policy data in force (defaults with the regions' overrides), with its version."""

    version: str
    max_households_per_helper: int
    max_households_by_unit_level: dict[str, int]
    max_helpers_per_household: int
    min_attendance_days: int
    min_county_funds_per_township: str
    first_secretary_required: bool


class HelperOut(Schema):
    id: int
    name: str
    unit: str
    unit_level: str
    phone: str
    region_code: str
    active: bool
    has_login: bool
    current_households: int
    limit: int
    version: int


class HelperPage(Page):
    items: list[HelperOut]


class HelperQuery(PageQuery):
    q: str = ""
    region: str = Field("", description="区划代码 / region code (12 digits)")
    unit_level: UnitLevel | None = None
    active: Literal["1", "0", "all"] = "1"


class HelperIn(Schema):
    name: str = Field(..., max_length=60)
    unit: str = Field(..., max_length=100)
    unit_level: UnitLevel
    phone: str = Field("", max_length=20)
    region_code: str = Field(..., description="所属区划 / the helper's region (12 digits)")
    user_id: int | None = Field(None, description="关联登录账号 / the login to link")


class HelperPatch(Schema):
    version: int
    name: str | None = Field(None, max_length=60)
    unit: str | None = Field(None, max_length=100)
    unit_level: UnitLevel | None = None
    phone: str | None = Field(None, max_length=20)
    region_code: str | None = None
    active: bool | None = None
    user_id: int | None = Field(None, description="0 unlinks the login")


class PairingOut(Schema):
    """结对: helper ↔ household for a period; ``transfer_to_id`` links a transfer to the next pairing."""

    id: int
    helper_id: int
    helper_name: str
    household_id: int
    household_number: str
    village_code: str
    started_on: date
    ended_on: date | None
    end_reason: str
    end_comment: str
    transfer_to_id: int | None


class HouseholdBrief(Schema):
    id: int
    household_number: str
    head_name: str
    village_code: str
    village_name: str
    poverty_status: str
    size: int


class HelperDetail(HelperOut):
    households: list[HouseholdBrief]
    pairings: list[PairingOut]


class MineOut(Schema):
    helper: HelperOut
    households: list[HouseholdBrief]


class PairIn(Schema):
    helper_id: int
    started_on: date | None = None
    comment: str = Field("", max_length=2000)


class TransferIn(Schema):
    helper_id: int
    on: date | None = None
    comment: str = Field("", max_length=2000)


class EndIn(Schema):
    reason: Literal["exited", "left", "helper_left", "period_over", "other"]
    ended_on: date | None = None
    comment: str = Field("", max_length=2000)


class VillageOut(Schema):
    code: str
    name: str
    township_code: str
    township_name: str
    is_poor_village: bool
    teams: int
    first_secretaries: int
    open_households: int
    without_helper: int
    without_team: bool
    without_first_secretary: bool
    has_gap: bool


class TownshipOut(Schema):
    code: str
    name: str
    villages: int
    poor_villages: int
    poor_without_team: int
    poor_without_first_secretary: int
    open_households: int
    without_helper: int
    helpers: int
    helpers_over_limit: int


class LoadOut(Schema):
    id: int
    name: str
    unit: str
    unit_level: str
    region_code: str
    active: bool
    households: int
    households_here: int
    limit: int
    over_limit: bool


class CoverageOut(Schema):
    """覆盖情况: every list has its gaps first."""

    region_code: str
    region_name: str
    on: date
    limits_version: str
    totals: dict[str, int]
    townships: list[TownshipOut]
    villages: list[VillageOut]
    helpers: list[LoadOut]
    households_without_helper: list[HouseholdBrief]


class CoverageQuery(Schema):
    region: str = ""
    on: date | None = None


class LimitsQuery(Schema):
    region: str = ""
    on: date | None = None


class AttendanceOut(Schema):
    month: date
    days_present: int
    short: bool
    comment: str


class MemberOut(Schema):
    id: int
    helper_id: int | None
    name: str
    unit: str
    phone: str
    is_first_secretary: bool
    is_leader: bool
    joined_on: date
    left_on: date | None
    attendance: list[AttendanceOut]


class TeamOut(Schema):
    id: int
    village_code: str
    village_name: str
    sending_unit: str
    unit_level: str
    name: str
    started_on: date
    ended_on: date | None
    has_first_secretary: bool


class TeamDetail(TeamOut):
    members: list[MemberOut]


class TeamPage(Page):
    items: list[TeamOut]


class TeamQuery(PageQuery):
    region: str = ""
    current: bool = True


class TeamIn(Schema):
    village_code: str
    sending_unit: str = Field(..., max_length=100)
    unit_level: UnitLevel
    name: str = Field("", max_length=100)
    started_on: date | None = None


class MemberIn(Schema):
    helper_id: int | None = None
    name: str = Field("", max_length=60)
    unit: str = Field("", max_length=100)
    phone: str = Field("", max_length=20)
    is_first_secretary: bool = False
    is_leader: bool = False
    joined_on: date | None = None


class LeaveIn(Schema):
    left_on: date | None = None
    comment: str = Field("", max_length=2000)


class AttendanceIn(Schema):
    month: date = Field(..., description="any day of the month (stored as its first day)")
    days_present: int = Field(..., ge=0, le=31)
    comment: str = Field("", max_length=200)


class PlaceOut(Schema):
    id: int
    kind: str
    started_on: date
    ended_on: date | None
    end_reason: str
    transfer_to_id: int | None
    fields: dict[str, Any] = Field(..., description="the kind's own fields (codes of regions, names, amounts)")
    funds: list[dict[str, Any]] = Field(default_factory=list, description="county pairings: per year")


class PlacePage(Page):
    items: list[PlaceOut]


class PlaceQuery(PageQuery):
    current: bool = True


class PlaceIn(Schema):
    data: dict[str, Any] = Field(..., description="the kind's fields, e.g. {unit, unit_level, village} for "
                                                  "unit_village; region fields take 12-digit codes")
    started_on: date | None = None
    comment: str = Field("", max_length=2000)


class PlaceTransferIn(Schema):
    data: dict[str, Any] = Field(default_factory=dict, description="the values that change")
    on: date | None = None
    comment: str = Field("", max_length=2000)


class FundIn(Schema):
    year: int = Field(..., ge=2000, le=2100)
    committed: Decimal = Field(..., ge=0)
    delivered: Decimal = Field(Decimal(0), ge=0)


class SettingIn(Schema):
    region_code: str
    version: str = Field(..., max_length=60)
    valid_from: date
    overrides: dict[str, Any]
    comment: str = Field("", max_length=2000)


# --- presenters --------------------------------------------------------------------------------------

def helper_out(h: Any, limit: int) -> dict[str, Any]:
    return {"id": h.pk, "name": h.name, "unit": h.unit, "unit_level": h.unit_level, "phone": h.phone,
            "region_code": h.region_code, "active": h.active, "has_login": h.user_id is not None,
            "current_households": getattr(h, "current_households", 0), "limit": limit, "version": h.version}


def _limit(h: Any) -> int:
    return effective_limits(h.region_code).household_limit(h.unit_level)


def pairing_out(p: Any) -> dict[str, Any]:
    return {"id": p.pk, "helper_id": p.helper_id, "helper_name": p.helper.name, "household_id": p.household_id,
            "household_number": p.household.household_number, "village_code": p.household.village_code,
            "started_on": p.started_on, "ended_on": p.ended_on, "end_reason": p.end_reason,
            "end_comment": p.end_comment, "transfer_to_id": p.transfer_to_id}


def household_brief(h: Any) -> dict[str, Any]:
    return {"id": h.pk, "household_number": h.household_number, "head_name": h.head_name,
            "village_code": h.village_code, "village_name": h.village.name, "poverty_status": h.poverty_status,
            "size": h.size}


def _paged(qs: Any, query: PageQuery, present: Any) -> dict[str, Any]:
    start = (query.page - 1) * query.page_size
    return {"count": qs.count(), "page": query.page, "page_size": query.page_size,
            "items": [present(x) for x in qs[start: start + query.page_size]]}


def team_out(t: Any) -> dict[str, Any]:
    has_fs = getattr(t, "has_first_secretary", None)
    if has_fs is None:
        has_fs = TeamMember.objects.filter(team=t, is_first_secretary=True, left_on__isnull=True).exists()
    return {"id": t.pk, "village_code": t.village_id, "village_name": t.village.name, "sending_unit": t.sending_unit,
            "unit_level": t.unit_level, "name": t.name, "started_on": t.started_on, "ended_on": t.ended_on,
            "has_first_secretary": has_fs}


def team_detail_out(t: Any) -> dict[str, Any]:
    limits = effective_limits(t.village_id)
    members = selectors.team_members(t)
    return {**team_out(t), "members": [
        {"id": m.pk, "helper_id": m.helper_id, "name": m.name, "unit": m.unit, "phone": m.phone,
         "is_first_secretary": m.is_first_secretary, "is_leader": m.is_leader, "joined_on": m.joined_on,
         "left_on": m.left_on,
         "attendance": [{"month": r.month, "days_present": r.days_present, "comment": r.comment,
                         "short": r.days_present < limits.min_attendance_days} for r in m.months]}
        for m in members]}


def place_out(kind: str, p: Any) -> dict[str, Any]:
    k = services.PLACE_KINDS[kind]
    fields = {name: getattr(p, f"{name}_id") for name in k.region_fields}
    for name in k.text_fields:
        value = getattr(p, name)
        fields[name] = str(value) if isinstance(value, Decimal) else value
    funds = ([{"year": f.year, "committed": str(f.committed), "delivered": str(f.delivered)} for f in p.funds.all()]
             if kind == "county" else [])
    return {"id": p.pk, "kind": kind, "started_on": p.started_on, "ended_on": p.ended_on, "end_reason": p.end_reason,
            "transfer_to_id": p.transfer_to_id, "fields": fields, "funds": funds}


# --- coverage and limits -----------------------------------------------------------------------------

@router.get("/coverage", response={200: CoverageOut, 404: DetailOut})
def coverage(request: HttpRequest, query: Query[CoverageQuery]):
    """覆盖情况 — teams and first secretaries of poor villages, helpers of households, workload; gaps first."""
    user = request.auth
    _require_view(user)
    r = pairing_coverage.coverage(user, query.region, query.on)
    return {
        "region_code": r.region.code, "region_name": r.region.name, "on": r.on, "limits_version": r.limits_version,
        "totals": r.totals,
        "townships": [t.__dict__ for t in r.townships],
        "villages": [{**v.__dict__, "without_team": v.without_team, "without_first_secretary":
                      v.without_first_secretary, "has_gap": v.has_gap} for v in r.villages],
        "helpers": [{**h.__dict__, "over_limit": h.over_limit} for h in r.helpers],
        "households_without_helper": [household_brief(h) for h in r.households_without_helper],
    }


@router.get("/limits", response={200: LimitsOut, 404: DetailOut})
def limits(request: HttpRequest, query: Query[LimitsQuery]):
    """结对限额 — the limits in force in a region (default: the user's) on a day."""
    user = request.auth
    region = pairing_coverage.report_region(user, query.region)
    return effective_limits(region.code, query.on).to_dict()


@router.post("/settings", auth=policy_auth, response={201: LimitsOut, **WRITE_RESPONSES})
def add_setting(request: HttpRequest, body: SettingIn):
    """结对帮扶设置 — a region's new limits from a date (county overrides; ``policy.manage``)."""
    row = services.add_pairing_setting(actor=request.auth, region_code=body.region_code, version=body.version,
                                       overrides=body.overrides, valid_from=body.valid_from, comment=body.comment,
                                       source="api")
    return Status(201, effective_limits(row.region_code, row.valid_from).to_dict())


# --- helpers -----------------------------------------------------------------------------------------

@router.get("/helpers", response={200: HelperPage, 404: DetailOut})
def list_helpers(request: HttpRequest, query: Query[HelperQuery]):
    """帮扶责任人 — of the user's region and the regions above it; with their current load and limit."""
    user = request.auth
    _require_view(user)
    qs = selectors.helpers(user, selectors.HelperFilters(q=query.q, region=query.region,
                                                         unit_level=query.unit_level or "", active=query.active))
    start = (query.page - 1) * query.page_size
    rows = list(qs[start: start + query.page_size])
    by_region = limits_for_regions({h.region_code for h in rows})
    return {"count": qs.count(), "page": query.page, "page_size": query.page_size,
            "items": [helper_out(h, by_region[h.region_code].household_limit(h.unit_level)) for h in rows]}


@router.post("/helpers", auth=manage_auth, response={201: HelperOut, **WRITE_RESPONSES})
def create_helper(request: HttpRequest, body: HelperIn):
    data = body.dict()
    data["user"] = data.pop("user_id")
    helper = services.create_helper(actor=request.auth, data=data, source="api")
    return Status(201, helper_out(selectors.helper_detail(request.auth, helper.pk), _limit(helper)))


def _helper_detail(user: Any, helper_id: int) -> dict[str, Any]:
    helper = selectors.helper_detail(user, helper_id)
    if not user.has_capability(roles.VIEW_PAIRING) and selectors.helper_for_user(user) != helper:
        raise ScopeError("不存在或无权查看 / not found")
    pairings = list(selectors.helper_pairings(user, helper))
    return {**helper_out(helper, _limit(helper)),
            "households": [household_brief(p.household) for p in pairings if p.ended_on is None],
            "pairings": [pairing_out(p) for p in pairings]}


@router.get("/helpers/{helper_id}", response={200: HelperDetail, 404: DetailOut})
def get_helper(request: HttpRequest, helper_id: int):
    return _helper_detail(request.auth, helper_id)


@router.patch("/helpers/{helper_id}", auth=manage_auth, response={200: HelperDetail, 409: ErrorOut,
                                                                  **WRITE_RESPONSES})
def patch_helper(request: HttpRequest, helper_id: int, body: HelperPatch):
    data = body.dict(exclude_unset=True)
    version = data.pop("version")
    if "user_id" in data:
        data["user"] = data.pop("user_id") or None
    services.update_helper(actor=request.auth, helper_id=helper_id, expected_version=version, data=data,
                           source="api")
    return _helper_detail(request.auth, helper_id)


@router.get("/mine", response={200: MineOut, 404: DetailOut})
def mine(request: HttpRequest):
    """我的结对户 — the signed-in helper's current households (404 for a login that is no helper)."""
    user = request.auth
    helper = selectors.helper_for_user(user)
    if helper is None:
        raise ScopeError("不存在或无权查看 / not found")
    households = selectors.my_households(user).order_by("village_code", "household_number")
    helper.current_households = households.count()
    return {"helper": helper_out(helper, _limit(helper)), "households": [household_brief(h) for h in households]}


# --- household pairings ------------------------------------------------------------------------------

@router.get("/households/{household_id}", response={200: list[PairingOut], 404: DetailOut})
def household_pairings(request: HttpRequest, household_id: int):
    """A household's pairings, newest first: the history across transfers."""
    user = request.auth
    get_visible_or_404(user, Household.objects.all(), pk=household_id)
    return [pairing_out(p) for p in selectors.household_pairings(user, household_id)
            .select_related("household")]


def _pairing(user: Any, pairing_id: int) -> dict[str, Any]:
    return pairing_out(selectors.pairing_detail(user, pairing_id))


@router.post("/households/{household_id}/pairings", auth=manage_auth, response={201: PairingOut, **WRITE_RESPONSES})
def pair(request: HttpRequest, household_id: int, body: PairIn):
    """结对 — within the limits in force (422 naming the limit when over it)."""
    p = services.pair_household(actor=request.auth, helper_id=body.helper_id, household_id=household_id,
                                started_on=body.started_on, comment=body.comment, source="api")
    return Status(201, _pairing(request.auth, p.pk))


@router.post("/pairings/{pairing_id}/transfer", auth=manage_auth, response={201: PairingOut, **WRITE_RESPONSES})
def transfer(request: HttpRequest, pairing_id: int, body: TransferIn):
    """调整帮扶人 — ends the pairing and starts the next; returns the new pairing."""
    p = services.transfer_household(actor=request.auth, pairing_id=pairing_id, to_helper_id=body.helper_id,
                                    on=body.on, comment=body.comment, source="api")
    return Status(201, _pairing(request.auth, p.pk))


@router.post("/pairings/{pairing_id}/end", auth=manage_auth, response={200: PairingOut, **WRITE_RESPONSES})
def end(request: HttpRequest, pairing_id: int, body: EndIn):
    services.end_household_pairing(actor=request.auth, pairing_id=pairing_id, reason=body.reason,
                                   ended_on=body.ended_on, comment=body.comment, source="api")
    return _pairing(request.auth, pairing_id)


# --- work teams --------------------------------------------------------------------------------------

@router.get("/teams", response={200: TeamPage, 404: DetailOut})
def list_teams(request: HttpRequest, query: Query[TeamQuery]):
    user = request.auth
    _require_view(user)
    qs = selectors.teams(user, region=query.region, current_only=query.current).order_by("village_id", "-started_on")
    return _paged(qs, query, team_out)


@router.post("/teams", auth=manage_auth, response={201: TeamDetail, **WRITE_RESPONSES})
def create_team(request: HttpRequest, body: TeamIn):
    team = services.create_team(actor=request.auth, village_code=body.village_code, sending_unit=body.sending_unit,
                                unit_level=body.unit_level, name=body.name, started_on=body.started_on, source="api")
    return Status(201, team_detail_out(selectors.team_detail(request.auth, team.pk)))


@router.get("/teams/{team_id}", response={200: TeamDetail, 404: DetailOut})
def get_team(request: HttpRequest, team_id: int):
    return team_detail_out(selectors.team_detail(request.auth, team_id))


@router.post("/teams/{team_id}/members", auth=manage_auth, response={201: TeamDetail, **WRITE_RESPONSES})
def add_member(request: HttpRequest, team_id: int, body: MemberIn):
    services.add_team_member(actor=request.auth, team_id=team_id, helper_id=body.helper_id, name=body.name,
                             unit=body.unit, phone=body.phone, is_first_secretary=body.is_first_secretary,
                             is_leader=body.is_leader, joined_on=body.joined_on, source="api")
    return Status(201, team_detail_out(selectors.team_detail(request.auth, team_id)))


@router.post("/teams/{team_id}/end", auth=manage_auth, response={200: TeamDetail, **WRITE_RESPONSES})
def end_team(request: HttpRequest, team_id: int, body: LeaveIn):
    services.end_team(actor=request.auth, team_id=team_id, ended_on=body.left_on, comment=body.comment, source="api")
    return team_detail_out(selectors.team_detail(request.auth, team_id))


def _team_of_member(user: Any, member_id: int) -> Any:
    team_id = TeamMember.objects.filter(pk=member_id).values_list("team_id", flat=True).first()
    if team_id is None:
        raise ScopeError("不存在或无权查看 / not found")
    return selectors.team_detail(user, team_id)


@router.post("/members/{member_id}/leave", auth=manage_auth, response={200: TeamDetail, **WRITE_RESPONSES})
def member_leave(request: HttpRequest, member_id: int, body: LeaveIn):
    team = _team_of_member(request.auth, member_id)
    services.team_member_leaves(actor=request.auth, member_id=member_id, left_on=body.left_on, comment=body.comment,
                                source="api")
    return team_detail_out(team)


@router.post("/members/{member_id}/attendance", auth=attendance_auth, response={200: TeamDetail, **WRITE_RESPONSES})
def attendance(request: HttpRequest, member_id: int, body: AttendanceIn):
    """驻村考勤 — a member's days present in a month (a second call for the month corrects it)."""
    team = _team_of_member(request.auth, member_id)
    services.record_attendance(actor=request.auth, member_id=member_id, month=body.month,
                               days_present=body.days_present, comment=body.comment, source="api")
    return team_detail_out(team)


# --- place pairings ----------------------------------------------------------------------------------

@router.get("/places/{kind}", response={200: PlacePage, 404: DetailOut})
def list_places(request: HttpRequest, kind: PlaceKind, query: Query[PlaceQuery]):
    user = request.auth
    _require_view(user)
    qs = selectors.place_pairings(user, kind, current_only=query.current).order_by("ended_on", "-started_on", "-id")
    return _paged(qs, query, lambda p: place_out(kind, p))


@router.post("/places/{kind}", auth=manage_auth, response={201: PlaceOut, **WRITE_RESPONSES})
def start_place(request: HttpRequest, kind: PlaceKind, body: PlaceIn):
    p = services.start_place_pairing(actor=request.auth, kind=kind, data=body.data, started_on=body.started_on,
                                     comment=body.comment, source="api")
    return Status(201, place_out(kind, selectors.place_pairing_detail(request.auth, kind, p.pk)))


@router.post("/places/{kind}/{pairing_id}/end", auth=manage_auth, response={200: PlaceOut, **WRITE_RESPONSES})
def end_place(request: HttpRequest, kind: PlaceKind, pairing_id: int, body: EndIn):
    services.end_place_pairing(actor=request.auth, kind=kind, pairing_id=pairing_id, reason=body.reason,
                               ended_on=body.ended_on, comment=body.comment, source="api")
    return place_out(kind, selectors.place_pairing_detail(request.auth, kind, pairing_id))


@router.post("/places/{kind}/{pairing_id}/transfer", auth=manage_auth, response={201: PlaceOut, **WRITE_RESPONSES})
def transfer_place(request: HttpRequest, kind: PlaceKind, pairing_id: int, body: PlaceTransferIn):
    p = services.transfer_place_pairing(actor=request.auth, kind=kind, pairing_id=pairing_id, data=body.data,
                                        on=body.on, comment=body.comment, source="api")
    return Status(201, place_out(kind, selectors.place_pairing_detail(request.auth, kind, p.pk)))


@router.post("/places/county/{pairing_id}/funds", auth=manage_auth, response={200: PlaceOut, **WRITE_RESPONSES})
def county_funds(request: HttpRequest, pairing_id: int, body: FundIn):
    """县际结对资金 — one year's committed and delivered funds (a second call for the year changes it)."""
    services.set_county_funds(actor=request.auth, pairing_id=pairing_id, year=body.year, committed=body.committed,
                              delivered=body.delivered, source="api")
    return place_out("county", selectors.place_pairing_detail(request.auth, "county", pairing_id))
