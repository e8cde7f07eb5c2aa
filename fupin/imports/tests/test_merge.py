"""Diff and merge of roster rows against the registry (no file reading: rows built from the registry)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from fupin.core.models import ChangeRecord
from fupin.imports.pipelines import registry_frames
from fupin.imports.pipelines.diff_roster import HOUSEHOLD_COMPARED, MEMBER_COMPARED, diff_roster
from fupin.imports.pipelines.merge_roster import merge_roster
from fupin.registry.models import Household, Member
from fupin.testing import MINGXI, first_village, next_id_number

pytestmark = pytest.mark.django_db


def rows_of(households: list[Household]) -> pl.DataFrame:
    """Contract-shaped accepted rows (as check_roster gives them) for registry households."""
    numbers = [h.household_number for h in households]
    hh = registry_frames.registry_households(numbers).select("id", "household_number", "village_code",
                                                             *HOUSEHOLD_COMPARED)
    mm = registry_frames.registry_members(numbers).select("household_id", *MEMBER_COMPARED)
    rows = (mm.join(hh.rename({"id": "household_id"}), on="household_id").drop("household_id")
            .sort("household_number", "relation", "id_number"))
    return rows.with_row_index("_row", offset=2).with_columns(
        pl.col("_row").cast(pl.Int64), pl.lit("1").alias("sex"), pl.lit(date(1970, 5, 1)).alias("birth_date"),
        pl.lit("resident").alias("id_kind"))


def diff_of(valid: pl.DataFrame, allowed: list[str] | None = None):
    numbers = valid["household_number"].unique().to_list()
    return diff_roster(
        valid, registry_households=registry_frames.registry_households(numbers),
        registry_members=registry_frames.registry_members(numbers),
        active_members=registry_frames.active_members_frame(),
        allowed_villages=allowed if allowed is not None else registry_frames.villages_frame(None)["code"].to_list(),
    )


def snapshot() -> tuple:
    return (list(Household.objects.order_by("pk").values()), list(Member.objects.order_by("pk").values()),
            ChangeRecord.objects.count())


def test_same_rows_are_unchanged_and_merge_writes_nothing(make_household):
    households = [make_household(members=3), make_household(members=2)]
    valid = rows_of(households)
    diff = diff_of(valid)
    assert diff.counts["households_unchanged"] == 2
    assert (diff.counts["households_new"], diff.counts["households_changed"]) == (0, 0)
    assert diff.counts["persons_unchanged"] == 5
    before = snapshot()
    merge_roster(diff, batch_id=1, actor=None)
    assert snapshot() == before


def test_changed_member_and_household_fields_are_written_and_audited(make_household):
    h1, h2 = make_household(members=3), make_household(members=2)
    valid = rows_of([h1, h2])
    first_member = valid.filter(pl.col("household_number") == h1.household_number)["id_number"][1]
    old_name = Member.objects.get(id_number=first_member).name
    valid = valid.with_columns(
        pl.when(pl.col("household_number") == h1.household_number).then(pl.lit("13800000000"))
        .otherwise(pl.col("phone")).alias("phone"),
        pl.when(pl.col("id_number") == first_member).then(pl.lit("新名字")).otherwise(pl.col("name")).alias("name"),
    )
    diff = diff_of(valid)
    assert (diff.counts["households_changed"], diff.counts["households_unchanged"]) == (1, 1)
    assert (diff.counts["persons_changed"], diff.counts["persons_unchanged"]) == (1, 4)
    records = ChangeRecord.objects.count()
    merge_roster(diff, batch_id=7, actor=None)
    h1.refresh_from_db()
    assert (h1.phone, h1.version) == ("13800000000", 2)
    member = Member.objects.get(id_number=first_member)
    assert (member.name, member.version) == ("新名字", 2)
    new = ChangeRecord.objects.filter(source="import").order_by("model")
    assert ChangeRecord.objects.count() == records + 2
    assert [(r.model, r.changes, r.comment) for r in new] == [
        ("registry.household", {"phone": ["", "13800000000"]}, "导入批次 #7"),
        ("registry.member", {"name": [old_name, "新名字"]}, "导入批次 #7"),
    ]


def test_new_household_and_leaving_member(make_household):
    h1 = make_household(members=3)
    valid = rows_of([h1])
    leaving_id = valid["id_number"][2]
    village = first_village(MINGXI, 1)
    new_rows = valid.head(2).with_columns(
        pl.lit("35042110000199001").alias("household_number"), pl.lit(village).alias("village_code"),
        pl.Series("id_number", [next_id_number(), next_id_number()]), pl.Series("_row", [10, 11], dtype=pl.Int64))
    valid = pl.concat([valid.filter(pl.col("id_number") != leaving_id), new_rows])
    diff = diff_of(valid)
    assert diff.counts["households_new"] == 1 and diff.counts["households_changed"] == 1
    assert diff.counts["persons_new"] == 2 and diff.counts["persons_left"] == 1
    merge_roster(diff, batch_id=3, actor=None)
    new = Household.objects.get(household_number="35042110000199001")
    assert (new.size, new.village_code, new.county_code, new.version) == (2, village, MINGXI, 1)
    assert new.head_name == new.members.get(relation="01").name
    assert new.income_per_capita == h1.income_net / 2
    left = Member.objects.get(id_number=leaving_id)
    assert (left.status, left.left_reason) == ("left", "other")
    assert "导入批次 #3" in left.left_comment
    h1.refresh_from_db()
    assert h1.size == 2 and h1.version == 2


def test_a_person_the_file_lists_in_another_household_leaves_with_where_they_went(make_household):
    """分户 and 迁出 read from the file: a member listed in a household new in the batch has split off,
    one listed in another registered household has moved there; the Member rows, their comments, the
    audit rows and the list of changes say so. A member the file lists nowhere leaves for 其他."""
    import json as json_

    from fupin.imports.pipelines.change_list import change_list

    h1, h2 = make_household(members=3), make_household(members=3)
    valid = rows_of([h1, h2])
    ids1 = valid.filter(pl.col("household_number") == h1.household_number)["id_number"].to_list()
    ids2 = valid.filter(pl.col("household_number") == h2.household_number)["id_number"].to_list()
    splitter, mover, gone = ids1[1], ids1[2], ids2[2]
    household_cols = ["household_number", "village_code", *[c for c in HOUSEHOLD_COMPARED if c in valid.columns]]
    h2_values = valid.filter(pl.col("household_number") == h2.household_number).select(household_cols).head(1)
    moved = valid.filter(pl.col("id_number") == mover).drop(household_cols).hstack(h2_values)
    split_off = valid.filter(pl.col("id_number") == splitter).with_columns(
        pl.lit("35042110000199002").alias("household_number"), pl.lit("01").alias("relation"))
    spouse = split_off.with_columns(pl.lit(next_id_number()).alias("id_number"), pl.lit("02").alias("relation"),
                                    pl.lit(98, pl.Int64).alias("_row"))
    valid = pl.concat([valid.filter(~pl.col("id_number").is_in([splitter, mover, gone])),
                       moved.select(valid.columns), split_off, spouse])
    diff = diff_of(valid)
    assert diff.counts["persons_left"] == 3 and diff.counts["households_new"] == 1
    reasons = dict(zip(diff.leaving["id_number"], zip(diff.leaving["leave_reason"], diff.leaving["moved_to"],
                                                      strict=True), strict=True))
    assert reasons == {splitter: ("split", "35042110000199002"), mover: ("moved_out", h2.household_number),
                       gone: ("other", None)}
    changes = {(r["household_number"], r["id_number"]): r["new"] for r in change_list(diff).iter_rows(named=True)
               if r["change"] == "member_left"}
    assert changes == {(h1.household_number, splitter): "分户至户 35042110000199002",
                       (h1.household_number, mover): f"迁至户 {h2.household_number}", (h2.household_number, gone): ""}
    merge_roster(diff, batch_id=5, actor=None)
    left = {m.id_number: m for m in Member.objects.filter(status="left")}
    assert {i: m.left_reason for i, m in left.items()} == {splitter: "split", mover: "moved_out", gone: "other"}
    assert left[splitter].left_comment == ("导入批次 #5:分户至户 35042110000199002 / split off to household "
                                           "35042110000199002 in import batch #5")
    assert left[mover].left_comment.startswith(f"导入批次 #5:迁至户 {h2.household_number} / moved to household")
    assert left[gone].left_comment.startswith("导入批次 #5:文件中该户无此成员")
    # each person is active once, in the household the file put them in
    active = {m.id_number: m.household.household_number for m in Member.objects.filter(status="active")}
    assert (active[splitter], active[mover]) == ("35042110000199002", h2.household_number)
    assert gone not in active
    audits = {r.object_id: r.changes for r in ChangeRecord.objects.filter(source="import", action="status")}
    assert {int(k): v["left_reason"] for k, v in audits.items()} == {
        left[splitter].pk: ["", "split"], left[mover].pk: ["", "moved_out"], left[gone].pk: ["", "other"]}
    assert all(v["status"] == ["active", "left"] for v in audits.values())
    assert json_.dumps(audits[str(left[gone].pk)], ensure_ascii=False) == (
        '{"status": ["active", "left"], "left_reason": ["", "other"]}')


def _moved(valid: pl.DataFrame, moves: dict[str, str]) -> pl.DataFrame:
    """``valid`` with each person of ``moves`` (ID number → 户编号) listed in that household."""
    return valid.with_columns(pl.col("id_number").replace_strict(moves, default=pl.col("household_number"))
                              .alias("household_number"))


def _second(valid: pl.DataFrame, household: Household) -> str:
    return valid.filter(pl.col("household_number") == household.household_number)["id_number"][1]


def _rejected_by_check(valid: pl.DataFrame, household: Household) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the check's rejections of every row of ``household``, as for a bad 致贫原因; its persons)."""
    from fupin.imports.pipelines.diff_roster import REJECTION_SCHEMA

    rows = valid.filter(pl.col("household_number") == household.household_number)
    n = rows.height
    prior = pl.DataFrame({"_row": rows["_row"].to_list(), "column": ["主要致贫原因"] * n, "value": ["因穷"] * n,
                          "reason": ["不是有效的致贫原因代码"] * n, "household_number": [household.household_number] * n,
                          "village_code": rows["village_code"].to_list()}, schema=REJECTION_SCHEMA)
    return prior, rows.select("household_number", "id_number")


