"""The rules API (/api/v1/rules/): scoped, 404 out of scope, 422 for refused rules."""

from __future__ import annotations

import pytest

from fupin.accounts.models import ApiToken
from fupin.api.tests.conftest import Api
from fupin.rules import services
from fupin.rules.models import HouseholdDecision, PathwayRun, RuleRun
from fupin.testing import MINGXI, NINGHUA, first_village

from .conftest import LINE_2016, ON


@pytest.fixture
def api_as(client, make_user):
    def make(role: str, region_code: str) -> Api:
        user = make_user(role, region_code)
        _token, raw = ApiToken.issue(user, name="test")
        return Api(client, user, raw)

    return make


def test_a_token_is_required(client, db):
    assert Api(client).get("/rules/policy").status_code == 401


def test_policy_in_force(api_as):
    api = api_as("county", MINGXI)
    body = api.get("/rules/policy", {"on": "2016-06-01"}).json()
    assert body["version"] == "national-2016.1" and body["stored"] is False
    assert body["line_year"] == 2016
    assert {"standard": "1", "standard_label": "国家标准", "amount": LINE_2016} in body["poverty_lines"]
    assert body["eligibility"][0]["id"] == "income_below_line"
    assert "sanming9" in [s["id"] for s in body["schemes"]]
    assert api.get("/rules/policy", {"region": NINGHUA}).status_code == 404
    assert api.get("/rules/policy", {"region": "x"}).status_code == 422


def test_try_a_rule(api_as, household, ninghua_village):
    api = api_as("county", MINGXI)
    h = household(per_capita=2500)
    response = api.post("/rules/try", {"household_number": h.household_number, "on": ON.isoformat(),
                                       "text": "income_per_capita < poverty_line"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["matched"] is True
    assert {v["column"]: v["value"] for v in body["values"]} == {"income_per_capita": 2500, "poverty_line": LINE_2016}
    bad = api.post("/rules/try", {"household_number": h.household_number, "text": "x; DROP TABLE y"})
    assert bad.status_code == 422 and bad.json()["field_errors"]["text"]
    other = household(village=ninghua_village)
    assert api.post("/rules/try", {"household_number": other.household_number,
                                   "text": "n_members > 0"}).status_code == 404


def test_decide_stores_the_decision_with_reasons(api_as, household, ninghua_village):
    api = api_as("township", first_village(MINGXI)[:9] + "000")
    h = household(per_capita=2500)
    response = api.post(f"/rules/households/{h.pk}/decide", {"context": "democratic_review", "on": ON.isoformat()})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["outcome"] == "eligible" and body["policy_version"] == "national-2016.1"
    assert body["reasons"][0]["rule_id"] == "income_below_line"
    stored = HouseholdDecision.objects.get(pk=body["id"])
    assert stored.made_by == api.user and stored.context == "democratic_review"
    listed = api.get(f"/rules/households/{h.pk}/decisions").json()
    assert [d["id"] for d in listed] == [body["id"]]
    other = household(village=ninghua_village)
    assert api.post(f"/rules/households/{other.pk}/decide", {}).status_code == 404
    assert api.get(f"/rules/households/{other.pk}/decisions").status_code == 404
    viewer = api_as("city", "350400000000")
    assert viewer.post(f"/rules/households/{h.pk}/decide", {}).status_code == 404
    assert viewer.get(f"/rules/households/{h.pk}/decisions").status_code == 200


def test_run_a_scheme_and_read_the_counts_and_households(api_as, household, mingxi_village):
    api = api_as("county", MINGXI)
    ill = household(main_cause="1")
    household(main_cause="7")
    response = api.post("/rules/pathway-runs", {"region_code": MINGXI, "scheme_id": "sanming9",
                                                "on": ON.isoformat()})
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "done"  # FUPIN_IMPORT_SYNC runs it inline
    assert body["totals"]["medical"] == {"households": 1, "persons": 3}
    assert body["region"]["counts"]["*"] == 2
    township = mingxi_village[:9] + "000"
    assert [c["code"] for c in body["children"]] == [township]
    drilled = api.get(f"/rules/pathway-runs/{body['id']}", {"region": township}).json()
    assert [c["code"] for c in drilled["children"]] == [mingxi_village]
    page = api.get(f"/rules/pathway-runs/{body['id']}/households", {"pathway": "medical"}).json()
    assert page["count"] == 1 and page["items"][0]["id"] == ill.pk
    pathways = api.get(f"/rules/households/{ill.pk}/pathways").json()
    assert pathways["stored"][0]["pathways"][0]["pathway_id"] == "medical"
    assert any(p["pathway_id"] == "medical" for s in pathways["now"] if s["scheme_id"] == "sanming9"
               for p in s["pathways"])


def test_rule_runs(api_as, household):
    api = api_as("county", MINGXI)
    small = household(members=1)
    household(members=3)
    body = api.post("/rules/runs", {"region_code": MINGXI, "rule_text": "n_members = 1"}).json()
    assert body["status"] == "done" and body["totals"] == {"adhoc": 1}
    page = api.get(f"/rules/runs/{body['id']}/households", {"rule": "adhoc"}).json()
    assert [i["id"] for i in page["items"]] == [small.pk]
    eligibility = api.post("/rules/runs", {"region_code": MINGXI, "eligibility": True}).json()
    assert eligibility["kind"] == "eligibility" and eligibility["households"] == 2
    bad = api.post("/rules/runs", {"region_code": MINGXI, "rule_text": "unknown_col > 1"})
    assert bad.status_code == 422 and "unknown_col" in bad.json()["message"]
    assert RuleRun.objects.count() == 2


def test_runs_out_of_scope_are_404(api_as, household, ninghua_village):
    household(village=ninghua_village)
    run = services.run_scheme(None, NINGHUA, "national5", on=ON)
    api = api_as("county", MINGXI)
    assert api.get(f"/rules/pathway-runs/{run.pk}").status_code == 404
    assert api.get(f"/rules/pathway-runs/{run.pk}/households", {"pathway": "production"}).status_code == 404
    assert api.post("/rules/pathway-runs", {"region_code": NINGHUA, "scheme_id": "national5"}).status_code == 404
    assert api.post("/rules/runs", {"region_code": NINGHUA, "eligibility": True}).status_code == 404
    mine = services.run_scheme(None, MINGXI, "national5", on=ON)
    assert api.get(f"/rules/pathway-runs/{mine.pk}", {"region": NINGHUA}).status_code == 404
    assert PathwayRun.objects.count() == 2
