"""A demo import batch awaiting review (演示: 导入批次待审核), so the import pages show their work on first start.

The demo village's roster is exported as the registry holds it (:func:`fupin.imports.pipelines.export_roster.export_frame`)
and changed as a village's monthly update would change it: new phone numbers for three households, a
member's 文化程度, one member no longer listed (the merge would mark that person as left), and one
member's 证件号码 mistyped (that household is rejected whole). It is landed as an xlsx and checked by
the demo county officer through the import services, and left at review: the batch page shows the
counts, the warning about the person leaving, the changes by field, the rejected rows and the rows to
correct; merging it needs the person leaving confirmed (核对减员). Idempotent: skipped when a demo
batch exists.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import polars as pl

from fupin.accounts.models import User
from fupin.core.xlsx_sheet import xlsx_bytes
from fupin.imports import services
from fupin.imports.models import ImportBatch
from fupin.imports.pipelines.export_roster import export_frame
from fupin.policy.codes import HEAD_RELATION, RELATION

from .users import demo_village

SOURCE = "demo"
COUNTY_USER = "demo_county"


def _mistyped(id_number: str) -> str:
    """The same number with a wrong check character (a typing slip the check catches)."""
    return id_number[:17] + ("1" if id_number[17:] != "1" else "2")


def demo_update(roster: pl.DataFrame) -> pl.DataFrame:
    """``roster`` (one village, person rows, roster headers) changed as a monthly update would be
    (see the module docstring). Deterministic: households in 户编号 order."""
    numbers = roster["户编号"].unique().sort().to_list()
    sizes = dict(roster.group_by("户编号").len().iter_rows())
    with_members = [n for n in numbers if sizes[n] >= 2]
    if len(with_members) < 3:
        raise LookupError("演示村的户太少 / the demo village has too few households for the demo import")
    leaving_household, education_household, mistyped_household = with_members[:3]
    phone_households = [n for n in numbers if n not in with_members[:3]][:3]
    members = pl.col("与户主关系") != pl.lit(RELATION.label(HEAD_RELATION))  # the export writes labels
    leaving = roster.filter((pl.col("户编号") == leaving_household) & members)["证件号码"][-1]
    changed = roster.filter((pl.col("户编号") == education_household) & members)["证件号码"][0]
    mistyped = roster.filter(pl.col("户编号") == mistyped_household)["证件号码"][-1]
    return roster.filter(pl.col("证件号码") != leaving).with_columns(
        pl.when(pl.col("户编号").is_in(phone_households))
        .then(pl.lit("1390598") + pl.col("户编号").str.slice(-4)).otherwise(pl.col("联系电话")).alias("联系电话"),
        pl.when(pl.col("证件号码") == changed)
        .then(pl.when(pl.col("文化程度") == "高中").then(pl.lit("初中")).otherwise(pl.lit("高中")))
        .otherwise(pl.col("文化程度")).alias("文化程度"),
        pl.when(pl.col("证件号码") == mistyped).then(pl.lit(_mistyped(mistyped))).otherwise(pl.col("证件号码"))
        .alias("证件号码"),
        # one person fewer: the per-capita income is left for the system to compute again
        pl.when(pl.col("户编号") == leaving_household).then(pl.lit("")).otherwise(pl.col("年人均纯收入"))
        .alias("年人均纯收入"),
    )


def ensure_demo_import(write: Callable[[str], None] | None = None) -> ImportBatch | None:
    """Land and check the demo update of the demo village's roster as the demo county officer, unless a
    demo batch exists; the batch (at review), or None when one existed."""
    write = write or (lambda text: None)
    if ImportBatch.objects.filter(source=SOURCE).exists():
        return None
    officer = User.objects.get(username=COUNTY_USER)
    village = demo_village()
    try:
        update = demo_update(export_frame(None, village))
    except LookupError as exc:  # a demo scaled down to a handful of households
        write(f"    未生成导入批次 / no demo import batch: {exc}")
        return None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"花名册-{village}-月度更新.xlsx"
        path.write_bytes(xlsx_bytes(update, sheet="花名册"))
        batch = services.land_file(actor=officer, file_name=path.name, path=path, region_code=officer.region_id,
                                   source=SOURCE)
    batch = services.validate_batch(batch.pk, actor=officer)
    write(f"    导入批次 #{batch.pk} 待审核 / import batch awaiting review: read={batch.rows_read} "
          f"rejected={batch.rows_rejected} changed={batch.households_changed} left={batch.persons_left}")
    return batch
