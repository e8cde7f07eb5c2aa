"""Planner statistics after bulk writes (fupin.core.table_statistics): on PostgreSQL a table that took
many rows through ``copy_frame`` / ``update_frame`` is analysed once the transaction commits — not
before, not after a rollback, not below autovacuum's rule, and a failing ``ANALYZE`` leaves the
committed rows alone; on SQLite nothing happens.

The signals: ``pg_class.reltuples`` (-1 for a table never analysed — the fixture truncates the table,
which resets it —, the exact row count after ``ANALYZE`` of a small table) and the ``model`` column's (indexed, so
analysed) most common value in ``pg_stats`` (each load writes a value of its own, so statistics left
by earlier tests cannot pass for fresh ones: ``TRUNCATE`` keeps them)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import polars as pl
import pytest
from django.db import connection, transaction

from fupin.core import bulk, table_statistics
from fupin.core.models import ChangeRecord

pytestmark = pytest.mark.django_db(transaction=True)

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="ANALYZE after commit: PostgreSQL only")

TABLE = ChangeRecord._meta.db_table


class Boom(RuntimeError):
    pass


@pytest.fixture(autouse=True)
def _never_analysed_table() -> Iterator[None]:
    """The audit table empty and, on PostgreSQL, never analysed (``TRUNCATE`` sets reltuples to -1)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {connection.ops.quote_name(TABLE)}")
    else:
        ChangeRecord.objects.all().delete()
    yield


def _marker() -> str:
    return f"tstats-{uuid.uuid4().hex[:12]}"


def _records(n: int, marker: str) -> pl.DataFrame:
    return pl.DataFrame({
        "action": ["create"] * n,
        "model": [marker] * n,
        "object_id": [str(i) for i in range(n)],
    })


def _copy(n: int, comment: str) -> int:
    return bulk.copy_frame(ChangeRecord, _records(n, comment), constants={
        "actor_id": None, "actor_name": "system", "source": "test", "comment": comment})


def _reltuples() -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", [TABLE])
        return float(cursor.fetchone()[0])


def _stats_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stats WHERE schemaname = current_schema() AND tablename = %s", [TABLE])
        return int(cursor.fetchone()[0])


