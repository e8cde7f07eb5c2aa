"""Household and member writes (建档, 修改): editors in scope only, versions, audit, nothing half-written."""

from __future__ import annotations

import pytest

from fupin.api.errors import NOT_FOUND
from fupin.core.models import ChangeRecord
from fupin.registry import services
from fupin.registry.models import Household, Member
from fupin.testing import MINGXI, NINGHUA, first_village, household_data, member_data, next_id_number, system_actor

SANMING = "350400000000"
INVALID = "数据有误,未保存 / invalid data, nothing was saved"


def _snapshot():
    """Everything a write could touch, to assert that a refused write changed nothing."""
    return (
        list(Household.objects.order_by("pk").values()),
        list(Member.objects.order_by("pk").values()),
        ChangeRecord.objects.count(),
    )


def _new_household(village_code: str, **fields):
    return {"village_code": village_code, **household_data(**fields),
            "members": [member_data("01", name="张三"), member_data("02", name="李四")]}


# ------------------------------------------------------------------ POST /households


def test_create_in_scope(api_as):
    api = api_as("county", MINGXI)
    village = first_village(MINGXI, 2)
    body = _new_household(village, bank_account="6228480000099990000", other_cause_1="7", road_type="3")
    response = api.post("/households", body)
    assert response.status_code == 201, response.content
    data = response.json()
    h = Household.objects.get()
    assert (data["id"], data["household_number"], data["village_code"]) == (h.pk, f"{village}00001", village)
    assert (data["head_name"], data["size"], data["version"]) == ("张三", 2, 1)
    assert (data["main_cause_label"], data["other_causes"], data["road_type_label"]) == ("因病", ["7"], "水泥路")
    assert (data["income_net"], data["income_per_capita"], data["bank_account"]) == (
        "7500.00", "3750.00", "6228480000099990000")
    assert [m["name"] for m in data["members"]] == ["张三", "李四"]
    assert [m["id_number"] for m in data["members"]] == [body["members"][0]["id_number"],
                                                         body["members"][1]["id_number"]]
    records = ChangeRecord.objects.filter(household_id=h.pk)
    assert sorted(records.values_list("model", flat=True)) == ["registry.household", "registry.member",
                                                               "registry.member"]
    assert set(records.values_list("source", "actor_id", "region_code")) == {("api", api.user.pk, village)}


@pytest.mark.parametrize(("role", "region"), [("city", SANMING), ("evaluator", MINGXI), ("auditor", MINGXI),
                                              ("province", "350000000000"), ("nobody", MINGXI)])
def test_create_without_edit_capability_is_404_and_writes_nothing(api_as, role, region):
    before = _snapshot()
    response = api_as(role, region).post("/households", _new_household(first_village(MINGXI)))
    assert (response.status_code, response.json()) == (404, {"detail": NOT_FOUND})
    assert _snapshot() == before


def test_create_without_edit_capability_is_404_even_with_a_bad_body(api_as):
    assert api_as("city", SANMING).post("/households", {"junk": 1}).status_code == 404


def test_create_out_of_scope_is_404_and_writes_nothing(api_as):
    before = _snapshot()
    response = api_as("county", MINGXI).post("/households", _new_household(first_village(NINGHUA)))
    assert (response.status_code, response.json()) == (404, {"detail": NOT_FOUND})
    assert _snapshot() == before


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"main_cause": "77"}, "main_cause", "不是有效的致贫原因代码: 77 / not a valid Cause of poverty code"),
    ({"income_wage": None}, "income_wage", None),
    ({"income_wage": "12345678901.5"}, "income_wage", None),
    ({"members": [member_data("01", id_number="350421197001010000")]}, "members.0.id_number", None),
    ({"members": [member_data("03")]}, "members.relation", "该户没有户主 / the household has no head"),
    ({"members": []}, "members", "至少登记一名成员(户主) / at least one member (the head)"),
    ({"identification_year": "soon"}, "identification_year", None),
    ({"village_code": "3504211"}, "village_code", None),
    ({"village_code": "350421100000"}, "village_code", "不是村级区划: 350421100000 / not a village code"),
])
def test_create_refused_with_field_errors(api_as, change, field, message):
    before = _snapshot()
    body = {**_new_household(first_village(MINGXI)), **change}
    response = api_as("county", MINGXI).post("/households", body)
    assert response.status_code == 422, response.content
    data = response.json()
    assert data["message"] == INVALID
    assert list(data["field_errors"]) == [field]
    if message:
        assert data["field_errors"][field] == [message]
    assert _snapshot() == before


def test_create_missing_required_fields(api_as):
    body = _new_household(first_village(MINGXI))
    del body["main_cause"], body["members"][0]["id_number"]
    data = api_as("county", MINGXI).post("/households", body).json()
    assert set(data["field_errors"]) == {"main_cause", "members.0.id_number"}


