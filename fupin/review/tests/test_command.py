"""``fupin snapshot --county CODE --year Y``, and every model of the two apps has a scope rule."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError

from fupin.core.scoping import SCOPE_RULES
from fupin.review.models import ReviewCycle, Snapshot
from fupin.testing import MINGXI, first_village, make_household_for

pytestmark = pytest.mark.django_db


def test_snapshot_command(make_user):
    make_household_for(first_village(MINGXI), members=2)
    out = StringIO()
    call_command("snapshot", "--county", "350421", "--year", "2015", stdout=out)
    assert out.getvalue().strip().splitlines()[-1] == (
        f"county={MINGXI} year=2015 households=1 persons=2 poor_households=1 poor_persons=2")
    assert Snapshot.objects.get().source == "cli" and Snapshot.objects.get().taken_by_name == "system"
    with pytest.raises(CommandError, match="不可修改"):
        call_command("snapshot", "--county", MINGXI, "--year", "2015", stdout=StringIO())
    user = make_user("township", "350421100000")
    with pytest.raises(CommandError, match="not found"):
        call_command("snapshot", "--county", MINGXI, "--year", "2016", "--as", user.username, stdout=StringIO())
    county = make_user("county", MINGXI)
    from fupin.review import services

    services.open_cycle(actor=county, county_code=MINGXI, year=2016, source="test")
    call_command("snapshot", "--county", MINGXI, "--year", "2016", "--as", county.username, stdout=StringIO())
    assert ReviewCycle.objects.get().status == "closed"


def test_every_model_has_a_scope_rule():
    for app in ("review", "region_exit"):
        for model in apps.get_app_config(app).get_models():
            assert model._meta.label_lower in SCOPE_RULES, model
