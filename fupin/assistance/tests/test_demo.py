"""The demo step of the assistance app (fupin.demo.assistance) on a small set of pairings."""

from __future__ import annotations

import datetime as dt

import pytest

from fupin.assistance import selectors
from fupin.assistance.models import HouseholdPlan, MeasureGiven, PlannedMeasure, Visit
from fupin.core.models import ChangeRecord
from fupin.demo import plan
from fupin.demo.assistance import generate_assistance
from fupin.testing import first_village, make_household_for

from .conftest import TODAY, make_helper, pair

pytestmark = pytest.mark.django_db


def test_demo_plans_measures_and_visits_with_planted_gaps(world):
    village = first_village(plan.MINGXI.code, 2)
    extra = [make_household_for(village, main_cause=c) for c in ("1", "2", "3", "7", "8", "9", "11", "4")]
    helpers = [make_helper(f"演示{i}", plan.MINGXI.code) for i in range(4)]
    for i, h in enumerate(extra):
        pair(helpers[i % 4], h, TODAY - dt.timedelta(days=200))
    result = generate_assistance(seed=1, today=TODAY)
    assert result.pairings == 3 + 8  # world's three and these eight (Ninghua's household is not paired)
    assert result.visits == Visit.objects.count() > 0
    assert result.plans == HouseholdPlan.objects.count() and result.measures == PlannedMeasure.objects.count()
    assert result.given == MeasureGiven.objects.count()
    assert MeasureGiven.objects.filter(planned_measure__status="done").count() == result.given
    # the helper with a login has a plan for each household and one overdue visit planted
    assert set(HouseholdPlan.objects.filter(household__pairings__helper=world.helper).values_list(
        "household_id", flat=True)) == {world.h1.pk, world.h2.pk}
    home = selectors.helper_home(world.helper_user)
    assert len(home.overdue_visits) == 1
    assert result.overdue_pairings >= 1
    assert sum(r.overdue for r in selectors.overdue_by_helper(world.county)) == result.overdue_pairings
    # every status keeps the state machine's fields
    for m in PlannedMeasure.objects.all():
        assert (m.status == "done") == (m.done_on is not None)
        assert (m.status == "dropped") == bool(m.drop_reason)
    # one audit row per plan, visit and measure given; a second run adds nothing
    assert ChangeRecord.objects.filter(source="demo").count() == result.plans + result.visits + result.given
    assert generate_assistance(seed=1, today=TODAY).plans == 0
    assert Visit.objects.count() == result.visits
