"""The coverage report finds exactly the planted gaps, gaps first, with no query per row."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fupin.core.scoping import ScopeError
from fupin.pairing import services
from fupin.pairing.coverage import coverage
from fupin.regions.models import Region
from fupin.registry.services import household_leaves
from fupin.testing import MINGXI, NINGHUA, first_village

from .conftest import START

TOWNSHIP = "350421100000"  # 雪峰镇


@pytest.fixture
def planted(make_user, make_household, make_helper):
    """Three poor villages of 雪峰镇 — A: team + first secretary; B: a team without one; C: no team —
    households in A, two of them without a helper; an exited and a left household without one (no gap);
    a helper over the limit after the county lowered it; a poor village of 宁化 (out of the report)."""
    a, b, c = (first_village(TOWNSHIP, i) for i in (2, 3, 4))
    Region.objects.filter(code__in=[a, b, c, first_village(NINGHUA)]).update(is_poor_village=True)
    county = make_user("county", MINGXI)
    team_a = services.create_team(actor=county, village_code=a, sending_unit="县委组织部", unit_level="county",
                                  started_on=START)
    services.add_team_member(actor=county, team_id=team_a.pk, name="第一书记甲", is_first_secretary=True,
                             joined_on=START)
    team_b = services.create_team(actor=county, village_code=b, sending_unit="县财政局", unit_level="county",
                                  started_on=START)
    services.add_team_member(actor=county, team_id=team_b.pk, name="队员", joined_on=START)
    old = services.add_team_member(actor=county, team_id=team_b.pk, name="前任书记", is_first_secretary=True,
                                   joined_on=START)
    services.team_member_leaves(actor=county, member_id=old.pk, left_on=dt.date(2016, 6, 30))
    ended = services.create_team(actor=county, village_code=c, sending_unit="县水利局", unit_level="county",
                                 started_on=START)
    services.end_team(actor=county, team_id=ended.pk, ended_on=dt.date(2016, 12, 31))

    households = [make_household(a, members=2) for _ in range(6)]
    exited = make_household(a, members=1, poverty_status="1", exit_year=2015)
    left = make_household(a, members=1)
    household_leaves(actor=county, household_id=left.pk, reason="removed", comment="清退")
    busy, calm = make_helper("忙人"), make_helper("闲人")
    for h in households[:3]:
        services.pair_household(actor=county, helper_id=busy.pk, household_id=h.pk, started_on=START)
    services.pair_household(actor=county, helper_id=calm.pk, household_id=households[3].pk, started_on=START)
    make_helper("待结对")  # a helper of the county with no household yet
    services.add_pairing_setting(actor=county, region_code=MINGXI, version="350421-2017.1",
                                 overrides={"max_households_per_helper": 2}, valid_from=dt.date(2017, 1, 1))
    return {"a": a, "b": b, "c": c, "county": county, "gaps": {households[4].pk, households[5].pk},
            "busy": busy, "calm": calm, "exited": exited}


def test_report_finds_exactly_the_planted_gaps(planted):
    report = coverage(planted["county"], TOWNSHIP, on=dt.date(2018, 1, 1))
    assert report.limits_version == "350421-2017.1"
    assert {v.code for v in report.poor_villages_without_team} == {planted["c"]}
    assert {v.code for v in report.poor_villages_without_first_secretary} == {planted["b"], planted["c"]}
    assert {h.pk for h in report.households_without_helper} == planted["gaps"]
    assert [h.name for h in report.helpers_over_limit] == ["忙人"]
    assert report.totals == {"poor_villages": 3, "poor_without_team": 1, "poor_without_first_secretary": 2,
                             "open_households": 6, "without_helper": 2, "helpers": 2, "helpers_over_limit": 1}
    # gaps first: every village with a gap comes before those without
    flags = [v.has_gap for v in report.villages]
    assert flags == sorted(flags, reverse=True)
    village_a = next(v for v in report.villages if v.code == planted["a"])
    assert (village_a.open_households, village_a.without_helper, village_a.first_secretaries) == (6, 2, 1)
    [township] = report.townships
    assert (township.code, township.poor_villages, township.poor_without_team,
            township.poor_without_first_secretary, township.without_helper, township.helpers,
            township.helpers_over_limit) == (TOWNSHIP, 3, 1, 2, 2, 2, 1)
    busy = report.helpers[0]
    assert (busy.name, busy.households, busy.limit, busy.over_limit) == ("忙人", 3, 2, True)


def test_report_on_an_earlier_day(planted):
    report = coverage(planted["county"], TOWNSHIP, on=dt.date(2016, 3, 1))
    # before the limit was lowered nobody is over it; the team of C was still there, B's secretary too
    assert report.helpers_over_limit == []
    assert report.poor_villages_without_team == [] and report.poor_villages_without_first_secretary != []
    assert {v.code for v in report.poor_villages_without_first_secretary} == {planted["c"]}


def test_county_report_rolls_up_townships_gaps_first(planted, make_household):
    make_household(first_village(MINGXI, 60), members=1)  # another township: one more household without helper
    report = coverage(planted["county"], "", on=dt.date(2018, 1, 1))
    assert report.region.code == MINGXI
    assert report.totals["without_helper"] == 3
    assert report.totals["helpers"] == 3  # the county's idle helper (待结对) counts at county level
    assert report.helpers[-1].name == "待结对" and report.helpers[-1].households == 0
    assert report.townships[0].code == TOWNSHIP  # the most gaps first
    assert sum(t.without_helper for t in report.townships) == 3


def test_query_count_does_not_grow_with_rows(planted, make_household):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            coverage(planted["county"], TOWNSHIP, on=dt.date(2018, 1, 1))
        return len(ctx.captured_queries)

    before = count()
    for i in range(5):
        make_household(first_village(TOWNSHIP, 5 + i), members=1)
    assert count() == before


def test_scope_of_the_report(planted, make_user):
    with pytest.raises(ScopeError):
        coverage(make_user("county", NINGHUA), TOWNSHIP)
    with pytest.raises(ScopeError):  # helpers have no coverage report
        coverage(make_user("helper", MINGXI), MINGXI)
    village_cadre = make_user("village", planted["a"])
    report = coverage(village_cadre, on=dt.date(2018, 1, 1))
    assert [v.code for v in report.villages] == [planted["a"]]
    assert report.totals["without_helper"] == 2
