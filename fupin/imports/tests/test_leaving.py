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
from fupin.imports.models import ImportBatch, LeavingReason
from fupin.imports.pipelines.leave_reasons import GIVEN_SCHEMA, with_given_reasons
from fupin.registry.models import Member
from fupin.testing import MINGXI, NINGHUA


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
    # the list of changes shows them as the new value of the persons leaving (the son: where he went)
    _total, changes = services.changes_page(batch, full=True, limit=None,
                                            where=services.ChangeFilter(change="member_left"))
    assert dict(changes.select("id_number", "new").rows()) == {
        died["id_number"]: "死亡:2026年10月病故", married["id_number"]: "婚出:嫁往外省",
        split["id_number"]: f"分户至户 {split['moved_to']}"}
    _total, masked = services.changes_page(batch, full=False, limit=None, where=services.ChangeFilter(change="member_left"))
    assert sorted(masked["new"].to_list()) == sorted(changes["new"].to_list())
    assert all("*" in n for n in masked["id_number"].to_list())
    records = ChangeRecord.objects.filter(model="imports.leavingreason").order_by("pk")
    assert [(r.action, r.changes.get("reason"), r.household_id) for r in records] == [
        ("create", ["", "death"], died["household_id"]), ("create", ["", "marriage_out"], married["household_id"]),
        ("update", ["marriage_out", ""], married["household_id"]), ("create", ["", "marriage_out"], married["household_id"])]
    assert all(r.actor_id == officer.pk and "导入批次" in r.comment for r in records)

    services.merge_batch(actor=officer, batch_id=batch.pk, persons_left_confirmed=3)
    assert list(LeavingReason.objects.values_list("applied", flat=True)) == [True, True]
    assert leaving.given_counts(ImportBatch.objects.get(pk=batch.pk)) == {"death": 1, "marriage_out": 1}
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


def test_the_page_lists_the_persons_leaving_and_saves_the_reasons(client, login, batch_at_review):
    import re

    officer, batch = batch_at_review
    listed = leaving.persons_leaving(batch, full=True)
    died, married = listed.filter(pl.col("file_reason") == "other").sort("member_id")["member_id"]
    split = listed.filter(pl.col("file_reason") == "split").row(0, named=True)
    login("county")
    detail = client.get(f"/imports/{batch.pk}/").content.decode()
    assert f'href="/imports/{batch.pk}/leaving/" id="leaving-link"' in detail
    url = f"/imports/{batch.pk}/leaving/"
    html = client.get(url).content.decode()
    assert "减员共3人" in html and "其中2人文件未说明原因" in html
    assert f'name="reason-{died}"' in html and f'name="reason-{married}"' in html
    assert f'name="reason-{split["member_id"]}"' not in html  # the file gives the son's reason
    son_row = re.search(rf'<tr id="leaving-{split["member_id"]}".*?</tr>', html, re.S).group(0)
    assert "分户" in son_row and split["moved_to"] in son_row
    assert '<option value="death">死亡</option>' in html

    response = client.post(url + "?page=1", {f"reason-{died}": "death", f"comment-{died}": "病故",
                                             f"reason-{married}": "", f"comment-{married}": ""})
    assert response.status_code == 302 and response["Location"] == url + "?page=1"
    page = client.get(response["Location"]).content.decode()
    assert "已保存1条减员原因。" in page
    assert '<option value="death" selected>死亡</option>' in page and 'value="病故"' in page
    assert 'id="given-summary"' in page and '<span class="tag">死亡</span> 1' in page
    detail = client.get(f"/imports/{batch.pk}/").content.decode()
    assert '<span id="given-reasons">(已填写的减员原因： 死亡 1)</span>' in detail
    client.cookies["django_language"] = "en"  # an English page: the code labels in English
    english = client.get(url).content.decode()
    assert '<option value="death" selected>Death</option>' in english and "死亡" not in english
    assert '<span class="tag">Death</span> 1' in english and "分户" not in english
    assert "Death 1" in client.get(f"/imports/{batch.pk}/").content.decode()
    del client.cookies["django_language"]
    # 统一设为: the rows of the page left empty take the chosen reason; a row filled in keeps its own
    filled = client.post(url, {f"reason-{died}": "death", f"comment-{died}": "病故", f"reason-{married}": "",
                               "fill_reason": "moved_out", "fill": "1"})
    assert "已保存1条减员原因。" in client.get(filled["Location"]).content.decode()
    assert dict(LeavingReason.objects.values_list("reason", "comment")) == {"death": "病故", "moved_out": ""}
    client.post(url, {f"reason-{married}": "", "fill_reason": "moved_out"})  # 保存 alone: empty is empty
    assert list(LeavingReason.objects.values_list("reason", flat=True)) == ["death"]
    bad = client.post(url, {f"reason-{died}": "split"})
    assert "不可选" in client.get(bad["Location"]).content.decode()
    assert LeavingReason.objects.get().reason == "death"

    # a viewer of the region sees the list with masked numbers and no form; a user elsewhere gets 404
    client.logout()
    login("city", "350400000000")
    seen = client.get(url).content.decode()
    assert 'id="leaving-form"' in seen and 'name="reason-' not in seen and 'id="numbers-masked"' in seen
    assert "<td class=\"reason\">死亡" in seen
    refused = client.post(url, {f"reason-{married}": "death"})
    assert refused.status_code == 302 and LeavingReason.objects.count() == 1
    client.logout()
    login("county", NINGHUA)
    assert client.get(url).status_code == 404 and client.post(url, {f"reason-{married}": "death"}).status_code == 404

    client.logout()
    login("county")
    services.merge_batch(actor=officer, batch_id=batch.pk, persons_left_confirmed=3)
    after = client.get(url).content.decode()
    assert 'id="leaving-unavailable"' in after and "入库时，减员原因已写入各成员的记录。" in after
    assert '<span class="tag">死亡</span> 1' in after
    merged = client.get(f"/imports/{batch.pk}/").content.decode()
    assert re.search(r'<p id="given-reasons">已填写的减员原因： <span class="tag">死亡</span> 1\s*·', merged)


