"""The pairing rule of the scoping function (结对, issue 5): a helper sees exactly their households.

- a user of the ``helper`` role linked to a Helper sees the households currently paired to them (list,
  detail, members, API) and gets 404 for every other household; ID numbers are masked;
- after a transfer the old helper no longer sees the household, the new one does;
- a village cadre who is also a helper still sees the whole village, plus their paired households;
- the helper role's region gives no registry data; writes by region are refused for it.
"""

import datetime as dt

import pytest
from django.urls import reverse

from fupin.accounts.models import ApiToken
from fupin.core.scoping import (
    SCOPE_RULES,
    ScopeError,
    get_visible_or_404,
    household_in_scope,
    pairing_rule,
    region_in_scope,
    visible_to,
)
from fupin.pairing import services
from fupin.pairing.models import Helper, HouseholdPairing
from fupin.policy import roles
from fupin.regions.models import Region
from fupin.registry.models import Household, Member
from fupin.testing import MINGXI, TEST_PASSWORD, first_village

START = dt.date(2016, 1, 10)


@pytest.fixture
def setup(make_user, make_household):
    """Five households in two villages of 明溪; a helper login paired to two of them."""
    v1, v2 = first_village(MINGXI, 2), first_village(MINGXI, 3)
    hh = [make_household(v1, members=2), make_household(v1, members=2), make_household(v1, members=1),
          make_household(v2, members=3), make_household(v2, members=1)]
    officer = make_user("county", MINGXI)
    login = make_user("helper", MINGXI)
    helper = Helper.objects.create(name="帮扶人甲", unit="县农业局", unit_level="county", region_code=MINGXI,
                                   user=login)
    for h in (hh[0], hh[3]):
        services.pair_household(actor=officer, helper_id=helper.pk, household_id=h.pk, started_on=START)
    return {"households": hh, "officer": officer, "login": login, "helper": helper, "v1": v1, "v2": v2}


def test_helper_sees_exactly_their_households(setup):
    hh, login = setup["households"], setup["login"]
    mine = {hh[0].pk, hh[3].pk}
    assert set(visible_to(login, Household.objects.all()).values_list("pk", flat=True)) == mine
    assert set(visible_to(login, Member.objects.all()).values_list("household_id", flat=True)) == mine
    assert get_visible_or_404(login, Household.objects.all(), pk=hh[0].pk) == hh[0]
    for other in (hh[1], hh[2], hh[4]):
        with pytest.raises(ScopeError):
            get_visible_or_404(login, Household.objects.all(), pk=other.pk)
    # the helper sees their own pairings' history, not the helpers list of the county
    assert set(visible_to(login, HouseholdPairing.objects.all()).values_list("household_id", flat=True)) == mine
    assert list(visible_to(login, Helper.objects.all())) == [setup["helper"]]


def test_the_helper_role_has_no_region_view_and_no_region_writes(setup, make_user):
    login = setup["login"]
    assert not region_in_scope(login, setup["v1"], roles.VIEW_REGISTRY)
    assert household_in_scope(login, setup["households"][0], roles.VIEW_REGISTRY)
    assert not household_in_scope(login, setup["households"][1], roles.VIEW_REGISTRY)
    # a helper role without a Helper sees no household at all (the division list only)
    lone = make_user("helper", MINGXI)
    assert not visible_to(lone, Household.objects.all()).exists()
    assert visible_to(lone, Region.objects.filter(code=MINGXI)).exists()


def test_after_a_transfer_the_old_helper_loses_the_household(setup, make_user):
    hh, login, officer = setup["households"], setup["login"], setup["officer"]
    other_login = make_user("helper", MINGXI)
    other = Helper.objects.create(name="帮扶人乙", unit="县教育局", unit_level="county", region_code=MINGXI,
                                  user=other_login)
    pairing = HouseholdPairing.objects.get(household=hh[0], ended_on__isnull=True)
    services.transfer_household(actor=officer, pairing_id=pairing.pk, to_helper_id=other.pk, on=dt.date(2017, 1, 1))
    assert set(visible_to(login, Household.objects.all()).values_list("pk", flat=True)) == {hh[3].pk}
    assert set(visible_to(other_login, Household.objects.all()).values_list("pk", flat=True)) == {hh[0].pk}
    # the new helper sees the household's whole pairing history (both rows)
    assert visible_to(other_login, HouseholdPairing.objects.filter(household=hh[0])).count() == 2


def test_an_inactive_helper_sees_nothing(setup):
    Helper.objects.filter(pk=setup["helper"].pk).update(active=False)
    assert not visible_to(setup["login"], Household.objects.all()).exists()


def test_village_cadre_who_is_a_helper_still_sees_the_whole_village(setup, make_user):
    hh, officer, v1 = setup["households"], setup["officer"], setup["v1"]
    cadre = make_user("village", v1)
    helper = Helper.objects.create(name="村干部丙", unit="村委会", unit_level="village", region_code=v1, user=cadre)
    services.pair_household(actor=officer, helper_id=helper.pk, household_id=hh[4].pk, started_on=START)
    seen = set(visible_to(cadre, Household.objects.all()).values_list("pk", flat=True))
    assert seen == {hh[0].pk, hh[1].pk, hh[2].pk, hh[4].pk}  # the village, and the paired household of v2
    assert cadre.may_see_full_id
    with pytest.raises(ScopeError):
        get_visible_or_404(cadre, Household.objects.all(), pk=hh[3].pk)


def test_pages_for_a_helper_login(setup, client):
    hh, login = setup["households"], setup["login"]
    client.login(username=login.username, password=TEST_PASSWORD)
    page = client.get(reverse("web:households"), {"status": "active"})
    assert page.status_code == 200
    numbers = {h.household_number for h in hh}
    shown = {n for n in numbers if n in page.content.decode()}
    assert shown == {hh[0].household_number, hh[3].household_number}
    detail = client.get(reverse("web:household", args=[hh[0].pk]))
    assert detail.status_code == 200
    member = hh[0].members.first()
    body = detail.content.decode()
    assert member.id_number not in body and member.id_number[-4:] in body  # masked
    assert client.get(reverse("web:household", args=[hh[1].pk])).status_code == 404


def test_api_for_a_helper_login(setup, client):
    hh, login = setup["households"], setup["login"]
    _token, raw = ApiToken.issue(login, name="t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    listed = client.get("/api/v1/households", **auth).json()
    assert {i["id"] for i in listed["items"]} == {hh[0].pk, hh[3].pk}
    detail = client.get(f"/api/v1/households/{hh[3].pk}", **auth).json()
    assert all("*" in m["id_number"] for m in detail["members"])
    assert client.get(f"/api/v1/households/{hh[1].pk}", **auth).status_code == 404


def test_every_pairing_model_has_a_scope_rule_and_household_models_a_pairing_rule():
    from django.apps import apps

    for app in ("pairing", "assistance"):
        for model in apps.get_app_config(app).get_models():
            assert model._meta.label_lower in SCOPE_RULES, model._meta.label_lower
            has_household = any(f.name == "household" for f in model._meta.concrete_fields)
            if has_household:
                assert pairing_rule(model) is not None, model._meta.label_lower
