"""The registry and the department lists as Polars frames, for a screening run (extract only).

Decision — how the frames leave the database. ``COPY … TO STDOUT`` (:func:`fupin.core.bulk.read_frame`)
hands each row to Python separately (psycopg returns one row per call on COPY OUT): measured here
~2 µs a row, i.e. ~10 s for five lists of a million records, the whole budget. On PostgreSQL the rows
are therefore packed into one CSV text per chunk by the server (``string_agg``, ~0.4 µs a row) and
parsed by Polars with the column types given; chunks of :data:`CHUNK_IDS` primary-key values keep
every text far below PostgreSQL's 1 GB limit. On SQLite the cursor's rows are used as they are. Only
the columns the join needs are read: no names, no details, no free text (and no commas, so the CSV
needs no quoting).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import polars as pl
from django.db import connection

from fupin.policy.regions import LEVEL_FIELD, level_of
from fupin.registry.choices import RecordStatus
from fupin.registry.models import Household, Member

from .models import DepartmentRecord, ScreeningHit

#: Primary-key values per chunk (≤ ~60 MB of text on PostgreSQL).
CHUNK_IDS = 2_000_000
#: Record statuses screened: the registry and, where the identification procedure has them, applicants
#: (申请中: 信息比对 is a step of the procedure).
SCREENED_STATUSES = tuple(s for s in ("active", "applicant") if s in RecordStatus.values)

MEMBER_SCHEMA = {"member_id": pl.Int64, "household_id": pl.Int64, "id_number": pl.Utf8, "village_code": pl.Utf8}
RECORD_SCHEMA = {"record_id": pl.Int64, "list_id": pl.Int64, "id_number": pl.Utf8}
KEY_SCHEMA = {"member_id": pl.Int64, "record_id": pl.Int64}


def _in(column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def _id_span(sql: str, params: list[Any]) -> tuple[int, int] | None:
    """``(min, max)`` of the id column a query gives, or None when it spans at most one chunk."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        low, high = cursor.fetchone()
    if low is None or int(high) - int(low) < CHUNK_IDS:
        return None
    return int(low), int(high)


def _read(select: str, table: str, where: str, params: list[Any], *, schema: dict[str, Any],
          id_column: str = "", span: tuple[int, int] | None = None) -> pl.DataFrame:
    """The rows of ``SELECT <select> FROM <table> WHERE <where>`` as a typed frame (see the module
    docstring); ``select`` lists plain expressions in the order of ``schema``. On PostgreSQL ``span``
    (the ids' min and max) splits the read into chunks of :data:`CHUNK_IDS` ids of ``id_column``."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {select} FROM {table} WHERE {where}", params)
            rows = cursor.fetchall()
        return pl.DataFrame(rows, schema=schema, orient="row")
    line = " || ',' || ".join(f"({e.strip()})::text" for e in select.split(","))
    ranges: list[tuple[str, list[Any]]] = [("", [])]
    if span is not None:
        ranges = [(f" AND {id_column} >= %s AND {id_column} < %s", [start, start + CHUNK_IDS])
                  for start in range(span[0], span[1] + 1, CHUNK_IDS)]
    parts: list[bytes] = []
    with connection.cursor() as cursor:
        for condition, bounds in ranges:
            cursor.execute(f"SELECT string_agg({line}, E'\\n') FROM {table} WHERE {where}{condition}",
                           [*params, *bounds])
            text = cursor.fetchone()[0]
            if text:
                parts.append(text.encode())
    if not parts:
        return pl.DataFrame(schema=schema)
    return pl.read_csv(io.BytesIO(b"\n".join(parts)), has_header=False, schema=schema)


def region_members(region_code: str) -> pl.DataFrame:
    """``member_id, household_id, id_number, village_code`` of the screened members under a region
    (active — and applicant — members of active — and applicant — households)."""
    m, h = Member._meta.db_table, Household._meta.db_table
    member_status, member_params = _in("m.status", SCREENED_STATUSES)
    household_status, household_params = _in("h.status", SCREENED_STATUSES)
    where = f"{member_status} AND {household_status} AND h.{LEVEL_FIELD[level_of(region_code)]} = %s"
    span = _id_span(f"SELECT min(id), max(id) FROM {m}", []) if connection.vendor == "postgresql" else None
    return _read("m.id, m.household_id, m.id_number, h.village_code", f"{m} m JOIN {h} h ON h.id = m.household_id",
                 where, [*member_params, *household_params, region_code], schema=MEMBER_SCHEMA, id_column="m.id",
                 span=span)


def list_records(list_id: int, rows: int | None = None) -> pl.DataFrame:
    """``record_id, list_id, id_number`` of one department list (``rows``: its record count, when known;
    only a list larger than a chunk needs its id span looked up)."""
    table = DepartmentRecord._meta.db_table
    span = None
    if connection.vendor == "postgresql" and (rows is None or rows > CHUNK_IDS):
        span = _id_span(f"SELECT min(id), max(id) FROM {table} WHERE department_list_id = %s", [list_id])
    return _read("id, department_list_id, id_number", table, "department_list_id = %s", [list_id],
                 schema=RECORD_SCHEMA, id_column="id", span=span)


def known_hits(list_ids: Sequence[int]) -> pl.DataFrame:
    """``member_id, record_id`` of every hit already raised on records of these lists (any status, any
    region: a household that moved keeps its old hits)."""
    if not list_ids:
        return pl.DataFrame(schema=KEY_SCHEMA)
    hits, records = ScreeningHit._meta.db_table, DepartmentRecord._meta.db_table
    where, params = _in("r.department_list_id", list_ids)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT h.member_id, h.record_id FROM {hits} h JOIN {records} r ON r.id = h.record_id "
                       f"WHERE {where}", params)
        rows = cursor.fetchall()
    return pl.DataFrame(rows, schema=KEY_SCHEMA, orient="row")
