"""Household search and region figures, through the scoping function."""

from fupin.regions.models import Region
from fupin.registry import services
from fupin.registry.selectors import HouseholdFilters, households, region_figures
from fupin.testing import MINGXI, NINGHUA, first_village


def test_figures_count_only_what_the_user_may_see(make_user, make_household):
    v1, v2 = first_village(MINGXI), first_village(MINGXI, 1)
    make_household(v1, members=3)  # poor, not exited
    make_household(v1, members=2, poverty_status="1", exit_year=2015)  # exited
    make_household(v2, members=4, poverty_status="3")  # returned to poverty: counts as poor
    make_household(first_village(NINGHUA), members=5)
    Region.objects.filter(code=v1).update(rural_population=500)

    county = make_user("county", MINGXI)
    own, children = region_figures(county, Region.objects.get(code=MINGXI))
    assert (own.households, own.persons, own.poor_households, own.poor_persons) == (3, 9, 2, 7)
    township = next(c for c in children if c.code == v1[:9] + "000")
    same_township = v2[:9] == v1[:9]
    assert (township.households, township.persons) == ((3, 9) if same_township else (2, 5))

    village, _ = region_figures(county, Region.objects.get(code=v1))
    assert (village.households, village.persons, village.poor_persons) == (2, 5, 3)
    assert village.incidence.display == "0.60%"

    # the city viewer sees both counties; each county row has only its own figures
    city = make_user("city", "350400000000")
    own, children = region_figures(city, Region.objects.get(code="350400000000"))
    assert (own.households, own.persons) == (4, 14)
    by_code = {c.code: c for c in children}
    assert (by_code[MINGXI].persons, by_code[NINGHUA].persons) == (9, 5)
    assert len(children) == 11

    # a county user asking for the city (already refused by the page) would still count only their own
    own, _ = region_figures(county, Region.objects.get(code="350400000000"))
    assert own.persons == 9


def test_left_households_are_not_counted(make_user, make_household):
    user = make_user("county", MINGXI)
    h = make_household(members=3)
    services.household_leaves(actor=user, household_id=h.pk, reason="removed", comment="清退")
    own, _ = region_figures(user, Region.objects.get(code=MINGXI))
    assert own.households == 0


def test_search_and_filters(make_user, make_household):
    user = make_user("county", MINGXI)
    a = make_household(members=2, main_cause="1")
    b = make_household(first_village(MINGXI, 1), members=1, main_cause="8", other_cause_1="1")
    c = make_household(members=1, main_cause="7", poverty_status="1", exit_year=2016)
    make_household(first_village(NINGHUA), members=1, main_cause="1")
    child = a.members.get(relation="03")
    assert list(households(user, HouseholdFilters(q=child.name))) == [a]
    assert list(households(user, HouseholdFilters(q=child.id_number.lower()))) == [a]
    assert list(households(user, HouseholdFilters(q=b.household_number))) == [b]
    assert set(households(user, HouseholdFilters(cause="1"))) == {a, b}
    assert list(households(user, HouseholdFilters(poverty_status="1"))) == [c]
    assert set(households(user, HouseholdFilters(region=a.village_code))) == {a, c}
    assert not households(user, HouseholdFilters(region=NINGHUA)).exists()
    assert households(user).count() == 3


def test_a_person_who_moved_is_linked_both_ways_within_the_users_scope(make_user, make_household):
    """迁出 by hand (leave, then added to another household): the old record points to the household the
    person is in now (现在户), the new one to the household left (曾在户), with the reason and the day.
    A household outside the user's scope is never named."""
    from fupin.registry.models import Member
    from fupin.registry.selectors import members_elsewhere
    from fupin.testing import member_data

    county = make_user("county", MINGXI)
    v1, v2 = first_village(MINGXI), first_village(MINGXI, 1)
    a, b = make_household(v1, members=3), make_household(v2, members=1)
    son = a.members.order_by("pk")[2]
    services.member_leaves(actor=county, member_id=son.pk, reason="moved_out", comment="迁入外村")
    data = {**member_data("03"), "id_number": son.id_number, "name": son.name}
    moved = services.add_member(actor=county, household_id=b.pk, data=data)
    son.refresh_from_db()

    found = members_elsewhere(county, [*Member.objects.filter(household__in=[a, b])])
    assert set(found) == {son.pk, moved.pk}
    to, came = found[son.pk], found[moved.pk]
    assert (to.kind, to.household_id, to.household_number, to.head_name) == ("to", b.pk, b.household_number,
                                                                           b.head_name)
    assert (to.left_reason, to.left_at) == ("moved_out", son.left_at)
    assert (came.kind, came.household_id, came.left_reason, came.left_at) == ("from", a.pk, "moved_out", son.left_at)

    # a village user of the new village does not learn where the person came from, nor the reverse
    assert v1 != v2
    assert members_elsewhere(make_user("village", v2), [moved]) == {}
    assert members_elsewhere(make_user("village", v1), [son]) == {}
    # the same person leaving the second household too: no active record, so no 现在户
    services.member_leaves(actor=county, member_id=moved.pk, reason="death")
    assert members_elsewhere(county, [son]) == {}
    assert members_elsewhere(county, []) == {}
