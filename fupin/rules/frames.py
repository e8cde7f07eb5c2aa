"""The registry as analytic views (分析视图) for the rule engine: Polars frames, no Python loop over rows.

:func:`registry_frames` reads the active households of a region and their active members with the
Django model field names (:mod:`fupin.registry.models`), typed (bool, float, int, date, text), through
:func:`fupin.core.bulk.read_frame` (``COPY … TO STDOUT`` on PostgreSQL). :func:`registry_views` joins
the other departments' confirmed hits (数据比对, contract C) and builds the per-household and per-person
views of :mod:`fupin.policy.analytic_view` that rules are written against.

Screening hits come from ``fupin.screening.selectors.confirmed_matches(region_code)``. Decision: if
that module is missing when this module is imported (the screening app not installed), the views are
built with an empty matches frame — the ``any_vehicle`` … ``any_deceased`` columns are then all false
— and :data:`SCREENING_AVAILABLE` says so. Any other error of the screening selector propagates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import polars as pl
from django.db import connection, models

from fupin.core.bulk import read_frame
from fupin.policy.analytic_view import HOUSEHOLD_INPUT_FIELDS, MEMBER_INPUT_FIELDS, household_view, person_view
from fupin.policy.regions import LEVEL_FIELD, level_of
from fupin.registry.choices import RecordStatus
from fupin.registry.models import Household, Member

from .versions import effective_version, line_year, policy_of

if TYPE_CHECKING:
    from fupin.policy.income import IncomeSettings
    from fupin.policy.policy_sets import PolicySet

    from .models import PolicyVersion

try:  # contract C (the screening helper's selector)
    from fupin.screening.selectors import confirmed_matches as _confirmed_matches
except ImportError:  # pragma: no cover - only when the screening app is absent
    _confirmed_matches = None

SCREENING_AVAILABLE = _confirmed_matches is not None
MATCHES_SCHEMA = {"id_number": pl.Utf8, "kind": pl.Utf8}

_HOUSEHOLD_ATTNAMES = {f.attname for f in Household._meta.concrete_fields}
_MEMBER_ATTNAMES = {f.attname for f in Member._meta.concrete_fields}
#: The model columns the analytic views read (exactly their inputs that are stored fields).
HOUSEHOLD_READ = tuple(c for c in HOUSEHOLD_INPUT_FIELDS if c in _HOUSEHOLD_ATTNAMES)
MEMBER_READ = tuple(c for c in MEMBER_INPUT_FIELDS if c in _MEMBER_ATTNAMES)


def _typed(model: type[models.Model], names: Sequence[str]) -> list[pl.Expr]:
    """Text columns from :func:`read_frame` cast to the field's type (PostgreSQL ``t``/``f`` and SQLite
    ``1``/``0`` booleans alike; decimals as float)."""
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    out: list[pl.Expr] = []
    for name in names:
        f = by_attname[name]
        col = pl.col(name)
        if isinstance(f, models.BooleanField):
            expr = col.str.strip_chars().str.to_lowercase().is_in(["t", "true", "1"])
        elif isinstance(f, models.DecimalField):
            expr = col.cast(pl.Float64, strict=False)
        elif isinstance(f, models.DateTimeField):
            expr = col
        elif isinstance(f, models.DateField):
            expr = col.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
        elif isinstance(f, models.AutoField | models.IntegerField | models.ForeignKey) and name != "village_id":
            expr = col.cast(pl.Float64, strict=False).cast(pl.Int64)
        else:
            expr = col.fill_null("")
        out.append(expr.alias(name))
    return out


def _region_filter(region_code: str) -> tuple[str, list[Any]]:
    return f"h.{LEVEL_FIELD[level_of(region_code)]} = %s", [region_code]


def _ids_filter(household_ids: Sequence[int]) -> tuple[str, list[Any]]:
    ids = [int(i) for i in household_ids] or [0]
    if connection.vendor == "postgresql":
        return "h.id = ANY(%s)", [ids]
    return f"h.id IN ({', '.join(['%s'] * len(ids))})", ids


def _read(where: str, params: list[Any], *, active_households: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
    h, m = Household._meta.db_table, Member._meta.db_table
    h_where, h_params = (("h.status = %s AND ", [RecordStatus.ACTIVE]) if active_households else ("", []))
    hq = f"SELECT {', '.join('h.' + c for c in HOUSEHOLD_READ)} FROM {h} h WHERE {h_where}{where}"
    mq = (f"SELECT {', '.join('m.' + c for c in MEMBER_READ)} FROM {m} m JOIN {h} h ON h.id = m.household_id "
          f"WHERE {h_where}m.status = %s AND {where}")
    households = read_frame(hq, [*h_params, *params]).select(_typed(Household, HOUSEHOLD_READ))
    members = read_frame(mq, [*h_params, RecordStatus.ACTIVE, *params]).select(_typed(Member, MEMBER_READ))
    return households, members


def registry_frames(region_code: str = "", *, household_ids: Sequence[int] | None = None
                    ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(households, members)`` of the active registry under ``region_code`` (a 12-digit code), or of
    the given households whatever their status (an applicant is decided on before it is registered),
    with their active members; model field names, typed."""
    if household_ids is not None:
        return _read(*_ids_filter(household_ids), active_households=False)
    return _read(*_region_filter(region_code), active_households=True)


