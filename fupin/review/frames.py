"""Frames of the yearly review: the live registry and stored snapshots as Polars frames (column work).

Both have the snapshot shape (:data:`HOUSEHOLD_COLUMNS`, :data:`PERSON_COLUMNS`), so the same flow
functions (:mod:`fupin.policy.flows`) run on a snapshot or on the registry as it is now, and a snapshot is
exactly the registry frame written down. Each read is one query built by the ORM (so a user's reads
start from :func:`fupin.core.scoping.visible_to`) and run through :func:`fupin.core.bulk.read_frame`
(``COPY … TO STDOUT`` on PostgreSQL): never a query per row.

**Which records a registry frame holds**: households on the registry (在册) and those that left it since
``since`` (with their 注销原因), and of those households the active members and those who left since
``since`` (with their 减少原因, and whether they left together with their household: the registry's
``household_leaves`` gives the members the household's own ``left_at``). ``since`` is the previous
snapshot's ``as_of`` (or the start of the year): every record that left between two snapshots is in the
later one, so the flow report can say why it left. Applicants (申请中), households not admitted (未纳入)
and monitoring-only households (监测户) are not on the registry and not in a snapshot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.core.exceptions import EmptyResultSet
from django.db.models import BooleanField, Case, F, Q, QuerySet, Value, When

from fupin.core.bulk import read_frame
from fupin.policy import flows
from fupin.registry.choices import RecordStatus
from fupin.registry.models import Household, Member

#: Household snapshot columns (besides the snapshot id) and their types.
HOUSEHOLD_COLUMNS: dict[str, Any] = {
    "household_id": pl.Int64, "household_number": pl.Utf8, "head_name": pl.Utf8, "village_code": pl.Utf8,
    "status": pl.Utf8, "poverty_status": pl.Utf8, "identification_year": pl.Int64, "exit_year": pl.Int64,
    "size": pl.Int64, "category": pl.Utf8, "category_form_version": pl.Utf8, "main_cause": pl.Utf8,
    "left_reason": pl.Utf8, "left_on": pl.Date, "income_per_capita": pl.Utf8,
}
PERSON_COLUMNS: dict[str, Any] = {
    "member_id": pl.Int64, "household_id": pl.Int64, "village_code": pl.Utf8, "relation": pl.Utf8, "sex": pl.Utf8,
    "birth_date": pl.Date, "labour_skill": pl.Utf8, "health": pl.Utf8, "status": pl.Utf8, "left_reason": pl.Utf8,
    "left_on": pl.Date, "left_with_household": pl.Boolean,
}
#: The columns the flow report needs (a report reads no more).
FLOW_HOUSEHOLD_COLUMNS = ("household_id", "household_number", "head_name", "village_code", "status", "poverty_status",
                          "identification_year", "exit_year", "size", "left_reason")
FLOW_PERSON_COLUMNS = ("member_id", "household_id", "relation", "birth_date", "status", "left_reason",
                       "left_with_household")

#: Registry field paths for the snapshot columns.
_HOUSEHOLD_FIELDS = {"household_id": "id", "left_on": "left_at"}
_PERSON_FIELDS = {"member_id": "id", "village_code": "household__village_code", "left_on": "left_at",
                  "left_with_household": "_with_household"}
_TEXT_DEFAULTS = ("head_name", "category", "category_form_version", "main_cause", "left_reason", "relation", "sex",
                  "labour_skill", "health")


def typed(frame: pl.DataFrame, columns: dict[str, Any]) -> pl.DataFrame:
    """A text frame from the database as typed columns (those of ``columns`` present, in that order)."""
    exprs: list[pl.Expr] = []
    for name, dtype in columns.items():
        if name not in frame.columns:
            continue
        col = pl.col(name)
        if frame.schema[name] == dtype:
            expr = col
        elif dtype == pl.Boolean:
            expr = col.cast(pl.Utf8).str.to_lowercase().is_in(["t", "true", "1"])
        elif dtype == pl.Date:
            expr = col.cast(pl.Utf8).str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
        elif dtype == pl.Int64:
            expr = col.cast(pl.Utf8).str.strip_chars().cast(pl.Float64, strict=False).cast(pl.Int64)
        else:
            expr = col.cast(dtype)
        if name in _TEXT_DEFAULTS:
            expr = expr.fill_null("")
        exprs.append(expr.alias(name))
    return frame.select(exprs)


def queryset_frame(queryset: QuerySet, columns: Sequence[str], types: dict[str, Any],
                   paths: dict[str, str] | None = None) -> pl.DataFrame:
    """The rows of a queryset as a typed frame in one query; ``paths`` maps a column to its field path."""
    paths = paths or {}
    try:
        sql, params = queryset.order_by().values_list(*[paths.get(c, c) for c in columns]).query.sql_with_params()
    except EmptyResultSet:  # e.g. ``.none()`` or ``__in=[]``: no query at all
        return typed(pl.DataFrame(schema={c: pl.Utf8 for c in columns}), types)
    frame = read_frame(sql, params)
    frame = frame.rename(dict(zip(frame.columns, columns, strict=True)))
    return typed(frame, types)


# --- the live registry ---------------------------------------------------------------------------------


def registry_households(since: dt.datetime) -> QuerySet[Household]:
    """Households that go into a snapshot (on the registry, or left since ``since``)."""
    return Household.objects.filter(Q(status=RecordStatus.ACTIVE) | Q(status=RecordStatus.LEFT, left_at__gte=since))


def registry_members(since: dt.datetime) -> QuerySet[Member]:
    """Members that go into a snapshot, with ``_with_household`` (left together with their household)."""
    return Member.objects.filter(
        Q(household__status=RecordStatus.ACTIVE) | Q(household__status=RecordStatus.LEFT, household__left_at__gte=since),
        Q(status=RecordStatus.ACTIVE) | Q(status=RecordStatus.LEFT, left_at__gte=since),
    ).annotate(_with_household=Case(
        When(status=RecordStatus.LEFT, household__status=RecordStatus.LEFT, left_at=F("household__left_at"),
             then=Value(True)), default=Value(False), output_field=BooleanField()))


def household_frame(queryset: QuerySet[Household], columns: Iterable[str] | None = None) -> pl.DataFrame:
    cols = list(columns) if columns is not None else list(HOUSEHOLD_COLUMNS)
    return queryset_frame(queryset, cols, HOUSEHOLD_COLUMNS, _HOUSEHOLD_FIELDS)


def member_frame(queryset: QuerySet[Member], columns: Iterable[str] | None = None) -> pl.DataFrame:
    cols = list(columns) if columns is not None else list(PERSON_COLUMNS)
    return queryset_frame(queryset, cols, PERSON_COLUMNS, _PERSON_FIELDS)


@dataclass(frozen=True)
class RegistryFrames:
    """One county's live registry in snapshot shape, and the income-rule versions its households used."""

    households: pl.DataFrame
    persons: pl.DataFrame
    income_rule_versions: tuple[str, ...]


