"""Fast bulk writes (批量写入): ``COPY`` on PostgreSQL (binary, :mod:`fupin.core.pg_binary`, or CSV);
on SQLite multi-row ``INSERT`` or, for large frames, a staging file (:mod:`fupin.core.sqlite_stage`).

Used by the demo generator (:func:`insert_rows`, rows as dicts) and the roster import
(:func:`copy_frame`, :func:`update_frame`, :func:`read_frame`: whole Polars frames, so no Python
loop touches a value on PostgreSQL).

Why not ``bulk_create``: measured on this 2-core machine, ``bulk_create`` spends ~5 µs per field
value in Django's insert compiler (``pre_save`` + ``get_db_prep_save``); the demo writes ~1.9 million
values (11k households × 75 columns, 31k members × 30, 11k audit rows), i.e. 10–20 s of a 30 s
budget. Here each column's adapter is chosen once from the model's field types (Django's own
``connection.ops`` adapters), then rows go in with ``COPY … FROM STDIN`` on PostgreSQL and as
multi-row ``INSERT`` statements of up to 1,000 rows on SQLite. (On PostgreSQL ``executemany`` made
one round trip per row and big multi-row statements spent seconds in psycopg's client-side query
parsing; COPY is its bulk-load path.)

Primary keys are reserved up front (:func:`reserve_ids`) so members and audit rows can point at
their household: from the sequence on PostgreSQL (safe beside concurrent writers), and max(id)+1 on
SQLite, whose write transaction (``transaction_mode=IMMEDIATE``) holds the database lock. Call both
inside one ``transaction.atomic()``.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.db import connection, models
from django.db.models import Max
from django.utils import timezone

from fupin.core import pg_binary, sqlite_stage, table_statistics

_MISSING = object()
#: Parameters per statement: below SQLite's default limit (32,766) and PostgreSQL's (65,535).
MAX_PARAMS = 30_000


def reserve_ids(model: type[models.Model], n: int) -> list[int]:
    """``n`` unused primary keys of ``model``'s table."""
    if n <= 0:
        return []
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                           [table, model._meta.pk.column, n])
            return [row[0] for row in cursor.fetchall()]
    start = (model._default_manager.aggregate(m=Max("pk"))["m"] or 0) + 1
    return list(range(start, start + n))


def reserve_id_block(model: type[models.Model], n: int) -> list[int]:
    """``n`` consecutive unused primary keys in one statement (``setval`` past them).

    Only for a caller that holds a lock keeping every other writer out of the table (the roster
    merge locks the registry tables; SQLite's write transaction locks the database): otherwise a
    concurrent insert could take a number inside the block. ``reserve_ids`` costs a ``nextval``
    per key (~7 µs each, measured: 0.7 s for 100k members)."""
    if n <= 0:
        return []
    if connection.vendor != "postgresql":
        return reserve_ids(model, n)
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence(%s, %s), nextval(pg_get_serial_sequence(%s, %s)) + %s)",
                       [model._meta.db_table, model._meta.pk.column] * 2 + [n - 1])
        last = cursor.fetchone()[0]
    return list(range(last - n + 1, last + 1))


def _adapter(field: models.Field, now: Any) -> Callable[[Any], Any] | None:
    """How a column's values are adapted for the driver (None: passed as they are)."""
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        return lambda v: now if v is _MISSING else ops.adapt_datetimefield_value(v)
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.JSONField):
        return lambda v: field.get_db_prep_save(v, connection)
    if isinstance(field, models.DecimalField):
        return lambda v: ops.adapt_decimalfield_value(v, field.max_digits, field.decimal_places)
    return None


