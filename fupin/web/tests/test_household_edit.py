"""Registering (建档) and changing (修改) a household through the pages: scope, roles, audit, versions."""

from decimal import Decimal

import pytest

from fupin.core.models import ChangeRecord
from fupin.registry.models import Household, Member
from fupin.testing import MINGXI, next_id_number

from .conftest import CITY
from .helpers import form_post_data, text

CONFLICT = "该记录已被他人修改,请刷新后重新编辑"


def counts() -> tuple[int, int, int]:
    return Household.objects.count(), Member.objects.count(), ChangeRecord.objects.count()


def create_data(client, village: str, members: list[dict[str, str]], **fields: str) -> dict[str, str]:
    """The new-household form as the browser shows it, filled in."""
    response = client.get("/households/new/")
    assert response.status_code == 200
    data = form_post_data(response.context["form"])
    formset = response.context["formset"]
    data.update(form_post_data(formset.management_form))
    for form in formset.forms:
        data.update(form_post_data(form))
    data.update({"village": village, "main_cause": "1", "identification_year": "2016", **fields})
    for i, member in enumerate(members):
        data.update({f"members-{i}-{k}": v for k, v in member.items()})
    return data


def edit_data(client, household) -> dict[str, str]:
    response = client.get(f"/households/{household.pk}/edit/")
    assert response.status_code == 200
    return form_post_data(response.context["form"])


def snapshot(household_id: int) -> dict:
    return Household.objects.filter(pk=household_id).values().get()


# ---- create ----------------------------------------------------------------------------------


