"""What a batch would change in registered households, field by field (变更明细) — column work in Polars.

The review page counts new, changed and unchanged households; a reviewer confirming "1,234 changed"
must also be able to see *what* changes before it is written, above all the persons the merge will
mark as left because the file lists their household without them. This module turns a
:class:`~.diff_roster.RosterDiff` into one long frame, one row per change:

- ``household`` 户信息变更 — a field of a registered household (the roster's and the derived ones:
  village, head, size, net and per-capita income, income rule version), old and new value;
- ``member_changed`` 成员信息变更 — a field of a registered member, old and new value;
- ``member_new`` 新增成员 — a person joining a registered household;
- ``member_left`` 成员减少 — a registered member the file's household does not list (the merge writes
  status ``left``); the new value says where they went when the file lists them in another household
  (``分户至户 …`` into a household new in the batch, reason 分户; ``迁至户 …`` into a registered one,
  reason 迁出), and is empty otherwise (reason 其他).

New households are not listed: everything about them is in the file, and a county's first import
would list every value it holds. Values are shown as a reader of the roster knows them: codes as
their Chinese labels (unknown codes as themselves), yes/no as 是/否, 贫困户属性 by its form version,
危房户 ``否`` when empty. Personal numbers are kept as they are; pages, API and report mask them for
roles that may not see them (:func:`masked_changes`).

:func:`by_field` counts the changes per kind and field — the review page's summary (字段变更统计):
a column mapped wrongly shows as one field changed in every household.

No database access; the Django models are read only for their fields' names and types.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from django.db import models

from fupin.imports import roster
from fupin.policy import codes
from fupin.policy.masking import masked_accounts, masked_id_numbers
from fupin.registry.models import Household, Member

from .diff_roster import HOUSEHOLD_COMPARED, HOUSEHOLD_DERIVED_COMPARED, MEMBER_COMPARED, RosterDiff

HOUSEHOLD_COLS: tuple[str, ...] = (*HOUSEHOLD_COMPARED, *HOUSEHOLD_DERIVED_COMPARED)

#: Kinds of change, in the order they are listed within a household.
KINDS: dict[str, str] = {
    "household": "户信息变更 household field",
    "member_changed": "成员信息变更 member field",
    "member_new": "新增成员 member joins",
    "member_left": "成员减少(文件中该户无此人) member leaves (not in the file's household)",
}
_KIND_ORDER = {kind: i for i, kind in enumerate(KINDS)}

CHANGE_SCHEMA: dict[str, Any] = {
    "village_code": pl.Utf8, "household_number": pl.Utf8, "id_number": pl.Utf8, "name": pl.Utf8,
    "change": pl.Utf8, "field": pl.Utf8, "header": pl.Utf8, "old": pl.Utf8, "new": pl.Utf8,
}

#: Headers of fields the roster has no column of (derived, or split from one column).
_OWN_HEADERS = {"village_code": "行政区划代码", "head_name": "户主姓名", "size": "家庭人口", "income_net": "家庭纯收入",
                "income_per_capita": "年人均纯收入", "income_rule_version": "收入计算规则版本",
                "other_cause_1": "其他致贫原因一", "other_cause_2": "其他致贫原因二"}
_BOOL = {"1": "是", "0": "否"}
#: Fields holding a personal number, and how a role without full numbers sees it.
MASKED_FIELDS = {"id_number": masked_id_numbers, "bank_account": masked_accounts}


def header(field: str) -> str:
    """The column heading a reader of the roster knows ``field`` by."""
    if field in _OWN_HEADERS:
        return _OWN_HEADERS[field]
    column = roster.BY_FIELD.get(field)
    if column is not None:
        return column.header
    model = Household if field in HOUSEHOLD_COLS else Member
    return str(model._meta.get_field(field).verbose_name).split(" ")[0]


def _labels(code_list: codes.CodeList) -> dict[str, str]:
    return {item.code: item.zh for item in code_list.items if item.code}


_CATEGORY_LABELS = {f"{version}:{code}": label for version, code_list in codes.HOUSEHOLD_CATEGORY_BY_VERSION.items()
                    for code, label in _labels(code_list).items()}


def _code_list(model: type[models.Model], field: str) -> codes.CodeList | None:
    if field in ("other_cause_1", "other_cause_2"):
        return codes.POVERTY_CAUSE
    column = roster.BY_FIELD.get(field)
    if column is not None and column.kind.startswith("code:"):
        return codes.ALL_LISTS[column.kind.split(":", 1)[1]]
    return None


def shown(model: type[models.Model], field: str, value: pl.Expr, form_version: pl.Expr | None = None) -> pl.Expr:
    """``value`` (canonical text, :func:`.diff_roster.canonical`) as the roster shows it."""
    text = value.cast(pl.Utf8).fill_null("")
    if isinstance(model._meta.get_field(field), models.BooleanField):
        return text.replace_strict(_BOOL, default=text)
    if field == "category" and form_version is not None:
        return (form_version.cast(pl.Utf8).fill_null("") + pl.lit(":") + text).replace_strict(
            _CATEGORY_LABELS, default=text)
    if field == "dilapidated_grade":
        return pl.when(text == "").then(pl.lit("否")).otherwise(text)
    code_list = _code_list(model, field)
    if code_list is not None:
        return text.replace_strict(_labels(code_list), default=text)
    return text


def _field_changes(changed: pl.DataFrame, old: pl.DataFrame, *, key: str, model: type[models.Model],
                   cols: tuple[str, ...], kind: str, name: str) -> pl.DataFrame:
    """One row per field of ``cols`` whose value in ``changed`` differs from its registry row in ``old``
    (joined by ``id`` = ``changed[key]``; null and "" are equal, as in the audit rows)."""
    if changed.height == 0:
        return pl.DataFrame(schema=CHANGE_SCHEMA)
    present = [c for c in cols if c in changed.columns and c in old.columns]
    rows = changed.select(
        pl.col(key).alias("_id"), pl.col("village_code").cast(pl.Utf8).alias("_k_village_code"),
        pl.col("household_number").cast(pl.Utf8).alias("_k_household_number"),
        (pl.col("id_number").cast(pl.Utf8) if model is Member else pl.lit("")).alias("_k_id_number"),
        pl.col(name).cast(pl.Utf8).alias("_k_name"), *[pl.col(c).cast(pl.Utf8).fill_null("") for c in present],
    ).join(old.select(pl.col("id").alias("_id"), *[pl.col(c).cast(pl.Utf8).fill_null("").alias(f"_old_{c}")
                                                  for c in present]),
           on="_id", how="inner", maintain_order="left")
    version_new = pl.col("category_form_version") if "category_form_version" in present else None
    version_old = pl.col("_old_category_form_version") if "category_form_version" in present else None
    parts = [
        rows.filter(pl.col(c) != pl.col(f"_old_{c}")).select(
            *[pl.col(f"_k_{k}").alias(k) for k in ("village_code", "household_number", "id_number", "name")],
            pl.lit(kind).alias("change"),
            pl.lit(c).alias("field"), pl.lit(header(c)).alias("header"),
            shown(model, c, pl.col(f"_old_{c}"), version_old).alias("old"),
            shown(model, c, pl.col(c), version_new).alias("new"),
        )
        for c in present
    ]
    return pl.concat(parts) if parts else pl.DataFrame(schema=CHANGE_SCHEMA)


def change_list(diff: RosterDiff) -> pl.DataFrame:
    """Every change ``diff`` would write to registered households (:data:`CHANGE_SCHEMA`), ordered by
    village, 户编号, kind (:data:`KINDS`) and the roster's column order."""
    households = diff.households
    village_of = households.select(pl.col("household_number").cast(pl.Utf8), pl.col("village_code").cast(pl.Utf8))
    parts = [
        _field_changes(households.filter(pl.col("own_changed")), diff.old_households, key="hh_id", model=Household,
                       cols=HOUSEHOLD_COLS, kind="household", name="head_name"),
        _field_changes(diff.members.filter((pl.col("state") == "changed") & pl.col("m_id").is_not_null()),
                       diff.old_members, key="m_id", model=Member, cols=MEMBER_COMPARED, kind="member_changed",
                       name="name"),
    ]
    joining = diff.members.filter((pl.col("state") == "new") & pl.col("hh_id").is_not_null())
    if joining.height:
        parts.append(_whole_member(joining, "member_new"))
    if diff.leaving.height:
        parts.append(_whole_member(diff.leaving.drop("village_code", strict=False).join(
            village_of, on="household_number", how="left"), "member_left"))
    field_order = {f: i for i, f in enumerate((*HOUSEHOLD_COLS, *MEMBER_COMPARED))}
    return (pl.concat([p.cast(CHANGE_SCHEMA) for p in parts])
            .with_columns(pl.col("change").replace_strict(_KIND_ORDER, return_dtype=pl.Int32).alias("_k"),
                          pl.col("field").replace_strict(field_order, default=-1, return_dtype=pl.Int32).alias("_f"))
            .sort("village_code", "household_number", "_k", "id_number", "_f", maintain_order=True)
            .drop("_k", "_f"))


