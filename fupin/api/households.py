"""Households (贫困户) in the API: list, detail, register (建档) and change.

Reads go through :mod:`fupin.registry.selectors` (scoped by :func:`fupin.core.scoping.visible_to`),
writes through :mod:`fupin.registry.services` with ``source="api"``. After a write the record is read
back through the scoping function, so the response never shows what the user may not see.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from fupin.policy.regions import RegionCodeError, normalize_code
from fupin.registry import selectors, services
from fupin.registry.models import Household, Member
from fupin.registry.services import INVALID, RegistryError

from . import payload, present
from .auth import editor_auth
from .members import member_out
from .schemas import (
    DetailOut,
    ErrorOut,
    HouseholdDetail,
    HouseholdIn,
    HouseholdPage,
    HouseholdPatch,
    HouseholdQuery,
    MemberIn,
    MemberOut,
    RecordId,
)

router = Router(tags=["households 贫困户"])
WRITE_RESPONSES = {401: DetailOut, 404: DetailOut, 409: ErrorOut, 422: ErrorOut}


def detail(request: HttpRequest, household_id: int) -> dict[str, Any]:
    """The household as the requesting user may see it (404 when out of scope)."""
    user = request.auth
    h = selectors.household_detail(user, household_id)
    members = list(Member.objects.filter(household=h).order_by("status", "relation", "birth_date", "pk"))
    return present.household_detail(h, full_id=user.may_see_full_id, members=members,
                                     ancestors=h.village.ancestors(),
                                     elsewhere=selectors.members_elsewhere(user, members))


@router.get("", response={200: HouseholdPage, 422: ErrorOut})
def list_households(request: HttpRequest, query: Query[HouseholdQuery]):
    """贫困户列表: search and filters, paginated; every row carries its 12-digit ``village_code``."""
    region = ""
    if query.region:
        try:
            region = normalize_code(query.region)
        except RegionCodeError as exc:
            raise RegistryError(INVALID, {"region": [str(exc)]}) from exc
    filters = selectors.HouseholdFilters(
        q=query.q, region=region, status=query.status, poverty_status=query.poverty_status,
        cause=query.cause, category=query.category,
    )
    qs = selectors.households(request.auth, filters)
    start = (query.page - 1) * query.page_size
    return {
        "count": qs.count(), "page": query.page, "page_size": query.page_size,
        "items": [present.household_item(h) for h in qs[start: start + query.page_size]],
    }


@router.get("/{household_id}", response={200: HouseholdDetail, 404: DetailOut})
def get_household(request: HttpRequest, household_id: RecordId):
    """一户: every registration field, region path and members (numbers masked by role)."""
    return detail(request, household_id)


@router.post("", auth=editor_auth, response={201: HouseholdDetail, **WRITE_RESPONSES})
def create_household(request: HttpRequest, body: HouseholdIn):
    """建档: register a household with its members in one transaction."""
    data = body.model_dump(exclude_unset=True)
    village_code = data.pop("village_code")
    data = payload.clean(Household, data, nested={"members": Member})
    members = data.pop("members")
    h = services.create_household(actor=request.auth, village_code=village_code, data=data,
                                  members=members, source="api")
    return Status(201, detail(request, h.pk))


@router.patch("/{household_id}", auth=editor_auth, response={200: HouseholdDetail, **WRITE_RESPONSES})
def update_household(request: HttpRequest, household_id: RecordId, body: HouseholdPatch):
    """修改: change the fields sent; ``version`` must be the one the client read (else 409)."""
    data = body.model_dump(exclude_unset=True)
    version = data.pop("version")
    village_code = data.pop("village_code", None)
    services.update_household(actor=request.auth, household_id=household_id, expected_version=version,
                              data=payload.clean(Household, data), village_code=village_code, source="api")
    return detail(request, household_id)


@router.post("/{household_id}/members", auth=editor_auth, response={201: MemberOut, **WRITE_RESPONSES})
def add_member(request: HttpRequest, household_id: RecordId, body: MemberIn):
    """增加成员 (出生、婚入 …): the household's size, head and income per person follow."""
    data = payload.clean(Member, body.model_dump(exclude_unset=True))
    m = services.add_member(actor=request.auth, household_id=household_id, data=data, source="api")
    return Status(201, member_out(request, m.pk))
