"""Bulk-write helpers: secondary indexes built once after a large load (PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from fupin.core import bulk
from fupin.registry.models import Member

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
    if connection.vendor == "postgresql":
        assert "member_one_active_household" in rebuilt and "member_id_number" in rebuilt
        assert "registry_member_pkey" in during  # the primary key stays
        assert set(during) == set(before) - set(rebuilt)
    else:
        assert rebuilt == [] and during == before


def test_a_failure_inside_the_load_leaves_every_index_in_place(monkeypatch):
    monkeypatch.setattr(bulk, "REBUILD_MIN_ROWS", 1)
    before = _indexes("registry_member")
    with pytest.raises(RuntimeError), transaction.atomic(), bulk.indexes_built_after({Member: 5}):
        raise RuntimeError("killed mid-load")
    assert _indexes("registry_member") == before