def test_create_duplicate_person_names_the_other_household(api_as, make_household):
    other = make_household(first_village(NINGHUA), members=1)
    taken = other.members.get().id_number
    body = _new_household(first_village(MINGXI))
    body["members"][1]["id_number"] = taken
    before = _snapshot()
    response = api_as("county", MINGXI).post("/households", body)
    assert response.status_code == 422
    assert other.household_number in response.json()["field_errors"]["members.1.id_number"][0]
    assert _snapshot() == before


# ------------------------------------------------------------------ PATCH /households/{id}


def test_update_in_scope_writes_exact_audit(api_as, make_household):
    h = make_household(first_village(MINGXI), members=3)
    api = api_as("township", "350421100000")
    response = api.patch(f"/households/{h.pk}", {"version": 1, "main_cause": "2", "income_wage": "9000",
                                                  "phone": "13800000000"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["version"], data["main_cause"], data["main_cause_label"]) == (2, "2", "因残")
    assert (data["income_wage"], data["income_net"], data["income_per_capita"]) == ("9000.00", "10500.00", "3500.00")
    h.refresh_from_db()
    assert (h.version, h.main_cause, h.phone, str(h.income_per_capita)) == (2, "2", "13800000000", "3500.00")
    record = ChangeRecord.objects.filter(household_id=h.pk, action="update").get()
    assert record.changes == {
        "main_cause": ["1", "2"], "phone": ["", "13800000000"], "income_wage": ["6000.00", "9000.00"],
        "income_net": ["7500.00", "10500.00"], "income_per_capita": ["2500.00", "3500.00"],
    }
    assert (record.actor_id, record.source, record.model, record.object_id) == (
        api.user.pk, "api", "registry.household", str(h.pk))


def test_update_nulls(api_as, make_household):
    h = make_household(first_village(MINGXI), members=1, other_cause_1="7", road_type="3")
    api = api_as("county", MINGXI)
    data = api.patch(f"/households/{h.pk}", {"version": 1, "other_cause_1": None, "road_type": None,
                                              "planned_exit_year": None}).json()
    assert (data["other_causes"], data["road_type"], data["planned_exit_year"]) == ([], "", None)
    refused = api.patch(f"/households/{h.pk}", {"version": 2, "main_cause": None, "has_electricity": None})
    assert refused.status_code == 422
    assert set(refused.json()["field_errors"]) == {"main_cause", "has_electricity"}


def test_stale_version_is_409_and_changes_nothing(api_as, make_household):
    h = make_household(first_village(MINGXI), members=2)
    first, second = api_as("county", MINGXI), api_as("village", h.village_code)
    assert first.patch(f"/households/{h.pk}", {"version": 1, "phone": "13900000001"}).status_code == 200
    before = _snapshot()
    response = second.patch(f"/households/{h.pk}", {"version": 1, "phone": "13900000002"})
    assert response.status_code == 409
    assert response.json() == {
        "message": "该记录已被他人修改,请刷新后重新编辑 / someone else saved this record after you opened it; "
                   "reload and edit again",
        "field_errors": {"version": ["您打开的是第1版,当前是第2版 / you opened version 1, the current one is 2"]},
    }
    assert _snapshot() == before
    h.refresh_from_db()
    assert (h.phone, h.version) == ("13900000001", 2)


def test_derived_and_unknown_fields_are_refused_by_name(api_as, make_household):
    h = make_household(first_village(MINGXI), members=1)
    api = api_as("county", MINGXI)
    before = _snapshot()
    response = api.patch(f"/households/{h.pk}", {"version": 1, "size": 9, "head_name": "某人", "colour": "red"})
    assert response.status_code == 422
    assert set(response.json()["field_errors"]) == {"size", "head_name", "colour"}
    body = _new_household(first_village(MINGXI), household_number="x")
    body["members"][0]["sex"] = "2"
    created = api.post("/households", body)
    assert set(created.json()["field_errors"]) == {"household_number", "members.0.sex"}
    assert _snapshot() == before


def test_update_needs_version(api_as, make_household):
    h = make_household(first_village(MINGXI), members=1)
    response = api_as("county", MINGXI).patch(f"/households/{h.pk}", {"phone": "1"})
    assert response.status_code == 422
    assert list(response.json()["field_errors"]) == ["version"]


@pytest.mark.parametrize(("role", "region"), [("city", SANMING), ("evaluator", MINGXI), ("auditor", MINGXI),
                                              ("nobody", MINGXI)])
def test_update_without_edit_capability_is_404_and_changes_nothing(api_as, make_household, role, region):
    h = make_household(first_village(MINGXI), members=1)
    before = _snapshot()
    response = api_as(role, region).patch(f"/households/{h.pk}", {"version": 1, "main_cause": "2"})
    assert (response.status_code, response.json()) == (404, {"detail": NOT_FOUND})
    assert _snapshot() == before


def test_update_out_of_scope_is_404_and_changes_nothing(api_as, make_household):
    ninghua = make_household(first_village(NINGHUA), members=1)
    mine = make_household(first_village(MINGXI), members=1)
    api = api_as("county", MINGXI)
    before = _snapshot()
    assert api.patch(f"/households/{ninghua.pk}", {"version": 1, "main_cause": "2"}).status_code == 404
    assert api.patch("/households/999999", {"version": 1, "main_cause": "2"}).status_code == 404
    # moving one's own household into another county is refused the same way
    moved = api.patch(f"/households/{mine.pk}", {"version": 1, "village_code": first_village(NINGHUA)})
    assert (moved.status_code, moved.json()) == (404, {"detail": NOT_FOUND})
    assert _snapshot() == before


def test_move_to_another_village_in_scope(api_as, make_household):
    h = make_household(first_village(MINGXI), members=1)
    target = first_village(MINGXI, 20)
    data = api_as("county", MINGXI).patch(f"/households/{h.pk}", {"version": 1, "village_code": target}).json()
    assert (data["village_code"], data["township_code"], data["regions"][-1]["code"]) == (
        target, target[:9] + "000", target)


def test_update_refused_by_policy_is_422_and_changes_nothing(api_as, make_household):
    h = make_household(first_village(MINGXI), members=1)
    api = api_as("county", MINGXI)
    before = _snapshot()
    response = api.patch(f"/households/{h.pk}", {"version": 1, "other_cause_1": "1", "irrigated_mu": "5",
                                                  "arable_mu": "2"})
    assert response.status_code == 422
    assert set(response.json()["field_errors"]) == {"other_cause_1", "irrigated_mu"}
    assert _snapshot() == before
    services.household_leaves(actor=system_actor(), household_id=h.pk, reason="extinct", comment="整户消亡")
    left = api.patch(f"/households/{h.pk}", {"version": 2, "phone": "1"})
    assert (left.status_code, left.json()["message"]) == (422, "该户已注销,不能修改 / the household has left the registry")


# ------------------------------------------------------------------ members


def test_add_member(api_as, make_household):
    h = make_household(first_village(MINGXI), members=2)
    api = api_as("county", MINGXI)
    number = next_id_number(sex="2")
    response = api.post(f"/households/{h.pk}/members", member_data("04", name="王小妹", id_number=number))
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["name"], data["id_number"], data["relation_label"], data["sex"], data["household_id"]) == (
        "王小妹", number, "之女", "2", h.pk)
    h.refresh_from_db()
    assert (h.size, h.version, str(h.income_per_capita)) == (3, 2, "2500.00")
    assert ChangeRecord.objects.filter(model="registry.member", object_id=str(data["id"]), source="api").count() == 1


