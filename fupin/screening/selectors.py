"""Reads of the screening app (数据比对), scoped by the one scoping function.

The pages and the API read through these; :func:`confirmed_matches` is contract C, read by the rule
engine (``fupin.rules.frames``) to set the analytic view's ``any_vehicle`` … ``any_deceased`` flags.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl
from django.db.models import QuerySet

from fupin.core.scoping import get_visible_or_404, region_in_scope, visible_to
from fupin.policy import roles
from fupin.policy.regions import LEVEL_FIELD, RegionCodeError, level_of, normalize_code

from .choices import HitStatus
from .models import DepartmentList, DepartmentRejection, ScreeningHit, ScreeningRun
from .services import default_lists, usable_lists_q

MATCHES_SCHEMA = {"id_number": pl.Utf8, "kind": pl.Utf8}


def confirmed_matches(region_code: str, include_open: bool = False) -> pl.DataFrame:
    """Contract C: ``id_number, kind`` (distinct) of the hits confirmed in a region — with the open
    ones too when ``include_open`` — for the analytic view's ``matches`` (contract A). The ID number is
    the member's as the registry stores it (so a 20-digit disability certificate number joins). Not
    scoped by a user: the callers are the rule engine's whole-region runs; the region is the scope."""
    code = normalize_code(region_code)
    statuses = [HitStatus.CONFIRMED, HitStatus.OPEN] if include_open else [HitStatus.CONFIRMED]
    rows = (ScreeningHit.objects.filter(**{LEVEL_FIELD[level_of(code)]: code}, status__in=statuses)
            .values_list("member__id_number", "kind").distinct())
    return pl.DataFrame(list(rows), schema=MATCHES_SCHEMA, orient="row").sort("id_number", "kind")


# --- lists ------------------------------------------------------------------------------------------

def department_lists(user: Any) -> QuerySet[DepartmentList]:
    """The lists the user may see: of their region, below it, and above it (newest first)."""
    return visible_to(user, DepartmentList.objects.all(), roles.VIEW_SCREENING)


def list_detail(user: Any, list_id: int) -> DepartmentList:
    return get_visible_or_404(user, DepartmentList.objects.all(), roles.VIEW_SCREENING, pk=list_id)


def may_see_rows(user: Any, dept_list: DepartmentList) -> bool:
    """Rejected rows (and records) stay with the list's region: a township officer sees that the
    county's list exists, not its rows."""
    return region_in_scope(user, dept_list.region_code, roles.VIEW_SCREENING)


def list_rejections(user: Any, list_id: int) -> QuerySet[DepartmentRejection]:
    """The rejected rows of a list whose region lies in the user's scope (404 otherwise)."""
    dept_list = list_detail(user, list_id)
    return visible_to(user, DepartmentRejection.objects.filter(department_list=dept_list),
                      roles.VIEW_SCREENING).order_by("row_number", "id")


def usable_lists(user: Any, region_code: str) -> list[DepartmentList]:
    """The lists a run over ``region_code`` may use (empty when the user may not run there)."""
    if not region_in_scope(user, region_code, roles.RUN_SCREENING):
        return []
    return list(DepartmentList.objects.filter(usable_lists_q(region_code)).order_by("kind", "-as_of", "-id"))


def default_list_ids(lists: list[DepartmentList]) -> set[int]:
    return {d.pk for d in default_lists(lists)}


# --- runs and hits ----------------------------------------------------------------------------------

def runs(user: Any) -> QuerySet[ScreeningRun]:
    return visible_to(user, ScreeningRun.objects.all(), roles.VIEW_SCREENING)


def run_detail(user: Any, run_id: int) -> ScreeningRun:
    return get_visible_or_404(user, ScreeningRun.objects.all(), roles.VIEW_SCREENING, pk=run_id)


@dataclass(frozen=True)
class HitFilters:
    """The queue's filters: kind, status, a region (any level) inside the user's, a run."""

    kind: str = ""
    status: str = ""
    region: str = ""
    run: int | None = None


def hits(user: Any, filters: HitFilters | None = None) -> QuerySet[ScreeningHit]:
    """疑点队列 — the hits the user may see, filtered; by village, household and kind."""
    f = filters or HitFilters()
    qs = visible_to(user, ScreeningHit.objects.all(), roles.VIEW_SCREENING)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.region:
        try:
            code = normalize_code(f.region)
        except RegionCodeError:
            return qs.none()
        qs = qs.filter(**{LEVEL_FIELD[level_of(code)]: code})
    if f.run:
        qs = qs.filter(run_id=f.run)
    return qs.select_related("member", "household", "household__village", "record",
                             "record__department_list").order_by("village_code", "household_id", "kind", "id")


def hit_detail(user: Any, hit_id: int) -> ScreeningHit:
    qs = ScreeningHit.objects.select_related("member", "household", "household__village", "record",
                                             "record__department_list", "run")
    return get_visible_or_404(user, qs, roles.VIEW_SCREENING, pk=hit_id)


def hits_for_household(user: Any, household_id: int) -> QuerySet[ScreeningHit]:
    """The hits of one household the user may see (for its page): the flags a confirmation sets."""
    return hits(user).filter(household_id=household_id)


def can_decide(user: Any, hit: ScreeningHit) -> bool:
    return hit.status == HitStatus.OPEN and region_in_scope(user, hit.village_code, roles.DECIDE_SCREENING)
