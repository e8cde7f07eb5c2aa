"""The pure generator: exact totals, proportions, valid people, consistent incomes (no database)."""

import random
from collections import Counter
from decimal import Decimal

import pytest

from fupin.demo import people, plan
from fupin.demo.generator import Village, generate_county, rural_villages
from fupin.policy import codes
from fupin.policy.idnumber import age_on, validate_id_number
from fupin.policy.income import IncomeLines, compute_income_per_capita
from fupin.regions.loader import DEFAULT_LIST, read_region_list


def _villages(county_code: str) -> list[Village]:
    df = read_region_list(DEFAULT_LIST, county_code[:6])
    townships = {c: n for c, n, lv in df.select("code", "name", "level").iter_rows() if lv == 4}
    return [Village(c, n, townships[c[:9] + "000"]) for c, n, lv in df.select("code", "name", "level").iter_rows()
            if lv == 5]


@pytest.fixture(scope="module")
def small():
    """About 600 persons in 宁化县 (its real villages), the seed's shares."""
    target = plan.scaled_targets(300)[1]
    return target, generate_county(random.Random(11), target, _villages(target.code), set())


def test_person_totals_are_exact(small):
    target, data = small
    assert sum(h.fields["size"] for h in data.households) == target.persons
    exited = [h for h in data.households if h.fields["poverty_status"] == "1"]
    assert sum(h.fields["size"] for h in exited) == target.exited_2014
    assert all(h.fields["exit_year"] == 2014 for h in exited)
    assert all(h.fields["exit_year"] is None and 2015 <= h.fields["planned_exit_year"] <= 2018
               for h in data.households if h.fields["poverty_status"] == "0")


def test_category_and_cause_shares(small):
    _, data = small
    n = len(data.households)
    categories = Counter(h.fields["category"] for h in data.households)
    total = sum(plan.CATEGORY_HOUSEHOLDS.values())
    for cat, count in plan.CATEGORY_HOUSEHOLDS.items():
        assert categories[cat] / n == pytest.approx(count / total, abs=0.01)
    causes = Counter(h.fields["main_cause"] for h in data.households)
    total = sum(plan.CAUSE_HOUSEHOLDS.values())
    for cause, count in plan.CAUSE_HOUSEHOLDS.items():
        assert causes[cause] / n == pytest.approx(count / total, abs=0.03)
    assert all(h.fields["category_form_version"] == "2014" for h in data.households)


def test_members_are_valid_people(small):
    _, data = small
    ids = [m["id_number"] for h in data.households for m in h.members]
    assert len(ids) == len(set(ids))
    for h in data.households:
        assert len(h.members) == h.fields["size"]
        assert [m["relation"] for m in h.members].count(codes.HEAD_RELATION) == 1
        assert h.members[0]["relation"] == codes.HEAD_RELATION
        assert h.fields["head_name"] == h.members[0]["name"]
        for m in h.members:
            result = validate_id_number(m["id_number"])
            assert result.ok, result.reason
            assert m["id_number"].startswith("350424")
            assert (result.sex, result.birth_date) == (m["sex"], m["birth_date"])
            for key, code_list in (("relation", codes.RELATION), ("ethnicity", codes.ETHNICITY),
                                   ("education", codes.EDUCATION), ("schooling", codes.SCHOOLING),
                                   ("health", codes.HEALTH), ("labour_skill", codes.LABOUR_SKILL)):
                assert m[key] in code_list, (key, m[key])
            assert 2 <= len(m["name"]) <= 3


def test_ages_follow_relation_and_schooling(small):
    _, data = small
    for h in data.households:
        head_age = age_on(h.members[0]["birth_date"], people.AS_OF)
        assert head_age >= 26
        for m in h.members:
            age = age_on(m["birth_date"], people.AS_OF)
            if m["relation"] in ("03", "04"):
                assert age < head_age
            if m["relation"] == "11":
                assert age > head_age
            if age < 6:
                assert m["education"] == "6"
            if 6 <= age <= 14:
                assert m["schooling"] != "1"  # compulsory schooling
            if m["schooling"] != "1" or age < 16:
                assert m["labour_skill"] == "4" and m["migrant_work"] == ""
            if m["migrant_work"]:
                assert 16 <= age <= 59 and 3 <= m["migrant_months"] <= 12


def test_health_and_benefits_follow_cause_and_category(small):
    _, data = small
    for h in data.households:
        f, members = h.fields, h.members
        if f["main_cause"] == "1":
            assert any(m["health"] in ("2", "3") for m in members)
        if f["main_cause"] == "2":
            assert any(m["health"] == "4" for m in members)
        assert all(m["is_dibao"] == (f["category"] in ("2", "3")) for m in members)
        assert all(m["is_tekun"] == (f["category"] == "4") for m in members)
        if f["category"] == "4":
            assert members[0]["labour_skill"] in ("3", "4")
        assert f["main_cause"] not in (f["other_cause_1"], f["other_cause_2"])


def test_incomes_are_consistent_with_the_policy(small):
    _, data = small
    for h in data.households:
        f = h.fields
        lines = IncomeLines(
            wage=f["income_wage"], business=f["income_business"], property=f["income_property"],
            transfer_dibao=f["transfer_dibao"], transfer_wubao=f["transfer_wubao"],
            transfer_pension=f["transfer_pension"], transfer_eco=f["transfer_eco"],
            transfer_other=f["transfer_other"], business_expense=f["business_expense"])
        result = compute_income_per_capita(lines, f["size"])
        assert (f["income_net"], f["income_per_capita"]) == (result.net_income, result.per_capita)
        assert all(v >= 0 for k, v in f.items() if k.startswith(("income_", "transfer_")) and isinstance(v, Decimal))
        if f["poverty_status"] == "1":
            assert Decimal(3000) <= f["income_per_capita"] <= Decimal(6000)
        else:
            assert Decimal(1200) <= f["income_per_capita"] <= Decimal(3300)
    poor = [h.fields["income_per_capita"] for h in data.households if h.fields["poverty_status"] == "0"]
    assert sum(1 for v in poor if Decimal(1800) <= v <= Decimal(3200)) / len(poor) > 0.85


def test_households_live_in_real_rural_villages(small):
    target, data = small
    rural = {v.code for v in rural_villages(data.villages)}
    assert all(h.village_code in rural for h in data.households)
    assert len(data.poor_villages) == target.poor_villages
    assert data.poor_villages <= rural
    assert all(h.fields["address"].startswith("福建省三明市宁化县") for h in data.households)


def test_same_seed_same_registry():
    target = plan.scaled_targets(60)[0]
    villages = _villages(target.code)
    a = generate_county(random.Random(4), target, villages, set())
    b = generate_county(random.Random(4), target, villages, set())
    assert [h.members for h in a.households] == [h.members for h in b.households]


def test_taken_id_numbers_are_avoided():
    target = plan.scaled_targets(40)[0]
    villages = _villages(target.code)
    first = generate_county(random.Random(9), target, villages, set())
    taken = {m["id_number"] for h in first.households for m in h.members}
    again = generate_county(random.Random(9), target, villages, set(taken))
    assert not taken & {m["id_number"] for h in again.households for m in h.members}
