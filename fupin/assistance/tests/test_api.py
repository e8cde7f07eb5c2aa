"""The assistance API (/api/v1/assistance): scoped reads, writes by the household's helper or an editor,
refusals as 422, stale versions 409, everything else 404."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fupin.accounts.models import ApiToken
from fupin.assistance import services
from fupin.assistance.models import HouseholdPlan, PlannedMeasure, Visit

from .conftest import TODAY, ago
from .test_services import JPEG

pytestmark = pytest.mark.django_db
PREFIX = "/api/v1/assistance"


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

    def upload(self, path, files):
        return self.client.post(PREFIX + path, {"photos": files}, **self.headers)


@pytest.fixture
def api(client):
    return lambda user=None: Api(client, user)


def test_anonymous_gets_401(api, world):
    for path in ("/plans", "/measure-types", "/visits", "/measures-given", "/overdue-visits",
                 f"/households/{world.h1.pk}/qiqing"):
        assert api().get(path).status_code == 401
    assert api().post("/plans", {"household_id": world.h1.pk, "year": TODAY.year}).status_code == 401


def test_measure_types(api, world):
    body = api(world.helper_user).get("/measure-types").json()
    assert body["version"] == "2016.1" and body["visit_interval_days"] == 30
    tea = next(m for m in body["measure_types"] if m["id"] == "industry_tea")
    assert (tea["label_zh"], tea["unit"], tea["unit_label"], tea["amounts"], tea["group_label"]) == (
        "茶叶种植补贴", "mu", "亩", {"standard": "1500"}, "产业扶持")
    loan = next(m for m in body["measure_types"] if m["id"] == "finance_microloan")
    assert (loan["max_amount"], loan["max_term_months"]) == ("50000", 36)


def test_helper_plans_through_the_api(api, world):
    helper = api(world.helper_user)
    response = helper.post("/plans", {"household_id": world.h1.pk, "year": TODAY.year, "goal": "增收"})
    assert response.status_code == 201
    plan = response.json()
    assert (plan["household_id"], plan["status"], plan["status_label"], plan["measures"]) == (
        world.h1.pk, "draft", "编制中 draft", [])
    assert "health_medical_aid" in [s["measure_type"] for s in plan["suggestions"]]
    assert helper.post("/plans", {"household_id": world.h3.pk, "year": TODAY.year}).status_code == 404
    assert helper.post("/plans", {"household_id": world.far.pk, "year": TODAY.year}).status_code == 404
    dup = helper.post("/plans", {"household_id": world.h1.pk, "year": TODAY.year})
    assert dup.status_code == 422 and dup.json()["field_errors"]["year"]
    assert helper.post("/plans", {"household_id": world.h1.pk, "year": TODAY.year, "size": 3}).status_code == 422
    target = (TODAY + dt.timedelta(days=20)).isoformat()
    added = helper.post(f"/plans/{plan['id']}/measures", {"measure_type": "health_medical_aid", "target_date": target,
                                                          "expected_income": "800"})
    assert added.status_code == 201
    m = added.json()
    assert (m["status"], m["helper_name"], m["expected_income"], m["measure_label"]) == (
        "planned", "王帮扶", "800.00", "医疗救助")
    assert {r["kind"] for r in m["reasons"]} == {"pathway", "cause"}
    # listing: the helper's plan, nothing of Ninghua
    assert [p["id"] for p in helper.get("/plans").json()["items"]] == [plan["id"]]
    assert api(world.ninghua_county).get("/plans").json()["count"] == 0
    assert api(world.ninghua_county).get(f"/plans/{plan['id']}").status_code == 404
    assert api(world.county).get("/plans", {"region": world.village}).json()["count"] == 1
    assert api(world.county).get("/plans", {"region": world.other_village}).json()["count"] == 0


def test_measure_status_changes(api, world):
    plan = services.create_plan(actor=world.helper_user, household_id=world.h1.pk, year=TODAY.year)
    m = services.add_measure(actor=world.helper_user, plan_id=plan.pk, measure_type="industry_tea",
                             target_date=TODAY + dt.timedelta(days=3))
    helper = api(world.helper_user)
    illegal = helper.post(f"/measures/{m.pk}/status", {"status": "done"})
    assert illegal.status_code == 422
    assert "a measure cannot go from planned to done" in illegal.json()["message"]
    assert illegal.json()["field_errors"] == {"status": [illegal.json()["message"]]}
    no_reason = helper.post(f"/measures/{m.pk}/status", {"status": "dropped"})
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["field_errors"]
    assert helper.post(f"/measures/{m.pk}/status", {"status": "planned"}).status_code == 422  # not a target
    ok = helper.post(f"/measures/{m.pk}/status", {"status": "in_progress", "version": 1})
    assert ok.status_code == 200 and ok.json()["status"] == "in_progress" and ok.json()["version"] == 2
    assert helper.post(f"/measures/{m.pk}/status", {"status": "done", "version": 1}).status_code == 409
    assert api(world.helper2_user).post(f"/measures/{m.pk}/status", {"status": "done"}).status_code == 404
    assert api(world.city).post(f"/measures/{m.pk}/status", {"status": "done"}).status_code == 404
    done = helper.post(f"/measures/{m.pk}/status", {"status": "done", "version": 2})
    assert done.status_code == 200 and done.json()["done_on"] == TODAY.isoformat()
    assert PlannedMeasure.objects.get(pk=m.pk).status == "done"


def test_plan_approval(api, world):
    plan = services.create_plan(actor=world.helper_user, household_id=world.h1.pk, year=TODAY.year)
    assert api(world.helper_user).post(f"/plans/{plan.pk}/approve", {}).status_code == 404
    assert api(world.township).post(f"/plans/{plan.pk}/approve", {"version": 9}).status_code == 409
    ok = api(world.township).post(f"/plans/{plan.pk}/approve", {"version": 1})
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    again = api(world.county).post(f"/plans/{plan.pk}/approve", {})
    assert again.status_code == 422
    assert HouseholdPlan.objects.get(pk=plan.pk).status == "approved"


def test_measures_given(api, world):
    helper = api(world.helper_user)
    response = helper.post("/measures-given", {"household_id": world.h1.pk, "measure_type": "relocation_centralized",
                                               "given_on": ago(3).isoformat(), "quantity": "2",
                                               "variant": "deep_poverty", "fund_ref": "搬迁专项"})
    assert response.status_code == 201
    g = response.json()
    assert (g["amount"], g["unit"], g["fund_ref"], g["measure_label"]) == ("32000.00", "person", "搬迁专项",
                                                                         "易地扶贫搬迁(集中安置)")
    over = helper.post("/measures-given", {"household_id": world.h1.pk, "measure_type": "finance_microloan",
                                           "given_on": ago(3).isoformat(), "amount": "50000.01"})
    assert over.status_code == 422 and "amount" in over.json()["field_errors"]
    assert api(world.helper2_user).post("/measures-given", {"household_id": world.h1.pk, "measure_type": "industry_tea",
                                                            "given_on": ago(3).isoformat()}).status_code == 404
    assert helper.get("/measures-given", {"household_id": world.h1.pk}).json()["count"] == 1
    assert api(world.helper2_user).get("/measures-given").json()["count"] == 0
    cancelled = helper.post(f"/measures-given/{g['id']}/cancel", {"reason": "重复"})
    assert cancelled.status_code == 200 and cancelled.json()["cancelled"] is True


def test_visits_and_photos(api, world, settings, tmp_path, client):
    settings.MEDIA_ROOT = tmp_path
    helper = api(world.helper_user)
    response = helper.post("/visits", {"household_id": world.h1.pk, "visited_on": ago(1).isoformat(),
                                       "found": "身体好转", "agreed": "下月复查"})
    assert response.status_code == 201
    v = response.json()
    assert (v["helper_name"], v["found"], v["photos"]) == ("王帮扶", "身体好转", [])
    uploaded = helper.upload(f"/visits/{v['id']}/photos", [SimpleUploadedFile("a.jpg", JPEG, "image/jpeg")])
    assert uploaded.status_code == 201
    [photo] = uploaded.json()["photos"]
    assert photo["content_type"] == "image/jpeg" and photo["url"].startswith("/assistance/photos/")
    bad = helper.upload(f"/visits/{v['id']}/photos", [SimpleUploadedFile("a.jpg", b"%PDF-1.4", "image/jpeg")])
    assert bad.status_code == 422 and "photos" in bad.json()["field_errors"]
    assert api(world.helper2_user).upload(f"/visits/{v['id']}/photos",
                                          [SimpleUploadedFile("b.jpg", JPEG, "image/jpeg")]).status_code == 404
    assert api(world.helper2_user).post("/visits", {"household_id": world.h1.pk, "visited_on": ago(1).isoformat(),
                                                    "found": "x"}).status_code == 404
    cadre = api(world.cadre).post("/visits", {"household_id": world.h1.pk, "visited_on": ago(1).isoformat(),
                                              "found": "x"})
    assert cadre.status_code == 422 and "helper" in cadre.json()["field_errors"]
    assert [x["id"] for x in helper.get("/visits").json()["items"]] == [v["id"]]
    assert api(world.ninghua_county).get("/visits").json()["count"] == 0
    assert Visit.objects.count() == 1


def test_qiqing_suggestions_and_overdue(api, world):
    services.record_visit(actor=world.helper_user, household_id=world.h1.pk, visited_on=ago(40), found="x")
    q = api(world.helper_user).get(f"/households/{world.h1.pk}/qiqing").json()
    assert (q["poverty_status"], q["causes"], q["helpers"], q["last_visit"], q["planned_exit_year"]) == (
        "未脱贫", ["因病", "缺资金"], ["王帮扶"], ago(40).isoformat(), 2026)
    assert api(world.helper_user).get(f"/households/{world.h3.pk}/qiqing").status_code == 404
    suggestions = api(world.county).get(f"/households/{world.h1.pk}/suggestions").json()
    assert "finance_microloan" in [s["measure_type"] for s in suggestions]
    overdue = api(world.county).get("/overdue-visits").json()
    assert overdue["region_code"] == world.county.region.code and overdue["visit_interval_days"] == 30
    assert [(r["helper_name"], r["households"], r["overdue"]) for r in overdue["helpers"]] == [
        ("王帮扶", 2, 2), ("李帮扶", 1, 1)]
    assert api(world.county).get("/overdue-visits", {"region": world.ninghua_village}).status_code == 404
    assert api(world.county).get("/overdue-visits", {"region": "12x"}).status_code == 404
