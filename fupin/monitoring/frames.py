"""The monitoring view (监测分析视图): the household view of :mod:`fupin.policy.analytic_view` plus the
monitoring columns (:data:`fupin.policy.monitoring.EXTRA_COLUMNS`), built in Polars for a region or for
given households. Read only; :mod:`.runs` and :mod:`.services` decide and write.

How each extra column is filled (docs/monitoring.md):

- ``monitoring_line`` — the line of the household's county for the year of ``on``
  (:func:`fupin.monitoring.policies.line_for`, the county's effective monitoring policy);
- ``medical_spending`` / ``disaster_loss`` — the sum of the amounts of the imported department
  records (:mod:`.data_import`) of the household's active members, dated in the look-back period
  (``on`` minus the policy's ``lookback_months`` … ``on``), from the loaded lists usable for the region
  (of the region, of a region above it, or inside it). A record repeated in two lists (same kind, ID
  number, date and amount) counts once;
- ``main_earner_died`` — :func:`fupin.policy.monitoring.main_earner_died_frame` over the active
  members and the members who left by death (减少原因 死亡) in the period, with the deaths of the
  imported death lists and of the registry;
- ``months_above_line`` — from the income checks (收入核查) of the household's open monitoring object
  (:func:`fupin.policy.monitoring.months_above_frame`); 0 without an open object;
- ``measures_received`` — the measures given (``assistance.MeasureGiven``, not cancelled) from the day
  the open object was flagged to ``on``; 0 without an open object, or when the assistance app is absent.

The registry is read as the rule engine reads it (:func:`fupin.rules.frames.registry_frames`): the
active households of the region, plus the region's households recorded for monitoring only (监测户), with
their active members; each county group with its own policy set (poverty lines, counted income).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.apps import apps
from django.db.models import Count, F, Q

from fupin.core.bulk import read_frame
from fupin.policy.analytic_view import household_view
from fupin.policy.monitoring import (
    CHECKS_SCHEMA,
    MonitoringPolicy,
    ResolvedLine,
    add_months,
    conform_view,
    main_earner_died_frame,
    months_above_frame,
)
from fupin.policy.regions import LEVEL_FIELD, ancestor_codes, level_of, prefix_of
from fupin.registry.choices import RecordStatus
from fupin.registry.models import Household, Member
from fupin.rules import frames as rule_frames
from fupin.rules.versions import poverty_lines_for

from .choices import OPEN_STATUSES, DataKind, DataListStatus
from .models import IncomeCheck, MonitoringDataList, MonitoringDataRecord
from .policies import effective_monitoring, line_for

KEY = pl.col("id_number").str.strip_chars().str.to_uppercase().str.slice(0, 17)


@dataclass(frozen=True)
class CountyPolicy:
    """The monitoring policy and line of one county."""

    county_code: str
    policy: MonitoringPolicy
    line: ResolvedLine


@dataclass
class MonitoringView:
    """The view (one row per household, :data:`fupin.policy.monitoring.MONITORING_COLUMNS`), the
    policy of each county, the department lists read and the records that matched no member."""

    view: pl.DataFrame
    counties: dict[str, CountyPolicy]
    data_lists: list[int] = field(default_factory=list)
    records_read: int = 0
    records_unmatched: int = 0

    def policy_groups(self) -> list[tuple[MonitoringPolicy, list[str]]]:
        """The counties grouped by their monitoring policy version."""
        groups: dict[str, tuple[MonitoringPolicy, list[str]]] = {}
        for county, cp in sorted(self.counties.items()):
            groups.setdefault(cp.policy.version, (cp.policy, []))[1].append(county)
        return list(groups.values())


def _read_registry(region_code: str, household_ids: Sequence[int] | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    if household_ids is not None:
        return rule_frames.registry_frames(household_ids=list(household_ids))
    households, members = rule_frames.registry_frames(region_code)
    monitored = list(Household.objects.filter(**{LEVEL_FIELD[level_of(region_code)]: region_code},
                                              status=RecordStatus.MONITORED).values_list("pk", flat=True))
    if monitored:
        h2, m2 = rule_frames.registry_frames(household_ids=monitored)
        households = pl.concat([households, h2], how="vertical_relaxed")
        members = pl.concat([members, m2], how="vertical_relaxed")
    return households, members


def _household_views(region_code: str, households: pl.DataFrame, members: pl.DataFrame, on: dt.date
                     ) -> pl.DataFrame:
    """The household view, county group by county group (each with its own policy set)."""
    counties = sorted(set(households["county_code"].to_list())) if households.height else []
    matches = rule_frames.confirmed_matches(region_code)
    parts: list[pl.DataFrame] = []
    for _version, policy, county_codes in rule_frames.policy_groups(region_code, on, counties):
        h = households.filter(pl.col("county_code").is_in(county_codes)) if len(counties) > 1 else households
        m = members.filter(pl.col("household_id").is_in(h["id"].implode())) if len(counties) > 1 else members
        lookup = county_codes[0] if county_codes else region_code
        lines = poverty_lines_for(policy, lookup, on.year)
        parts.append(household_view(h, m, as_of=on, poverty_line=lines, matches=matches,
                                    income_settings=policy.income))
    if not parts:
        return household_view(households, members, as_of=on, poverty_line=0.0)
    return pl.concat(parts, how="vertical") if len(parts) > 1 else parts[0]


def usable_lists(region_code: str) -> list[MonitoringDataList]:
    """Loaded department lists usable for a region: of the region, of a region above it, or inside it."""
    above = list(ancestor_codes(region_code).values())
    return list(MonitoringDataList.objects.filter(
        Q(status=DataListStatus.LOADED) & (Q(region_code__in=above) | Q(region_code__startswith=prefix_of(region_code)))
    ).order_by("pk"))


RECORDS_SCHEMA = {"kind": pl.Utf8, "id_number": pl.Utf8, "amount": pl.Float64, "occurred_on": pl.Date}


def _records(list_ids: list[int], start: dt.date, end: dt.date) -> pl.DataFrame:
    if not list_ids:
        return pl.DataFrame(schema=RECORDS_SCHEMA)
    r, lst = MonitoringDataRecord._meta.db_table, MonitoringDataList._meta.db_table
    placeholders = ", ".join(["%s"] * len(list_ids))
    raw = read_frame(f"SELECT l.kind, r.id_number, r.amount, r.occurred_on FROM {r} r JOIN {lst} l "
                     f"ON l.id = r.data_list_id WHERE r.data_list_id IN ({placeholders}) "
                     f"AND r.occurred_on >= %s AND r.occurred_on <= %s", [*list_ids, start, end])
    return raw.select(
        pl.col("kind"), pl.col("id_number"), pl.col("amount").cast(pl.Float64, strict=False).fill_null(0.0),
        pl.col("occurred_on").str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False),
    ).unique().cast(RECORDS_SCHEMA)


def _households_q(region_code: str, household_ids: Sequence[int] | None, path: str = "household__") -> Q:
    """The households read: by the region's ancestor column (one indexed equality), or the given ids."""
    if household_ids is not None:
        return Q(**{f"{path}pk__in": list(household_ids)})
    return Q(**{f"{path}{LEVEL_FIELD[level_of(region_code)]}": region_code})


