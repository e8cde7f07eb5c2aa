"""Write a roster diff into the registry (入库) — bulk, inside the caller's transaction.

Bulk writes skip the registry services, so this module does what they would: ancestor codes from
the village code, 户编号 from the file, head name, size, net and per-capita income and the income
rule version (computed by :mod:`.diff_roster`), version 1 for new records and +1 for changed ones,
and the audit trail (:class:`~fupin.core.models.ChangeRecord`, source ``import``, comment
``导入批次 #N``):

- a new household: one ``create`` row with 户编号, village, head, size, per-capita income and
  ``members`` (the persons registered with it, ``name(证件号码)``) — one row per household, as the
  demo writer does; every other value is the household's version 1, and the batch keeps the file
  it came from (values in these rows are text);
- a changed household: one ``update`` row with ``{field: [old, new]}`` of what differs, the values
  typed as the services write them (booleans, integers, null); these rows, and a changed member's,
  are built as Polars expressions over the joined old and new rows (:func:`_update_audit`);
- a member added to, changed in, or leaving an existing household: one row each (``create``,
  ``update``, ``status``); a leaving member gets status ``left``, the reason the diff read
  (``split`` 分户 or ``moved_out`` 迁出 for a person the file lists in another household, else
  ``other``) and a comment naming the batch and, for a move, the household they went to.

Order inside the transaction: leaves first (so a person moved between two file households never
meets the one-active-household index), then member updates, inserts, household updates, audit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import polars as pl
from django.db import models

from fupin.core.audit import actor_name
from fupin.core.bulk import (
    copy_frame,
    indexes_built_after,
    now_text,
    prepare_copy,
    reserve_id_block,
    run_copy,
    update_frame,
)
from fupin.core.models import ChangeAction, ChangeRecord
from fupin.policy.regions import LEVEL_FIELD, PREFIX_LENGTH
from fupin.registry.models import Household, Member

from .diff_roster import HOUSEHOLD_COMPARED, HOUSEHOLD_DERIVED_COMPARED, MEMBER_COMPARED, RosterDiff

SOURCE = "import"
_HH_COLS = (*HOUSEHOLD_COMPARED, *HOUSEHOLD_DERIVED_COMPARED)
#: What the create row of a new household records (its full values are its version 1 and the batch's
#: landed file, kept with its SHA-256). Measured: a full-field create row (~2 kB of JSON) made the
#: audit COPY five times slower than the rows themselves.
CREATE_AUDIT_FIELDS = ("household_number", "village_code", "head_name", "size", "income_per_capita")
_NULLABLE_NON_TEXT = {
    f.name for model in (Household, Member) for f in model._meta.concrete_fields
    if f.null and not isinstance(f, models.CharField)
}


def batch_comment(batch_id: int) -> str:
    return f"导入批次 #{batch_id}"


def leave_comment(comment: str, batch_id: int, *, note: bool = False) -> pl.Expr:
    """The comment on a member leaving (``leave_reason`` and ``moved_to`` of
    :func:`.diff_roster.leaving_reasons`): where they went, or that the file's household lacks them,
    with the reviewer's note (``leave_note`` of :func:`.leave_reasons.with_given_reasons`) if ``note``."""
    to = pl.col("moved_to")
    return (pl.when(to.is_null()).then(pl.concat_str([
                pl.lit(f"{comment}:文件中该户无此成员 / not in the household in import batch #{batch_id}"),
                (pl.lit("；") + pl.col("leave_note")) if note else pl.lit(None, dtype=pl.Utf8)],
                ignore_nulls=True))
            .when(pl.col("leave_reason") == "split")
            .then(pl.concat_str([pl.lit(f"{comment}:分户至户 "), to, pl.lit(" / split off to household "), to,
                                 pl.lit(f" in import batch #{batch_id}")]))
            .when(pl.col("leave_reason") == "moved_out")
            .then(pl.concat_str([pl.lit(f"{comment}:迁至户 "), to, pl.lit(" / moved to household "), to,
                                 pl.lit(f" in import batch #{batch_id}")]))
            .otherwise(pl.lit(f"{comment}:文件中该户无此成员 / not in the household in import batch #{batch_id}")))


