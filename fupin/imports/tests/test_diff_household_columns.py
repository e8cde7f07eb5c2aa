"""只更新户信息 (import mode ``household_columns``, :mod:`fupin.imports.pipelines.diff_household_columns`): a
household roster (one row per household) updates those households' own columns — members, head and
size as registered, incomes computed again over the registered size."""

from __future__ import annotations

import io
import re

import polars as pl
import pytest
from django.test import Client

from fupin.core.models import ChangeRecord
from fupin.imports import services
from fupin.imports.choices import BatchStatus, ImportMode
from fupin.imports.models import ImportBatch
from fupin.imports.pipelines.export_roster import export_roster
from fupin.imports.tests.test_diff_members import csv_of, merge_reads_the_file_again_only_after_a_change
from fupin.imports.tests.test_views import household_rows, land_checked, roster_csv
from fupin.registry.models import Household, Member
from fupin.testing import MINGXI, first_village


@pytest.fixture(autouse=True)
def _sync_import(settings):
    settings.FUPIN_IMPORT_SYNC = True


def land_households(officer, data: bytes, *, file_name: str = "户花名册.csv") -> ImportBatch:
    batch = services.land_file(actor=officer, file_name=file_name, content=data, region_code=MINGXI, source="test",
                               mode=ImportMode.HOUSEHOLD_COLUMNS)
    return services.validate_batch(batch.pk, actor=officer)


def frame_csv(frame: pl.DataFrame) -> bytes:
    out = io.BytesIO()
    frame.write_csv(out)
    return out.getvalue()


@pytest.fixture
def registered(db, make_user):
    """A county officer and two registered households of three persons (工资性收入 6000, 生产经营性收入 1500:
    年人均纯收入 2500.00)."""
    village = first_village(MINGXI)
    officer = make_user("county", MINGXI)
    households = [household_rows(village, f"{village}5800{i}", members=3) for i in range(2)]
    services.merge_batch(actor=officer, batch_id=land_checked(officer, [r for h in households for r in h]).pk)
    return officer, village, households


def test_the_household_roster_comes_back_with_new_incomes_and_housing(registered):
    """The 户花名册 export, as it is, changes nothing; with a new 工资性收入 (and 年人均纯收入 cleared) for the
    first household and 危房户 D for the second: both change, the income is computed again over the
    registered three persons, members and size stay, one audit row per household."""
    officer, _village, households = registered
    roster = pl.read_csv(io.BytesIO(export_roster(None, MINGXI, "csv", "households")), infer_schema=False)
    assert roster.height == 2
    as_is = land_households(officer, frame_csv(roster))
    assert as_is.status == BatchStatus.REVIEW, as_is.error
    assert (as_is.mode, as_is.rows_read, as_is.rows_imported, as_is.rows_rejected) == ("household_columns", 2, 2, 0), \
        list(as_is.rejections.values_list("row_number", "column", "reason"))
    assert (as_is.households_changed, as_is.households_unchanged, as_is.persons_left) == (0, 2, 0)
    client = Client()
    client.force_login(officer)
    html = client.get(f"/imports/{as_is.pk}/").content.decode()
    # no person is read in this mode: the persons' counts show —, not 0
    assert re.search(r'<tr id="persons-counts"><th>[^<]*</th>(<td class="num [a-z]+">—</td>){4}</tr>', html)
    assert '<td class="num persons-left">—</td>' in html
    services.refuse_batch(actor=officer, batch_id=as_is.pk, comment="未改")

    first, second = households[0][0]["户编号"], households[1][0]["户编号"]
    edited = roster.with_columns(
        pl.when(pl.col("户编号") == first).then(pl.lit("12000")).otherwise(pl.col("工资性收入")).alias("工资性收入"),
        pl.when(pl.col("户编号") == first).then(pl.lit("")).otherwise(pl.col("年人均纯收入")).alias("年人均纯收入"),
        pl.when(pl.col("户编号") == second).then(pl.lit("D")).otherwise(pl.col("危房户")).alias("危房户"))
    batch = land_households(officer, frame_csv(edited))
    assert (batch.rows_rejected, batch.households_changed, batch.households_unchanged) == (0, 2, 0)
    audit_before = ChangeRecord.objects.count()
    services.merge_batch(actor=officer, batch_id=batch.pk)
    one, two = Household.objects.get(household_number=first), Household.objects.get(household_number=second)
    assert (str(one.income_wage), str(one.income_per_capita), one.size, one.version) == ("12000.00", "4500.00", 3, 2)
    assert (two.dilapidated_grade, str(two.income_per_capita), two.version) == ("D", "2500.00", 2)
    assert Member.objects.filter(status="active").count() == 6 and not Member.objects.exclude(version=1).exists()
    audit = list(ChangeRecord.objects.order_by("id")[audit_before:])
    assert [(a.action, a.model) for a in audit] == [("update", "registry.household")] * 2
    assert audit[0].changes == {"income_wage": ["6000.00", "12000.00"], "income_net": ["7500.00", "13500.00"],
                                "income_per_capita": ["2500.00", "4500.00"]}


