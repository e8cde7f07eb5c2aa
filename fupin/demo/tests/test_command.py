"""``fupin demo``: prepares everything, prints the logins, then serves with static files."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from fupin.accounts.models import User
from fupin.demo import plan
from fupin.demo.management.commands import demo as demo_command
from fupin.demo.users import DEMO_PASSWORD
from fupin.policy import roles
from fupin.registry.models import Household


def test_demo_prepares_data_and_logins(db, monkeypatch):
    served = []
    real_call = demo_command.call_command

    def fake_call(name, *args, **kwargs):
        if name == "runserver":
            served.append((args, kwargs))
            return None
        return real_call(name, *args, **kwargs)

    monkeypatch.setattr(demo_command, "call_command", fake_call)
    out = io.StringIO()
    call_command("demo", "--households", "120", "--addrport", "127.0.0.1:8765", stdout=out)
    text = out.getvalue()
    targets = plan.scaled_targets(120)
    for target in targets:
        persons = Household.objects.filter(county_code=target.code).aggregate(s=Sum("size"))["s"]
        assert persons == target.persons
        assert f"{target.persons} 人 persons" in text
    assert set(User.objects.filter(username__startswith="demo_").values_list("role", flat=True)) == set(roles.ROLES)
    for role in roles.ROLES:
        assert f"demo_{role}" in text
    assert DEMO_PASSWORD in text
    assert "done in" in text
    from fupin.rules.models import PathwayAssignment, PathwayRun, RuleRun

    for target in targets:  # the demo runs 九个一批 and the eligibility set over each county
        run = PathwayRun.objects.get(region_code=target.code, scheme_id="sanming9")
        assert run.status == "done" and PathwayAssignment.objects.filter(run=run).exists()
        assert RuleRun.objects.get(region_code=target.code).status == "done"
    assert served == [(("127.0.0.1:8765",), {"use_reloader": False, "insecure_serving": True})]


def test_bad_households_is_a_command_error(db):
    with pytest.raises(CommandError, match="at least 1"):
        call_command("demo", "--no-serve", "--households", "0", stdout=io.StringIO())
