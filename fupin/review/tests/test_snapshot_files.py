"""The Parquet copies of the snapshot rows (fupin.review.store): written with the snapshot, equal to the
rows in the database, used by the flow report, and ignored — the database read instead — when a file is
missing, altered or does not match its header; and the region and its children classified from one join
(flows.flow_reports) equal to two separate reports."""

from __future__ import annotations

import hashlib

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from fupin.policy import flows
from fupin.registry import services as registry
from fupin.review import frames, selectors, services, store
from fupin.review.models import HouseholdSnapshot, PersonSnapshot, Snapshot
from fupin.review.tests.test_reconciliation import hh, non_head, set_status, totals, villages
from fupin.testing import MINGXI

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_years(make_user):
    """Snapshots of 2015 and 2016 of 明溪县 with exits, a removal, a death and a new household."""
    v1, v2, v3 = villages()
    county = make_user("county", MINGXI)
    a, b, c = hh(county, v1, 3), hh(county, v2, 2), hh(county, v3, 4)
    hh(county, v3, 2, poverty_status="1", exit_year=2014)
    s0 = services.take_snapshot(actor=county, county_code=MINGXI, year=2015, source="test")
    set_status(county, a, poverty_status="1", exit_year=2016)
    registry.household_leaves(actor=county, household_id=b.pk, reason="removed", comment="清退", source="test")
    registry.member_leaves(actor=county, member_id=non_head(c).pk, reason="death", source="test")
    hh(county, v1, 2, identification_year=2016)
    s1 = services.take_snapshot(actor=county, county_code=MINGXI, year=2016, source="test")
    return county, s0, s1


def db_rows(snapshot: Snapshot, unit: str) -> pl.DataFrame:
    model = HouseholdSnapshot if unit == "households" else PersonSnapshot
    key = "household_id" if unit == "households" else "member_id"
    return frames.snapshot_frame(model.objects.filter(snapshot=snapshot), unit).sort(key)


def file_rows(snapshot: Snapshot, unit: str) -> pl.DataFrame | None:
    types = frames.HOUSEHOLD_COLUMNS if unit == "households" else frames.PERSON_COLUMNS
    key = "household_id" if unit == "households" else "member_id"
    frame = store.read_rows(snapshot, unit, list(types), "")
    return None if frame is None else frame.sort(key)


def test_files_are_written_with_the_snapshot_and_equal_the_rows(two_years):
    _county, s0, s1 = two_years
    for snap in (s0, s1):
        snap.refresh_from_db()
        for unit, rows in (("households", snap.households), ("persons", snap.persons)):
            path = store.path_for(snap.pk, unit)
            meta = snap.files[unit]
            assert meta == {"name": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "rows": rows}
            assert_frame_equal(file_rows(snap, unit), db_rows(snap, unit))
    assert (s1.households, s1.persons) == (5, 13)


def test_flow_report_reads_the_files_and_equals_the_database_read(two_years):
    county, s0, s1 = two_years
    from_files = selectors.flow_view(county, MINGXI, 2016)
    for snap in (s0, s1):  # without the data folder (a restore): the rows from the database
        for unit in store.UNITS:
            store.path_for(snap.pk, unit).unlink()
    from_db = selectors.flow_view(county, MINGXI, 2016)
    assert totals(from_files) == totals(from_db)
    assert totals(from_db) == {"start": (3, 9), "new": (1, 2), "returned": (0, 0), "exited": (1, 3),
                               "removed": (1, 2), "natural_in": (0, 0), "natural_out": (0, 1), "end": (2, 5)}
    assert [(c.code, c.households, c.persons) for c in from_files.children] == \
        [(c.code, c.households, c.persons) for c in from_db.children]
    for a, b in ((from_files.report.households, from_db.report.households),
                 (from_files.report.persons, from_db.report.persons)):
        assert_frame_equal(a, b)


def test_the_report_uses_the_files_when_they_match(two_years, monkeypatch):
    county, _s0, _s1 = two_years
    read: list[int] = []
    original = frames.snapshot_frame

    def spy(queryset, unit, columns=None):
        read.append(1)
        return original(queryset, unit, columns)

    monkeypatch.setattr(frames, "snapshot_frame", spy)
    view = selectors.flow_view(county, MINGXI, 2016)
    assert view.balanced and read == []  # no snapshot rows read from the database
    township = selectors.flow_view(county, villages()[0][:9] + "000", 2016)
    assert township.balanced and read == []


