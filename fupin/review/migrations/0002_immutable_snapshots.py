"""Snapshots are immutable in the database too: triggers refuse UPDATE and DELETE on the snapshot tables.

PostgreSQL: one PL/pgSQL function raising ``restrict_violation``, row triggers BEFORE UPDATE OR DELETE,
and a statement trigger BEFORE TRUNCATE that refuses when the table has rows (an empty table may be
truncated, so the test runner's flush of empty tables keeps working). SQLite: BEFORE UPDATE and BEFORE
DELETE triggers with ``RAISE(ABORT, …)``. Other backends: nothing (the models still refuse).

Note for later migrations: SQLite rebuilds a table to alter it, which drops its triggers; a migration that
alters one of these tables on SQLite must create the triggers again (call ``forwards``).
"""

from django.db import migrations

TABLES = ("review_snapshot", "review_householdsnapshot", "review_personsnapshot")
MESSAGE = "fupin: snapshots are immutable (快照不可修改)"

POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION review_refuse_change() RETURNS trigger AS $$
DECLARE _rows integer;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    EXECUTE 'SELECT 1 FROM ' || quote_ident(TG_TABLE_SCHEMA) || '.' || quote_ident(TG_TABLE_NAME) || ' LIMIT 1';
    GET DIAGNOSTICS _rows = ROW_COUNT;
    IF _rows = 0 THEN RETURN NULL; END IF;
  END IF;
  RAISE EXCEPTION USING MESSAGE = '{MESSAGE}: ' || TG_OP || ' on ' || TG_TABLE_NAME, ERRCODE = 'restrict_violation';
END
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION)
        for table in TABLES:
            schema_editor.execute(f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
                                  f"FOR EACH ROW EXECUTE FUNCTION review_refuse_change()")
            schema_editor.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                                  f"FOR EACH STATEMENT EXECUTE FUNCTION review_refuse_change()")
    elif vendor == "sqlite":
        for table in TABLES:
            for op in ("UPDATE", "DELETE"):
                schema_editor.execute(f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                                      f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        schema_editor.execute("DROP FUNCTION IF EXISTS review_refuse_change()")
    elif vendor == "sqlite":
        for table in TABLES:
            for op in ("update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op}")


class Migration(migrations.Migration):
    dependencies = [("review", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
