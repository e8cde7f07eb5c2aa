"""Household exit criteria (退出标准) and the exit procedure (退出程序), pure: hand-built cases, no database."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.policy.exit_procedure import (
    EXIT_EVIDENCE_KINDS,
    ExitProcedure,
    clean_exit_evidence,
    evidence_labels,
    exit_transition,
    load_exit_procedure,
    status_label,
)
from fupin.policy.exit_rules import (
    GUARANTEE_FIELDS,
    ExitRules,
    ExitRulesError,
    apply_exit_override,
    decide,
    decide_one,
    exit_line,
    load_default_exit_rules,
)
from fupin.policy.policy_sets import apply_override, load_default_policy
from fupin.policy.procedure import (
    Action,
    ActionKind,
    CaseStatus,
    Decision,
    ProcedureError,
    allowed_actions,
    apply_overrides,
    earliest_end,
    initial_state,
)

YEAR = 2016
RULES = load_default_exit_rules()


def row(**extra: Any) -> dict[str, Any]:
    """A household that meets every criterion in 2016: income 3,500 > 2,952, last year's 3,000 > 2,855."""
    base: dict[str, Any] = {
        "household_id": 1, "status": "active", "poverty_status": "0", "identification_year": 2014,
        "income_per_capita": 3500.0, "poverty_line": 2952.0, "previous_income_per_capita": 3000.0,
        "previous_poverty_line": 2855.0, "returned_this_year": False,
        **{f: True for f in GUARANTEE_FIELDS},
    }
    base.update(extra)
    return base


def failed_ids(r: dict[str, Any], rules: ExitRules = RULES) -> list[str]:
    return [x.rule_id for x in decide_one(r, rules, year=YEAR).failed]


def frame_failed(rows: list[dict[str, Any]], rules: ExitRules = RULES) -> list[list[str]]:
    out = decide(pl.DataFrame(rows), rules, year=YEAR)
    return out["failed"].to_list()


# ------------------------------------------------------------------------------------------ the data


def test_the_shipped_rules_are_versioned_and_list_every_check():
    assert RULES.version == "exit-national-2016.1" and RULES.valid_from == dt.date(2016, 1, 1)
    assert RULES.check_ids() == (
        "on_registry", "in_poverty", "income_above_line", "food_secure", "clothing_secure", "education_secure",
        "medical_secure", "housing_secure", "drinking_water_safe", "income_stable", "identified_this_year",
        "returned_this_year")
    assert [c.id for c in RULES.evidence_criteria] == ["income_above_line", *GUARANTEE_FIELDS]
    assert ExitRules.from_dict(RULES.to_dict()) == RULES


# ------------------------------------------------------------------------------------------ one household


def test_a_household_meeting_everything_exits_with_the_checks_passed():
    decision = decide_one(row(), RULES, year=YEAR)
    assert decision.meets and decision.outcome == "exit_met" and not decision.failed
    assert decision.rules_version == "exit-national-2016.1"
    assert [r.rule_id for r in decision.reasons] == list(RULES.check_ids())
    assert frame_failed([row()]) == [[]]


@pytest.mark.parametrize("guarantee", GUARANTEE_FIELDS)
def test_each_guarantee_failing_alone_blocks_exit_with_its_own_reason(guarantee):
    r = row(**{guarantee: False})
    decision = decide_one(r, RULES, year=YEAR)
    assert not decision.meets and decision.outcome == "exit_not_met"
    assert [x.rule_id for x in decision.failed] == [guarantee]
    assert decision.failed[0].label_zh == RULES.reason(guarantee).label_zh
    assert frame_failed([r]) == [[guarantee]]


def test_the_guarantee_reasons_are_distinct_and_in_chinese():
    labels = {RULES.reason(g).label_zh for g in GUARANTEE_FIELDS}
    assert len(labels) == 6
    assert RULES.reason("housing_secure").label_zh == "住房安全未保障"
    assert RULES.reason("drinking_water_safe").label_en == "drinking water is not safe"


@pytest.mark.parametrize("income", [2952.0, 2000.0, 0.0, None])
def test_income_at_or_below_the_line_blocks_exit(income):
    r = row(income_per_capita=income)
    assert failed_ids(r) == ["income_above_line"]
    assert frame_failed([r]) == [["income_above_line"]]


