"""Policy sets: the shipped defaults, frozen versions, county overrides, JSON round-trip."""

from __future__ import annotations

import dataclasses
import json
from datetime import date

import pytest

from fupin.policy.data import DATA_DIR, parse_toml, read_toml
from fupin.policy.income import TRANSFER_LINES, IncomeSettings
from fupin.policy.policy_sets import (
    INCOME_RULE_ID,
    Pathway,
    PolicyError,
    PolicySet,
    RuleDef,
    Scheme,
    apply_override,
    load_default_policy,
)
from fupin.policy.rules import RuleError


def test_default_policy_from_the_shipped_files():
    policy = load_default_policy()
    assert policy.version == "national-2016.1"
    assert policy.released is True
    assert policy.valid_from == date(2016, 1, 1) and policy.valid_to is None
    assert (policy.standard, policy.lag, policy.line_series) == ("1", 0, "current")
    assert isinstance(policy.income, IncomeSettings)
    assert policy.income.counted_transfers == frozenset(TRANSFER_LINES)
    assert list(policy.schemes) == ["national5", "xianning5", "jingyu6", "sanming9"]
    assert [r.id for r in policy.eligibility] == [INCOME_RULE_ID]
    assert policy.income_rule.text == "income_per_capita < poverty_line"
    assert {r.id for r in policy.exclusions} == {
        "ex_public_payroll", "ex_village_cadre", "ex_real_estate", "ex_vehicle", "ex_business",
        "ex_away_unverifiable", "ex_deceased_member"}
    assert [r.id for r in policy.exclusions if not r.enabled] == ["ex_deceased_member"]
    for rule in (*policy.eligibility, *policy.exclusions):
        assert rule.label_zh and rule.label_en and rule.unit == "household"
        assert isinstance(rule, RuleDef)


def test_every_scheme_file_is_listed_in_the_policy():
    listed = read_toml("policy.toml")["schemes"]
    assert sorted(f"scheme_{s}.toml" for s in listed) == sorted(p.name for p in DATA_DIR.glob("scheme_*.toml"))


def test_a_policy_set_is_frozen():
    policy = load_default_policy()
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.lag = 1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.exclusions[0].text = "TRUE"  # type: ignore[misc]
    policy.schemes.pop("national5")
    assert "national5" in policy.schemes  # the dict is a copy


def test_json_round_trip():
    policy = load_default_policy()
    data = json.loads(json.dumps(policy.to_dict(), ensure_ascii=False))
    assert PolicySet.from_dict(data) == policy
    assert PolicySet.from_dict(data).to_dict() == policy.to_dict()
    county = apply_override(policy, {"lag": 1, "disable_rules": ["ex_village_cadre"]}, version="c-1",
                            valid_to=date(2017, 12, 31))
    assert PolicySet.from_dict(json.loads(json.dumps(county.to_dict()))) == county


COUNTY_TOML = """
version = "350421-2017.1"
label_zh = "明溪县扶贫政策"
standard = "2"
lag = 1
counted_transfers = ["transfer_wubao", "transfer_pension", "transfer_eco", "transfer_other"]
disable_rules = ["ex_village_cadre"]
enable_rules = ["ex_deceased_member"]
remove_schemes = ["jingyu6"]

[[poverty_lines]]
standard = "2"
region = "35"
year = 2016
amount = 3300

[[rules]]
id = "ex_vehicle"
text = "any_vehicle AND income_per_capita >= 2000"

[[rules]]
id = "income_below_line"
text = "income_per_capita < poverty_line OR NOT housing_secure"
label_zh = "收入低于标准或住房无保障"

[[rules]]
kind = "exclusion"
id = "ex_big_house"
label_zh = "住房面积过大"
label_en = "House too large"
text = "housing_area_m2 / n_members > 60"

[[schemes]]
id = "mingxi3"
label_zh = "三个一批(明溪)"
label_en = "Three pathways (Mingxi)"
unit = "household"
overlap = "first"
pathways = [
  { id = "work", label_zh = "就业", label_en = "Work", rule = "n_labour > 0" },
  { id = "care", label_zh = "兜底", label_en = "Care", rule = "TRUE" },
]
"""