def insert_rows(model: type[models.Model], rows: Sequence[Mapping[str, Any]], batch_size: int = 1000) -> int:
    """Insert ``rows``: dicts keyed like the first row (by field name or attname); missing columns
    get the field's default, ``auto_now`` columns the current time. The primary key column is written
    when the first row has one, else the database numbers the rows. Returns the number of rows."""
    if not rows:
        return 0
    pk = model._meta.pk
    first = rows[0]
    with_pk = pk.attname in first or pk.name in first
    fields = [f for f in model._meta.concrete_fields if with_pk or f is not pk]
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    getters: list[tuple[str, Any]] = []
    adapters: list[tuple[int, Callable[[Any], Any]]] = []
    for i, f in enumerate(fields):
        auto = isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add)
        getters.append((f.attname if f.attname in first else f.name, _MISSING if auto else f.get_default()))
        adapt = _adapter(f, now)
        if adapt is not None:
            adapters.append((i, adapt))
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    columns = ", ".join(qn(f.column) for f in fields)

    def values_of(row: Mapping[str, Any]) -> list[Any]:
        values = [row.get(key, default) for key, default in getters]
        for i, adapt in adapters:
            values[i] = adapt(values[i])
        return values

    count = 0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(values_of(row))
        table_statistics.note_written(model._meta.db_table, len(rows))
        return len(rows)
    with connection.cursor() as cursor:
        one = f"({', '.join(['%s'] * len(fields))})"
        per_statement = max(1, min(batch_size, MAX_PARAMS // len(fields)))
        for start in range(0, len(rows), per_statement):
            chunk = rows[start:start + per_statement]
            params: list[Any] = []
            for row in chunk:
                params.extend(values_of(row))
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES " + ", ".join([one] * len(chunk)), params)
            count += len(chunk)
    return count


# --- Polars frames (the roster import) -------------------------------------------------------------

def now_text() -> str:
    """The current time as the backend stores a datetime column (text)."""
    value = connection.ops.adapt_datetimefield_value(timezone.now())
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _frame_for_db(model: type[models.Model], frame: pl.DataFrame,
                  constants: Mapping[str, Any] | None = None) -> tuple[pl.DataFrame, list[models.Field], dict[str, Any]]:
    """``frame`` restricted to ``model``'s concrete columns (by attname), values as text the backend
    reads back exactly (Polars writes them, no Python loop) — and, apart, the columns that hold one
    value for every row: the ``constants`` given (by attname), missing columns' field defaults and
    ``auto_now`` columns' current time. Returns (varying columns, all fields in table order, the
    constant values by column name)."""
    now = now_text()
    constants = dict(constants or {})
    fields = [f for f in model._meta.concrete_fields
              if f.attname in frame.columns or f.attname in constants or f is not model._meta.pk]
    exprs: list[pl.Expr] = []
    fixed: dict[str, Any] = {}
    for f in fields:
        auto = isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add)
        if f.attname in constants:
            fixed[f.column] = constants[f.attname]
        elif f.attname in frame.columns:
            expr = pl.col(f.attname)
            if auto:
                expr = expr.fill_null(pl.lit(now))
            exprs.append(expr.alias(f.column))
        elif auto:
            fixed[f.column] = now
        else:
            default = f.get_default()
            if isinstance(f, models.JSONField):
                default = json.dumps(default, ensure_ascii=False)
            elif isinstance(f, models.BooleanField):
                default = bool(default)
            elif default is not None and not isinstance(default, (int, float, str)):
                default = str(default)
            fixed[f.column] = default
    if not exprs:  # every column has one value: keep one as a column so the frame keeps its rows
        column, value = fixed.popitem()
        exprs.append(pl.lit(value).alias(column))
        return frame.with_columns(exprs).select(column), fields, fixed
    return frame.select(exprs), fields, fixed


def _sql_literal(value: Any) -> str:
    """``value`` (None, bool, int, float or text) as an SQLite literal, ``%`` doubled for Django's
    parameter style."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''").replace("%", "%%") + "'"


@dataclass
class PreparedCopy:
    """A :func:`copy_frame` made ready by :func:`prepare_copy`: the rows in the database's form and,
    on SQLite for a large frame, the staging file being written by a helper thread."""
    model: type[models.Model]
    rows: pl.DataFrame
    fields: list[models.Field]
    fixed: dict[str, Any]
    staging: Future[str] | None = None
    #: PostgreSQL, with a pool: the binary encoder being built by a helper thread (None: CSV).
    encoder: Future[pg_binary.Encoder | None] | None = None

    def discard(self) -> None:
        """Remove the staging file of a copy that will not run (after a failure)."""
        if self.staging is not None:
            staging, self.staging = self.staging, None
            with suppress(Exception):
                os.unlink(staging.result())


def prepare_copy(model: type[models.Model], frame: pl.DataFrame, *, constants: Mapping[str, Any] | None = None,
                 pool: ThreadPoolExecutor | None = None) -> PreparedCopy:
    """The part of :func:`copy_frame` that needs no database: with ``pool``, a large frame's SQLite
    staging file is written by a helper thread meanwhile (measured, 1M-person merge: the members'
    file written while the households load; PostgreSQL: the members' binary encoder built — its values
    typed and checked — meanwhile, 0.2–0.3 s)."""
    out, fields, fixed = _frame_for_db(model, frame, constants)
    prepared = PreparedCopy(model, out, fields, fixed)
    if connection.vendor == "postgresql" and pool is not None and out.height:
        types = {f.column: f.db_type(connection) for f in fields}
        prepared.encoder = pool.submit(pg_binary.encoder, out, types, fixed)
    if connection.vendor == "sqlite" and out.height >= SQLITE_STAGE_ROWS:
        varying = sqlite_stage.stage_frame(out.select([f.column for f in fields if f.column not in fixed]))
        prepared.staging = (pool.submit(sqlite_stage.write_file, varying) if pool is not None
                            else _done(sqlite_stage.write_file(varying)))
    return prepared


def _done(value: Any) -> Future:
    future: Future = Future()
    future.set_result(value)
    return future


def copy_frame(model: type[models.Model], frame: pl.DataFrame, *, constants: Mapping[str, Any] | None = None) -> int:
    """Insert every row of ``frame`` (columns named by field attname; ``constants``: columns with one
    value for every row, by attname; the rest get their defaults).

    PostgreSQL: ``COPY … FROM STDIN`` in binary (:mod:`fupin.core.pg_binary`), or as CSV written by
    Polars when a column or value is not one the binary encoder is sure of. SQLite: from
    :data:`SQLITE_STAGE_ROWS` rows, a staging file and one ``INSERT … SELECT``
    (:mod:`fupin.core.sqlite_stage`); below, ``executemany`` on the driver's cursor. Either way the
    one-value columns are written into the statement, not bound or staged per row. Returns the row
    count."""
    if frame.height == 0:
        return 0
    return run_copy(prepare_copy(model, frame, constants=constants))


def run_copy(prepared: PreparedCopy) -> int:
    """Load a :func:`prepare_copy`-ed frame on the caller's connection. Returns the row count."""
    out, fields, fixed = prepared.rows, prepared.fields, prepared.fixed
    if out.height == 0:
        return 0
    qn = connection.ops.quote_name
    table = qn(prepared.model._meta.db_table)
    columns = ", ".join(qn(f.column) for f in fields)
    if connection.vendor == "postgresql":
        encoder = (prepared.encoder.result() if prepared.encoder is not None else
                   pg_binary.encoder(out, {f.column: f.db_type(connection) for f in fields}, fixed))
        with connection.cursor() as cursor:
            if encoder is not None:
                columns = ", ".join(qn(c) for c in encoder.columns)
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT binary)") as copy:
                    for block in binary_blocks(encoder):
                        copy.write(block)
            else:
                out = out.with_columns(pl.lit(v).alias(c) for c, v in fixed.items()).select([f.column for f in fields])
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
                    for block in csv_blocks(out):
                        copy.write(block)
        table_statistics.note_written(prepared.model._meta.db_table, out.height)
        return out.height
    if prepared.staging is not None:
        staging, prepared.staging = prepared.staging, None
        with sqlite_stage.attached(staging.result()) as source:
            if source is not None:
                select = ", ".join(_sql_literal(fixed[f.column]) if f.column in fixed else qn(f.column)
                                   for f in fields)
                with connection.cursor() as cursor:
                    cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {select} FROM {source}")
                return out.height
    values = ", ".join(_sql_literal(fixed[f.column]) if f.column in fixed else "%s" for f in fields)
    _executemany(f"INSERT INTO {table} ({columns}) VALUES ({values})",
                 out.select([f.column for f in fields if f.column not in fixed]))
    return out.height


