"""Check a department list's rows: the ID number decides, every failure is a rejection row.

Transform and validate stage of a department list import (one Polars pass, no row loop):

- the ID number is read and checked by :func:`fupin.imports.pipelines.validate_roster.add_id_columns`
  — GB 11643 as integer arithmetic with the reasons of :func:`fupin.policy.idnumber.validate_id_number`
  (empty, stored as a number by a spreadsheet, wrong length, bad birth date, wrong check character);
  15-digit numbers are upgraded; a 20-digit disability certificate number (残疾人证号) keeps its first
  18 characters, the resident ID it is built on. A record's ``id_number`` is therefore always the
  18-character resident ID;
- a row whose ID number is refused is rejected with its row number, the column's header as written
  in the file, the value and the reason; every other row is accepted. A list may hold several rows
  of one person (two cars, two companies): each is a record;
- the name is kept as written (stripped); the detail columns go into ``detail`` (JSON text, keys =
  the kind's field names); a date column is written ``YYYY-MM-DD`` when it can be read
  (``2020-03-04``, ``2020/3/4``, ``2020.3.4``, ``2020年3月4日``, ``20200304``, a spreadsheet date with
  a time) and kept as written otherwise — details describe the record, they never reject it.

``rows_read == records.height + rejections.height`` holds by construction (one reason per row).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from fupin.imports.pipelines.validate_roster import add_id_columns
from fupin.policy.department_lists import DATE, ListKind

from .read_list import RawList

REJECTION_SCHEMA = {"row_number": pl.Int64, "column": pl.Utf8, "value": pl.Utf8, "reason": pl.Utf8}
RECORD_SCHEMA = {"row_number": pl.Int64, "id_number": pl.Utf8, "name": pl.Utf8, "detail": pl.Utf8}


@dataclass(frozen=True)
class CheckedList:
    records: pl.DataFrame  # RECORD_SCHEMA
    rejections: pl.DataFrame  # REJECTION_SCHEMA
    rows_read: int
    encoding: str
    headers: dict[str, str]
    unknown_headers: list[str]


def normalise_date(col: pl.Expr) -> pl.Expr:
    """``YYYY-MM-DD`` when the text reads as a date, else the text as written."""
    text = (col.str.replace(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$", "")
            .str.replace_all(r"[年月/.]", "-").str.replace(r"日$", "")
            .str.replace(r"^(\d{4})(\d{2})(\d{2})$", "$1-$2-$3"))
    parsed = text.str.to_date("%Y-%m-%d", strict=False)
    return pl.when(parsed.is_not_null()).then(parsed.dt.strftime("%Y-%m-%d")).otherwise(col)


def check_list(raw: RawList, kind: ListKind, *, today: date | None = None) -> CheckedList:
    """Accepted records and rejected rows of a read list (see the module docstring)."""
    frame = raw.frame.with_columns(pl.col("id_number").alias("_id_raw"))
    frame = add_id_columns(frame, "id_number", "_id_numeric", today=today)
    id_header = raw.headers.get("id_number", kind.column("id_number").header)
    rejected = frame.filter(pl.col("_id_reason").is_not_null())
    rejections = rejected.select(
        pl.col("_row").alias("row_number"), pl.lit(id_header, pl.Utf8).alias("column"),
        pl.col("_id_raw").fill_null("").str.slice(0, 200).alias("value"), pl.col("_id_reason").alias("reason"),
    )
    accepted = frame.filter(pl.col("_id_reason").is_null())
    details = [
        (normalise_date(pl.col(c.field)) if c.kind == DATE else pl.col(c.field)).alias(c.field)
        for c in kind.detail_columns
    ]
    records = accepted.select(
        pl.col("_row").alias("row_number"),
        pl.col("id_number").str.slice(0, 18).alias("id_number"),
        pl.col("name").fill_null("").str.slice(0, 60).alias("name"),
        pl.struct(details).struct.json_encode().alias("detail"),
    )
    return CheckedList(records=records.cast(RECORD_SCHEMA), rejections=rejections.cast(REJECTION_SCHEMA),
                       rows_read=raw.frame.height, encoding=raw.encoding, headers=raw.headers,
                       unknown_headers=raw.unknown_headers)
