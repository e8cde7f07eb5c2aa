"""户编号, the division codes of a household and members' ID numbers in ``COLLATE "C"`` on PostgreSQL, and
the ``_like`` index of 户编号 dropped (fupin/core/code_collation.py: faster index builds and
comparisons; a plain index then serves prefix searches). No change on SQLite, none in Django's state."""

from django.db import migrations

from fupin.core import code_collation

COLUMNS = [
    ("registry_household", "household_number", 32),
    *[("registry_household", f"{level}_code", 12) for level in ("province", "city", "county", "township", "village")],
    ("registry_member", "id_number", 20),
]
LIKE = [("registry_household_household_number_b47e605d_like", "registry_household", "household_number")]


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0004_monitored_status'),
    ]

    operations = [code_collation.operation(COLUMNS, LIKE)]