def test_income_just_above_the_line_passes():
    assert failed_ids(row(income_per_capita=2952.01)) == []


def test_a_line_missing_for_the_households_standard_blocks_exit():
    assert failed_ids(row(poverty_line=None)) == ["income_above_line"]


@pytest.mark.parametrize("before", [2855.0, 1000.0, None])
def test_last_years_income_at_or_below_last_years_line_is_not_stable(before):
    r = row(previous_income_per_capita=before)
    assert failed_ids(r) == ["income_stable"]
    assert frame_failed([r]) == [["income_stable"]]
    assert "收入不稳定" in RULES.reason("income_stable").label_zh


def test_identified_this_year_does_not_exit_this_year():
    r = row(identification_year=YEAR)
    assert failed_ids(r) == ["identified_this_year"]
    assert frame_failed([r]) == [["identified_this_year"]]
    assert RULES.reason("identified_this_year").label_zh == "当年识别的贫困户当年不退出"
    assert failed_ids(row(identification_year=YEAR - 1)) == []


def test_returned_this_year_does_not_exit_this_year():
    r = row(poverty_status="3", returned_this_year=True)
    assert failed_ids(r) == ["returned_this_year"]
    assert frame_failed([r]) == [["returned_this_year"]]
    assert failed_ids(row(poverty_status="3", returned_this_year=False)) == []  # returned in an earlier year


@pytest.mark.parametrize("status", ["1", "4"])
def test_an_exited_household_is_not_an_exit_case(status):
    assert failed_ids(row(poverty_status=status)) == ["in_poverty"]


def test_a_household_off_the_registry_is_not_an_exit_case():
    assert failed_ids(row(status="left")) == ["on_registry"]


def test_several_failures_are_all_reported_in_check_order():
    r = row(food_secure=False, income_per_capita=100.0, identification_year=YEAR, returned_this_year=True)
    expected = ["income_above_line", "food_secure", "identified_this_year", "returned_this_year"]
    assert failed_ids(r) == expected
    assert frame_failed([r]) == [expected]


def test_settings_switch_the_stability_and_timing_checks_off():
    lenient = replace(RULES, stable_years=1, no_exit_in_identification_year=False, no_exit_in_return_year=False)
    assert failed_ids(row(previous_income_per_capita=None, identification_year=YEAR, returned_this_year=True),
                      lenient) == []
    assert lenient.check_ids()[-1] == "drinking_water_safe"


def test_missing_extra_columns_in_a_frame_count_as_unknown():
    frame = pl.DataFrame([{k: v for k, v in row().items() if k not in ("previous_income_per_capita",
                                                                         "previous_poverty_line",
                                                                         "returned_this_year")}])
    assert decide(frame, RULES, year=YEAR)["failed"].to_list() == [["income_stable"]]


_bools = st.booleans()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.fixed_dictionaries({
    "income_per_capita": st.one_of(st.none(), st.floats(0, 6000, allow_nan=False)),
    "previous_income_per_capita": st.one_of(st.none(), st.floats(0, 6000, allow_nan=False)),
    "identification_year": st.sampled_from([2014, 2015, 2016]),
    "poverty_status": st.sampled_from(["0", "1", "2", "3", "4"]),
    "returned_this_year": _bools,
    **{f: _bools for f in GUARANTEE_FIELDS},
}), min_size=1, max_size=20))
def test_one_household_and_the_frame_agree(cases):
    rows = [row(household_id=i, **c) for i, c in enumerate(cases)]
    out = decide(pl.DataFrame(rows, schema_overrides={"income_per_capita": pl.Float64,
                                                      "previous_income_per_capita": pl.Float64}), RULES, year=YEAR)
    for r, meets, failed in zip(rows, out["meets"].to_list(), out["failed"].to_list(), strict=True):
        one = decide_one(r, RULES, year=YEAR)
        assert (one.meets, [x.rule_id for x in one.failed]) == (meets, failed)


# ------------------------------------------------------------------------------------------ the line


def test_the_exit_line_is_the_policy_sets_line_of_the_year():
    policy = load_default_policy()
    line = exit_line(RULES, policy, year=2016, region_code="350421")
    assert (line.line_year, line.series, line.amount("1"), line.amount("2")) == (2016, "current", 2952.0, None)
    assert line.policy_version == "national-2016.1"


