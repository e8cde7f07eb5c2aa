"""只更新所列成员 (import mode ``members``, :mod:`fupin.imports.pipelines.diff_members`): a list of some
persons updates those persons only — nobody added, moved or leaving, households as registered."""

from __future__ import annotations

import csv
import io
from datetime import date

import polars as pl
import pytest

from fupin.core.models import ChangeRecord
from fupin.imports import roster, services
from fupin.imports.choices import BatchStatus, ImportMode
from fupin.imports.models import ImportBatch
from fupin.imports.pipelines.export_roster import export_roster
from fupin.imports.roster_filter import parse_filter
from fupin.imports.tests.test_views import household_rows, land_checked, person_row, roster_csv
from fupin.registry.models import Household, Member
from fupin.testing import MINGXI, MINGXI_TOWNSHIP, first_village


@pytest.fixture(autouse=True)
def _sync_import(settings):
    settings.FUPIN_IMPORT_SYNC = True


def land_members(officer, data: bytes, *, file_name: str = "务工名单.csv", region_code: str = MINGXI) -> ImportBatch:
    batch = services.land_file(actor=officer, file_name=file_name, content=data, region_code=region_code,
                               source="test", mode=ImportMode.MEMBERS)
    return services.validate_batch(batch.pk, actor=officer)


def csv_of(rows: list[dict[str, str]], headers: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=headers)
    writer.writeheader()
    for row in rows:
        writer.writerow({h: row.get(h, "") for h in headers})
    return out.getvalue().encode("utf-8")


@pytest.fixture
def registered(db, make_user):
    """A county officer and three registered households of four persons in 明溪县's first village."""
    village = first_village(MINGXI)
    officer = make_user("county", MINGXI)
    households = [household_rows(village, f"{village}6000{i}", members=4) for i in range(3)]
    for household in households:
        household[3]["劳动技能"] = "4"  # 无劳动力: not in a 劳动力 list
    batch = land_checked(officer, [row for h in households for row in h])
    services.merge_batch(actor=officer, batch_id=batch.pk)
    return officer, village, households


def test_a_list_of_some_members_updates_them_and_no_one_leaves(registered):
    """The second member of each household, two with a new 务工状况 and 务工时间; the list's household
    columns disagree with the registry (income, cause) or are invalid (贫困户属性, 识别年度) and are not
    read: no rejection,
    nobody leaves, households keep size, cause and income; one audit row per changed person."""
    officer, _village, households = registered
    listed = [dict(households[0][1], 务工状况="2", 务工时间="6"), dict(households[1][1], 务工状况="4", 务工时间="10"),
              dict(households[2][1], 主要致贫原因="因学", 工资性收入="99999", 年人均纯收入="1.00", 贫困户属性="乱码",
                   识别年度="1800")]
    batch = land_members(officer, roster_csv(listed))
    assert batch.status == BatchStatus.REVIEW, batch.error
    assert (batch.mode, batch.rows_read, batch.rows_imported, batch.rows_rejected) == ("members", 3, 3, 0)
    assert (batch.persons_changed, batch.persons_unchanged, batch.persons_new, batch.persons_left) == (2, 1, 0, 0)
    assert (batch.households_changed, batch.households_unchanged, batch.households_new) == (2, 1, 0)
    assert (batch.households_absent, batch.many_leaving) == (0, False)
    before = {h.household_number: (h.size, h.main_cause, h.income_per_capita, h.version) for h in Household.objects.all()}
    audit_before = ChangeRecord.objects.count()

    services.merge_batch(actor=officer, batch_id=batch.pk)
    assert Member.objects.filter(status="active").count() == 12
    after = {h.household_number: (h.size, h.main_cause, h.income_per_capita, h.version) for h in Household.objects.all()}
    assert after == before
    first = Member.objects.get(id_number=households[0][1]["证件号码"])
    assert (first.migrant_work, first.migrant_months, first.version) == ("2", 6, 2)
    untouched = Member.objects.get(id_number=households[0][2]["证件号码"])
    assert (untouched.migrant_work, untouched.version) == ("", 1)
    audit = ChangeRecord.objects.order_by("id")[audit_before:]
    assert [(a.action, a.model) for a in audit] == [("update", "registry.member")] * 2
    assert audit[0].changes == {"migrant_work": ["", "2"], "migrant_months": [0, 6]}

    again = land_members(officer, roster_csv(listed))  # the same list again: nothing to change
    assert (again.persons_changed, again.persons_unchanged, again.households_changed) == (0, 3, 0)


