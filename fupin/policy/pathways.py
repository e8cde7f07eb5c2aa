"""Pathway classification (N个一批 分类): run a scheme over the analytic views, count by region.

A :class:`~fupin.policy.policy_sets.Scheme` classifies households or persons (its ``unit``) into
pathways by their rules. Overlaps follow the scheme: ``all`` — a unit is in every pathway whose rule
holds; ``first`` — in the first pathway (in scheme order) whose rule holds, plus every pathway marked
``overlapping`` whose rule holds (Xianning's 移民安置 "在以上贫困户对象中"). A unit no rule fits is in
no pathway (it shows in the counts as the difference to the registry's total).

:func:`classify` is column work over a whole view (Polars); :func:`classify_one` gives one household's
pathways with reasons for its page, from the same compiled rules. :func:`count_by_region` counts
households and persons per pathway at every region level by the ancestor prefix of ``village_code``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from .policy_sets import Pathway, Scheme
from .regions import LEVEL_NAMES, PREFIX_LENGTH

RESULT_SCHEMA: dict[str, pl.DataType] = {
    "household_id": pl.Int64(), "member_id": pl.Int64(), "pathway_id": pl.String(), "rule_id": pl.String(),
}
TOTAL = "*"


def _assignments(scheme: Scheme) -> list[tuple[Pathway, pl.Expr]]:
    """Each pathway with the boolean expression that puts a unit in it (overlaps applied)."""
    holds = [scheme.compiled(p).to_polars() for p in scheme.pathways]
    if scheme.overlap == "all":
        return list(zip(scheme.pathways, holds, strict=True))
    ordered = [i for i, p in enumerate(scheme.pathways) if not p.overlapping]
    first = pl.coalesce([pl.when(holds[i]).then(pl.lit(i, dtype=pl.Int32)) for i in ordered]) if ordered else None
    out: list[tuple[Pathway, pl.Expr]] = []
    for i, pathway in enumerate(scheme.pathways):
        if pathway.overlapping or first is None:
            out.append((pathway, holds[i]))
        else:
            out.append((pathway, (first == i).fill_null(False)))
    return out


def classify(scheme: Scheme, households: pl.DataFrame, persons: pl.DataFrame) -> pl.DataFrame:
    """One row per (unit, pathway): ``household_id``, ``member_id`` (null for a household scheme),
    ``pathway_id``, ``rule_id`` (``scheme.pathway``). Rows come grouped by pathway in scheme order.

    ``households`` is a household view and ``persons`` a person view (:mod:`fupin.policy.analytic_view`);
    only the one the scheme's unit needs is read.
    """
    if scheme.unit == "person":
        frame = persons
        ids = [pl.col("household_id").cast(pl.Int64), pl.col("member_id").cast(pl.Int64)]
    else:
        frame = households
        ids = [pl.col("household_id").cast(pl.Int64), pl.lit(None, dtype=pl.Int64).alias("member_id")]
    assignments = _assignments(scheme)
    flags = frame.select(*ids, *(expr.alias(f"_p{i}") for i, (_, expr) in enumerate(assignments)))
    parts = [
        flags.filter(pl.col(f"_p{i}")).select(
            "household_id", "member_id",
            pl.lit(pathway.id, dtype=pl.String).alias("pathway_id"),
            pl.lit(scheme.rule_id(pathway), dtype=pl.String).alias("rule_id"),
        )
        for i, (pathway, _) in enumerate(assignments)
    ]
    if not parts:
        return pl.DataFrame(schema=RESULT_SCHEMA)
    return pl.concat(parts, how="vertical")


@dataclass(frozen=True)
class PathwayHit:
    """One pathway of one unit, with the rule that put it there (for a household's page)."""

    pathway_id: str
    rule_id: str
    label_zh: str
    label_en: str
    rule: str
    member_id: int | None = None


def classify_one(scheme: Scheme, household: Mapping[str, object],
                 persons: Sequence[Mapping[str, object]] = ()) -> tuple[PathwayHit, ...]:
    """The pathways of one household (a household-view row) or of its persons (person-view rows),
    evaluated in pure Python with the same rules and overlap as :func:`classify`."""
    units: Iterable[Mapping[str, object]] = [household] if scheme.unit == "household" else persons
    hits: list[PathwayHit] = []
    for unit in units:
        member = unit.get("member_id") if scheme.unit == "person" else None
        member_id = int(member) if isinstance(member, int | float) else None
        taken = False
        for pathway in scheme.pathways:
            if scheme.overlap == "first" and not pathway.overlapping and taken:
                continue
            if scheme.compiled(pathway).evaluate(unit):
                if scheme.overlap == "first" and not pathway.overlapping:
                    taken = True
                hits.append(PathwayHit(pathway.id, scheme.rule_id(pathway), pathway.label_zh, pathway.label_en,
                                       pathway.rule, member_id))
    return tuple(hits)


def count_by_region(scheme: Scheme, classified: pl.DataFrame, households: pl.DataFrame, *,
                    levels: Iterable[int] = (1, 2, 3, 4, 5), with_total: bool = False) -> pl.DataFrame:
    """Counts per pathway at each region level (区划层级 1 省 … 5 村).

    ``classified`` is :func:`classify`'s result; ``households`` gives ``household_id``, ``village_code``
    and (for a household scheme) ``n_members`` — a household view. Columns: ``level``, ``region_code``
    (12 digits, the ancestor of the village at that level), ``pathway_id``, ``n_households`` (distinct
    households), ``n_persons`` (persons classified, or the members of the households classified for a
    household scheme). With ``with_total``, rows with ``pathway_id == "*"`` count the distinct units in
    any pathway (overlaps counted once). Sorted by level, region, pathway order.
    """
    person = scheme.unit == "person"
    wanted = ["household_id", "village_code"] + ([] if person else ["n_members"])
    joined = classified.join(households.select(wanted), on="household_id", how="left")
    n_persons = pl.col("member_id").n_unique() if person else pl.col("n_members").fill_null(0).sum()
    # A household lies in one village, so distinct counts per village add up to distinct counts per region:
    # count once per village, then sum up the levels.
    by_village = joined.group_by("village_code", "pathway_id").agg(
        pl.col("household_id").n_unique().cast(pl.Int64).alias("n_households"), n_persons.cast(pl.Int64).alias("n_persons"),
    )
    if with_total:
        units = joined.unique(subset=["member_id"] if person else ["household_id"])
        total = units.group_by("village_code").agg(
            pl.col("household_id").n_unique().cast(pl.Int64).alias("n_households"),
            n_persons.cast(pl.Int64).alias("n_persons"),
        ).with_columns(pl.lit(TOTAL, dtype=pl.String).alias("pathway_id"))
        by_village = pl.concat([by_village, total.select(by_village.columns)], how="vertical")
    order = {p.id: i for i, p in enumerate(scheme.pathways)} | {TOTAL: len(scheme.pathways)}
    frames: list[pl.DataFrame] = []
    for level in levels:
        if level not in LEVEL_NAMES:
            raise ValueError(f"区划层级应为 1–5 / level must be 1 to 5: {level}")
        region = pl.col("village_code").str.slice(0, PREFIX_LENGTH[level]).str.pad_end(12, "0").alias("region_code")
        frames.append(
            by_village.with_columns(region).group_by("region_code", "pathway_id").agg(
                pl.col("n_households").sum(), pl.col("n_persons").sum(),
            ).with_columns(pl.lit(level, dtype=pl.Int8).alias("level"))
        )
    if not frames:
        return pl.DataFrame(schema={"level": pl.Int8, "region_code": pl.String, "pathway_id": pl.String,
                                    "n_households": pl.Int64, "n_persons": pl.Int64})
    out = pl.concat(frames, how="vertical").select("level", "region_code", "pathway_id", "n_households", "n_persons")
    return (out.with_columns(pl.col("pathway_id").replace_strict(order, default=len(order), return_dtype=pl.Int32)
                             .alias("_order"))
            .sort("level", "region_code", "_order").drop("_order"))


__all__ = ["PathwayHit", "classify", "classify_one", "count_by_region"]
