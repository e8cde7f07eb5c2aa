"""The identification API (/api/v1/identification): scoped reads, writes by role, refusals as 422."""

from __future__ import annotations

import json

import pytest

from fupin.accounts.models import ApiToken
from fupin.identification.models import IdentificationCase
from fupin.testing import next_id_number

from .conftest import MEETING, OPINION, day

pytestmark = pytest.mark.django_db
PREFIX = "/api/v1/identification"


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


def test_anonymous_gets_401(api, apply):
    case = apply()
    assert api().get("/cases").status_code == 401
    assert api().post(f"/cases/{case.pk}/steps/democratic_review", {}).status_code == 401


def test_list_and_detail_are_scoped(api, apply, people, ninghua_village, make_user):
    mine = apply()
    theirs = apply(ninghua_village, actor=make_user("village", ninghua_village))
    response = api(people["county"]).get("/cases")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    item = body["items"][0]
    assert (item["id"], item["step"], item["step_label"], item["status"]) == (
        mine.pk, "democratic_review", "民主评议", "in_progress")
    assert (item["procedure_version"], item["publicity_ends_on"], item["open_objections"]) == (
        "national-2014.1", None, 0)
    assert api(people["county"]).get(f"/cases/{theirs.pk}").status_code == 404
    detail = api(people["county"]).get(f"/cases/{mine.pk}").json()
    assert [s["id"] for s in detail["steps"]][:3] == ["application", "democratic_review", "first_publicity"]
    assert detail["steps"][1]["quorum"] == "2/3" and detail["steps"][1]["runs_decision"] is True
    assert detail["allowed_actions"] == ["withdraw"]  # the county does not do the village's review
    assert [e["action"] for e in detail["events"]] == ["complete"]
    assert api(people["village"]).get(f"/cases/{mine.pk}").json()["allowed_actions"] == [
        "complete", "reject", "withdraw"]
    filtered = api(people["county"]).get("/cases", {"step": "county_review"}).json()
    assert filtered["count"] == 0


def test_perform_a_step_and_see_the_decision(api, apply, people):
    case = apply()
    response = api(people["village"]).post(f"/cases/{case.pk}/steps/democratic_review",
                                           {"evidence": MEETING, "on": "2024-03-02", "version": 1})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["step"], body["version"], body["publicity_ends_on"]) == ("first_publicity", 2, "2024-03-09")
    decision = body["decisions"][0]
    assert (decision["outcome"], decision["context"]) == ("eligible", "democratic_review")
    assert decision["policy_version"] and isinstance(decision["reasons"], list)
    assert body["events"][-1]["decision_id"] == decision["id"]


def test_refusals_are_422_with_the_procedure_message(api, apply, people):
    case = apply()
    village = api(people["village"])
    response = village.post(f"/cases/{case.pk}/steps/county_review", {"evidence": OPINION, "on": "2024-03-02"})
    assert response.status_code == 422
    assert response.json()["message"].startswith("不能办理「县级复审」: 当前环节是「民主评议」")
    response = api(people["township"]).post(f"/cases/{case.pk}/steps/democratic_review",
                                            {"evidence": {"held_on": "2024-03-02"}, "on": "2024-03-02"})
    assert response.status_code == 422
    assert set(response.json()["field_errors"]) == {"evidence.representatives_total",
                                                    "evidence.representatives_present", "evidence.votes_for",
                                                    "evidence.votes_against"}
    response = village.post(f"/cases/{case.pk}/steps/democratic_review",
                            {"evidence": MEETING, "on": "2024-03-02", "version": 5})
    assert response.status_code == 409
    assert IdentificationCase.objects.get(pk=case.pk).version == 1