def _db_text(cols: tuple[str, ...] | list[str]) -> list[pl.Expr]:
    """Canonical text → what the database takes: "" is NULL for nullable numbers."""
    return [pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) if c in _NULLABLE_NON_TEXT
            else pl.col(c) for c in cols]


def _value_json(model: type[models.Model], name: str, text: pl.Expr) -> pl.Expr:
    """JSON text of canonical text values as the services write them in audit rows: booleans
    ``true``/``false``, integers as numbers, "" as ``null`` for nullable numbers, other text (decimals
    too) as a JSON string, escaped by Polars' JSON encoder."""
    f = model._meta.get_field(name)
    if isinstance(f, models.BooleanField):
        typed = pl.when(text == "1").then(pl.lit("true")).otherwise(pl.lit("false"))
    elif isinstance(f, models.IntegerField):
        typed = pl.when(text != "").then(text).cast(pl.Int64).cast(pl.Utf8)
    else:
        typed = pl.struct(text.alias("v")).struct.json_encode().str.strip_prefix('{"v":').str.strip_suffix("}")
    empty = "null" if name in _NULLABLE_NON_TEXT else '""'
    return (pl.when(text.is_null()).then(pl.lit("null")).when(text == "").then(pl.lit(empty))
            .otherwise(typed))


def _update_audit(changed: pl.DataFrame, old: pl.DataFrame, *, key: str, model: type[models.Model],
                  cols: tuple[str, ...]) -> pl.DataFrame:
    """One ``update`` audit row per row of ``changed`` (its id in ``key``, its household in ``hh_id``):
    ``changes`` is ``{field: [old, new]}`` of the ``cols`` that differ from ``old`` (registry rows by
    ``id``; null and "" are equal), keys in ``cols`` order — column work, no loop over rows."""
    rows = changed.select(pl.col(key).alias("_id"), pl.col("hh_id").alias("household_id"),
                          *[pl.col(c).cast(pl.Utf8) for c in cols]).join(
        old.select(pl.col("id").alias("_id"), pl.lit(True).alias("_found"),
                   *[pl.col(c).cast(pl.Utf8).alias(f"_old_{c}") for c in cols]),
        on="_id", how="left", maintain_order="left")
    if rows.get_column("_found").null_count():  # the diff keeps the old row of every changed one
        raise ValueError(f"{model._meta.label_lower}: a changed row without its registry row")
    fragments = [
        pl.when(pl.col(f"_old_{c}").fill_null("") != pl.col(c).fill_null("")).then(pl.concat_str([
            pl.lit(json.dumps(c) + ":["), _value_json(model, c, pl.col(f"_old_{c}")), pl.lit(","),
            _value_json(model, c, pl.col(c)), pl.lit("]")]))
        for c in cols]
    return rows.select(
        pl.lit(ChangeAction.UPDATE.value).alias("action"), pl.lit(model._meta.label_lower).alias("model"),
        pl.col("_id").cast(pl.Utf8).alias("object_id"), pl.col("household_id").cast(pl.Int64),
        pl.concat_str([pl.lit("{"), pl.concat_str(fragments, separator=",", ignore_nulls=True), pl.lit("}")])
        .alias("changes"),
    )


def merge_roster(diff: RosterDiff, *, batch_id: int, actor: Any,
                 step: Callable[[str], None] | None = None) -> dict[str, int]:
    """Write ``diff``; call inside ``transaction.atomic()`` holding the registry tables' lock
    (primary keys are reserved as one block). ``step(label)`` is called before each
    stage (progress, and the crash tests' hook). Returns rows written per kind.

    A load that is large against the tables (a county's first import) has the secondary indexes
    built once after the rows are in (:func:`fupin.core.bulk.indexes_built_after`)."""
    step = step or (lambda label: None)
    new_households = diff.households.filter(pl.col("state") == "new").height
    new_members = diff.members.filter(pl.col("state") == "new").height
    loads = {Household: new_households, Member: new_members, ChangeRecord: new_households}
    with indexes_built_after(loads) as rebuilt:
        written = _merge(diff, batch_id=batch_id, actor=actor, step=step)
        step("indexes")
    written["indexes_rebuilt"] = len(rebuilt)
    step("done")
    return written