def _diff_without(valid: pl.DataFrame, households: list[Household], rejected: Household, prior: pl.DataFrame,
                  prior_persons: pl.DataFrame | None = None):
    numbers = [h.household_number for h in households]
    return diff_roster(
        valid.filter(pl.col("household_number") != rejected.household_number),
        registry_households=registry_frames.registry_households(numbers),
        registry_members=registry_frames.registry_members(numbers),
        active_members=registry_frames.active_members_frame(),
        allowed_villages=registry_frames.villages_frame(None)["code"].to_list(), prior_rejections=prior,
        prior_persons=prior_persons)


def test_a_household_taking_a_person_from_a_rejected_one_is_rejected_down_the_chain(make_household):
    """一人一户 against the registry, to a fixed point: h1 is rejected (a row the check refused); h2 takes a
    person registered in h1, so it is rejected; h3 takes one registered in h2, so it is rejected too.
    (Until the sixteenth session the loop restarted from the first rejections each round and could
    stop one round short, letting a person be written active in two households.)"""
    households = [make_household(members=2) for _ in range(4)]
    h1, h2, h3, h4 = households
    valid = rows_of(households)
    valid = _moved(valid, {_second(valid, h1): h2.household_number, _second(valid, h2): h3.household_number})
    prior, _persons = _rejected_by_check(valid, h1)
    diff = _diff_without(valid, households, h1, prior)
    assert diff.households["household_number"].to_list() == [h4.household_number]
    assert set(diff.rejections["household_number"]) == {h2.household_number, h3.household_number}
    assert diff.counts["persons_left"] == 0 and diff.leaving.height == 0


