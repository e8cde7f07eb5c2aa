from decimal import Decimal

import pytest

from fupin.policy import codes, roles
from fupin.policy.incidence import compute_incidence
from fupin.policy.income import IncomeLines, IncomeSettings, compute_income_per_capita
from fupin.policy.regions import (
    RegionCodeError,
    ancestor_codes,
    contains,
    level_of,
    normalize_code,
    parent_code,
    prefix_of,
)
from fupin.policy.registry_checks import check_causes, check_household, check_member, check_one_head


def test_cause_codes_are_the_national_ones():
    assert codes.POVERTY_CAUSE.codes() == ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "99"]
    assert codes.POVERTY_CAUSE.label("8") == "缺劳力"
    assert codes.POVERTY_CAUSE.label("8", "en") == "Lack of labour"
    assert codes.POVERTY_CAUSE.by_label("因病") == "1"
    assert codes.POVERTY_STATUS.label("2") == "预脱贫"
    assert codes.LABOUR_SKILL.label("3") == "丧失劳动力"
    assert codes.ETHNICITY.label("22") == "畲族"
    assert len([c for c in codes.ETHNICITY.codes() if int(c) <= 56]) == 56
    assert codes.HOUSEHOLD_CATEGORY_2014.label("4") == "五保户"
    assert codes.HOUSEHOLD_CATEGORY_2016.label("3") == "特困供养贫困户"


def test_region_codes():
    assert normalize_code("350421") == "350421000000"
    assert normalize_code("350421000000") == "350421000000"
    with pytest.raises(RegionCodeError):
        normalize_code("35042")
    assert level_of("350000000000") == 1
    assert level_of("350400000000") == 2
    assert level_of("350421000000") == 3
    assert level_of("350421100000") == 4
    assert level_of("350421100201") == 5
    assert prefix_of("350421100000") == "350421100"
    assert parent_code("350421100201") == "350421100000"
    assert parent_code("350000000000") is None
    assert ancestor_codes("350421100201") == {
        1: "350000000000", 2: "350400000000", 3: "350421000000", 4: "350421100000", 5: "350421100201",
    }
    assert contains("350421000000", "350421100201")
    assert not contains("350421000000", "350424100201")


def test_income_per_capita_formula():
    lines = IncomeLines(wage=Decimal(6000), business=Decimal(3000), property=Decimal(100),
                        transfer_dibao=Decimal(1200), transfer_pension=Decimal(600),
                        business_expense=Decimal(1500))
    result = compute_income_per_capita(lines, 3)
    assert result.net_income == Decimal(9400)
    assert result.per_capita == Decimal("3133.33")
    # a province that leaves 低保金 out
    no_dibao = IncomeSettings(version="x-2017", counted_transfers=frozenset({"transfer_pension"}))
    assert compute_income_per_capita(lines, 3, no_dibao).per_capita == Decimal("2733.33")
    assert compute_income_per_capita(lines, 0).per_capita is None


def test_incidence():
    assert compute_incidence(6698, 100000).display == "6.70%"
    assert compute_incidence(10, None).display == "—"


def test_causes_rules():
    assert check_causes("1", ["2", "7"]) == []
    assert [e.field for e in check_causes("", [])] == ["main_cause"]
    assert "相同" in check_causes("1", ["1"])[0].message
    assert "最多两项" in check_causes("1", ["2", "3", "4"])[0].message
    assert "不是有效" in check_causes("13", [])[0].message


def test_household_checks():
    ok = {"main_cause": "1", "identification_standard": "1", "category": "4", "category_form_version": "2014",
          "poverty_status": "0", "identification_year": 2014, "planned_exit_year": 2016}
    assert check_household(ok) == []
    # category 4 does not exist on the 2016 form
    assert [e.field for e in check_household({**ok, "category_form_version": "2016"})] == ["category"]
    assert [e.field for e in check_household({**ok, "planned_exit_year": 2013})] == ["planned_exit_year"]
    assert [e.field for e in check_household({**ok, "income_wage": "-1"})] == ["income_wage"]
    assert [e.field for e in check_household({**ok, "arable_mu": "2", "irrigated_mu": "3"})] == ["irrigated_mu"]


def test_member_and_head_checks():
    ok = {"name": "张三", "relation": "01", "ethnicity": "01", "schooling": "1", "health": "1", "labour_skill": "1"}
    assert check_member(ok) == []
    assert [e.field for e in check_member({**ok, "migrant_months": 13, "migrant_work": "4"})] == ["migrant_months"]
    assert [e.field for e in check_member({**ok, "health": "9"})] == ["health"]
    assert check_one_head(["01", "02"]) == []
    assert "没有户主" in check_one_head(["02"])[0].message
    assert "2个户主" in check_one_head(["01", "01"])[0].message


def test_roles():
    assert roles.may_see_full_id("county")
    assert not roles.may_see_full_id("city")
    assert not roles.may_see_full_id("evaluator")
    assert roles.may_see_full_id("auditor")
    assert not roles.has_capability("auditor", roles.EDIT_REGISTRY)
    assert not roles.has_capability("nobody", roles.VIEW_REGISTRY)
    assert set(roles.ROLES) == {"village", "workteam", "township", "county", "city", "province", "evaluator",
                                "auditor", "admin", "helper"}
