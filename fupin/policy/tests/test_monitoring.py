"""Return-to-poverty monitoring policy (防返贫监测): lines by province and year, flag rules one at a time,
risk elimination (no labour, fewer than 6 months), the 5-day notice, overrides, frames = rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.policy.monitoring import (
    EDGE,
    MIN_PUBLICITY_DAYS,
    MONITORING_COLUMNS,
    SUDDEN_HARDSHIP,
    UNSTABLE_EXITED,
    MonitoringLine,
    MonitoringLineMissing,
    MonitoringLineTable,
    MonitoringPolicyError,
    apply_override,
    assess_elimination,
    elimination_frame,
    flag_frame,
    flags_for,
    load_default_monitoring,
    main_earner_died_frame,
    monitoring_type,
    months_above_frame,
    months_above_line,
    whole_months,
)
from fupin.policy.procedure import Action, ActionKind, ProcedureError, initial_state, transition
from fupin.policy.rules import HOUSEHOLD_COLUMNS

POLICY = load_default_monitoring()
FUJIAN = "350421000000"
YUNNAN = "530102000000"
GUANGXI = "450102000000"


def row(**values: Any) -> dict[str, Any]:
    """A household of three, exited, income above any line, every guarantee kept, nothing wrong."""
    base: dict[str, Any] = {name: None for name in MONITORING_COLUMNS}
    base.update(
        household_id=1, status="active", poverty_status="1", county_code=FUJIAN, n_members=3, n_labour=2,
        income_net=60000.0, income_per_capita=20000.0, monitoring_line=10560.0, medical_spending=0.0,
        disaster_loss=0.0, main_earner_died=False, months_above_line=12, measures_received=1, food_secure=True,
        clothing_secure=True, education_secure=True, medical_secure=True, housing_secure=True,
        drinking_water_safe=True,
    )
    base.update(values)
    return base


def flag_ids(r: dict[str, Any]) -> list[str]:
    return [f.id for f in flags_for(r, POLICY)]


# ------------------------------------------------------------------------------------------- lines


@pytest.mark.parametrize(("region", "year", "amount", "line_year", "carried"), [
    (FUJIAN, 2021, 6000, 2021, False),  # the national floor
    (FUJIAN, 2022, 6000, 2021, True),  # Fujian has no 2022 line: the floor stays
    (FUJIAN, 2023, 10560, 2023, False),
    (FUJIAN, 2024, 10560, 2023, True),  # no newer line: 2023's stays in force
    (YUNNAN, 2024, 6000, 2021, True),
    (YUNNAN, 2025, 8700, 2025, False),
    (GUANGXI, 2025, 6000, 2021, True),
])
def test_the_line_by_province_and_year(region, year, amount, line_year, carried):
    resolved = POLICY.line(year=year, region_code=region)
    assert (resolved.amount, resolved.year, resolved.carried) == (amount, line_year, carried)


def test_2020_is_one_and_a_half_times_the_poverty_line_and_unconfirmed():
    resolved = POLICY.line(year=2020, region_code=FUJIAN, poverty_line=4000)
    assert resolved.amount == 6000 and resolved.line.unconfirmed and resolved.line.multiple == 1.5
    with pytest.raises(MonitoringLineMissing):
        POLICY.line(year=2020, region_code=FUJIAN)  # a multiple needs the poverty line
    with pytest.raises(MonitoringLineMissing):
        POLICY.line(year=2019, region_code=FUJIAN)  # monitoring began in 2020


def test_a_county_line_beats_the_provinces_of_the_same_year_and_a_newer_provincial_line_wins_later():
    table = POLICY.lines.with_lines([MonitoringLine(region="350421", year=2023, amount=11000),
                                     MonitoringLine(region="35", year=2024, amount=11500)])
    assert table.resolve(year=2023, region_code=FUJIAN).amount == 11000
    assert table.resolve(year=2023, region_code="350402000000").amount == 10560  # another Fujian county
    assert table.resolve(year=2024, region_code=FUJIAN).amount == 11500


def test_lines_are_checked():
    with pytest.raises(MonitoringPolicyError):
        MonitoringLine(region="35", year=2024)  # neither amount nor multiple
    with pytest.raises(MonitoringPolicyError):
        MonitoringLine(region="3", year=2024, amount=1)
    with pytest.raises(MonitoringPolicyError):
        MonitoringLine(region="35", year=2024, amount=-1)
    with pytest.raises(MonitoringPolicyError):
        MonitoringLineTable((MonitoringLine("35", 2024, 1.0), MonitoringLine("35", 2024, 2.0)))


# ------------------------------------------------------------------------------------------- types


@pytest.mark.parametrize(("status", "poverty", "sudden", "expected"), [
    ("active", "1", False, UNSTABLE_EXITED), ("active", "4", True, UNSTABLE_EXITED),
    ("monitored", "0", False, EDGE), ("monitored", "0", True, SUDDEN_HARDSHIP),
    ("active", "0", False, None), ("active", "2", False, None), ("active", "3", True, None),
    ("applicant", "0", False, None), ("left", "1", False, None),
])
def test_monitoring_type(status, poverty, sudden, expected):
    assert monitoring_type(status, poverty, sudden=sudden) == expected


# ------------------------------------------------------------------------------------------- flags


def test_nothing_wrong_flags_nothing():
    assert flag_ids(row()) == []


@pytest.mark.parametrize(("change", "expected"), [
    ({"income_per_capita": 10559.99}, ["income_below_line"]),
    ({"medical_spending": 30000.0}, ["large_medical_spending"]),  # half of 60,000
    ({"disaster_loss": 30000.0}, ["disaster_loss"]),
    ({"main_earner_died": True}, ["main_earner_died"]),
])
def test_each_flag_alone(change, expected):
    assert flag_ids(row(**change)) == expected


def test_flags_at_the_edges():
    assert flag_ids(row(income_per_capita=10560.0)) == []  # at the line is not below it
    assert flag_ids(row(medical_spending=29999.99)) == []
    assert flag_ids(row(income_per_capita=None)) == []  # unknown income flags nothing
    assert flag_ids(row(income_net=-100.0, medical_spending=1.0)) == ["large_medical_spending"]


def test_flag_frame_gives_types_and_rules():
    view = pl.DataFrame([
        row(household_id=1, income_per_capita=5000.0),
        row(household_id=2, status="monitored", poverty_status="0", income_per_capita=5000.0),
        row(household_id=3, status="monitored", poverty_status="0", disaster_loss=40000.0),
        row(household_id=4, poverty_status="0", income_per_capita=100.0),  # poor, not exited: helped, not monitored
        row(household_id=5),
    ], schema_overrides={"months_above_line": pl.Int64})
    out = {r["household_id"]: (r["type"], r["rule_ids"]) for r in flag_frame(view, POLICY).to_dicts()}
    assert out == {1: (UNSTABLE_EXITED, ["income_below_line"]), 2: (EDGE, ["income_below_line"]),
                   3: (SUDDEN_HARDSHIP, ["disaster_loss"])}


# ------------------------------------------------------------------------------------ elimination


def failed(r: dict[str, Any]) -> list[str]:
    return [f.id for f in assess_elimination(r, POLICY).failed]


def test_every_condition_held_eliminates():
    decision = assess_elimination(row(), POLICY)
    assert decision.eliminable and not decision.failed and not decision.stays_monitored


@pytest.mark.parametrize(("change", "expected"), [
    ({"months_above_line": 5}, ["income_stable"]),  # fewer than 6 months
    ({"income_per_capita": 10000.0}, ["income_above_line"]),
    ({"measures_received": 0}, ["measure_received"]),
    ({"medical_spending": 40000.0}, ["rigid_spending_resolved"]),
    ({"food_secure": False}, ["food_secure"]),
    ({"clothing_secure": False}, ["clothing_secure"]),
    ({"education_secure": False}, ["education_secure"]),
    ({"medical_secure": False}, ["medical_secure"]),
    ({"housing_secure": False}, ["housing_secure"]),
    ({"drinking_water_safe": False}, ["water_secure"]),
    ({"n_labour": 0}, ["has_labour"]),
])
def test_each_condition_alone_blocks_elimination(change, expected):
    assert failed(row(**change)) == expected


def test_no_labour_stays_monitored_whatever_else_holds():
    decision = assess_elimination(row(n_labour=0, months_above_line=60, measures_received=9), POLICY)
    assert not decision.eliminable and decision.stays_monitored
    assert decision.reasons()[0]["rule_id"] == "has_labour"


def test_six_months_exactly_is_enough():
    assert failed(row(months_above_line=6)) == []


def test_the_no_labour_condition_cannot_be_switched_off():
    with pytest.raises(MonitoringPolicyError):
        apply_override(POLICY, {"disable_rules": ["has_labour"]}, version="x.1")
    with pytest.raises(MonitoringPolicyError):
        apply_override(POLICY, {"elimination_rules": [{"id": "has_labour", "text": "n_members > 0"}]}, version="x.1")
    changed = apply_override(POLICY, {"disable_rules": ["measure_received"]}, version="x.1")
    assert failed(row(measures_received=0)) == ["measure_received"]
    assert [f.id for f in assess_elimination(row(measures_received=0, n_labour=0), changed).failed] == ["has_labour"]


def test_elimination_frame_equals_the_rows():
    rows = [row(household_id=1), row(household_id=2, n_labour=0), row(household_id=3, months_above_line=2),
            row(household_id=4, housing_secure=False, measures_received=0)]
    frame = elimination_frame(pl.DataFrame(rows), POLICY)
    out = {r["household_id"]: (r["eliminable"], r["failed"], r["stays_monitored"]) for r in frame.to_dicts()}
    for r in rows:
        d = assess_elimination(r, POLICY)
        assert out[r["household_id"]] == (d.eliminable, [f.id for f in d.failed], d.stays_monitored)


# ------------------------------------------------------------------------------------- income months


D = dt.date


def test_months_above_line():
    assert months_above_line([], 100, D(2024, 7, 1)) == 0
    assert months_above_line([(D(2024, 1, 1), 200)], 100, D(2024, 7, 1)) == 6
    assert months_above_line([(D(2024, 1, 2), 200)], 100, D(2024, 7, 1)) == 5  # not a whole sixth month
    assert months_above_line([(D(2024, 1, 1), 200), (D(2024, 3, 1), 50), (D(2024, 4, 1), 200)], 100, D(2024, 7, 1)) == 3
    assert months_above_line([(D(2024, 1, 1), 200), (D(2024, 6, 1), 50)], 100, D(2024, 7, 1)) == 0
    assert months_above_line([(D(2024, 1, 1), 200), (D(2024, 8, 1), 50)], 100, D(2024, 7, 1)) == 6  # later: ignored
    assert whole_months(D(2024, 1, 31), D(2024, 2, 29)) == 1  # month ends clamp


dates = st.dates(min_value=D(2022, 1, 1), max_value=D(2024, 12, 31))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(dates, st.sampled_from([50.0, 100.0, 150.0])), max_size=6), dates)
def test_months_above_frame_equals_the_function(checks, on):
    frame = pl.DataFrame({"household_id": [1] * len(checks), "checked_on": [c[0] for c in checks],
                          "income_per_capita": [c[1] for c in checks]},
                         schema={"household_id": pl.Int64, "checked_on": pl.Date, "income_per_capita": pl.Float64})
    lines = pl.DataFrame({"household_id": [1], "monitoring_line": [100.0]})
    out = months_above_frame(frame, lines, on)
    got = out["months_above_line"][0] if out.height else 0
    # several checks on one day: the frame treats them together, the function in a stable order
    days = [c[0] for c in checks if c[0] <= on]
    if len(days) == len(set(days)):
        assert got == months_above_line(checks, 100.0, on)


# ---------------------------------------------------------------------------------- main earner


def test_main_earner_died():
    members = pl.DataFrame({
        "household_id": [1, 1, 2, 2, 3, 3, 4],
        "id_number": ["H1", "S1", "H2", "S2", "H3", "S3", "H4"],
        "relation": ["01", "03", "01", "03", "01", "03", "01"],
        "labour_skill": ["1", "1", "4", "1", "1", "1", "4"],
    })
    deaths = pl.DataFrame({"id_number": ["H1", "S2", "S3", "H4"]})
    out = dict(main_earner_died_frame(members, deaths).iter_rows())
    # 1: the head with labour died; 2: the only member with labour died; 3: a son with labour died but
    # the head still works; 4: a head without labour died
    assert out == {1: True, 2: True}


# ------------------------------------------------------------------------------------ procedure


def test_the_procedure_needs_five_days_of_notice():
    procedure = POLICY.procedure
    assert [s.id for s in procedure.steps] == ["application", "democratic_review", "village_publicity",
                                              "township_review", "registration"]
    assert procedure.step("village_publicity").publicity_days == MIN_PUBLICITY_DAYS == 5
    start = D(2024, 7, 1)
    state = initial_state(procedure, start)
    survey = {"surveyor": "a", "surveyed_on": "2024-07-01", "findings": "b"}
    state = transition(procedure, state, Action(ActionKind.COMPLETE, "application", "village", start,
                                                evidence=survey)).state
    meeting = {"held_on": "2024-07-01", "representatives_total": 9, "representatives_present": 5, "votes_for": 5,
               "votes_against": 0}
    state = transition(procedure, state, Action(ActionKind.COMPLETE, "democratic_review", "village", start,
                                                evidence=meeting)).state
    with pytest.raises(ProcedureError) as exc:
        transition(procedure, state, Action(ActionKind.COMPLETE, "village_publicity", "village", D(2024, 7, 5)))
    assert exc.value.code == "publicity_too_short" and "2024-07-06" in exc.value.message
    state = transition(procedure, state, Action(ActionKind.COMPLETE, "village_publicity", "village",
                                                D(2024, 7, 6))).state
    assert state.step_id == "township_review"


def test_a_notice_shorter_than_five_days_is_refused():
    with pytest.raises(MonitoringPolicyError):
        apply_override(POLICY, {"procedure": {"publicity_days": {"village_publicity": 3}}}, version="x.1")
    longer = apply_override(POLICY, {"procedure": {"publicity_days": {"village_publicity": 7}}}, version="x.1")
    assert longer.procedure.step("village_publicity").publicity_days == 7


def test_overrides_make_a_new_version_and_check_rules():
    changed = apply_override(POLICY, {"lines": [{"region": "35", "year": 2024, "amount": 11000}],
                                      "flag_rules": [{"id": "income_below_line",
                                                      "text": "income_per_capita < monitoring_line * 1.1"}]},
                             version="monitoring-2021.1+35.1")
    assert changed.based_on == POLICY.version and changed.line(year=2024, region_code=FUJIAN).amount == 11000
    assert [f.id for f in flags_for(row(income_per_capita=11000.0), changed)] == ["income_below_line"]
    assert POLICY.line(year=2024, region_code=FUJIAN).amount == 10560  # the default is untouched
    from fupin.policy.rules import RuleError

    with pytest.raises(RuleError):
        apply_override(POLICY, {"flag_rules": [{"id": "x", "text": "no_such_column > 1"}]}, version="x.1")
    with pytest.raises(MonitoringPolicyError):
        apply_override(POLICY, {"nonsense": 1}, version="x.1")
    with pytest.raises(MonitoringPolicyError):
        apply_override(POLICY, {}, version=POLICY.version)


def test_round_trip_and_columns():
    assert type(POLICY).from_dict(POLICY.to_dict()) == POLICY
    assert list(MONITORING_COLUMNS)[: len(HOUSEHOLD_COLUMNS)] == list(HOUSEHOLD_COLUMNS)
    assert {"monitoring_line", "medical_spending", "disaster_loss", "main_earner_died", "months_above_line",
            "measures_received"} <= set(MONITORING_COLUMNS)
