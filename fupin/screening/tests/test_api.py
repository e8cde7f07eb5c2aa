"""The screening API: upload, run, queue, decide — 401 without a token, 404 out of scope or without
the capability, 422 for refusals, IDs masked by role."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fupin.accounts.models import ApiToken
from fupin.api.tests.conftest import PREFIX, Api
from fupin.policy.idnumber import mask_id_number
from fupin.screening.models import DepartmentList, ScreeningHit, ScreeningRun
from fupin.testing import MINGXI, MINGXI_TOWNSHIP, NINGHUA

from .conftest import TOWNSHIP_T2, VILLAGE_T1
from .list_files import person_id


class ScreeningApi(Api):
    def upload(self, content: bytes, *, kind: str = "vehicle", region_code: str = MINGXI, as_of: str = "2024-06-30",
               name: str = "list.csv"):
        return self.client.post(PREFIX + "/screening/lists", {
            "file": SimpleUploadedFile(name, content, "text/csv"), "kind": kind, "region_code": region_code,
            "as_of": as_of}, **self._headers())


@pytest.fixture
def api_as(client, make_user) -> Callable[..., ScreeningApi]:
    def make(role: str, region_code: str) -> ScreeningApi:
        user = make_user(role, region_code)
        _token, raw = ApiToken.issue(user, name="test")
        return ScreeningApi(client, user, raw)

    return make


def _csv(*rows: str) -> bytes:
    return ("身份证号码,号牌号码\r\n" + "".join(f"{r},闽G0000{i}\r\n" for i, r in enumerate(rows))).encode("utf-8-sig")


def test_anonymous_gets_401(client, db):
    api = ScreeningApi(client)
    assert api.upload(_csv(person_id(1))).status_code == 401
    for path in ("/screening/kinds", "/screening/lists", "/screening/lists/1", "/screening/lists/1/rejections",
                 "/screening/runs", "/screening/runs/1", "/screening/hits", "/screening/hits/1"):
        assert api.get(path).status_code == 401, path
    assert api.post("/screening/runs", {}).status_code == 401
    assert api.post("/screening/hits/1/decide", {"decision": "confirm"}).status_code == 401
    assert not DepartmentList.objects.exists()


def test_kinds(api_as):
    body = api_as("city", "350400000000").get("/screening/kinds").json()
    assert [k["id"] for k in body] == ["vehicle", "real_estate", "business", "payroll", "death", "village_cadre"]
    death = body[4]
    assert death["member_leave_reason"] == "death" and death["household_column"] == "any_deceased"
    assert death["columns"][0] == {**death["columns"][0], "field": "id_number", "kind": "id_number", "required": True}


def test_upload_accounts_and_refuses_the_same_file(api_as):
    api = api_as("county", MINGXI)
    content = _csv(person_id(1), person_id(2)[:17] + "Y", "3.50421E+17")
    response = api.upload(content)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "loaded"
    assert (body["rows_read"], body["rows_accepted"], body["rows_rejected"]) == (3, 1, 2)
    rejections = api.get(f"/screening/lists/{body['id']}/rejections").json()
    assert [(r["row_number"], r["value"]) for r in rejections["items"]] == [(3, person_id(2)[:17] + "Y"),
                                                                             (4, "3.50421E+17")]
    again = api.upload(content, name="other-name.csv")
    assert again.status_code == 422 and f"#{body['id']}" in again.json()["message"]
    assert "file" in again.json()["field_errors"]
    bad = api.upload(content, kind="boats")
    assert bad.status_code == 422
    future = api.upload(_csv(person_id(3)), as_of="2999-01-01")
    assert future.status_code == 422 and "as_of" in future.json()["field_errors"]
    assert DepartmentList.objects.count() == 1


def test_upload_needs_the_capability_and_the_scope(api_as):
    for role, region, target in (("township", MINGXI_TOWNSHIP, MINGXI_TOWNSHIP), ("village", VILLAGE_T1, VILLAGE_T1),
                                 ("auditor", MINGXI, MINGXI), ("county", NINGHUA, MINGXI)):
        assert api_as(role, region).upload(_csv(person_id(9)), region_code=target).status_code == 404, role
    assert not DepartmentList.objects.exists()


def test_run_queue_and_decide(api_as, planted):
    county = api_as("county", MINGXI)
    response = county.post("/screening/runs", {"region_code": MINGXI})
    assert response.status_code == 201, response.content
    run = response.json()
    assert (run["status"], run["hits_new"], run["hits_matched"], run["persons_screened"]) == ("done", 6, 6, 5)
    assert run["counts"]["vehicle"] == {"records": 4, "matched": 2, "new": 2}
    assert sorted(run["list_ids"]) == sorted(d.pk for d in planted.lists.values())
    queue = county.get("/screening/hits", {"status": "open"}).json()
    assert queue["count"] == 6
    by_member = {(h["member_id"], h["kind"], h["record"]["row_number"]) for h in queue["items"]}
    assert by_member == planted.planted
    payroll = county.get("/screening/hits", {"kind": "payroll", "region": TOWNSHIP_T2}).json()["items"]
    assert len(payroll) == 1 and payroll[0]["id_number"] == planted.members(planted.h2)[1].id_number
    assert payroll[0]["record"]["detail"]["employer"] == "县民政局"

    township = api_as("township", TOWNSHIP_T2)
    hit_id = payroll[0]["id"]
    refused = township.post(f"/screening/hits/{hit_id}/decide", {"decision": "dismiss", "comment": ""})
    assert refused.status_code == 422 and "comment" in refused.json()["field_errors"]
    done = township.post(f"/screening/hits/{hit_id}/decide", {"decision": "confirm", "comment": "核实属实"})
    assert done.status_code == 200 and done.json()["status"] == "confirmed"
    assert done.json()["decided_by_name"] == township.user.username
    twice = township.post(f"/screening/hits/{hit_id}/decide", {"decision": "dismiss", "comment": "x"})
    assert twice.status_code == 422
    assert county.get(f"/screening/runs/{run['id']}").json()["hits_new"] == 6


def test_out_of_scope_is_404_and_ids_are_masked(api_as, planted, county_officer):
    from fupin.screening import services

    services.run_screening(actor=county_officer, region_code=MINGXI)
    run = ScreeningRun.objects.get()
    hit = ScreeningHit.objects.filter(township_code=TOWNSHIP_T2).first()
    ninghua = api_as("county", NINGHUA)
    assert ninghua.get(f"/screening/hits/{hit.pk}").status_code == 404
    assert ninghua.get(f"/screening/runs/{run.pk}").status_code == 404
    assert ninghua.get(f"/screening/lists/{planted.lists['vehicle'].pk}").status_code == 404
    assert ninghua.get("/screening/hits").json()["count"] == 0
    assert ninghua.post(f"/screening/hits/{hit.pk}/decide", {"decision": "confirm"}).status_code == 404
    assert ninghua.post("/screening/runs", {"region_code": MINGXI}).status_code == 404
    t1 = api_as("township", MINGXI_TOWNSHIP)
    assert t1.post(f"/screening/hits/{hit.pk}/decide", {"decision": "confirm"}).status_code == 404
    assert t1.get(f"/screening/lists/{planted.lists['vehicle'].pk}").status_code == 200  # the county's list …
    assert t1.get(f"/screening/lists/{planted.lists['vehicle'].pk}/rejections").status_code == 404  # … not its rows
    city = api_as("city", "350400000000")
    item = city.get(f"/screening/hits/{hit.pk}").json()
    number = hit.member.id_number
    assert item["id_numbers_masked"] and item["id_number"] == mask_id_number(number) != number
    assert city.post(f"/screening/hits/{hit.pk}/decide", {"decision": "confirm"}).status_code == 404
    assert city.post("/screening/runs", {}).status_code == 404
    assert api_as("village", VILLAGE_T1).get("/screening/hits").json()["count"] == 0
    hit.refresh_from_db()
    assert hit.status == "open"
