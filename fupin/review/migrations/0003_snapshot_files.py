"""Snapshot.files: the Parquet copies of a snapshot's rows (fupin.review.store).

Nullable and without a default, so SQLite adds it with ALTER TABLE ADD COLUMN and does not rebuild the
table: the immutability triggers of 0002 stay in place (tested in test_snapshots).
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('review', '0002_immutable_snapshots'),
    ]

    operations = [
        migrations.AddField(
            model_name='snapshot',
            name='files',
            field=models.JSONField(blank=True, help_text='the rows also written as Parquet files in the data folder: per unit (households, persons) the file name, its SHA-256 and row count (fupin.review.store); null: no files', null=True, verbose_name='数据文件 Parquet copies'),
        ),
    ]
