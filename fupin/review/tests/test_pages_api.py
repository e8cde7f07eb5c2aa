"""The review pages (/review/) and API (/api/v1/review): scoped reads, writes by role, drill-down."""

from __future__ import annotations

import json

import pytest

from fupin.accounts.models import ApiToken
from fupin.review import services
from fupin.review.models import ReviewCycle, Snapshot
from fupin.testing import MINGXI, NINGHUA, first_village, make_household_for

pytestmark = pytest.mark.django_db
API = "/api/v1/review"


class Api:
    def __init__(self, client, user=None):
        self.client, self.headers = client, {}
        if user is not None:
            _token, raw = ApiToken.issue(user, name="test")
            self.headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    def get(self, path, params=None):
        return self.client.get(API + path, params or {}, **self.headers)

    def post(self, path, body):
        return self.client.post(API + path, json.dumps(body), content_type="application/json", **self.headers)


@pytest.fixture
def setup(make_user):
    county = make_user("county", MINGXI)
    village = first_village(MINGXI)
    a = make_household_for(village, members=3, actor=county)
    make_household_for(village, members=2, actor=county)
    services.take_snapshot(actor=county, county_code=MINGXI, year=2015, source="test")
    from fupin.registry import services as registry

    a.refresh_from_db()
    registry.update_household(actor=county, household_id=a.pk, expected_version=a.version,
                              data={"poverty_status": "1", "exit_year": 2016}, source="test")
    return {"county": county, "village": village, "exited": a}


def test_pages_anonymous_and_without_capability(client, make_user, setup):
    assert client.get("/review/").status_code == 302
    client.force_login(make_user("helper", MINGXI))
    assert client.get("/review/").status_code == 404
    assert client.get(f"/review/flows/?region={MINGXI}&year=2016").status_code == 404


def test_list_open_close_and_report(client, setup):
    client.force_login(setup["county"])
    page = client.get("/review/")
    assert page.status_code == 200 and "年度动态调整" in page.content.decode()
    response = client.post("/review/open/", {"open-county": MINGXI, "open-year": 2016, "open-comment": ""})
    cycle = ReviewCycle.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/review/{cycle.pk}/"
    body = client.get(f"/review/{cycle.pk}/").content.decode()
    assert 'id="provisional"' in body and 'id="close-button"' in body
    assert 'id="totals-households"' in body
    response = client.post(f"/review/{cycle.pk}/close/", {"version": cycle.version})
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert cycle.status == "closed" and Snapshot.objects.filter(year=2016).exists()
    body = client.get(f"/review/flows/?region={MINGXI}&year=2016").content.decode()
    assert "年度进出统计" in body or "进出" in body
    assert 'id="children"' in body and 'id="missing-' not in body
    # a year without its snapshots: the reason in the page's language (stored "中文 / English")
    missing = client.get(f"/review/flows/?region={MINGXI}&year=2019").content.decode()
    assert f'<p class="alert" id="missing-{MINGXI}">{MINGXI}: 缺少2018年快照</p>' in missing
    # Counts, not the project's 贫困户 / 人口 (msgctxt "count"): the totals rows and the rows of each area.
    assert '<tr id="totals-households"><th>户数</th>' in body and '<tr id="totals-persons"><th>人数</th>' in body
    assert "<td>户数</td>" in body and "<td>人数</td>" in body
    assert "<th>贫困户</th>" not in body and "<td>贫困户</td>" not in body and "<td>人口</td>" not in body
    town = setup["village"][:9] + "000"
    assert f"?region={town}&year=2016" in body
    body = client.get(f"/review/flows/households/?region={setup['village']}&year=2016&flow=exited").content.decode()
    assert f'id="hh-{setup["exited"].pk}"' in body
    assert '<th class="num">人数</th>' in body
    assert client.get(f"/review/flows/households/?region={MINGXI}&year=2016&flow=bogus").status_code == 404
    # Out of scope.
    assert client.get(f"/review/flows/?region={NINGHUA}&year=2016").status_code == 404


def test_township_reads_but_does_not_manage(client, make_user, setup):
    town = setup["village"][:9] + "000"
    client.force_login(make_user("township", town))
    assert client.get(f"/review/flows/?region={town}&year=2016").status_code == 200
    assert client.get(f"/review/flows/?region={MINGXI}&year=2016").status_code == 404
    response = client.post("/review/open/", {"open-county": MINGXI, "open-year": 2016})
    assert response.status_code == 302 and not ReviewCycle.objects.exists()


def test_api(client, make_user, setup):
    county, village = setup["county"], setup["village"]
    assert Api(client).get("/cycles").status_code == 401
    api = Api(client, county)
    assert api.post("/cycles", {"county": "350421", "year": 2015}).status_code == 422  # no 2014 snapshot
    created = api.post("/cycles", {"county": "350421", "year": 2016, "comment": "回头看"})
    assert created.status_code == 201, created.content
    cycle = created.json()
    report = api.get("/flows", {"region": MINGXI, "year": 2016}).json()
    assert report["provisional"] is True and report["households"]["exited"] == 1
    assert report["households"]["start"] == 2 and report["persons"]["end"] == 2 and report["households"]["balanced"]
    assert report["children"][0]["households"]["exited"] == 1
    assert api.post(f"/cycles/{cycle['id']}/close", {"version": cycle["version"] + 5}).status_code == 409
    closed = api.post(f"/cycles/{cycle['id']}/close", {"version": cycle["version"]}).json()
    assert closed["status"] == "closed" and closed["snapshot"]["poor_households"] == 1
    rows = api.get("/flows/households", {"region": village, "year": 2016, "flow": "exited"}).json()
    assert rows["count"] == 1 and rows["items"][0]["household_id"] == setup["exited"].pk
    assert rows["items"][0]["persons"] == 3
    assert [s["year"] for s in api.get("/snapshots").json()] == [2016, 2015]
    assert api.post("/snapshots", {"county": MINGXI, "year": 2016}).status_code == 422
    assert api.post("/snapshots", {"county": MINGXI, "year": 2016, "extra": 1}).status_code == 422
    # Scope and capability.
    other = Api(client, make_user("county", NINGHUA))
    assert other.get(f"/cycles/{cycle['id']}").status_code == 404
    assert other.get("/flows", {"region": MINGXI, "year": 2016}).status_code == 404
    assert other.post(f"/cycles/{cycle['id']}/close", {}).status_code == 404
    viewer = Api(client, make_user("city", "350400000000"))
    assert viewer.get("/flows", {"region": "350400000000", "year": 2016}).status_code == 200
    assert viewer.post("/snapshots", {"county": MINGXI, "year": 2017}).status_code == 404
    assert Api(client, make_user("helper", MINGXI)).get("/cycles").status_code == 404
