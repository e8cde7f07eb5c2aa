"""The exit API (/api/v1/exits): scoped reads, writes by role, refusals as 422, out of scope as 404."""

from __future__ import annotations

import json

import pytest

from fupin.accounts.models import ApiToken
from fupin.exits.models import ExitCase

from .conftest import MEETING, VERIFY, D, day

pytestmark = pytest.mark.django_db
PREFIX = "/api/v1/exits"


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


def test_anonymous_gets_401(api, household, propose):
    case = propose(household())
    assert api().get("/cases").status_code == 401
    assert api().post(f"/cases/{case.pk}/steps/democratic_review", {}).status_code == 401


def test_propose_walk_and_exit_through_the_api(api, people, household):
    h = household()
    village = api(people["village"])
    response = village.post("/cases", {"household_id": h.pk, "on": D.isoformat(), "year": 2016})
    assert response.status_code == 201, response.content
    body = response.json()
    case_id = body["id"]
    assert (body["step"], body["step_label"], body["status"], body["poverty_status"]) == (
        "democratic_review", "村两委民主评议", "in_progress", "2")
    assert [s["id"] for s in body["steps"]][-1] == "deregistration"
    verification = next(s for s in body["steps"] if s["id"] == "verification")
    assert "criterion_drinking_water_safe" in verification["evidence_fields"] and verification["runs_decision"]
    assert body["allowed_actions"] == ["complete", "reject", "withdraw"]

    r = village.post(f"/cases/{case_id}/steps/democratic_review", {"evidence": MEETING, "on": day(1).isoformat(),
                                                                    "version": 1})
    assert r.status_code == 200 and r.json()["step"] == "verification"
    r = village.post(f"/cases/{case_id}/steps/verification", {"evidence": VERIFY, "on": day(2).isoformat()})
    assert r.status_code == 200, r.content
    decision = r.json()["decisions"][0]
    assert (decision["outcome"], decision["policy_version"], decision["context"]) == (
        "exit_met", "exit-national-2016.1", "verification")
    r = village.post(f"/cases/{case_id}/steps/consent", {"evidence": {}, "on": day(3).isoformat()})
    assert r.status_code == 422 and set(r.json()["field_errors"]) == {"evidence.signed_by", "evidence.signed_on"}
    r = village.post(f"/cases/{case_id}/steps/consent", {"evidence": {"signed_by": h.head_name,
                                                                       "signed_on": day(3).isoformat()},
                                                          "on": day(3).isoformat()})
    assert r.status_code == 200 and r.json()["publicity_ends_on"] == day(10).isoformat()
    r = village.post(f"/cases/{case_id}/objections", {"raised_by": "村民", "text": "有异议", "on": day(4).isoformat()})
    assert r.status_code == 201
    objection_id = r.json()["id"]
    r = village.post(f"/cases/{case_id}/steps/village_publicity", {"on": day(10).isoformat()})
    assert r.status_code == 422 and "异议未处理" in r.json()["message"]
    r = village.post(f"/objections/{objection_id}/resolve", {"resolution": "不属实", "on": day(5).isoformat()})
    assert r.status_code == 200 and r.json()["upheld"] is False
    r = village.post(f"/cases/{case_id}/steps/village_publicity", {"on": day(9).isoformat()})
    assert r.status_code == 422 and "公示期未满7天" in r.json()["message"]
    assert village.post(f"/cases/{case_id}/steps/village_publicity", {"on": day(10).isoformat()}).status_code == 200
    assert village.post(f"/cases/{case_id}/steps/announcement", {"on": day(11).isoformat()}).status_code == 422
    county = api(people["county"])
    assert county.post(f"/cases/{case_id}/steps/announcement", {"on": day(11).isoformat()}).status_code == 200
    r = county.post(f"/cases/{case_id}/steps/deregistration", {"on": day(12).isoformat()})
    body = r.json()
    assert (body["status"], body["poverty_status"], body["exit_year"], body["exited_on"]) == (
        "exited", "1", 2016, day(12).isoformat())
    assert [e["step"] for e in body["events"]] == ["proposal", "democratic_review", "verification", "consent",
                                                   "village_publicity", "village_publicity", "village_publicity",
                                                   "announcement", "deregistration"]
    listed = county.get("/cases", {"status": "exited", "year": 2016}).json()
    assert listed["count"] == 1 and listed["items"][0]["status_label"].startswith("已销号")


