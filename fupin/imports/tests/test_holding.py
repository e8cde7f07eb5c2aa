"""暂缓导入: the reviewer holds back one village of a batch; the batch is checked again without it and
the rest is merged. Two villages: 城东 (two households) and the next one (one household)."""

from __future__ import annotations

import polars as pl
import pytest

from fupin.core.models import ChangeRecord
from fupin.core.scoping import ScopeError
from fupin.imports import holding, services
from fupin.imports.choices import BatchStatus
from fupin.imports.models import ImportBatch, ImportRejection
from fupin.imports.pipelines.validate_roster import HELD_AT_REVIEW
from fupin.imports.tests.test_views import household_rows, land_checked
from fupin.registry.models import Household, Member
from fupin.testing import MINGXI, NINGHUA, first_village

V1 = V2 = ""


@pytest.fixture(autouse=True)
def _villages(db, settings):
    """The two villages' codes (the regions are in the test database, read once it is open)."""
    global V1, V2
    settings.FUPIN_IMPORT_SYNC = True
    V1, V2 = first_village(MINGXI), first_village(MINGXI, 1)


@pytest.fixture
def scene(make_user):
    """(officer, batch): registered A, B in V1 and C in V2; the newer file changes a member of A,
    leaves C's third member out and moves B's second member into C — and waits at review."""
    officer = make_user("county", MINGXI)
    a, b = household_rows(V1, f"{V1}50001", members=2), household_rows(V1, f"{V1}50002", members=2)
    c = household_rows(V2, f"{V2}50003", members=3)

    def land(rows: list[dict[str, str]]) -> ImportBatch:
        return land_checked(officer, rows, file_name="县花名册.csv")

    services.merge_batch(actor=officer, batch_id=land(a + b + c).pk)
    a2 = [a[0], dict(a[1], 健康状况="2")]
    c2 = [c[0], c[1], dict(b[1], 户编号=f"{V2}50003", 行政区划代码=V2, 与户主关系="05")]
    batch = land(a2 + b[:1] + c2)
    assert batch.status == BatchStatus.REVIEW, batch.error
    assert (batch.households_changed, batch.persons_left, batch.persons_moved) == (3, 2, 1), (batch.changes_by_field, batch.by_village)
    return officer, batch


def test_holding_a_village_checks_the_batch_again_without_it_and_merges_the_rest(scene):
    from fupin.imports import leaving
    from fupin.imports.models import LeavingReason

    officer, batch = scene
    c_gone = leaving.persons_leaving(batch, full=True).filter(pl.col("file_reason") == "other").row(0, named=True)
    assert c_gone["household_number"] == f"{V2}50003"
    leaving.give_reasons(actor=officer, batch_id=batch.pk, reasons={c_gone["member_id"]: ("death", "")})
    assert leaving.given_counts(batch) == {"death": 1}
    held = holding.hold_villages(actor=officer, batch_id=batch.pk, villages=[V2, f" {V2} "])
    assert (held.status, held.held_villages) == (BatchStatus.VALIDATING, [V2])
    batch = services.validate_batch(batch.pk, actor=officer)
    assert batch.status == BatchStatus.REVIEW, batch.error
    # C's rows are held back; B's second member, whom the file lists only in C, stays in B, and B (in the
    # file without them) is held back with them — rather than their leaving B as 其他 for a household
    # that is not imported
    reasons = {(r.household_number, r.reason) for r in ImportRejection.objects.filter(batch=batch)}
    assert reasons == {(f"{V2}50003", HELD_AT_REVIEW),
                       (f"{V1}50002", f"本户有成员在文件中列入户编号 {V2}50003,该户未导入,本户随之暂不导入 / a member of "
                                      f"this household is listed in household {V2}50003, which was not imported; this "
                                      "household is held back with them")}
    assert (batch.rows_read, batch.rows_imported, batch.rows_rejected) == (6, 2, 4)
    assert (batch.households_changed, batch.persons_left, batch.persons_moved) == (1, 0, 0)
    by_village = {v["village_code"]: v for v in batch.by_village}
    assert (by_village[V2]["rejected"], by_village[V1]["changed"], by_village[V1]["rejected"]) == (3, 1, 1)
    record = ChangeRecord.objects.get(model="imports.importbatch", object_id=str(batch.pk))
    assert (record.actor_id, record.changes) == (officer.pk, {"held_villages": [[], [V2]]})

    assert leaving.given_counts(batch) == {}  # C's member no longer leaves: the reason is not counted
    services.merge_batch(actor=officer, batch_id=batch.pk, persons_left_confirmed=0)
    assert LeavingReason.objects.get().applied is False
    assert leaving.given_counts(ImportBatch.objects.get(pk=batch.pk)) == {}
    assert Member.objects.get(household__household_number=f"{V1}50001", relation="03").health == "2"
    for number, size in ((f"{V2}50003", 3), (f"{V1}50002", 2)):  # as registered: held back
        household = Household.objects.get(household_number=number)
        assert (household.size, household.members.filter(status="active").count()) == (size, size)
    assert not Member.objects.filter(status="left").exists()
    # the same file imported again later, nothing held: the move is written as a move (迁出), not as 其他
    from pathlib import Path

    again = services.land_file(actor=officer, file_name="县花名册.csv", path=Path(batch.stored_path),
                               region_code=MINGXI, source="test")
    again = services.validate_batch(again.pk, actor=officer)
    assert (again.rows_rejected, again.persons_left, again.persons_moved) == (0, 2, 1)
    services.merge_batch(actor=officer, batch_id=again.pk, persons_left_confirmed=2)
    moved = Member.objects.get(status="left", household__household_number=f"{V1}50002")
    assert moved.left_reason == "moved_out"
    assert Member.objects.get(status="active", id_number=moved.id_number).household.household_number == f"{V2}50003"