#: From this many rows, SQLite loads go through a staging file (:mod:`fupin.core.sqlite_stage`) instead
#: of ``executemany``.
SQLITE_STAGE_ROWS = 5_000

#: Rows per CSV block sent to ``COPY``: small enough to overlap writing with sending, large enough
#: that Polars' CSV writer runs on all cores.
COPY_BLOCK_ROWS = 50_000


def _ahead(render: Callable[[int], Any], height: int, rows: int) -> Iterator[Any]:
    """``render(start)`` for each block of ``rows`` rows, the next block made by a helper thread while
    the caller uses the current one. At most two blocks are held at once."""
    starts = list(range(0, height, rows))
    if len(starts) <= 1:
        if starts:
            yield render(0)
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-block") as pool:
        pending = pool.submit(render, starts[0])
        for following in [*starts[1:], None]:
            block = pending.result()
            if following is not None:
                pending = pool.submit(render, following)
            yield block


def csv_blocks(frame: pl.DataFrame, rows: int | None = None) -> Iterator[bytes]:
    """``frame`` as CSV (no header) in blocks of ``rows`` rows, each block written by a helper thread
    while the caller sends the one before, so the database parses one block while Polars writes the
    next. NULL is an unquoted empty field and an empty text the quoted ``""``, as PostgreSQL's CSV
    COPY reads them; every text is kept as it is (with ``NULL '\\N'`` a text ``\\N`` became NULL).
    ``rows`` defaults to :data:`COPY_BLOCK_ROWS` as it is when called."""
    rows = rows or COPY_BLOCK_ROWS

    def render(start: int) -> bytes:
        buffer = io.BytesIO()
        frame.slice(start, rows).write_csv(buffer, include_header=False)
        return buffer.getvalue()

    return _ahead(render, frame.height, rows)