def _whole_member(rows: pl.DataFrame, kind: str) -> pl.DataFrame:
    """One row per person joining or leaving: the relation to the head as the value; for a person
    leaving for another household of the file, where to as the new value (:func:`moved_text`)."""
    relation = shown(Member, "relation", pl.col("relation"))
    gone = moved_text() if "moved_to" in rows.columns and "leave_reason" in rows.columns else pl.lit("")
    return rows.select(
        pl.col("village_code").cast(pl.Utf8), pl.col("household_number").cast(pl.Utf8),
        pl.col("id_number").cast(pl.Utf8), pl.col("name").cast(pl.Utf8), pl.lit(kind).alias("change"),
        pl.lit("relation").alias("field"), pl.lit(header("relation")).alias("header"),
        (pl.lit("") if kind == "member_new" else relation).alias("old"),
        (relation if kind == "member_new" else gone).alias("new"),
    )


def moved_text() -> pl.Expr:
    """A leaving person's new value: ``分户至户 <户编号>`` (split off into a household new in the
    batch), ``迁至户 <户编号>`` (moved to a registered one), "" (not in the file at all)."""
    to = pl.col("moved_to").cast(pl.Utf8)
    return (pl.when(to.is_null()).then(pl.lit(""))
            .when(pl.col("leave_reason") == "split").then(pl.lit("分户至户 ") + to)
            .when(pl.col("leave_reason") == "moved_out").then(pl.lit("迁至户 ") + to)
            .otherwise(pl.lit("")))


