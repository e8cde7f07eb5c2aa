"""Registry writes: one person one household, audit rows, version check, leaving by status."""

from decimal import Decimal

import pytest

from fupin.core.models import ChangeRecord
from fupin.core.scoping import ScopeError
from fupin.registry import services
from fupin.registry.models import Household, Member
from fupin.testing import MINGXI, NINGHUA, first_village, household_data, member_data, next_id_number


def test_create_household_derives_and_audits(make_user, make_household):
    actor = make_user("county", MINGXI)
    village = first_village(MINGXI)
    h = make_household(village, members=3, actor=actor, income_wage="6000", income_business="3000",
                       business_expense="600")
    assert h.household_number == f"{village}00001"
    assert h.size == 3
    assert h.village_code == village
    assert h.county_code == MINGXI
    assert h.township_code == village[:9] + "000"
    assert h.city_code == "350400000000"
    assert h.province_code == "350000000000"
    assert h.income_net == Decimal("8400.00")
    assert h.income_per_capita == Decimal("2800.00")
    assert h.head_name == h.members.get(relation="01").name
    rows = ChangeRecord.objects.filter(household_id=h.pk)
    assert rows.count() == 4  # the household and three members
    created = rows.get(model="registry.household")
    assert created.actor == actor
    assert created.action == "create"
    assert created.changes["income_per_capita"] == [None, "2800.00"]
    assert created.region_code == village
    # the second household of the village gets the next number
    assert make_household(village, members=1, actor=actor).household_number == f"{village}00002"


def test_sex_and_birth_come_from_the_id_number(make_household):
    h = make_household(members=1, member_overrides=[{"id_number": "11010519491231002x"}])
    m = h.members.get()
    assert m.id_number == "11010519491231002X"
    assert m.sex == "2"
    assert m.birth_date.isoformat() == "1949-12-31"


def test_bad_id_is_refused_and_nothing_written(make_user):
    actor = make_user("county", MINGXI)
    before = (Household.objects.count(), Member.objects.count(), ChangeRecord.objects.count())
    with pytest.raises(services.RegistryError) as exc:
        services.create_household(actor=actor, village_code=first_village(MINGXI), data=household_data(),
                                  members=[member_data("01"), member_data("03", id_number="110105194912310021")])
    assert exc.value.field_errors == {"members.1.id_number": ["校验位错误(应为X) / wrong check character (expected X)"]}
    assert (Household.objects.count(), Member.objects.count(), ChangeRecord.objects.count()) == before


def test_one_person_one_household_names_both(make_user, make_household):
    actor = make_user("county", MINGXI)
    first = make_household(members=2, actor=actor)
    person = first.members.get(relation="03")
    village2 = first_village(MINGXI, 1)
    with pytest.raises(services.DuplicatePerson) as exc:
        services.create_household(actor=actor, village_code=village2, data=household_data(),
                                  members=[member_data("01", id_number=person.id_number)])
    message = exc.value.field_errors["members.0.id_number"][0]
    assert first.household_number in message
    assert "新建户" in message
    second = make_household(village2, members=1, actor=actor)
    with pytest.raises(services.DuplicatePerson) as exc:
        services.add_member(actor=actor, household_id=second.pk, data=member_data("03", id_number=person.id_number))
    message = exc.value.field_errors["id_number"][0]
    assert first.household_number in message and second.household_number in message
    # after the person leaves the first household they may join the second
    services.member_leaves(actor=actor, member_id=person.pk, reason="marriage_out", comment="婚出")
    services.add_member(actor=actor, household_id=second.pk, data=member_data("02", id_number=person.id_number))
    assert Member.objects.filter(id_number=person.id_number, status="active").get().household_id == second.pk


def test_same_person_twice_in_one_new_household(make_user):
    actor = make_user("county", MINGXI)
    same = next_id_number()
    with pytest.raises(services.DuplicatePerson) as exc:
        services.create_household(actor=actor, village_code=first_village(MINGXI), data=household_data(),
                                  members=[member_data("01", id_number=same), member_data("03", id_number=same)])
    assert "与第1名成员证件号码重复" in exc.value.field_errors["members.1.id_number"][0]


def test_exactly_one_head(make_user):
    actor = make_user("county", MINGXI)
    with pytest.raises(services.RegistryError) as exc:
        services.create_household(actor=actor, village_code=first_village(MINGXI), data=household_data(),
                                  members=[member_data("02"), member_data("03")])
    assert exc.value.field_errors == {"members.relation": ["该户没有户主 / the household has no head"]}


