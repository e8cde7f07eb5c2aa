"""The coverage report (帮扶覆盖情况): teams, first secretaries, helpers and workload, by township and village.

For a region in the user's scope, on a day:

- every poor village (贫困村, ``Region.is_poor_village``) has a current work team (驻村工作队) with a
  current first secretary (第一书记);
- every registered household not yet exited (在册, 脱贫状态 in ``POVERTY_STATUS_NOT_EXITED``) has a
  current helper (帮扶责任人);
- each helper's workload (current households, all regions) against the limit in force in the helper's
  region for their unit level (:mod:`fupin.policy.pairing_rules`); over the limit is flagged.

A handful of aggregate queries (villages, teams, households, pairings, helpers) and Polars joins and
group-bys; no query per village, household or helper. Households come from
:func:`fupin.core.scoping.visible_to`, so no figure counts a household the user could not open.
Gaps come first in every list.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.db.models import Count, Exists, OuterRef, Q

from fupin.core.scoping import get_visible_or_404, visible_to
from fupin.policy import clock, codes, roles
from fupin.policy.regions import LEVEL_FIELD, LEVEL_TOWNSHIP, LEVEL_VILLAGE, prefix_of
from fupin.regions.models import Region
from fupin.registry.choices import RecordStatus
from fupin.registry.models import Household

from .limits import effective_limits, limits_for_regions
from .models import Helper, HouseholdPairing, TeamMember, WorkTeam

#: How many households without a helper the report lists by name (the count is always complete).
GAP_HOUSEHOLDS_SHOWN = 200


def current_on(on: dt.date, prefix: str = "") -> Q:
    """A period current on ``on``: started by then and not ended by then."""
    return Q(**{f"{prefix}started_on__lte": on}) & (Q(**{f"{prefix}ended_on__isnull": True})
                                                    | Q(**{f"{prefix}ended_on__gt": on}))


@dataclass(frozen=True)
class VillageRow:
    code: str
    name: str
    township_code: str
    township_name: str
    is_poor_village: bool
    teams: int
    first_secretaries: int
    open_households: int
    without_helper: int

    @property
    def without_team(self) -> bool:
        return self.is_poor_village and self.teams == 0

    @property
    def without_first_secretary(self) -> bool:
        return self.is_poor_village and self.first_secretaries == 0

    @property
    def has_gap(self) -> bool:
        return self.without_team or self.without_first_secretary or self.without_helper > 0


@dataclass(frozen=True)
class TownshipRow:
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

    @property
    def has_gap(self) -> bool:
        return bool(self.poor_without_team or self.poor_without_first_secretary or self.without_helper
                    or self.helpers_over_limit)


@dataclass(frozen=True)
class HelperLoad:
    """工作量 — a helper's current households (all regions) and how many lie in the report's region."""

    id: int
    name: str
    unit: str
    unit_level: str
    region_code: str
    active: bool
    households: int
    households_here: int
    limit: int

    @property
    def over_limit(self) -> bool:
        return self.households > self.limit


@dataclass
class CoverageReport:
    region: Region
    on: dt.date
    limits_version: str
    first_secretary_required: bool
    villages: list[VillageRow]
    townships: list[TownshipRow]
    helpers: list[HelperLoad]
    households_without_helper: list[Household]
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def poor_villages_without_team(self) -> list[VillageRow]:
        return [v for v in self.villages if v.without_team]

    @property
    def poor_villages_without_first_secretary(self) -> list[VillageRow]:
        return [v for v in self.villages if v.without_first_secretary]

    @property
    def helpers_over_limit(self) -> list[HelperLoad]:
        return [h for h in self.helpers if h.over_limit]


def report_region(user: Any, region_code: str = "") -> Region:
    """The report's region: ``region_code`` if the user may see it (else 404), or the user's own region."""
    code = region_code or (user.region.code if getattr(user, "region", None) else "")
    return get_visible_or_404(user, Region.objects.all(), roles.VIEW_PAIRING, code=code)


def _frame(rows: list[dict[str, Any]], schema: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def coverage(user: Any, region_code: str = "", on: dt.date | None = None) -> CoverageReport:
    """The coverage report of a region in the user's scope (404 outside it)."""
    region = report_region(user, region_code)
    on = on or clock.today()
    prefix = prefix_of(region.code, region.level)
    limits = effective_limits(region.code, on)

    # 1. villages and townships of the region (the region itself when it is a village)
    villages = _frame(list(Region.objects.filter(level=LEVEL_VILLAGE, code__startswith=prefix)
                           .values("code", "name", "is_poor_village")),
                      {"code": pl.Utf8, "name": pl.Utf8, "is_poor_village": pl.Boolean})
    townships = _frame(list(Region.objects.filter(level=LEVEL_TOWNSHIP, code__startswith=prefix[:9])
                            .values("code", "name")), {"code": pl.Utf8, "name": pl.Utf8})
    # 2. current teams and first secretaries per village
    fs = TeamMember.objects.filter(team=OuterRef("pk"), is_first_secretary=True, joined_on__lte=on).filter(
        Q(left_on__isnull=True) | Q(left_on__gt=on))
    team_rows = (WorkTeam.objects.filter(current_on(on), village__code__startswith=prefix)
                 .annotate(fs=Exists(fs)).values("village_id")
                 .annotate(teams=Count("id"), first_secretaries=Count("id", filter=Q(fs=True))))
    teams = _frame([{"code": r["village_id"], "teams": r["teams"], "first_secretaries": r["first_secretaries"]}
                    for r in team_rows], {"code": pl.Utf8, "teams": pl.Int64, "first_secretaries": pl.Int64})
    # 3. open households (在册, not exited) and those without a current helper, per village (scoped)
    paired = HouseholdPairing.objects.filter(current_on(on), household=OuterRef("pk"))
    region_households = visible_to(user, Household.objects.filter(
        status=RecordStatus.ACTIVE, **{LEVEL_FIELD[region.level]: region.code}))
    households_qs = region_households.filter(poverty_status__in=sorted(codes.POVERTY_STATUS_NOT_EXITED))
    household_rows = (households_qs.annotate(paired=Exists(paired)).values("village_code")
                      .annotate(open=Count("id"), without=Count("id", filter=Q(paired=False))))
    households = _frame([{"code": r["village_code"], "open_households": r["open"], "without_helper": r["without"]}
                         for r in household_rows],
                        {"code": pl.Utf8, "open_households": pl.Int64, "without_helper": pl.Int64})

    table = (villages.join(teams, on="code", how="left").join(households, on="code", how="left")
             .with_columns(pl.col("teams", "first_secretaries", "open_households", "without_helper").fill_null(0),
                           township_code=pl.col("code").str.slice(0, 9) + pl.lit("000"))
             .filter(pl.col("is_poor_village") | (pl.col("teams") > 0) | (pl.col("open_households") > 0))
             .join(townships.rename({"code": "township_code", "name": "township_name"}), on="township_code",
                   how="left")
             .with_columns(pl.col("township_name").fill_null(""),
                           without_team=pl.col("is_poor_village") & (pl.col("teams") == 0),
                           without_fs=pl.col("is_poor_village") & (pl.col("first_secretaries") == 0)))
    if not limits.first_secretary_required:
        table = table.with_columns(without_team=pl.lit(False), without_fs=pl.lit(False))
    table = table.with_columns(
        has_gap=pl.col("without_team") | pl.col("without_fs") | (pl.col("without_helper") > 0)
    ).sort(["has_gap", "without_helper", "code"], descending=[True, True, False])

    # 4. helper workload: helpers with households (any on the registry, exited too) here, and the region's
    #    own active helpers; the load counts every current pairing of the helper
    load_rows = (HouseholdPairing.objects.filter(current_on(on), household__in=region_households.values("pk"))
                 .values("helper_id", "household__township_code").annotate(n=Count("id")))
    loads = _frame([{"helper_id": r["helper_id"], "township_code": r["household__township_code"], "n": r["n"]}
                    for r in load_rows], {"helper_id": pl.Int64, "township_code": pl.Utf8, "n": pl.Int64})
    here = loads.group_by("helper_id").agg(pl.col("n").sum().alias("households_here"))
    paired_here = HouseholdPairing.objects.filter(current_on(on), household__in=region_households.values("pk"))
    helper_qs = (Helper.objects.filter(Q(pk__in=paired_here.values("helper_id"))
                                       | Q(region_code__startswith=prefix, active=True))
                 .annotate(households=Count("household_pairings", filter=current_on(on, "household_pairings__")))
                 .values("id", "name", "unit", "unit_level", "region_code", "active", "households"))
    helper_list = list(helper_qs)
    by_region = limits_for_regions({h["region_code"] for h in helper_list}, on)
    for h in helper_list:
        h["limit"] = by_region[h["region_code"]].household_limit(h["unit_level"])
    helper_frame = (_frame(helper_list, {"id": pl.Int64, "name": pl.Utf8, "unit": pl.Utf8, "unit_level": pl.Utf8,
                                         "region_code": pl.Utf8, "active": pl.Boolean, "households": pl.Int64,
                                         "limit": pl.Int64})
                    .join(here.rename({"helper_id": "id"}), on="id", how="left")
                    .with_columns(pl.col("households_here").fill_null(0),
                                  over=pl.col("households") > pl.col("limit"))
                    .sort(["over", "households", "name", "id"], descending=[True, True, False, False]))
    over_ids = helper_frame.filter(pl.col("over"))["id"]

    # 5. townships: villages rolled up, helpers counted where their households are
    helpers_per_township = (loads.with_columns(over=pl.col("helper_id").is_in(over_ids.implode()))
                            .group_by("township_code")
                            .agg(helpers=pl.col("helper_id").n_unique(),
                                 helpers_over_limit=pl.col("helper_id").filter(pl.col("over")).n_unique()))
    township_table = (table.group_by("township_code", "township_name").agg(
        villages=pl.len(), poor_villages=pl.col("is_poor_village").sum(),
        poor_without_team=pl.col("without_team").sum(), poor_without_first_secretary=pl.col("without_fs").sum(),
        open_households=pl.col("open_households").sum(), without_helper=pl.col("without_helper").sum())
        .join(helpers_per_township, on="township_code", how="left")
        .with_columns(pl.col("helpers", "helpers_over_limit").fill_null(0).cast(pl.Int64))
        .with_columns(gaps=pl.col("poor_without_team") + pl.col("poor_without_first_secretary")
                      + pl.col("without_helper") + pl.col("helpers_over_limit"))
        .sort(["gaps", "township_code"], descending=[True, False]))

    gap_households = list(households_qs.filter(~Exists(paired)).select_related("village")
                          .order_by("village_code", "household_number")[:GAP_HOUSEHOLDS_SHOWN])
    report = CoverageReport(
        region=region, on=on, limits_version=limits.version, first_secretary_required=limits.first_secretary_required,
        villages=[VillageRow(code=r["code"], name=r["name"], township_code=r["township_code"],
                             township_name=r["township_name"], is_poor_village=r["is_poor_village"],
                             teams=r["teams"], first_secretaries=r["first_secretaries"],
                             open_households=r["open_households"], without_helper=r["without_helper"])
                  for r in table.iter_rows(named=True)],
        townships=[TownshipRow(code=r["township_code"], name=r["township_name"], villages=r["villages"],
                               poor_villages=r["poor_villages"], poor_without_team=r["poor_without_team"],
                               poor_without_first_secretary=r["poor_without_first_secretary"],
                               open_households=r["open_households"], without_helper=r["without_helper"],
                               helpers=r["helpers"], helpers_over_limit=r["helpers_over_limit"])
                   for r in township_table.iter_rows(named=True)],
        helpers=[HelperLoad(id=r["id"], name=r["name"], unit=r["unit"], unit_level=r["unit_level"],
                            region_code=r["region_code"], active=r["active"], households=r["households"],
                            households_here=r["households_here"], limit=r["limit"])
                 for r in helper_frame.iter_rows(named=True)],
        households_without_helper=gap_households,
    )
    report.totals = {
        "poor_villages": int(table["is_poor_village"].sum()),
        "poor_without_team": int(table["without_team"].sum()),
        "poor_without_first_secretary": int(table["without_fs"].sum()),
        "open_households": int(table["open_households"].sum()),
        "without_helper": int(table["without_helper"].sum()),
        "helpers": helper_frame.height,
        "helpers_over_limit": len(over_ids),
    }
    return report