#: Rows per binary block: the first block is encoded before anything is sent and the last is sent
#: after everything is encoded, so large blocks leave the server or the encoder idle at each end.
#: Measured alone, PostgreSQL 15 on 2 cores, 1M-person merge's tables into an unindexed table (pre-encoded
#: blocks / 50,000 rows / 10,000 rows): 287k households (~840 bytes a row) 1.16–1.19 / 1.65–1.79 /
#: 1.36–1.38 s, 961k members 1.33–1.37 / 1.43–1.49 / 1.34–1.37 s, 287k audit rows 0.89–0.94 / 1.09–1.14 /
#: 0.93–0.95 s.
BINARY_BLOCK_ROWS = 10_000


def binary_blocks(encoder: pg_binary.Encoder, rows: int | None = None) -> Iterator[bytes]:
    """The encoder's frame as binary COPY data in blocks of ``rows`` rows (default
    :data:`BINARY_BLOCK_ROWS` as it is when called), each made by a helper thread while the caller
    sends the one before (numpy releases the GIL in its loops)."""
    rows = rows or BINARY_BLOCK_ROWS
    height = encoder.frame.height
    if height == 0:
        return iter([pg_binary.HEADER + pg_binary.TRAILER])
    return _ahead(lambda start: encoder.block(start, rows), height, rows)


def _sqlite_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """Booleans as 0/1 and dates as ISO text, as Django's SQLite backend stores them."""
    exprs = []
    for name, dtype in frame.schema.items():
        if dtype == pl.Boolean:
            exprs.append(pl.col(name).cast(pl.Int8))
        elif dtype in (pl.Date, pl.Datetime):
            exprs.append(pl.col(name).cast(pl.Utf8))
        else:
            exprs.append(pl.col(name))
    return frame.select(exprs)


def _executemany(sql: str, frame: pl.DataFrame) -> None:
    """``executemany`` in blocks of 50,000 rows. (Making the next block's tuples in a helper thread
    while SQLite inserts the current one gained nothing measurable: both need the GIL.)"""
    frame = _sqlite_rows(frame) if connection.vendor == "sqlite" else frame
    with connection.cursor() as cursor:
        for start in range(0, frame.height, 50_000):
            cursor.executemany(sql, frame.slice(start, 50_000).rows())


