"""The department list kinds (数据比对名单类型) are well-formed data."""

import re

import pytest

from fupin.policy import codes, department_lists
from fupin.policy.department_lists import ID_NUMBER, KINDS, UnknownKind, get_kind, rule_for_column

#: Contract A: the kind ids and the analytic view's household flags they feed.
CONTRACT = {
    "vehicle": "any_vehicle", "real_estate": "any_real_estate", "business": "any_business",
    "payroll": "any_public_payroll", "village_cadre": "any_village_cadre", "death": "any_deceased",
}


def _key(text: str) -> str:
    return re.sub(r"\s+", "", text).lower().replace("（", "(").replace("）", ")")


def test_the_kinds_are_those_of_the_contract():
    assert {k.id: k.household_column for k in KINDS} == CONTRACT
    assert department_lists.HOUSEHOLD_COLUMN == CONTRACT


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.id)
def test_every_kind_has_labels_a_department_an_id_column_and_details(kind):
    assert kind.label_zh and kind.label_en and kind.department_zh and kind.department_en
    assert kind.rule_id.startswith("ex_")
    assert kind.columns[0].field == "id_number" and kind.columns[0].kind == ID_NUMBER
    assert kind.columns[0].required
    assert [c.field for c in kind.columns if c.required] == ["id_number"]
    assert kind.column("name").header == "姓名"
    assert kind.detail_columns, kind.id
    fields = [c.field for c in kind.columns]
    assert len(fields) == len(set(fields))


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.id)
def test_no_header_spelling_names_two_columns_of_a_kind(kind):
    seen: dict[str, str] = {}
    for column in kind.columns:
        for spelling in column.spellings:
            key = _key(spelling)
            assert seen.setdefault(key, column.field) == column.field, (kind.id, spelling)


def test_the_usual_headers_are_known():
    vehicle = get_kind("vehicle")
    spellings = {s for c in vehicle.columns for s in c.spellings}
    assert {"身份证号码", "号牌号码", "车牌号", "车辆类型", "所有人"} <= spellings
    assert "房屋坐落" in get_kind("real_estate").column("address").spellings
    assert "企业名称" in get_kind("business").column("company_name").spellings
    assert "工作单位" in get_kind("payroll").column("employer").spellings
    assert "死亡日期" in get_kind("death").column("died_on").spellings
    assert "职务" in get_kind("village_cadre").column("post").spellings


def test_only_death_takes_the_member_off_with_a_registry_reason():
    leaving = {k.id: k.member_leave_reason for k in KINDS if k.member_leave_reason}
    assert leaving == {"death": "death"}
    assert leaving["death"] in codes.MEMBER_LEAVE_REASON


def test_unknown_kind_is_refused_with_the_accepted_ids():
    with pytest.raises(UnknownKind, match="vehicle"):
        get_kind("boat")
    assert isinstance(UnknownKind("x"), ValueError)


def test_rule_for_column_prefers_the_policy_in_force():
    assert rule_for_column("vehicle", {}) == "ex_vehicle"
    assert rule_for_column("vehicle", {"any_vehicle": "no_car"}) == "no_car"
    assert rule_for_column("death", {"any_vehicle": "no_car"}) == "ex_deceased_member"


def test_choices_are_chinese_first():
    zh = dict(department_lists.choices())
    assert zh["vehicle"].startswith("车辆登记")
    assert dict(department_lists.choices("en"))["payroll"] == "Fiscal payroll"
