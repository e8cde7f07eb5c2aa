"""Reads of the assistance app: scope (the pairing rule), 七清, suggestions, the helper's to-do, overdue visits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fupin.assistance import selectors, services
from fupin.assistance.models import AssistanceSetting, HouseholdPlan, PlannedMeasure, Visit
from fupin.core.scoping import ScopeError, visible_to
from fupin.registry.models import Household

from .conftest import TODAY, ago, make_helper, pair

pytestmark = pytest.mark.django_db


def visit(w, household, days_ago, actor=None):
    return services.record_visit(actor=actor or w.helper_user, household_id=household.pk, visited_on=ago(days_ago),
                                 found="走访", source="test")


# ------------------------------------------------------------------------------------------ scope


def test_a_helper_sees_exactly_their_households_and_what_hangs_off_them(world):
    plan1 = services.create_plan(actor=world.county, household_id=world.h1.pk, year=TODAY.year)
    plan3 = services.create_plan(actor=world.county, household_id=world.h3.pk, year=TODAY.year)
    visit(world, world.h1, 3)
    visit(world, world.h3, 3, actor=world.helper2_user)
    mine = visible_to(world.helper_user, Household.objects.all())
    assert set(mine.values_list("pk", flat=True)) == {world.h1.pk, world.h2.pk}
    assert list(visible_to(world.helper_user, HouseholdPlan.objects.all())) == [plan1]
    assert set(visible_to(world.helper_user, Visit.objects.all()).values_list("household_id", flat=True)) == {
        world.h1.pk}
    assert selectors.plan_detail(world.helper_user, plan1.pk) == plan1
    with pytest.raises(ScopeError):
        selectors.plan_detail(world.helper_user, plan3.pk)
    with pytest.raises(ScopeError):
        selectors.household(world.helper_user, world.h3.pk)
    # the county sees all three; Ninghua none
    assert selectors.plans(world.county).count() == 2
    assert selectors.plans(world.ninghua_county).count() == 0
    with pytest.raises(ScopeError):
        selectors.plan_detail(world.ninghua_county, plan1.pk)


def test_a_transfer_moves_the_view_with_the_household(world):
    plan = services.create_plan(actor=world.helper_user, household_id=world.h1.pk, year=TODAY.year)
    world.p1.ended_on = TODAY
    world.p1.end_reason = "transfer"
    world.p1.save()
    pair(world.helper2, world.h1, TODAY)
    with pytest.raises(ScopeError):
        selectors.plan_detail(world.helper_user, plan.pk)
    assert selectors.plan_detail(world.helper2_user, plan.pk) == plan


# ------------------------------------------------------------------------------------------ suggestions and 七清


def test_suggestions_come_from_pathways_causes_and_conditions(world):
    out = selectors.suggestions_for(world.h1)  # 因病 main, 缺资金 other; 一般贫困户; Sanming policy shipped
    by_id = {s.measure.id: s for s in out}
    assert "health_medical_aid" in by_id and "finance_microloan" in by_id
    reasons = {(r.kind, r.scheme_id, r.pathway_id, r.cause) for r in by_id["health_medical_aid"].reasons}
    assert ("pathway", "sanming9", "medical", "") in reasons and ("cause", "", "", "1") in reasons
    assert ("pathway", "sanming9", "finance", "") in {(r.kind, r.scheme_id, r.pathway_id, r.cause)
                                                      for r in by_id["finance_microloan"].reasons}
    assert "health_medical_aid" not in {s.measure.id for s in selectors.suggestions_for(
        world.h1, exclude=["health_medical_aid"])}
    schooling = {s.measure.id for s in selectors.suggestions_for(world.h2)}  # 因学
    assert {"education_grant", "education_yulu"} <= schooling


def test_qiqing(world):
    plan = services.create_plan(actor=world.helper_user, household_id=world.h1.pk, year=TODAY.year)
    late = services.add_measure(actor=world.helper_user, plan_id=plan.pk, measure_type="health_medical_aid",
                                target_date=TODAY + dt.timedelta(days=1), expected_income="500")
    PlannedMeasure.objects.filter(pk=late.pk).update(target_date=ago(2))  # overdue
    services.add_measure(actor=world.helper_user, plan_id=plan.pk, measure_type="finance_microloan",
                         target_date=TODAY + dt.timedelta(days=100))
    services.record_measure_given(actor=world.helper_user, household_id=world.h1.pk, measure_type="finance_microloan",
                                  given_on=ago(1), amount="30000", loan_ref="邮储贷-7", fund_ref="贴息资金")
    visit(world, world.h1, 4)
    q = selectors.qiqing(world.helper_user, world.h1)
    h = Household.objects.get(pk=world.h1.pk)
    assert (q.poverty_status, q.category, q.size) == ("未脱贫", "一般贫困户", 3)
    assert q.income_per_capita == h.income_per_capita == Decimal("2500.00")
    assert q.poverty_line is not None and q.line_year is not None and q.line_year <= TODAY.year
    assert q.gap == (q.poverty_line - Decimal("2500.00"))
    assert q.causes == [("1", "因病"), ("9", "缺资金")]
    assert q.plan == plan and len(q.planned) == 2 and q.n_done == 0
    assert q.n_overdue == 1
    assert q.given_total == Decimal("30000.00")
    assert sorted(p["ref"] for p in q.projects) == ["贴息资金", "邮储贷-7"]
    assert [x.name for x in q.helpers] == ["王帮扶"] and q.units == ["明溪县农业农村局"]
    assert q.planned_exit_year == 2026 and q.last_visit.visited_on == ago(4) and q.may_assist
    assert not selectors.qiqing(world.city, world.h1).may_assist
    with pytest.raises(ScopeError):
        selectors.qiqing(world.helper2_user, world.h1)


# ------------------------------------------------------------------------------------------ the helper's home


def test_helper_home_lists_households_overdue_first_and_the_to_do(world):
    visit(world, world.h1, 10)
    visit(world, world.h2, 45)
    plan = services.create_plan(actor=world.helper_user, household_id=world.h1.pk, year=TODAY.year)
    due = services.add_measure(actor=world.helper_user, plan_id=plan.pk, measure_type="health_medical_aid",
                               target_date=TODAY + dt.timedelta(days=5))
    later = services.add_measure(actor=world.helper_user, plan_id=plan.pk, measure_type="finance_microloan",
                                 target_date=TODAY + dt.timedelta(days=40))
    late = services.add_measure(actor=world.helper_user, plan_id=plan.pk, measure_type="education_grant",
                                target_date=TODAY + dt.timedelta(days=1))
    PlannedMeasure.objects.filter(pk=late.pk).update(target_date=ago(3))  # overdue (a plan made late)
    done = services.add_measure(actor=world.helper_user, plan_id=plan.pk, measure_type="industry_tea",
                                target_date=TODAY + dt.timedelta(days=1))
    services.change_measure_status(actor=world.helper_user, measure_id=done.pk, status="in_progress")
    services.change_measure_status(actor=world.helper_user, measure_id=done.pk, status="done")
    home = selectors.helper_home(world.helper_user)
    assert home.helper == world.helper and home.interval_days == 30 and home.window_days == 14
    assert [r.household.pk for r in home.households] == [world.h2.pk, world.h1.pk]
    first = home.households[0]
    assert (first.overdue, first.last_visit, first.days_overdue) == (True, ago(45), 15)
    assert not home.households[1].overdue and home.households[1].open_measures == 3
    assert [r.household.pk for r in home.overdue_visits] == [world.h2.pk]
    assert [m.pk for m in home.measures_overdue] == [late.pk]
    assert [m.pk for m in home.measures_due] == [due.pk]
    assert later.pk not in [m.pk for m in home.measures_due]
    # another helper's household never appears; a user without a helper gets an empty home
    assert world.h3.pk not in [r.household.pk for r in home.households]
    assert selectors.helper_home(world.county).helper is None


def test_a_newly_paired_household_is_not_overdue_until_the_interval_passes(world):
    h = world.h3
    pair(world.helper, h, ago(5))
    home = selectors.helper_home(world.helper_user)
    row = next(r for r in home.households if r.household.pk == h.pk)
    assert (row.overdue, row.last_visit, row.due_on) == (False, None, ago(5) + dt.timedelta(days=30))


# ------------------------------------------------------------------------------------------ overdue visits of a region


def test_overdue_by_helper_finds_exactly_the_overdue_pairings(world):
    visit(world, world.h1, 10)
    visit(world, world.h2, 45)
    visit(world, world.h3, 31, actor=world.helper2_user)
    idle = make_helper("赵帮扶", world.county.region.code)
    pair(idle, world.h1, ago(90))  # never visited, paired 90 days ago
    rows = selectors.overdue_by_helper(world.county)
    got = [(r.helper.name, r.households, r.overdue, r.never_visited, r.max_days_overdue) for r in rows]
    assert got == [("李帮扶", 1, 1, 0, 1), ("王帮扶", 2, 1, 0, 15), ("赵帮扶", 1, 1, 1, 60)]
    assert world.other_village[:9] == world.village[:9]  # both in 雪峰镇
    assert [r.helper.name for r in selectors.overdue_by_helper(world.township)] == ["李帮扶", "王帮扶", "赵帮扶"]
    only_one = selectors.overdue_by_helper(world.county, world.other_village)
    assert [(r.helper.name, r.households) for r in only_one] == [("李帮扶", 1)]
    assert selectors.overdue_by_helper(world.ninghua_county) == []
    frame = selectors.overdue_visits(world.county)
    assert frame.height == 4 and frame["n"].to_list() == [30] * 4
    detail = selectors.overdue_households(world.county, world.helper.pk)
    assert [(d["household_id"], d["days_overdue"]) for d in detail] == [(world.h2.pk, 15)]


def test_a_county_setting_changes_the_interval_deepest_region_wins(world):
    visit(world, world.h1, 10)
    visit(world, world.h3, 10, actor=world.helper2_user)
    AssistanceSetting.objects.create(region_code=world.county.region.code, version="c1", valid_from=ago(30),
                                     overrides={"visits": {"interval_days": 20}})
    AssistanceSetting.objects.create(region_code=world.village, version="v1", valid_from=ago(30),
                                     overrides={"visits": {"interval_days": 7}})
    AssistanceSetting.objects.create(region_code=world.village, version="v2-future", valid_from=TODAY + dt.timedelta(
        days=3), overrides={"visits": {"interval_days": 60}})
    frame = selectors.overdue_visits(world.county).sort("household_id")
    by_household = dict(zip(frame["household_id"].to_list(), zip(frame["n"].to_list(), frame["overdue"].to_list(),
                                                                   strict=True), strict=True))
    assert by_household[world.h1.pk] == (7, True)  # the village's 7 days: 10 days ago is overdue
    assert by_household[world.h3.pk] == (20, False)  # the county's 20 days
    home = selectors.helper_home(world.helper_user)
    assert next(r for r in home.households if r.household.pk == world.h1.pk).overdue
