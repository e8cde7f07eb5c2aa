"""Planner statistics after bulk writes (批量写入后更新统计信息).

PostgreSQL plans every query from the statistics ``ANALYZE`` gathers. A bulk load (``COPY``) leaves
them as they were — none at all on a table never analysed — until autovacuum comes by, which is up to
a minute later on a default server and never where autovacuum is off (this project's CI machines
run with ``autovacuum = off``). Measured on PostgreSQL 15 (2026-12-04), right after importing a
100,000-person roster into a new registry: exporting the roster of its city took 128 s, its two
``COPY (SELECT …) TO STDOUT`` reads 98 s of that, waiting on the server; after ``ANALYZE`` the same
read took 0.08 s.

So :func:`fupin.core.bulk.copy_frame`, :func:`fupin.core.bulk.update_frame` and
:func:`fupin.core.bulk.insert_rows` (the demo) report what they wrote here (:func:`note_written`), and once the transaction commits the tables that took many rows are
analysed (:func:`analyze_now`). "Many" is autovacuum's own default analyse rule: at least
:data:`MIN_ROWS` + :data:`MIN_FRACTION` × the rows the planner believed the table held
(``pg_class.reltuples``; a table never analysed counts as empty). ``ANALYZE`` reads a sample of
about 30,000 rows whatever the table's size, and takes a lock that blocks neither reads nor writes.
It runs after the commit, not inside the writing transaction, so a rolled-back load analyses nothing
and the writer's locks are not held meanwhile; if it fails, the failure is logged and the committed
work stands.

SQLite: nothing. Its planner works without ``sqlite_stat1`` (the same export took 4.4 s there, the
rows written and read in the same way), and ``ANALYZE`` reads whole indexes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import connection

log = logging.getLogger(__name__)

#: autovacuum_analyze_threshold's default.
MIN_ROWS = 50
#: autovacuum_analyze_scale_factor's default.
MIN_FRACTION = 0.1

class _Transaction:
    """What the surviving savepoints of one transaction wrote, added up as their hooks run."""

    def __init__(self) -> None:
        self.rows: dict[str, int] = {}
        self.analysed: set[str] = set()


class _Written:
    """The rows written under one savepoint level of a transaction (Django drops this hook when that
    savepoint rolls back). Run at commit: adds its rows to the transaction's and analyses each table
    whose total reaches the rule and that is not analysed yet — the hooks run one after another, so
    the last sees the whole of what was kept."""

    def __init__(self, transaction: _Transaction) -> None:
        self.transaction = transaction
        self.rows: dict[str, int] = {}

    def __call__(self) -> None:
        total = self.transaction.rows
        for table, rows in self.rows.items():
            total[table] = total.get(table, 0) + rows
        pending = {t: n for t, n in total.items() if t not in self.transaction.analysed}
        for table in _due_quietly(pending):
            self.transaction.analysed.add(table)
            try:
                analyze_now([table])
            except Exception:  # the committed work stands; autovacuum (where on) catches up later
                log.exception("ANALYZE %s after a bulk write failed", table)


def _due_quietly(written: dict[str, int]) -> list[str]:
    try:
        return due(written)
    except Exception:
        log.exception("ANALYZE after a bulk write failed")
        return []


def note_written(table: str, rows: int) -> None:
    """Record that the current transaction wrote ``rows`` rows into ``table``, to be analysed after it
    commits if the rule says so; in autocommit mode the write is already committed and the table is
    analysed now if it qualifies. Rows noted in a savepoint that rolls back are dropped with it."""
    if connection.vendor != "postgresql" or rows <= 0:
        return
    if not connection.in_atomic_block:
        written = _Written(_Transaction())
        written.rows[table] = rows
        written()
        return
    level = set(connection.savepoint_ids)
    hooks = [(sids, func) for sids, func, _robust in connection.run_on_commit if isinstance(func, _Written)]
    here = next((func for sids, func in hooks if sids == level), None)
    if here is None:
        here = _Written(hooks[0][1].transaction if hooks else _Transaction())
        connection.on_commit(here, robust=True)
    here.rows[table] = here.rows.get(table, 0) + rows


def due(written: dict[str, int]) -> list[str]:
    """The tables among ``written`` (table → rows written) whose writes reach the analyse rule."""
    if not written:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT t, c.reltuples FROM unnest(%s::text[]) AS t "
                       "LEFT JOIN pg_class c ON c.oid = to_regclass(t)", [sorted(written)])
        believed = {t: max(float(n or 0), 0.0) for t, n in cursor.fetchall()}
    return [t for t in sorted(written) if written[t] >= MIN_ROWS + MIN_FRACTION * believed.get(t, 0.0)]


def indexed_columns(table: str) -> list[str]:
    """The columns of ``table`` that some index names — as a key, in an expression or in a partial
    index's ``WHERE`` (the member table's ``status``, from ``pg_depend``) —, in table order: those
    queries filter, join or sort on fast, and so those whose statistics decide plans."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.attname FROM pg_attribute a WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 "
            "AND NOT a.attisdropped AND (EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = a.attrelid "
            "AND a.attnum = ANY(x.indkey)) OR EXISTS (SELECT 1 FROM pg_depend d JOIN pg_index x "
            "ON x.indexrelid = d.objid WHERE d.classid = 'pg_class'::regclass AND x.indrelid = a.attrelid "
            "AND d.refobjid = a.attrelid AND d.refobjsubid = a.attnum)) ORDER BY a.attnum", [table])
        return [name for (name,) in cursor.fetchall()]


def analyze_now(tables: Iterable[str]) -> None:
    """``ANALYZE`` each table's :func:`indexed_columns` (PostgreSQL; in the caller's transaction if
    there is one). A column list still sets the table's row and page counts; the other columns'
    statistics are left to autovacuum. Measured on the 100,000-person roster's registry (28,652
    households, 71 columns): ``ANALYZE`` of the whole household table 1.17 s, of its indexed columns
    0.17–0.19 s (members: 0.38–0.43 s against 0.08–0.10 s; audit rows 0.36–0.42 against 0.11–0.12 s)."""
    tables = list(tables)
    if connection.vendor != "postgresql" or not tables:
        return
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in tables:
            columns = indexed_columns(table)
            listed = f" ({', '.join(qn(c) for c in columns)})" if columns else ""
            cursor.execute(f"ANALYZE {qn(table)}{listed}")
