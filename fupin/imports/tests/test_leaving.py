"""减员原因: the reasons a reviewer gives for the persons a batch marks as left, and the merge writing them.

A newer roster no longer lists two persons of a registered household (one died, one married out) and
lists a son as the head of a household of his own (分户). The file says why only for the son.
"""

from __future__ import annotations

import polars as pl
import pytest

from fupin.core.models import ChangeRecord
from fupin.core.scoping import ScopeError
from fupin.imports import leaving, services
from fupin.imports.choices import BatchStatus
from fupin.imports.models import ImportBatch, LeavingReason
from fupin.imports.pipelines.leave_reasons import GIVEN_SCHEMA, with_given_reasons
from fupin.imports.tests.test_views import household_rows, roster_csv
from fupin.registry.models import Member
from fupin.testing import MINGXI, NINGHUA, first_village


def test_given_reasons_replace_only_the_files_silence():
    leaving = pl.DataFrame({"id_number": ["A", "B", "C", "D"], "moved_to": [None, None, "H2", None],
                            "leave_reason": ["other", "other", "split", "other"]})
    given = pl.DataFrame({"id_number": ["A", "C", "X", "D"], "reason": ["death", "death", "death", "marriage_out"],
                          "comment": [" 病故 ", "", "", "  "]}, schema=GIVEN_SCHEMA)
    out = with_given_reasons(leaving, given)
    assert out.select("id_number", "leave_reason", "leave_note").rows() == [
        ("A", "death", "病故"), ("B", "other", None), ("C", "split", None), ("D", "marriage_out", None)]
    assert with_given_reasons(leaving, given.clear())["leave_note"].to_list() == [None] * 4
    old_diff = leaving.drop("moved_to", "leave_reason")  # a diff kept from before the reasons were read
    assert with_given_reasons(old_diff, given)["leave_reason"].to_list() == ["death", "other", "death", "marriage_out"]


@pytest.fixture
def batch_at_review(make_user):
    """(officer, batch): the second roster waits at review, three persons leaving."""
    mingxi_village = first_village(MINGXI)
    officer = make_user("county", MINGXI)
    first = household_rows(mingxi_village, f"{mingxi_village}80001", members=4)
    second = household_rows(mingxi_village, f"{mingxi_village}80002", members=2)

    def land(rows: list[dict[str, str]]) -> ImportBatch:
        batch = services.land_file(actor=officer, file_name="花名册.csv", content=roster_csv(rows), region_code=MINGXI,
                                   source="test")
        return services.validate_batch(batch.pk, actor=officer)

    services.merge_batch(actor=officer, batch_id=land(first + second).pk)
    son = dict(second[1], 户编号=f"{mingxi_village}80003", 与户主关系="01")
    batch = land([*first[:2], second[0], son])
    assert (batch.status, batch.persons_left, batch.persons_moved) == (BatchStatus.REVIEW, 3, 1), batch.error
    return officer, batch


def _member(id_number: str, **filters) -> Member:
    return Member.objects.get(id_number=id_number, **filters)


def test_the_reviewer_gives_reasons_and_the_merge_writes_them(batch_at_review, make_user):
    officer, batch = batch_at_review
    listed = leaving.persons_leaving(batch, full=True)
    assert listed.height == 3
    assert sorted(listed["file_reason"].to_list()) == ["other", "other", "split"]
    assert not any(listed["given"].to_list())
    silent = listed.filter(pl.col("file_reason") == "other").sort("member_id")
    died, married = silent.rows(named=True)
    split = listed.filter(pl.col("file_reason") == "split").row(0, named=True)

    assert leaving.give_reasons(actor=officer, batch_id=batch.pk, reasons={
        died["member_id"]: ("death", " 2026年10月病故 "), married["member_id"]: ("marriage_out", "")}) == 2
    # the same again changes nothing; taking one back leaves 其他
    assert leaving.give_reasons(actor=officer, batch_id=batch.pk, reasons={died["member_id"]: ("death", "2026年10月病故")}) == 0
    assert leaving.give_reasons(actor=officer, batch_id=batch.pk, reasons={married["member_id"]: ("", "ignored")}) == 1
    assert leaving.give_reasons(actor=officer, batch_id=batch.pk, reasons={married["member_id"]: ("marriage_out", "嫁往外省")}) == 1
    now = leaving.persons_leaving(batch, full=False).sort("member_id")
    assert now.filter(pl.col("given")).select("member_id", "reason", "comment").rows() == [
        (died["member_id"], "death", "2026年10月病故"), (married["member_id"], "marriage_out", "嫁往外省")]
    assert all("*" in n for n in now["id_number"].to_list())  # masked for a role without full numbers
    assert leaving.given_counts(batch) == {"death": 1, "marriage_out": 1}
    records = ChangeRecord.objects.filter(model="imports.leavingreason").order_by("pk")
    assert [(r.action, r.changes.get("reason"), r.household_id) for r in records] == [
        ("create", ["", "death"], died["household_id"]), ("create", ["", "marriage_out"], married["household_id"]),
        ("update", ["marriage_out", ""], married["household_id"]), ("create", ["", "marriage_out"], married["household_id"])]
    assert all(r.actor_id == officer.pk and "导入批次" in r.comment for r in records)

    services.merge_batch(actor=officer, batch_id=batch.pk, persons_left_confirmed=3)
    gone = _member(died["id_number"], status="left")
    assert (gone.left_reason, gone.left_comment) == (
        "death", f"导入批次 #{batch.pk}:文件中该户无此成员 / not in the household in import batch #{batch.pk}；2026年10月病故")
    assert _member(married["id_number"]).left_reason == "marriage_out"
    assert _member(split["id_number"], status="left").left_reason == "split"
    status = ChangeRecord.objects.get(model="registry.member", object_id=str(died["member_id"]), action="status")
    assert status.changes["left_reason"] == ["", "death"]
    # decided: no more reasons, and the list is gone with the working files
    with pytest.raises(services.ImportRefused, match="待确认"):
        leaving.give_reasons(actor=officer, batch_id=batch.pk, reasons={died["member_id"]: ("other", "")})
    assert leaving.persons_leaving(batch, full=True).height == 0


