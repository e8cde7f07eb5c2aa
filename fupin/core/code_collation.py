"""Code columns in the byte-order collation on PostgreSQL (编码列排序规则).

Division codes, 户编号 and ID numbers are identifiers made of ASCII digits and letters, not text in a
language: ordering them byte by byte (``COLLATE "C"``) gives the same order as any locale would, and
PostgreSQL then compares them with ``memcmp`` and abbreviated keys instead of the locale's ``strcoll``
(which it does even for ``C.UTF-8`` before version 17). Measured on this machine, PostgreSQL 15,
961k members: building the ID-number index took 1.0–1.5 s in the database's ``C.UTF-8`` and
0.9–1.2 s in ``C``; the village-code index of 287k households 0.39–0.42 s and 0.20–0.28 s.

A plain B-tree index in ``C`` also serves ``LIKE 'prefix%'`` (the region scoping's ``startswith``),
which in any other collation needs the second ``varchar_pattern_ops`` index Django adds to
``db_index``/``unique`` text columns (``…_like``): those are dropped for the columns moved here, one
index fewer to write on every insert and to rebuild after a large load.

Used by migrations (``registry`` 0005, ``core`` 0002); on other databases (SQLite compares bytes
already) it does nothing. Django does not know the collation (the fields declare none: ``db_collation``
would also be sent to SQLite, which has no collation named ``C``), so a later ``AlterField`` on one of
these columns would put the default back — ``fupin/core/tests/test_code_collation.py`` fails if it does.
"""

from __future__ import annotations

from collections.abc import Iterable


def _like_indexes(cursor, table: str, column: str) -> list[tuple[str, str]]:
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s "
        "AND indexdef LIKE %s", [table, f"%({column} varchar_pattern_ops)"])
    return cursor.fetchall()


def to_c(schema_editor, columns: Iterable[tuple[str, str, int]]) -> None:
    """``(table, column, max_length)``: set ``COLLATE "C"`` and drop the column's ``_like`` index."""
    if schema_editor.connection.vendor != "postgresql":
        return
    qn = schema_editor.quote_name
    with schema_editor.connection.cursor() as cursor:
        for table, column, length in columns:
            for name, _ in _like_indexes(cursor, table, column):
                cursor.execute(f"DROP INDEX {qn(name)}")
            cursor.execute(f'ALTER TABLE {qn(table)} ALTER COLUMN {qn(column)} TYPE varchar({length}) COLLATE "C"')


def to_default(schema_editor, columns: Iterable[tuple[str, str, int]], like: Iterable[tuple[str, str, str]]) -> None:
    """Undo :func:`to_c`: the default collation, and the ``_like`` indexes ``(name, table, column)`` again."""
    if schema_editor.connection.vendor != "postgresql":
        return
    qn = schema_editor.quote_name
    with schema_editor.connection.cursor() as cursor:
        for table, column, length in columns:
            cursor.execute(f'ALTER TABLE {qn(table)} ALTER COLUMN {qn(column)} TYPE varchar({length}) '
                           'COLLATE "default"')
        for name, table, column in like:
            cursor.execute(f"CREATE INDEX {qn(name)} ON {qn(table)} ({qn(column)} varchar_pattern_ops)")


def operation(columns: list[tuple[str, str, int]], like: list[tuple[str, str, str]]):
    """The migration operation: :func:`to_c` forwards, :func:`to_default` backwards."""
    from django.db import migrations

    return migrations.RunPython(lambda apps, schema_editor: to_c(schema_editor, columns),
                                lambda apps, schema_editor: to_default(schema_editor, columns, like),
                                elidable=False)
