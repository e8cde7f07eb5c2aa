"""Code columns compare byte by byte on PostgreSQL and their plain index serves prefix searches
(fupin/core/code_collation.py)."""

from __future__ import annotations

import re

import pytest
from django.db import connection

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "postgresql", reason="collations: PostgreSQL only")]

C_COLUMNS = [
    ("registry_household", "household_number"), ("registry_household", "province_code"),
    ("registry_household", "city_code"), ("registry_household", "county_code"),
    ("registry_household", "township_code"), ("registry_household", "village_code"),
    ("registry_member", "id_number"), ("core_changerecord", "region_code"),
]


def test_code_columns_are_in_the_c_collation_without_like_indexes():
    with connection.cursor() as cursor:
        for table, column in C_COLUMNS:
            cursor.execute("SELECT collation_name FROM information_schema.columns WHERE table_schema = current_schema() "
                           "AND table_name = %s AND column_name = %s", [table, column])
            assert cursor.fetchone() == ("C",), (table, column)
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexdef LIKE %s",
                           [table, f"%({column} varchar_pattern_ops)"])
            assert cursor.fetchall() == [], (table, column)


@pytest.mark.parametrize(("table", "column", "index"), [
    ("core_changerecord", "region_code", "core_changerecord_region_code_1626f000"),
    ("registry_household", "village_code", "household_village"),
])
def test_a_prefix_search_can_use_the_plain_index(table, column, index):
    """What the region scoping sends (``startswith`` → ``LIKE '3504%'``), planned with sequential scans
    off: the plain index answers it as a range (in another collation it could only be read whole)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN SELECT 1 FROM {table} WHERE {column}::text LIKE %s", ["3504%"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert re.search(rf"(using|Index Scan on) {index}( |$)", plan, re.M), plan
    assert "Index Cond" in plan and ">= '3504'" in plan, plan  # a range on the index, not a scan of all of it
