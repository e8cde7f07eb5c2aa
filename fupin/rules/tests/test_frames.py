"""The registry as analytic views: typed frames read from the database, screening hits joined."""

from __future__ import annotations

import polars as pl

from fupin.policy.rules import HOUSEHOLD_COLUMNS, PERSON_COLUMNS
from fupin.registry import services as registry_services
from fupin.rules import frames, services
from fupin.rules.models import RuleMatch
from fupin.testing import MINGXI, first_village

from .conftest import LINE_2016, ON


def test_registry_views_of_a_region(household, ninghua_village, plant_matches):
    h = household(per_capita=2500, members=3, main_cause="1", other_cause_1="7", arable_mu="2.5",
                  drinking_water_difficult=True, member_overrides=[{}, {"labour_skill": "3", "health": "4"}])
    household(village=ninghua_village)  # another county
    head = h.members.get(relation="01")
    plant_matches([(head.id_number, "vehicle")])
    hv, pv = frames.registry_views(MINGXI, as_of=ON)
    assert list(hv.columns) == list(HOUSEHOLD_COLUMNS) and list(pv.columns) == list(PERSON_COLUMNS)
    assert hv.height == 1 and pv.height == 3
    row = hv.row(0, named=True)
    assert row["household_id"] == h.pk and row["household_number"] == h.household_number
    assert row["income_per_capita"] == 2500 and row["poverty_line"] == LINE_2016
    assert row["n_members"] == 3 and row["n_lost_labour"] == 1 and row["n_disabled"] == 1
    assert row["cause_illness"] and row["cause_skills"] and not row["cause_land"]
    assert row["arable_mu"] == 2.5 and row["drinking_water_difficult"] is True and row["has_electricity"] is True
    assert row["any_vehicle"] is True and row["any_public_payroll"] is False
    assert pv.filter(pl.col("member_id") == head.pk)["has_vehicle"].to_list() == [True]


def test_left_members_and_households_are_not_in_the_views(household, make_user):
    actor = make_user("county", MINGXI)
    stays = household(members=3)
    gone = household(members=2)
    leaver = stays.members.exclude(relation="01").first()
    registry_services.member_leaves(actor=actor, member_id=leaver.pk, reason="death", comment="test")
    registry_services.household_leaves(actor=actor, household_id=gone.pk, reason="removed", comment="test")
    hv, pv = frames.registry_views(MINGXI, as_of=ON)
    assert hv["household_id"].to_list() == [stays.pk]
    assert hv["n_members"].to_list() == [2]
    assert leaver.pk not in pv["member_id"].to_list() and pv.height == 2


def test_without_the_screening_app_the_views_have_no_hits(household, monkeypatch):
    h = household()
    monkeypatch.setattr(frames, "_confirmed_matches", None)
    assert frames.confirmed_matches(MINGXI).height == 0
    hv, _ = frames.registry_views(MINGXI, as_of=ON)
    assert hv.filter(pl.col("household_id") == h.pk)["any_vehicle"].to_list() == [False]


def test_one_household_and_the_whole_region_decide_alike(household, plant_matches):
    made = [household(per_capita=pc, members=n, main_cause=c)
            for pc, n, c in [(1000, 1, "1"), (2951, 2, "2"), (2952, 3, "7"), (4000, 4, "8"), (100, 2, "1")]]
    plant_matches([(made[4].members.get(relation="01").id_number, "business")])
    run = services.run_eligibility(None, first_village(MINGXI)[:9] + "000", on=ON)
    batch = {m.household_id: m.rule_id for m in RuleMatch.objects.filter(
        run=run, rule_id__in=["eligible", "excluded", "not_eligible"])}
    one = {h.pk: services.decide_household(h, actor=None, context="x", on=ON).outcome for h in made}
    assert batch == one
    assert list(one.values()) == ["eligible", "eligible", "not_eligible", "not_eligible", "excluded"]
