"""减员原因 — reasons a reviewer gives for the persons an import marks as left (issue 3).

A roster lists the persons of each household; a registered member whom the file's household does not
list leaves it at the merge. When the file lists the person in another of its households the reason
is read from the file (分户 ``split``, 迁出 ``moved_out``: :func:`.diff_roster.leaving_reasons`).
Otherwise the file cannot say why — the person is not in it — and the reason is 其他 ``other``,
unless the reviewer gives one before the merge: died (死亡), married out (婚出), moved out of the
registry's villages (迁出), imprisoned (服刑), never belonged (录入错误). The yearly flow report counts a
member leaving by this reason (自然减少 by cause; 录入错误 as removed), and monitoring reads deaths.

Pure column work, no Django: the service keeps the given reasons and hands them here as a frame.
"""

from __future__ import annotations

import polars as pl

#: Reasons a reviewer may give (分户 needs a household of the file: the file says so itself).
GIVEN_REASONS = ("death", "marriage_out", "moved_out", "imprisoned", "entry_error", "other")
#: The reason written when nobody gave one, and the only one a reviewer may replace.
FILE_SILENT = "other"
GIVEN_SCHEMA = {"id_number": pl.Utf8, "reason": pl.Utf8, "comment": pl.Utf8}


def with_given_reasons(leaving: pl.DataFrame, given: pl.DataFrame) -> pl.DataFrame:
    """``leaving`` (:attr:`.diff_roster.RosterDiff.leaving`: ``id_number``, ``leave_reason``, …) with the
    reviewer's reasons (``given``: :data:`GIVEN_SCHEMA`) in place of 其他, and ``leave_note`` (the
    reviewer's comment, null where none). A reason read from the file (分户, 迁至户) is never replaced;
    a reason given for a person who is not leaving is ignored."""
    given = given.select(pl.col("id_number").cast(pl.Utf8), pl.col("reason").cast(pl.Utf8).alias("_given"),
                         pl.col("comment").cast(pl.Utf8).alias("_note"))
    if "leave_reason" not in leaving.columns:  # a diff kept from before the reasons were read
        leaving = leaving.with_columns(pl.lit(None, dtype=pl.Utf8).alias("moved_to"),
                                       pl.lit(FILE_SILENT).alias("leave_reason"))
    if leaving.height == 0 or given.height == 0:
        return leaving.with_columns(pl.lit(None, dtype=pl.Utf8).alias("leave_note"))
    silent = pl.col("leave_reason") == FILE_SILENT
    return (leaving.join(given, on="id_number", how="left", maintain_order="left")
            .with_columns(pl.when(silent & pl.col("_given").is_not_null()).then(pl.col("_given"))
                          .otherwise(pl.col("leave_reason")).alias("leave_reason"),
                          pl.when(silent & (pl.col("_note").str.strip_chars() != "")).then(pl.col("_note").str.strip_chars())
                          .otherwise(pl.lit(None, dtype=pl.Utf8)).alias("leave_note"))
            .drop("_given", "_note"))
