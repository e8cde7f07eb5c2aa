"""``fupin user add|list`` and the service behind it (:func:`fupin.accounts.services.create_user`)."""

import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from fupin.accounts import services
from fupin.accounts.models import User
from fupin.core.models import ChangeRecord
from fupin.testing import MINGXI, MINGXI_TOWNSHIP, NINGHUA

GOOD_PASSWORD = "Qingliu-river-2015!"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("user", *args, stdout=out)
    return out.getvalue()


def test_add_with_password(db):
    text = run("add", "zhang_county", "--role", "county", "--region", "350421", "--password", GOOD_PASSWORD)
    user = User.objects.get(username="zhang_county")
    assert (user.role, user.region_id) == ("county", MINGXI)
    assert "zhang_county" in text and "county 县扶贫办" in text and "350421000000 明溪县" in text
    assert GOOD_PASSWORD not in text  # a given password is not echoed
    assert authenticate(username="zhang_county", password=GOOD_PASSWORD) == user
    record = ChangeRecord.objects.get(model="accounts.user", object_id=str(user.pk))
    assert (record.action, record.region_code, record.source, record.actor_name) == ("create", MINGXI, "cli", "system")
    assert record.changes["role"] == [None, "county"]


def test_add_generates_and_prints_a_password(db):
    text = run("add", "li_township", "--role", "township", "--region", MINGXI_TOWNSHIP[:9])
    line = next(x for x in text.splitlines() if "password" in x and ":" in x)
    password = line.split(":", 1)[1].strip()
    assert len(password) == services.GENERATED_PASSWORD_LENGTH
    assert authenticate(username="li_township", password=password) is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "mayor", "--region", "350421"], "invalid choice"),
        (["--role", "county", "--region", "359999"], "no region with code 359999000000"),
        (["--role", "county", "--region", "35042"], "2, 4, 6, 9 or 12 digits"),
        (["--role", "county", "--region", "350421", "--password", "12345678"], "refused by the password rules"),
        (["--role", "county", "--region", "350421", "--password", "wang_county"], "refused by the password rules"),
    ],
)
def test_add_refuses_bad_input(db, args, message):
    with pytest.raises(CommandError, match=message):
        run("add", "wang_county", *args)
    assert not User.objects.filter(username="wang_county").exists()
    assert not ChangeRecord.objects.filter(model="accounts.user").exists()


def test_add_refuses_a_taken_or_malformed_username(db):
    run("add", "chen", "--role", "village", "--region", MINGXI, "--password", GOOD_PASSWORD)
    with pytest.raises(CommandError, match="taken"):
        run("add", "CHEN", "--role", "village", "--region", MINGXI, "--password", GOOD_PASSWORD)
    with pytest.raises(CommandError, match="letters, digits"):
        run("add", "chen wei", "--role", "village", "--region", MINGXI, "--password", GOOD_PASSWORD)
    assert User.objects.filter(username__iexact="chen").count() == 1


def test_list_filters_by_region(db):
    run("add", "a_mingxi", "--role", "county", "--region", MINGXI, "--password", GOOD_PASSWORD)
    run("add", "b_ninghua", "--role", "evaluator", "--region", NINGHUA, "--password", GOOD_PASSWORD)
    text = run("list", "--region", "350421")
    assert "a_mingxi" in text and "b_ninghua" not in text and "1 users" in text
    assert "b_ninghua" in run("list")


def test_service_checks_the_actor(db, make_user):
    admin = make_user("admin", MINGXI)
    user, _ = services.create_user(username="in_scope", role="village", region_code=MINGXI_TOWNSHIP,
                                   password=GOOD_PASSWORD, actor=admin, source="web")
    record = ChangeRecord.objects.get(model="accounts.user", object_id=str(user.pk))
    assert (record.actor, record.source) == (admin, "web")
    with pytest.raises(services.NotAllowed):
        services.create_user(username="out_of_scope", role="county", region_code=NINGHUA,
                             password=GOOD_PASSWORD, actor=admin)
    with pytest.raises(services.NotAllowed):
        services.create_user(username="by_county", role="village", region_code=MINGXI,
                             password=GOOD_PASSWORD, actor=make_user("county", MINGXI))
    assert not User.objects.filter(username__in=["out_of_scope", "by_county"]).exists()


def test_service_errors_are_value_errors_with_both_languages(db):
    with pytest.raises(ValueError, match=r"未知角色.*unknown role"):
        services.create_user(username="x1", role="boss", region_code=MINGXI)
    with pytest.raises(services.UnknownRegion) as info:
        services.create_user(username="x1", role="county", region_code="350499")
    assert info.value.field == "region"
