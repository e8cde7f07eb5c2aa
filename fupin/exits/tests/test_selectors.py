"""Reads of the exit: the region judged in Polars agrees with one household at a time; the candidate
lists; the contract with the yearly review (exits_in_year); scoped case lists."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from fupin.core.models import ChangeRecord
from fupin.exits import selectors
from fupin.exits.evaluation import audit_inputs, evaluate_household, evaluate_region
from fupin.registry.services import update_household
from fupin.testing import system_actor

from .conftest import D

pytestmark = pytest.mark.django_db


def test_the_region_and_one_household_agree(household, mingxi_village, other_mingxi_village):
    homes = [
        household(),
        household(food_secure=False),
        household(drinking_water_safe=False, housing_secure=False),
        household(income_wage="8856", income_business="0"),  # exactly 2,952: not above
        household(identification_year=2016, planned_exit_year=2016),
        household(poverty_status="1", exit_year=2015),
        household(other_mingxi_village, poverty_status="3"),
        household(income_wage="3000", income_business="0"),
    ]
    update_household(actor=system_actor(), household_id=homes[-1].pk, expected_version=None,
                     data={"income_wage": "12000"}, source="test")  # raised this year: not stable
    frame, bases = evaluate_region("350421000000", year=2016, on=D)
    assert set(bases) == {"350421000000"}
    by_id = {r["household_id"]: r for r in frame.iter_rows(named=True)}
    assert set(by_id) == {h.pk for h in homes}
    for h in homes:
        one = evaluate_household(h, year=2016, on=D).decision
        assert (by_id[h.pk]["meets"], by_id[h.pk]["failed"]) == (one.meets, [r.rule_id for r in one.failed]), h.pk
    assert by_id[homes[0].pk]["meets"] and by_id[homes[6].pk]["meets"]
    assert by_id[homes[2].pk]["failed"] == ["housing_secure", "drinking_water_safe"]
    assert by_id[homes[3].pk]["failed"] == ["income_above_line"]
    assert by_id[homes[5].pk]["failed"] == ["in_poverty"]
    assert by_id[homes[7].pk]["failed"] == ["income_stable"]
    assert by_id[homes[7].pk]["previous_income_per_capita"] == 1000.0


def test_audit_inputs_read_the_year_of_the_change(household):
    h = household(poverty_status="1", exit_year=2015)
    update_household(actor=system_actor(), household_id=h.pk, expected_version=None, data={"poverty_status": "3"},
                     source="test")
    ChangeRecord.objects.filter(household_id=h.pk, action="update").update(at=dt.datetime(2016, 3, 1, tzinfo=dt.UTC))
    assert audit_inputs(year=2016, household_ids=[h.pk]).to_dicts() == [
        {"household_id": h.pk, "income_at_start": None, "returned_this_year": True}]
    later = audit_inputs(year=2017, household_ids=[h.pk])
    assert later.height == 0 and later.schema == pl.Schema({"household_id": pl.Int64, "income_at_start": pl.Float64,
                                                            "returned_this_year": pl.Boolean})


def test_candidate_lists(people, household, propose, mingxi_village):
    meets, fails, proposed_ok, proposed_bad = household(), household(clothing_secure=False), household(), household(
        medical_secure=False)
    propose(proposed_ok)
    propose(proposed_bad)
    lists = selectors.candidate_lists(people["township"], mingxi_village[:9], year=2016, on=D)
    assert lists.candidates["household_id"].to_list() == [meets.pk]
    assert lists.failing["household_id"].to_list() == [proposed_bad.pk]
    assert lists.failing["failed"].to_list() == [["medical_secure"]]
    assert lists.reason_labels(["medical_secure"]) == ["基本医疗未保障"]
    assert sorted(lists.proposed["household_id"].to_list()) == sorted([proposed_ok.pk, proposed_bad.pk])
    assert {"case_id", "step"} <= set(lists.candidates.columns)
    named = lists.named(lists.candidates, 10)
    assert named.select("household_id", "head_name", "size").row(0) == (meets.pk, meets.head_name, 3)
    assert fails.pk not in lists.candidates["household_id"].to_list()
    # a case proposed for another year is neither a candidate nor on this year's lists
    other = selectors.candidate_lists(people["township"], mingxi_village, year=2017, on=D)
    assert proposed_ok.pk not in other.candidates["household_id"].to_list() and other.proposed.height == 0


def test_scoped_reads(people, household, propose, ninghua_village):
    mine = propose(household())
    propose(household(ninghua_village), actor=people["ninghua_village"])
    assert [c.pk for c in selectors.cases(people["county"])] == [mine.pk]
    assert selectors.cases(people["city"]).count() == 2
    assert selectors.cases(people["county"], selectors.CaseFilters(status="all", year=2017)).count() == 0
    from fupin.core.scoping import ScopeError

    with pytest.raises(ScopeError):
        selectors.case_detail(people["ninghua_county"], mine.pk)
    with pytest.raises(ScopeError):
        selectors.candidate_lists(people["ninghua_county"], "350421000000", year=2016, on=D)


def test_exits_in_year_is_empty_with_its_columns():
    out = selectors.exits_in_year("350421000000", 2016)
    assert out.height == 0 and out.schema == pl.Schema({"household_id": pl.Int64, "exited_on": pl.Date})
