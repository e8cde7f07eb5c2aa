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