def test_county_override_from_a_toml_file():
    base = load_default_policy()
    before = base.to_dict()
    county = apply_override(base, parse_toml(COUNTY_TOML), version="350421-2017.1", valid_from=date(2017, 1, 1))
    assert base.to_dict() == before                       # the released set is untouched
    assert county.version == "350421-2017.1" and county.based_on == base.version
    assert county.released is False and county.valid_from == date(2017, 1, 1)
    assert county.label_zh == "明溪县扶贫政策" and county.id == base.id
    assert (county.standard, county.lag) == ("2", 1)
    assert county.poverty_line(year=2017, region_code="350421000000") == 3300
    assert county.income.counted_transfers == frozenset(TRANSFER_LINES) - {"transfer_dibao"}
    assert county.rule("ex_village_cadre").enabled is False
    assert county.rule("ex_deceased_member").enabled is True
    vehicle = county.rule("ex_vehicle")
    assert vehicle.text == "any_vehicle AND income_per_capita >= 2000"
    assert vehicle.label_zh == base.rule("ex_vehicle").label_zh     # fields not given are kept
    assert county.income_rule.label_zh == "收入低于标准或住房无保障"
    assert [r.id for r in county.exclusions][-1] == "ex_big_house"
    assert "jingyu6" not in county.schemes and "mingxi3" in county.schemes
    assert county.schemes["mingxi3"].pathways[1] == Pathway("care", "兜底", "Care", "TRUE")
    assert county.labels("ex_big_house") == ("住房面积过大", "House too large")
    assert county.labels("sanming9.medical") == ("医疗救助一批", "Medical aid")


def test_override_replaces_a_whole_scheme():
    base = load_default_policy()
    scheme = base.schemes["national5"].to_dict()
    scheme["pathways"] = scheme["pathways"][:2]
    county = apply_override(base, {"schemes": {"national5": {k: v for k, v in scheme.items() if k != "id"}}},
                            version="x-1")
    assert [p.id for p in county.schemes["national5"].pathways] == ["production", "relocation"]
    assert len(base.schemes["national5"].pathways) == 5


def test_a_bad_rule_in_an_override_fails_naming_the_rule():
    base = load_default_policy()
    with pytest.raises(RuleError) as info:
        apply_override(base, {"rules": [{"id": "ex_vehicle", "text": "any_car"}]}, version="x-1")
    assert str(info.value) == "规则 rule ex_vehicle: 未知列 unknown column: any_car"
    with pytest.raises(RuleError, match=r"national5\.production"):
        scheme = base.schemes["national5"].to_dict()
        scheme["pathways"][0]["rule"] = "DROP TABLE x"
        apply_override(base, {"schemes": [scheme]}, version="x-1")


@pytest.mark.parametrize("override, message", [
    ({"lagg": 1}, "unknown keys"),
    ({"lag": 9}, "year lag"),
    ({"standard": "4"}, "standard"),
    ({"counted_transfers": ["transfer_salary"]}, "unknown transfer"),
    ({"disable_rules": ["ex_nothing"]}, "no such rules"),
    ({"disable_rules": [INCOME_RULE_ID]}, INCOME_RULE_ID),
    ({"rules": [{"id": "new_rule", "text": "TRUE"}]}, "kind"),
    ({"rules": [{"id": "ex_vehicle", "kind": "eligibility", "text": "TRUE"}]}, "already"),
    ({"rules": [{"id": "Bad-Id", "kind": "exclusion", "text": "TRUE"}]}, "lower-case"),
    ({"rules": [{"id": "p1", "kind": "exclusion", "text": "age > 1", "unit": "person"}]}, "household rules"),
    ({"remove_schemes": ["nope"]}, "no scheme"),
    ({"version": "other"}, "version differs"),
    ({"valid_from": "2017-01-01", "valid_to": "2016-01-01"}, "valid_to"),
])
def test_bad_overrides_are_refused(override, message):
    with pytest.raises((PolicyError, RuleError), match=message):
        apply_override(load_default_policy(), override, version="x-1")


def test_a_new_version_is_required():
    base = load_default_policy()
    with pytest.raises(PolicyError, match="differ"):
        apply_override(base, {}, version=base.version)
    with pytest.raises(PolicyError):
        apply_override(base, {}, version="")


def test_schemes_are_validated():
    p = Pathway("a", "甲", "A", "n_labour > 0")
    with pytest.raises(PolicyError):
        Scheme("s", "方案", "S", "village", "all", (p,))
    with pytest.raises(PolicyError):
        Scheme("s", "方案", "S", "household", "some", (p,))
    with pytest.raises(PolicyError):
        Scheme("s", "方案", "S", "household", "all", (p, p))
    with pytest.raises(PolicyError):
        Scheme("s", "方案", "S", "household", "all", ())
    with pytest.raises(RuleError, match=r"s\.a"):
        Scheme("s", "方案", "S", "person", "all", (Pathway("a", "甲", "A", "n_students > 0 AND is_student = 1"),))
    with pytest.raises(PolicyError, match="unknown keys"):
        Scheme.from_dict({"id": "s", "pathways": [{"id": "a", "rule": "TRUE", "rules": "x"}]})


def test_validity_dates():
    policy = load_default_policy()
    assert policy.is_valid_on(date(2016, 1, 1)) and not policy.is_valid_on(date(2015, 12, 31))
    county = apply_override(policy, {}, version="c-1", valid_from=date(2017, 1, 1), valid_to=date(2017, 12, 31))
    assert county.is_valid_on(date(2017, 6, 1)) and not county.is_valid_on(date(2018, 1, 1))
