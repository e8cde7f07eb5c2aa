"""变更明细: what a diff would change in registered households, field by field (rows built from the registry)."""

from __future__ import annotations

import polars as pl
import pytest

from fupin.imports.pipelines.change_list import CHANGE_SCHEMA, by_field, change_list, header, masked_changes
from fupin.registry.models import Member
from fupin.testing import MINGXI, first_village, next_id_number

from .test_merge import diff_of, rows_of

pytestmark = pytest.mark.django_db


def test_unchanged_file_lists_no_change(make_household):
    diff = diff_of(rows_of([make_household(members=3), make_household(members=2)]))
    changes = change_list(diff)
    assert changes.height == 0 and changes.schema == pl.Schema(CHANGE_SCHEMA)
    assert by_field(changes) == []


def test_fields_joins_and_leaves_are_listed_with_old_and_new_values(make_household):
    h1, h2, h3 = make_household(members=3), make_household(members=2), make_household(members=2)
    valid = rows_of([h1, h2, h3])
    ids = valid.filter(pl.col("household_number") == h1.household_number)["id_number"].to_list()
    renamed, leaving = ids[1], ids[2]
    old_name = Member.objects.get(id_number=renamed).name
    leaver = Member.objects.get(id_number=leaving)
    joiner = next_id_number()
    new_household = valid.filter(pl.col("household_number") == h3.household_number).with_columns(
        pl.lit("35042110000199001").alias("household_number"), pl.lit(first_village(MINGXI, 1)).alias("village_code"),
        pl.Series("id_number", [next_id_number(), next_id_number()]))
    joining = valid.filter(pl.col("id_number") == ids[1]).with_columns(
        pl.lit(joiner).alias("id_number"), pl.lit("新成员").alias("name"), pl.lit("05").alias("relation"),
        pl.lit(99, pl.Int64).alias("_row"))
    valid = pl.concat([
        valid.filter(pl.col("id_number") != leaving).with_columns(
            pl.when(pl.col("household_number") == h2.household_number).then(pl.lit("13800000000"))
            .otherwise(pl.col("phone")).alias("phone"),
            pl.when(pl.col("household_number") == h2.household_number).then(pl.lit("3"))
            .otherwise(pl.col("main_cause")).alias("main_cause"),
            pl.when(pl.col("id_number") == renamed).then(pl.lit("新名字")).otherwise(pl.col("name")).alias("name"),
        ),
        joining, new_household,
    ])
    diff = diff_of(valid)
    changes = change_list(diff)
    h2.refresh_from_db()

    listed = {(r["household_number"], r["change"], r["field"]): r for r in changes.iter_rows(named=True)}
    # Household fields of h2, with the roster's headers and labels for codes.
    phone = listed[(h2.household_number, "household", "phone")]
    assert (phone["header"], phone["old"], phone["new"], phone["id_number"]) == ("联系电话", h2.phone, "13800000000", "")
    assert phone["name"] == h2.head_name and phone["village_code"] == h2.village_code
    cause = listed[(h2.household_number, "household", "main_cause")]
    assert (cause["header"], cause["old"], cause["new"]) == ("主要致贫原因", "因病", "因学")
    # h1: a member renamed, one leaving, one joining; size and per-capita income follow.
    name = listed[(h1.household_number, "member_changed", "name")]
    assert (name["id_number"], name["old"], name["new"]) == (renamed, old_name, "新名字")
    left = listed[(h1.household_number, "member_left", "relation")]
    assert (left["id_number"], left["name"], left["new"]) == (leaving, leaver.name, "")
    joined = listed[(h1.household_number, "member_new", "relation")]
    assert (joined["id_number"], joined["name"], joined["old"], joined["new"]) == (joiner, "新成员", "", "之儿媳")
    assert (h1.household_number, "household", "size") not in listed  # one left, one joined: still 3
    # New households are not listed; unchanged h3 neither.
    assert {r["household_number"] for r in changes.iter_rows(named=True)} == {h1.household_number, h2.household_number}
    # Ordered by village, household, kind.
    assert changes.select("village_code", "household_number").rows() == sorted(
        changes.select("village_code", "household_number").rows())

    summary = {(s["change"], s["field"]): (s["rows"], s["households"]) for s in by_field(changes)}
    assert summary[("household", "phone")] == (1, 1)
    assert summary[("member_left", "relation")] == (1, 1)
    assert next(iter(summary))[0] == "household"


def test_size_and_income_per_capita_change_when_a_member_leaves(make_household):
    h1 = make_household(members=3)
    valid = rows_of([h1])
    valid = valid.filter(pl.col("id_number") != valid["id_number"][2])
    changes = change_list(diff_of(valid))
    rows = {r["field"]: (r["old"], r["new"]) for r in changes.iter_rows(named=True) if r["change"] == "household"}
    assert rows["size"] == ("3", "2")
    assert "income_per_capita" in rows


def test_masked_changes_hide_id_numbers_and_accounts():
    frame = pl.DataFrame([
        ("350421000000", "H1", "", "户主", "household", "bank_account", "银行账号", "6217001234567890123", "6217009999999990000"),
        ("350421000000", "H1", "350421199001011234", "张三", "member_changed", "id_number", "证件号码",
         "350421199001011234", "35042119900101123X"),
        ("350421000000", "H1", "350421199001011234", "张三", "member_changed", "name", "姓名", "张三", "张叁"),
    ], schema=CHANGE_SCHEMA, orient="row")
    masked = masked_changes(frame).rows()
    assert masked[0][7:] == ("***************0123", "***************0000")
    assert masked[1][2] == "3504**********1234" and masked[1][7:] == ("3504**********1234", "3504**********123X")
    assert masked[2][7:] == ("张三", "张叁")
    assert masked[0][2] == ""


def test_headers():
    assert header("migrant_months") == "务工时间"
    assert header("income_per_capita") == "年人均纯收入"
    assert header("other_cause_2") == "其他致贫原因二"
