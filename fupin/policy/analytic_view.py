"""Analytic views (分析视图): the registry as the columns rules are written against. Polars only.

:func:`household_view` gives one row per household (户), :func:`person_view` one row per active member
(人); their columns are exactly :data:`fupin.policy.rules.HOUSEHOLD_COLUMNS` and
:data:`fupin.policy.rules.PERSON_COLUMNS`, in that order and with these dtypes: ``int`` → Int64,
``float`` → Float64, ``bool`` → Boolean, ``str`` → String, ``date`` → Date.

Inputs use the Django model field names of ``fupin.registry.models`` (``households``: ``id``,
``household_number``, ``village_code`` … as :data:`HOUSEHOLD_INPUT_FIELDS`; ``members``: ``id``,
``household_id``, ``id_number``, ``birth_date`` … as :data:`MEMBER_INPUT_FIELDS`). A missing input
column is taken as NULL (a rule on it is then false), so a caller may pass fewer columns; ``id`` and
``household_id`` are required. Only active members count (``status == 'active'``; no ``status`` column
means all are active); households are kept whatever their status (the ``status`` column says).

Decisions where the issue was silent:

- Ages are completed years on ``as_of`` (someone born on 29 February turns a year older on 1 March in
  common years). ``n_under_18`` is ``age < 18``; ``n_over_60`` is ``age >= 60`` (60岁及以上).
- Derived flags (``has_labour``, ``lost_labour``, …) are false when the code they read is missing.
- ``matches`` (数据比对 hits: ``id_number``, ``kind``) mark the member with that ID number; kinds outside
  :data:`fupin.policy.rules.MATCH_KINDS` are ignored. ID numbers are compared upper-cased and trimmed.
- ``poverty_line`` is one amount for every household, or a mapping 识别标准 → amount applied by each
  household's ``identification_standard`` (a standard missing from the mapping gives NULL).
- With ``income_settings`` the views recompute ``income_net`` and ``income_per_capita`` with the
  transfers the policy counts, over the active members (rounded to 0.01 yuan); without it the stored
  figures are used.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import polars as pl

from .income import TRANSFER_LINES, IncomeSettings
from .rules.columns import CAUSE_FLAGS, HOUSEHOLD_COLUMNS, MATCH_KINDS, PERSON_COLUMNS, PERSON_HOUSEHOLD_FIELDS

ACTIVE = "active"

_DTYPES: dict[str, Any] = {"int": pl.Int64, "float": pl.Float64, "bool": pl.Boolean, "str": pl.String,
                           "date": pl.Date}

#: Household view columns computed here rather than read.
_HOUSEHOLD_DERIVED = frozenset({"household_id", "category_group", "poverty_line",
                                *(name for name, *_ in CAUSE_FLAGS)})
_AGGREGATES = ("n_members", "n_labour", "n_under_18", "n_over_60", "n_lost_labour", "n_ill", "n_disabled",
               "n_students", "n_migrant", "n_away_12m", "any_dibao", "any_tekun",
               *(hh for hh, _ in MATCH_KINDS.values()))

#: Household fields read (model field names) with their dtypes.
HOUSEHOLD_INPUT: dict[str, Any] = {
    "id": pl.Int64,
    **{name: _DTYPES[c.kind] for name, c in HOUSEHOLD_COLUMNS.items()
       if name not in _HOUSEHOLD_DERIVED and name not in _AGGREGATES},
}
HOUSEHOLD_INPUT_FIELDS: tuple[str, ...] = tuple(HOUSEHOLD_INPUT)

#: Member fields read (model field names) with their dtypes.
MEMBER_INPUT: dict[str, Any] = {
    "id": pl.Int64, "household_id": pl.Int64, "id_number": pl.String, "birth_date": pl.Date, "sex": pl.String,
    "relation": pl.String, "education": pl.String, "schooling": pl.String, "health": pl.String,
    "labour_skill": pl.String, "migrant_work": pl.String, "migrant_months": pl.Int64,
    "is_active_soldier": pl.Boolean, "is_dibao": pl.Boolean, "is_tekun": pl.Boolean, "status": pl.String,
}
MEMBER_INPUT_FIELDS: tuple[str, ...] = tuple(MEMBER_INPUT)

MATCHES_SCHEMA: dict[str, Any] = {"id_number": pl.String, "kind": pl.String}

_STUDENT_CODES = [str(i) for i in range(2, 17)]


def _conform(frame: pl.DataFrame, schema: Mapping[str, Any], required: tuple[str, ...]) -> pl.DataFrame:
    """``frame`` with exactly the columns of ``schema``, cast; missing ones are NULL (an empty frame may
    lack even the required ones)."""
    missing = [name for name in required if name not in frame.columns]
    if missing and frame.height > 0:
        raise ValueError(f"缺少必需列 missing required columns: {', '.join(missing)}")
    exprs: list[pl.Expr] = []
    for name, dtype in schema.items():
        if name not in frame.columns:
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
        elif dtype == pl.Date and frame.schema[name] == pl.String:
            exprs.append(pl.col(name).str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False).alias(name))
        elif dtype == pl.Date and frame.schema[name] == pl.Datetime:
            exprs.append(pl.col(name).dt.date().alias(name))
        else:
            exprs.append(pl.col(name).cast(dtype, strict=False).alias(name))
    return frame.select(exprs)


def _age(as_of: date) -> pl.Expr:
    birth = pl.col("birth_date")
    not_yet = (birth.dt.month().cast(pl.Int32) * 100 + birth.dt.day().cast(pl.Int32)) > (as_of.month * 100 + as_of.day)
    return (pl.lit(as_of.year, dtype=pl.Int64) - birth.dt.year().cast(pl.Int64) - not_yet.cast(pl.Int64)).alias("age")


def _flag(expr: pl.Expr, name: str) -> pl.Expr:
    return expr.fill_null(False).alias(name)


def _prepared_members(members: pl.DataFrame, as_of: date, matches: pl.DataFrame | None) -> pl.DataFrame:
    """Active members with age, derived flags and match flags (person-level columns)."""
    m = _conform(members, MEMBER_INPUT, ("household_id",))
    m = m.filter(pl.col("status").fill_null(ACTIVE) == ACTIVE)
    labour, health = pl.col("labour_skill"), pl.col("health")
    m = m.with_columns(
        _age(as_of),
        _flag(labour.is_in(["1", "2"]), "has_labour"),
        _flag(labour.is_in(["3", "4"]) & health.is_in(["2", "3", "4"]), "lost_labour"),
        _flag(health.is_in(["2", "3"]), "is_ill"),
        _flag(health == "4", "is_disabled"),
        _flag(pl.col("schooling").is_in(_STUDENT_CODES), "is_student"),
        _flag((pl.col("migrant_work").fill_null("") != "") | (pl.col("migrant_months").fill_null(0) > 0),
              "is_migrant"),
        _flag(pl.col("migrant_months") >= 12, "away_12m"),
        pl.col("is_dibao").fill_null(False),
        pl.col("is_tekun").fill_null(False),
    )
    person_flags = [person for _, person in MATCH_KINDS.values()]
    if matches is None or matches.height == 0:
        return m.with_columns(pl.lit(False).alias(name) for name in person_flags)
    hits = _conform(matches, MATCHES_SCHEMA, ("id_number", "kind")).with_columns(
        pl.col("id_number").str.strip_chars().str.to_uppercase()
    )
    flags = hits.group_by("id_number").agg((pl.col("kind") == kind).any().alias(person)
                                           for kind, (_, person) in MATCH_KINDS.items())
    m = m.with_columns(pl.col("id_number").str.strip_chars().str.to_uppercase().alias("_id_key"))
    m = m.join(flags.rename({"id_number": "_id_key"}), on="_id_key", how="left").drop("_id_key")
    return m.with_columns(pl.col(name).fill_null(False) for name in person_flags)


def _household_base(households: pl.DataFrame, m: pl.DataFrame, income_settings: IncomeSettings | None
                    ) -> pl.DataFrame:
    """Household fields, member aggregates and derived columns (everything but ``poverty_line``)."""
    h = _conform(households, HOUSEHOLD_INPUT, ("id",)).rename({"id": "household_id"})
    aggregates = m.group_by("household_id").agg(
        pl.len().cast(pl.Int64).alias("n_members"),
        pl.col("has_labour").sum().cast(pl.Int64).alias("n_labour"),
        (pl.col("age") < 18).sum().cast(pl.Int64).alias("n_under_18"),
        (pl.col("age") >= 60).sum().cast(pl.Int64).alias("n_over_60"),
        pl.col("lost_labour").sum().cast(pl.Int64).alias("n_lost_labour"),
        pl.col("is_ill").sum().cast(pl.Int64).alias("n_ill"),
        pl.col("is_disabled").sum().cast(pl.Int64).alias("n_disabled"),
        pl.col("is_student").sum().cast(pl.Int64).alias("n_students"),
        pl.col("is_migrant").sum().cast(pl.Int64).alias("n_migrant"),
        pl.col("away_12m").sum().cast(pl.Int64).alias("n_away_12m"),
        pl.col("is_dibao").any().alias("any_dibao"),
        pl.col("is_tekun").any().alias("any_tekun"),
        *(pl.col(person).any().alias(hh) for hh, person in MATCH_KINDS.values()),
    )
    h = h.join(aggregates, on="household_id", how="left").with_columns(
        *(pl.col(name).fill_null(0) for name in _AGGREGATES if name.startswith("n_")),
        *(pl.col(name).fill_null(False) for name in _AGGREGATES if name.startswith("any_")),
    )
    causes = [pl.col("main_cause"), pl.col("other_cause_1"), pl.col("other_cause_2")]
    h = h.with_columns(
        _flag(pl.any_horizontal(c == code for c in causes), name) for name, code, *_ in CAUSE_FLAGS
    )
    h = h.with_columns(_category_group().alias("category_group"))
    if income_settings is not None:
        transfers = [pl.col(name).fill_null(0.0) for name in TRANSFER_LINES
                     if name in income_settings.counted_transfers]
        net = (pl.col("income_wage").fill_null(0.0) + pl.col("income_business").fill_null(0.0)
               + pl.col("income_property").fill_null(0.0) + pl.sum_horizontal(transfers or [pl.lit(0.0)])
               - pl.col("business_expense").fill_null(0.0))
        h = h.with_columns(net.alias("income_net")).with_columns(
            pl.when(pl.col("n_members") > 0)
            .then((pl.col("income_net") / pl.col("n_members")).round(2, mode="half_away_from_zero"))
            .otherwise(None).alias("income_per_capita")
        )
    return h


def _category_group() -> pl.Expr:
    """户类别 from 贫困户属性 and its form version (see the column's description)."""
    cat, v2014 = pl.col("category"), pl.col("category_form_version") == "2014"
    labour = pl.col("n_labour") > 0
    return (
        pl.when(v2014 & (cat == "1")).then(pl.lit("general"))
        .when(v2014 & (cat == "2")).then(pl.lit("dibao_poor"))
        .when(v2014 & (cat == "3")).then(pl.lit("dibao"))
        .when(v2014 & (cat == "4")).then(pl.lit("wubao"))
        .when(~v2014.fill_null(False) & (cat == "1")).then(pl.lit("general"))
        .when(~v2014.fill_null(False) & (cat == "2") & labour).then(pl.lit("dibao_poor"))
        .when(~v2014.fill_null(False) & (cat == "2")).then(pl.lit("dibao"))
        .when(~v2014.fill_null(False) & (cat == "3")).then(pl.lit("wubao"))
        .when(pl.col("any_tekun")).then(pl.lit("wubao"))
        .when(pl.col("any_dibao") & labour).then(pl.lit("dibao_poor"))
        .when(pl.col("any_dibao")).then(pl.lit("dibao"))
        .otherwise(pl.lit("general"))
    )


def _poverty_line(poverty_line: float | Mapping[str, float]) -> pl.Expr:
    if isinstance(poverty_line, Mapping):
        mapping = {str(k): float(v) for k, v in poverty_line.items()}
        return pl.col("identification_standard").replace_strict(
            mapping, default=None, return_dtype=pl.Float64
        ).alias("poverty_line")
    return pl.lit(float(poverty_line), dtype=pl.Float64).alias("poverty_line")


def _select(frame: pl.DataFrame, catalogue: Mapping[str, Any]) -> pl.DataFrame:
    return frame.select(pl.col(name).cast(_DTYPES[c.kind]) for name, c in catalogue.items())


def household_view(households: pl.DataFrame, members: pl.DataFrame, *, as_of: date,
                   poverty_line: float | Mapping[str, float], matches: pl.DataFrame | None = None,
                   income_settings: IncomeSettings | None = None) -> pl.DataFrame:
    """户分析视图: one row per household, the columns of ``HOUSEHOLD_COLUMNS`` (see the module doc)."""
    m = _prepared_members(members, as_of, matches)
    h = _household_base(households, m, income_settings).with_columns(_poverty_line(poverty_line))
    return _select(h, HOUSEHOLD_COLUMNS)


def person_view(households: pl.DataFrame, members: pl.DataFrame, *, as_of: date,
                matches: pl.DataFrame | None = None, income_settings: IncomeSettings | None = None
                ) -> pl.DataFrame:
    """人分析视图: one row per active member of the given households, the columns of ``PERSON_COLUMNS``.

    Members whose household is not in ``households`` are left out.
    """
    m = _prepared_members(members, as_of, matches)
    h = _household_base(households, m, income_settings).select("household_id", *PERSON_HOUSEHOLD_FIELDS)
    p = m.rename({"id": "member_id"}).join(h, on="household_id", how="inner")
    return _select(p, PERSON_COLUMNS)


__all__ = ["HOUSEHOLD_INPUT_FIELDS", "MATCHES_SCHEMA", "MEMBER_INPUT_FIELDS", "household_view", "person_view"]