def test_scope_and_capability(api, people, household, propose, ninghua_village, mingxi_village):
    case = propose(household())
    theirs = household(ninghua_village)
    outsider = api(people["ninghua_county"])
    assert outsider.get(f"/cases/{case.pk}").status_code == 404
    assert outsider.get("/cases").json()["count"] == 0
    assert outsider.post(f"/cases/{case.pk}/withdraw", {"reason": "x"}).status_code == 404
    assert outsider.get("/lists", {"region": mingxi_village, "year": 2016}).status_code == 404
    assert outsider.get(f"/households/{case.household_id}/criteria").status_code == 404
    assert api(people["village"]).post("/cases", {"household_id": theirs.pk}).status_code == 404
    viewer = api(people["city"])
    assert viewer.get(f"/cases/{case.pk}").status_code == 200
    assert viewer.get(f"/cases/{case.pk}").json()["allowed_actions"] == []
    assert viewer.post(f"/cases/{case.pk}/withdraw", {"reason": "x"}).status_code == 404  # no capability
    assert api(people["village"]).post(f"/villages/{ninghua_village}/proposals",
                                       {"household_ids": [theirs.pk]}).status_code == 404


def test_village_proposals_and_batches(api, people, household, mingxi_village):
    good, bad = household(), household(education_secure=False)
    village = api(people["village"])
    r = village.post(f"/villages/{mingxi_village}/proposals", {"household_ids": [good.pk, bad.pk],
                                                               "on": D.isoformat(), "year": 2016})
    assert r.status_code == 201 and r.json()["count"] == 2
    r = village.post(f"/villages/{mingxi_village}/steps/democratic_review",
                     {"evidence": MEETING, "on": day(1).isoformat()})
    assert r.status_code == 200 and r.json()["count"] == 2
    r = village.post(f"/villages/{mingxi_village}/steps/verification", {"evidence": VERIFY, "on": day(2).isoformat()})
    assert r.status_code == 422
    body = r.json()
    assert len(body["field_errors"]["households"]) == 1 and "义务教育未保障" in body["field_errors"]["households"][0]
    assert set(ExitCase.objects.values_list("step", flat=True)) == {"verification"}
    r = village.post(f"/villages/{mingxi_village}/proposals", {"household_ids": [good.pk]})
    assert r.status_code == 422  # already has an open case


def test_lists_criteria_and_rules(api, people, household, propose, mingxi_village):
    candidate, failing = household(), household(identification_year=2016, planned_exit_year=2016)
    propose(failing)
    county = api(people["county"])
    body = county.get("/lists", {"region": mingxi_village, "year": 2016}).json()
    assert body["rules_version"] == "exit-national-2016.1"
    assert [r["household_id"] for r in body["candidates"]] == [candidate.pk]
    assert [r["household_id"] for r in body["failing"]] == [failing.pk]
    assert body["failing"][0]["failed"] == ["identified_this_year"]
    assert body["failing"][0]["reasons_zh"] == ["当年识别的贫困户当年不退出"]
    assert (body["candidate_count"], body["failing_count"], body["proposed_count"]) == (1, 1, 1)
    criteria = county.get(f"/households/{candidate.pk}/criteria", {"year": 2016}).json()
    assert criteria["meets"] and criteria["outcome"] == "exit_met" and not criteria["failed"]
    assert criteria["details"]["line"]["by_standard"] == {"1": 2952.0}
    rules = county.get("/rules", {"region": "350421"}).json()
    assert rules["rules_version"] == "exit-national-2016.1" and rules["stable_years"] == 2
    assert rules["criteria"][0]["id"] == "income_above_line"
    assert [s["id"] for s in rules["steps"]][:3] == ["proposal", "democratic_review", "verification"]
    assert county.get("/rules", {"region": "350424"}).status_code == 404