def test_households_that_cannot_take_their_row_are_rejected_with_the_reason(registered):
    """A 户编号 not registered; 年人均纯收入 disagreeing with the lines over the registered size (the
    expected figure named); 计划脱贫年度 before the registered 识别年度 (the file lacks that column); a
    village other than the household's."""
    officer, village, households = registered
    other_village = first_village(MINGXI, 1)
    a, b = households[0][0], households[1][0]
    headers = ["行政区划代码", "户编号", "工资性收入", "年人均纯收入", "计划脱贫年度"]
    rows = [
        {"行政区划代码": village, "户编号": f"{village}58999", "工资性收入": "100"},  # row 2
        {"行政区划代码": village, "户编号": a["户编号"], "工资性收入": "9000", "年人均纯收入": "3500"},  # 3: should be 3500.00
        {"行政区划代码": village, "户编号": a["户编号"], "工资性收入": "9000", "年人均纯收入": "3500"},  # 4: same household, agrees
        {"行政区划代码": village, "户编号": b["户编号"], "工资性收入": "9000", "年人均纯收入": "4000"},  # 5: wrong
    ]
    batch = land_households(officer, csv_of(rows, headers))
    assert (batch.rows_read, batch.rows_imported, batch.rows_rejected, batch.households_changed) == (4, 2, 2, 1), \
        list(batch.rejections.values_list("row_number", "reason"))
    reasons = {r.row_number: (r.column, r.reason) for r in batch.rejections.all()}
    assert reasons[2] == ("户编号", "户编号不在登记库中;只更新户信息时不新增户,请以整户导入 / the household number is not in "
                                    "the registry; updating household columns adds no household (import whole "
                                    "households)")
    assert reasons[5] == ("年人均纯收入", "年人均纯收入与各项收入不符(按3人计算应为3500.00) / per-capita income disagrees "
                                        "with the income lines (expected 3500.00 for 3 persons)")
    refused = land_households(officer, csv_of([{"行政区划代码": village, "户编号": a["户编号"], "计划脱贫年度": "2013"},
                                               {"行政区划代码": other_village, "户编号": b["户编号"],
                                                "计划脱贫年度": "2020"}], headers))
    reasons = {r.row_number: (r.column, r.reason) for r in refused.rejections.all()}
    assert reasons[2] == ("计划脱贫年度", "计划脱贫年度早于识别年度 / planned exit before identification")
    assert reasons[3][0] == "行政区划代码" and reasons[3][1].startswith(f"行政村与登记不符(登记在{village})")