def registry_frames(county_code: str, since: dt.datetime) -> RegistryFrames:
    """One county's whole live registry in snapshot shape (the system's read for a snapshot)."""
    households = registry_households(since).filter(county_code=county_code)
    # The income-rule versions come with the households' read (one scan of the table less).
    frame = queryset_frame(households, [*HOUSEHOLD_COLUMNS, "income_rule_version"],
                           {**HOUSEHOLD_COLUMNS, "income_rule_version": pl.Utf8}, _HOUSEHOLD_FIELDS)
    versions = tuple(sorted(v for v in frame["income_rule_version"].unique().to_list() if v))
    return RegistryFrames(frame.drop("income_rule_version"),
                          member_frame(registry_members(since).filter(household__county_code=county_code)), versions)


# --- snapshots -----------------------------------------------------------------------------------------


def snapshot_frame(queryset: QuerySet, unit: str, columns: Iterable[str] | None = None) -> pl.DataFrame:
    """Rows of a household or person snapshot queryset (already scoped and filtered) as a frame."""
    types = HOUSEHOLD_COLUMNS if unit == "households" else PERSON_COLUMNS
    cols = list(columns) if columns is not None else list(types)
    return queryset_frame(queryset, cols, types)


def in_chunks(ids: Sequence[int], size: int = 500) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start:start + size])


def flow_frames(households: pl.DataFrame, persons: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The columns the flow functions read, conformed to their schema."""
    return flows.conform(households, flows.HOUSEHOLD_SCHEMA), flows.conform(persons, flows.PERSON_SCHEMA)
