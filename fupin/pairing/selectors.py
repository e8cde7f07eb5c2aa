"""Reads of the pairing app (结对帮扶). What a user sees starts from :func:`fupin.core.scoping.visible_to`.

The three contract selectors (:func:`current_helpers`, :func:`households_of_helper`,
:func:`helper_for_user`) take no user: callers pass objects they already obtained through the
scoping function. The rest take the user and return only what the user may see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from fupin.core.scoping import get_visible_or_404, visible_to
from fupin.policy import roles
from fupin.policy.regions import prefix_of
from fupin.regions.models import Region
from fupin.registry.models import Household

from .models import (
    AttendanceRecord,
    CountyPairing,
    EnterpriseVillagePairing,
    Helper,
    HouseholdPairing,
    LeaderTownshipPairing,
    TeamMember,
    UnitVillagePairing,
    VillagePairing,
    WorkTeam,
)

CURRENT = Q(ended_on__isnull=True)


# --- the contract ------------------------------------------------------------------------------------

def current_helpers(household_id: int) -> QuerySet[Helper]:
    """The household's current helpers (pairings with ``ended_on`` null)."""
    return Helper.objects.filter(household_pairings__household_id=household_id,
                                 household_pairings__ended_on__isnull=True)


def households_of_helper(helper: Helper) -> QuerySet[Household]:
    """The households currently paired to ``helper``."""
    return Household.objects.filter(pairings__helper=helper, pairings__ended_on__isnull=True)


def helper_for_user(user: Any) -> Helper | None:
    """The helper linked to a login, or None (anonymous users and users without a helper)."""
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "pk", None):
        return None
    return Helper.objects.filter(user_id=user.pk).first()


# --- helpers -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class HelperFilters:
    q: str = ""  # name, unit or phone
    region: str = ""  # 12-digit code: helpers of that region (and below)
    unit_level: str = ""
    active: str = "1"  # 1 / 0 / all


def helpers_visible_to(user: Any, capability: str = roles.VIEW_PAIRING) -> QuerySet[Helper]:
    """Helpers the user may see: of their region, of the regions above it (county cadres for a
    township), and — for a user who is a helper — themselves."""
    if not getattr(user, "is_authenticated", False):
        return Helper.objects.none()
    if capability == roles.VIEW_PAIRING and not user.has_capability(capability):
        capability = roles.MANAGE_PAIRING if user.has_capability(roles.MANAGE_PAIRING) else roles.VIEW_REGISTRY
    return visible_to(user, Helper.objects.all(), capability)


def with_load(qs: QuerySet[Helper]) -> QuerySet[Helper]:
    """Annotate ``current_households``: the helper's current pairings (all regions: it is their load)."""
    return qs.annotate(current_households=Count("household_pairings",
                                                filter=Q(household_pairings__ended_on__isnull=True)))


def helpers(user: Any, filters: HelperFilters | None = None) -> QuerySet[Helper]:
    f = filters or HelperFilters()
    qs = helpers_visible_to(user)
    if f.active in ("0", "1"):
        qs = qs.filter(active=f.active == "1")
    if f.region:
        region = Region.objects.filter(code=f.region).first()
        qs = qs.filter(region_code__startswith=prefix_of(region.code, region.level)) if region else qs.none()
    if f.unit_level:
        qs = qs.filter(unit_level=f.unit_level)
    term = f.q.strip()
    if term:
        qs = qs.filter(Q(name__contains=term) | Q(unit__contains=term) | Q(phone=term))
    return with_load(qs).order_by("region_code", "name", "pk")


def helper_detail(user: Any, helper_id: int) -> Helper:
    """One helper with ``current_households``, or 404 (also out of scope)."""
    from fupin.core.scoping import ScopeError

    helper = with_load(helpers_visible_to(user)).filter(pk=helper_id).first()
    if helper is None:
        raise ScopeError("不存在或无权查看 / not found")
    return helper


def helper_pairings(user: Any, helper: Helper, *, current_only: bool = False) -> QuerySet[HouseholdPairing]:
    """The helper's pairings whose household the user may see, with the household and its village."""
    households = visible_to(user, Household.objects.all())
    qs = (HouseholdPairing.objects.filter(helper=helper, household__in=households)
          .select_related("household__village", "transfer_to__helper"))
    if current_only:
        qs = qs.filter(CURRENT)
    return qs.order_by("ended_on", "household__village_code", "household__household_number", "-started_on")