def test_wrong_role_scope_and_capability(api, apply, people):
    case = apply()
    village = api(people["village"])
    village.post(f"/cases/{case.pk}/steps/democratic_review", {"evidence": MEETING, "on": "2024-03-02"})
    village.post(f"/cases/{case.pk}/steps/first_publicity", {"on": "2024-03-09"})
    village.post(f"/cases/{case.pk}/steps/township_review", {"evidence": OPINION, "on": "2024-03-10"})
    assert IdentificationCase.objects.get(pk=case.pk).step == "township_review"  # the cadre cannot
    response = api(people["township"]).post(f"/cases/{case.pk}/steps/township_review",
                                            {"evidence": OPINION, "on": "2024-03-10"})
    assert response.status_code == 200
    api(people["township"]).post(f"/cases/{case.pk}/steps/second_publicity", {"on": "2024-03-17"})
    response = village.post(f"/cases/{case.pk}/steps/county_review", {"evidence": OPINION, "on": "2024-03-18"})
    assert response.status_code == 422
    assert "村干部不能办理「县级复审」,应由县扶贫办办理" in response.json()["message"]
    for outsider in (people["ninghua_county"], people["city"], people["admin"]):
        response = api(outsider).post(f"/cases/{case.pk}/steps/county_review",
                                      {"evidence": OPINION, "on": "2024-03-18"})
        assert response.status_code == 404
    response = api(people["county"]).post(f"/cases/{case.pk}/steps/county_review",
                                          {"evidence": OPINION, "on": "2024-03-18"})
    assert response.status_code == 200 and response.json()["step"] == "announcement"


def test_objections(api, apply, people):
    case = apply()
    village = api(people["village"])
    village.post(f"/cases/{case.pk}/steps/democratic_review", {"evidence": MEETING, "on": "2024-03-02"})
    response = village.post(f"/cases/{case.pk}/objections", {"raised_by": "村民丙", "text": "家有挖掘机",
                                                              "on": "2024-03-03"})
    assert response.status_code == 201
    objection = response.json()
    assert (objection["raised_by"], objection["resolved_on"], objection["upheld"]) == ("村民丙", None, None)
    response = village.post(f"/cases/{case.pk}/steps/first_publicity", {"on": "2024-03-10"})
    assert response.status_code == 422 and "异议未处理" in response.json()["message"]
    response = api(people["ninghua_county"]).post(f"/objections/{objection['id']}/resolve",
                                                  {"resolution": "x", "on": "2024-03-04"})
    assert response.status_code == 404
    response = api(people["township"]).post(f"/objections/{objection['id']}/resolve",
                                            {"resolution": "挖掘机为租用 / rented", "on": "2024-03-04"})
    assert response.status_code == 200 and response.json()["upheld"] is False
    assert village.post(f"/cases/{case.pk}/steps/first_publicity", {"on": "2024-03-10"}).status_code == 200


def test_village_batch(api, apply, people, mingxi_village):
    a, b = apply(), apply()
    village = api(people["village"])
    response = village.post(f"/villages/{mingxi_village}/steps/democratic_review",
                            {"evidence": MEETING | {"representatives_present": 5}, "on": "2024-03-02"})
    assert response.status_code == 422
    blocking = response.json()["field_errors"]["households"]
    assert len(blocking) == 2 and a.household.household_number in blocking[0]
    response = village.post(f"/villages/{mingxi_village}/steps/democratic_review",
                            {"evidence": MEETING, "on": "2024-03-02"})
    assert response.status_code == 200
    assert response.json() == {"count": 2, "case_ids": sorted([a.pk, b.pk])}
    assert api(people["ninghua_county"]).post(f"/villages/{mingxi_village}/steps/first_publicity",
                                              {"on": "2024-03-09"}).status_code == 404


def test_new_application_and_withdraw(api, people, mingxi_village):
    body = {
        "village_code": mingxi_village, "identification_standard": "1", "category": "1",
        "category_form_version": "2016", "main_cause": "1", "identification_year": 2024, "income_wage": "1000",
        "members": [{"name": "申请人乙", "id_number": next_id_number(), "relation": "01", "ethnicity": "01",
                     "schooling": "1", "health": "1", "labour_skill": "1"}],
        "on": day(0).isoformat(), "comment": "书面申请", "procedure": "kaizhou",
    }
    assert api(people["city"]).post("/cases", body).status_code == 404
    response = api(people["workteam"]).post("/cases", body)
    assert response.status_code == 201, response.content
    case = response.json()
    assert (case["step"], case["procedure_id"], case["household_status"]) == ("household_survey", "kaizhou",
                                                                               "applicant")
    assert case["events"][0]["evidence"] == {"applicant": "申请人乙", "applied_on": "2024-03-01"}
    response = api(people["workteam"]).post(f"/cases/{case['id']}/withdraw", {"reason": "", "on": "2024-03-02"})
    assert response.status_code == 422 and response.json()["message"].startswith("撤回须说明理由")
    response = api(people["workteam"]).post(f"/cases/{case['id']}/withdraw",
                                            {"reason": "已有稳定收入 / stable income now", "on": "2024-03-02"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["household_status"]) == ("withdrawn", "declined")
    assert response.json()["allowed_actions"] == []