@pytest.mark.parametrize(("reason", "comment", "match"), [
    ("split", "", "不可选"), ("dead", "", "不可选"), ("death", "长" * 201, "超过200字")])
def test_a_bad_reason_refuses_the_whole_call(batch_at_review, reason, comment, match):
    officer, batch = batch_at_review
    first, second = leaving.persons_leaving(batch, full=True).filter(pl.col("file_reason") == "other")["member_id"]
    with pytest.raises(services.ImportRefused, match=match) as refused:
        leaving.give_reasons(actor=officer, batch_id=batch.pk, reasons={first: ("death", "ok"), second: (reason, comment)})
    assert refused.value.field == "reasons"
    assert LeavingReason.objects.count() == 0 and not ChangeRecord.objects.filter(model="imports.leavingreason").exists()


def test_only_silent_members_of_the_batch_in_the_users_region(batch_at_review, make_user, make_household):
    officer, batch = batch_at_review
    split = leaving.persons_leaving(batch, full=True).filter(pl.col("file_reason") == "split")["member_id"][0]
    with pytest.raises(services.ImportRefused, match="由文件决定"):
        leaving.give_reasons(actor=officer, batch_id=batch.pk, reasons={split: ("death", "")})
    stranger = make_household(members=1).members.get().pk  # registered, but not leaving in this batch
    with pytest.raises(services.ImportRefused, match="不在本批次的减员名单中"):
        leaving.give_reasons(actor=officer, batch_id=batch.pk, reasons={stranger: ("death", "")})
    silent = leaving.persons_leaving(batch, full=True).filter(pl.col("file_reason") == "other")["member_id"][0]
    for outsider in (make_user("county", NINGHUA), make_user("city", "350400000000")):
        with pytest.raises(ScopeError):
            leaving.give_reasons(actor=outsider, batch_id=batch.pk, reasons={silent: ("death", "")})
    assert LeavingReason.objects.count() == 0
    services.refuse_batch(actor=officer, batch_id=batch.pk, comment="重报")
    with pytest.raises(services.ImportRefused, match="待确认"):
        leaving.give_reasons(actor=officer, batch_id=batch.pk, reasons={silent: ("death", "")})


def test_reasons_survive_a_changed_registry(batch_at_review):
    """The registry changes between review and merge (a person leaving is edited by hand): the merge
    checks the file again and still writes the reasons given (kept by ID number)."""
    from fupin.registry import services as registry_services

    officer, batch = batch_at_review
    silent = leaving.persons_leaving(batch, full=True).filter(pl.col("file_reason") == "other").sort("member_id")
    leaving.give_reasons(actor=officer, batch_id=batch.pk, reasons={silent["member_id"][0]: ("imprisoned", "")})
    edited = Member.objects.get(pk=silent["member_id"][1])
    registry_services.update_member(actor=officer, member_id=edited.pk, data={"health": "2"}, expected_version=edited.version)
    services.merge_batch(actor=officer, batch_id=batch.pk, persons_left_confirmed=3)
    assert _member(silent["id_number"][0]).left_reason == "imprisoned"
    assert _member(silent["id_number"][1]).left_reason == "other"