def _created_households_audit(new_h: pl.DataFrame, members: pl.DataFrame, h_label: str) -> pl.DataFrame:
    """One ``create`` audit row per new household (see the module docstring)."""
    roll = (members.filter(pl.col("household_number").is_in(new_h["household_number"].implode()))
            .group_by("household_number").agg(
                pl.concat_str([pl.col("name"), pl.lit("("), pl.col("id_number"), pl.lit(")")])
                .str.join("、").alias("_members")))
    with_members = new_h.join(roll, on="household_number", how="left")
    return with_members.select(
        pl.lit(ChangeAction.CREATE.value).alias("action"), pl.lit(h_label).alias("model"),
        pl.col("id").cast(pl.Utf8).alias("object_id"), pl.col("id").alias("household_id"),
        pl.struct([pl.concat_list([pl.lit(None, pl.Utf8), pl.col(c).cast(pl.Utf8)]).alias(c)
                   for c in (*CREATE_AUDIT_FIELDS, "_members")])
        .struct.json_encode().str.replace('"_members":', '"members":', literal=True).alias("changes"),
    )


def _merge(diff: RosterDiff, *, batch_id: int, actor: Any, step: Callable[[str], None]) -> dict[str, int]:
    # Two helpers: the new households' audit rows, and (SQLite) the new members' staging file, both
    # made while the database loads the households.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="merge-ahead") as pool:
        return _merge_with(pool, diff, batch_id=batch_id, actor=actor, step=step)


