"""Reads of the rules app (规则与判定), scoped by the one scoping function.

Runs are visible when their region lies in the user's scope; matches, assignments and decisions
through their household's region. Counts per region come from the run's stored counts (a run's
region is inside the user's scope, so every figure of it is too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from fupin.core.scoping import get_visible_or_404, visible_to
from fupin.policy import roles
from fupin.policy.regions import LEVEL_FIELD, level_of
from fupin.regions.models import Region
from fupin.registry.models import Household

from .choices import DecisionKind, RunStatus
from .models import HouseholdDecision, PathwayAssignment, PathwayRun, RuleMatch, RuleRun


def rule_runs(user: Any) -> QuerySet[RuleRun]:
    return visible_to(user, RuleRun.objects.all(), roles.VIEW_REGISTRY)


def rule_run(user: Any, run_id: int) -> RuleRun:
    return get_visible_or_404(user, RuleRun.objects.all(), roles.VIEW_REGISTRY, pk=run_id)


def pathway_runs(user: Any) -> QuerySet[PathwayRun]:
    return visible_to(user, PathwayRun.objects.all(), roles.VIEW_REGISTRY)


def pathway_run(user: Any, run_id: int) -> PathwayRun:
    return get_visible_or_404(user, PathwayRun.objects.all(), roles.VIEW_REGISTRY, pk=run_id)


def household_by_number(user: Any, household_number: str) -> Household:
    """A household the user may see, by 户编号 (or 404)."""
    return get_visible_or_404(user, Household.objects.select_related("village"), roles.VIEW_REGISTRY,
                              household_number=household_number.strip())


def household(user: Any, household_id: int) -> Household:
    return get_visible_or_404(user, Household.objects.select_related("village"), roles.VIEW_REGISTRY,
                              pk=household_id)


def _under(qs: QuerySet[Any], region_code: str, path: str = "household__") -> QuerySet[Any]:
    return qs.filter(**{f"{path}{LEVEL_FIELD[level_of(region_code)]}": region_code})


def pathway_households(user: Any, run: PathwayRun, pathway_id: str, region_code: str = "") -> QuerySet[Household]:
    """The households of one pathway of a run (scoped), optionally under a sub-region, ordered."""
    assigned = visible_to(user, PathwayAssignment.objects.filter(run=run, pathway_id=pathway_id), roles.VIEW_REGISTRY)
    if region_code:
        assigned = _under(assigned, region_code)
    return (visible_to(user, Household.objects.select_related("village"), roles.VIEW_REGISTRY)
            .filter(pk__in=assigned.values("household_id")).order_by("village_code", "household_number"))


def rule_households(user: Any, run: RuleRun, rule_id: str, region_code: str = "") -> QuerySet[Household]:
    """The households a rule run matched for one rule id (scoped), optionally under a sub-region."""
    matched = visible_to(user, RuleMatch.objects.filter(run=run, rule_id=rule_id), roles.VIEW_REGISTRY)
    if region_code:
        matched = _under(matched, region_code)
    return (visible_to(user, Household.objects.select_related("village"), roles.VIEW_REGISTRY)
            .filter(pk__in=matched.values("household_id")).order_by("village_code", "household_number"))


@dataclass(frozen=True)
class CountTable:
    """A table of counts: one row per child region of ``region`` (and a total row), one column per key."""

    region: Region | None
    keys: list[str]
    #: {"code", "name", "level", "drill": bool, "cells": {key: n}, "persons": {key: n},
    #:  "values": [(key, households, persons)] in ``keys`` order}
    rows: list[dict[str, Any]]
    total: dict[str, Any]


def count_table(counts: dict[str, Any], key: str, region_code: str, keys: list[str] | None = None) -> CountTable:
    """The stored counts of a run (``counts["regions"]``) for the children of ``region_code`` (one
    level down) and the region itself as the total row. ``key`` is ``pathway_id`` or ``rule_id``."""
    level = level_of(region_code)
    entries = counts.get("regions", [])
    all_keys = keys or sorted({e[key] for e in entries})
    child_level = min(level + 1, 5)
    prefix = region_code[: {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}[level]]
    children: dict[str, dict[str, Any]] = {}
    total: dict[str, Any] = {"cells": {}, "persons": {}}
    for e in entries:
        if e["level"] == level and e["code"] == region_code:
            total["cells"][e[key]] = e["households"]
            if "persons" in e:
                total["persons"][e[key]] = e["persons"]
        elif level < 5 and e["level"] == child_level and e["code"].startswith(prefix):
            row = children.setdefault(e["code"], {"code": e["code"], "cells": {}, "persons": {}})
            row["cells"][e[key]] = e["households"]
            if "persons" in e:
                row["persons"][e[key]] = e["persons"]
    names = dict(Region.objects.filter(code__in=[region_code, *children]).values_list("code", "name"))
    rows = []
    for code in sorted(children):
        row = children[code]
        row.update(name=names.get(code, code), level=child_level, drill=child_level < 5)
        row["values"] = [(k, row["cells"].get(k, 0), row["persons"].get(k)) for k in all_keys]
        rows.append(row)
    total["values"] = [(k, total["cells"].get(k, 0), total["persons"].get(k)) for k in all_keys]
    region = Region.objects.filter(code=region_code).first()
    return CountTable(region=region, keys=all_keys, rows=rows, total=total)


def latest_decisions(user: Any, household: Household, limit: int = 10) -> list[HouseholdDecision]:
    """A household's latest decisions (newest first), scoped."""
    qs = visible_to(user, HouseholdDecision.objects.filter(household=household), roles.VIEW_REGISTRY)
    return list(qs.order_by("-made_at", "-id")[:limit])


def latest_decision(user: Any, household: Household, kind: str = DecisionKind.ELIGIBILITY) -> HouseholdDecision | None:
    qs = visible_to(user, HouseholdDecision.objects.filter(household=household, kind=kind), roles.VIEW_REGISTRY)
    return qs.order_by("-made_at", "-id").first()


@dataclass(frozen=True)
class HouseholdPathways:
    """帮扶路径 of one household from the latest finished run of each scheme that classified it."""

    run: PathwayRun
    pathways: list[dict[str, Any]]  # {"pathway_id", "rule_id", "member_id", "member__name"}

    @property
    def labels(self) -> dict[str, str]:
        return {p["id"]: p["label_zh"] for p in (self.run.counts or {}).get("pathways", [])}


def household_pathways(user: Any, household: Household) -> list[HouseholdPathways]:
    """For each scheme, the newest finished run that covers the household, and its assignments."""
    assigned = visible_to(user, PathwayAssignment.objects.filter(household=household), roles.VIEW_REGISTRY)
    run_ids = set(assigned.values_list("run_id", flat=True).distinct())
    runs = PathwayRun.objects.filter(pk__in=run_ids, status=RunStatus.DONE).order_by("-created_at", "-id")
    newest: dict[str, PathwayRun] = {}
    for run in runs:
        newest.setdefault(run.scheme_id, run)
    out = []
    for scheme_id in sorted(newest):
        run = newest[scheme_id]
        rows = list(assigned.filter(run=run).order_by("pathway_id", "member_id")
                    .values("pathway_id", "rule_id", "member_id", "member__name"))
        out.append(HouseholdPathways(run=run, pathways=rows))
    return out
