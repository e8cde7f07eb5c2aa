"""Member pages: add (新增成员), edit (修改成员), leave (成员减少)."""

import pytest

from fupin.core.models import ChangeRecord
from fupin.registry.models import Household, Member
from fupin.testing import MINGXI, next_id_number

from .conftest import CITY
from .helpers import form_post_data, text


def member_snapshot(household_id: int) -> list[dict]:
    return list(Member.objects.filter(household_id=household_id).order_by("pk").values())


def new_member_data(client, household, **fields: str) -> dict[str, str]:
    response = client.get(f"/households/{household.pk}/members/new/")
    assert response.status_code == 200
    return {**form_post_data(response.context["form"]), **fields}


def urls(household) -> list[str]:
    member = household.members.exclude(relation="01").order_by("pk").first()
    return [f"/households/{household.pk}/members/new/", f"/members/{member.pk}/edit/",
            f"/members/{member.pk}/leave/"]


def test_anonymous_goes_to_login(client, mingxi_household):
    for url in urls(mingxi_household):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/login/?next={url}"


@pytest.mark.parametrize("role,region", [("evaluator", MINGXI), ("city", CITY), ("auditor", MINGXI)])
def test_wrong_role_is_404_and_changes_nothing(client, login, mingxi_household, role, region):
    login(role, region)
    before = member_snapshot(mingxi_household.pk)
    for url in urls(mingxi_household):
        assert client.get(url).status_code == 404
        assert client.post(url, {"name": "x", "reason": "death", "version": "1"}).status_code == 404
    assert member_snapshot(mingxi_household.pk) == before


def test_out_of_scope_is_404(client, login, ninghua_household):
    login("county", MINGXI)
    before = member_snapshot(ninghua_household.pk)
    for url in urls(ninghua_household):
        assert client.get(url).status_code == 404
        assert client.post(url, {"name": "x", "reason": "death", "version": "1"}).status_code == 404
    assert member_snapshot(ninghua_household.pk) == before


def test_add_member(client, login, mingxi_household):
    user = login("village", mingxi_household.village_code)
    id_number = next_id_number(sex="2")
    data = new_member_data(client, mingxi_household, name="赵新娘", id_number=id_number, relation="05",
                           migrant_work="4", migrant_months="6")
    response = client.post(f"/households/{mingxi_household.pk}/members/new/", data)
    assert response.status_code == 302
    assert response["Location"] == f"/households/{mingxi_household.pk}/"
    member = Member.objects.get(id_number=id_number)
    assert (member.name, member.relation, member.sex, member.migrant_work, member.migrant_months) == (
        "赵新娘", "05", "2", "4", 6)
    assert Household.objects.get(pk=mingxi_household.pk).size == 4
    record = ChangeRecord.objects.get(model="registry.member", object_id=str(member.pk))
    assert (record.action, record.actor_id, record.changes["name"]) == ("create", user.pk, [None, "赵新娘"])
    assert "已将赵新娘添加为家庭成员" in text(client.get(response["Location"]))


def test_add_member_already_in_another_household(client, login, make_household, mingxi_household, mingxi_village):
    other = make_household(mingxi_village, members=1)
    taken = other.members.get().id_number
    login("county", MINGXI)
    before = member_snapshot(mingxi_household.pk)
    data = new_member_data(client, mingxi_household, name="重复", id_number=taken, relation="03")
    response = client.post(f"/households/{mingxi_household.pk}/members/new/", data)
    assert response.status_code == 200
    assert response.context["form"].errors == {"id_number": [
        f"证件号码 {taken} 已在户编号 {other.household_number}(城东居委会)登记,"
        f"不能再登记到户编号 {mingxi_household.household_number}(城东居委会) / already a member of household "
        f"{other.household_number}"]}
    assert "一人不能在两户登记 / one person cannot be in two households" in text(response)
    assert member_snapshot(mingxi_household.pk) == before


def test_edit_member_with_version(client, login, mingxi_household):
    login("county", MINGXI)
    member = mingxi_household.members.exclude(relation="01").order_by("pk").first()
    url = f"/members/{member.pk}/edit/"
    data = form_post_data(client.get(url).context["form"])
    assert (data["version"], data["name"], data["id_number"]) == ("1", member.name, member.id_number)
    old_name = member.name
    data.update(name="改名", health="2")
    assert client.post(url, data).status_code == 302
    member.refresh_from_db()
    assert (member.name, member.health, member.version) == ("改名", "2", 2)
    record = ChangeRecord.objects.filter(model="registry.member", object_id=str(member.pk), action="update").get()
    assert record.changes == {"name": [old_name, "改名"], "health": ["1", "2"]}
    # the same stale form again: refused, nothing saved
    response = client.post(url, {**data, "name": "再改"})
    assert "该记录已被他人修改,请刷新后重新编辑" in text(response)
    member.refresh_from_db()
    assert (member.name, member.version) == ("改名", 2)


def test_member_leaves(client, login, mingxi_household):
    login("county", MINGXI)
    member = mingxi_household.members.exclude(relation="01").order_by("pk").first()
    url = f"/members/{member.pk}/leave/"
    body = text(client.get(url))
    assert '<option value="death">死亡</option>' in body
    response = client.post(url, {"reason": "marriage_out", "comment": "嫁到外县"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.status, member.left_reason, member.left_comment) == ("left", "marriage_out", "嫁到外县")
    assert Household.objects.get(pk=mingxi_household.pk).size == 2
    # a member who has left cannot be changed again
    again = client.get(url)
    assert again.status_code == 302
    assert "该成员已减少,不能修改" in text(client.get(again["Location"]))


def test_head_cannot_leave_before_a_new_head(client, login, mingxi_household):
    login("county", MINGXI)
    head = mingxi_household.members.get(relation="01")
    before = member_snapshot(mingxi_household.pk)
    response = client.post(f"/members/{head.pk}/leave/", {"reason": "death", "comment": ""})
    assert response.status_code == 200
    assert "户主减少前请先变更户主 / name a new head before the head leaves" in text(response)
    assert member_snapshot(mingxi_household.pk) == before


def test_leave_needs_a_valid_reason(client, login, mingxi_household):
    login("county", MINGXI)
    member = mingxi_household.members.exclude(relation="01").first()
    response = client.post(f"/members/{member.pk}/leave/", {"reason": "vanished"})
    assert response.context["form"].errors == {"reason": ["选择一个有效的选项。 vanished 不在可用的选项中。"]}
    member.refresh_from_db()
    assert member.status == "active"