def test_create_anonymous_goes_to_login(client, db):
    response = client.get("/households/new/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/households/new/"


@pytest.mark.parametrize("role,region", [("evaluator", MINGXI), ("city", CITY), ("province", "350000000000")])
def test_create_needs_edit_capability(client, login, mingxi_village, role, region):
    login(role, region)
    before = counts()
    assert client.get("/households/new/").status_code == 404
    assert client.post("/households/new/", {"village": mingxi_village}).status_code == 404
    assert counts() == before


def test_create_offers_only_villages_in_scope(client, login, mingxi_village, ninghua_village):
    login("county", MINGXI)
    body = text(client.get("/households/new/"))
    assert f'<option value="{mingxi_village}">城东居委会</option>' in body
    assert '<optgroup label="雪峰镇">' in body
    assert ninghua_village not in body
    assert body.count("<option value=\"3504211") > 0


def test_create_registers_household_and_members(client, login, mingxi_village):
    user = login("county", MINGXI)
    head_id, child_id = next_id_number(sex="1"), next_id_number(sex="2")
    data = create_data(client, mingxi_village, [
        {"name": "王大山", "id_number": head_id, "relation": "01"},
        {"name": "王小花", "id_number": child_id, "relation": "04", "education": "2", "schooling": "3"},
    ], phone="13700001234", income_wage="8000", income_business="1000", business_expense="600",
        category="2014:4", other_cause_1="8")
    response = client.post("/households/new/", data)
    h = Household.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/households/{h.pk}/"
    assert (h.head_name, h.size, h.phone, h.village_code) == ("王大山", 2, "13700001234", mingxi_village)
    assert (h.category_form_version, h.category, h.main_cause, h.other_cause_1) == ("2014", "4", "1", "8")
    assert (h.income_net, h.income_per_capita) == (Decimal("8400.00"), Decimal("4200.00"))
    child = h.members.get(relation="04")
    assert (child.name, child.id_number, child.sex, child.education, child.schooling) == (
        "王小花", child_id, "2", "2", "3")
    rows = ChangeRecord.objects.filter(household_id=h.pk)
    assert sorted(rows.values_list("model", "action", "source", "actor_id")) == [
        ("registry.household", "create", "web", user.pk),
        ("registry.member", "create", "web", user.pk),
        ("registry.member", "create", "web", user.pk),
    ]
    page = text(client.get(response["Location"]))
    assert f"已建档,户编号 {h.household_number}" in page


def test_create_with_bad_id_number_shows_the_error_and_writes_nothing(client, login, mingxi_village):
    login("county", MINGXI)
    before = counts()
    data = create_data(client, mingxi_village, [
        {"name": "李四", "id_number": next_id_number(), "relation": "01"},
        {"name": "李五", "id_number": "110105194912310021", "relation": "03"},
    ])
    response = client.post("/households/new/", data)
    assert response.status_code == 200
    assert counts() == before
    formset = response.context["formset"]
    assert formset.forms[0].errors == {}
    assert formset.forms[1].errors == {"id_number": ["校验位错误(应为X) / wrong check character (expected X)"]}
    body = text(response)
    assert "<p><strong>数据有误,未保存 / invalid data, nothing was saved</strong></p>" in body
    # the error in the page's language (fupin.web.form_renderer); the form holds both
    assert '<ul class="errorlist" id="id_members-1-id_number_error"><li>校验位错误(应为X)</li></ul>' in body


def test_create_error_maps_onto_the_filled_row(client, login, mingxi_village):
    """An empty row between filled ones is skipped; the service's members.1 is the form's third row."""
    login("county", MINGXI)
    data = create_data(client, mingxi_village, [
        {"name": "张一", "id_number": next_id_number(), "relation": "01"},
        {},
        {"name": "张三", "id_number": "123", "relation": "03"},
    ])
    response = client.post("/households/new/", data)
    assert counts() == (0, 0, 0)
    assert response.context["formset"].forms[2].errors == {"id_number": ["证件号码位数错误(3位) / wrong length (3 characters)"]}


def test_create_two_heads_is_a_form_error(client, login, mingxi_village):
    login("county", MINGXI)
    data = create_data(client, mingxi_village, [
        {"name": "甲", "id_number": next_id_number(), "relation": "01"},
        {"name": "乙", "id_number": next_id_number(), "relation": "01"},
    ])
    response = client.post("/households/new/", data)
    assert counts() == (0, 0, 0)
    assert response.context["form"].non_field_errors() == ["该户有2个户主 / the household has 2 heads"]


def test_create_in_other_county_is_refused(client, login, mingxi_village, ninghua_village):
    login("county", MINGXI)
    data = create_data(client, mingxi_village, [{"name": "甲", "id_number": next_id_number(), "relation": "01"}])
    data["village"] = ninghua_village
    response = client.post("/households/new/", data)
    assert response.status_code == 200
    assert counts() == (0, 0, 0)
    assert response.context["form"].errors["village"] == [
        f"选择一个有效的选项。 {ninghua_village} 不在可用的选项中。"]


def test_large_scopes_type_the_village_code(client, login, mingxi_village):
    """A province administrator has 1,964 villages in scope: a code field instead of a select."""
    login("admin", "350000000000")
    body = text(client.get("/households/new/"))
    assert '<input type="text" name="village"' in body
    data = create_data(client, mingxi_village, [{"name": "甲", "id_number": next_id_number(), "relation": "01"}])
    data["village"] = "350421100"  # a township, not a village
    response = client.post("/households/new/", data)
    assert response.context["form"].errors["village"] == ["350421100000 不是您所辖范围内的村"]
    data["village"] = mingxi_village
    assert client.post("/households/new/", data).status_code == 302
    assert Household.objects.get().village_code == mingxi_village


# ---- edit ------------------------------------------------------------------------------------


def test_edit_anonymous_goes_to_login(client, mingxi_household):
    response = client.get(f"/households/{mingxi_household.pk}/edit/")
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/households/{mingxi_household.pk}/edit/"


@pytest.mark.parametrize("role,region", [("evaluator", MINGXI), ("city", CITY), ("auditor", MINGXI)])
def test_edit_wrong_role_is_404_and_changes_nothing(client, login, mingxi_household, role, region):
    login(role, region)
    before = snapshot(mingxi_household.pk)
    url = f"/households/{mingxi_household.pk}/edit/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"phone": "1", "version": "1"}).status_code == 404
    assert snapshot(mingxi_household.pk) == before


def test_edit_out_of_scope_is_404(client, login, ninghua_household):
    login("county", MINGXI)
    before = snapshot(ninghua_household.pk)
    url = f"/households/{ninghua_household.pk}/edit/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"phone": "1", "version": "1"}).status_code == 404
    assert snapshot(ninghua_household.pk) == before


def test_unchanged_form_saves_nothing(client, login, mingxi_household):
    login("county", MINGXI)
    before, audit_rows = snapshot(mingxi_household.pk), ChangeRecord.objects.count()
    response = client.post(f"/households/{mingxi_household.pk}/edit/", edit_data(client, mingxi_household))
    assert response.status_code == 302
    assert snapshot(mingxi_household.pk) == before
    assert ChangeRecord.objects.count() == audit_rows


def test_edit_writes_exact_audit_rows(client, login, mingxi_household):
    user = login("county", MINGXI)
    data = edit_data(client, mingxi_household)
    assert data["version"] == "1"
    data.update(phone="13800000000", income_wage="9000", is_coop_member="on", main_cause="3")
    response = client.post(f"/households/{mingxi_household.pk}/edit/", data)
    assert response.status_code == 302
    assert response["Location"] == f"/households/{mingxi_household.pk}/"
    h = Household.objects.get(pk=mingxi_household.pk)
    assert (h.version, h.phone, h.income_wage, h.income_per_capita) == (
        2, "13800000000", Decimal("9000.00"), Decimal("3500.00"))
    record = ChangeRecord.objects.filter(household_id=h.pk, action="update").get()
    assert (record.actor_id, record.actor_name, record.model, record.source) == (
        user.pk, user.username, "registry.household", "web")
    assert record.changes == {
        "phone": ["", "13800000000"],
        "main_cause": ["1", "3"],
        "is_coop_member": [False, True],
        "income_wage": ["6000.00", "9000.00"],
        "income_net": ["7500.00", "10500.00"],
        "income_per_capita": ["2500.00", "3500.00"],
    }
    assert "已保存修改" in text(client.get(response["Location"]))


def test_concurrent_edit_second_save_is_refused(client, login, make_user, mingxi_household):
    from django.test import Client

    first, second = Client(), Client()
    first.force_login(make_user("county", MINGXI))
    second.force_login(make_user("township", "350421100000"))
    url = f"/households/{mingxi_household.pk}/edit/"
    data_first, data_second = edit_data(first, mingxi_household), edit_data(second, mingxi_household)
    assert data_first["version"] == data_second["version"] == "1"
    data_first["phone"] = "13811112222"
    assert first.post(url, data_first).status_code == 302
    saved, audit_rows = snapshot(mingxi_household.pk), ChangeRecord.objects.count()
    assert (saved["version"], saved["phone"]) == (2, "13811112222")

    data_second.update(phone="13933334444", income_wage="1")
    response = second.post(url, data_second)
    assert response.status_code == 200
    body = text(response)
    assert CONFLICT in body
    assert "您的修改没有保存。" in body
    assert snapshot(mingxi_household.pk) == saved
    assert ChangeRecord.objects.count() == audit_rows
    # the form keeps the version it was opened with, so saving again is refused again
    assert response.context["form"]["version"].value() == "1"


def test_edit_policy_error_maps_onto_the_field(client, login, mingxi_household):
    login("county", MINGXI)
    before = snapshot(mingxi_household.pk)
    data = edit_data(client, mingxi_household)
    data.update(other_cause_1="1", identification_year="2010")
    response = client.post(f"/households/{mingxi_household.pk}/edit/", data)
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "other_cause_1": ["其他致贫原因不能与主要致贫原因相同 / other cause repeats the main cause"],
        "identification_year": ["识别年度应在2013–2035之间 / out of range"],
    }
    assert snapshot(mingxi_household.pk) == before