def test_rows_not_matching_a_registered_member_are_rejected_alone_with_the_reason(registered, make_household):
    """Each bad row is rejected by itself (its household's other listed rows still go in): a new
    person, a person registered in another household, an unknown 户编号, a change of head, a village
    other than the household's, 务工时间 without 务工状况."""
    officer, village, households = registered
    other_village = first_village(MINGXI, 1)
    a, b = households[0], households[1]
    rows = [
        dict(a[1], 文化程度="4"),  # row 2: fine
        person_row(village, a[0]["户编号"], "03"),  # 3: a new person
        dict(b[2], 户编号=a[0]["户编号"]),  # 4: registered in household b
        dict(a[2], 户编号=f"{village}69999"),  # 5: no such household
        dict(a[3], 与户主关系="01"),  # 6: would become a second head
        dict(b[1], 行政区划代码=other_village),  # 7: another village
        dict(b[3], 务工时间="3"),  # 8: months without migrant work
    ]
    batch = land_members(officer, roster_csv(rows))
    assert (batch.rows_read, batch.rows_imported, batch.rows_rejected, batch.persons_changed) == (7, 1, 6, 1)
    reasons = {r.row_number: (r.column, r.reason) for r in batch.rejections.order_by("row_number")}
    assert reasons[3] == ("证件号码", "该人不是本户在册成员;只更新所列成员时不新增、不迁移成员,请以整户导入 / not an active "
                                      "member of this household; updating listed persons neither adds nor moves anyone "
                                      "(import whole households)")
    assert reasons[4][0] == "证件号码" and reasons[4][1].startswith(f"该人登记在户编号 {b[0]['户编号']},不是本户在册成员")
    assert reasons[5] == ("户编号", "户编号不在登记库中;只更新所列成员时不新增户,请以整户导入 / the household number is not "
                                    "in the registry; updating listed persons adds no household (import whole households)")
    assert reasons[6] == ("与户主关系", "户主变更须以整户导入 / a change of head needs a whole-household import")
    assert reasons[7][0] == "行政区划代码" and reasons[7][1].startswith(f"行政村与登记不符(登记在{village})")
    assert reasons[8] == ("务工状况", "填写了务工时间但未填务工状况 / months given without migrant work")


def test_a_list_with_a_few_columns_keeps_the_others_and_takes_villages_from_the_registry(registered, make_user):
    """户编号, 证件号码 and 务工状况 only: the other member columns keep their values (姓名, 与户主关系 not
    required), the village is the household's, and the importer's scope still applies — a township
    officer's rows for a household outside the township are rejected."""
    officer, _village, households = registered
    headers = ["户编号", "证件号码", "务工状况"]
    rows = [dict(households[0][0], 务工状况="3"), dict(households[1][1], 务工状况="1")]
    batch = land_members(officer, csv_of(rows, headers))
    assert (batch.rows_rejected, batch.persons_changed) == (0, 2), list(batch.rejections.values_list("reason"))
    services.merge_batch(actor=officer, batch_id=batch.pk)
    head = Member.objects.get(id_number=households[0][0]["证件号码"])
    assert (head.migrant_work, head.name, head.relation, head.education) == ("3", households[0][0]["姓名"], "01", "3")
    assert Household.objects.get(household_number=households[0][0]["户编号"]).head_name == households[0][0]["姓名"]

    outsider = make_user("township", MINGXI_TOWNSHIP)
    elsewhere = next(v for v in (first_village(MINGXI, i) for i in range(40)) if not v.startswith(MINGXI_TOWNSHIP[:9]))
    far = household_rows(elsewhere, f"{elsewhere}61001", members=1)
    services.merge_batch(actor=officer, batch_id=land_checked(officer, far).pk)
    refused = land_members(outsider, csv_of([dict(far[0], 务工状况="3")], headers), region_code=MINGXI_TOWNSHIP)
    assert (refused.rows_rejected, refused.rows_imported) == (1, 0)
    assert refused.rejections.get().reason.startswith("户编号已被您无权修改的户使用")