def _left_by_death(households: Q, start: dt.date) -> pl.DataFrame:
    """Members of the households who left by death (减少原因 死亡) on or after ``start``."""
    schema = {"household_id": pl.Int64, "id_number": pl.Utf8, "relation": pl.Utf8, "labour_skill": pl.Utf8,
              "left_on": pl.Date}
    rows = Member.objects.filter(households, status=RecordStatus.LEFT, left_reason="death",
                                 left_at__date__gte=start).values_list("household_id", "id_number", "relation",
                                                                       "labour_skill", "left_at")
    return pl.DataFrame([(h, i, r, lab, at.date()) for h, i, r, lab, at in rows], schema=schema, orient="row")


def measure_given_model() -> Any:
    """``assistance.MeasureGiven`` when the assistance app provides it, else None."""
    try:
        return apps.get_model("assistance", "MeasureGiven")
    except LookupError:
        return None


def _measures(households: Q, on: dt.date) -> pl.DataFrame:
    """Measures given (not cancelled) to households with an open object, from its flag day to ``on``."""
    schema = {"household_id": pl.Int64, "measures_received": pl.Int64}
    model = measure_given_model()
    if model is None:
        return pl.DataFrame(schema=schema)
    rows = (model.objects.filter(households, cancelled_at__isnull=True, given_on__lte=on,
                                 household__monitoring_objects__status__in=OPEN_STATUSES,
                                 given_on__gte=F("household__monitoring_objects__flagged_on"))
            .values("household_id").annotate(n=Count("id", distinct=True)).values_list("household_id", "n"))
    return pl.DataFrame(list(rows), schema=schema, orient="row")