def test_a_year_without_a_line_takes_the_latest_earlier_one():
    line = exit_line(RULES, load_default_policy(), year=2026)
    assert (line.year, line.line_year, line.amount("1")) == (2026, 2020, 4000.0)


def test_the_exit_series_lag_and_standard_are_settings():
    policy = load_default_policy()
    projected = replace(RULES, line_series="exit_projected")
    assert exit_line(projected, policy, year=2017).amount("1") == pytest.approx(3335, abs=1)
    lagged = replace(RULES, lag=1)
    line = exit_line(lagged, policy, year=2016)
    assert (line.line_year, line.amount("1")) == (2015, 2855.0)
    county = apply_override(policy, {"lag": 1, "standard": "2", "poverty_lines": [
        {"standard": "2", "region": "350421", "year": 2015, "amount": 3300}]}, version="mingxi-2016.1")
    assert exit_line(RULES, county, year=2016, region_code="350421000000").amount("2") == 3300.0  # policy's lag
    one_standard = replace(RULES, line_standard="policy")
    assert exit_line(one_standard, county, year=2016, region_code="350421000000").by_standard == {
        "1": 3300.0, "2": 3300.0, "3": 3300.0}


def test_no_line_at_all_is_refused():
    with pytest.raises(ExitRulesError, match="没有"):
        exit_line(replace(RULES, line_series="nowhere"), load_default_policy(), year=2016)


# ------------------------------------------------------------------------------------------ overrides


def test_a_county_override_is_a_new_version():
    county = apply_exit_override(RULES, {
        "line_series": "exit_projected", "stable_years": 1, "disable_criteria": ["drinking_water_safe"],
        "criteria": [{"id": "income_above_line", "text": "income_per_capita > poverty_line * 1.1"},
                     {"id": "toilet", "label_zh": "有卫生厕所", "label_en": "sanitary toilet",
                      "text": "has_sanitary_toilet", "group": "other", "evidence": False}],
    }, version="exit-350421-2017.1", valid_from=dt.date(2017, 1, 1))
    assert (county.version, county.based_on, county.valid_from) == ("exit-350421-2017.1", RULES.version,
                                                                    dt.date(2017, 1, 1))
    assert "drinking_water_safe" not in county.check_ids() and "income_stable" not in county.check_ids()
    assert failed_ids(row(income_per_capita=3200.0, has_sanitary_toilet=True), county) == ["income_above_line"]
    assert failed_ids(row(has_sanitary_toilet=False, drinking_water_safe=False), county) == ["toilet"]
    assert "toilet" not in [c.id for c in county.evidence_criteria]
    assert RULES.version == "exit-national-2016.1" and len(RULES.active) == 7  # the base is untouched


@pytest.mark.parametrize("override, message", [
    ({"criteria": [{"id": "bad", "text": "no_such_column"}]}, "no_such_column"),
    ({"colour": "red"}, "unknown keys"),
    ({"disable_criteria": ["nope"]}, "no such criteria"),
    ({"disable_criteria": ["income_above_line"]}, "income criterion"),
    ({"line_standard": "9"}, "line_standard"),
    ({"stable_years": 3}, "stable_years"),
    ({"criteria": [{"id": "income_stable", "text": "true"}]}, "built-in"),
])
def test_bad_overrides_are_refused(override, message):
    with pytest.raises((ExitRulesError, ValueError), match=message):
        apply_exit_override(RULES, override, version="exit-x.1")


def test_the_override_needs_a_new_version():
    with pytest.raises(ExitRulesError, match="differ"):
        apply_exit_override(RULES, {}, version=RULES.version)


# ------------------------------------------------------------------------------------------ the procedure

PROC = load_exit_procedure()
D0 = dt.date(2016, 11, 1)
MEETING = {"held_on": "2016-11-02", "representatives_total": 9, "representatives_present": 7, "votes_for": 6,
           "votes_against": 1}
CRITERIA = RULES.evidence_criteria
VERIFY = {"verified_on": "2016-11-03", "committee_verifier": "村主任", "workteam_verifier": "第一书记",
          **{f"criterion_{c.id}": "入户核实属实" for c in CRITERIA}}
CONSENT = {"signed_by": "张三", "signed_on": "2016-11-04"}
YES = Decision(eligible=True, reasons=("income_above_line",), policy_version=RULES.version)
NO = Decision(eligible=False, reasons=("住房安全未保障",), policy_version=RULES.version,
              outcome_label="未达到退出标准")


