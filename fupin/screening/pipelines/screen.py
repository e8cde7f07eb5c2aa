"""The screening join (数据比对): registry members × department records on the ID number, in Polars.

Pure frames in, frames out (no database): :mod:`fupin.screening.services` reads the frames
(:mod:`fupin.screening.frames`) and writes the hits; ``bench/screen.py`` times this module alone.

- **Key.** Two numbers name the same person when their first 17 characters agree: a record's number
  is the 18-character resident ID (its check character follows from the first 17), and a member
  registered with a 20-digit disability certificate number (残疾人证号) carries that ID in front. The
  key is those 17 digits as an ``Int64`` (a hash join on integers, not on strings); a number that is
  not 17 digits there gets a null key and matches nothing.
- **Matches.** Every (member, record) pair with equal keys — a person with two cars has two hits.
- **New hits.** Matches whose (member, record) already has a hit in any status are dropped (an anti
  join): a re-run raises neither an open hit again nor one a township officer already decided.
- **Region codes.** The household's ancestors are cut from its village code (2/4/6/9 digits padded).
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

MATCH_SCHEMA = {"member_id": pl.Int64, "household_id": pl.Int64, "village_code": pl.Utf8, "record_id": pl.Int64,
                "list_id": pl.Int64, "kind": pl.Utf8}


def id_key(column: str = "id_number") -> pl.Expr:
    """The person key of an ID number: its first 17 digits as Int64 (null when they are not digits)."""
    return pl.col(column).str.slice(0, 17).cast(pl.Int64, strict=False).alias("_key")


def match(members: pl.DataFrame, records: pl.DataFrame, list_kinds: Mapping[int, str]) -> pl.DataFrame:
    """Every (member, record) pair of one person. ``members``: member_id, household_id, id_number,
    village_code; ``records``: record_id, list_id, id_number; ``list_kinds``: list id → kind.
    Returns :data:`MATCH_SCHEMA` columns."""
    if members.height == 0 or records.height == 0:
        return pl.DataFrame(schema=MATCH_SCHEMA)
    people = members.select(id_key(), "member_id", "household_id", "village_code").filter(pl.col("_key").is_not_null())
    found = records.lazy().select(id_key(), "record_id", "list_id").join(
        people.lazy(), on="_key", how="inner").collect()
    ids = list(list_kinds)
    return found.select(
        "member_id", "household_id", "village_code", "record_id", "list_id",
        pl.col("list_id").replace_strict(ids, [list_kinds[i] for i in ids], return_dtype=pl.Utf8).alias("kind"),
    ).cast(MATCH_SCHEMA)


def new_hits(matches: pl.DataFrame, known: pl.DataFrame) -> pl.DataFrame:
    """``matches`` without the (member_id, record_id) pairs in ``known``."""
    if known.height == 0 or matches.height == 0:
        return matches
    return matches.join(known.select("member_id", "record_id"), on=["member_id", "record_id"], how="anti")


def hit_rows(hits: pl.DataFrame, *, run_id: int, rules: Mapping[str, str], status: str = "open") -> pl.DataFrame:
    """The rows of :class:`fupin.screening.models.ScreeningHit` for ``hits`` (columns by attname)."""
    kinds = list(rules)
    village = pl.col("village_code")
    return hits.select(
        pl.lit(run_id, pl.Int64).alias("run_id"),
        "kind",
        pl.col("kind").replace_strict(kinds, [rules[k] for k in kinds], default="", return_dtype=pl.Utf8)
        .alias("rule_id"),
        "member_id", "household_id", "record_id",
        (village.str.slice(0, 2) + pl.lit("0" * 10)).alias("province_code"),
        (village.str.slice(0, 4) + pl.lit("0" * 8)).alias("city_code"),
        (village.str.slice(0, 6) + pl.lit("0" * 6)).alias("county_code"),
        (village.str.slice(0, 9) + pl.lit("0" * 3)).alias("township_code"),
        village,
        pl.lit(status).alias("status"),
    )


def counts_by_kind(matches: pl.DataFrame, new: pl.DataFrame) -> dict[str, dict[str, int]]:
    """``{kind: {"matched": n, "new": n}}`` for the kinds that matched."""
    out: dict[str, dict[str, int]] = {}
    for kind, n in matches.group_by("kind").len().iter_rows():
        out.setdefault(kind, {"matched": 0, "new": 0})["matched"] = n
    for kind, n in new.group_by("kind").len().iter_rows():
        out.setdefault(kind, {"matched": 0, "new": 0})["new"] = n
    return out