def _checks(households: Q) -> pl.DataFrame:
    """Income checks of the open objects of the households."""
    rows = IncomeCheck.objects.filter(households, object__status__in=OPEN_STATUSES).values_list(
        "object__household_id", "checked_on", "income_per_capita")
    return pl.DataFrame([(h, d, float(v)) for h, d, v in rows], schema=CHECKS_SCHEMA, orient="row")


def county_policies(county_codes: Sequence[str], on: dt.date) -> dict[str, CountyPolicy]:
    out: dict[str, CountyPolicy] = {}
    for county in sorted(set(county_codes)):
        policy = effective_monitoring(county, on)
        out[county] = CountyPolicy(county, policy, line_for(policy, county, on.year, on))
    return out


def monitoring_view(region_code: str, on: dt.date, *, household_ids: Sequence[int] | None = None
                    ) -> MonitoringView:
    """The monitoring view of a region's registry (active and 监测户 households), or of the given
    households whatever their status (``region_code`` is then their county), on ``on``."""
    households, members = _read_registry(region_code, household_ids)
    hv = _household_views(region_code, households, members, on)
    counties = county_policies(hv["county_code"].drop_nulls().to_list() if hv.height else [], on)
    ids = hv["household_id"].to_list() if hv.height else []
    lookback = max((cp.policy.lookback_months for cp in counties.values()), default=12)
    lists = usable_lists(region_code) if ids else []
    records = _records([d.pk for d in lists], add_months(on, -lookback), on)

    windows = pl.DataFrame({"county_code": list(counties),
                            "_start": [cp.policy.lookback_start(on) for cp in counties.values()],
                            "monitoring_line": [cp.line.amount for cp in counties.values()]},
                           schema={"county_code": pl.Utf8, "_start": pl.Date, "monitoring_line": pl.Float64})
    person = (members.select(pl.col("household_id"), KEY.alias("_key")).filter(pl.col("_key").is_not_null())
              .join(hv.select("household_id", "county_code"), on="household_id", how="inner")
              .join(windows.select("county_code", "_start"), on="county_code", how="left"))
    matched = records.with_columns(KEY.alias("_key")).join(person, on="_key", how="inner").filter(
        pl.col("occurred_on") >= pl.col("_start"))
    unmatched = records.with_columns(KEY.alias("_key")).join(person.select("_key").unique(), on="_key", how="anti")
    spending = matched.group_by("household_id").agg(
        pl.col("amount").filter(pl.col("kind") == DataKind.MEDICAL.value).sum().alias("medical_spending"),
        pl.col("amount").filter(pl.col("kind") == DataKind.DISASTER.value).sum().alias("disaster_loss"),
    )

    earliest = min((cp.policy.lookback_start(on) for cp in counties.values()), default=on)
    scope = _households_q(region_code, household_ids)
    dead_left = (_left_by_death(scope, earliest)
                 .join(hv.select("household_id", "county_code"), on="household_id", how="inner")
                 .join(windows.select("county_code", "_start"), on="county_code", how="left")
                 .filter(pl.col("left_on") >= pl.col("_start")))
    deaths = pl.concat([
        matched.filter(pl.col("kind") == DataKind.DEATH.value).select("household_id", pl.col("_key").alias("id_number")),
        dead_left.select("household_id", KEY.alias("id_number")),
    ])
    people = pl.concat([
        members.select("household_id", "id_number", "relation", "labour_skill"),
        dead_left.select("household_id", "id_number", "relation", "labour_skill"),
    ], how="vertical_relaxed").unique()
    earner = main_earner_died_frame(people.join(deaths.select("household_id").unique(), on="household_id",
                                                how="semi"), deaths.select("id_number"))

    months = months_above_frame(_checks(_households_q(region_code, household_ids, "object__household__")), hv.select("household_id", "county_code").join(
        windows.select("county_code", "monitoring_line"), on="county_code", how="left"), on)
    measures = _measures(scope, on)

    view = (hv.join(windows.select("county_code", "monitoring_line"), on="county_code", how="left")
            .join(spending, on="household_id", how="left")
            .join(earner, on="household_id", how="left")
            .join(months, on="household_id", how="left")
            .join(measures, on="household_id", how="left"))
    return MonitoringView(view=conform_view(view), counties=counties, data_lists=[d.pk for d in lists],
                          records_read=records.height, records_unmatched=unmatched.height)


__all__ = ["CountyPolicy", "MonitoringView", "county_policies", "measure_given_model", "monitoring_view",
           "usable_lists"]
