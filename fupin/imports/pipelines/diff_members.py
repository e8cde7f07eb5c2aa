"""Compare a list of persons with the registry, updating only the persons listed (只更新所列成员).

The other way a roster file can be imported (:class:`fupin.imports.choices.ImportMode`). A county
hands out lists of some members — 在校生 for 雨露计划, 劳动力 for 就业帮扶, made by the export's 人员筛选 —
and takes them back corrected. Imported as whole households (:mod:`.diff_roster`) such a list would
make every member it does not name leave; here it updates the persons it names and nothing else.
Pure Polars column work, no database access.

Decisions (docs and tests follow them):

- **What is read.** The member columns only (姓名, 与户主关系, 民族, 文化程度, 在校生状况, 健康状况, 劳动
  技能, 务工状况, 务工时间 and the insurance and benefit columns), matched by 户编号 + 证件号码. Household
  columns in the file are not read and not checked (size, head, incomes, 年人均纯收入 stay the
  registry's). A member column the file does not have keeps the registry's value; a column it has
  replaces it, an empty cell included (as in a whole-household import).
- **Who may be listed.** A person who is an active member of the registered, active household the
  row names, in a village the importer may write to. Anyone else is rejected, the row alone: a
  person not registered in that household (no one is added or moved: "请以整户导入"), a 户编号 not in
  the registry or not active, a village outside the importer's region or held back at review, and
  — when the file has location columns — a village other than the household's (no move either).
- **Head.** A change of 与户主关系 to or from 户主 is rejected (the household's head would change;
  that is a whole-household import). A head's new 姓名 is the household's new head name, so that
  household changes too (its audit row says so).
- **Rows stand alone.** A rejected row does not hold back the other rows of its household: nothing
  is computed over a household's rows.
- **Nobody leaves.** The diff's ``leaving`` is always empty; households the file names are
  ``changed`` when one of their listed members (or the head name) changes, else ``unchanged``.

The outcome is a :class:`.diff_roster.RosterDiff`, so review, change list and merge are the same.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from fupin.policy.codes import HEAD_RELATION

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
    empty_rejections,
    file_members,
)
from .validate_roster import HELD_AT_REVIEW

NOT_REGISTERED = ("户编号不在登记库中;只更新所列成员时不新增户,请以整户导入 / the household number is not in the "
                  "registry; updating listed persons adds no household (import whole households)")
OUTSIDE = "户编号已被您无权修改的户使用 / the household number belongs to a household outside your region"
HEAD_CHANGE = ("户主变更须以整户导入 / a change of head needs a whole-household import")
MONTHS_WITHOUT_WORK = "填写了务工时间但未填务工状况 / months given without migrant work"


def _not_member(registered_in: pl.Expr) -> pl.Expr:
    return (pl.when(registered_in.is_not_null())
            .then(_text("该人登记在户编号 ", registered_in, ",不是本户在册成员;只更新所列成员时不新增、不迁移成员,请以整户导入 / "
                        "registered in household ", registered_in, ", not in this one; updating listed persons "
                        "neither adds nor moves anyone (import whole households)"))
            .otherwise(pl.lit("该人不是本户在册成员;只更新所列成员时不新增、不迁移成员,请以整户导入 / not an active member "
                              "of this household; updating listed persons neither adds nor moves anyone (import "
                              "whole households)")))


def diff_members(
    valid: pl.DataFrame, *, registry_households: pl.DataFrame, registry_members: pl.DataFrame,
    active_members: pl.DataFrame, allowed_villages: Iterable[str], present: Iterable[str],
    prior_rejections: pl.DataFrame | None = None, village_names: dict[str, str] | None = None,
    held_villages: Iterable[str] = (),
) -> RosterDiff:
    """Diff the accepted rows of a persons list against the registry frames (those of
    :func:`.diff_roster.diff_roster`); ``present``: the fields the file has columns for;
    ``held_villages``: villages held back at review (their rows rejected here too, for a file
    without location columns)."""
    present = frozenset(present)
    allowed = pl.Series("code", list(allowed_villages), dtype=pl.Utf8)
    held = pl.Series("code", sorted(set(held_villages)), dtype=pl.Utf8)
    prior = prior_rejections if prior_rejections is not None else empty_rejections()
    own = [c for c in MEMBER_COMPARED if c != "id_number"]
    absent = [c for c in own if c not in present]

    reg_h = registry_households.select(
        pl.col("household_number").cast(pl.Utf8), pl.col("id").alias("hh_id"), pl.col("version").alias("hh_version"),
        pl.col("status").alias("_reg_status"), pl.col("village_code").cast(pl.Utf8).alias("_reg_village"))
    old_m = registry_members.select(
        pl.col("household_number").cast(pl.Utf8), pl.col("id_number").cast(pl.Utf8), pl.col("id").alias("m_id"),
        pl.col("version").alias("m_version"), *[pl.col(c).alias(f"_old_{c}") for c in own])
    holders = active_members.select(pl.col("id_number").cast(pl.Utf8),
                                    pl.col("household_number").cast(pl.Utf8).alias("_holder"))
    fm = (file_members(valid)
          .join(reg_h, on="household_number", how="left", maintain_order="left")
          .join(old_m, on=["household_number", "id_number"], how="left", maintain_order="left")
          .join(holders.unique("id_number"), on="id_number", how="left", maintain_order="left"))
    # Columns the file lacks keep the registry's values (a row rejected below may have none).
    # A file without location columns has no villages (validate_roster): the registry's are taken.
    fm = fm.with_columns(*[pl.col(f"_old_{c}").alias(c) for c in absent],
                         pl.coalesce(pl.col("village_code"), pl.col("_reg_village")).alias("village_code"))

    relation, old_relation = pl.col("relation"), pl.col("_old_relation")
    months = pl.col("migrant_months").cast(pl.Int64, strict=False)
    reason = (
        pl.when(pl.col("hh_id").is_null()).then(pl.lit(NOT_REGISTERED))
        .when(pl.col("_reg_status") != "active").then(pl.col("_reg_status").replace_strict(
            list(NOT_IMPORTABLE), list(NOT_IMPORTABLE.values()), default=NOT_IMPORTABLE["left"],
            return_dtype=pl.Utf8))
        .when(~pl.col("_reg_village").is_in(allowed.implode())).then(pl.lit(OUTSIDE))
        .when(pl.col("_reg_village").is_in(held.implode())).then(pl.lit(HELD_AT_REVIEW))
        .when(pl.col("village_code") != pl.col("_reg_village")).then(_text(
            "行政村与登记不符(登记在", pl.col("_reg_village"), ");只更新所列成员时不迁移户,请以整户导入 / the village differs "
            "from the registry's (", pl.col("_reg_village"), "); updating listed persons moves no household"))
        .when(pl.col("m_id").is_null()).then(_not_member(pl.col("_holder")))
        .when((relation == HEAD_RELATION) != (old_relation == HEAD_RELATION)).then(pl.lit(HEAD_CHANGE))
        .when((months > 0) & (pl.col("migrant_work") == "")).then(pl.lit(MONTHS_WITHOUT_WORK))
    )
    column = (
        pl.when(pl.col("hh_id").is_null() | (pl.col("_reg_status") != "active")).then(pl.lit("户编号"))
        .when(~pl.col("_reg_village").is_in(allowed.implode())).then(pl.lit("户编号"))
        .when(pl.col("_reg_village").is_in(held.implode()) | (pl.col("village_code") != pl.col("_reg_village")))
        .then(pl.lit("行政区划代码"))
        .when(pl.col("m_id").is_null()).then(pl.lit("证件号码"))
        .when((relation == HEAD_RELATION) != (old_relation == HEAD_RELATION)).then(pl.lit("与户主关系"))
        .otherwise(pl.lit("务工状况"))
    )
    value = (pl.when(column == "户编号").then(pl.col("household_number"))
             .when(column == "行政区划代码").then(pl.col("village_code"))
             .when(column == "证件号码").then(pl.col("id_number"))
             .when(column == "与户主关系").then(relation)
             .otherwise(pl.col("migrant_work")))
    fm = fm.with_columns(reason.alias("_reason"))
    bad = fm.filter(pl.col("_reason").is_not_null())
    mine = pl.DataFrame(schema=REJECTION_SCHEMA) if bad.height == 0 else bad.select(
        pl.col("_row").cast(pl.Int64), column.alias("column"), value.cast(pl.Utf8).alias("value"),
        pl.col("_reason").alias("reason"), pl.col("household_number"),
        pl.coalesce(pl.col("_reg_village"), pl.col("village_code")).alias("village_code"))
    fm = fm.filter(pl.col("_reason").is_null())

    changed = _key(own) != _key([f"_old_{c}" for c in own])
    fm = fm.with_columns(pl.when(changed).then(pl.lit("changed")).otherwise(pl.lit("unchanged")).alias("state"))

    # Households: the registry's values, but for the head name of a head whose 姓名 the file changes.
    hh_cols = [*HOUSEHOLD_COMPARED, *HOUSEHOLD_DERIVED_COMPARED]
    listed = fm.group_by("household_number").agg(
        pl.col("_row").min().alias("_first_row"),
        (pl.col("state") == "changed").any().alias("_touched"),
        pl.col("name").filter(pl.col("relation") == HEAD_RELATION).first().alias("_new_head"),
    )
    old_h = registry_households.filter(pl.col("household_number").is_in(listed["household_number"].implode()))
    fh = (listed.join(old_h.select("household_number", pl.col("id").alias("hh_id"),
                                   pl.col("version").alias("hh_version"), *hh_cols),
                      on="household_number", how="inner")
          .with_columns(pl.coalesce(pl.col("_new_head"), pl.col("head_name")).alias("_head")))
    fh = fh.with_columns((pl.col("_head") != pl.col("head_name")).alias("own_changed"),
                         pl.col("_head").alias("head_name")).with_columns(
        pl.when(pl.col("own_changed") | pl.col("_touched")).then(pl.lit("changed")).otherwise(pl.lit("unchanged"))
        .alias("state"))
    fh = fh.select("household_number", "_first_row", "size", "head_name", "village_code",
                   *[c for c in hh_cols if c not in ("size", "head_name", "village_code")],
                   "hh_id", "hh_version", "own_changed", "state").sort("_first_row")

    members = fm.join(fh.select("household_number", pl.col("state").alias("hh_state")), on="household_number",
                      how="left").select(
        "_row", "household_number", "village_code", *MEMBER_COMPARED,
        *[c for c in ("sex", "birth_date", "id_kind") if c in fm.columns],
        "m_id", "m_version", "hh_id", "state", "hh_state")
    leaving = registry_members.clear().with_columns(
        pl.lit(None, dtype=t).alias(c) for c, t in LEAVING_SCHEMA_EXTRA.items())

    counts = {
        "households_new": 0,
        "households_changed": fh.filter(pl.col("state") == "changed").height,
        "households_unchanged": fh.filter(pl.col("state") == "unchanged").height,
        "persons_new": 0,
        "persons_changed": members.filter(pl.col("state") == "changed").height,
        "persons_unchanged": members.filter(pl.col("state") == "unchanged").height,
        "persons_left": 0,
        "persons_moved": 0,
        "rows_imported": members.height,
        "rows_rejected_extra": mine["_row"].n_unique(),
    }
    changed_ids = members.filter(pl.col("state") == "changed")["m_id"]
    return RosterDiff(
        households=fh, members=members, leaving=leaving, rejections=mine.sort("_row"),
        old_households=registry_households.filter(pl.col("id").is_in(
            fh.filter(pl.col("own_changed"))["hh_id"].implode())),
        old_members=registry_members.filter(pl.col("id").is_in(changed_ids.implode())),
        counts=counts, by_village=by_village(fh, members, pl.concat([prior.select(list(REJECTION_SCHEMA)).cast(
            REJECTION_SCHEMA), mine]), village_names or {}, leaving=leaving),
    )


__all__ = ["diff_members"]
