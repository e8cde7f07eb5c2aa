"""The multi-year scenario built through the services: every kind of flow, three years, and the flow
report equal to the two snapshots exactly, at county, township and village level."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from fupin.core.models import ChangeRecord
from fupin.policy import flows
from fupin.regions.models import Region
from fupin.registry import services as registry
from fupin.registry.models import Household, Member
from fupin.review import selectors, services
from fupin.review.models import Snapshot
from fupin.testing import MINGXI, household_data, make_household_for, member_data, next_id_number

pytestmark = pytest.mark.django_db


def villages() -> tuple[str, str, str]:
    """Two villages of one township and one of another township of 明溪县."""
    codes = list(Region.objects.filter(level=5, code__startswith="350421").order_by("code").values_list("code", flat=True))
    v1, v2 = codes[0], codes[1]
    v3 = next(c for c in codes if c[:9] != v1[:9])
    assert v1[:9] == v2[:9]
    return v1, v2, v3


def totals(view: selectors.FlowView) -> dict[str, tuple[int, int]]:
    h, p = view.households.as_dict(), view.persons.as_dict()
    return {k: (h[k], p[k]) for k in h}


def expect(start, new, returned, exited, removed, natural_in, natural_out, end) -> dict[str, tuple[int, int]]:
    return {"start": start, "new": new, "returned": returned, "exited": exited, "removed": removed,
            "natural_in": natural_in, "natural_out": natural_out, "end": end}


def hh(actor, village: str, members: int, **fields):
    return make_household_for(village, members=members, actor=actor, **fields)


def set_status(actor, h: Household, **data) -> Household:
    h.refresh_from_db()
    return registry.update_household(actor=actor, household_id=h.pk, expected_version=h.version, data=data,
                                     source="test")


def non_head(h: Household) -> Member:
    return h.members.filter(status="active").exclude(relation="01").order_by("id").first()


def check_against_snapshots(view: selectors.FlowView, year: int) -> None:
    start = Snapshot.objects.get(region_code=MINGXI, year=year - 1)
    end = Snapshot.objects.get(region_code=MINGXI, year=year)
    assert view.households.start == start.poor_households and view.persons.start == start.poor_persons
    assert view.households.end == end.poor_households and view.persons.end == end.poor_persons
    assert view.balanced


def test_three_years_with_every_kind_of_flow(make_user):
    v1, v2, v3 = villages()
    county = make_user("county", MINGXI)
    # Stock at the end of 2014: 7 households, 17 persons; F and G exited before.
    a, b, c = hh(county, v1, 3), hh(county, v1, 2), hh(county, v1, 1)
    d, e = hh(county, v2, 4), hh(county, v2, 2)
    f = hh(county, v3, 3, poverty_status="1", exit_year=2014)
    hh(county, v3, 2, poverty_status="1", exit_year=2014)
    h_, i = hh(county, v1, 2), hh(county, v2, 3)
    base = services.take_snapshot(actor=county, county_code=MINGXI, year=2014, source="test")
    assert (base.poor_households, base.poor_persons) == (7, 17)

    # --- 2015: new (applicant admitted), exit, removal (清退), return, birth and death --------------------
    cycle = services.open_cycle(actor=county, county_code=MINGXI, year=2015, source="test")
    applicant = registry.create_household(actor=county, village_code=v1, data=household_data(identification_year=2015),
                                          members=[member_data("01"), member_data("03")], source="test",
                                          status="applicant")
    registry.admit_household(actor=county, household_id=applicant.pk, year=2015, source="test")
    set_status(county, a, poverty_status="1", exit_year=2015)
    registry.household_leaves(actor=county, household_id=b.pk, reason="removed", comment="回头看: 识别不准",
                              source="test")
    set_status(county, f, poverty_status="3")
    ChangeRecord.objects.create(model="registry.household", object_id=str(f.pk), household_id=f.pk,
                                region_code=v3, changes={"poverty_status": ["1", "3"]}, comment="因病返贫")
    registry.add_member(actor=county, household_id=d.pk, source="test",
                        data=member_data("07", id_number=next_id_number(birth=dt.date(2015, 3, 1))))
    registry.member_leaves(actor=county, member_id=non_head(d).pk, reason="death", source="test")

    provisional = selectors.flow_view(county, MINGXI, 2015)
    assert provisional.provisional
    expected_2015 = expect((7, 17), (1, 2), (1, 3), (1, 3), (1, 2), (0, 1), (0, 1), (7, 17))
    assert totals(provisional) == expected_2015
    services.close_cycle(actor=county, cycle_id=cycle.pk, source="test")
    view = selectors.flow_view(county, MINGXI, 2015)
    assert not view.provisional and totals(view) == expected_2015
    check_against_snapshots(view, 2015)
    reasons = {(r["unit"], r["flow"], r["reason"]): r["count"] for r in view.reasons}
    assert reasons[("households", flows.REMOVED, "removed")] == 1
    assert reasons[("households", flows.RETURNED, "因病返贫")] == 1
    assert reasons[("persons", flows.NATURAL_IN, flows.BIRTH)] == 1
    assert reasons[("persons", flows.NATURAL_OUT, "death")] == 1
    assert reasons[("households", flows.NEW, flows.IDENTIFIED)] == 1

    # --- 2016: death then 整户消亡, marriage out, a move to another township, exit, new --------------------
    cycle = services.open_cycle(actor=county, county_code=MINGXI, year=2016, source="test")
    registry.member_leaves(actor=county, member_id=c.members.get().pk, reason="death", source="test")
    registry.household_leaves(actor=county, household_id=c.pk, reason="extinct", comment="户主去世", source="test")
    registry.member_leaves(actor=county, member_id=non_head(d).pk, reason="marriage_out", source="test")
    e.refresh_from_db()
    registry.update_household(actor=county, household_id=e.pk, expected_version=e.version, data={},
                              village_code=v3, source="test")
    set_status(county, h_, poverty_status="1", exit_year=2016)
    hh(county, v3, 3, identification_year=2016)
    services.close_cycle(actor=county, cycle_id=cycle.pk, source="test")
    view = selectors.flow_view(county, MINGXI, 2016)
    assert totals(view) == expect((7, 17), (1, 3), (0, 0), (1, 2), (0, 0), (0, 0), (1, 2), (6, 16))
    check_against_snapshots(view, 2016)
    reasons = {(r["unit"], r["flow"], r["reason"]): r["count"] for r in view.reasons}
    assert reasons[("households", flows.NATURAL_OUT, "extinct")] == 1
    assert reasons[("persons", flows.NATURAL_OUT, "death")] == 1  # C's head died before the household ended
    assert reasons[("persons", flows.NATURAL_OUT, "marriage_out")] == 1
    # Drill-down: the move is a transfer between the two townships, nothing at county level.
    by_township = {row.code: row for row in view.children}
    out_t, in_t = by_township[v2[:9] + "000"], by_township[v3[:9] + "000"]
    assert out_t.households.natural_out >= 1 and in_t.households.natural_in == 1
    assert all(row.balanced for row in view.children)
    assert sum(row.households.end for row in view.children) == view.households.end
    assert sum(row.persons.start for row in view.children) == view.persons.start
    township = selectors.flow_view(county, v3[:9] + "000", 2016)
    moved = selectors.flow_households(township, flows.NATURAL_IN)
    assert moved["household_id"].to_list() == [e.pk] and moved["reason"].to_list() == [flows.TRANSFER_IN]
    assert moved["persons"].to_list() == [2]
    village = selectors.flow_view(county, v1, 2016)
    assert village.children == [] and village.balanced
    assert selectors.flow_households(village, flows.EXITED)["household_id"].to_list() == [h_.pk]

    # --- 2017: return, removal (录入错误), marriage in, exit ----------------------------------------------
    cycle = services.open_cycle(actor=county, county_code=MINGXI, year=2017, source="test")
    set_status(county, h_, poverty_status="3")
    i.refresh_from_db()
    registry.household_leaves(actor=county, household_id=i.pk, reason="entry_error", comment="重复录入", source="test")
    registry.add_member(actor=county, household_id=d.pk, source="test",
                        data=member_data("05", id_number=next_id_number(birth=dt.date(1996, 2, 1))))
    set_status(county, f, poverty_status="1", exit_year=2017)
    services.close_cycle(actor=county, cycle_id=cycle.pk, source="test")
    view = selectors.flow_view(county, MINGXI, 2017)
    assert totals(view) == expect((6, 16), (0, 0), (1, 2), (1, 3), (1, 3), (0, 1), (0, 0), (5, 13))
    check_against_snapshots(view, 2017)
    reasons = {(r["unit"], r["flow"], r["reason"]): r["count"] for r in view.reasons}
    assert reasons[("persons", flows.NATURAL_IN, flows.MARRIAGE_IN)] == 1
    assert reasons[("households", flows.REMOVED, "entry_error")] == 1
    # The frozen reports do not move when the registry does.
    set_status(county, d, poverty_status="1", exit_year=2018)
    assert totals(selectors.flow_view(county, MINGXI, 2017))["end"] == (5, 13)
    assert totals(selectors.flow_view(county, MINGXI, 2015)) == expected_2015
    # The city's report is the county's (one county with snapshots; the others are listed as missing).
    city = selectors.flow_view(make_user("city", "350400000000"), "350400000000", 2017)
    assert totals(city) == totals(view)
    assert {code for code, _ in city.missing} and MINGXI not in {code for code, _ in city.missing}


def test_scope_of_the_report(make_user):
    v1, _v2, v3 = villages()
    county = make_user("county", MINGXI)
    hh(county, v1, 2)
    hh(county, v3, 3)
    services.take_snapshot(actor=county, county_code=MINGXI, year=2015, source="test")
    township = make_user("township", v1[:9] + "000")
    view = selectors.flow_view(township, v1[:9] + "000", 2016)
    assert view.provisional and totals(view)["start"] == (1, 2)
    county_view = selectors.flow_view(county, MINGXI, 2016)
    assert totals(county_view)["start"] == (2, 5)
    from django.http import Http404

    with pytest.raises(Http404):
        selectors.flow_view(township, MINGXI, 2016)
    with pytest.raises(Http404):
        selectors.flow_view(make_user("county", "350424000000"), MINGXI, 2016)
    with pytest.raises(Http404):
        selectors.flow_view(make_user("helper", MINGXI), MINGXI, 2016)
    assert list(selectors.cycles(township)) == []
    assert list(selectors.snapshots(township)) == list(Snapshot.objects.all())  # the county's header, from below


def test_no_start_snapshot_gives_no_figures(make_user):
    county = make_user("county", MINGXI)
    view = selectors.flow_view(county, MINGXI, 2016)
    assert not view.available and view.missing and view.missing[0][0] == MINGXI


def test_flow_households_lists_rows_per_flow(make_user):
    v1, _v2, _v3 = villages()
    county = make_user("county", MINGXI)
    a = hh(county, v1, 2)
    services.take_snapshot(actor=county, county_code=MINGXI, year=2015, source="test")
    set_status(county, a, poverty_status="1", exit_year=2016)
    rows = selectors.flow_households(selectors.flow_view(county, v1, 2016), flows.EXITED)
    assert rows.select("household_id", "persons", "head_name").rows() == [(a.pk, 2, a.head_name)]
    assert isinstance(rows, pl.DataFrame)
