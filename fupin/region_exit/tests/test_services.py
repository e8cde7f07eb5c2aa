"""Village exit (出列) and county exit (摘帽) through the services: incidence with both denominators and
both thresholds, village conditions, the village exit procedure (publicity, objections), county readiness,
四个不摘, scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.http import Http404

from fupin.core.models import ChangeRecord
from fupin.policy import clock
from fupin.region_exit import services
from fupin.region_exit.models import AreaExitSetting, CountyExit, VillageCondition, VillageExitEvent
from fupin.region_exit.services import RegionExitError
from fupin.regions.models import Region
from fupin.registry.models import Household
from fupin.registry.selectors import region_figures
from fupin.testing import MINGXI, first_village, make_household_for

pytestmark = pytest.mark.django_db
OPINION = {"reviewer": "乡镇审核人", "opinion": "同意"}
ALL_MET = {"road": True, "water": True, "power": True, "clinic": True, "broadband": True,
           "collective_income": "150000", "evidence": "村财报表"}


@pytest.fixture
def village():
    code = first_village(MINGXI)
    Region.objects.filter(code=code).update(is_poor_village=True, rural_population=1000, agricultural_population=500)
    return code


@pytest.fixture
def county(make_user):
    return make_user("county", MINGXI)


@pytest.fixture
def township(make_user, village):
    return make_user("township", village[:9] + "000")


def poor(village: str, persons: int, actor=None, **fields) -> Household:
    return make_household_for(village, members=persons, actor=actor, **fields)


def test_incidence_with_both_denominators_and_both_thresholds(village, county):
    poor(village, 3)
    poor(village, 5)
    poor(village, 4, poverty_status="1", exit_year=2017)  # exited: not counted
    poor(village, 2, poverty_status="2")  # 预脱贫: still counted
    services.record_conditions(actor=county, village_code=village, year=2018, data=ALL_MET, source="test")
    check = services.check_village_exit(village, 2018)
    assert (check.incidence.poor_persons, check.incidence.population, str(check.incidence.rate)) == (10, 1000, "1.00")
    assert check.passed and check.threshold == 2
    AreaExitSetting.objects.create(region_code=MINGXI, overrides={"denominator": "agricultural"}, version="t+1",
                                   valid_from=dt.date(2016, 1, 1))
    check = services.check_village_exit(village, 2018)
    assert (check.incidence.population, str(check.incidence.rate), check.passed) == (500, "2.00", False)
    assert check.policy_version == "t+1"
    Region.objects.filter(code="350000000000").update(is_western=True)  # the flag above the village counts
    check = services.check_village_exit(village, 2018)
    assert check.threshold == 3 and check.passed
    AreaExitSetting.objects.create(region_code=village, overrides={"numerator_statuses": ["0", "3"]}, version="t+2",
                                   valid_from=dt.date(2017, 1, 1))
    check = services.check_village_exit(village, 2018)
    assert check.incidence.poor_persons == 8 and check.policy_version == "t+2"


def test_village_conditions_are_recorded_per_year_and_audited(village, county, make_user):
    row = services.record_conditions(actor=county, village_code=village, year=2018, source="test",
                                     data={**ALL_MET, "broadband": False, "collective_income": "40000"})
    check = services.check_village_exit(village, 2018)
    assert {i.id for i in check.failures} == {"broadband", "collective_income"}  # 5万 target in 2018
    row = services.record_conditions(actor=county, village_code=village, year=2018, expected_version=row.version,
                                     data={"broadband": True, "collective_income": "50000"}, source="test")
    assert row.version == 2 and services.check_village_exit(village, 2018).passed
    assert not services.check_village_exit(village, 2019).passed  # nothing recorded for 2019
    records = ChangeRecord.objects.filter(model="region_exit.villagecondition", object_id=str(row.pk)).order_by("id")
    assert records.count() == 2 and records.last().changes["broadband"] == [False, True]
    from fupin.registry.services import VersionConflict

    with pytest.raises(VersionConflict):
        services.record_conditions(actor=county, village_code=village, year=2018, expected_version=1,
                                   data={"road": False}, source="test")
    with pytest.raises(RegionExitError):
        services.record_conditions(actor=county, village_code=village, year=2018, data={"collective_income": "-1"},
                                   source="test")
    with pytest.raises(Http404):
        services.record_conditions(actor=make_user("city", "350400000000"), village_code=village, year=2018,
                                   data={"road": True}, source="test")
    with pytest.raises(Http404):
        services.record_conditions(actor=make_user("county", "350424000000"), village_code=village, year=2018,
                                   data={"road": True}, source="test")
    assert VillageCondition.objects.count() == 1


def _ready(village: str, county) -> None:
    poor(village, 3, actor=county)
    services.record_conditions(actor=county, village_code=village, year=clock.today().year, data=ALL_MET,
                               source="test")


def test_village_exit_procedure_and_four_not_removed(village, county, township):
    today = clock.today()
    year = today.year
    _ready(village, county)
    still_poor = Household.objects.get()
    before = {f: getattr(still_poor, f) for f in ("poverty_status", "status", "exit_year", "version")}
    start = today - dt.timedelta(days=20)
    case = services.propose_village_exit(actor=township, village_code=village, year=year, evidence=OPINION, on=start,
                                         source="test")
    assert case.step == "township_publicity" and case.is_open
    with pytest.raises(RegionExitError) as err:
        services.act_on_village_exit(actor=township, case_id=case.pk, kind="complete", step_id="township_publicity",
                                     on=start + dt.timedelta(days=6), source="test")
    assert err.value.code == "publicity_too_short"
    services.act_on_village_exit(actor=township, case_id=case.pk, kind="object", step_id="township_publicity",
                                 on=start + dt.timedelta(days=1), comment="卫生室未建成", raised_by="村民甲",
                                 source="test")
    with pytest.raises(RegionExitError) as err:
        services.act_on_village_exit(actor=township, case_id=case.pk, kind="complete", step_id="township_publicity",
                                     on=start + dt.timedelta(days=8), source="test")
    assert err.value.code == "objection_open"
    objection = case.objections.get()
    services.act_on_village_exit(actor=township, case_id=case.pk, kind="resolve", step_id="township_publicity",
                                 on=start + dt.timedelta(days=2), comment="已核实建成", objection_id=objection.pk,
                                 upheld=False, source="test")
    services.act_on_village_exit(actor=township, case_id=case.pk, kind="complete", step_id="township_publicity",
                                 on=start + dt.timedelta(days=7), source="test")
    with pytest.raises(RegionExitError) as err:  # county approval is the county's
        services.act_on_village_exit(actor=township, case_id=case.pk, kind="complete", step_id="county_approval",
                                     on=start + dt.timedelta(days=8), evidence=OPINION, source="test")
    assert err.value.code == "wrong_role"
    services.act_on_village_exit(actor=county, case_id=case.pk, kind="complete", step_id="county_approval",
                                 on=start + dt.timedelta(days=8), evidence=OPINION, source="test")
    services.act_on_village_exit(actor=county, case_id=case.pk, kind="complete", step_id="announcement",
                                 on=start + dt.timedelta(days=9), source="test")
    case.refresh_from_db()
    assert case.status == "registered" and case.closed_on == start + dt.timedelta(days=9)
    assert Region.objects.get(code=village).exit_year == year
    assert Region.objects.get(code=village).is_poor_village  # the designation stays
    events = list(VillageExitEvent.objects.filter(case=case).values_list("step", "action"))
    assert events[0] == ("proposal", "complete") and events[-1] == ("announcement", "complete")
    assert VillageExitEvent.objects.filter(case=case, step="county_approval").get().exit_check["passed"] is True
    assert ChangeRecord.objects.filter(model="regions.region", object_id=village).exists()
    # 四个不摘: the household still poor is untouched and still counted as poor.
    still_poor.refresh_from_db()
    assert {f: getattr(still_poor, f) for f in before} == before
    own, _children = region_figures(county, Region.objects.get(code=village))
    assert own.poor_households == 1 and own.poor_persons == 3
    with pytest.raises(RegionExitError, match="已于"):
        services.propose_village_exit(actor=township, village_code=village, year=year, evidence=OPINION,
                                      source="test")


def test_exit_check_blocks_the_proposal_and_the_approval(village, county, township):
    today = clock.today()
    for _ in range(5):
        poor(village, 5, actor=county)  # 25 ÷ 1000 = 2.5 %
    services.record_conditions(actor=county, village_code=village, year=today.year, data=ALL_MET, source="test")
    with pytest.raises(RegionExitError) as err:
        services.propose_village_exit(actor=township, village_code=village, year=today.year, evidence=OPINION,
                                      source="test")
    assert err.value.code == "decision_negative" and "贫困发生率" in err.value.message
    Region.objects.filter(code=village).update(rural_population=2000)  # 1.25 %
    start = today - dt.timedelta(days=10)
    case = services.propose_village_exit(actor=township, village_code=village, year=today.year, evidence=OPINION,
                                         on=start, source="test")
    services.act_on_village_exit(actor=township, case_id=case.pk, kind="complete", step_id="township_publicity",
                                 on=start + dt.timedelta(days=7), source="test")
    services.record_conditions(actor=county, village_code=village, year=today.year, data={"clinic": False},
                               source="test")
    with pytest.raises(RegionExitError) as err:
        services.act_on_village_exit(actor=county, case_id=case.pk, kind="complete", step_id="county_approval",
                                     on=start + dt.timedelta(days=8), evidence=OPINION, source="test")
    assert err.value.code == "decision_negative" and "标准化卫生室" in err.value.message
    services.act_on_village_exit(actor=county, case_id=case.pk, kind="reject", step_id="county_approval",
                                 on=start + dt.timedelta(days=8), comment="卫生室未达标", source="test")
    case.refresh_from_db()
    assert case.status == "rejected" and Region.objects.get(code=village).exit_year is None


def test_only_poor_villages_and_scope(village, county, township, make_user):
    other = first_village(MINGXI, 1)
    with pytest.raises(RegionExitError, match="只有贫困村"):
        services.propose_village_exit(actor=county, village_code=other, year=clock.today().year, evidence=OPINION,
                                      source="test")
    for user in (make_user("county", "350424000000"), make_user("city", "350400000000"),
                 make_user("helper", MINGXI)):
        with pytest.raises(Http404):
            services.propose_village_exit(actor=user, village_code=village, year=clock.today().year,
                                          evidence=OPINION, source="test")
    with pytest.raises(RegionExitError) as err:
        services.propose_village_exit(actor=make_user("village", village), village_code=village,
                                      year=clock.today().year, evidence=OPINION, source="test")
    assert err.value.code == "wrong_role"


def test_county_readiness_and_county_exit(village, county, make_user):
    Region.objects.filter(code=MINGXI).update(rural_population=10_000)
    Region.objects.filter(code=first_village(MINGXI, 3)).update(is_poor_village=True, exit_year=2017)
    for _ in range(3):
        poor(village, 4, actor=county)
    readiness = services.county_readiness(MINGXI, 2018)
    assert readiness.ready and (readiness.poor_households, readiness.poor_persons) == (3, 12)
    assert (readiness.poor_villages, readiness.poor_villages_exited, readiness.poor_villages_remaining) == (2, 1, 1)
    assert str(readiness.check.incidence.rate) == "0.12"
    with pytest.raises(Http404):
        services.record_county_exit(actor=county, county_code=MINGXI, year=2018, approved_on=dt.date(2018, 12, 1),
                                    document="闽政文〔2018〕1号", source="test")
    admin = make_user("admin", "350000000000")
    Region.objects.filter(code=MINGXI).update(rural_population=500)  # 2.4 %: not ready
    with pytest.raises(RegionExitError, match="未达到摘帽条件"):
        services.record_county_exit(actor=admin, county_code=MINGXI, year=2018, approved_on=dt.date(2018, 12, 1),
                                    document="闽政文〔2018〕1号", source="test")
    Region.objects.filter(code=MINGXI).update(rural_population=10_000)
    row = services.record_county_exit(actor=admin, county_code=MINGXI, year=2018, approved_on=dt.date(2018, 12, 1),
                                      document="闽政文〔2018〕1号", source="test")
    assert row.readiness["passed"] and Region.objects.get(code=MINGXI).exit_year == 2018
    assert set(Household.objects.values_list("poverty_status", flat=True)) == {"0"}  # 四个不摘
    with pytest.raises(RegionExitError, match="已摘帽"):
        services.record_county_exit(actor=admin, county_code=MINGXI, year=2019, approved_on=dt.date(2018, 12, 2),
                                    document="x", source="test")
    assert CountyExit.objects.count() == 1
    assert services.county_readiness(MINGXI, 2019).poor_households == 3


def test_money_is_checked():
    assert services._money("1.005") == Decimal("1.00") or services._money("1.005") == Decimal("1.01")
    with pytest.raises(RegionExitError):
        services._money("abc")