def test_a_person_roster_in_this_mode_updates_household_columns_only(registered):
    """The same person roster with a new 联系电话 and one extra person: the phone changes, nobody joins or
    changes (person columns are not read); a file with only 户编号, 联系电话 and 开户银行 (no village columns)
    too (a header is found by at least three roster columns)."""
    officer, _village, households = registered
    extra = dict(households[0][1], 证件号码="350421199001011237", 姓名="新人")
    rows = [dict(r, 联系电话="13800000000") for r in households[0]] + [dict(extra, 联系电话="13800000000")]
    batch = land_households(officer, roster_csv(rows), file_name="花名册.csv")
    assert (batch.rows_read, batch.rows_imported, batch.households_changed, batch.persons_new) == (4, 4, 1, 0), \
        list(batch.rejections.values_list("reason"))
    services.merge_batch(actor=officer, batch_id=batch.pk)
    household = Household.objects.get(household_number=households[0][0]["户编号"])
    assert (household.phone, household.size, Member.objects.filter(household=household).count()) == ("13800000000", 3, 3)
    minimal = land_households(officer, csv_of([{"户编号": households[1][0]["户编号"], "联系电话": "13900000000",
                                                "开户银行": "明溪农商行"}], ["户编号", "联系电话", "开户银行"]))
    assert (minimal.rows_rejected, minimal.households_changed) == (0, 1), list(minimal.rejections.values_list("reason"))
    services.merge_batch(actor=officer, batch_id=minimal.pk)
    assert Household.objects.get(household_number=households[1][0]["户编号"]).phone == "13900000000"


def test_a_household_roster_is_refused_in_the_other_modes_and_needs_its_household_number(registered):
    officer, _village, _households = registered
    roster = export_roster(None, MINGXI, "csv", "households")
    whole = services.land_file(actor=officer, file_name="户花名册.csv", content=roster, region_code=MINGXI, source="test")
    failed = services.validate_batch(whole.pk, actor=officer)
    assert failed.status == BatchStatus.FAILED and "这是户花名册" in failed.error
    no_number = land_households(officer, csv_of([{"户主姓名": "张三", "工资性收入": "1"}],
                                                ["户主姓名", "行政区划代码", "工资性收入", "低保金"]))
    assert no_number.status == BatchStatus.FAILED and "表头中没有户编号列" in no_number.error


def test_the_command_takes_a_household_roster_with_household_columns_only(registered, tmp_path):
    """``fupin import --household-columns-only`` with the 户花名册 export, one 低保金 filled in."""
    from django.core.management import call_command

    _officer, _village, households = registered
    roster = pl.read_csv(io.BytesIO(export_roster(None, MINGXI, "csv", "households")), infer_schema=False)
    first = households[0][0]["户编号"]
    path = tmp_path / "户花名册.csv"
    roster.with_columns(pl.when(pl.col("户编号") == first).then(pl.lit("1500")).otherwise(pl.col("低保金")).alias("低保金"),
                        pl.when(pl.col("户编号") == first).then(pl.lit("3000")).otherwise(pl.col("年人均纯收入"))
                        .alias("年人均纯收入")).write_csv(path)
    out = io.StringIO()
    call_command("import", str(path), "--household-columns-only", "--no-progress", stdout=out, stderr=io.StringIO())
    assert "导入方式:只更新户信息" in out.getvalue() and "read=2 imported=2 rejected=0" in out.getvalue()
    household = Household.objects.get(household_number=first)
    assert (str(household.transfer_dibao), str(household.income_per_capita)) == ("1500.00", "3000.00")
    assert ImportBatch.objects.latest("pk").mode == "household_columns"



def test_the_merge_writes_the_reviewed_diff_and_checks_the_file_again_after_a_change(registered, monkeypatch):
    merge_reads_the_file_again_only_after_a_change(land_households, registered, monkeypatch)


def test_a_category_given_without_its_form_version_brings_the_version_it_reads_as(registered):
    """贫困户属性 decides its form version when 属性版本 is not given: 五保户 (a 2014-form category) over a
    registered 2016-form 一般贫困户 writes category 4 of the 2014 form, not 4 under the 2016 form."""
    officer, _village, households = registered
    number = households[0][0]["户编号"]
    batch = land_households(officer, csv_of([{"户编号": number, "贫困户属性": "五保户", "联系电话": "13600000000"}],
                                            ["户编号", "贫困户属性", "联系电话"]))
    assert (batch.rows_rejected, batch.households_changed) == (0, 1), list(batch.rejections.values_list("reason"))
    services.merge_batch(actor=officer, batch_id=batch.pk)
    household = Household.objects.get(household_number=number)
    assert (household.category, household.category_form_version) == ("4", "2014")