def test_a_household_whose_member_moves_into_a_rejected_one_is_held_back_down_the_chain(make_household):
    """R7: the file moves x from h2 into h1, and h1 is rejected (a row the check refused): x stays in h2,
    and h2 — in the file without x — is held back with them rather than x leaving it as 其他; h2 in turn
    takes y from h3, so h3 is held back too. Nobody leaves; h4 comes in."""
    households = [make_household(members=2) for _ in range(4)]
    h1, h2, h3, h4 = households
    valid = rows_of(households)
    x, y = _second(valid, h2), _second(valid, h3)
    valid = _moved(valid, {x: h1.household_number, y: h2.household_number})
    prior, persons = _rejected_by_check(valid, h1)
    assert prior.height == 3

    held = _diff_without(valid, households, h1, prior, persons)
    assert held.households["household_number"].to_list() == [h4.household_number]
    reasons = {r["household_number"]: r["reason"] for r in held.rejections.iter_rows(named=True)
               if r["reason"].startswith("本户有成员")}
    assert reasons == {h.household_number: f"本户有成员在文件中列入户编号 {to.household_number},该户未导入,本户随之暂不导入 / a "
                                           f"member of this household is listed in household {to.household_number}, "
                                           "which was not imported; this household is held back with them"
                       for h, to in ((h2, h1), (h3, h2))}
    assert set(held.rejections["household_number"]) == {h2.household_number, h3.household_number}
    assert held.counts["persons_left"] == 0 and held.counts["rows_imported"] == 2
    # without the rejected rows' persons (as before the twenty-first session), x left h2 as 其他 and y
    # left h3 for h2
    before = _diff_without(valid, households, h1, prior)
    assert dict(zip(before.leaving["id_number"], before.leaving["leave_reason"], strict=True)) == {
        x: "other", y: "moved_out"}


def test_rows_for_a_household_outside_the_allowed_villages_are_rejected(make_household):
    h1 = make_household(members=2)
    valid = rows_of([h1])
    diff = diff_of(valid, allowed=[first_village(MINGXI, 5)])
    assert diff.counts["rows_imported"] == 0
    assert diff.rejections["_row"].to_list() == valid["_row"].to_list()


@pytest.mark.parametrize("status, words", [
    ("left", "该户已注销"), ("applicant", "正在识别程序中"), ("declined", "申请未获纳入"), ("monitored", "该户为监测户"),
])
def test_a_household_not_on_the_registry_is_rejected_with_its_own_reason(make_household, status, words):
    household = make_household(members=2)
    valid = rows_of([household])
    Household.objects.filter(pk=household.pk).update(status=status)
    before = snapshot()
    diff = diff_of(valid)
    assert diff.counts["rows_imported"] == 0
    first = diff.rejections.filter(pl.col("_row") == valid["_row"].min())
    assert first["column"].to_list() == ["户编号"]
    assert words in first["reason"].item()
    assert diff.rejections["_row"].n_unique() == 2  # the household whole
    merge_roster(diff, batch_id=9, actor=None)
    assert snapshot() == before
