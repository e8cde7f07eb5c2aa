"""Eligibility: the income test and every default exclusion (八不入), one household and a whole frame."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from fupin.policy.analytic_view import household_view
from fupin.policy.eligibility import Decision, Reason, decide, decide_one
from fupin.policy.policy_sets import apply_override, load_default_policy

AS_OF = date(2016, 10, 1)
POLICY = load_default_policy()


def build(households: list[dict], members: list[dict], matches: list[tuple[str, str]] = ()) -> pl.DataFrame:
    hh = pl.DataFrame([{"village_code": "350421100200", "category": "1", "category_form_version": "2016",
                        "main_cause": "1", "identification_standard": "1", **h} for h in households])
    mm = pl.DataFrame([{"birth_date": date(1970, 1, 1), "labour_skill": "1", "health": "1", "schooling": "1",
                        "migrant_work": "", "migrant_months": 0, "is_dibao": False, "is_tekun": False,
                        "status": "active", **m} for m in members])
    mt = pl.DataFrame({"id_number": [i for i, _ in matches], "kind": [k for _, k in matches]},
                      schema={"id_number": pl.String, "kind": pl.String})
    line = POLICY.poverty_lines_by_standard(year=2016, region_code="350421100200")
    return household_view(hh, mm, as_of=AS_OF, poverty_line=line, matches=mt)


def one(income: float | None, *, matches: list[tuple[str, str]] = (), members: list[dict] | None = None
        ) -> dict:
    members = members if members is not None else [{"id": 1, "household_id": 1, "id_number": "P1"},
                                                   {"id": 2, "household_id": 1, "id_number": "P2"}]
    view = build([{"id": 1, "income_per_capita": income}], members, matches)
    return view.row(0, named=True)


def test_income_below_the_line_is_eligible():
    decision = decide_one(one(2000), POLICY)
    assert isinstance(decision, Decision)
    assert decision.eligible and decision.income_below_line and not decision.excluded
    assert decision.reasons == (Reason("income_below_line", "年人均纯收入低于扶贫标准",
                                       "Net income per person below the poverty line", "eligibility"),)
    assert decision.policy_version == "national-2016.1"
    assert decision.outcome == "eligible"


@pytest.mark.parametrize("income, eligible", [(2951.99, True), (2952, False), (5000, False), (None, False)])
def test_income_test_boundary(income, eligible):
    decision = decide_one(one(income), POLICY)
    assert decision.eligible is eligible and decision.income_below_line is eligible
    if not eligible:
        assert [r.rule_id for r in decision.failed] == ["income_below_line"]
        assert decision.outcome == "not_eligible" and decision.reasons == ()


@pytest.mark.parametrize("kind, rule_id", [
    ("payroll", "ex_public_payroll"),
    ("village_cadre", "ex_village_cadre"),
    ("real_estate", "ex_real_estate"),
    ("vehicle", "ex_vehicle"),
    ("business", "ex_business"),
])
def test_each_matched_exclusion_excludes_a_poor_household(kind, rule_id):
    decision = decide_one(one(1500, matches=[("P2", kind)]), POLICY)
    assert decision.income_below_line and decision.excluded and not decision.eligible
    assert [r.rule_id for r in decision.reasons] == ["income_below_line", rule_id]
    assert decision.reasons[1].kind == "exclusion"
    assert decision.reasons[1].label_zh == POLICY.rule(rule_id).label_zh
    assert decision.outcome == "excluded"


def test_whole_household_away_a_year_is_excluded_but_not_when_someone_stays():
    away = [{"id": 1, "household_id": 1, "id_number": "P1", "migrant_work": "4", "migrant_months": 12},
            {"id": 2, "household_id": 1, "id_number": "P2", "migrant_work": "4", "migrant_months": 12}]
    decision = decide_one(one(1500, members=away), POLICY)
    assert decision.excluded and [r.rule_id for r in decision.reasons][-1] == "ex_away_unverifiable"
    half = [away[0], {**away[1], "migrant_months": 11}]
    assert decide_one(one(1500, members=half), POLICY).eligible
    assert not decide_one(one(1500, members=[]), POLICY).excluded  # no members: not "whole household away"


def test_death_match_is_disabled_by_default_and_a_county_can_enable_it():
    row = one(1500, matches=[("P1", "death")])
    assert decide_one(row, POLICY).eligible
    county = apply_override(POLICY, {"enable_rules": ["ex_deceased_member"]}, version="c-1")
    decision = decide_one(row, county)
    assert decision.excluded and decision.reasons[-1].rule_id == "ex_deceased_member"
    assert decision.policy_version == "c-1"


def test_a_county_changes_the_income_test_text():
    county = apply_override(POLICY, {"rules": [
        {"id": "income_below_line", "text": "income_per_capita < poverty_line * 1.1"}]}, version="c-2")
    row = one(3100)
    assert not decide_one(row, POLICY).eligible
    assert decide_one(row, county).eligible


def test_an_extra_eligibility_rule_must_also_hold():
    county = apply_override(POLICY, {"rules": [
        {"id": "has_members", "kind": "eligibility", "label_zh": "有在册成员", "label_en": "Has members",
         "text": "n_members > 0"}]}, version="c-3")
    assert decide_one(one(1500), county).eligible
    decision = decide_one(one(1500, members=[]), county)
    assert not decision.eligible and [r.rule_id for r in decision.failed] == ["has_members"]


def test_frame_decisions_equal_one_household_decisions():
    members = [
        {"id": 1, "household_id": 1, "id_number": "A1"},
        {"id": 2, "household_id": 2, "id_number": "B1"},
        {"id": 3, "household_id": 3, "id_number": "C1", "migrant_months": 12},
        {"id": 4, "household_id": 4, "id_number": "D1"},
        {"id": 5, "household_id": 4, "id_number": "D2"},
        {"id": 6, "household_id": 6, "id_number": "F1"},
    ]
    households = [{"id": i, "income_per_capita": income}
                  for i, income in [(1, 1000.0), (2, 1000.0), (3, 1000.0), (4, 4000.0), (5, None), (6, 2951.0)]]
    matches = [("B1", "vehicle"), ("D2", "payroll"), ("F1", "payroll"), ("F1", "business"), ("F1", "death")]
    view = build(households, members, matches)
    county = apply_override(POLICY, {"enable_rules": ["ex_deceased_member"]}, version="c-4")
    for policy in (POLICY, county):
        frame = decide(view, policy)
        assert frame.columns == ["household_id", "eligible", "income_below_line", "excluded", "reasons", "failed",
                                 "policy_version"]
        assert frame.schema["reasons"] == pl.List(pl.String)
        for decided, row in zip(frame.iter_rows(named=True), view.iter_rows(named=True), strict=True):
            single = decide_one(row, policy)
            assert decided["household_id"] == row["household_id"]
            assert decided["eligible"] == single.eligible
            assert decided["income_below_line"] == single.income_below_line
            assert decided["excluded"] == single.excluded
            assert decided["reasons"] == [r.rule_id for r in single.reasons]
            assert decided["failed"] == [r.rule_id for r in single.failed]
            assert decided["policy_version"] == policy.version
    frame = decide(view, POLICY)
    assert frame["eligible"].to_list() == [True, False, False, False, False, False]
    assert frame["reasons"][5].to_list() == ["income_below_line", "ex_public_payroll", "ex_business"]
    assert decide(view, county)["reasons"][5].to_list()[-1] == "ex_deceased_member"


def test_decide_on_an_empty_view():
    frame = decide(build([{"id": 1}], []).clear(), POLICY)
    assert frame.height == 0 and frame.schema["reasons"] == pl.List(pl.String)


def test_reason_to_dict_is_the_stored_shape():
    assert Reason("a", "甲", "A", "exclusion").to_dict() == {"rule_id": "a", "label_zh": "甲", "label_en": "A"}


def test_decide_without_any_exclusion():
    county = apply_override(POLICY, {"disable_rules": [r.id for r in POLICY.exclusions if r.enabled]}, version="c-5")
    view = build([{"id": 1, "income_per_capita": 1000.0}, {"id": 2, "income_per_capita": 9000.0}],
                 [{"id": 1, "household_id": 1, "id_number": "A1"}], [("A1", "vehicle")])
    frame = decide(view, county)
    assert frame["eligible"].to_list() == [True, False]
    assert frame["excluded"].to_list() == [False, False]
    assert frame["reasons"].to_list() == [["income_below_line"], []]
    assert frame["failed"].to_list() == [[], ["income_below_line"]]
