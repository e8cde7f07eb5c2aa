"""Pages (/region-exit/) and API (/api/v1/region-exit) of village and county exit: scoped reads, writes by role."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from fupin.accounts.models import ApiToken
from fupin.policy import clock
from fupin.region_exit.models import VillageCondition, VillageExitCase
from fupin.regions.models import Region
from fupin.testing import MINGXI, NINGHUA, first_village, make_household_for

pytestmark = pytest.mark.django_db
API = "/api/v1/region-exit"
MET = {"road": True, "water": True, "power": True, "clinic": True, "broadband": True, "collective_income": "150000"}


class Api:
    def __init__(self, client, user=None):
        self.client, self.headers = client, {}
        if user is not None:
            _token, raw = ApiToken.issue(user, name="test")
            self.headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    def get(self, path, params=None):
        return self.client.get(API + path, params or {}, **self.headers)

    def send(self, method, path, body):
        return getattr(self.client, method)(API + path, json.dumps(body), content_type="application/json",
                                            **self.headers)


@pytest.fixture
def village():
    code = first_village(MINGXI)
    Region.objects.filter(code=code).update(is_poor_village=True, rural_population=1000)
    Region.objects.filter(code=MINGXI).update(rural_population=20_000)
    make_household_for(code, members=3)
    return code


def test_pages(client, make_user, village):
    assert client.get("/region-exit/").status_code == 302
    client.force_login(make_user("helper", MINGXI))
    assert client.get("/region-exit/").status_code == 404
    county = make_user("county", MINGXI)
    client.force_login(county)
    response = client.get("/region-exit/")
    assert response.status_code == 302 and response["Location"] == f"/region-exit/area/{MINGXI}/"
    body = client.get(f"/region-exit/area/{MINGXI}/").content.decode()
    assert "贫困县摘帽条件核查" in body and f'id="village-{village}"' in body and "0.30%" in body
    assert 'id="county-exit-form"' not in body  # only administrators record a county's exit
    assert client.get(f"/region-exit/area/{NINGHUA}/").status_code == 404
    year = clock.today().year
    response = client.post(f"/region-exit/village/{village}/conditions/", {"year": year, **MET, "evidence": "报表"})
    assert response.status_code == 302 and VillageCondition.objects.get().clinic
    body = client.get(f"/region-exit/village/{village}/?year={year}").content.decode()
    assert "符合出列条件" in body and 'id="propose-button"' in body
    response = client.post(f"/region-exit/village/{village}/propose/", {
        "year": year, "on": (clock.today() - dt.timedelta(days=10)).isoformat(), "step": "proposal",
        "reviewer": "乡镇", "opinion": "同意"})
    assert response.status_code == 302
    case = VillageExitCase.objects.get()
    assert case.step == "township_publicity"
    body = client.get(f"/region-exit/village/{village}/?year={year}").content.decode()
    assert 'id="complete-form"' in body and 'id="object-form"' in body and "乡镇公示" in body
    client.post(f"/region-exit/case/{case.pk}/complete/", {"on": clock.today().isoformat(),
                                                           "step": "township_publicity", "version": case.version})
    case.refresh_from_db()
    assert case.step == "county_approval"
    # A village cadre reads the village page but cannot propose or approve.
    client.force_login(make_user("village", village))
    assert client.get("/region-exit/")["Location"] == f"/region-exit/village/{village}/"
    body = client.get(f"/region-exit/village/{village}/").content.decode()
    assert 'id="complete-form"' not in body and 'id="propose-button"' not in body
    client.force_login(make_user("county", NINGHUA))
    assert client.get(f"/region-exit/village/{village}/").status_code == 404
    assert client.post(f"/region-exit/case/{case.pk}/complete/", {}).status_code == 404


def test_api(client, make_user, village):
    year = clock.today().year
    county, admin = make_user("county", MINGXI), make_user("admin", "350000000000")
    assert Api(client).get(f"/areas/{MINGXI}").status_code == 401
    api = Api(client, county)
    area = api.get(f"/areas/{MINGXI}", {"year": year}).json()
    assert area["readiness"]["ready"] is True and area["villages"][0]["code"] == village
    assert area["villages"][0]["rate"] == 0.3 and area["villages"][0]["below"] is True
    check = api.get(f"/villages/{village}/check", {"year": year}).json()
    assert check["passed"] is False and {i["id"] for i in check["items"] if not i["passed"]} >= {"road", "clinic"}
    saved = api.send("put", f"/villages/{village}/conditions/{year}", MET)
    assert saved.status_code == 200 and saved.json()["version"] == 1
    assert api.send("put", f"/villages/{village}/conditions/{year}", {"road": False, "version": 9}).status_code == 409
    assert api.send("put", f"/villages/{village}/conditions/{year}", {"airport": True}).status_code == 422
    assert api.get(f"/villages/{village}/check", {"year": year}).json()["passed"] is True
    start = (clock.today() - dt.timedelta(days=10)).isoformat()
    created = api.send("post", f"/villages/{village}/cases", {"year": year, "on": start,
                                                              "evidence": {"reviewer": "乡镇", "opinion": "同意"}})
    assert created.status_code == 201, created.content
    case = created.json()
    assert case["step"] == "township_publicity" and "complete" in case["actions"]
    early = api.send("post", f"/cases/{case['id']}/actions", {"kind": "complete", "step": "township_publicity",
                                                               "on": (clock.today() - dt.timedelta(days=5)).isoformat()})
    assert early.status_code == 422 and "公示期未满" in early.json()["message"]
    for body in ({"kind": "complete", "step": "township_publicity"},
                 {"kind": "complete", "step": "county_approval", "evidence": {"reviewer": "县", "opinion": "同意"}},
                 {"kind": "complete", "step": "announcement"}):
        response = api.send("post", f"/cases/{case['id']}/actions", body)
        assert response.status_code == 200, response.content
    assert response.json()["status"] == "registered"
    assert Region.objects.get(code=village).exit_year == year
    assert api.get(f"/areas/{MINGXI}", {"year": year}).json()["villages"][0]["exit_year"] == year
    readiness = api.get(f"/counties/{MINGXI}/readiness", {"year": year}).json()
    assert readiness["poor_villages_exited"] == 1 and readiness["poor_households"] == 1
    assert api.send("post", f"/counties/{MINGXI}/exit", {"year": year, "approved_on": clock.today().isoformat(),
                                                          "document": "批复"}).status_code == 404
    done = Api(client, admin).send("post", f"/counties/{MINGXI}/exit", {
        "year": year, "approved_on": clock.today().isoformat(), "document": "闽政文〔2019〕1号"})
    assert done.status_code == 201 and done.json()["exit_year"] == year
    # Scope.
    other = Api(client, make_user("county", NINGHUA))
    assert other.get(f"/villages/{village}/check").status_code == 404
    assert other.get(f"/cases/{case['id']}").status_code == 404
    assert other.send("put", f"/villages/{village}/conditions/{year}", MET).status_code == 404
    viewer = Api(client, make_user("city", "350400000000"))
    assert viewer.get(f"/areas/{MINGXI}").status_code == 200
    assert viewer.send("put", f"/villages/{village}/conditions/{year}", MET).status_code == 404
    assert viewer.send("post", f"/villages/{village}/cases", {"year": year}).status_code == 404


def test_area_page_counts_the_remaining_poor(client, make_user, village):
    """The villages table feeds the incidence (未脱贫, 预脱贫, 返贫 households): its columns are the remaining
    poor, in the project's wording (未脱贫户数 / 未脱贫人口), and the title is the menu's 出列摘帽."""
    client.force_login(make_user("county", MINGXI))
    body = client.get(f"/region-exit/area/{MINGXI}/").content.decode()
    head = body[body.index('<table id="villages">'):body.index("</thead>", body.index('<table id="villages">'))]
    assert "未脱贫户数" in head and "未脱贫人口" in head and "贫困人数" not in head
    assert "<h1>出列摘帽 ·" in body
