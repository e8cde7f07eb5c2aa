"""The pairing API: scoped reads (404 out of scope), writes with their capability, limits as 422."""

import pytest

from fupin.accounts.models import ApiToken
from fupin.api.tests.conftest import Api
from fupin.pairing import services
from fupin.pairing.models import Helper, HouseholdPairing
from fupin.testing import MINGXI, NINGHUA, first_village

from .conftest import START


@pytest.fixture
def api_for(client):
    def make(user):
        _token, raw = ApiToken.issue(user, name="test")
        return Api(client, user, raw)
    return make


def test_pair_transfer_end_and_history(api_for, township_officer, make_helper, households):
    api = api_for(township_officer)
    a, b = make_helper("甲"), make_helper("乙")
    h = households[0]
    created = api.post(f"/pairing/households/{h.pk}/pairings", {"helper_id": a.pk, "started_on": "2016-02-01"})
    assert created.status_code == 201, created.content
    first = created.json()
    assert (first["helper_name"], first["ended_on"]) == ("甲", None)
    moved = api.post(f"/pairing/pairings/{first['id']}/transfer", {"helper_id": b.pk, "on": "2017-02-01"})
    assert moved.status_code == 201 and moved.json()["helper_id"] == b.pk
    history = api.get(f"/pairing/households/{h.pk}").json()
    assert [p["helper_name"] for p in history] == ["乙", "甲"]
    assert history[1]["transfer_to_id"] == history[0]["id"] and history[1]["end_reason"] == "transfer"
    ended = api.post(f"/pairing/pairings/{history[0]['id']}/end", {"reason": "exited", "ended_on": "2018-01-01"})
    assert ended.status_code == 200 and ended.json()["end_reason"] == "exited"


def test_limit_is_a_422_naming_it(api_for, township_officer, make_helper, households):
    api = api_for(township_officer)
    helper = make_helper("满")
    for h in households[:5]:
        assert api.post(f"/pairing/households/{h.pk}/pairings", {"helper_id": helper.pk}).status_code == 201
    refused = api.post(f"/pairing/households/{households[5].pk}/pairings", {"helper_id": helper.pk})
    assert refused.status_code == 422
    assert "最多5户" in refused.json()["field_errors"]["helper"][0]
    limits = api.get("/pairing/limits").json()
    assert limits["max_households_per_helper"] == 5 and limits["version"] == "default-2015.1"


def test_scope_and_capabilities(api_for, make_user, make_helper, households):
    h = households[0]
    helper = make_helper()
    other_county = api_for(make_user("county", NINGHUA))
    assert other_county.get(f"/pairing/households/{h.pk}").status_code == 404
    assert other_county.post(f"/pairing/households/{h.pk}/pairings", {"helper_id": helper.pk}).status_code == 404
    assert other_county.get(f"/pairing/helpers/{helper.pk}").status_code == 404
    assert other_county.get("/pairing/coverage", {"region": MINGXI}).status_code == 404
    village = api_for(make_user("village", h.village_code))  # sees, does not manage
    assert village.get(f"/pairing/households/{h.pk}").status_code == 200
    assert village.post(f"/pairing/households/{h.pk}/pairings", {"helper_id": helper.pk}).status_code == 404
    assert not HouseholdPairing.objects.exists()


def test_helper_login_sees_only_its_households(api_for, make_user, township_officer, households):
    login = make_user("helper", MINGXI)
    helper = Helper.objects.create(name="帮扶", unit="县局", unit_level="county", region_code=MINGXI, user=login)
    services.pair_household(actor=township_officer, helper_id=helper.pk, household_id=households[0].pk,
                            started_on=START)
    api = api_for(login)
    mine = api.get("/pairing/mine").json()
    assert [x["id"] for x in mine["households"]] == [households[0].pk]
    assert mine["helper"]["current_households"] == 1 and mine["helper"]["limit"] == 5
    assert api.get(f"/pairing/helpers/{helper.pk}").status_code == 200
    assert api.get(f"/pairing/households/{households[0].pk}").status_code == 200
    assert api.get(f"/pairing/households/{households[1].pk}").status_code == 404
    assert api.get("/pairing/coverage").status_code == 404
    assert api.get("/pairing/helpers").status_code == 404
    assert api_for(make_user("county", MINGXI)).get("/pairing/mine").status_code == 404


def test_coverage_teams_and_places(api_for, county_officer, village, households, make_user):
    api = api_for(county_officer)
    team = api.post("/pairing/teams", {"village_code": village.code, "sending_unit": "县委组织部",
                                       "unit_level": "county", "started_on": "2016-01-01"})
    assert team.status_code == 201, team.content
    team_id = team.json()["id"]
    assert team.json()["has_first_secretary"] is False
    with_fs = api.post(f"/pairing/teams/{team_id}/members", {"name": "书记", "is_first_secretary": True,
                                                            "joined_on": "2016-01-01"}).json()
    assert with_fs["has_first_secretary"] is True
    member_id = with_fs["members"][0]["id"]
    recorded = api.post(f"/pairing/members/{member_id}/attendance", {"month": "2016-02-10", "days_present": 15})
    assert recorded.json()["members"][0]["attendance"] == [
        {"month": "2016-02-01", "days_present": 15, "short": True, "comment": ""}]
    report = api.get("/pairing/coverage", {"on": "2016-03-01"}).json()
    row = next(v for v in report["villages"] if v["code"] == village.code)
    assert row["first_secretaries"] == 1 and row["without_helper"] == 7 and row["has_gap"]
    assert report["totals"]["without_helper"] == 7
    assert len(report["households_without_helper"]) == 7
    place = api.post("/pairing/places/unit_village", {"data": {"unit": "县交通局", "unit_level": "county",
                                                               "village": village.code}, "started_on": "2016-01-01"})
    assert place.status_code == 201 and place.json()["fields"]["village"] == village.code
    listed = api.get("/pairing/places/unit_village").json()
    assert listed["count"] == 1
    bad = api.post("/pairing/places/unit_village", {"data": {"unit": "x", "unit_level": "county",
                                                             "village": first_village(NINGHUA)}})
    assert bad.status_code == 404  # another county's village
    assert api.get("/pairing/teams").json()["count"] == 1
    assert api_for(make_user("county", NINGHUA)).get(f"/pairing/teams/{team_id}").status_code == 404
