"""A household's history (变更记录): scope, capability, old → new with labels and masking."""

import pytest

from fupin.core.models import ChangeRecord
from fupin.registry import services
from fupin.testing import MINGXI, system_actor
from fupin.web.views.history import build_entries

from .conftest import CITY
from .helpers import text


def change_row(label: str, old: str, new: str) -> str:
    return (f'<tr><td>{label}</td><td class="old-value">{old}</td><td aria-hidden="true">→</td>'
            f'<td class="new-value">{new}</td></tr>')


def test_anonymous_goes_to_login(client, mingxi_household):
    response = client.get(f"/households/{mingxi_household.pk}/history/")
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/households/{mingxi_household.pk}/history/"


@pytest.mark.parametrize("role,region", [("evaluator", MINGXI), ("city", CITY), ("province", "350000000000")])
def test_needs_audit_capability(client, login, mingxi_household, role, region):
    login(role, region)
    assert client.get(f"/households/{mingxi_household.pk}/").status_code == 200
    assert client.get(f"/households/{mingxi_household.pk}/history/").status_code == 404


def test_out_of_scope_is_404(client, login, ninghua_household):
    login("county", MINGXI)
    assert client.get(f"/households/{ninghua_household.pk}/history/").status_code == 404


def test_history_shows_old_and_new_values_newest_first(client, login, mingxi_household):
    user = login("county", MINGXI)
    services.update_household(actor=user, household_id=mingxi_household.pk, expected_version=1,
                              data={"phone": "13800000000", "main_cause": "3", "is_coop_member": True,
                                    "category": "2", "income_wage": "9000"})
    member = mingxi_household.members.exclude(relation="01").order_by("pk").first()
    services.member_leaves(actor=user, member_id=member.pk, reason="death", comment="病故")
    response = client.get(f"/households/{mingxi_household.pk}/history/")
    assert response.status_code == 200
    body = text(response)
    records = list(ChangeRecord.objects.filter(household_id=mingxi_household.pk).order_by("-at", "-id"))
    assert len(records) == 7  # create: household + 3 members; update; member status; household size
    positions = [body.index(f'id="change-{r.pk}"') for r in records]
    assert positions == sorted(positions)
    update = next(r for r in records if r.action == "update" and r.model == "registry.household"
                  and "phone" in r.changes)
    block = body[body.index(f'id="change-{update.pk}"'):]
    block = block[: block.index("</article>")]
    assert f'<span class="who">{user.username}</span>' in block
    assert '<strong class="action">修改</strong>' in block
    assert '<span class="what">贫困户</span>' in block
    for fragment in (
        change_row("联系电话", "—", "13800000000"),
        change_row("贫困户属性", "一般贫困户", "低保贫困户"),
        change_row("主要致贫原因", "因病", "因学"),
        change_row("加入农民专业合作社", "否", "是"),
        change_row("工资性收入", "6000.00", "9000.00"),
        change_row("家庭纯收入", "7500.00", "10500.00"),
        change_row("年人均纯收入", "2500.00", "3500.00"),
    ):
        assert fragment in block
    leave = next(r for r in records if r.action == "status")
    block = body[body.index(f'id="change-{leave.pk}"'):]
    block = block[: block.index("</article>")]
    assert f'<span class="what">家庭成员: {member.name}</span>' in block
    assert change_row("在册状态", "在册", "已注销") in block
    assert change_row("注销/减少原因", "—", "死亡") in block
    assert "<p>病故</p>" in block


def test_history_shows_full_id_to_county(client, login, mingxi_household):
    login("county", MINGXI)
    member = mingxi_household.members.order_by("pk").first()
    body = text(client.get(f"/households/{mingxi_household.pk}/history/"))
    assert change_row("证件号码", "—", member.id_number) in body


def test_history_masks_ids_for_users_without_full_id(make_user, mingxi_household):
    """No role has audit.view without full IDs today; the masking still holds for any that would."""
    viewer = make_user("city", CITY)
    services.update_household(actor=system_actor(), household_id=mingxi_household.pk, expected_version=1,
                              data={"bank_account": "6228480012345678"})
    records = list(ChangeRecord.objects.filter(household_id=mingxi_household.pk).order_by("-at", "-id"))
    entries = build_entries(viewer, mingxi_household, records)
    changes = {(c.label, c.old, c.new) for e in entries for c in e.changes}
    for m in mingxi_household.members.all():
        assert ("证件号码", "—", "3504**********" + m.id_number[-4:]) in changes
        assert all(m.id_number not in (old, new) for _label, old, new in changes)
    assert ("银行账号", "—", "************5678") in changes


def test_history_in_english(client, login, mingxi_household):
    login("county", MINGXI)
    client.cookies["django_language"] = "en"
    body = text(client.get(f"/households/{mingxi_household.pk}/history/"))
    assert change_row("Main cause of poverty", "—", "Illness") in body
    assert '<strong class="action">Created</strong>' in body


def test_a_record_of_another_model_is_named_by_its_verbose_name_in_the_page_language():
    """An audit row about a household's pairing (or any other model) names it as its model's verbose
    name says, in the page's language — not ``pairing.householdpairing``; a label no model has any
    more is shown as stored."""
    from django.utils import translation

    from fupin.web.views.history import model_label

    with translation.override("zh-hans"):
        assert (model_label("pairing.householdpairing"), model_label("registry.household")) == ("结对帮扶", "贫困户")
        assert model_label("gone.model") == "gone.model"
    with translation.override("en"):
        assert model_label("pairing.householdpairing") == "household pairing"
