"""Household reads (贫困户): list with filters and pages, detail with members, masking by role."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from fupin.api.errors import NOT_FOUND
from fupin.registry import services
from fupin.testing import MINGXI, NINGHUA, first_village, system_actor

SANMING = "350400000000"
TWELVE_DIGITS = re.compile(r"^\d{12}$")


@pytest.fixture
def three(make_household):
    """Two households in 明溪县 (different villages) and one in 宁化县."""
    a = make_household(first_village(MINGXI), members=3, bank_name="农村信用社", bank_account="6228480000012345678")
    b = make_household(first_village(MINGXI, 1), members=2, main_cause="8", other_cause_1="1", other_cause_2="7",
                       poverty_status="1", exit_year=2016, category="2")
    c = make_household(first_village(NINGHUA), members=1)
    return a, b, c


def _ids(response):
    return [item["id"] for item in response.json()["items"]]


def test_list_in_scope_with_exact_values(api_as, three):
    a, b, _c = three
    response = api_as("county", MINGXI).get("/households")
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["page"], body["page_size"]) == (2, 1, 20)
    assert body["items"][0] == {
        "id": a.pk, "household_number": f"{a.village_code}00001", "village_code": "350421100001",
        "village_name": "城东居委会", "head_name": a.head_name, "size": 3, "category": "1",
        "category_label": "一般贫困户", "category_form_version": "2016", "main_cause": "1",
        "main_cause_label": "因病", "other_causes": [], "other_cause_labels": [], "poverty_status": "0",
        "poverty_status_label": "未脱贫", "income_per_capita": "2500.00", "status": "active",
        "status_label": "在册 active", "version": 1,
    }
    second = body["items"][1]
    assert (second["id"], second["village_code"], second["size"]) == (b.pk, b.village_code, 2)
    assert (second["main_cause_label"], second["other_causes"], second["other_cause_labels"]) == (
        "缺劳力", ["1", "7"], ["因病", "缺技术"])
    assert (second["category_label"], second["poverty_status_label"], second["income_per_capita"]) == (
        "低保贫困户", "已脱贫(享受政策)", "3750.00")
    for item in body["items"]:
        assert TWELVE_DIGITS.match(item["village_code"])


def test_list_filters(api_as, three):
    a, b, c = three
    api = api_as("county", MINGXI)
    assert _ids(api.get("/households", {"region": a.village_code})) == [a.pk]
    assert _ids(api.get("/households", {"region": "350421"})) == [a.pk, b.pk]
    assert _ids(api.get("/households", {"cause": "7"})) == [b.pk]
    assert _ids(api.get("/households", {"poverty_status": "1"})) == [b.pk]
    assert _ids(api.get("/households", {"category": "2"})) == [b.pk]
    assert _ids(api.get("/households", {"q": a.head_name})) == [a.pk]
    assert _ids(api.get("/households", {"q": b.household_number})) == [b.pk]
    assert _ids(api.get("/households", {"q": c.head_name})) == []
    services.household_leaves(actor=system_actor(), household_id=b.pk, reason="moved", comment="整户迁出")
    assert _ids(api.get("/households")) == [a.pk]
    assert _ids(api.get("/households", {"status": "left"})) == [b.pk]
    assert _ids(api.get("/households", {"status": "all"})) == [a.pk, b.pk]


@pytest.mark.parametrize(("region", "expected"), [(NINGHUA, 0), ("350424", 0), ("350424100001", 0), (SANMING, 2)])
def test_list_filter_out_of_scope_never_shows_their_data(api_as, three, region, expected):
    a, b, _c = three
    response = api_as("county", MINGXI).get("/households", {"region": region})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == expected
    assert [i["id"] for i in body["items"]] == [a.pk, b.pk][:expected]  # the city filter keeps only their own
    assert "350424" not in response.content.decode()


def test_city_viewer_lists_both_counties(api_as, three):
    a, b, c = three
    api = api_as("city", SANMING)
    assert _ids(api.get("/households")) == [a.pk, b.pk, c.pk]
    assert _ids(api.get("/households", {"region": NINGHUA})) == [c.pk]


def test_pages(api_as, three):
    _a, b, _c = three
    api = api_as("county", MINGXI)
    page2 = api.get("/households", {"page_size": 1, "page": 2}).json()
    assert (page2["count"], [i["id"] for i in page2["items"]]) == (2, [b.pk])
    assert api.get("/households", {"page": 3, "page_size": 1}).json()["items"] == []


@pytest.mark.parametrize(("params", "field"), [({"page_size": 101}, "page_size"), ({"page": 0}, "page"),
                                               ({"region": "3504x"}, "region"), ({"status": "gone"}, "status"),
                                               ({"page": 10**7}, "page")])
def test_list_bad_parameters_are_422(api_as, params, field):
    response = api_as("county", MINGXI).get("/households", params)
    assert response.status_code == 422
    assert list(response.json()["field_errors"]) == [field]


def test_list_query_count_does_not_grow_with_rows(api_as, make_household, django_assert_num_queries):
    for i in range(6):
        make_household(first_village(MINGXI, i), members=2)
    api = api_as("county", MINGXI)
    with django_assert_num_queries(4):  # token, last use, count, page
        assert len(api.get("/households").json()["items"]) == 6


def test_no_role_lists_nothing(api_as, three):
    assert api_as("nobody", MINGXI).get("/households").json()["count"] == 0


def test_detail_in_scope_full_numbers(api_as, three):
    a, _b, _c = three
    response = api_as("county", MINGXI).get(f"/households/{a.pk}")
    assert response.status_code == 200
    body = response.json()
    head = a.members.get(relation="01")
    assert (body["id"], body["household_number"], body["village_code"], body["village_name"]) == (
        a.pk, a.household_number, "350421100001", "城东居委会")
    assert (body["province_code"], body["city_code"], body["county_code"], body["township_code"]) == (
        "350000000000", "350400000000", MINGXI, "350421100000")
    assert [(r["code"], r["name"], r["level"]) for r in body["regions"]] == [
        ("350000000000", "福建省", 1), ("350400000000", "三明市", 2), (MINGXI, "明溪县", 3),
        ("350421100000", "雪峰镇", 4), ("350421100001", "城东居委会", 5)]
    assert (body["bank_name"], body["bank_account"], body["id_numbers_masked"]) == (
        "农村信用社", "6228480000012345678", False)
    assert (body["income_wage"], body["income_business"], body["income_net"], body["income_per_capita"]) == (
        "6000.00", "1500.00", "7500.00", "2500.00")
    assert (body["identification_standard_label"], body["main_cause_label"], body["dilapidated_grade_label"]) == (
        "国家标准", "因病", "")
    assert (body["identification_year"], body["planned_exit_year"], body["exit_year"]) == (2014, 2016, None)
    assert (body["head_name"], body["size"], body["version"], body["status"]) == (head.name, 3, 1, "active")
    assert len(body["members"]) == 3
    first = body["members"][0]
    assert (first["id"], first["name"], first["id_number"], first["relation"], first["relation_label"]) == (
        head.pk, head.name, head.id_number, "01", "户主")
    assert (first["sex"], first["birth_date"], first["household_id"], first["version"]) == (
        head.sex, head.birth_date.isoformat(), a.pk, 1)
    assert (first["ethnicity_label"], first["education_label"], first["health_label"]) == ("汉族", "初中", "健康")


def test_detail_query_count_does_not_grow_with_members(api_as, make_household, django_assert_num_queries):
    small, large = make_household(members=1), make_household(first_village(MINGXI, 1), members=6)
    api = api_as("county", MINGXI)
    api.get("/households")  # records the token's last use, so both reads below skip that write
    for h in (small, large):
        with django_assert_num_queries(5):  # token, household, members, ancestors, the same persons elsewhere
            assert len(api.get(f"/households/{h.pk}").json()["members"]) == h.size


@pytest.mark.parametrize(("role", "region", "masked"), [
    ("city", SANMING, True), ("province", "350000000000", True), ("evaluator", MINGXI, True),
    ("auditor", MINGXI, False), ("county", MINGXI, False), ("village", "350421100001", False),
])
def test_detail_masks_numbers_by_role(api_as, three, role, region, masked):
    a, _b, _c = three
    body = api_as(role, region).get(f"/households/{a.pk}").json()
    numbers = sorted(a.members.values_list("id_number", flat=True))
    shown = sorted(m["id_number"] for m in body["members"])
    if masked:
        assert shown == sorted(f"{n[:4]}{'*' * 10}{n[-4:]}" for n in numbers)
        assert all(s.startswith("3504**********") for s in shown)
        assert body["bank_account"] == "***************5678"  # as the pages and the export mask it
    else:
        assert shown == numbers
        assert body["bank_account"] == "6228480000012345678"
    assert body["id_numbers_masked"] is masked
    assert body["village_code"] == "350421100001"


def test_detail_out_of_scope_is_404_like_a_missing_one(api_as, three):
    _a, _b, c = three
    api = api_as("county", MINGXI)
    out_of_scope = api.get(f"/households/{c.pk}")
    missing = api.get("/households/999999")
    assert (out_of_scope.status_code, out_of_scope.json()) == (404, {"detail": NOT_FOUND})
    assert (missing.status_code, missing.json()) == (404, {"detail": NOT_FOUND})
    assert c.head_name not in out_of_scope.content.decode()
    assert api_as("village", first_village(MINGXI, 1)).get(f"/households/{three[0].pk}").status_code == 404
    assert api_as("nobody", MINGXI).get(f"/households/{three[0].pk}").status_code == 404


@pytest.mark.parametrize("path", ["/households/abc", "/households/0", f"/households/{2**63}"])
def test_malformed_ids_are_422(api_as, path):
    response = api_as("county", MINGXI).get(path)
    assert response.status_code == 422
    assert list(response.json()["field_errors"]) == ["household_id"]


def test_left_members_are_listed_with_their_status(api_as, three):
    a, _b, _c = three
    child = a.members.exclude(relation="01").first()
    services.member_leaves(actor=system_actor(), member_id=child.pk, reason="marriage_out")
    body = api_as("county", MINGXI).get(f"/households/{a.pk}").json()
    assert body["size"] == 2
    left = [m for m in body["members"] if m["status"] == "left"]
    assert [(m["id"], m["left_reason"], m["left_reason_label"]) for m in left] == [(child.pk, "marriage_out", "婚出")]
    assert all(m["elsewhere"] is None for m in body["members"])


def test_a_member_who_moved_names_the_other_household(api_as, three):
    """迁出: the record left points to the household the person is in now (现在户), the new record to the
    one left (曾在户) — in the household's members and in the member's own API, within the scope."""
    from fupin.testing import member_data

    a, b, _c = three
    child = a.members.exclude(relation="01").order_by("pk").first()
    services.member_leaves(actor=system_actor(), member_id=child.pk, reason="moved_out")
    moved = services.add_member(actor=system_actor(), household_id=b.pk,
                                data={**member_data("03"), "id_number": child.id_number, "name": child.name})
    child.refresh_from_db()
    api = api_as("county", MINGXI)
    gone = next(m for m in api.get(f"/households/{a.pk}").json()["members"] if m["id"] == child.pk)
    left_at = datetime.fromisoformat(gone["elsewhere"].pop("left_at").replace("Z", "+00:00"))
    assert gone["elsewhere"] == {
        "kind": "to", "household_id": b.pk, "household_number": b.household_number, "head_name": b.head_name,
        "left_reason": "moved_out", "left_reason_label": "迁出"}
    assert abs(left_at - child.left_at) < timedelta(milliseconds=1)
    came = next(m for m in api.get(f"/households/{b.pk}").json()["members"] if m["id"] == moved.pk)
    assert (came["elsewhere"]["kind"], came["elsewhere"]["household_id"]) == ("from", a.pk)
    own = api.patch(f"/members/{moved.pk}", {"version": moved.version, "health": "2"})
    assert own.status_code == 200, own.content
    assert (own.json()["health"], own.json()["elsewhere"]["household_number"]) == ("2", a.household_number)