def _common_models() -> str | None:
    """The ``model`` column's most common values as the planner knows them (``{a,b}``), or None."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT most_common_vals::text FROM pg_stats "
                       "WHERE schemaname = current_schema() AND tablename = %s AND attname = 'model'", [TABLE])
        row = cursor.fetchone()
    return None if row is None else row[0]


def _hooks() -> list[table_statistics._Written]:
    return [func for _sids, func, _robust in connection.run_on_commit if isinstance(func, table_statistics._Written)]


# --- PostgreSQL ------------------------------------------------------------------------------------

@postgresql_only
def test_a_committed_copy_is_analysed_after_the_commit_not_before() -> None:
    marker = _marker()
    assert _reltuples() == -1
    with transaction.atomic():
        assert _copy(300, marker) == 300
        assert [hook.rows for hook in _hooks()] == [{TABLE: 300}]
        assert _reltuples() == -1  # not analysed inside the writing transaction
        assert _common_models() != f"{{{marker}}}"
    assert _reltuples() == 300  # ANALYZE counts a small table exactly
    assert _stats_rows() > 0
    assert _common_models() == f"{{{marker}}}"


@postgresql_only
def test_writes_of_one_transaction_add_up() -> None:
    """Two loads of 30 rows: each below the rule (50 on a table never analysed), together above it."""
    marker = _marker()
    with transaction.atomic():
        _copy(30, marker)
        _copy(30, marker)
        assert [hook.rows for hook in _hooks()] == [{TABLE: 60}]  # one commit hook for the transaction
    assert _reltuples() == 60
    assert _common_models() == f"{{{marker}}}"


@postgresql_only
def test_a_small_write_is_not_analysed() -> None:
    with transaction.atomic():
        _copy(49, _marker())
    assert _reltuples() == -1
    assert ChangeRecord.objects.count() == 49


@postgresql_only
def test_a_copy_in_autocommit_mode_is_analysed_at_once() -> None:
    marker = _marker()
    assert not connection.in_atomic_block
    _copy(120, marker)
    assert _reltuples() == 120
    assert _common_models() == f"{{{marker}}}"


@postgresql_only
def test_a_committed_update_frame_is_analysed() -> None:
    old, new = _marker(), _marker()
    with transaction.atomic():
        _copy(300, old)
    assert _reltuples() == 300
    ids = sorted(ChangeRecord.objects.values_list("id", flat=True))
    with transaction.atomic():
        # 200 of 300 rows: at least 50 + 10 % of 300
        assert bulk.update_frame(ChangeRecord, pl.DataFrame({"id": ids[:200], "model": [new] * 200})) == 200
        assert _common_models() == f"{{{old}}}"
    assert ChangeRecord.objects.filter(model=new).count() == 200
    assert _common_models() == f"{{{new},{old}}}"  # most common first: 200 new, 100 old


@postgresql_only
def test_a_rolled_back_copy_is_not_analysed() -> None:
    stats_before = _stats_rows()
    models_before = _common_models()
    with pytest.raises(Boom), transaction.atomic():
        _copy(300, _marker())
        raise Boom
    assert ChangeRecord.objects.count() == 0
    assert _reltuples() == -1
    assert _stats_rows() == stats_before
    assert _common_models() == models_before


@postgresql_only
def test_a_copy_in_a_rolled_back_savepoint_is_not_analysed() -> None:
    stats_before = _stats_rows()
    models_before = _common_models()
    with transaction.atomic():
        with pytest.raises(Boom), transaction.atomic():
            _copy(300, _marker())
            raise Boom
        assert _hooks() == []
    assert ChangeRecord.objects.count() == 0
    assert _reltuples() == -1
    assert _stats_rows() == stats_before
    assert _common_models() == models_before


@postgresql_only
def test_a_savepoints_rolled_back_rows_do_not_count_towards_the_outer_write() -> None:
    """10 rows committed (below the rule), 300 more in a savepoint rolled back: nothing to analyse."""
    with transaction.atomic():
        _copy(10, _marker())
        with pytest.raises(Boom), transaction.atomic():
            _copy(300, _marker())
            raise Boom
    assert ChangeRecord.objects.count() == 10
    assert _reltuples() == -1


@postgresql_only
def test_below_the_rule_an_analysed_table_is_left_alone() -> None:
    # never analysed: counts as empty, so the rule is 50 rows
    assert table_statistics.due({TABLE: 49}) == []
    assert table_statistics.due({TABLE: 50}) == [TABLE]
    first, second = _marker(), _marker()
    with transaction.atomic():
        _copy(1000, first)
    assert _reltuples() == 1000
    # analysed with 1,000 rows: the rule is 50 + 100
    assert table_statistics.due({TABLE: 10}) == []
    assert table_statistics.due({TABLE: 149}) == []
    assert table_statistics.due({TABLE: 150}) == [TABLE]
    assert table_statistics.due({TABLE: 200}) == [TABLE]
    with transaction.atomic():
        _copy(100, second)
    assert ChangeRecord.objects.count() == 1100
    assert _reltuples() == 1000  # not analysed again
    assert _common_models() == f"{{{first}}}"


@postgresql_only
def test_a_failing_analyze_leaves_the_committed_rows(monkeypatch: pytest.MonkeyPatch,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    def refuse(tables: object) -> None:
        raise Boom("ANALYZE refused")

    monkeypatch.setattr(table_statistics, "analyze_now", refuse)
    with caplog.at_level(logging.ERROR, logger=table_statistics.__name__), transaction.atomic():
        _copy(300, _marker())
    assert ChangeRecord.objects.count() == 300
    assert _reltuples() == -1
    [record] = [r for r in caplog.records if r.name == table_statistics.__name__]
    assert record.getMessage() == f"ANALYZE {TABLE} after a bulk write failed"
    assert record.exc_info is not None and isinstance(record.exc_info[1], Boom)


@postgresql_only
def test_an_analyze_the_server_refuses_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    """A real failure: a table that is not there; the real one is analysed all the same (each table
    on its own)."""
    marker = _marker()
    with caplog.at_level(logging.ERROR, logger=table_statistics.__name__), transaction.atomic():
        table_statistics.note_written("a_no_such_table", 100)  # sorts before the real table
        _copy(300, marker)
    assert ChangeRecord.objects.count() == 300
    assert _reltuples() == 300
    [record] = [r for r in caplog.records if r.name == table_statistics.__name__]
    assert record.exc_info is not None and "a_no_such_table" in str(record.exc_info[1])
    with transaction.atomic():  # the connection is usable
        _copy(1, marker)
    assert ChangeRecord.objects.count() == 301


# --- every backend ---------------------------------------------------------------------------------

def test_nothing_written_registers_nothing() -> None:
    with transaction.atomic():
        table_statistics.note_written(TABLE, 0)
        assert connection.run_on_commit == []
    assert table_statistics.due({}) == []


# --- SQLite ----------------------------------------------------------------------------------------

def _sqlite_stat_tables() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name LIKE 'sqlite_stat%'")
        return int(cursor.fetchone()[0])


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite no-op")
def test_sqlite_notes_nothing_and_analyses_nothing() -> None:
    assert _sqlite_stat_tables() == 0
    with transaction.atomic():
        before = list(connection.run_on_commit)
        assert _copy(300, _marker()) == 300
        table_statistics.note_written(TABLE, 10**6)
        assert connection.run_on_commit == before
    assert ChangeRecord.objects.count() == 300
    _copy(300, _marker())  # autocommit mode
    table_statistics.note_written(TABLE, 10**6)
    table_statistics.analyze_now([TABLE])
    assert _sqlite_stat_tables() == 0


@postgresql_only
def test_only_the_indexed_columns_are_analysed() -> None:
    assert table_statistics.indexed_columns(TABLE) == ["id", "at", "model", "object_id", "household_id",
                                                        "region_code", "actor_id"]
    with transaction.atomic():
        _copy(300, _marker())
    with connection.cursor() as cursor:
        cursor.execute("SELECT attname FROM pg_stats WHERE schemaname = current_schema() AND tablename = %s "
                       "AND attname IN ('comment', 'changes', 'actor_name')", [TABLE])
        assert cursor.fetchall() == []  # TRUNCATE kept none of these: the audit table was never analysed whole


@postgresql_only
def test_insert_rows_is_analysed_too() -> None:
    marker = _marker()
    rows = [{"action": "create", "model": marker, "object_id": str(i), "actor_name": "system", "source": "test",
             "comment": marker, "changes": {}} for i in range(120)]
    with transaction.atomic():
        assert bulk.insert_rows(ChangeRecord, rows) == 120
        assert _reltuples() == -1
    assert _reltuples() == 120
    assert _common_models() == f"{{{marker}}}"