def test_a_village_held_back_at_review_holds_back_its_rows_of_a_list_without_village_columns(registered):
    """暂缓部分村 on a list of 户编号, 证件号码 and 务工状况: the villages come from the registry, the held
    one's row is rejected ("held back at review"), the other's merged."""
    from fupin.imports import holding

    officer, village, households = registered
    other_village = first_village(MINGXI, 1)
    far = household_rows(other_village, f"{other_village}62001", members=1)
    services.merge_batch(actor=officer, batch_id=land_checked(officer, far).pk)
    headers = ["户编号", "证件号码", "务工状况"]
    batch = land_members(officer, csv_of([dict(households[0][0], 务工状况="3"), dict(far[0], 务工状况="4")], headers))
    assert [v["village_code"] for v in batch.by_village] == [village, other_village]
    holding.hold_villages(actor=officer, batch_id=batch.pk, villages=[other_village])
    held = services.validate_batch(batch.pk, actor=officer)
    assert (held.rows_imported, held.rows_rejected, held.persons_changed) == (1, 1, 1)
    assert held.rejections.get().reason == "该村在审核时暂缓导入 / village held back at review"
    services.merge_batch(actor=officer, batch_id=held.pk)
    assert Member.objects.get(id_number=far[0]["证件号码"]).migrant_work == ""
    assert Member.objects.get(id_number=households[0][0]["证件号码"]).migrant_work == "3"


def test_a_heads_new_name_is_the_households_new_head_name(registered):
    officer, _village, households = registered
    head = households[2][0]
    batch = land_members(officer, csv_of([dict(head, 姓名="新名字")], ["户编号", "证件号码", "姓名"]))
    assert (batch.persons_changed, batch.households_changed) == (1, 1)
    services.merge_batch(actor=officer, batch_id=batch.pk)
    household = Household.objects.get(household_number=head["户编号"])
    assert (household.head_name, household.size, household.version) == ("新名字", 4, 2)
    audit = ChangeRecord.objects.filter(model="registry.household", action="update").get()
    assert audit.changes == {"head_name": [head["姓名"], "新名字"]}


def test_a_filtered_export_comes_back_as_an_update_of_those_persons(registered):
    """人员筛选 → corrected → imported as 只更新所列成员: the exported list as it is changes nothing (and
    nothing leaves, where a whole-household import would reject it or make the others leave); with
    one 务工状况 filled in, that person changes."""
    officer, _village, _households = registered
    data = export_roster(None, MINGXI, "csv", "persons", parse_filter(on=date(2026, 6, 1), labour_skill="劳动力"))
    frame = pl.read_csv(io.BytesIO(data), infer_schema=False)
    assert frame.height == 9
    as_is = land_members(officer, data, file_name="劳动力名单.csv")
    assert (as_is.rows_rejected, as_is.persons_changed, as_is.persons_unchanged, as_is.persons_left) == (
        0, 0, frame.height, 0), list(as_is.rejections.values_list("reason"))
    services.refuse_batch(actor=officer, batch_id=as_is.pk, comment="未改")
    changed = frame.with_columns(pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("县外省内务工"))
                                 .otherwise(pl.col("务工状况")).alias("务工状况"))
    out = io.BytesIO()
    changed.write_csv(out)
    batch = land_members(officer, out.getvalue(), file_name="劳动力名单.csv")
    assert (batch.rows_rejected, batch.persons_changed, batch.persons_left) == (0, 1, 0), list(
        batch.rejections.values_list("reason"))


def test_an_unknown_mode_is_refused(registered):
    officer, _village, households = registered
    with pytest.raises(services.ImportRefused) as refused:
        services.land_file(actor=officer, file_name="a.csv", content=roster_csv(households[0]), region_code=MINGXI,
                           source="test", mode="partial")
    assert refused.value.field == "mode"
    assert roster.BY_FIELD["household_number"].required



def merge_reads_the_file_again_only_after_a_change(land, registered, monkeypatch) -> None:
    """The registry fingerprint taken at review is the one the merge reads (shared by both list modes'
    tests): an untouched registry is merged without reading the file again; an edit to a listed
    household in between makes the merge compare the file again."""
    officer, _village, households = registered
    rows = [dict(households[0][1], 文化程度="4", 联系电话="13700000000")]
    batch = land(officer, roster_csv(rows))
    assert (batch.rows_rejected, batch.households_changed) == (0, 1), list(batch.rejections.values_list("reason"))
    again = land(officer, roster_csv(rows))

    def no_second_read(*args, **kwargs):
        raise AssertionError("the merge read the file again")

    monkeypatch.setattr(services, "check_file", no_second_read)
    services.merge_batch(actor=officer, batch_id=batch.pk)
    with pytest.raises(services.ImportRefused, match="入库失败"):  # the registry changed: read again
        services.merge_batch(actor=officer, batch_id=again.pk)


def test_the_merge_writes_the_reviewed_diff_and_checks_the_file_again_after_a_change(registered, monkeypatch):
    merge_reads_the_file_again_only_after_a_change(land_members, registered, monkeypatch)
