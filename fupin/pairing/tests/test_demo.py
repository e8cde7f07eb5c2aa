"""The demo's pairing data (fupin.demo.pairing): realistic coverage with exactly the planted gaps."""

import pytest
from django.db.models import Count

from fupin.accounts.models import User
from fupin.core.models import ChangeRecord
from fupin.demo import plan
from fupin.demo.pairing import DEMO_HELPER, ensure_demo_pairing
from fupin.demo.users import ensure_demo_users
from fupin.demo.writer import generate_demo
from fupin.pairing.coverage import coverage
from fupin.pairing.models import Helper, HouseholdPairing, TeamMember, WorkTeam
from fupin.pairing.selectors import my_households
from fupin.policy.pairing_rules import DEFAULT_LIMITS

TARGETS = plan.scaled_targets(1500)


@pytest.fixture
def demo(db):
    generate_demo(seed=3, targets=TARGETS)
    ensure_demo_users()
    lines: list[str] = []
    logins = ensure_demo_pairing(seed=3, targets=TARGETS, write=lines.append)
    return logins, lines


def test_demo_coverage_has_exactly_the_planted_gaps(demo):
    _logins, lines = demo
    assert "pairing" in lines[0]
    county = User.objects.get(username="demo_county")
    report = coverage(county)
    assert report.totals["without_helper"] == 3
    assert len(report.poor_villages_without_team) == 1
    assert len(report.poor_villages_without_first_secretary) == 2  # the one without a team, and one whose left
    assert [h.households for h in report.helpers_over_limit] == [7]
    ninghua = coverage(User.objects.get(username="demo_evaluator"), plan.NINGHUA.code)
    assert ninghua.totals["without_helper"] == 2 and ninghua.totals["poor_without_team"] == 1
    assert ninghua.totals["poor_without_first_secretary"] == 1 and ninghua.totals["helpers_over_limit"] == 0
    # every other helper keeps to the default limit; every pairing has its audit row
    loads = sorted(HouseholdPairing.objects.filter(ended_on__isnull=True).values("helper_id")
                   .annotate(n=Count("id")).values_list("n", flat=True), reverse=True)
    assert loads[0] == 7 and loads[1] <= DEFAULT_LIMITS.max_households_per_helper
    assert ChangeRecord.objects.filter(model="pairing.householdpairing").count() == HouseholdPairing.objects.count()
    # transfers keep the history: an ended pairing points to the current one
    transferred = HouseholdPairing.objects.filter(end_reason="transfer").first()
    assert transferred is not None and transferred.transfer_to.household_id == transferred.household_id
    assert WorkTeam.objects.count() == TeamMember.objects.filter(is_first_secretary=True).count()


def test_demo_helper_login_sees_its_households(demo):
    logins, _ = demo
    assert [x.username for x in logins] == [DEMO_HELPER]
    user = User.objects.get(username=DEMO_HELPER)
    assert user.role == "helper" and Helper.objects.get(user=user).household_pairings.count() >= 1
    households = list(my_households(user))
    assert 1 <= len(households) <= 4
    assert len({h.village_code for h in households}) == 1


def test_demo_pairing_is_idempotent(demo):
    before = (Helper.objects.count(), HouseholdPairing.objects.count(), WorkTeam.objects.count())
    lines: list[str] = []
    logins = ensure_demo_pairing(seed=3, targets=TARGETS, write=lines.append)
    assert (Helper.objects.count(), HouseholdPairing.objects.count(), WorkTeam.objects.count()) == before
    assert "present" in lines[0] and not logins[0].created