def household_pairings(user: Any, household_id: int) -> QuerySet[HouseholdPairing]:
    """A household's pairings, newest first, with helpers: the history across transfers (scoped)."""
    return (visible_to(user, HouseholdPairing.objects.filter(household_id=household_id))
            .select_related("helper", "transfer_to__helper").order_by("-started_on", "-id"))


def pairing_detail(user: Any, pairing_id: int) -> HouseholdPairing:
    return get_visible_or_404(user, HouseholdPairing.objects.select_related("helper", "household__village"),
                              pk=pairing_id)


def pairing_history(household_id: int) -> QuerySet[HouseholdPairing]:
    """Every pairing of a household (unscoped: the caller holds the household), newest first."""
    return HouseholdPairing.objects.filter(household_id=household_id).select_related("helper", "transfer_to")


def my_households(user: Any) -> QuerySet[Household]:
    """The households currently paired to the user's helper (empty when the user is no helper)."""
    helper = helper_for_user(user)
    if helper is None:
        return Household.objects.none()
    return visible_to(user, households_of_helper(helper).select_related("village"))


# --- place pairings ----------------------------------------------------------------------------------

PLACE_MODELS = {
    "unit_village": UnitVillagePairing, "leader_township": LeaderTownshipPairing,
    "enterprise_village": EnterpriseVillagePairing, "village": VillagePairing, "county": CountyPairing,
}
_PLACE_RELATED = {
    "unit_village": ("village",), "leader_township": ("township",), "enterprise_village": ("village",),
    "village": ("strong_village", "weak_village"), "county": ("helping_county", "helped_county", "helped_township"),
}


def place_pairings(user: Any, kind: str, *, current_only: bool = False) -> QuerySet[Any]:
    model = PLACE_MODELS[kind]
    qs = visible_to(user, model.objects.select_related(*_PLACE_RELATED[kind]), roles.VIEW_PAIRING)
    if kind == "county":
        qs = qs.prefetch_related("funds")
    return qs.filter(CURRENT) if current_only else qs


def place_pairing_detail(user: Any, kind: str, pairing_id: int) -> Any:
    model = PLACE_MODELS[kind]
    return get_visible_or_404(user, model.objects.select_related(*_PLACE_RELATED[kind]), roles.VIEW_PAIRING,
                              pk=pairing_id)


# --- work teams --------------------------------------------------------------------------------------

def _current_first_secretary() -> Exists:
    return Exists(TeamMember.objects.filter(team=OuterRef("pk"), is_first_secretary=True, left_on__isnull=True))


def teams(user: Any, *, region: str = "", current_only: bool = True) -> QuerySet[WorkTeam]:
    qs = visible_to(user, WorkTeam.objects.select_related("village"), roles.VIEW_PAIRING)
    if region:
        r = Region.objects.filter(code=region).first()
        qs = qs.filter(village__code__startswith=prefix_of(r.code, r.level)) if r else qs.none()
    if current_only:
        qs = qs.filter(CURRENT)
    return qs.annotate(has_first_secretary=_current_first_secretary(),
                       current_members=Count("members", filter=Q(members__left_on__isnull=True)))


def team_detail(user: Any, team_id: int) -> WorkTeam:
    return get_visible_or_404(user, WorkTeam.objects.select_related("village__parent"), roles.VIEW_PAIRING,
                              pk=team_id)


def team_members(team: WorkTeam) -> list[TeamMember]:
    """The team's members, current first, each with ``months``: attendance rows newest first (2 queries)."""
    members = list(TeamMember.objects.filter(team=team).select_related("helper")
                   .order_by("left_on", "-is_first_secretary", "-is_leader", "joined_on", "pk"))
    by_member: dict[int, list[AttendanceRecord]] = {m.pk: [] for m in members}
    for row in AttendanceRecord.objects.filter(member__team=team).order_by("-month"):
        by_member[row.member_id].append(row)
    for m in members:
        m.months = by_member[m.pk]  # type: ignore[attr-defined]
    return members
