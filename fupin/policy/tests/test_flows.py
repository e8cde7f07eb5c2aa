"""The flow report (动态调整): categories by construction, the seed-002 series, drill-down, edge cases."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.policy import flows
from fupin.policy.flows import FlowRules, classify_households, flow_report, summarize, totals_of

from .seed002_scenario import EXPECTED, SEED_EXITED_2016, SEED_STOCK, build, frames_of

VILLAGES = ["220622100201", "220622100202", "220622101203", "220622101204"]  # 靖宇县, two townships
COUNTY = "220622"


@pytest.fixture(scope="module")
def seed002():
    _builder, states = build(VILLAGES)
    return {year: frames_of(state, VILLAGES) for year, state in states.items()}


def _totals(report: flows.FlowReport) -> dict[str, tuple[int, int]]:
    h = totals_of(report.summary("households")).as_dict()
    p = totals_of(report.summary("persons")).as_dict()
    return {k: (h[k], p[k]) for k in h}


@pytest.mark.parametrize("year", [2015, 2016])
def test_seed002_series_reconciles_exactly(seed002, year):
    (sh, sp), (eh, ep) = seed002[year - 1], seed002[year]
    report = flow_report(sh, sp, eh, ep, prefix=COUNTY, year=year)
    totals = _totals(report)
    assert totals == EXPECTED[year]
    assert totals["start"] == SEED_STOCK[year - 1] and totals["end"] == SEED_STOCK[year]
    if year == 2016:
        assert totals["exited"] == SEED_EXITED_2016  # 1579户3182人
    assert report.balanced


def test_seed002_identity_written_out(seed002):
    """start + new + returned − exited − removed ± natural = end, in households and persons."""
    (sh, sp), (eh, ep) = seed002[2015], seed002[2016]
    report = flow_report(sh, sp, eh, ep, prefix=COUNTY, year=2016)
    for unit, (start, end) in (("households", (7329, 5767)), ("persons", (13660, 10473))):
        t = totals_of(report.summary(unit))
        assert t.start == start and t.end == end
        assert t.start + t.new + t.returned - t.exited - t.removed + t.natural == t.end


def test_seed002_drill_down_by_township_and_village(seed002):
    (sh, sp), (eh, ep) = seed002[2015], seed002[2016]
    county = _totals(flow_report(sh, sp, eh, ep, prefix=COUNTY, year=2016))
    for key_length in (9, 12):
        report = flow_report(sh, sp, eh, ep, prefix=COUNTY, year=2016, key_length=key_length)
        for unit in ("households", "persons"):
            summary = report.summary(unit)
            assert summary["balanced"].all()
            assert summary["group"].str.len_chars().unique().to_list() == [key_length]
            i = 0 if unit == "households" else 1
            for column in ("start", "new", "exited", "end"):
                assert summary[column].sum() == county[column][i]  # no moves between places here
    village = flow_report(sh, sp, eh, ep, prefix=VILLAGES[0], year=2016)
    rows = village.households.filter(pl.col("flow") == flows.EXITED)
    assert rows.height > 0 and rows["village_code"].unique().to_list() == [VILLAGES[0]]
    assert rows.columns[:3] == ["group", "household_id", "flow"]


def test_seed002_reasons(seed002):
    (sh, sp), (eh, ep) = seed002[2014], seed002[2015]
    report = flow_report(sh, sp, eh, ep, prefix=COUNTY, year=2015)
    counts = {(r["flow"], r["reason"]): r["count"] for r in flows.reasons(report.persons).iter_rows(named=True)}
    assert counts[(flows.NATURAL_IN, flows.BIRTH)] == 35
    assert counts[(flows.NATURAL_IN, flows.MARRIAGE_IN)] == 20
    assert counts[(flows.NATURAL_OUT, "death")] == 86
    assert counts[(flows.NATURAL_OUT, "marriage_out")] == 30
    assert counts[(flows.NATURAL_OUT, "extinct")] == 4
    assert counts[(flows.REMOVED, "removed")] == 130
    h = {(r["flow"], r["reason"]): r["count"] for r in flows.reasons(report.households).iter_rows(named=True)}
    assert h[(flows.REMOVED, "removed")] == 60 and h[(flows.NATURAL_OUT, "extinct")] == 4
    assert h[(flows.NEW, flows.IDENTIFIED)] == 120


# --- hand-built cases ---------------------------------------------------------------------------------

V1, V2 = "350421100201", "350421100202"


def hh(hid: int, village: str = V1, status: str = "active", poverty: str = "0", size: int = 1, left: str = "") -> dict:
    return {"household_id": hid, "household_number": f"N{hid}", "head_name": f"户主{hid}", "village_code": village,
            "status": status, "poverty_status": poverty, "size": size, "identification_year": 2014,
            "exit_year": None, "left_reason": left}


def pp(mid: int, hid: int, status: str = "active", left: str = "", with_household: bool = False,
       relation: str = "01", born: dt.date = dt.date(1970, 1, 1)) -> dict:
    return {"member_id": mid, "household_id": hid, "relation": relation, "birth_date": born, "status": status,
            "left_reason": left, "left_with_household": with_household}


def frames(households: list[dict], persons: list[dict]) -> tuple[pl.DataFrame, pl.DataFrame]:
    return (pl.DataFrame(households, schema=flows.HOUSEHOLD_SCHEMA),
            pl.DataFrame(persons, schema=flows.PERSON_SCHEMA))


def report_for(start, end, prefix="350421", year=2016, **kw):
    return flow_report(start[0], start[1], end[0], end[1], prefix=prefix, year=year, **kw)


def one(frame: pl.DataFrame, **where) -> dict:
    for k, v in where.items():
        frame = frame.filter(pl.col(k) == v)
    assert frame.height == 1, frame
    return frame.row(0, named=True)


def test_move_between_villages_is_continuing_in_the_county_and_a_transfer_in_the_villages():
    start = frames([hh(1, V1)], [pp(10, 1)])
    end = frames([hh(1, V2)], [pp(10, 1)])
    county = report_for(start, end)
    assert one(county.households, household_id=1)["flow"] == flows.CONTINUING
    by_village = report_for(start, end, key_length=12)
    out = one(by_village.households, group=V1)
    into = one(by_village.households, group=V2)
    assert (out["flow"], out["reason"]) == (flows.NATURAL_OUT, flows.TRANSFER_OUT)
    assert (into["flow"], into["reason"]) == (flows.NATURAL_IN, flows.TRANSFER_IN)
    assert one(by_village.persons, group=V2)["flow"] == flows.NATURAL_IN
    assert by_village.balanced


def test_household_missing_from_the_end_snapshot_is_untracked():
    r = report_for(frames([hh(1)], [pp(10, 1)]), frames([], []))
    row = one(r.households)
    assert (row["flow"], row["reason"]) == (flows.NATURAL_OUT, flows.UNTRACKED)
    assert one(r.persons)["reason"] == flows.UNTRACKED


def test_return_cause_and_exit_date_come_from_the_changes():
    start = frames([hh(1, poverty="1"), hh(2)], [pp(10, 1), pp(20, 2)])
    end = frames([hh(1, poverty="3"), hh(2, poverty="1")], [pp(10, 1), pp(20, 2)])
    changes = pl.DataFrame({"household_id": [1, 2], "kind": ["return", "exit"], "reason": ["因病返贫", ""],
                            "on": [dt.date(2016, 5, 1), dt.date(2016, 11, 30)]})
    r = report_for(start, end, changes=changes)
    returned = one(r.households, household_id=1)
    exited = one(r.households, household_id=2)
    assert (returned["flow"], returned["reason"]) == (flows.RETURNED, "因病返贫")
    assert (exited["flow"], exited["on"], exited["exit_recorded"]) == (flows.EXITED, dt.date(2016, 11, 30), True)
    no_record = one(report_for(start, end).households, household_id=2)
    assert no_record["exit_recorded"] is False  # exited by status, no 销号 in the exits procedure


def test_marriage_between_two_poor_households_is_one_out_and_one_in():
    start = frames([hh(1, size=2), hh(2)], [pp(10, 1), pp(11, 1, relation="04"), pp(20, 2)])
    end = frames([hh(1), hh(2, size=2)], [pp(10, 1), pp(11, 1, status="left", left="marriage_out", relation="04"),
                                         pp(20, 2), pp(21, 2, relation="05", born=dt.date(1995, 1, 1))])
    r = report_for(start, end)
    assert (one(r.persons, member_id=11)["flow"], one(r.persons, member_id=11)["reason"]) == (
        flows.NATURAL_OUT, "marriage_out")
    assert one(r.persons, member_id=21)["reason"] == flows.MARRIAGE_IN
    t = totals_of(r.summary("persons"))
    assert (t.start, t.natural_in, t.natural_out, t.end) == (3, 1, 1, 3)


def test_birth_and_member_entry_error():
    start = frames([hh(1, size=2)], [pp(10, 1), pp(11, 1, relation="03")])
    end = frames([hh(1, size=2)], [pp(10, 1), pp(11, 1, status="left", left="entry_error", relation="03"),
                                   pp(12, 1, relation="07", born=dt.date(2016, 2, 1))])
    r = report_for(start, end)
    assert one(r.persons, member_id=11)["flow"] == flows.REMOVED
    assert one(r.persons, member_id=12)["reason"] == flows.BIRTH


def test_members_leaving_with_their_household_take_its_category():
    start = frames([hh(1, size=2), hh(2, size=2)], [pp(10, 1), pp(11, 1, relation="02"), pp(20, 2), pp(21, 2)])
    end = frames([hh(1, status="left", left="removed", size=0), hh(2, status="left", left="merged", size=0)],
                 [pp(10, 1, "left", "other", True), pp(11, 1, "left", "death", False),
                  pp(20, 2, "left", "other", True), pp(21, 2, "left", "other", True)])
    r = report_for(start, end)
    assert one(r.households, household_id=1)["flow"] == flows.REMOVED
    assert (one(r.households, household_id=2)["flow"], one(r.households, household_id=2)["reason"]) == (
        flows.NATURAL_OUT, "merged")
    assert one(r.persons, member_id=10)["flow"] == flows.REMOVED
    assert one(r.persons, member_id=11)["reason"] == "death"  # died before the household was removed
    assert one(r.persons, member_id=20)["reason"] == "merged"


def test_exit_and_return_within_the_year_is_continuing_and_new_member_of_returned_household_is_returned():
    start = frames([hh(1), hh(2, poverty="1")], [pp(10, 1), pp(20, 2)])
    end = frames([hh(1, poverty="3"), hh(2, poverty="3", size=2)],
                 [pp(10, 1), pp(20, 2), pp(21, 2, relation="07", born=dt.date(2016, 6, 1))])
    r = report_for(start, end)
    assert one(r.households, household_id=1)["flow"] == flows.CONTINUING
    assert one(r.persons, member_id=21)["flow"] == flows.RETURNED


def test_new_household_members_are_new_and_applicant_at_start_counts_as_new():
    start = frames([hh(1, status="applicant")], [pp(10, 1)])
    end = frames([hh(1), hh(2)], [pp(10, 1), pp(20, 2)])
    r = report_for(start, end)
    assert set(r.households["flow"]) == {flows.NEW}
    assert set(r.persons["flow"]) == {flows.NEW}


def test_proposed_exit_status_stays_in_the_stock():
    r = report_for(frames([hh(1)], [pp(10, 1)]), frames([hh(1, poverty="2")], [pp(10, 1)]))
    assert one(r.households)["flow"] == flows.CONTINUING


def test_rules_are_validated_and_versioned():
    with pytest.raises(ValueError):
        FlowRules(household_leave_flow={"removed": flows.NEW})
    with pytest.raises(ValueError):
        FlowRules(stock_statuses=frozenset({"0", "1"}))
    custom = FlowRules(version="x-1", household_leave_flow={"removed": flows.REMOVED, "moved": flows.REMOVED})
    start = frames([hh(1)], [pp(10, 1)])
    end = frames([hh(1, status="left", left="moved", size=0)], [pp(10, 1, "left", "other", True)])
    assert one(report_for(start, end, rules=custom).households)["flow"] == flows.REMOVED
    assert one(report_for(start, end).households)["flow"] == flows.NATURAL_OUT
    assert custom.to_dict()["version"] == "x-1"


def test_grouping_is_checked_and_text_frames_are_accepted():
    with pytest.raises(ValueError):
        classify_households(flows.empty_households(), flows.empty_households(), prefix="350421", key_length=4)
    text = pl.DataFrame({"household_id": ["1"], "village_code": [V1], "status": ["active"], "poverty_status": ["0"],
                         "size": ["2"]})
    rows = classify_households(text, text, prefix="350421")
    assert one(rows)["flow"] == flows.CONTINUING and one(rows)["size_end"] == 2
    assert flows.child_key_length("350421") == 9 and flows.child_key_length(V1) is None


def test_reason_labels():
    assert flows.reason_label("death") == "死亡"
    assert flows.reason_label("removed") == "识别不准清退"
    assert flows.reason_label(flows.BIRTH, "en") == "birth"
    assert flows.reason_label("因病返贫") == "因病返贫"
    assert flows.reason_label("") == ""


# --- property: the identity holds for any pair of registry states ------------------------------------

STATES = st.tuples(st.sampled_from(["active", "left", "applicant", None]), st.sampled_from(list("01234")),
                   st.sampled_from([V1, V2, "350424100201"]),
                   st.sampled_from(["removed", "extinct", "moved", "merged", "entry_error"]))
MEMBER_STATES = st.tuples(st.sampled_from(["active", "left", None]),
                          st.sampled_from(["death", "marriage_out", "entry_error", "other"]), st.booleans())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(STATES, STATES), min_size=1, max_size=12),
       st.lists(st.tuples(st.integers(0, 11), MEMBER_STATES, MEMBER_STATES), max_size=30))
def test_identity_holds_for_any_two_states(households, members):
    sh, eh, sp, ep = [], [], [], []
    for i, (a, b) in enumerate(households):
        for side, (status, poverty, village, left) in ((sh, a), (eh, b)):
            if status is not None:
                side.append(hh(i, village, status, poverty, left=left))
    for j, (i, a, b) in enumerate(members):
        i = i % len(households)
        for side, (status, left, with_household) in ((sp, a), (ep, b)):
            if status is not None:
                side.append(pp(100 + j, i, status, left, with_household))
    start, end = frames(sh, sp), frames(eh, ep)
    for prefix, key_length in (("350421", 6), ("350421", 12), ("35", 6), ("350421100", 12)):
        r = report_for(start, end, prefix=prefix, key_length=key_length)
        for unit, stock in (("households", start[0]), ("persons", None)):
            summary = summarize(r.households if unit == "households" else r.persons)
            assert summary["balanced"].all()
            if stock is not None:
                in_stock = stock.filter((pl.col("status") == "active") & pl.col("poverty_status").is_in(["0", "2", "3"])
                                        & pl.col("village_code").str.starts_with(prefix))
                assert summary["start"].sum() == in_stock.height
