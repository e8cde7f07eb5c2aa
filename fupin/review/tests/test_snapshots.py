"""Frozen snapshots: what they hold, that they cannot be altered (models and database, both backends),
the order rules of snapshots and cycles, and scope of the writes."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.http import Http404

from fupin.core.models import ChangeRecord
from fupin.registry import services as registry
from fupin.review import services
from fupin.review.choices import CycleStatus
from fupin.review.models import HouseholdSnapshot, ImmutableError, PersonSnapshot, ReviewCycle, Snapshot
from fupin.review.services import ReviewError
from fupin.testing import MINGXI, first_village, make_household_for

pytestmark = pytest.mark.django_db
TABLES = ("review_snapshot", "review_householdsnapshot", "review_personsnapshot")


@pytest.fixture
def county(make_user):
    return make_user("county", MINGXI)


@pytest.fixture
def snapshot(county):
    make_household_for(first_village(MINGXI), members=3, actor=county)
    return services.take_snapshot(actor=county, county_code=MINGXI, year=2015, source="test")


def test_snapshot_holds_households_persons_counts_and_versions(county, snapshot):
    assert (snapshot.households, snapshot.persons, snapshot.poor_households, snapshot.poor_persons) == (1, 3, 1, 3)
    row = HouseholdSnapshot.objects.get(snapshot=snapshot)
    assert row.status == "active" and row.poverty_status == "0" and row.size == 3 and row.village_code.startswith("350421")
    assert PersonSnapshot.objects.filter(snapshot=snapshot, household_id=row.household_id).count() == 3
    assert snapshot.versions["flow_rules"]["version"] == "flows-2016.1"
    assert snapshot.versions["policy_set"] == "national-2016.1"
    assert snapshot.versions["area_exit"] == "area-exit-2016.1"
    assert snapshot.versions["income_rules"]
    assert ChangeRecord.objects.filter(model="review.snapshot", object_id=str(snapshot.pk)).exists()


def test_records_that_left_since_the_previous_snapshot_are_kept_with_their_reason(county, snapshot):
    h = registry.Household.objects.get()
    member = h.members.exclude(relation="01").first()
    registry.member_leaves(actor=county, member_id=member.pk, reason="death", source="test")
    registry.household_leaves(actor=county, household_id=h.pk, reason="removed", comment="清退", source="test")
    later = services.take_snapshot(actor=county, county_code=MINGXI, year=2016, source="test")
    row = HouseholdSnapshot.objects.get(snapshot=later)
    assert (row.status, row.left_reason) == ("left", "removed") and row.left_on is not None
    persons = {p.member_id: p for p in PersonSnapshot.objects.filter(snapshot=later)}
    assert len(persons) == 3
    assert persons[member.pk].left_reason == "death" and not persons[member.pk].left_with_household
    others = [p for mid, p in persons.items() if mid != member.pk]
    assert all(p.left_with_household and p.status == "left" for p in others)
    assert (later.poor_households, later.poor_persons) == (0, 0)
    # … and not again a year later.
    third = services.take_snapshot(actor=county, county_code=MINGXI, year=2017, source="test")
    assert (third.households, third.persons) == (0, 0)


def test_models_refuse_changes(snapshot):
    with pytest.raises(ImmutableError):
        snapshot.comment = "changed"
        snapshot.save()
    with pytest.raises(ImmutableError):
        snapshot.delete()
    row = HouseholdSnapshot.objects.filter(snapshot=snapshot).first()
    row.poverty_status = "1"
    with pytest.raises(ImmutableError):
        row.save()
    with pytest.raises(ImmutableError):
        row.delete()
    for model in (Snapshot, HouseholdSnapshot, PersonSnapshot):
        with pytest.raises(ImmutableError):
            model.objects.all().update(pk=1)
        with pytest.raises(ImmutableError):
            model.objects.all().delete()
        with pytest.raises(ImmutableError):
            model.objects.filter(pk=0).delete()
    snapshot.refresh_from_db()
    assert snapshot.comment == "" and HouseholdSnapshot.objects.get(pk=row.pk).poverty_status == "0"


@pytest.mark.parametrize("table", TABLES)
def test_database_refuses_update_and_delete(snapshot, table):
    column = "year" if table == "review_snapshot" else "snapshot_id"
    for sql in (f"UPDATE {table} SET {column} = {column}", f"DELETE FROM {table}"):
        with pytest.raises(DatabaseError) as err:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql)
        assert "immutable" in str(err.value)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        assert cursor.fetchone()[0] >= 1
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {table} CASCADE")


def test_database_allows_inserts_and_truncating_an_empty_table():
    if connection.vendor != "postgresql":
        assert Snapshot.objects.count() == 0
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE review_personsnapshot")  # empty: allowed (the test runner's flush)


def test_one_snapshot_per_year_and_none_before_a_later_one(county, snapshot):
    with pytest.raises(ReviewError, match="不可修改"):
        services.take_snapshot(actor=county, county_code=MINGXI, year=2015, source="test")
    with pytest.raises(ReviewError, match="更早"):
        services.take_snapshot(actor=county, county_code=MINGXI, year=2014, source="test")
    with pytest.raises(ReviewError):
        services.take_snapshot(actor=county, county_code=MINGXI, year=2999, source="test")
    with pytest.raises(ReviewError):
        services.take_snapshot(actor=county, county_code=first_village(MINGXI), year=2016, source="test")


def test_writes_are_scoped(make_user, snapshot):
    for role, region in (("township", "350421100000"), ("city", "350400000000"), ("county", "350424000000"),
                         ("village", first_village(MINGXI))):
        with pytest.raises(Http404):
            services.take_snapshot(actor=make_user(role, region), county_code=MINGXI, year=2016, source="test")
        with pytest.raises(Http404):
            services.open_cycle(actor=make_user(role, region), county_code=MINGXI, year=2016, source="test")
    admin = make_user("admin", "350400000000")
    assert services.open_cycle(actor=admin, county_code=MINGXI, year=2016, source="test").is_open


def test_cycle_rules(county):
    with pytest.raises(ReviewError, match="缺少2015年的快照"):
        services.open_cycle(actor=county, county_code=MINGXI, year=2016, source="test")
    make_household_for(first_village(MINGXI), members=2, actor=county)
    services.snapshot_year_end(actor=None, county_code=MINGXI, year=2015)  # the command: a baseline
    cycle = services.open_cycle(actor=county, county_code=MINGXI, year=2016, source="test")
    with pytest.raises(ReviewError, match="已存在"):
        services.open_cycle(actor=county, county_code=MINGXI, year=2016, source="test")
    with pytest.raises(ReviewError, match="尚未结束"):
        services.open_cycle(actor=county, county_code=MINGXI, year=2017, source="test")
    snap = services.snapshot_year_end(actor=None, county_code=MINGXI, year=2016)  # closes the open cycle
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.CLOSED and cycle.snapshot == snap and cycle.closed_by_name == "system"
    with pytest.raises(ReviewError, match="已结束"):
        services.close_cycle(actor=county, cycle_id=cycle.pk, source="test")
    with pytest.raises(ReviewError, match="快照已生成"):
        services.open_cycle(actor=county, county_code=MINGXI, year=2015, source="test")
    assert ReviewCycle.objects.count() == 1
    assert ChangeRecord.objects.filter(model="review.reviewcycle", object_id=str(cycle.pk)).count() == 2


def test_close_checks_the_version(county):
    make_household_for(first_village(MINGXI), members=1, actor=county)
    services.take_snapshot(actor=county, county_code=MINGXI, year=2015, source="test")
    cycle = services.open_cycle(actor=county, county_code=MINGXI, year=2016, source="test")
    from fupin.registry.services import VersionConflict

    with pytest.raises(VersionConflict):
        services.close_cycle(actor=county, cycle_id=cycle.pk, expected_version=cycle.version + 1, source="test")
    assert not Snapshot.objects.filter(year=2016).exists()
