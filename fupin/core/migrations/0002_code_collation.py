"""The audit trail's region code in ``COLLATE "C"`` on PostgreSQL and its ``_like`` index dropped: the
region scoping's prefix search uses the plain index (fupin/core/code_collation.py). No change on
SQLite, none in Django's state."""

from django.db import migrations

from fupin.core import code_collation

COLUMNS = [("core_changerecord", "region_code", 12)]
LIKE = [("core_changerecord_region_code_1626f000_like", "core_changerecord", "region_code")]


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0001_initial'),
    ]

    operations = [code_collation.operation(COLUMNS, LIKE)]
