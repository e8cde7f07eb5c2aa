"""Reads of village and county exit: the villages of a county with their incidence and conditions, a
village's exit case, county readiness. Every read starts from :func:`fupin.core.scoping.visible_to`
(``region_exit.view``); the incidence of a list is column work (:func:`fupin.policy.area_exit.incidence_frame`)
over one grouped query of the scoped registry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl
from django.db.models import Count, QuerySet, Sum

from fupin.core.scoping import get_visible_or_404, visible_to
from fupin.policy import roles
from fupin.policy.area_exit import VILLAGE, incidence_frame
from fupin.policy.procedure import ActionKind, allowed_actions
from fupin.policy.regions import LEVEL_COUNTY, LEVEL_FIELD, LEVEL_VILLAGE
from fupin.regions.models import Region
from fupin.registry.choices import RecordStatus
from fupin.registry.models import Household

from . import services
from .choices import VillageExitStatus
from .models import CountyExit, VillageCondition, VillageExitCase, VillageExitEvent, VillageExitObjection

CAP = roles.VIEW_REGION_EXIT


def region(user: Any, code: str, level: int | None = None) -> Region:
    qs = Region.objects.all() if level is None else Region.objects.filter(level=level)
    return get_visible_or_404(user, qs, CAP, code=code)


@dataclass
class VillageRow:
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
    conditions: VillageCondition | None
    open_case: VillageExitCase | None


def villages_of(user: Any, county: Region, year: int, *, poor_only: bool = True) -> list[VillageRow]:
    """The (poor) villages of a county or township (``county``) the user may see, with incidence (scoped
    figures), conditions of ``year``, exit year and open case."""
    policy = services.effective_area_policy(county.code)
    villages = visible_to(user, Region.objects.filter(level=LEVEL_VILLAGE, code__startswith=county.prefix), CAP)
    if poor_only:
        villages = villages.filter(is_poor_village=True)
    villages = list(villages.order_by("code"))
    figures = {r["village_code"]: r for r in visible_to(user, Household.objects.filter(
        **{LEVEL_FIELD[county.level]: county.code}, status=RecordStatus.ACTIVE, poverty_status__in=sorted(policy.numerator_statuses)),
        CAP).values("village_code").annotate(h=Count("id"), p=Sum("size")).order_by()}
    western = services._western(county)
    frame = pl.DataFrame({
        "code": [v.code for v in villages],
        "poor_persons": [int((figures.get(v.code) or {}).get("p") or 0) for v in villages],
        "rural_population": [v.rural_population for v in villages],
        "agricultural_population": [v.agricultural_population for v in villages],
        "is_western": [western or v.is_western for v in villages],
    }, schema={"code": pl.Utf8, "poor_persons": pl.Int64, "rural_population": pl.Int64,
               "agricultural_population": pl.Int64, "is_western": pl.Boolean})
    rates = {r["code"]: r for r in incidence_frame(frame, policy, VILLAGE).iter_rows(named=True)}
    conditions = {c.village_code: c for c in visible_to(user, VillageCondition.objects.filter(
        village_code__startswith=county.prefix, year=year), CAP)}
    cases = {c.village_code: c for c in visible_to(user, VillageExitCase.objects.filter(
        village_code__startswith=county.prefix, status=VillageExitStatus.IN_PROGRESS), CAP)}
    out = []
    for v in villages:
        r = rates[v.code]
        out.append(VillageRow(code=v.code, name=v.name, is_poor_village=v.is_poor_village, exit_year=v.exit_year,
                              poor_households=int((figures.get(v.code) or {}).get("h") or 0),
                              poor_persons=r["poor_persons"], population=r["population"], rate=r["rate"],
                              threshold=r["threshold"], below=r["below"], conditions=conditions.get(v.code),
                              open_case=cases.get(v.code)))
    return out


def cases(user: Any, village_code: str) -> QuerySet[VillageExitCase]:
    return visible_to(user, VillageExitCase.objects.filter(village_code=village_code), CAP).order_by("-id")


def case_detail(user: Any, pk: int) -> VillageExitCase:
    return get_visible_or_404(user, VillageExitCase.objects.all(), CAP, pk=pk)


def events(case: VillageExitCase) -> list[VillageExitEvent]:
    return list(case.events.order_by("id"))


def objections(case: VillageExitCase) -> list[VillageExitObjection]:
    return list(case.objections.order_by("id"))


def conditions(user: Any, village_code: str) -> QuerySet[VillageCondition]:
    return visible_to(user, VillageCondition.objects.filter(village_code=village_code), CAP).order_by("-year")


def county_exit(user: Any, county_code: str) -> CountyExit | None:
    return visible_to(user, CountyExit.objects.filter(county_code=county_code), CAP).first()


def actions_for(user: Any, case: VillageExitCase) -> list[str]:
    """The actions a user may try on a case now (which forms to show)."""
    from fupin.core.scoping import region_in_scope

    if not case.is_open or not region_in_scope(user, case.village_code, roles.PERFORM_VILLAGE_EXIT):
        return []
    return allowed_actions(case.get_procedure(), case.state(), str(user.role))


def areas_of(user: Any) -> list[Region]:
    """Where the user starts: their own county or township, or the counties under their region."""
    region_ = user.region
    if region_ is None:
        return []
    if region_.level == LEVEL_VILLAGE:
        return []
    if region_.level >= LEVEL_COUNTY:
        return [region_]
    return list(visible_to(user, Region.objects.filter(level=LEVEL_COUNTY, code__startswith=region_.prefix), CAP)
                .order_by("code"))


__all__ = [
    "ActionKind",
    "VillageRow",
    "actions_for",
    "areas_of",
    "case_detail",
    "cases",
    "conditions",
    "county_exit",
    "events",
    "objections",
    "region",
    "villages_of",
]