def by_field(changes: pl.DataFrame | pl.LazyFrame) -> list[dict[str, Any]]:
    """Changes per kind and field, in the list's order: ``[{change, field, header, rows, households}]``."""
    frame = changes.lazy() if isinstance(changes, pl.DataFrame) else changes
    field_order = {f: i for i, f in enumerate((*HOUSEHOLD_COLS, *MEMBER_COMPARED))}
    out = (frame.group_by("change", "field", "header").agg(
        pl.len().alias("rows"), pl.col("household_number").n_unique().alias("households"))
        .with_columns(pl.col("change").replace_strict(_KIND_ORDER, return_dtype=pl.Int32).alias("_k"),
                      pl.col("field").replace_strict(field_order, default=-1, return_dtype=pl.Int32).alias("_f"))
        .sort("_k", "_f").drop("_k", "_f").collect())
    return [{k: (int(v) if k in ("rows", "households") else v) for k, v in row.items()}
            for row in out.iter_rows(named=True)]


def masked_changes(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` as a role that may not see full numbers sees it: the ID numbers (the person's, and a
    changed 证件号码's old and new value) and bank accounts masked (:mod:`fupin.policy.masking`)."""
    old, new = pl.col("old"), pl.col("new")
    for field, mask in MASKED_FIELDS.items():
        old = pl.when(pl.col("field") == field).then(mask(pl.col("old"))).otherwise(old)
        new = pl.when(pl.col("field") == field).then(mask(pl.col("new"))).otherwise(new)
    return frame.with_columns(masked_id_numbers(pl.col("id_number")).alias("id_number"), old.alias("old"),
                              new.alias("new"))