def act(kind: str, step: str, role: str, on: dt.date, **kw: Any) -> Action:
    return Action(kind=kind, step_id=step, role=role, on=on, **kw)


def do(state, step: str, role: str, on: dt.date, proc: ExitProcedure = PROC, **kw: Any):
    return exit_transition(proc, state, act(ActionKind.COMPLETE, step, role, on, **kw), criteria=CRITERIA)


def at_step(step: str, proc: ExitProcedure = PROC):
    """A case walked up to ``step`` (each step one day after the last)."""
    state = do(initial_state(proc, D0), "proposal", "village", D0, proc).state
    plan = [("democratic_review", "village", {"evidence": MEETING}),
            ("verification", "workteam", {"evidence": VERIFY, "decision": YES}),
            ("consent", "village", {"evidence": CONSENT}),
            ("village_publicity", "village", {}), ("announcement", "county", {})]
    day = D0
    for step_id, role, kw in plan:
        if state.step_id == step:
            return state
        day = max(day + dt.timedelta(days=1), earliest_end(proc.step(step_id), state.step_started_on) or day)
        state = do(state, step_id, role, day, proc, **kw).state
    assert state.step_id == step
    return state


def test_the_exit_steps_in_order():
    assert [s.id for s in PROC.steps] == ["proposal", "democratic_review", "verification", "consent",
                                          "village_publicity", "announcement", "deregistration"]
    assert [s.label_zh for s in PROC.steps] == ["拟退出", "村两委民主评议", "村两委和驻村工作队核实", "贫困户认可",
                                                "村内公示", "公告退出", "销号"]
    assert PROC.step("village_publicity").publicity_days == 7
    assert PROC.step("verification").runs_decision and PROC.step("verification").roles == {"village", "workteam"}
    assert PROC.step("deregistration").roles == {"county"}
    assert ExitProcedure.from_dict(PROC.to_dict()) == PROC
    names = [f.name for f in PROC.evidence_fields("verification", CRITERIA)]
    assert names[:3] == ["verified_on", "committee_verifier", "workteam_verifier"]
    assert names[3:] == [f"criterion_{c.id}" for c in CRITERIA]
    assert set(EXIT_EVIDENCE_KINDS) == {"verification", "consent"}
    assert evidence_labels(PROC, CRITERIA)["criterion_housing_secure"][0] == "住房安全有保障核实情况"


def test_a_whole_case_reaches_deregistration():
    state = at_step("deregistration")
    result = do(state, "deregistration", "county", state.last_action_on)
    assert result.state.status == CaseStatus.REGISTERED and result.registered
    assert status_label(result.state.status) == ("已销号(已脱贫)", "exited")


def test_an_illegal_transition_is_refused():
    state = at_step("democratic_review")
    with pytest.raises(ProcedureError) as err:
        do(state, "village_publicity", "village", D0 + dt.timedelta(days=10))
    assert err.value.code == "illegal_transition" and "当前环节是「村两委民主评议」" in err.value.zh
    with pytest.raises(ProcedureError) as err:
        do(state, "deregistration", "county", D0 + dt.timedelta(days=10))
    assert err.value.code == "illegal_transition"


def test_the_verification_needs_the_evidence_of_every_criterion():
    state = at_step("verification")
    missing = {k: v for k, v in VERIFY.items() if k != "criterion_housing_secure"}
    with pytest.raises(ProcedureError) as err:
        do(state, "verification", "workteam", D0 + dt.timedelta(days=3), evidence=missing, decision=YES)
    assert err.value.code == "missing_evidence"
    assert set(err.value.field_errors) == {"evidence.criterion_housing_secure"}
    assert "住房安全有保障核实情况" in err.value.zh
    result = do(state, "verification", "workteam", D0 + dt.timedelta(days=3), evidence=VERIFY, decision=YES)
    assert result.evidence["criterion_housing_secure"] == "入户核实属实"
    assert result.evidence["verified_on"] == "2016-11-03"


def test_the_verification_refuses_a_household_that_fails_the_criteria():
    state = at_step("verification")
    with pytest.raises(ProcedureError) as err:
        do(state, "verification", "workteam", D0 + dt.timedelta(days=3), evidence=VERIFY, decision=NO)
    assert err.value.code == "decision_negative" and "住房安全未保障" in err.value.zh


