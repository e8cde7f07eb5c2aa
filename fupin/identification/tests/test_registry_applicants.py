"""The registry's side of the procedure: applicants (申请中) and households not admitted (未纳入) are kept
out of lists and figures; 建档 gives the handbook number (扶贫手册编号); bulk inserts still work."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from fupin.regions.models import Region
from fupin.registry import selectors, services
from fupin.registry.choices import RecordStatus
from fupin.registry.models import Household
from fupin.testing import MINGXI, NINGHUA, first_village, household_data, member_data

pytestmark = pytest.mark.django_db


def applicant(actor, village_code, **extra):
    return services.create_household(actor=actor, village_code=village_code, data=household_data(**extra),
                                     members=[member_data("01"), member_data("02")], source="test",
                                     status=RecordStatus.APPLICANT)


def test_applicants_are_not_counted_and_not_listed_by_default(make_user, make_household):
    actor = make_user("county", MINGXI)
    village = first_village(MINGXI)
    registered = make_household(village, members=3)
    applying = applicant(actor, village)
    assert applying.status == "applicant" and applying.size == 2
    region = Region.objects.get(code=village)
    own, _children = selectors.region_figures(actor, region)
    assert (own.households, own.persons) == (1, 3)
    county_figures, _ = selectors.region_figures(actor, Region.objects.get(code=MINGXI))
    assert county_figures.households == 1
    assert list(selectors.households(actor)) == [registered]
    # status "all" lists every record, applicants included, each with its status label
    everything = selectors.households(actor, selectors.HouseholdFilters(status="all"))
    assert set(everything) == {registered, applying}


def test_applicant_data_can_still_change_and_only_active_or_applicant_may_be_created(make_user):
    actor = make_user("county", MINGXI)
    h = applicant(actor, first_village(MINGXI))
    services.update_household(actor=actor, household_id=h.pk, expected_version=h.version, data={"phone": "13800000000"})
    services.add_member(actor=actor, household_id=h.pk, data=member_data("03"))
    h.refresh_from_db()
    assert (h.phone, h.size) == ("13800000000", 3)
    with pytest.raises(services.RegistryError, match="新建户的状态"):
        services.create_household(actor=actor, village_code=first_village(MINGXI), data=household_data(),
                                  members=[member_data("01")], status=RecordStatus.LEFT)


def test_admission_gives_the_handbook_number_per_county_and_year(make_user):
    actor = make_user("county", MINGXI)
    ninghua_actor = make_user("county", NINGHUA)
    a = applicant(actor, first_village(MINGXI), poverty_status="2")
    b = applicant(actor, first_village(MINGXI, 1))
    c = applicant(ninghua_actor, first_village(NINGHUA))
    a = services.admit_household(actor=actor, household_id=a.pk, year=2024, comment="建档")
    b = services.admit_household(actor=actor, household_id=b.pk, year=2024)
    c = services.admit_household(actor=ninghua_actor, household_id=c.pk, year=2024)
    assert (a.handbook_number, b.handbook_number, c.handbook_number) == (
        "350421202400001", "350421202400002", "350424202400001")
    assert (a.status, a.poverty_status, a.identification_year) == ("active", "0", 2024)
    assert services.handbook_number_for(MINGXI, 2025) == "350421202500001"
    with pytest.raises(services.RegistryError, match="不能办理"):
        services.admit_household(actor=actor, household_id=a.pk, year=2024)  # already on the registry
    with pytest.raises(IntegrityError), transaction.atomic():
        Household.objects.filter(pk=b.pk).update(handbook_number=a.handbook_number)


def test_decline_and_reopen(make_user):
    actor = make_user("township", first_village(MINGXI)[:9] + "000")
    h = applicant(actor, first_village(MINGXI))
    with pytest.raises(services.RegistryError):
        services.decline_household(actor=actor, household_id=h.pk, reason=" ")
    h = services.decline_household(actor=actor, household_id=h.pk, reason="民主评议未通过")
    assert (h.status, h.handbook_number) == ("declined", "")
    with pytest.raises(services.RegistryError, match="已注销"):
        services.update_household(actor=actor, household_id=h.pk, expected_version=None, data={"phone": "1"})
    h = services.reopen_application(actor=actor, household_id=h.pk)
    assert h.status == "applicant"


def test_a_bulk_insert_that_does_not_name_the_handbook_column_still_works(make_household):
    """The column has a database default, so an INSERT (or COPY) naming only the older columns works."""
    source = make_household(first_village(MINGXI), members=1)
    columns = [f.column for f in Household._meta.concrete_fields if f.column not in ("id", "handbook_number")]
    chosen = ", ".join(connection.ops.quote_name(c) for c in columns)
    values = ", ".join("%s" if c == "household_number" else connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO registry_household ({chosen}) SELECT {values} FROM registry_household "
                       "WHERE id = %s", ["35042110000199999", source.pk])
    copy = Household.objects.get(household_number="35042110000199999")
    assert copy.handbook_number == ""
