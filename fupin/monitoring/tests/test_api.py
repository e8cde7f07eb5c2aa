"""The monitoring API (/api/v1/monitoring): scoped reads, writes by capability, refusals as 422."""

from __future__ import annotations

import json

import pytest

from fupin.accounts.models import ApiToken
from fupin.monitoring import services
from fupin.monitoring.models import MonitoringObject
from fupin.testing import next_id_number

from .conftest import MEETING, ON, OPINION, SURVEY, day

pytestmark = pytest.mark.django_db
PREFIX = "/api/v1/monitoring"


class Api:
    def __init__(self, client, user=None):
        self.client = client
        self.headers = {}
        if user is not None:
            _token, raw = ApiToken.issue(user, name="test")
            self.headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    def get(self, path, params=None):
        return self.client.get(PREFIX + path, params or {}, **self.headers)

    def post(self, path, body):
        return self.client.post(PREFIX + path, json.dumps(body), content_type="application/json", **self.headers)


@pytest.fixture
def api(client):
    return lambda user=None: Api(client, user)


@pytest.fixture
def flagged(people, household):
    return services.flag_household(actor=people["village"], household_id=household().pk,
                                   causes=["income_below_line"], on=ON)


def test_anonymous_gets_401(api, flagged):
    assert api().get("/objects").status_code == 401
    assert api().post(f"/objects/{flagged.pk}/start", {}).status_code == 401


def test_list_with_reasons_and_scope(api, people, flagged, household, ninghua_village, make_user):
    theirs = services.flag_household(actor=make_user("village", ninghua_village),
                                     household_id=household(village_code=ninghua_village).pk,
                                     causes=["income_below_line"], on=ON)
    body = api(people["county"]).get("/objects").json()
    assert body["count"] == 1
    item = body["items"][0]
    assert (item["id"], item["type"], item["status"]) == (flagged.pk, "unstable_exited", "flagged")
    assert item["risk_causes"][0]["rule_id"] == "income_below_line" and item["risk_causes"][0]["label_zh"]
    assert item["line"] == {"amount": "10560.00", "year": 2023, "region": "35", "note": item["line"]["note"],
                            "policy_version": "monitoring-2021.1"}
    assert api(people["county"]).get(f"/objects/{theirs.pk}").status_code == 404
    assert api(people["county"]).get("/objects", {"cause": "disaster_loss"}).json()["count"] == 0
    helper = make_user("helper", people["village"].region_id)
    assert api(helper).get("/objects").json()["count"] == 0


def test_household_record(api, people, flagged):
    body = api(people["village"]).get(f"/households/{flagged.household_id}").json()
    assert [o["id"] for o in body["objects"]] == [flagged.pk] and body["record_status"] == "active"
    assert api(people["ninghua_county"]).get(f"/households/{flagged.household_id}").status_code == 404


def test_the_procedure_through_the_api(api, people, flagged):
    v, t, c = api(people["village"]), api(people["township"]), api(people["county"])
    detail = v.get(f"/objects/{flagged.pk}").json()
    assert [s["id"] for s in detail["steps"]] == ["application", "democratic_review", "village_publicity",
                                                 "township_review", "registration"]
    assert detail["steps"][2]["publicity_days"] == 5 and detail["allowed_actions"] == ["start", "dismiss"]
    assert [f["rule_text"] for f in detail["flags"]] == ["income_per_capita < monitoring_line"]
    r = v.post(f"/objects/{flagged.pk}/start", {"evidence": SURVEY, "on": day(0).isoformat(), "version": 1})
    assert r.status_code == 200, r.json()
    assert v.post(f"/objects/{flagged.pk}/steps/democratic_review",
                  {"evidence": MEETING, "on": day(1).isoformat()}).status_code == 200
    early = v.post(f"/objects/{flagged.pk}/steps/village_publicity", {"on": day(4).isoformat()})
    assert early.status_code == 422 and "公示期未满5天" in early.json()["message"]
    objection = v.post(f"/objects/{flagged.pk}/objections", {"raised_by": "村民", "text": "收入不低", "on": day(2).isoformat()})
    assert objection.status_code == 201
    assert v.post(f"/objections/{objection.json()['id']}/resolve",
                  {"resolution": "核实不属实", "upheld": False, "on": day(3).isoformat()}).status_code == 200
    assert v.post(f"/objects/{flagged.pk}/steps/village_publicity", {"on": day(6).isoformat()}).status_code == 200
    assert v.post(f"/objects/{flagged.pk}/steps/township_review",
                  {"evidence": OPINION, "on": day(7).isoformat()}).status_code == 422  # a village cadre
    assert t.post(f"/objects/{flagged.pk}/steps/township_review",
                  {"evidence": OPINION, "on": day(7).isoformat()}).status_code == 200
    stale = c.post(f"/objects/{flagged.pk}/steps/registration", {"evidence": OPINION, "on": day(8).isoformat(),
                                                                 "version": 1})
    assert stale.status_code == 409
    done = c.post(f"/objects/{flagged.pk}/steps/registration", {"evidence": OPINION, "on": day(8).isoformat()})
    assert done.status_code == 200 and done.json()["status"] == "monitored"
    check = v.post(f"/objects/{flagged.pk}/income-checks", {"income_per_capita": "12000", "checked_on": day(9).isoformat()})
    assert check.status_code == 201
    decision = v.post(f"/objects/{flagged.pk}/assess", {"on": day(10).isoformat()})
    assert decision.status_code == 201 and decision.json()["eliminable"] is False
    assert {f["rule_id"] for f in decision.json()["failed"]} >= {"income_stable", "measure_received"}
    assert v.post(f"/objects/{flagged.pk}/eliminate", {"on": day(10).isoformat()}).status_code == 404
    refused = c.post(f"/objects/{flagged.pk}/eliminate", {"on": day(10).isoformat()})
    assert refused.status_code == 422 and "conditions" in refused.json()["field_errors"]