def confirmed_matches(region_code: str, id_numbers: Sequence[str] | None = None) -> pl.DataFrame:
    """Other departments' confirmed hits (``id_number, kind``) in the region; empty when the screening
    app is missing. ``id_numbers`` keeps only those persons (one household's decision)."""
    if _confirmed_matches is None:
        return pl.DataFrame(schema=MATCHES_SCHEMA)
    frame = _confirmed_matches(region_code)
    if frame is None or frame.height == 0:
        return pl.DataFrame(schema=MATCHES_SCHEMA)
    frame = frame.select(pl.col("id_number").cast(pl.Utf8), pl.col("kind").cast(pl.Utf8))
    if id_numbers is not None:
        frame = frame.filter(pl.col("id_number").is_in(list(id_numbers)))
    return frame


def build_views(households: pl.DataFrame, members: pl.DataFrame, matches: pl.DataFrame | None, *, as_of: date,
                poverty_line: float | Mapping[str, float], income_settings: IncomeSettings | None = None
                ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(household_view, person_view)`` of frames already read (contract A)."""
    hv = household_view(households, members, as_of=as_of, poverty_line=poverty_line, matches=matches,
                        income_settings=income_settings)
    pv = person_view(households, members, as_of=as_of, matches=matches, income_settings=income_settings)
    return hv, pv


@dataclass(frozen=True)
class ViewGroup:
    """The views of the counties of a region that share one policy version (a city whose counties
    override policy differently is run county group by county group)."""

    policy: PolicySet
    version: PolicyVersion | None
    county_codes: tuple[str, ...]
    line_year: int
    households: pl.DataFrame
    persons: pl.DataFrame


def policy_groups(region_code: str, on: date, county_codes: Sequence[str]
                  ) -> list[tuple[PolicyVersion | None, PolicySet, list[str]]]:
    """The effective policy of each county under the region, grouped by version. A county, township or
    village region is one group (its county's policy)."""
    if level_of(region_code) >= 3 or not county_codes:
        version = effective_version(region_code, on)
        return [(version, policy_of(version), sorted(set(county_codes)) or [region_code])]
    groups: dict[int | None, tuple[PolicyVersion | None, list[str]]] = {}
    for county in sorted(set(county_codes)):
        version = effective_version(county, on)
        key = version.pk if version is not None else None
        groups.setdefault(key, (version, []))[1].append(county)
    return [(version, policy_of(version), counties) for version, counties in groups.values()]


def view_groups(region_code: str, *, as_of: date, year: int | None = None) -> list[ViewGroup]:
    """The active registry under a region as analytic views, one group per policy version in force,
    with the confirmed screening hits joined and each group's poverty lines (by 识别标准) for ``year``
    (default: ``as_of``'s year; see :func:`fupin.rules.services.line_year`) and counted income."""
    households, members = registry_frames(region_code)
    matches = confirmed_matches(region_code)
    counties = households["county_code"].unique().to_list() if households.height else []
    groups = policy_groups(region_code, as_of, counties)
    out: list[ViewGroup] = []
    for version, policy, county_codes in groups:
        h, m = households, members
        if len(groups) > 1:
            h = households.filter(pl.col("county_code").is_in(county_codes))
            m = members.filter(pl.col("household_id").is_in(h["id"].implode()))
        lookup = county_codes[0] if county_codes else region_code
        judged = line_year(policy, lookup, year or as_of.year)
        lines = policy.poverty_lines_by_standard(year=judged, region_code=lookup)
        hv, pv = build_views(h, m, matches, as_of=as_of, poverty_line=lines, income_settings=policy.income)
        out.append(ViewGroup(policy=policy, version=version, county_codes=tuple(county_codes), line_year=judged,
                             households=hv, persons=pv))
    return out


def registry_views(region_code: str, *, as_of: date, year: int | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(household_view, person_view)`` of the active registry under a region (contract B), with the
    confirmed screening hits joined and the poverty line of each county's effective policy."""
    groups = view_groups(region_code, as_of=as_of, year=year)
    if len(groups) == 1:
        return groups[0].households, groups[0].persons
    return (pl.concat([g.households for g in groups], how="vertical"),
            pl.concat([g.persons for g in groups], how="vertical"))


__all__ = ["SCREENING_AVAILABLE", "ViewGroup", "build_views", "confirmed_matches", "policy_groups", "registry_frames",
           "registry_views", "view_groups"]