def test_update_audits_old_and_new(make_user, make_household):
    actor = make_user("township", first_village(MINGXI)[:9] + "000")
    h = make_household(members=2, income_wage="6000", income_business="0")
    services.update_household(actor=actor, household_id=h.pk, expected_version=h.version,
                              data={"phone": "13800000000", "income_wage": "7000"})
    h.refresh_from_db()
    assert h.version == 2
    row = ChangeRecord.objects.filter(household_id=h.pk, action="update").get()
    assert row.actor == actor
    assert row.changes == {"phone": ["", "13800000000"], "income_wage": ["6000.00", "7000.00"],
                           "income_net": ["6000.00", "7000.00"], "income_per_capita": ["3000.00", "3500.00"]}


def test_stale_version_is_refused(make_user, make_household):
    a = make_user("county", MINGXI)
    b = make_user("village", first_village(MINGXI))
    h = make_household(members=1)
    services.update_household(actor=a, household_id=h.pk, expected_version=1, data={"phone": "111"})
    with pytest.raises(services.VersionConflict) as exc:
        services.update_household(actor=b, household_id=h.pk, expected_version=1, data={"phone": "222"})
    assert "已被他人修改" in exc.value.message
    h.refresh_from_db()
    assert (h.phone, h.version) == ("111", 2)


def test_no_change_keeps_version(make_household):
    h = make_household(members=1)
    services.update_household(actor=services_actor(h), household_id=h.pk, expected_version=1,
                              data={"phone": h.phone})
    h.refresh_from_db()
    assert h.version == 1
    assert not ChangeRecord.objects.filter(household_id=h.pk, action="update").exists()


def services_actor(h):
    from fupin.testing import system_actor
    return system_actor()


def test_out_of_scope_write_is_404(make_user, make_household):
    outsider = make_user("county", NINGHUA)
    viewer = make_user("city", "350400000000")
    h = make_household(members=1)
    for actor in (outsider, viewer):
        with pytest.raises(ScopeError):
            services.update_household(actor=actor, household_id=h.pk, expected_version=1, data={"phone": "1"})
        with pytest.raises(ScopeError):
            services.create_household(actor=actor, village_code=first_village(MINGXI), data=household_data(),
                                      members=[member_data("01")])
    h.refresh_from_db()
    assert h.phone == "" and h.version == 1


def test_member_update_and_leave(make_user, make_household):
    actor = make_user("village", first_village(MINGXI))
    h = make_household(members=3, income_wage="9000", income_business="0")
    child = h.members.filter(relation="03").first()
    services.update_member(actor=actor, member_id=child.pk, expected_version=1, data={"health": "3"})
    child.refresh_from_db()
    assert (child.health, child.version) == ("3", 2)
    with pytest.raises(services.VersionConflict):
        services.update_member(actor=actor, member_id=child.pk, expected_version=1, data={"health": "2"})
    services.member_leaves(actor=actor, member_id=child.pk, reason="death", comment="病故")
    h.refresh_from_db()
    child.refresh_from_db()
    assert child.status == "left" and child.left_reason == "death"
    assert h.size == 2
    assert h.income_per_capita == Decimal("4500.00")
    head = h.members.get(relation="01")
    with pytest.raises(services.RegistryError, match="先变更户主"):
        services.member_leaves(actor=actor, member_id=head.pk, reason="death")
    statuses = list(ChangeRecord.objects.filter(household_id=h.pk, action="status").values_list("changes", flat=True))
    assert statuses == [{"status": ["active", "left"], "left_reason": ["", "death"], "left_comment": ["", "病故"]}]


def test_household_leaves_with_reason_and_is_kept(make_user, make_household):
    actor = make_user("county", MINGXI)
    h = make_household(members=2)
    with pytest.raises(services.RegistryError):
        services.household_leaves(actor=actor, household_id=h.pk, reason="removed", comment="")
    services.household_leaves(actor=actor, household_id=h.pk, reason="removed", comment="有财政供养人员,清退")
    h.refresh_from_db()
    assert h.status == "left" and h.left_reason == "removed"
    assert Household.objects.filter(pk=h.pk).exists()
    assert set(h.members.values_list("status", flat=True)) == {"left"}
    with pytest.raises(services.RegistryError, match="已注销"):
        services.update_household(actor=actor, household_id=h.pk, expected_version=None, data={"phone": "1"})


@pytest.mark.django_db
def test_the_database_itself_refuses_one_person_in_two_active_households():
    """The backstop under the service's readable error: the conditional unique index exists after every
    migration (a Django quirk once dropped it with the id_number index)."""
    from django.db import IntegrityError, transaction

    from fupin.registry.models import Member
    from fupin.testing import make_household_for

    first = make_household_for(members=1)
    second = make_household_for(members=1)
    person = first.members.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=second.members.get().pk).update(id_number=person.id_number)
