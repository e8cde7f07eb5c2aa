"""Reads of the registry, always through :func:`fupin.core.scoping.visible_to`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from fupin.core.scoping import visible_to
from fupin.policy import codes
from fupin.policy.incidence import IncidenceResult, compute_incidence
from fupin.policy.regions import LEVEL_FIELD, LEVEL_VILLAGE
from fupin.regions.models import Region

from .choices import RecordStatus
from .models import Household, Member

NOT_EXITED = Q(poverty_status__in=sorted(codes.POVERTY_STATUS_NOT_EXITED))


@dataclass(frozen=True)
class HouseholdFilters:
    """Search and filters of the household list (page and API alike)."""

    q: str = ""  # name of any member, ID number, household number
    region: str = ""  # any region code (12 digits or its prefix form)
    status: str = "active"  # record status: active / left / all
    poverty_status: str = ""
    cause: str = ""  # main or other cause
    category: str = ""
    category_form_version: str = ""  # 2014 / 2016: the same code means different things per form


def households(user: Any, filters: HouseholdFilters | None = None) -> QuerySet[Household]:
    """The households the user may see, filtered."""
    f = filters or HouseholdFilters()
    qs = visible_to(user, Household.objects.select_related("village"))
    if f.status in (RecordStatus.ACTIVE, RecordStatus.LEFT):
        qs = qs.filter(status=f.status)
    if f.region:
        region = Region.objects.filter(code=f.region).first()
        qs = qs.filter(**{LEVEL_FIELD[region.level]: region.code}) if region else qs.none()
    if f.poverty_status:
        qs = qs.filter(poverty_status=f.poverty_status)
    if f.cause:
        qs = qs.filter(Q(main_cause=f.cause) | Q(other_cause_1=f.cause) | Q(other_cause_2=f.cause))
    if f.category:
        qs = qs.filter(category=f.category)
    if f.category_form_version:
        qs = qs.filter(category_form_version=f.category_form_version)
    term = f.q.strip()
    if term:
        member_match = Member.objects.filter(Q(name__contains=term) | Q(id_number=term.upper()))
        qs = qs.filter(Q(head_name__contains=term) | Q(household_number=term)
                       | Q(pk__in=member_match.values("household_id")))
    return qs


def household_detail(user: Any, household_id: int) -> Household:
    from fupin.core.scoping import get_visible_or_404

    return get_visible_or_404(user, Household.objects.select_related("village"), pk=household_id)


@dataclass(frozen=True)
class RegionFigures:
    """Figures of one region (区划统计): registered households and persons, poor not yet exited, incidence."""

    code: str
    name: str
    level: int
    households: int
    persons: int
    poor_households: int
    poor_persons: int
    incidence: IncidenceResult
    is_poor_village: bool = False


def _figures_by(qs: QuerySet[Household], column: str) -> dict[str, dict[str, int]]:
    rows = (
        qs.filter(status=RecordStatus.ACTIVE)
        .values(column)
        .annotate(
            households=Count("id"), persons=Sum("size"),
            poor_households=Count("id", filter=NOT_EXITED), poor_persons=Sum("size", filter=NOT_EXITED),
        )
    )
    return {r[column]: r for r in rows}


def _make(region: Region, row: dict[str, int] | None) -> RegionFigures:
    row = row or {}
    poor_persons = row.get("poor_persons") or 0
    return RegionFigures(
        code=region.code, name=region.name, level=region.level,
        households=row.get("households") or 0, persons=row.get("persons") or 0,
        poor_households=row.get("poor_households") or 0, poor_persons=poor_persons,
        incidence=compute_incidence(poor_persons, region.rural_population),
        is_poor_village=region.is_poor_village,
    )


def region_figures(user: Any, region: Region) -> tuple[RegionFigures, list[RegionFigures]]:
    """Figures of a region the user may see and of each of its children (two queries).

    The caller has already fetched ``region`` through the scoping function; the household query is
    scoped again, so a figure can never include a household outside the user's scope.
    """
    qs = visible_to(user, Household.objects.all()).filter(**{LEVEL_FIELD[region.level]: region.code})
    own = _figures_by(qs, LEVEL_FIELD[region.level]).get(region.code)
    children: list[RegionFigures] = []
    if region.level < LEVEL_VILLAGE:
        by_child = _figures_by(qs, LEVEL_FIELD[region.level + 1])
        kids = visible_to(user, Region.objects.filter(parent=region)).order_by("code")
        children = [_make(child, by_child.get(child.code)) for child in kids]
    return _make(region, own), children


@dataclass(frozen=True)
class MemberElsewhere:
    """人员去向/来源 — the same person (证件号码) recorded in another household the user may see.

    ``kind`` is ``"from"`` (曾在户: a member active here who was last recorded, and has left, another
    household — a 分户 or a move, by a roster import or by hand) or ``"to"`` (现在户: a member who left
    here and is now active in another household). ``left_reason`` and ``left_at`` are those of the
    record that was left: the other household's for ``"from"``, this one's for ``"to"``.
    """

    kind: str
    household_id: int
    household_number: str
    head_name: str
    left_reason: str
    left_at: datetime | None


def members_elsewhere(user: Any, members: list[Member]) -> dict[int, MemberElsewhere]:
    """For each of ``members`` (by pk), where the same ID number is recorded in another household.

    One query, through :func:`visible_to`: a household outside the user's scope is never named.
    A member still active here gets the household they left last (latest ``left_at``); a member who
    left here gets the household where they are active now. Members with neither are absent.
    """
    ids = {m.id_number for m in members}
    if not ids:
        return {}
    others = (visible_to(user, Member.objects.filter(id_number__in=ids))
              .select_related("household").order_by("-left_at", "-pk"))
    by_id: dict[str, list[Member]] = {}
    for other in others:
        by_id.setdefault(other.id_number, []).append(other)
    found: dict[int, MemberElsewhere] = {}
    for m in members:
        candidates = [o for o in by_id.get(m.id_number, []) if o.household_id != m.household_id]
        if m.status == RecordStatus.ACTIVE:
            match = next((o for o in candidates if o.status != RecordStatus.ACTIVE and o.left_at), None)
            if match:
                found[m.pk] = _elsewhere("from", match, match)
        else:
            match = next((o for o in candidates if o.status == RecordStatus.ACTIVE), None)
            if match:
                found[m.pk] = _elsewhere("to", match, m)
    return found


def _elsewhere(kind: str, other: Member, left: Member) -> MemberElsewhere:
    h = other.household
    return MemberElsewhere(kind=kind, household_id=h.pk, household_number=h.household_number,
                           head_name=h.head_name, left_reason=left.left_reason, left_at=left.left_at)