def test_add_member_refused(api_as, make_household):
    h = make_household(first_village(MINGXI), members=1)
    nh = make_household(first_village(NINGHUA), members=1)
    before = _snapshot()
    assert api_as("city", SANMING).post(f"/households/{h.pk}/members", member_data("03")).status_code == 404
    assert api_as("county", MINGXI).post(f"/households/{nh.pk}/members", member_data("03")).status_code == 404
    bad = api_as("county", MINGXI).post(f"/households/{h.pk}/members", member_data("01"))
    assert (bad.status_code, list(bad.json()["field_errors"])) == (422, ["relation"])
    assert _snapshot() == before


def test_update_member(api_as, make_household):
    h = make_household(first_village(MINGXI), members=2)
    head = h.members.get(relation="01")
    api = api_as("county", MINGXI)
    response = api.patch(f"/members/{head.pk}", {"version": 1, "name": "赵大", "health": "2"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["name"], data["health_label"], data["version"]) == ("赵大", "长期慢性病", 2)
    h.refresh_from_db()
    assert h.head_name == "赵大"
    record = ChangeRecord.objects.filter(model="registry.member", object_id=str(head.pk), action="update").get()
    assert record.changes == {"name": [head.name, "赵大"], "health": ["1", "2"]}
    stale = api.patch(f"/members/{head.pk}", {"version": 1, "name": "钱二"})
    assert stale.status_code == 409
    head.refresh_from_db()
    assert head.name == "赵大"


def test_update_member_refused(api_as, make_household):
    h = make_household(first_village(MINGXI), members=1)
    nh = make_household(first_village(NINGHUA), members=1)
    mine, theirs = h.members.get(), nh.members.get()
    before = _snapshot()
    assert api_as("evaluator", MINGXI).patch(f"/members/{mine.pk}", {"version": 1, "name": "x"}).status_code == 404
    assert api_as("county", MINGXI).patch(f"/members/{theirs.pk}", {"version": 1, "name": "x"}).status_code == 404
    assert api_as("county", MINGXI).patch("/members/999999", {"version": 1, "name": "x"}).status_code == 404
    bad = api_as("county", MINGXI).patch(f"/members/{mine.pk}", {"version": 1, "migrant_months": 13, "migrant_work": "4"})
    assert (bad.status_code, list(bad.json()["field_errors"])) == (422, ["migrant_months"])
    assert _snapshot() == before
