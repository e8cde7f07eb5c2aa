"""Village exit (出列) and county exit (摘帽): incidence with both denominators and both thresholds,
village conditions, the village exit procedure on the shared machinery (no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from fupin.policy import area_exit
from fupin.policy.area_exit import (
    AGRICULTURAL,
    RURAL,
    AreaExitError,
    CountyFacts,
    VillageFacts,
    apply_overrides,
    check_county,
    check_village,
    load_default_policy,
    village_exit_procedure,
)
from fupin.policy.procedure import Action, ActionKind, CaseStatus, ProcedureError, initial_state, transition

POLICY = load_default_policy()
ALL_MET = {"road": True, "water": True, "power": True, "clinic": True, "broadband": True}


def facts(poor: int, *, rural: int | None = 1000, agricultural: int | None = 1200, western: bool = False,
          year: int = 2018, conditions=ALL_MET, income: Decimal | None = Decimal(60000)) -> VillageFacts:
    return VillageFacts(code="350421100201", year=year, poor_persons=poor, rural_population=rural,
                        agricultural_population=agricultural, is_western=western, conditions=conditions,
                        collective_income=income)


def item(check, cid):
    return next(i for i in check.items if i.id == cid)


def test_shipped_policy():
    assert POLICY.version == "area-exit-2016.1"
    assert POLICY.denominator == RURAL and POLICY.numerator_statuses == {"0", "2", "3"}
    assert POLICY.threshold("village", False) == 2 and POLICY.threshold("village", True) == 3
    assert POLICY.threshold("county", False) == 2 and POLICY.threshold("county", True) == 3
    assert POLICY.publicity_days == 7
    assert POLICY.income_target(2015) is None
    assert POLICY.income_target(2017).minimum == 0 and not POLICY.income_target(2017).inclusive
    assert POLICY.income_target(2018).minimum == 50000 and POLICY.income_target(2019).minimum == 50000
    assert POLICY.income_target(2021).minimum == 100000
    assert area_exit.AreaExitPolicy.from_dict(POLICY.to_dict()) == POLICY


@pytest.mark.parametrize(("denominator", "poor", "passed", "rate"), [
    (RURAL, 19, True, "1.90"),        # 19 ÷ 1000 = 1.9 % < 2 %
    (RURAL, 20, False, "2.00"),       # exactly 2 % is not below
    (AGRICULTURAL, 23, True, "1.92"),  # 23 ÷ 1200
    (AGRICULTURAL, 24, False, "2.00"),
])
def test_incidence_with_both_denominators(denominator, poor, passed, rate):
    policy = apply_overrides(POLICY, {"denominator": denominator}, version="t-1")
    check = check_village(policy, facts(poor))
    assert item(check, "incidence").passed is passed
    assert str(check.incidence.rate) == rate
    assert check.incidence.population == (1000 if denominator == RURAL else 1200)
    assert check.passed is passed


@pytest.mark.parametrize(("western", "poor", "passed"), [(False, 25, False), (True, 25, True), (True, 30, False),
                                                         (True, 29, True)])
def test_both_thresholds(western, poor, passed):
    check = check_village(POLICY, facts(poor, western=western))
    assert check.threshold == (3 if western else 2)
    assert item(check, "incidence").passed is passed


def test_exact_comparison_without_rounding():
    # 1999 ÷ 100000 = 1.999 % rounds to 2.00 % but is below 2 %
    check = check_village(POLICY, facts(1999, rural=100_000))
    assert str(check.incidence.rate) == "2.00" and item(check, "incidence").passed


def test_no_population_fails_with_a_reason():
    check = check_village(POLICY, facts(0, rural=None))
    assert not check.passed and "缺少农村人口数" in item(check, "incidence").detail_zh


@pytest.mark.parametrize("cid", ["road", "water", "power", "clinic", "broadband"])
def test_each_condition_alone_blocks(cid):
    check = check_village(POLICY, facts(1, conditions={**ALL_MET, cid: False}))
    assert not check.passed
    assert [i.id for i in check.failures] == [cid]


def test_conditions_not_recorded_block():
    check = check_village(POLICY, facts(1, conditions=None, income=None))
    assert {i.id for i in check.failures} == {"road", "water", "power", "clinic", "broadband", "collective_income"}


@pytest.mark.parametrize(("year", "income", "passed"), [
    (2016, Decimal(0), False), (2016, Decimal(1), True), (2018, Decimal(49999), False), (2018, Decimal(50000), True),
    (2020, Decimal(99999), False), (2020, Decimal(100000), True), (2015, Decimal(0), True)])
def test_collective_income_targets_of_seed_003(year, income, passed):
    check = check_village(POLICY, facts(1, year=year, income=income))
    assert item(check, "collective_income").passed is passed


def test_conditions_and_targets_are_data():
    policy = apply_overrides(POLICY, {"conditions": ["road", "water"], "collective_income_targets": [],
                                      "publicity_days": 10, "numerator_statuses": ["0", "3"]}, version="c-1",
                             valid_from=dt.date(2019, 1, 1))
    check = check_village(policy, facts(1, conditions={"road": True, "water": True, "broadband": False}, income=None))
    assert check.passed and [i.id for i in check.items] == ["incidence", "road", "water"]
    assert policy.based_on == POLICY.version and policy.valid_from == dt.date(2019, 1, 1)
    assert village_exit_procedure(policy).step("township_publicity").publicity_days == 10
    with pytest.raises(AreaExitError):
        apply_overrides(POLICY, {"thresholds": {"village": 5}}, version="x")
    with pytest.raises(AreaExitError):
        apply_overrides(POLICY, {"denominator": "urban"}, version="x")
    with pytest.raises(AreaExitError):
        apply_overrides(POLICY, {"conditions": ["airport"]}, version="x")
    with pytest.raises(AreaExitError):
        apply_overrides(POLICY, {"numerator_statuses": ["9"]}, version="x")


def test_county_readiness():
    ready = check_county(POLICY, CountyFacts(code="350421000000", year=2018, poor_persons=150, poor_households=70,
                                             rural_population=10_000, agricultural_population=None,
                                             poor_villages=12, poor_villages_exited=9))
    assert ready.ready and ready.poor_villages_remaining == 3 and str(ready.check.incidence.rate) == "1.50"
    not_ready = check_county(POLICY, CountyFacts(code="350421000000", year=2018, poor_persons=250, poor_households=90,
                                                 rural_population=10_000, agricultural_population=None))
    assert not not_ready.ready
    western = check_county(POLICY, CountyFacts(code="5", year=2018, poor_persons=250, poor_households=90,
                                               rural_population=10_000, agricultural_population=None, is_western=True))
    assert western.ready
    agri = apply_overrides(POLICY, {"denominator": AGRICULTURAL}, version="a")
    assert not check_county(agri, CountyFacts(code="x", year=2018, poor_persons=1, poor_households=1,
                                              rural_population=10_000, agricultural_population=None)).ready


def test_incidence_frame_is_column_work_and_exact():
    regions = pl.DataFrame({"code": ["a", "b", "c", "d"], "poor_persons": [19, 1999, 25, 5],
                            "rural_population": [1000, 100_000, 1000, None], "agricultural_population": [None, None, 500, 10],
                            "is_western": [False, False, True, False]})
    out = area_exit.incidence_frame(regions, POLICY, "village")
    assert out["below"].to_list() == [True, True, True, None]
    assert out["rate"].to_list()[:3] == [1.9, 2.0, 2.5]
    assert out["threshold"].to_list() == [2.0, 2.0, 3.0, 2.0]
    agri = area_exit.incidence_frame(regions, apply_overrides(POLICY, {"denominator": AGRICULTURAL}, version="a"),
                                     "village")
    assert agri["below"].to_list() == [None, None, False, False]


# --- the procedure ----------------------------------------------------------------------------------------

D0 = dt.date(2018, 11, 1)
OPINION = {"reviewer": "乡镇审核人", "opinion": "同意出列"}


def act(kind, step, role, on, **kw):
    return Action(kind=kind, step_id=step, role=role, on=on, **kw)


def test_village_exit_procedure_runs_on_the_shared_machinery():
    proc = village_exit_procedure(POLICY)
    assert [s.id for s in proc.steps] == ["proposal", "township_publicity", "county_approval", "announcement"]
    assert [s.label_zh for s in proc.steps] == ["乡镇提出", "乡镇公示", "县级审批", "公告出列"]
    ok = check_village(POLICY, facts(1)).decision()
    bad = check_village(POLICY, facts(50)).decision()
    state = initial_state(proc, D0)
    with pytest.raises(ProcedureError) as err:
        transition(proc, state, act(ActionKind.COMPLETE, "proposal", "township", D0, evidence=OPINION, decision=bad))
    assert err.value.code == "decision_negative" and "贫困发生率" in err.value.zh
    with pytest.raises(ProcedureError) as err:
        transition(proc, state, act(ActionKind.COMPLETE, "proposal", "village", D0, evidence=OPINION, decision=ok))
    assert err.value.code == "wrong_role"
    state = transition(proc, state, act(ActionKind.COMPLETE, "proposal", "township", D0, evidence=OPINION,
                                        decision=ok)).state
    assert state.step_id == "township_publicity"
    with pytest.raises(ProcedureError) as err:
        transition(proc, state, act(ActionKind.COMPLETE, "township_publicity", "township", D0 + dt.timedelta(days=6)))
    assert err.value.code == "publicity_too_short"
    state = transition(proc, state, act(ActionKind.OBJECT, "township_publicity", "village", D0 + dt.timedelta(days=2),
                                        comment="道路未硬化")).state
    with pytest.raises(ProcedureError) as err:
        transition(proc, state, act(ActionKind.COMPLETE, "township_publicity", "township", D0 + dt.timedelta(days=7)))
    assert err.value.code == "objection_open"
    state = transition(proc, state, act(ActionKind.RESOLVE, "township_publicity", "township",
                                        D0 + dt.timedelta(days=3), comment="已核实,道路已硬化")).state
    state = transition(proc, state, act(ActionKind.COMPLETE, "township_publicity", "township",
                                        D0 + dt.timedelta(days=7))).state
    with pytest.raises(ProcedureError):
        transition(proc, state, act(ActionKind.COMPLETE, "county_approval", "township", D0 + dt.timedelta(days=8),
                                    evidence=OPINION, decision=ok))
    state = transition(proc, state, act(ActionKind.COMPLETE, "county_approval", "county", D0 + dt.timedelta(days=8),
                                        evidence=OPINION, decision=ok)).state
    result = transition(proc, state, act(ActionKind.COMPLETE, "announcement", "county", D0 + dt.timedelta(days=9)))
    assert result.registered and result.state.status == CaseStatus.REGISTERED
    assert area_exit.VillageExitProcedure.from_dict(proc.to_dict()) == proc


def test_invalid_village_procedure_is_refused():
    proc = village_exit_procedure(POLICY)
    with pytest.raises(ProcedureError):
        area_exit.VillageExitProcedure(id="x", version="1", label_zh="", label_en="", steps=proc.steps[1:])