@pytest.mark.parametrize("damage", ["missing", "altered", "other_rows", "no_header_entry"])
def test_a_missing_or_altered_file_falls_back_to_the_database(two_years, damage):
    county, s0, s1 = two_years
    expected = totals(selectors.flow_view(county, MINGXI, 2016))
    path = store.path_for(s1.pk, "persons")
    if damage == "missing":
        path.unlink()
    elif damage == "altered":
        path.write_bytes(path.read_bytes()[:-1] + b"\0")
    elif damage == "other_rows":  # a valid Parquet file of another content: the checksum differs
        pl.read_parquet(path).head(1).write_parquet(path)
    else:
        s1 = Snapshot.objects.get(pk=s1.pk)
        s1.files = None  # as a snapshot taken before the files existed (not saved: the header is immutable)
    assert store.read_rows(Snapshot.objects.get(pk=s1.pk) if damage != "no_header_entry" else s1, "persons",
                           frames.FLOW_PERSON_COLUMNS, "") is None
    assert totals(selectors.flow_view(county, MINGXI, 2016)) == expected
    assert store.read_rows(s0, "persons", frames.FLOW_PERSON_COLUMNS, "") is not None


def test_files_are_read_only_when_the_scope_is_the_prefix(two_years, make_user):
    county, _s0, _s1 = two_years
    township = make_user("township", villages()[0][:9] + "000")
    assert selectors.rows_scope_is_prefix(county, "350421")
    assert selectors.rows_scope_is_prefix(township, villages()[0][:9])
    assert not selectors.rows_scope_is_prefix(township, "350421")
    assert not selectors.rows_scope_is_prefix(make_user("helper", MINGXI), "350421")
    assert not selectors.rows_scope_is_prefix(None, "350421")


def test_a_failed_snapshot_leaves_no_files(make_user, monkeypatch):
    county = make_user("county", MINGXI)
    hh(county, villages()[0], 2)

    def boom(*args, **kwargs):
        raise RuntimeError("COPY failed")

    monkeypatch.setattr(services, "copy_frame", boom)
    with pytest.raises(RuntimeError):
        services.take_snapshot(actor=county, county_code=MINGXI, year=2015, source="test")
    assert not Snapshot.objects.exists()
    assert not store.folder().exists() or not list(store.folder().glob("*.parquet"))


def test_region_and_children_from_one_join_equal_separate_reports(two_years):
    _county, s0, s1 = two_years
    rows = {(snap.pk, unit): db_rows(snap, unit) for snap in (s0, s1) for unit in store.UNITS}
    sh, sp = frames.flow_frames(rows[s0.pk, "households"], rows[s0.pk, "persons"])
    eh, ep = frames.flow_frames(rows[s1.pk, "households"], rows[s1.pk, "persons"])
    for prefix, keys in (("350421", [6, 9]), ("350421", [9, 6, 12]), ("35", [2, 6, 12])):
        together = flows.flow_reports(sh, sp, eh, ep, prefix=prefix, year=2016, key_lengths=keys)
        for key, report in zip(keys, together, strict=True):
            alone = flows.flow_report(sh, sp, eh, ep, prefix=prefix, year=2016, key_length=key)
            assert_frame_equal(report.households, alone.households)
            assert_frame_equal(report.persons, alone.persons)
            assert report.key_length == key


def test_snapshot_rows_are_indexed_by_brin_on_postgresql(two_years):
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # BRIN on PostgreSQL
            cursor.execute("SELECT tablename, indexdef FROM pg_indexes WHERE tablename IN "
                           "('review_householdsnapshot', 'review_personsnapshot') "
                           "AND indexdef LIKE '%%(snapshot_id)%%'")
            rows = cursor.fetchall()
            assert len(rows) == 2 and all("USING brin" in d for _t, d in rows)
        else:  # SQLite keeps its B-tree index on snapshot_id
            cursor.execute("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN "
                           "('review_householdsnapshot', 'review_personsnapshot') AND sql LIKE '%%snapshot_id%%'")
            rows = cursor.fetchall()
            assert len(rows) == 2
    _county, _s0, s1 = two_years
    assert PersonSnapshot.objects.filter(snapshot=s1).count() == s1.persons