def update_frame(model: type[models.Model], frame: pl.DataFrame, *, key: str = "id") -> int:
    """``UPDATE`` the rows of ``model`` whose ``key`` is in ``frame``, setting the frame's other
    columns (by attname). PostgreSQL: COPY into a temporary table, then one ``UPDATE … FROM``;
    SQLite: a staging file and one ``UPDATE … FROM`` from :data:`SQLITE_STAGE_ROWS` rows, below
    that ``executemany`` of a keyed UPDATE."""
    if frame.height == 0:
        return 0
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    names = [c for c in frame.columns if c != key]
    cols = [by_attname[c].column for c in names]
    if connection.vendor == "postgresql":
        tmp = qn(f"_upd_{model._meta.db_table}")
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {tmp}")
            select = ", ".join(qn(by_attname[c].column) for c in [key, *names])
            cursor.execute(f"CREATE TEMP TABLE {tmp} ON COMMIT DROP AS SELECT {select} FROM {table} WITH NO DATA")
            with cursor.cursor.copy(f"COPY {tmp} FROM STDIN WITH (FORMAT csv)") as copy:
                for block in csv_blocks(frame.select([key, *names])):
                    copy.write(block)
            sets = ", ".join(f"{qn(c)} = t.{qn(c)}" for c in cols)
            kc = qn(by_attname[key].column)
            cursor.execute(f"UPDATE {table} AS r SET {sets} FROM {tmp} AS t WHERE r.{kc} = t.{kc}")
            cursor.execute(f"DROP TABLE {tmp}")
        table_statistics.note_written(model._meta.db_table, frame.height)
        return frame.height
    if (connection.vendor == "sqlite" and frame.height >= SQLITE_STAGE_ROWS
            and connection.Database.sqlite_version_info >= (3, 33)):  # UPDATE … FROM
        staged_cols = [key, *names]
        with sqlite_stage.staged(sqlite_stage.stage_frame(frame.select(staged_cols))) as source:
            if source is not None:
                sets = ", ".join(f"{qn(by_attname[n].column)} = s.{qn(n)}" for n in names)
                with connection.cursor() as cursor:
                    cursor.execute(f"UPDATE {table} SET {sets} FROM {source} AS s "
                                   f"WHERE {table}.{qn(by_attname[key].column)} = s.{qn(key)}")
                return frame.height
    sets = ", ".join(f"{qn(c)} = %s" for c in cols)
    _executemany(f"UPDATE {table} SET {sets} WHERE {qn(by_attname[key].column)} = %s",
                 frame.select([*names, key]))
    return frame.height


