"""Compare a checked roster with the registry (比对): new, changed, unchanged — column work in Polars.

Decisions (docs and tests follow them):

- **Matching.** A file household is matched to the registry by 户编号 (``household_number``, unique
  over the registry); a new household keeps the file's 户编号. Members are matched by 证件号码
  within the household.
- **Changed** means any compared field differs: the household fields the roster carries, the
  village, the derived head name, size, net and per-capita income (recomputed here with the
  counting rule of :mod:`fupin.policy.income`), or any member (added, changed, or leaving).
  Fields compare in canonical text forms (:func:`canonical`): text stripped, booleans ``1``/``0``,
  integers as digits, decimals with the model field's places, nulls as the field default.
  Unchanged households are not touched and not audited.
- **Members missing** from a file household leave it (merge writes status ``left``). The reason
  (``leave_reason``, :data:`fupin.policy.codes.MEMBER_LEAVE_REASON`) is read from the file where it
  can be: a person the file lists in a household new in this batch has split off (``split``, 分户);
  in another registered household, moved there (``moved_out``, 迁出); the household they went to is
  kept (``moved_to``). Anyone else gets ``other`` (其他): the roster has no column for deaths or
  marriages, which the household page records one by one (:func:`leaving_reasons`).
- **Whole households.** A household is imported whole or not at all: when any of its rows is
  rejected, its other rows are rejected too (size, head and per-capita income need every member).
  Beyond the row checks of ``check_roster`` this step rejects, by household: a 户编号 whose household
  has left the registry, or lies in a village the importer may not write to; a household without
  exactly one head; the same 证件号码 twice in the file; and a person active in another household
  that the file does not also bring (一人一户). A person the file moves from one file household to
  another is allowed (the leave is written first). A person the file lists only in a rejected
  household (a row of it in error, a village held back at review) stays where they are registered:
  when the file also brings that household, without them, it is rejected too ("本户有成员在文件中列入户编号
  …,该户未导入") rather than the person leaving it as 其他 for a household that is not imported. The
  rules run to a fixed point, since each rejection may hold back another household.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.db import models

from fupin.core.frames import matches, rows_in, rows_not_in
from fupin.imports import roster
from fupin.policy.codes import HEAD_RELATION
from fupin.policy.income import DEFAULT_INCOME_SETTINGS, TRANSFER_LINES, IncomeSettings
from fupin.registry.models import Household, Member
from fupin.registry.services import HOUSEHOLD_FIELDS, MEMBER_FIELDS

#: Household fields the roster carries (other_causes fills other_cause_1/2).
HOUSEHOLD_COMPARED: tuple[str, ...] = (
    *(c.field for c in roster.COLUMNS if c.level == roster.HOUSEHOLD and c.field in HOUSEHOLD_FIELDS),
    "other_cause_1", "other_cause_2",
)
#: Derived household columns recomputed from the file and compared too.
HOUSEHOLD_DERIVED_COMPARED = ("village_code", "head_name", "size", "income_net", "income_per_capita",
                              "income_rule_version")
MEMBER_COMPARED: tuple[str, ...] = tuple(f for f in MEMBER_FIELDS)
MEMBER_FROM_ID = ("sex", "birth_date", "id_kind")
INCOME_LINES = ("income_wage", "income_business", "income_property", *TRANSFER_LINES)

#: Why a 户编号 whose registry household is not active (在册) cannot be imported, by its status: the
#: roster lists registered poor households, and an import neither brings back a household that left
#: nor admits one by any way but its procedure.
NOT_IMPORTABLE = {
    "left": "该户已注销,不能通过导入恢复 / the household has left the registry",
    "applicant": "该户正在识别程序中(申请中),须经识别程序纳入,不能通过导入纳入 / the household is an applicant in "
                 "the identification procedure; it joins the registry by that procedure, not by import",
    "declined": "该户申请未获纳入,不能通过导入纳入 / the household applied and was not admitted; an import cannot "
                "admit it",
    "monitored": "该户为监测户(非建档立卡贫困户),不能作为贫困户导入 / the household is recorded for monitoring "
                 "only, not as a registered poor household; an import cannot register it",
}
REJECTION_SCHEMA = {"_row": pl.Int64, "column": pl.Utf8, "value": pl.Utf8, "reason": pl.Utf8,
                    "household_number": pl.Utf8, "village_code": pl.Utf8}
_SEP = "\x1f"


_BOOL_TEXT = {"t": "1", "true": "1", "1": "1", "f": "0", "false": "0", "0": "0"}


def canonical(expr: pl.Expr, model: type[models.Model], name: str, dtype: pl.DataType | None = None) -> pl.Expr:
    """The canonical text form of a field's values (see the module docstring). ``dtype``: the
    column's type when known — a Boolean or integer column (the normaliser's) skips the text reading
    (measured at 1M rows: 0.22 s → 0.015 s per yes/no column)."""
    f = model._meta.get_field(name)
    default = f.get_default()
    if isinstance(f, models.BooleanField) and dtype == pl.Boolean:
        return pl.when(expr).then(pl.lit("1")).when(expr.not_()).then(pl.lit("0")).otherwise(
            pl.lit("1" if default else "0"))
    if isinstance(f, models.IntegerField) and dtype is not None and dtype.is_integer():
        return expr.cast(pl.Utf8).fill_null(pl.lit("" if f.null or default is None else str(default)))
    text = expr.cast(pl.Utf8)
    if isinstance(f, models.BooleanField):
        return text.str.strip_chars().str.to_lowercase().replace_strict(
            list(_BOOL_TEXT), list(_BOOL_TEXT.values()), default=pl.lit("1" if default else "0"),
            return_dtype=pl.Utf8)
    if isinstance(f, models.DecimalField):
        places = f.decimal_places
        number = (text.str.strip_chars().cast(pl.Float64, strict=False).round(places)
                  .cast(pl.Decimal(20, places)).cast(pl.Utf8))
        fill = "" if f.null or default is None else f"{float(default):.{places}f}"
        return number.fill_null(pl.lit(fill))
    if isinstance(f, models.IntegerField):
        number = text.str.strip_chars().cast(pl.Float64, strict=False).cast(pl.Int64).cast(pl.Utf8)
        fill = "" if f.null or default is None else str(default)
        return number.fill_null(pl.lit(fill))
    fill = "" if default is None or default is models.NOT_PROVIDED else str(default)
    return text.str.strip_chars().fill_null(pl.lit(fill))


def _cents(col: str) -> pl.Expr:
    return (pl.col(col).cast(pl.Float64, strict=False).fill_null(0.0) * 100).round(0).cast(pl.Int64)


def _yuan(cents: pl.Expr) -> pl.Expr:
    """Integer cents as ``-1234.05``."""
    absolute = cents.abs()
    return pl.concat_str([
        pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit("")),
        (absolute // 100).cast(pl.Utf8), pl.lit("."),
        (absolute % 100).cast(pl.Utf8).str.zfill(2),
    ])


def with_income(frame: pl.LazyFrame, settings: IncomeSettings = DEFAULT_INCOME_SETTINGS) -> pl.LazyFrame:
    """Net and per-capita income from canonical income lines and ``size`` (as
    :func:`fupin.policy.income.compute_income_per_capita`: exact cents, ROUND_HALF_UP)."""
    counted = ["income_wage", "income_business", "income_property",
               *(t for t in TRANSFER_LINES if t in settings.counted_transfers)]
    net = pl.sum_horizontal([_cents(c) for c in counted]) - _cents("business_expense")
    size = pl.col("size").cast(pl.Int64)
    per = net.sign() * ((2 * net.abs() + size) // (2 * size))
    return frame.with_columns(
        _yuan(net).alias("income_net"),
        pl.when(size > 0).then(_yuan(per)).otherwise(pl.lit("")).alias("income_per_capita"),
        pl.lit(settings.version).alias("income_rule_version"),
    )


def file_households(valid: pl.DataFrame) -> pl.DataFrame:
    """One row per file household: its first row's household fields and the derived ones, canonical.

    The household fields are taken from each household's first row as it stands (the check has
    made every row of a household agree on them) and only size, first row and head name are
    aggregated — measured at 1M persons: 1.0 s with ``first()`` over every column, 0.3 s so."""
    present = [c for c in HOUSEHOLD_COMPARED if c in valid.columns]
    derived = (
        valid.lazy()
        .group_by("household_number")
        .agg(
            pl.col("_row").min().alias("_first_row"),
            pl.len().cast(pl.Int64).alias("size"),
            pl.col("name").filter(pl.col("relation").cast(pl.Utf8) == HEAD_RELATION).first().alias("head_name"),
        )
    )
    lazy = (
        valid.lazy()
        .filter(pl.col("household_number").is_first_distinct())
        .select("household_number", "village_code", *present)
        .join(derived, on="household_number", how="left", maintain_order="left")
        .select("household_number", "_first_row", "size", "head_name", "village_code", *present)
        .with_columns(*[canonical(pl.col(c), Household, c, valid.schema[c]).alias(c) for c in present],
                      *[pl.lit(None, pl.Utf8).alias(c) for c in HOUSEHOLD_COMPARED if c not in present])
    )
    lazy = with_income(lazy.with_columns(*[canonical(pl.col(c), Household, c).alias(c)
                                           for c in HOUSEHOLD_COMPARED if c not in present]))
    return lazy.with_columns(
        canonical(pl.col("head_name"), Household, "head_name").alias("head_name"),
        pl.col("size").cast(pl.Utf8),
        pl.col("village_code").cast(pl.Utf8),
    ).collect()


def file_members(valid: pl.DataFrame) -> pl.DataFrame:
    """One row per file person: the member fields canonical, plus sex, birth date and ID kind."""
    extra = [c for c in MEMBER_FROM_ID if c in valid.columns]
    return valid.select(
        "_row", pl.col("household_number").cast(pl.Utf8), pl.col("village_code").cast(pl.Utf8),
        *[canonical(pl.col(c), Member, c, valid.schema.get(c)).alias(c) for c in MEMBER_COMPARED], *extra,
    )


def _key(cols: Iterable[str]) -> pl.Expr:
    return pl.concat_str([pl.col(c) for c in cols], separator=_SEP)


def _text(*parts: str | pl.Expr) -> pl.Expr:
    """A message built from literals and columns (``pl.format`` panicked on some empty frames)."""
    return pl.concat_str([p.cast(pl.Utf8) if isinstance(p, pl.Expr) else pl.lit(p) for p in parts])


def _reject(rows: pl.DataFrame, column: str, value: pl.Expr, reason: pl.Expr | str) -> pl.DataFrame:
    if rows.height == 0:
        return empty_rejections()
    reason_expr = pl.lit(reason) if isinstance(reason, str) else reason
    return rows.select(
        pl.col("_row").cast(pl.Int64), pl.lit(column).alias("column"), value.cast(pl.Utf8).alias("value"),
        reason_expr.cast(pl.Utf8).alias("reason"), pl.col("household_number").cast(pl.Utf8),
        pl.col("village_code").cast(pl.Utf8),
    )


def empty_rejections() -> pl.DataFrame:
    return pl.DataFrame(schema=REJECTION_SCHEMA)


LEAVING_SCHEMA_EXTRA = {"moved_to": pl.Utf8, "leave_reason": pl.Utf8}


def leaving_reasons(leaving: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    """``leaving`` (registry members leaving their household) with ``moved_to`` — the file household
    that lists the same 证件号码 among the accepted rows (``members``: their ``household_number``,
    ``id_number`` and ``hh_state``), null if none — and ``leave_reason``: ``split`` (分户) when that
    household is new in this batch, ``moved_out`` (迁出) when it is registered, else ``other`` (其他).
    A person is in one file household at most (the same 证件号码 twice is rejected)."""
    if leaving.height == 0:
        return leaving.with_columns(pl.lit(None, dtype=t).alias(c) for c, t in LEAVING_SCHEMA_EXTRA.items())
    to = members.select("id_number", pl.col("household_number").alias("moved_to"),
                        (pl.col("hh_state") == "new").alias("_to_new"))
    return leaving.join(to, on="id_number", how="left", maintain_order="left").with_columns(
        pl.when(pl.col("moved_to").is_null()).then(pl.lit("other"))
        .when(pl.col("_to_new")).then(pl.lit("split")).otherwise(pl.lit("moved_out")).alias("leave_reason"),
    ).drop("_to_new")


@dataclass
class RosterDiff:
    """What merging the file would do; ``households``/``members`` hold the accepted file rows."""

    households: pl.DataFrame  # file households + hh_id, hh_version, own_changed, state
    members: pl.DataFrame  # file persons + m_id, m_version, hh_id, state
    leaving: pl.DataFrame  # registry members to leave: id, household_id, household_number, version, …,
    #                        moved_to, leave_reason (leaving_reasons)
    old_households: pl.DataFrame  # registry values of the changed households (their audit rows' "old")
    old_members: pl.DataFrame  # registry values of the changed members
    rejections: pl.DataFrame  # rows this step rejected (REJECTION_SCHEMA)
    counts: dict[str, int] = field(default_factory=dict)
    by_village: list[dict[str, Any]] = field(default_factory=list)


def diff_roster(
    valid: pl.DataFrame, *, registry_households: pl.DataFrame, registry_members: pl.DataFrame,
    active_members: pl.DataFrame, allowed_villages: Iterable[str], prior_rejections: pl.DataFrame | None = None,
    village_names: dict[str, str] | None = None, prior_persons: pl.DataFrame | None = None,
) -> RosterDiff:
    """Diff the accepted rows of a checked roster against the registry frames
    (:mod:`.registry_frames`). ``prior_rejections``: the rows ``check_roster`` rejected (their
    households are rejected whole); ``prior_persons``: their 户编号 and 证件号码 (a person they list who
    is registered in a household the file also brings holds that household back, R7)."""
    allowed = pl.Series("code", list(allowed_villages), dtype=pl.Utf8)
    prior = prior_rejections if prior_rejections is not None else empty_rejections()
    prior_ids = (prior_persons.select(pl.col("household_number").cast(pl.Utf8), pl.col("id_number").cast(pl.Utf8))
                 if prior_persons is not None else pl.DataFrame(schema={"household_number": pl.Utf8,
                                                                        "id_number": pl.Utf8}))
    fm_all = file_members(valid)
    reg_status = registry_households.select("household_number", pl.col("status").alias("_reg_status"),
                                            pl.col("village_code").alias("_reg_village"))
    rejected: list[pl.DataFrame] = []

    # Per-row rejections by household (R1, R2), head count (R3), duplicates in the file (R4).
    rows = valid.select("_row", pl.col("household_number").cast(pl.Utf8), pl.col("village_code").cast(pl.Utf8),
                        pl.col("relation").cast(pl.Utf8), pl.col("id_number").cast(pl.Utf8))
    joined = rows.join(reg_status, on="household_number", how="left")
    not_active = joined.filter(pl.col("_reg_status").is_not_null() & (pl.col("_reg_status") != "active"))
    rejected.append(_reject(not_active, "户编号", pl.col("household_number"), pl.col("_reg_status").replace_strict(
        list(NOT_IMPORTABLE), list(NOT_IMPORTABLE.values()), default=NOT_IMPORTABLE["left"], return_dtype=pl.Utf8)))
    rejected.append(_reject(joined.filter(pl.col("_reg_status").is_not_null()
                                          & ~pl.col("_reg_village").is_in(allowed.implode())),
                            "户编号", pl.col("household_number"),
                            "户编号已被您无权修改的户使用 / the household number belongs to a household outside "
                            "your region"))
    heads = rows.group_by("household_number").agg((pl.col("relation") == HEAD_RELATION).sum().alias("_heads"))
    rejected.append(_reject(rows.join(heads, on="household_number").filter(pl.col("_heads") != 1)
                            .filter(pl.col("relation") == HEAD_RELATION).vstack(
                                rows.join(heads, on="household_number").filter(pl.col("_heads") == 0)
                                .group_by("household_number").agg(pl.all().sort_by("_row").first())
                                .select([*rows.columns, "_heads"])),
                            "与户主关系", pl.col("relation"),
                            _text("该户户主人数为", pl.col("_heads"), ",应为1 / the household has ", pl.col("_heads"),
                                  " heads, needs exactly one")))
    dup = rows.filter(pl.col("id_number").is_duplicated())
    rejected.append(_reject(dup, "证件号码", pl.col("id_number"),
                            "证件号码在文件中重复 / the same ID number appears twice in the file"))
    base = pl.concat(rejected)

    # R5 (one person, one household) depends on which households stay: iterate to a fixed point. The
    # rejections only grow (a household rejected stays rejected, and may take others with it: the one
    # a person of it moves to), so the loop ends within one round per household.
    reg_active = active_members.select(pl.col("id_number").cast(pl.Utf8),
                                       pl.col("household_number").cast(pl.Utf8).alias("_reg_hn"))
    mine = base
    while True:
        bad_households = pl.concat([mine.select("household_number"), prior.select(
            pl.col("household_number").cast(pl.Utf8))]).drop_nulls().unique()
        kept = rows_not_in(rows, "household_number", bad_households["household_number"])
        kept_numbers = kept["household_number"].unique()
        clash = rows_not_in(kept.join(reg_active, on="id_number", how="inner")
                            .filter(pl.col("_reg_hn") != pl.col("household_number")), "_reg_hn", kept_numbers)
        r5 = _reject(clash, "证件号码", pl.col("id_number"),
                     _text("证件号码已在户编号 ", pl.col("_reg_hn"), " 登记,一人不能在两户登记 / already a member of household ",
                           pl.col("_reg_hn")))
        # R7: a person the file lists only in a rejected household stays where they are registered; if
        # the file brings that household too (without them), it is held back with them — else they
        # would leave it (as 其他) for a household that is not imported.
        stuck = pl.concat([prior_ids, rows_in(rows, "household_number", bad_households["household_number"])
                           .select("household_number", "id_number")]).join(reg_active, on="id_number", how="inner")
        stuck = rows_in(stuck.filter(pl.col("_reg_hn") != pl.col("household_number")), "_reg_hn", kept_numbers)
        held_back = (kept.join(stuck.group_by("_reg_hn").agg(pl.col("household_number").min().alias("_to")),
                               left_on="household_number", right_on="_reg_hn", how="inner")
                     .sort("_row").unique(subset=["household_number"], keep="first", maintain_order=True))
        r7 = _reject(held_back, "户编号", pl.col("household_number"),
                     _text("本户有成员在文件中列入户编号 ", pl.col("_to"), ",该户未导入,本户随之暂不导入 / a member of this "
                           "household is listed in household ", pl.col("_to"), ", which was not imported; this "
                           "household is held back with them"))
        new_mine = pl.concat([mine, r5, r7]).unique(subset=["_row", "column"], keep="first", maintain_order=True)
        if new_mine.height == mine.height:
            break
        mine = new_mine
    # Whole households (R6).
    bad_rows = pl.concat([mine.select("_row", "household_number"),
                          prior.select(pl.col("_row").cast(pl.Int64), pl.col("household_number").cast(pl.Utf8))])
    first_bad = bad_rows.drop_nulls("household_number").group_by("household_number").agg(
        pl.col("_row").min().alias("_bad_row"))
    cascade = rows_not_in(rows.join(first_bad, on="household_number", how="inner"), "_row", bad_rows["_row"])
    mine = pl.concat([mine, _reject(cascade, "户编号", pl.col("household_number"), _text(
        "同户第", pl.col("_bad_row"), "行有错误,整户未导入 / row ", pl.col("_bad_row"),
        " of the same household was rejected; the household was not imported"))]).sort("_row")
    dropped = rows_in(rows, "household_number", first_bad["household_number"])
    kept_numbers = rows_not_in(rows, "household_number", first_bad["household_number"])["household_number"].unique()

    if dropped.height == 0:  # nothing rejected here: no copy of the (wide) accepted rows
        accepted, fm = valid, fm_all
    else:
        accepted = rows_in(valid, "household_number", kept_numbers)
        fm = rows_in(fm_all, "household_number", kept_numbers)
    fh = file_households(accepted) if accepted.height else file_households(valid.clear())
    hh_cols = [*HOUSEHOLD_COMPARED, *HOUSEHOLD_DERIVED_COMPARED]

    # Keys of compared values are built only when the registry has something to compare with (a
    # county's first import has not: measured 0.5 s of the 1M-person diff).
    old_h = rows_in(registry_households, "household_number", kept_numbers)
    fh = fh.join(old_h.select("household_number", pl.col("id").alias("hh_id"), pl.col("version").alias("hh_version"),
                              _key(hh_cols).alias("_old_key")), on="household_number", how="left")
    fh = fh.with_columns((pl.col("hh_id").is_not_null() & (_key(hh_cols) != pl.col("_old_key"))).alias("own_changed")
                         if old_h.height else pl.lit(False).alias("own_changed"))

    old_m = rows_in(registry_members, "household_number", old_h["household_number"])
    fm = fm.join(old_m.select("household_number", "id_number", pl.col("id").alias("m_id"),
                              pl.col("version").alias("m_version"), _key(MEMBER_COMPARED).alias("_old_key")),
                 on=["household_number", "id_number"], how="left")
    fm = fm.with_columns(
        pl.when(pl.col("m_id").is_null()).then(pl.lit("new"))
        .when(_key(MEMBER_COMPARED) != pl.col("_old_key")).then(pl.lit("changed"))
        .otherwise(pl.lit("unchanged")).alias("state") if old_m.height else pl.lit("new").alias("state")
    ).drop("_old_key")
    leaving = old_m.join(fm.select("household_number", "id_number"), on=["household_number", "id_number"],
                         how="anti")

    member_touch = pl.concat([
        fm.filter(pl.col("state") != "unchanged").select("household_number"),
        leaving.select("household_number"),
    ]).unique()
    fh = matches(fh, "household_number", member_touch["household_number"], "_touched").with_columns(
        pl.when(pl.col("hh_id").is_null()).then(pl.lit("new"))
        .when(pl.col("own_changed") | pl.col("_touched"))
        .then(pl.lit("changed")).otherwise(pl.lit("unchanged")).alias("state")
    ).drop("_old_key", "_touched")
    fm = fm.join(fh.select("household_number", "hh_id", pl.col("state").alias("hh_state")), on="household_number",
                 how="left")
    fm = fm.with_columns(pl.when(pl.col("hh_state") == "new").then(pl.lit("new")).otherwise(pl.col("state"))
                         .alias("state"))
    leaving = leaving_reasons(leaving, fm)

    rows_rejected_extra = mine["_row"].n_unique()
    counts = {
        "households_new": fh.filter(pl.col("state") == "new").height,
        "households_changed": fh.filter(pl.col("state") == "changed").height,
        "households_unchanged": fh.filter(pl.col("state") == "unchanged").height,
        "persons_new": fm.filter(pl.col("state") == "new").height,
        "persons_changed": fm.filter(pl.col("state") == "changed").height,
        "persons_unchanged": fm.filter(pl.col("state") == "unchanged").height,
        "persons_left": leaving.height,
        "persons_moved": leaving.filter(pl.col("leave_reason") != "other").height,
        "rows_imported": fm.height,
        "rows_rejected_extra": rows_rejected_extra,
    }
    return RosterDiff(
        households=fh, members=fm, leaving=leaving, rejections=mine,
        # Only what the merge's audit rows need: a re-import of an unchanged county then keeps and
        # reads back no copy of its registry (measured at 961k persons: ~1 s at review, ~0.5 s at merge).
        old_households=rows_in(old_h, "id", fh.filter(pl.col("own_changed"))["hh_id"]),
        old_members=rows_in(old_m, "id", fm.filter(pl.col("state") == "changed")["m_id"]),
        counts=counts, by_village=by_village(fh, fm, pl.concat([prior.select(list(REJECTION_SCHEMA)).cast(
            REJECTION_SCHEMA), mine]), village_names or {}, leaving=leaving),
    )


def by_village(fh: pl.DataFrame, fm: pl.DataFrame, rejections: pl.DataFrame,
               names: dict[str, str], leaving: pl.DataFrame | None = None) -> list[dict[str, Any]]:
    """Per village: households new/changed/unchanged, persons new/changed/unchanged/left (registered
    members the file's household does not list), rejected rows."""
    h = fh.group_by("village_code").agg(
        *[(pl.col("state") == s).sum().alias(s) for s in ("new", "changed", "unchanged")])
    p = fm.group_by("village_code").agg(
        *[(pl.col("state") == s).sum().alias(f"persons_{s}") for s in ("new", "changed", "unchanged")])
    if leaving is not None and leaving.height:
        left = (leaving.select("household_number").join(fh.select("household_number", "village_code"),
                                                         on="household_number", how="inner")
                .group_by("village_code").agg(pl.len().cast(pl.UInt32).alias("persons_left")))
        p = p.join(left, on="village_code", how="full", coalesce=True)
    else:
        p = p.with_columns(pl.lit(0, pl.UInt32).alias("persons_left"))
    r = (rejections.unique(subset=["_row"]).with_columns(pl.col("village_code").fill_null(""))
         .group_by("village_code").agg(pl.len().alias("rejected")))
    out = (h.join(p, on="village_code", how="full", coalesce=True)
           .join(r, on="village_code", how="full", coalesce=True).fill_null(0).sort("village_code"))
    return [{"village_code": row["village_code"], "name": names.get(row["village_code"], ""),
             **{k: int(v) for k, v in row.items() if k != "village_code"}} for row in out.iter_rows(named=True)]