def test_edit_can_move_the_household_to_another_village(client, login, mingxi_household):
    login("county", MINGXI)
    data = edit_data(client, mingxi_household)
    data["village"] = "350421101201"  # 盖洋村委会
    assert client.post(f"/households/{mingxi_household.pk}/edit/", data).status_code == 302
    h = Household.objects.get(pk=mingxi_household.pk)
    assert (h.village_code, h.township_code) == ("350421101201", "350421101000")


def test_left_household_is_not_edited(client, login, mingxi_household):
    from fupin.registry import services
    from fupin.testing import system_actor

    services.household_leaves(actor=system_actor(), household_id=mingxi_household.pk, reason="entry_error",
                              comment="重复录入")
    login("county", MINGXI)
    before = snapshot(mingxi_household.pk)
    for method in (client.get, client.post):
        response = method(f"/households/{mingxi_household.pk}/edit/")
        assert response.status_code == 302
        assert response["Location"] == f"/households/{mingxi_household.pk}/"
    page = text(client.get(f"/households/{mingxi_household.pk}/"))
    assert "该户已注销,不能修改" in page
    assert f"/households/{mingxi_household.pk}/edit/" not in page
    assert snapshot(mingxi_household.pk) == before


def test_main_cause_must_be_chosen(client, login, mingxi_village):
    login("county", MINGXI)
    data = create_data(client, mingxi_village, [{"name": "甲", "id_number": next_id_number(), "relation": "01"}],
                       main_cause="")
    response = client.post("/households/new/", data)
    assert response.context["form"].errors == {"main_cause": ["这个字段是必填项。"]}
    assert counts() == (0, 0, 0)