def test_releasing_the_village_brings_it_back(scene):
    officer, batch = scene
    holding.hold_villages(actor=officer, batch_id=batch.pk, villages=[V2])
    services.validate_batch(batch.pk, actor=officer)
    holding.hold_villages(actor=officer, batch_id=batch.pk, villages=[])
    batch = services.validate_batch(batch.pk, actor=officer)
    assert (batch.held_villages, batch.rows_rejected, batch.persons_left) == ([], 0, 2)
    assert not ImportRejection.objects.filter(batch=batch).exists()


def test_holding_is_refused_when_it_cannot_be_done(scene, make_user):
    officer, batch = scene
    for villages, message in (([V1, V2], "不能暂缓全部的村"), ([first_village(MINGXI, 2)], "不在本批次的文件中"),
                              ([], "没有变化")):
        with pytest.raises(services.ImportRefused, match=message) as refused:
            holding.hold_villages(actor=officer, batch_id=batch.pk, villages=villages)
        assert refused.value.field == "villages"
    for outsider in (make_user("county", NINGHUA), make_user("city", "350400000000")):
        with pytest.raises(ScopeError):
            holding.hold_villages(actor=outsider, batch_id=batch.pk, villages=[V2])
    services.refuse_batch(actor=officer, batch_id=batch.pk, comment="重报")
    with pytest.raises(services.ImportRefused, match="待确认"):
        holding.hold_villages(actor=officer, batch_id=batch.pk, villages=[V2])
    assert ImportBatch.objects.get(pk=batch.pk).held_villages == []


def test_a_registry_change_before_the_merge_keeps_the_village_held(scene):
    """The registry changes between the review and the merge: the merge checks the file again, with the
    same villages held, and writes the outcome reviewed."""
    from fupin.registry import services as registry_services

    officer, batch = scene
    holding.hold_villages(actor=officer, batch_id=batch.pk, villages=[V2])
    services.validate_batch(batch.pk, actor=officer)
    member = Member.objects.get(household__household_number=f"{V1}50001", relation="03")
    registry_services.update_member(actor=officer, member_id=member.pk, data={"health": "2"},
                                    expected_version=member.version)
    with pytest.raises(services.ImportRefused, match="登记库已变化"):  # A no longer changes: not what was reviewed
        services.merge_batch(actor=officer, batch_id=batch.pk, persons_left_confirmed=0)
    assert Household.objects.get(household_number=f"{V2}50003").size == 3