def read_frame(sql: str, params: Sequence[Any] = ()) -> pl.DataFrame:
    """The result of a query as a frame of text columns (NULL stays null).

    PostgreSQL: ``COPY (query) TO STDOUT`` as CSV, parsed by Polars; other backends: the cursor's
    rows. Booleans come back as ``t``/``f`` from PostgreSQL and ``1``/``0`` from SQLite, decimals as
    PostgreSQL's exact text or SQLite's float text: callers canonicalise what they compare."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            query = cursor.mogrify(sql, params) if params else sql
            if isinstance(query, bytes):
                query = query.decode()
            buffer = io.BytesIO()
            with cursor.cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER, FORCE_QUOTE *)") as copy:
                for block in copy:
                    buffer.write(block)
            data = buffer.getvalue()
            if not data:
                raise RuntimeError("COPY returned no header")
            # Every value is quoted and NULL is not: Polars reads an unquoted empty field as null
            # and a quoted one as the text (so "", and a text \\N, come back as they are).
            return pl.read_csv(io.BytesIO(data), infer_schema=False)
        cursor.execute(sql, params)
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    return pl.DataFrame([[None if v is None else str(v) for v in col] for col in zip(*rows, strict=True)]
                        if rows else [[] for _ in names], schema={n: pl.Utf8 for n in names}, orient="col")


# --- large loads: build secondary indexes once instead of row by row ------------------------------

#: A load rebuilds a table's secondary indexes when it adds at least this many rows … (50,000 until
#: 2026-12-04; measured on PostgreSQL, the 100k-person xlsx roster, 28.7k households and audit rows,
#: three interleaved pairs: merge 2.18 / 2.41 / 2.06 s at 50,000, 1.99 / 1.60 / 1.65 s at 10,000;
#: SQLite unchanged, 0.86–0.93 s against 0.87–1.17 s)
REBUILD_MIN_ROWS = 10_000
#: … and at least this fraction of the rows already in the table (an empty table always qualifies).
REBUILD_MIN_FRACTION = 0.25


def _rebuild_worthwhile(table: str, new_rows: int) -> bool:
    """Whether ``new_rows`` is large against ``table`` (bounded count: at most 1/fraction × new rows)."""
    if new_rows < REBUILD_MIN_ROWS:
        return False
    limit = int(new_rows / REBUILD_MIN_FRACTION)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT %s) AS x",
                       [limit])
        existing = cursor.fetchone()[0]
    return existing < limit


@contextmanager
def indexes_built_after(loads: Mapping[type[models.Model], int]) -> Iterator[list[str]]:
    """Inside the caller's transaction, for each model whose load is large against its table
    (:data:`REBUILD_MIN_ROWS`, :data:`REBUILD_MIN_FRACTION`), drop the table's secondary indexes —
    not the primary key's —, its UNIQUE constraints that no foreign key references, and its foreign
    keys, and build them again
    from their own definitions when the block ends (a key coming back checks every row). Measured (PostgreSQL 15, 2 cores, 300k members): COPY into the
    indexed table 6.1 s; COPY without secondary indexes 0.9 s + building them 1.0 s.

    PostgreSQL: indexes and foreign keys. SQLite: the indexes (its foreign keys are part of the table
    and stay; the partial unique index is an ordinary ``CREATE INDEX`` there and is rebuilt too).
    Measured on SQLite, 961k members: insert with the indexes in place 15.7 s, without them 4.3 s +
    1.9 s to build them. Other backends: a no-op. Dropping an index takes the table's exclusive lock
    until the transaction ends, which the roster merge holds anyway; if the block raises, nothing is
    rebuilt here and the caller's rollback restores them (DDL is transactional on both). A unique
    index rebuilt over duplicate rows fails, and with it the transaction. Yields the names of the
    rebuilt indexes and keys."""
    rebuilt: list[str] = []
    if connection.vendor == "sqlite":
        with _sqlite_indexes_built_after(loads, rebuilt):
            yield rebuilt
        return
    if connection.vendor != "postgresql":
        yield rebuilt
        return
    definitions: list[tuple[str, str]] = []
    constraints: list[tuple[str, str]] = []
    with connection.cursor() as cursor:
        for model, rows in loads.items():
            table = model._meta.db_table
            if not _rebuild_worthwhile(table, rows):
                continue
            if not definitions and not constraints:  # earlier writes' deferred checks block ALTER/DROP
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute(
                "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
                "WHERE t.relname = %s AND t.relnamespace = to_regnamespace(current_schema()) "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
                [table])
            for name, definition in cursor.fetchall():
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
                definitions.append((name, definition))
            # Foreign keys too: a deferred key queues one check per inserted row for the commit, while
            # adding the key back validates every row in one join. And the UNIQUE constraints that no
            # foreign key depends on (household 户编号): built again by one sort instead of one index
            # insert per row (measured, 287k households: COPY 3.4–4.5 s with it, 2.7–2.9 s without).
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint c "
                "WHERE conrelid = to_regclass(%s) AND (contype = 'f' OR (contype = 'u' AND NOT EXISTS ("
                "SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid))) "
                "ORDER BY contype DESC, conname", [table])
            for name, definition in cursor.fetchall():
                qtable, qname = connection.ops.quote_name(table), connection.ops.quote_name(name)
                cursor.execute(f"ALTER TABLE {qtable} DROP CONSTRAINT {qname}")
                constraints.append((name, f"ALTER TABLE {qtable} ADD CONSTRAINT {qname} {definition}"))
    yield rebuilt
    if not definitions and not constraints:
        return
    with connection.cursor() as cursor:
        # PostgreSQL builds no index on a table with pending (deferred) foreign-key checks: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for name, definition in (*definitions, *constraints):
            cursor.execute(definition)
            rebuilt.append(name)


@contextmanager
def _sqlite_indexes_built_after(loads: Mapping[type[models.Model], int], rebuilt: list[str]) -> Iterator[None]:
    """SQLite's part of :func:`indexes_built_after`: the tables' own indexes (``sql`` not null: not
    the automatic ones behind a primary key or a UNIQUE column), dropped and created again."""
    definitions: list[tuple[str, str]] = []
    with connection.cursor() as cursor:
        for model, rows in loads.items():
            table = model._meta.db_table
            if not _rebuild_worthwhile(table, rows):
                continue
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                           "AND sql IS NOT NULL", [table])
            for name, definition in cursor.fetchall():
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
                definitions.append((name, definition))
    yield
    if not definitions:
        return
    with connection.cursor() as cursor:
        # Sorter worker threads for the index builds (SQLite's default is none). Measured, 961k
        # members and 287k households: 5.1–5.2 s with none, 3.0–4.4 s with two.
        cursor.execute("PRAGMA threads")
        threads = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA threads = {min(2, os.cpu_count() or 1)}")
        try:
            for name, definition in definitions:
                cursor.execute(definition)
                rebuilt.append(name)
        finally:
            cursor.execute(f"PRAGMA threads = {int(threads)}")
