"""SQLite bulk loads through a staging file (fupin.core.sqlite_stage): the same rows, stored the same way,
as ``executemany``; inside the caller's transaction; nothing left behind."""

from __future__ import annotations

import datetime as dt
import os
import time
from decimal import Decimal

import polars as pl
import pytest
from django.db import connection, transaction

from fupin.core import bulk, sqlite_stage
from fupin.registry.models import Household, Member
from fupin.testing import load_test_regions

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="the staging file is SQLite's bulk path"),
]

STAGED, EXECUTEMANY = 1, 10**9


def _members(household_id: int, prefix: str, n: int = 6) -> pl.DataFrame:
    return pl.DataFrame({
        "household_id": [household_id] * n,
        "name": ["O'Brien 100%", "张三", "", "李 四", "😀", "王五"][:n],
        "id_number": [f"{prefix}{i:04d}" for i in range(n)],
        "sex": ["1", "2"] * (n // 2),
        "birth_date": pl.Series([dt.date(1950 + i, 1 + i, 2) for i in range(n)], dtype=pl.Date),
        "relation": ["02"] * n,
        "migrant_months": pl.Series(list(range(n)), dtype=pl.UInt8),
        "is_dibao": pl.Series([True, False, True, None, False, True][:n], dtype=pl.Boolean).fill_null(False),
        "left_comment": ["说明 'quoted' %s"] * n,
        "left_at": pl.Series([dt.datetime(2026, 1, 1, 8, 30), None] * (n // 2), dtype=pl.Datetime("us")),
    })


def _stored(table: str, where: str) -> list[dict[str, tuple]]:
    """Every column of the matching rows as stored — (value, SQLite storage class) by column —, the
    keys, times and ID numbers left out."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE {where} ORDER BY id")
        names = [d[0] for d in cursor.description]
        values = cursor.fetchall()
        cursor.execute(f"SELECT {', '.join(f'typeof({n})' for n in names)} FROM {table} WHERE {where} ORDER BY id")
        types = cursor.fetchall()
    skip = {"id", "created_at", "updated_at", "id_number", "household_number"}
    return [{n: (v[i], t[i]) for i, n in enumerate(names) if n not in skip}
            for v, t in zip(values, types, strict=True)]


@pytest.fixture(autouse=True)
def _no_staging_files_from_earlier_tests():
    """A rolled-back test leaves its staging files attached to the shared connection until a load
    outside a transaction; this test starts outside one (a transactional test), so clear them."""
    sqlite_stage.detach_idle()
    assert sqlite_stage._attached() == []


@pytest.fixture
def household(make_household):
    load_test_regions()  # a transactional test's flush took the regions
    return make_household()


def test_a_staged_insert_stores_what_executemany_stores(monkeypatch, household):
    for threshold, prefix in ((EXECUTEMANY, "A"), (STAGED, "B")):
        monkeypatch.setattr(bulk, "SQLITE_STAGE_ROWS", threshold)
        with transaction.atomic():
            assert bulk.copy_frame(Member, _members(household.pk, prefix),
                                   constants={"version": 1, "status": "left", "ethnicity": "01"}) == 6
    plain = _stored("registry_member", "id_number LIKE 'A%'")
    staged = _stored("registry_member", "id_number LIKE 'B%'")
    assert len(plain) == 6
    assert plain == staged
    stored = Member.objects.filter(id_number="B0001").get()
    assert (stored.name, stored.birth_date, stored.is_dibao, stored.left_at, stored.left_comment) == (
        "张三", dt.date(1951, 2, 2), False, None, "说明 'quoted' %s")
    assert Member.objects.get(id_number="B0000").left_at == dt.datetime(2026, 1, 1, 8, 30, tzinfo=dt.UTC)


def test_a_staged_update_changes_what_executemany_changes(monkeypatch, household):
    with transaction.atomic():
        bulk.copy_frame(Member, _members(household.pk, "A"), constants={"version": 1, "status": "left"})
        bulk.copy_frame(Member, _members(household.pk, "B"), constants={"version": 1, "status": "left"})
    for threshold, prefix in ((EXECUTEMANY, "A"), (STAGED, "B")):
        ids = list(Member.objects.filter(id_number__startswith=prefix).order_by("id").values_list("id", flat=True))
        monkeypatch.setattr(bulk, "SQLITE_STAGE_ROWS", threshold)
        with transaction.atomic():
            assert bulk.update_frame(Member, pl.DataFrame({
                "id": ids, "name": [f"新名{i}'" for i in range(6)],
                "birth_date": pl.Series([dt.date(2000, 1, 1)] * 6, dtype=pl.Date),
                "is_tekun": [True] * 6, "version": pl.Series([2] * 6, dtype=pl.UInt32),
            })) == 6
    assert _stored("registry_member", "id_number LIKE 'A%'") == _stored("registry_member", "id_number LIKE 'B%'")
    assert Member.objects.get(id_number="B0003").name == "新名3'"


def test_decimals_given_as_decimals_or_text_are_stored_alike(monkeypatch, household):
    """Household money columns: a Decimal column and its text go in as numbers, as Django stores them."""
    monkeypatch.setattr(bulk, "SQLITE_STAGE_ROWS", STAGED)
    base = Household.objects.filter(pk=household.pk).values("village_id", "village_code", "province_code",
                                                              "city_code", "county_code", "township_code").get()
    frame = pl.DataFrame({"household_number": ["D1", "D2"], "identification_year": [2014, 2014],
                          **{k: [v, v] for k, v in base.items()},
                          "income_wage": pl.Series([Decimal("1234.50"), Decimal("0.00")], dtype=pl.Decimal(12, 2))})
    with transaction.atomic():
        bulk.copy_frame(Household, frame, constants={"version": 1, "status": "active"})
        bulk.copy_frame(Household, frame.with_columns(pl.col("income_wage").cast(pl.Utf8),
                                                      pl.Series("household_number", ["T1", "T2"])),
                        constants={"version": 1, "status": "active"})
    stored = dict(Household.objects.filter(household_number__in=["D1", "D2", "T1", "T2"])
                  .values_list("household_number", "income_wage"))
    assert stored == {"D1": Decimal("1234.50"), "D2": Decimal("0"), "T1": Decimal("1234.50"), "T2": Decimal("0")}


def test_a_rolled_back_transaction_keeps_nothing_and_its_staging_files_go_later(monkeypatch, household):
    monkeypatch.setattr(bulk, "SQLITE_STAGE_ROWS", STAGED)
    before = Member.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        bulk.copy_frame(Member, _members(household.pk, "R"), constants={"version": 1, "status": "left"})
        bulk.copy_frame(Member, _members(household.pk, "S"), constants={"version": 1, "status": "left"})
        assert len(sqlite_stage._attached()) == 2  # read in this transaction: they cannot go yet
        raise RuntimeError("crash after the load")
    assert Member.objects.count() == before
    with transaction.atomic():  # gone by the next commit at the latest
        bulk.copy_frame(Member, _members(household.pk, "T"), constants={"version": 1, "status": "left"})
    assert sqlite_stage._attached() == []
    assert Member.objects.count() == before + 6


def test_the_staging_file_leaves_no_file_behind(monkeypatch, household):
    monkeypatch.setattr(bulk, "SQLITE_STAGE_ROWS", STAGED)
    made: list[str] = []
    real = sqlite_stage.tempfile.mkstemp

    def mkstemp(**kwargs):
        handle, path = real(**kwargs)
        made.append(path)
        return handle, path

    monkeypatch.setattr(sqlite_stage.tempfile, "mkstemp", mkstemp)
    with transaction.atomic():
        bulk.copy_frame(Member, _members(household.pk, "F"), constants={"version": 1, "status": "left"})
        assert made and not os.path.exists(made[0])  # gone from the directory while still attached
    monkeypatch.setattr(sqlite_stage, "_write", lambda frame, path: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError, match="disk full"), transaction.atomic():
        bulk.copy_frame(Member, _members(household.pk, "G"), constants={"version": 1, "status": "left"})
    assert len(made) == 2 and not os.path.exists(made[1])
    assert not Member.objects.filter(id_number__startswith="G").exists()


def test_too_many_staging_files_at_once_fall_back_to_executemany(monkeypatch, household):
    monkeypatch.setattr(bulk, "SQLITE_STAGE_ROWS", STAGED)
    monkeypatch.setattr(sqlite_stage, "MAX_STAGES", 1)
    calls: list[int] = []
    real = bulk._executemany
    monkeypatch.setattr(bulk, "_executemany", lambda sql, frame: (calls.append(frame.height), real(sql, frame))[1])
    with transaction.atomic():
        bulk.copy_frame(Member, _members(household.pk, "M"), constants={"version": 1, "status": "left"})
        bulk.copy_frame(Member, _members(household.pk, "N"), constants={"version": 1, "status": "left"})
    assert calls == [6]
    assert Member.objects.filter(id_number__regex=r"^[MN]").count() == 12


def test_a_staging_file_left_by_a_killed_process_goes_once_an_hour_old(tmp_path, monkeypatch):
    monkeypatch.setattr(sqlite_stage.tempfile, "tempdir", str(tmp_path))
    old, fresh, other = (tmp_path / "fupin-stage-old.sqlite3", tmp_path / "fupin-stage-new.sqlite3",
                         tmp_path / "other.sqlite3")
    for path in (old, fresh, other):
        path.write_bytes(b"")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    os.utime(other, (two_hours_ago, two_hours_ago))
    path = sqlite_stage.write_file(sqlite_stage.stage_frame(pl.DataFrame({"a": [1, 2]})))
    assert (old.exists(), fresh.exists(), other.exists()) == (False, True, True)
    assert os.path.dirname(path) == str(tmp_path)
    os.unlink(path)


def test_a_copy_prepared_ahead_loads_its_file_or_removes_it(monkeypatch, household):
    """prepare_copy writes the staging file in a helper thread; run_copy loads it; discard (after a
    failure elsewhere) removes a file that will not be loaded."""
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setattr(bulk, "SQLITE_STAGE_ROWS", STAGED)
    with ThreadPoolExecutor(max_workers=1) as pool, transaction.atomic():
        loaded = bulk.prepare_copy(Member, _members(household.pk, "P"), constants={"version": 1, "status": "left"},
                                   pool=pool)
        dropped = bulk.prepare_copy(Member, _members(household.pk, "Q"), constants={"version": 1, "status": "left"},
                                    pool=pool)
        assert bulk.run_copy(loaded) == 6
        dropped_path = dropped.staging.result()
        assert os.path.exists(dropped_path)
        dropped.discard()
        loaded.discard()  # already loaded: nothing to do
    assert not os.path.exists(dropped_path)
    assert Member.objects.filter(id_number__startswith="P").count() == 6
    assert not Member.objects.filter(id_number__startswith="Q").exists()
