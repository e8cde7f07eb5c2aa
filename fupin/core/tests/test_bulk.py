"""Bulk-write helpers: COPY in blocks; secondary indexes built once after a large load (PostgreSQL, SQLite)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from fupin.core import bulk
from fupin.registry.models import Household, Member
from fupin.testing import load_test_regions

pytestmark = pytest.mark.django_db(transaction=True)


def _indexes(table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        else:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s", [table])
        return dict(cursor.fetchall())


def test_small_loads_keep_their_indexes():
    before = _indexes("registry_member")
    with transaction.atomic(), bulk.indexes_built_after({Member: 10}) as rebuilt:
        assert _indexes("registry_member") == before
    assert rebuilt == []
    assert _indexes("registry_member") == before


def test_a_large_load_drops_secondary_indexes_and_builds_them_again(monkeypatch):
    monkeypatch.setattr(bulk, "REBUILD_MIN_ROWS", 1)
    before = _indexes("registry_member")
    with transaction.atomic(), bulk.indexes_built_after({Member: 5}) as rebuilt:
        during = _indexes("registry_member")
    after = _indexes("registry_member")
    assert after == before
    assert "member_one_active_household" in rebuilt and "member_id_number" in rebuilt
    if connection.vendor == "postgresql":
        assert "registry_member_pkey" in during  # the primary key stays
        assert set(during) == set(before) - set(rebuilt)
    else:
        assert set(during) == {n for n, sql in before.items() if sql is None}  # automatic ones stay
        assert set(rebuilt) == {n for n, sql in before.items() if sql is not None}


def _constraints(table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = to_regclass(%s)",
                       [table])
        return dict(cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="constraints apart from indexes: PostgreSQL only")
def test_a_large_load_rebuilds_the_unique_constraints_no_key_depends_on(monkeypatch):
    """户编号's UNIQUE constraint is dropped and added again; the primary key (which every foreign key
    to households depends on) stays."""
    monkeypatch.setattr(bulk, "REBUILD_MIN_ROWS", 1)
    before = _constraints("registry_household")
    with transaction.atomic(), bulk.indexes_built_after({Household: 5}) as rebuilt:
        during = _constraints("registry_household")
    assert "registry_household_household_number_key" in rebuilt
    assert "registry_household_household_number_key" not in during
    assert "registry_household_pkey" in during
    assert _constraints("registry_household") == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="constraints apart from indexes: PostgreSQL only")
def test_a_duplicate_loaded_while_the_constraint_is_off_fails_the_whole_load(monkeypatch, make_household):
    monkeypatch.setattr(bulk, "REBUILD_MIN_ROWS", 1)
    load_test_regions()  # a transactional test before this one may have flushed them
    first, second = make_household(), make_household()
    before = _constraints("registry_household")
    with pytest.raises(IntegrityError), transaction.atomic(), bulk.indexes_built_after({Household: 5}):
        Household.objects.filter(pk=second.pk).update(household_number=first.household_number)
    second.refresh_from_db()
    assert second.household_number != first.household_number
    assert _constraints("registry_household") == before


def test_a_failure_inside_the_load_leaves_every_index_in_place(monkeypatch):
    monkeypatch.setattr(bulk, "REBUILD_MIN_ROWS", 1)
    before = _indexes("registry_member")
    with pytest.raises(RuntimeError), transaction.atomic(), bulk.indexes_built_after({Member: 5}):
        raise RuntimeError("killed mid-load")
    assert _indexes("registry_member") == before


def test_csv_blocks_cover_every_row_once_in_order():
    import polars as pl

    frame = pl.DataFrame({"a": list(range(10)), "b": [None if i % 3 == 0 else f"x,{i}" for i in range(10)]})
    blocks = list(bulk.csv_blocks(frame, rows=3))
    assert len(blocks) == 4
    text = b"".join(blocks).decode()
    assert text.splitlines()[0] == "0," and text.splitlines()[1] == '1,"x,1"'
    assert pl.read_csv(b"".join(blocks), has_header=False, schema={"a": pl.Int64, "b": pl.Utf8}).equals(frame)
    assert list(bulk.csv_blocks(frame.clear(), rows=3)) == []


def test_copy_frame_in_many_blocks_writes_every_row(monkeypatch):
    import polars as pl

    from fupin.core.models import ChangeRecord

    monkeypatch.setattr(bulk, "COPY_BLOCK_ROWS", 7)
    monkeypatch.setattr(bulk, "BINARY_BLOCK_ROWS", 7)
    sent: list[int] = []
    ahead = bulk._ahead

    def counted(render, height, rows):
        for block in ahead(render, height, rows):
            sent.append(rows)
            yield block

    monkeypatch.setattr(bulk, "_ahead", counted)
    before = ChangeRecord.objects.count()
    frame = pl.DataFrame({
        "actor_name": ["system"] * 50, "action": ["update"] * 50, "model": ["registry.household"] * 50,
        "object_id": ["1"] * 50, "household_id": pl.Series([None] * 50, dtype=pl.Int64),
        "region_code": ["350421100201"] * 50, "changes": [f'{{"n": [null, {i}]}}' for i in range(50)],
        "source": ["test"] * 50, "comment": [f"行{i}" for i in range(50)],
    })
    with transaction.atomic():
        assert bulk.copy_frame(ChangeRecord, frame) == 50
    rows = ChangeRecord.objects.filter(source="test").order_by("pk")
    assert ChangeRecord.objects.count() == before + 50
    assert [r.comment for r in rows] == [f"行{i}" for i in range(50)]
    assert rows[49].changes == {"n": [None, 49]}
    # PostgreSQL sends the rows in blocks of the size set when the copy runs (SQLite binds 50 rows)
    assert sent == ([7] * 8 if connection.vendor == "postgresql" else [])


def test_copy_frame_writes_constants_once_for_every_row():
    """One-value columns (``constants``) are bound once (SQLite: in the statement) yet land in every row,
    quotes and percent signs intact; a frame whose every column is constant keeps its rows."""
    import polars as pl

    from fupin.core.models import ChangeRecord

    frame = pl.DataFrame({"object_id": [str(i) for i in range(5)],
                          "changes": [f'{{"n": [null, {i}]}}' for i in range(5)]})
    constants = {"actor_id": None, "actor_name": "O'Brien 100%", "action": "update", "model": "registry.household",
                 "region_code": "350421100201", "source": "test-constants", "comment": "导入批次 #7 '%s' %%"}
    with transaction.atomic():
        assert bulk.copy_frame(ChangeRecord, frame, constants=constants) == 5
        assert bulk.copy_frame(ChangeRecord, pl.DataFrame({"object_id": ["9", "9"]}), constants=constants) == 2
    rows = list(ChangeRecord.objects.filter(source="test-constants").order_by("pk"))
    assert len(rows) == 7
    assert {(r.actor_id, r.actor_name, r.comment, r.region_code) for r in rows} == {
        (None, "O'Brien 100%", "导入批次 #7 '%s' %%", "350421100201")}
    assert [r.object_id for r in rows] == ["0", "1", "2", "3", "4", "9", "9"]
    assert rows[4].changes == {"n": [None, 4]} and rows[5].changes == {}


def test_copy_frame_of_constants_only_keeps_every_row():
    import polars as pl

    from fupin.core.models import ChangeRecord

    frame = pl.DataFrame({"object_id": ["x", "x", "x"]})
    with transaction.atomic():
        # every column given as a constant (a constant wins over the frame's column of the same name)
        assert bulk.copy_frame(ChangeRecord, frame, constants={
            "object_id": "y", "action": "update", "model": "m", "source": "test-only-constants"}) == 3
    assert list(ChangeRecord.objects.filter(source="test-only-constants").values_list("object_id", flat=True)) == ["y"] * 3


@pytest.mark.django_db
def test_null_empty_text_and_a_text_like_a_null_marker_travel_as_they_are():
    """CSV COPY in (PostgreSQL) and ``read_frame`` out keep NULL, "" and the texts ``\\N``, ``NULL``,
    ``""`` apart (with ``NULL '\\N'`` a text ``\\N`` became NULL on the way in and on the way out)."""
    import polars as pl

    values = ["\\N", None, "", "NULL", '""', "x,y", "行\n2"]
    frame = pl.DataFrame({"n": list(range(len(values))), "t": values})
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE travel (n integer, t text)")
        if connection.vendor == "postgresql":
            with cursor.cursor.copy("COPY travel (n, t) FROM STDIN WITH (FORMAT csv)") as copy:
                for block in bulk.csv_blocks(frame, rows=2):
                    copy.write(block)
        else:
            cursor.executemany("INSERT INTO travel (n, t) VALUES (%s, %s)", frame.rows())
        cursor.execute("SELECT t FROM travel ORDER BY n")
        assert [r[0] for r in cursor.fetchall()] == values
    assert bulk.read_frame("SELECT t FROM travel ORDER BY n").get_column("t").to_list() == values
    assert bulk.read_frame("SELECT n, t FROM travel WHERE t IS NULL").rows() == [("1", None)]
