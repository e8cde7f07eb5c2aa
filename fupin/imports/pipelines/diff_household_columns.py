"""Compare a list of households with the registry, updating only their own columns (只更新户信息).

The third import mode (:class:`fupin.imports.choices.ImportMode`). A county's yearly income check
(收入核查) and its housing and water surveys are kept one row per household: the 户花名册 export, filled
in by the villages and taken back. Imported as whole households, a person roster would need every
member's row, each repeating the household's columns; here a file of one row per household (a person
roster works too, its rows of a household agreeing) updates those households' columns and nothing
else. Pure Polars column work, no database access.

Decisions (docs and tests follow them):

- **What is read.** The household columns of the roster (自然村(组), 联系电话, bank, 识别标准, 贫困户属性,
  致贫原因, 脱贫属性 and the years, 危房户, water, electricity, toilet, fuel, road, land, housing and
  the income lines), matched by 户编号. The household roster's own columns (户主姓名, 户主证件号码, 家庭人口)
  and any person column are not read: members, head and size stay the registry's. A household column
  the file does not have keeps the registry's value; one it has replaces it, an empty cell included.
- **Incomes.** 家庭纯收入 and 年人均纯收入 are computed again from the income lines as they will stand
  and the registered household size (the rule of :mod:`fupin.policy.income`); a 年人均纯收入 the file
  gives must agree within 1 yuan, or the household is rejected naming the expected figure.
- **Who may be listed.** A registered, active household in a village the importer may write to, not
  held back at review; when the file has location columns, in the same village (no move). Anyone
  else's rows are rejected, with the reason.
- **Checks across columns** the file does not fully have (计划脱贫年度 against 识别年度, 有效灌溉面积 against
  耕地面积, 其他致贫原因 against 主要致贫原因) are made here on the values as they will stand.
- The outcome is a :class:`.diff_roster.RosterDiff`: households ``changed`` or ``unchanged``, nobody
  added, changed or leaving. Its ``members`` are the registered members of the accepted households,
  all unchanged, so that the registry fingerprint at review and at merge covers those households.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from fupin.imports import roster
from fupin.registry.models import Household

from .diff_roster import (
    HOUSEHOLD_COMPARED,
    HOUSEHOLD_DERIVED_COMPARED,
    LEAVING_SCHEMA_EXTRA,
    MEMBER_COMPARED,
    NOT_IMPORTABLE,
    REJECTION_SCHEMA,
    RosterDiff,
    _key,
    _text,
    by_village,
    canonical,
    empty_rejections,
    with_income,
)
from .validate_roster import (
    HELD_AT_REVIEW,
    IRRIGATED_OVER_ARABLE,
    OTHER_CAUSE_REPEATS,
    PLANNED_BEFORE_IDENTIFIED,
    header,
)

NOT_REGISTERED = ("户编号不在登记库中;只更新户信息时不新增户,请以整户导入 / the household number is not in the registry; "
                  "updating household columns adds no household (import whole households)")
OUTSIDE = "户编号已被您无权修改的户使用 / the household number belongs to a household outside your region"
_HH_COLS = (*HOUSEHOLD_COMPARED, *HOUSEHOLD_DERIVED_COMPARED)


def _column(field: str) -> str:
    """The roster column a household field is read from: 其他致贫原因 fills two fields, and 贫困户属性 decides
    its form version when 属性版本 is not given (normalise_roster), so the version comes with it."""
    if field in ("other_cause_1", "other_cause_2"):
        return "other_causes"
    return field


def diff_household_columns(
    valid: pl.DataFrame, *, registry_households: pl.DataFrame, registry_members: pl.DataFrame,
    allowed_villages: Iterable[str], present: Iterable[str], prior_rejections: pl.DataFrame | None = None,
    village_names: dict[str, str] | None = None, held_villages: Iterable[str] = (),
) -> RosterDiff:
    """Diff the accepted rows of a household list against the registry frames (those of
    :func:`.diff_roster.diff_roster`); ``present``: the fields the file has columns for."""
    present = frozenset(present)
    allowed = pl.Series("code", list(allowed_villages), dtype=pl.Utf8)
    held = pl.Series("code", sorted(set(held_villages)), dtype=pl.Utf8)
    prior = prior_rejections if prior_rejections is not None else empty_rejections()
    given = [c for c in HOUSEHOLD_COMPARED if c in valid.columns and (
        _column(c) in present or (c == "category_form_version" and "category" in present))]

    rows = valid.select("_row", pl.col("household_number").cast(pl.Utf8), pl.col("village_code").cast(pl.Utf8))
    first = valid.filter(pl.col("household_number").is_first_distinct())
    stated_given = (pl.col("raw:income_per_capita_check").str.strip_chars().fill_null("") != ""
                    if "raw:income_per_capita_check" in first.columns else pl.lit(False))
    stated = (pl.col("income_per_capita_check").cast(pl.Float64, strict=False)
              if "income_per_capita_check" in first.columns else pl.lit(None, pl.Float64))
    file_h = first.select(
        pl.col("_row").alias("_first_row"), pl.col("household_number").cast(pl.Utf8),
        pl.col("village_code").cast(pl.Utf8).alias("_file_village"),
        *[canonical(pl.col(c), Household, c, valid.schema[c]).alias(f"_new_{c}") for c in given],
        stated_given.alias("_stated_given"), stated.alias("_stated"),
    )
    reg = registry_households.select(
        pl.col("household_number").cast(pl.Utf8), pl.col("id").alias("hh_id"), pl.col("version").alias("hh_version"),
        pl.col("status").alias("_reg_status"), *[pl.col(c).alias(f"_old_{c}") for c in _HH_COLS])
    hh = file_h.join(reg, on="household_number", how="left", maintain_order="left").with_columns(
        *[(pl.col(f"_new_{c}") if c in given else pl.col(f"_old_{c}")).alias(c) for c in HOUSEHOLD_COMPARED],
        *[pl.col(f"_old_{c}").alias(c) for c in HOUSEHOLD_DERIVED_COMPARED],
    )
    hh = with_income(hh.lazy()).collect()  # net and per capita again, over the registered size

    reg_village = pl.col("_old_village_code")
    year = lambda c: pl.col(c).cast(pl.Int64, strict=False)  # noqa: E731
    mu = lambda c: pl.col(c).cast(pl.Float64, strict=False)  # noqa: E731
    main, computed = pl.col("main_cause"), pl.col("income_per_capita").cast(pl.Float64, strict=False)
    wrong_income = pl.col("_stated_given") & ((pl.col("_stated") - computed).abs() > 1)
    cases: list[tuple[pl.Expr, str, pl.Expr, pl.Expr]] = [  # (fails, column, value, reason), first wins
        (pl.col("hh_id").is_null(), header("household_number"), pl.col("household_number"), pl.lit(NOT_REGISTERED)),
        (pl.col("_reg_status") != "active", header("household_number"), pl.col("household_number"),
         pl.col("_reg_status").replace_strict(list(NOT_IMPORTABLE), list(NOT_IMPORTABLE.values()),
                                              default=NOT_IMPORTABLE["left"], return_dtype=pl.Utf8)),
        (~reg_village.is_in(allowed.implode()), header("household_number"), pl.col("household_number"),
         pl.lit(OUTSIDE)),
        (reg_village.is_in(held.implode()), "行政区划代码", reg_village, pl.lit(HELD_AT_REVIEW)),
        (pl.col("_file_village").is_not_null() & (pl.col("_file_village") != reg_village), "行政区划代码",
         pl.col("_file_village"),
         _text("行政村与登记不符(登记在", reg_village, ");只更新户信息时不迁移户,请以整户导入 / the village differs from the "
               "registry's (", reg_village, "); updating household columns moves no household")),
        (year("planned_exit_year") < year("identification_year"), header("planned_exit_year"),
         pl.col("planned_exit_year"), pl.lit(PLANNED_BEFORE_IDENTIFIED)),
        (mu("irrigated_mu") > mu("arable_mu"), header("irrigated_mu"), pl.col("irrigated_mu"),
         pl.lit(IRRIGATED_OVER_ARABLE)),
        ((main != "") & ((main == pl.col("other_cause_1")) | (main == pl.col("other_cause_2"))),
         header("other_cause_1"), pl.concat_str([pl.col("other_cause_1"), pl.col("other_cause_2")], separator=","),
         pl.lit(OTHER_CAUSE_REPEATS)),
        (wrong_income, roster.BY_FIELD["income_per_capita_check"].header, pl.col("_stated").cast(pl.Utf8),
         _text("年人均纯收入与各项收入不符(按", pl.col("size"), "人计算应为", pl.col("income_per_capita"),
               ") / per-capita income disagrees with the income lines (expected ", pl.col("income_per_capita"),
               " for ", pl.col("size"), " persons)")),
    ]
    reason, column, value = pl.lit(None, pl.Utf8), pl.lit(None, pl.Utf8), pl.lit(None, pl.Utf8)
    for fails, name, shown, why in reversed(cases):
        hit = fails.fill_null(False)
        reason = pl.when(hit).then(why).otherwise(reason)
        column = pl.when(hit).then(pl.lit(name)).otherwise(column)
        value = pl.when(hit).then(shown.cast(pl.Utf8)).otherwise(value)
    hh = hh.with_columns(reason.alias("_reason"), column.alias("_column"), value.alias("_value"))
    bad = hh.filter(pl.col("_reason").is_not_null())
    mine = empty_rejections()
    if bad.height:  # every row of a rejected household, each with the household's reason
        mine = rows.join(bad.select("household_number", "_column", "_value", "_reason",
                                    pl.coalesce(reg_village, pl.col("_file_village")).alias("_village")),
                         on="household_number", how="inner").select(
            pl.col("_row").cast(pl.Int64), pl.col("_column").alias("column"), pl.col("_value").alias("value"),
            pl.col("_reason").alias("reason"), "household_number",
            pl.coalesce(pl.col("_village"), pl.col("village_code")).alias("village_code"),
        ).cast(REJECTION_SCHEMA).sort("_row")  # type: ignore[arg-type]
    hh = hh.filter(pl.col("_reason").is_null())
    hh = hh.with_columns((_key(_HH_COLS) != _key([f"_old_{c}" for c in _HH_COLS])).alias("own_changed"))
    fh = hh.with_columns(pl.when(pl.col("own_changed")).then(pl.lit("changed")).otherwise(pl.lit("unchanged"))
                         .alias("state")).select(
        "household_number", "_first_row", "size", "head_name", "village_code",
        *[c for c in _HH_COLS if c not in ("size", "head_name", "village_code")],
        "hh_id", "hh_version", "own_changed", "state")

    members = registry_members.join(fh.select("household_number", "_first_row", "village_code", "hh_id",
                                              pl.col("state").alias("hh_state")),
                                    on="household_number", how="inner").select(
        pl.col("_first_row").alias("_row"), pl.col("household_number").cast(pl.Utf8), "village_code",
        *MEMBER_COMPARED, pl.col("id").alias("m_id"), pl.col("version").alias("m_version"), "hh_id",
        pl.lit("unchanged").alias("state"), "hh_state")
    leaving = registry_members.clear().with_columns(
        pl.lit(None, dtype=t).alias(c) for c, t in LEAVING_SCHEMA_EXTRA.items())
    accepted_rows = rows.join(fh.select("household_number"), on="household_number", how="semi").height
    counts = {
        "households_new": 0,
        "households_changed": fh.filter(pl.col("state") == "changed").height,
        "households_unchanged": fh.filter(pl.col("state") == "unchanged").height,
        "persons_new": 0, "persons_changed": 0, "persons_unchanged": 0, "persons_left": 0, "persons_moved": 0,
        "rows_imported": accepted_rows,
        "rows_rejected_extra": mine["_row"].n_unique(),
    }
    return RosterDiff(
        households=fh, members=members, leaving=leaving, rejections=mine,
        old_households=registry_households.filter(pl.col("id").is_in(
            fh.filter(pl.col("own_changed"))["hh_id"].implode())),
        old_members=registry_members.clear(),
        counts=counts, by_village=by_village(fh, members.clear(), pl.concat([prior.select(list(REJECTION_SCHEMA)).cast(
            REJECTION_SCHEMA), mine]), village_names or {}, leaving=leaving),
    )


__all__ = ["diff_household_columns"]
