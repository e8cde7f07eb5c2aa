"""The registry as Polars frames, for the roster import (登记库 → 数据框).

Extract only: the villages an importer may write to, the active members holding the file's ID
numbers (for 一人一户), and the registry households and members the file names, with the fields the
roster carries, in their canonical text forms (:mod:`.diff_roster` compares them to the file's).
Reads go through :func:`fupin.core.bulk.read_frame` (``COPY … TO STDOUT`` on PostgreSQL).

Every read is bounded by the file: a list of 户编号 or ID numbers goes to the database as **one**
JSON text parameter (``json_array_elements_text`` on PostgreSQL, ``json_each`` on SQLite), so a file
of a million rows costs one query per frame, not hundreds of ``IN`` chunks, and the registry around
it (90 million people nationally) is never read whole. Measured with 287k 户编号 on PostgreSQL: the
earlier ``= ANY(%s)`` list parameter took 0.42 s per query to quote in Python.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.db import connection

from fupin.core.bulk import read_frame
from fupin.core.frames import rows_in
from fupin.core.scoping import visible_to
from fupin.policy import roles
from fupin.policy.regions import LEVEL_FIELD, LEVEL_VILLAGE, level_of, prefix_of
from fupin.regions.models import Region
from fupin.registry.models import Household, Member

from .diff_roster import HOUSEHOLD_COMPARED, HOUSEHOLD_DERIVED_COMPARED, MEMBER_COMPARED, canonical


def villages_frame(actor: Any, region_code: str | None = None) -> pl.DataFrame:
    """``code, township_name, village_name, county_name`` of the villages ``actor`` may edit
    (``None``: the system, every village), limited to ``region_code`` when given."""
    villages = Region.objects.filter(level=LEVEL_VILLAGE)
    if actor is not None:
        villages = visible_to(actor, villages, roles.EDIT_REGISTRY)
    if region_code:
        villages = villages.filter(code__startswith=prefix_of(region_code))
    rows = list(villages.values_list("code", "name"))
    county_codes = {c[:6].ljust(12, "0") for c, _ in rows}
    township_codes = {c[:9] + "000" for c, _ in rows}
    names = dict(Region.objects.filter(code__in=county_codes | township_codes).values_list("code", "name"))
    township_names = {c: n for c, n in names.items() if c in township_codes}
    return pl.DataFrame(
        {
            "code": [c for c, _ in rows],
            "township_name": [township_names.get(c[:9] + "000", "") for c, _ in rows],
            "village_name": [n for _, n in rows],
            "county_name": [names.get(c[:6].ljust(12, "0"), "") for c, _ in rows],
        },
        schema={"code": pl.Utf8, "township_name": pl.Utf8, "village_name": pl.Utf8, "county_name": pl.Utf8},
    )


def in_values(column: str, values: Sequence[str]) -> tuple[str, list[Any]]:
    """SQL condition "``column`` is one of ``values``", the values passed as one JSON text parameter."""
    payload = json.dumps(list(values), ensure_ascii=False)
    if connection.vendor == "postgresql":
        return f"{column} IN (SELECT json_array_elements_text(%s::json))", [payload]
    return f"{column} IN (SELECT value FROM json_each(%s))", [payload]


def _values(values: Sequence[str] | pl.Series) -> pl.Series:
    """Distinct non-null values as a text Series (kept in Polars: a million ID numbers cost ~0.2 s
    each way as a Python list)."""
    return _given(values).drop_nulls().unique()


def _given(values: Sequence[str] | pl.Series) -> pl.Series:
    """The values as a text Series, as given (repeats and nulls kept)."""
    if isinstance(values, pl.Series):
        return values.cast(pl.Utf8)
    return pl.Series("v", [None if v is None else str(v) for v in values], dtype=pl.Utf8)


def _read_where(select: str, column: str, values: pl.Series, *, key: str, counted: str,
                whole: Callable[[], pl.DataFrame] | None = None) -> pl.DataFrame:
    """``select`` limited to rows whose ``column`` (``key`` in the result) is one of ``values`` (text,
    repeats and nulls allowed: they are made distinct only when needed).

    When the rows ``counted`` (a ``FROM …`` clause) number no more than the distinct values (a
    county's first import into an empty or small registry), the query runs without the list and the
    frame is cut in Polars: the same rows, without sending and matching a list of up to a million
    values (measured at 1M ID numbers against an empty registry, PostgreSQL: 0.9 s with the list,
    0.01 s without; SQLite: 0.38 s per frame for 287k 户编号). When there are none (the first import
    into an empty registry), the values are never made distinct nor matched (1M ID numbers: 0.15 s
    each). ``whole``: how to get the frame without the list, when not by running ``select``
    (:func:`_active_members_whole`)."""
    given = values.drop_nulls()
    rows = _count_upto(counted, given.len()) if given.len() else 0
    if rows == 0:
        return read_frame(f"{select} AND 1 = 0")
    distinct = given.unique()
    if _whole_is_cheaper(rows, distinct.len()):
        frame = whole() if whole is not None else read_frame(select)
        return rows_in(frame, key, distinct)
    condition, params = in_values(column, distinct.to_list())
    return read_frame(f"{select} AND {condition}", params)


def _whole_is_cheaper(rows: int, values: int) -> bool:
    """Read whole and cut in Polars rather than send the list: the rows are no more than the values."""
    return rows <= values


def _count_upto(counted: str, n: int) -> int:
    """The rows of ``SELECT 1 {counted}``, counted up to ``n + 1`` (a count that stops there)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM (SELECT 1 {counted} LIMIT %s) AS x", [n + 1])
        return int(cursor.fetchone()[0])


#: Inside :func:`read_once`: the frames already read whole, by name.
_READ_ONCE: ContextVar[dict[str, pl.DataFrame] | None] = ContextVar("registry_read_once", default=None)


@contextmanager
def read_once() -> Iterator[None]:
    """Within the block, the registry's active members are read whole at most once: the holders of
    the file's ID numbers (一人一户) and the members of its households are cut from the same frame
    when both are read without their list (re-importing a county's roster: measured at 961k members,
    one read of ~1–2 s instead of two)."""
    token = _READ_ONCE.set({})
    try:
        yield
    finally:
        _READ_ONCE.reset(token)


def _members_select() -> str:
    return (f"SELECT m.id, m.household_id, h.household_number, m.version, "
            f"{', '.join('m.' + c for c in MEMBER_COMPARED)} FROM {Member._meta.db_table} m "
            f"JOIN {Household._meta.db_table} h ON h.id = m.household_id WHERE m.status = 'active'")


def _active_members_whole() -> pl.DataFrame:
    """Every active member (the columns of :func:`registry_members`, as read), once per
    :func:`read_once` block."""
    cache = _READ_ONCE.get()
    if cache is not None and "members" in cache:
        return cache["members"]
    frame = read_frame(_members_select())
    if cache is not None:
        cache["members"] = frame
    return frame


def active_members_frame(ids: Sequence[str] | pl.Series | None = None) -> pl.DataFrame:
    """``id_number, household_number`` of the active members holding one of ``ids`` (one person, one
    household). ``None`` reads every active member (tests and small registries only)."""
    m, h = Member._meta.db_table, Household._meta.db_table
    select = (f"SELECT m.id_number, h.household_number FROM {m} m JOIN {h} h ON h.id = m.household_id "
              "WHERE m.status = 'active'")
    if ids is None:
        return read_frame(select)
    whole = None
    if _READ_ONCE.get() is not None:
        whole = lambda: _active_members_whole().select("id_number", "household_number")  # noqa: E731
    return _read_where(select, "m.id_number", _given(ids), key="id_number",
                       counted=f"FROM {m} WHERE status = 'active'", whole=whole)


def registry_households(numbers: Sequence[str] | pl.Series) -> pl.DataFrame:
    """The registry's households whose 户编号 is in ``numbers`` (any status): ``id, household_number,
    status, version, reg_village_code`` and the compared fields, canonical."""
    cols = [*HOUSEHOLD_COMPARED, *HOUSEHOLD_DERIVED_COMPARED]
    select = (f"SELECT h.id, h.household_number, h.status, h.version, h.village_id AS reg_village_code, "
              f"{', '.join('h.' + c for c in cols)} FROM {Household._meta.db_table} h WHERE 1 = 1")
    frame = _read_where(select, "h.household_number", _given(numbers), key="household_number",
                        counted=f"FROM {Household._meta.db_table}")
    return frame.with_columns(
        pl.col("id").cast(pl.Int64), pl.col("version").cast(pl.Int64),
        *[canonical(pl.col(c), Household, c).alias(c) for c in cols],
    )


def registry_members(numbers: Sequence[str] | pl.Series) -> pl.DataFrame:
    """Active members of those households: ``id, household_id, household_number, version`` and the
    member fields, canonical."""
    frame = _read_where(_members_select(), "h.household_number", _given(numbers), key="household_number",
                        counted=f"FROM {Household._meta.db_table}",
                        whole=_active_members_whole if _READ_ONCE.get() is not None else None)
    return frame.with_columns(
        pl.col("id").cast(pl.Int64), pl.col("household_id").cast(pl.Int64), pl.col("version").cast(pl.Int64),
        *[canonical(pl.col(c), Member, c).alias(c) for c in MEMBER_COMPARED],
    )


def members_holding(ids: Sequence[str] | pl.Series) -> pl.DataFrame:
    """The active members holding one of ``ids``, with every column of :func:`registry_members`
    (只更新所列成员 reads the persons listed, not every member of their households). Within a
    :func:`read_once` block the frame read is kept with the ID numbers asked for, and a later call
    for some of them (the diff's, after the check's) is cut from it."""
    wanted = _given(ids).drop_nulls().unique()
    cache = _READ_ONCE.get()
    if cache is not None and "holding" in cache:
        asked = cache["holding_ids"].get_column("id_number")
        if bool(wanted.is_in(asked.implode()).all()):
            return rows_in(cache["holding"], "id_number", wanted)
    frame = _read_where(_members_select(), "m.id_number", wanted, key="id_number",
                        counted=f"FROM {Member._meta.db_table} WHERE status = 'active'",
                        whole=_active_members_whole if cache is not None else None)
    frame = frame.with_columns(
        pl.col("id").cast(pl.Int64), pl.col("household_id").cast(pl.Int64), pl.col("version").cast(pl.Int64),
        *[canonical(pl.col(c), Member, c).alias(c) for c in MEMBER_COMPARED],
    )
    if cache is not None:
        cache["holding"], cache["holding_ids"] = frame, wanted.to_frame("id_number")
    return frame


def member_holders(ids: Sequence[str] | pl.Series) -> pl.DataFrame:
    """``id_number, household_number`` of :func:`members_holding` (the check's 一人一户 frame when only
    the listed persons are updated: the same read then serves the diff)."""
    return members_holding(ids).select("id_number", "household_number")


@dataclass(frozen=True)
class RegistryRows:
    """What of the registry a diff of accepted rows depends on, read once: the registry households
    with the rows' 户编号, their active members (``persons_only``: only the active members holding the
    rows' ID numbers, for 只更新所列成员), and the active members holding the rows' ID numbers."""

    households: pl.DataFrame
    members: pl.DataFrame
    holders: pl.DataFrame  # id_number, household_number
    persons_only: bool = False

    def for_rows(self, rows: pl.DataFrame) -> RegistryRows:
        """The part of these frames that ``rows`` (a subset of the rows they were read for) depends on."""
        numbers = rows.get_column("household_number").cast(pl.Utf8).unique()
        ids = rows.get_column("id_number").cast(pl.Utf8).unique()
        return RegistryRows(
            households=rows_in(self.households, "household_number", numbers),
            members=rows_in(self.members, "id_number" if self.persons_only else "household_number",
                            ids if self.persons_only else numbers),
            holders=rows_in(self.holders, "id_number", ids),
            persons_only=self.persons_only,
        )


def registry_rows(rows: pl.DataFrame, holders: pl.DataFrame | None = None, *,
                  persons_only: bool = False) -> RegistryRows:
    """The registry side of ``rows`` (columns ``household_number`` and ``id_number``); ``holders``
    when the caller has already read the active members holding those ID numbers (or more).
    ``persons_only`` (只更新所列成员): the members are those holding the rows' ID numbers, whatever
    their household, and the holders are cut from them — one read of the persons listed instead of
    every member of their households and the holders apart."""
    numbers = rows.get_column("household_number")
    if persons_only:
        members = members_holding(rows.get_column("id_number"))
        return RegistryRows(households=registry_households(numbers), members=members,
                            holders=members.select("id_number", "household_number"), persons_only=True)
    if holders is None:
        holders = active_members_frame(rows.get_column("id_number"))
    return RegistryRows(households=registry_households(numbers), members=registry_members(numbers),
                        holders=holders)


__all__ = ["RegistryRows", "active_members_frame", "in_values", "read_once", "registry_households",
           "registry_members", "registry_rows", "villages_frame"]


def absent_households(region_code: str, villages: pl.Series, numbers: pl.Series) -> pl.DataFrame:
    """``village_code, household_number`` of the active households of ``villages`` (inside
    ``region_code``) whose 户编号 is not among ``numbers`` — the registered households of the villages a
    file covers that the file does not list (在册但文件中没有的户; the merge leaves them as they are).
    One read of the region's active households by its indexed ancestor column, cut in Polars."""
    empty = pl.DataFrame(schema={"village_code": pl.Utf8, "household_number": pl.Utf8})
    villages = _values(villages)
    if villages.len() == 0:
        return empty
    level_field = LEVEL_FIELD[level_of(region_code)]
    frame = read_frame(f"SELECT village_code, household_number FROM {Household._meta.db_table} "
                       f"WHERE status = 'active' AND {level_field} = %s", [region_code])
    if frame.height == 0:
        return empty
    frame = rows_in(frame.select(pl.col("village_code").cast(pl.Utf8), pl.col("household_number").cast(pl.Utf8)),
                    "village_code", villages)
    return frame.join(pl.DataFrame({"household_number": _values(numbers)}), on="household_number", how="anti")