def test_the_api_lists_the_persons_leaving_and_takes_the_reasons(client, make_user, batch_at_review):
    from fupin.api.tests.conftest import Api, token_api

    def api(role: str, region: str = MINGXI) -> Api:
        return token_api(client, make_user(role, region))

    officer, batch = batch_at_review
    county = api("county")
    body = county.get(f"/imports/{batch.pk}/leaving").json()
    assert body["count"] == 3 and len(body["items"]) == 3
    silent = sorted(i["member_id"] for i in body["items"] if i["file_reason"] == "other")
    split = next(i for i in body["items"] if i["file_reason"] == "split")
    assert (split["reason"], split["reason_label"], split["given"]) == ("split", "分户", False)
    assert split["moved_to"] and split["id_number"].isalnum()  # a county officer sees full numbers

    answer = county.put(f"/imports/{batch.pk}/leaving", {"reasons": [
        {"member_id": silent[0], "reason": "entry_error", "comment": "重复录入"}]})
    assert answer.status_code == 200, answer.content
    given = next(i for i in answer.json()["items"] if i["member_id"] == silent[0])
    assert (given["reason"], given["reason_label"], given["comment"], given["given"]) == (
        "entry_error", "录入错误", "重复录入", True)
    record = ChangeRecord.objects.get(model="imports.leavingreason")
    assert (record.source, record.changes["reason"]) == ("api", ["", "entry_error"])

    refused = county.put(f"/imports/{batch.pk}/leaving", {"reasons": [{"member_id": split["member_id"], "reason": "death"}]})
    assert refused.status_code == 422 and "由文件决定" in refused.json()["field_errors"]["reasons"][0]
    assert county.put(f"/imports/{batch.pk}/leaving", {"reasons": [{"member_id": silent[1], "reason": "split"}]}).status_code == 422
    assert county.put(f"/imports/{batch.pk}/leaving", {"reasons": []}).status_code == 422
    assert LeavingReason.objects.count() == 1

    city = api("city", "350400000000")
    seen = city.get(f"/imports/{batch.pk}/leaving").json()
    assert all("*" in i["id_number"] for i in seen["items"])
    assert city.put(f"/imports/{batch.pk}/leaving", {"reasons": [{"member_id": silent[1], "reason": "death"}]}).status_code == 404
    assert api("county", NINGHUA).get(f"/imports/{batch.pk}/leaving").status_code == 404

    services.merge_batch(actor=officer, batch_id=batch.pk, persons_left_confirmed=3)
    assert county.get(f"/imports/{batch.pk}/leaving").json()["count"] == 0
    assert Member.objects.get(pk=silent[0]).left_reason == "entry_error"
