"""The one scoping function: each role sees its own region and nothing else."""

import pytest

from fupin.core.scoping import ScopeError, get_visible_or_404, region_in_scope, visible_to
from fupin.policy import roles
from fupin.regions.models import Region
from fupin.registry.models import Household, Member
from fupin.testing import MINGXI, NINGHUA, first_village


@pytest.fixture
def two_counties(make_household):
    return make_household(first_village(MINGXI), members=2), make_household(first_village(NINGHUA), members=3)


@pytest.mark.parametrize(("role", "region", "sees"), [
    ("county", MINGXI, {"mx"}),
    ("county", NINGHUA, {"nh"}),
    ("city", "350400000000", {"mx", "nh"}),
    ("province", "350000000000", {"mx", "nh"}),
    ("evaluator", NINGHUA, {"nh"}),
    ("auditor", "350400000000", {"mx", "nh"}),
])
def test_households_by_region(make_user, two_counties, role, region, sees):
    mx, nh = two_counties
    user = make_user(role, region)
    names = {mx.pk: "mx", nh.pk: "nh"}
    assert {names[pk] for pk in visible_to(user, Household.objects.all()).values_list("pk", flat=True)} == sees
    assert {names[h] for h in visible_to(user, Member.objects.all()).values_list("household_id", flat=True)} == sees


def test_village_and_township_users(make_user, two_counties):
    mx, _ = two_counties
    assert visible_to(make_user("village", mx.village_code), Household.objects.all()).get() == mx
    assert visible_to(make_user("township", mx.township_code), Household.objects.all()).get() == mx
    other_village = first_village(MINGXI, 5)
    assert not visible_to(make_user("village", other_village), Household.objects.all()).exists()


def test_out_of_scope_is_404_not_403(make_user, two_counties):
    _, nh = two_counties
    user = make_user("county", MINGXI)
    with pytest.raises(ScopeError) as exc:
        get_visible_or_404(user, Household.objects.all(), pk=nh.pk)
    assert exc.value.__class__.__mro__[1].__name__ == "Http404"
    with pytest.raises(ScopeError):
        get_visible_or_404(user, Region.objects.all(), pk="350400000000")  # the city above
    assert get_visible_or_404(user, Region.objects.all(), pk=MINGXI).name == "明溪县"


def test_anonymous_and_inactive_see_nothing(make_user, two_counties):
    from django.contrib.auth.models import AnonymousUser

    assert not visible_to(AnonymousUser(), Household.objects.all()).exists()
    user = make_user("county", MINGXI, is_active=False)
    assert not visible_to(user, Household.objects.all()).exists()


def test_capabilities(make_user):
    viewer = make_user("city", "350400000000")
    assert region_in_scope(viewer, MINGXI, roles.VIEW_REGISTRY)
    assert not region_in_scope(viewer, MINGXI, roles.EDIT_REGISTRY)
    assert not region_in_scope(make_user("county", MINGXI), NINGHUA, roles.VIEW_REGISTRY)


def test_every_registry_model_has_a_scope_rule():
    from django.apps import apps

    from fupin.core.scoping import SCOPE_RULES

    for app in ("registry", "imports", "rules", "identification", "screening", "pairing", "assistance", "exits",
                "review", "region_exit", "monitoring"):
        for model in apps.get_app_config(app).get_models():
            assert model._meta.label_lower in SCOPE_RULES