def _merge_with(pool: ThreadPoolExecutor, diff: RosterDiff, *, batch_id: int, actor: Any,
                step: Callable[[str], None]) -> dict[str, int]:
    comment = batch_comment(batch_id)
    now = now_text()
    who = {"actor_id": getattr(actor, "pk", None), "actor_name": actor_name(actor)}
    audits: list[pl.DataFrame] = []
    h_label, m_label = Household._meta.label_lower, Member._meta.label_lower
    written: dict[str, int] = {}

    # 1. Members leaving an existing household.
    step("leaves")
    leaving = diff.leaving
    if leaving.height:
        if "leave_reason" not in leaving.columns:  # a diff kept from before the reasons were read
            leaving = leaving.with_columns(pl.lit(None, dtype=pl.Utf8).alias("moved_to"),
                                           pl.lit("other").alias("leave_reason"))
        written["members_left"] = update_frame(Member, leaving.select(
            "id", pl.lit("left").alias("status"), pl.col("leave_reason").alias("left_reason"),
            leave_comment(comment, batch_id, note="leave_note" in leaving.columns).alias("left_comment"),
            pl.lit(now).alias("left_at"),
            (pl.col("version") + 1).alias("version"), pl.lit(now).alias("updated_at"),
        ))
        audits.append(leaving.select(
            pl.lit(ChangeAction.STATUS.value).alias("action"), pl.lit(m_label).alias("model"),
            pl.col("id").cast(pl.Utf8).alias("object_id"), pl.col("household_id"),
            pl.concat_str([pl.lit('{"status": ["active", "left"], "left_reason": ["", "'), pl.col("leave_reason"),
                           pl.lit('"]}')]).alias("changes"),
        ))

    # 2. Changed members.
    step("member updates")
    members = diff.members
    changed_m = members.filter((pl.col("state") == "changed") & pl.col("m_id").is_not_null())
    if changed_m.height:
        extra = [c for c in ("sex", "birth_date", "id_kind") if c in changed_m.columns]
        written["members_changed"] = update_frame(Member, changed_m.select(
            pl.col("m_id").alias("id"), *_db_text(MEMBER_COMPARED), *extra,
            (pl.col("m_version") + 1).alias("version"), pl.lit(now).alias("updated_at"),
        ))
        audits.append(_update_audit(changed_m, diff.old_members, key="m_id", model=Member, cols=MEMBER_COMPARED))

    # 3. New households (ids reserved so members and audit rows can point at them).
    step("households")
    households = diff.households
    new_h = households.filter(pl.col("state") == "new")
    ids = reserve_id_block(Household, new_h.height)
    new_h = new_h.with_columns(pl.Series("id", ids, dtype=pl.Int64))
    new_m = members.filter(pl.col("state") == "new").join(
        new_h.select("household_number", pl.col("id").alias("_new_hh")), on="household_number", how="left",
    ).with_columns(pl.coalesce("hh_id", "_new_hh").alias("household_id"))
    member_ids = reserve_id_block(Member, new_m.height)
    new_m = new_m.with_columns(pl.Series("id", member_ids, dtype=pl.Int64))
    extra = [pl.col(c).cast(pl.Utf8) if c == "birth_date" else pl.col(c)
             for c in ("sex", "birth_date", "id_kind") if c in new_m.columns]
    # Made ready now: on SQLite a helper thread writes the members' staging file while the households
    # load (measured, 961k members: ~3 s).
    members_copy = prepare_copy(Member, new_m.select("id", "household_id", *_db_text(MEMBER_COMPARED), *extra),
                                constants={"version": 1, "status": "active"}, pool=pool)
    try:
        # The new households' create rows are made by a helper thread while the database loads the
        # households and members (Polars runs without the GIL; measured at 287k households: 0.9 s off
        # the merge).
        created = pool.submit(_created_households_audit, new_h, members, h_label) if new_h.height else None
        if new_h.height:
            ancestors = [(pl.col("village_code").str.slice(0, PREFIX_LENGTH[lv])
                          + pl.lit("0" * (12 - PREFIX_LENGTH[lv]))).alias(LEVEL_FIELD[lv]) for lv in range(1, 5)]
            written["households_new"] = copy_frame(Household, new_h.select(
                "id", "household_number", pl.col("village_code").alias("village_id"), "village_code", *ancestors,
                *_db_text([c for c in _HH_COLS if c != "village_code"]),
            ), constants={"version": 1, "status": "active"})

        # 4. New members (of new and of existing households).
        step("members")
        if new_m.height:
            written["members_new"] = run_copy(members_copy)
    finally:
        members_copy.discard()
    if new_m.height:
        in_old = new_m.filter(pl.col("hh_id").is_not_null())
        if in_old.height:
            audits.append(in_old.select(
                pl.lit(ChangeAction.CREATE.value).alias("action"), pl.lit(m_label).alias("model"),
                pl.col("id").cast(pl.Utf8).alias("object_id"), pl.col("household_id"),
                pl.struct([pl.concat_list([pl.lit(None, pl.Utf8), pl.col(c).cast(pl.Utf8)]).alias(c)
                           for c in MEMBER_COMPARED]).struct.json_encode().alias("changes"),
            ))

    # 5. Changed households.
    step("household updates")
    changed_h = households.filter(pl.col("own_changed"))
    if changed_h.height:
        ancestors = [(pl.col("village_code").str.slice(0, PREFIX_LENGTH[lv]) + pl.lit("0" * (12 - PREFIX_LENGTH[lv])))
                     .alias(LEVEL_FIELD[lv]) for lv in range(1, 5)]
        written["households_changed"] = update_frame(Household, changed_h.select(
            pl.col("hh_id").alias("id"), pl.col("village_code").alias("village_id"), *ancestors,
            *_db_text(_HH_COLS), (pl.col("hh_version") + 1).alias("version"),
            pl.lit(now).alias("updated_at"),
        ))
        audits.append(_update_audit(changed_h, diff.old_households, key="hh_id", model=Household, cols=_HH_COLS))

    # 6. Audit rows.
    step("audit")
    if created is not None:
        audits.append(created.result())
    if audits:
        village_of = pl.concat([
            households.filter(pl.col("hh_id").is_not_null()).select(pl.col("hh_id").alias("household_id"),
                                                                     "village_code"),
            new_h.select(pl.col("id").alias("household_id"), "village_code"),
        ])
        rows = pl.concat([a.select("action", "model", "object_id", pl.col("household_id").cast(pl.Int64), "changes")
                          for a in audits]).join(village_of, on="household_id", how="left")
        written["audit"] = copy_frame(ChangeRecord, rows.select(
            "action", "model", "object_id", "household_id", pl.col("village_code").fill_null("").alias("region_code"),
            "changes",
        ), constants={"actor_id": who["actor_id"], "actor_name": who["actor_name"], "source": SOURCE,
                      "comment": comment})
    return written