def test_the_township_may_not_verify():
    state = at_step("verification")
    with pytest.raises(ProcedureError) as err:
        do(state, "verification", "township", D0 + dt.timedelta(days=3), evidence=VERIFY, decision=YES)
    assert err.value.code == "wrong_role"


def test_consent_missing_is_refused_and_a_refusal_ends_the_case():
    state = at_step("consent")
    on = D0 + dt.timedelta(days=4)
    with pytest.raises(ProcedureError) as err:
        do(state, "consent", "village", on, evidence={})
    assert err.value.code == "missing_evidence"
    assert set(err.value.field_errors) == {"evidence.signed_by", "evidence.signed_on"}
    with pytest.raises(ProcedureError) as err:
        do(state, "consent", "village", on, evidence={"signed_by": "张三", "signed_on": "2016-12-01"})
    assert "晚于办理日期" in err.value.field_errors["evidence.signed_on"][0]  # signed after the day recorded
    refused = exit_transition(PROC, state, act(ActionKind.REJECT, "consent", "village", on, comment="户主不同意"))
    assert refused.state.status == CaseStatus.REJECTED
    assert status_label(refused.state.status, "consent") == ("贫困户不认可", "the household does not agree")
    with pytest.raises(ProcedureError) as err:
        do(refused.state, "consent", "village", on, evidence=CONSENT)
    assert err.value.code == "case_closed"


def test_the_publicity_lasts_at_least_seven_days_and_objections_block_it():
    state = at_step("village_publicity")
    started = state.step_started_on
    with pytest.raises(ProcedureError) as err:
        do(state, "village_publicity", "village", started + dt.timedelta(days=6))
    assert err.value.code == "publicity_too_short"
    assert f"最早{(started + dt.timedelta(days=7)).isoformat()}可结束" in err.value.zh
    objected = exit_transition(PROC, state, act(ActionKind.OBJECT, "village_publicity", "village",
                                                started + dt.timedelta(days=1), comment="该户有稳定工资收入以外的隐情"))
    with pytest.raises(ProcedureError) as err:
        do(objected.state, "village_publicity", "village", started + dt.timedelta(days=8))
    assert err.value.code == "objection_open"
    upheld = exit_transition(PROC, objected.state, act(ActionKind.RESOLVE, "village_publicity", "village",
                                                       started + dt.timedelta(days=2), comment="属实", upheld=True))
    with pytest.raises(ProcedureError) as err:
        do(upheld.state, "village_publicity", "village", started + dt.timedelta(days=8))
    assert err.value.code == "objection_upheld"
    done = do(state, "village_publicity", "village", started + dt.timedelta(days=7))
    assert done.state.step_id == "announcement"


def test_a_county_shortens_the_publicity():
    county = apply_overrides(PROC, {"publicity_days": {"village_publicity": 5}}, version="exit-350421.1")
    assert isinstance(county, ExitProcedure) and county.exit_evidence == PROC.exit_evidence
    state = at_step("village_publicity", county)
    done = do(state, "village_publicity", "village", state.step_started_on + dt.timedelta(days=5), county)
    assert done.state.step_id == "announcement"


def test_the_village_cannot_announce_or_deregister():
    state = at_step("announcement")
    assert allowed_actions(PROC, state, "village") == [ActionKind.WITHDRAW]
    assert allowed_actions(PROC, state, "county") == [ActionKind.COMPLETE, ActionKind.WITHDRAW]
    with pytest.raises(ProcedureError) as err:
        do(state, "announcement", "village", state.last_action_on)
    assert err.value.code == "wrong_role"


def test_an_invalid_exit_procedure_is_refused():
    data = PROC.to_dict()
    data["steps"] = data["steps"][1:]
    with pytest.raises(ProcedureError, match="proposal"):
        ExitProcedure.from_dict(data)
    data = PROC.to_dict()
    data["steps"][3]["exit_evidence"] = ["photo"]
    with pytest.raises(ProcedureError, match="photo"):
        ExitProcedure.from_dict(data)


def test_clean_exit_evidence_names_malformed_dates():
    with pytest.raises(ProcedureError) as err:
        clean_exit_evidence(PROC, "consent", {"signed_by": "张三", "signed_on": "11/04/2016"}, on=D0)
    assert set(err.value.field_errors) == {"evidence.signed_on"}