def test_writes_need_the_capability_and_scope(api, people, flagged):
    assert api(people["city"]).post(f"/objects/{flagged.pk}/dismiss", {"reason": "x"}).status_code == 404
    assert api(people["ninghua_county"]).post(f"/objects/{flagged.pk}/dismiss", {"reason": "x"}).status_code == 404
    assert api(people["village"]).post("/runs/flag", {}).status_code == 404
    unknown = api(people["village"]).post(f"/objects/{flagged.pk}/dismiss", {"reason": "x", "extra": 1})
    assert unknown.status_code == 422


def test_flag_and_edge_household(api, people, household, village):
    h = household()
    r = api(people["village"]).post("/objects", {"household_id": h.pk, "causes": ["large_medical_spending"],
                                                "channel": "self_report", "on": ON.isoformat()})
    assert r.status_code == 201 and r.json()["type"] == "unstable_exited"
    again = api(people["village"]).post("/objects", {"household_id": h.pk, "causes": ["income_below_line"]})
    assert again.status_code == 422
    body = {"village_code": village, "identification_standard": "1", "category": "1", "category_form_version": "2016",
            "main_cause": "1", "poverty_status": "0", "identification_year": 2024, "income_wage": "3000",
            "members": [{"name": "户主乙", "id_number": next_id_number(), "relation": "01", "ethnicity": "01",
                         "schooling": "1", "health": "1", "labour_skill": "1"}],
            "causes": ["income_below_line"], "note": "低收入", "on": ON.isoformat()}
    r = api(people["village"]).post("/households", body)
    assert r.status_code == 201, r.json()
    assert r.json()["type"] == "edge"
    assert MonitoringObject.objects.get(pk=r.json()["id"]).household.status == "monitored"


def test_runs_through_the_api(api, people, household):
    household()
    run = api(people["county"]).post("/runs/flag", {"region_code": "350421", "on": ON.isoformat()})
    assert run.status_code == 201 and run.json()["counts"]["new"] == 1 and run.json()["status"] == "done"
    detail = api(people["county"]).get(f"/runs/{run.json()['id']}").json()
    assert detail["items_count"] == 1 and detail["items"][0]["risk_causes"][0]["rule_id"] == "income_below_line"
    assert api(people["county"]).get("/runs", {"kind": "flag"}).json()["count"] == 1
    assert api(people["ninghua_county"]).get(f"/runs/{run.json()['id']}").status_code == 404
    elim = api(people["county"]).post("/runs/elimination", {"on": ON.isoformat()})
    assert elim.status_code == 201 and elim.json()["counts"]["monitored"] == 0
    assert api(people["county"]).post("/runs/flag", {"region_code": "350424"}).status_code == 404


def test_the_line_by_region_and_year(api, people):
    a = api(people["county"])
    assert a.get("/line", {"region": "350421", "year": 2023}).json()["amount"] == "10560.00"
    carried = a.get("/line", {"region": "350421", "year": 2022}).json()
    assert (carried["amount"], carried["year"], carried["carried"]) == ("6000.00", 2021, True)
    assert a.get("/line", {"region": "350424", "year": 2023}).status_code == 404
    assert a.get("/line", {"region": "35", "year": 2023}).status_code == 422