def test_the_review_page_holds_back_the_ticked_villages(client, make_user, scene):
    import re

    _officer, batch = scene
    client.force_login(make_user("county", MINGXI))
    url = f"/imports/{batch.pk}/"
    html = client.get(url).content.decode()
    assert 'id="hold-form"' in html and f'<input type="checkbox" name="village" value="{V2}"' in html
    response = client.post(f"/imports/{batch.pk}/hold/", {"village": [V2]})
    assert response.status_code == 302 and response["Location"] == url
    html = client.get(url).content.decode()
    assert "已暂缓1个村：这些村的行不导入，不随本批次入库。" in html
    row = re.search(rf'<tr id="village-{V2}" class="held">.*?</tr>', html, re.S).group(0)
    assert "checked" in row and "已暂缓" in row
    assert ImportBatch.objects.get(pk=batch.pk).rows_rejected == 4  # C's three rows, and B held back with them
    # nothing changed: said, and the batch stays as it is
    again = client.post(f"/imports/{batch.pk}/hold/", {"village": [V2]})
    assert "暂缓的村没有变化" in client.get(again["Location"]).content.decode()
    # a viewer of the region sees the held village but no form; another county gets 404
    client.force_login(make_user("city", "350400000000"))
    seen = client.get(url).content.decode()
    assert 'id="held-villages"' in seen and 'id="hold-form"' not in seen
    assert client.post(f"/imports/{batch.pk}/hold/", {"village": []}).status_code == 404
    client.force_login(make_user("county", NINGHUA))
    assert client.post(f"/imports/{batch.pk}/hold/", {"village": []}).status_code == 404
    assert ImportBatch.objects.get(pk=batch.pk).held_villages == [V2]


def test_the_api_holds_back_and_releases(client, make_user, scene):
    from fupin.api.tests.conftest import Api, token_api

    def api(role: str, region: str = MINGXI) -> Api:
        return token_api(client, make_user(role, region))

    _officer, batch = scene
    county = api("county")
    answer = county.post(f"/imports/{batch.pk}/hold", {"villages": [V2]})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["status"], body["held_villages"], body["rows_rejected"], body["persons_left"]) == ("review", [V2], 4, 0)
    refused = county.post(f"/imports/{batch.pk}/hold", {"villages": [V1, V2]})
    assert refused.status_code == 422 and "不能暂缓全部的村" in refused.json()["field_errors"]["villages"][0]
    assert api("city", "350400000000").post(f"/imports/{batch.pk}/hold", {"villages": []}).status_code == 404
    released = county.post(f"/imports/{batch.pk}/hold", {"villages": []}).json()
    assert (released["held_villages"], released["rows_rejected"], released["persons_left"]) == ([], 0, 2)


def test_holding_before_the_check_is_for_a_batch_just_landed(scene, make_user):
    """``hold_before_check`` (the command line's ``--hold``): only before the first check, only by an
    editor of the batch's region, only villages of that region."""
    officer, batch = scene
    with pytest.raises(services.ImportRefused, match="校验前暂缓"):
        holding.hold_before_check(actor=officer, batch_id=batch.pk, villages=[V2])
    landed = services.land_file(actor=officer, file_name="x.csv", content=b"a,b\n1,2\n", region_code=MINGXI,
                                source="cli")
    with pytest.raises(ScopeError):
        holding.hold_before_check(actor=make_user("county", NINGHUA), batch_id=landed.pk, villages=[V2])
    with pytest.raises(services.ImportRefused, match="不在导入区域"):
        holding.hold_before_check(actor=officer, batch_id=landed.pk, villages=[first_village(NINGHUA)])
    assert holding.hold_before_check(actor=officer, batch_id=landed.pk, villages=[]).held_villages == []
    held = holding.hold_before_check(actor=officer, batch_id=landed.pk, villages=[V2, V2])
    assert (held.status, ImportBatch.objects.get(pk=landed.pk).held_villages) == (BatchStatus.LANDED, [V2])
    record = ChangeRecord.objects.get(model="imports.importbatch", object_id=str(landed.pk))
    assert (record.actor_id, record.changes, record.source) == (officer.pk, {"held_villages": [[], [V2]]}, "cli")
