"""Services of the pairing app: pairing, limits, transfers with history, teams, attendance, audit rows."""

import datetime as dt
from decimal import Decimal

import pytest

from fupin.core.models import ChangeRecord
from fupin.core.scoping import ScopeError
from fupin.pairing import selectors, services
from fupin.pairing.limits import effective_limits, limits_for_regions
from fupin.pairing.models import (
    AttendanceRecord,
    CountyPairing,
    HouseholdPairing,
    TeamMember,
    UnitVillagePairing,
)
from fupin.pairing.services import PairingError
from fupin.policy import clock
from fupin.registry.services import household_leaves
from fupin.testing import MINGXI, NINGHUA, first_village

from .conftest import START


def test_pair_writes_the_pairing_and_its_audit_row(township_officer, make_helper, households):
    helper = make_helper()
    h = households[0]
    pairing = services.pair_household(actor=township_officer, helper_id=helper.pk, household_id=h.pk,
                                      started_on=START)
    assert pairing.is_current and pairing.started_on == START
    assert list(selectors.current_helpers(h.pk)) == [helper]
    assert list(selectors.households_of_helper(helper)) == [h]
    row = ChangeRecord.objects.get(model="pairing.householdpairing", object_id=str(pairing.pk))
    assert row.action == "create" and row.household_id == h.pk and row.region_code == h.village_code
    assert row.changes["helper"] == [None, helper.pk] and row.actor == township_officer


def test_workload_limit_is_enforced_with_a_clear_error(township_officer, make_helper, households):
    helper = make_helper("李满")
    for h in households[:5]:
        services.pair_household(actor=township_officer, helper_id=helper.pk, household_id=h.pk, started_on=START)
    with pytest.raises(PairingError) as exc:
        services.pair_household(actor=township_officer, helper_id=helper.pk, household_id=households[5].pk,
                                started_on=START)
    message = exc.value.field_errors["helper"][0]
    assert "李满" in message and "已结对5户" in message and "最多5户" in message
    assert HouseholdPairing.objects.filter(helper=helper).count() == 5
    # ending one pairing frees a place
    first = HouseholdPairing.objects.filter(helper=helper).order_by("pk").first()
    services.end_household_pairing(actor=township_officer, pairing_id=first.pk, reason="exited",
                                   ended_on=START + dt.timedelta(days=30))
    services.pair_household(actor=township_officer, helper_id=helper.pk, household_id=households[5].pk,
                            started_on=START)


def test_county_override_raises_the_limit(township_officer, county_officer, make_helper, households):
    services.add_pairing_setting(actor=county_officer, region_code=MINGXI, version="350421-2016.1",
                                 overrides={"max_households_by_unit_level": {"county": 6}}, valid_from=START)
    assert effective_limits(households[0].village_code, START).household_limit("county") == 6
    assert effective_limits(households[0].village_code, START - dt.timedelta(days=1)).household_limit("county") == 5
    assert effective_limits(first_village(NINGHUA), START).household_limit("county") == 5
    assert limits_for_regions({MINGXI, NINGHUA}, START)[MINGXI].version == "350421-2016.1"
    helper = make_helper()
    for h in households[:6]:
        services.pair_household(actor=township_officer, helper_id=helper.pk, household_id=h.pk, started_on=START)
    with pytest.raises(PairingError, match="最多6户"):
        services.pair_household(actor=township_officer, helper_id=helper.pk, household_id=households[6].pk,
                                started_on=START)


def test_a_bad_setting_and_a_foreign_region_are_refused(county_officer, township_officer):
    with pytest.raises(PairingError):
        services.add_pairing_setting(actor=county_officer, region_code=MINGXI, version="x",
                                     overrides={"max_households_per_helper": 0}, valid_from=START)
    with pytest.raises(ScopeError):
        services.add_pairing_setting(actor=county_officer, region_code=NINGHUA, version="y", overrides={},
                                     valid_from=START)
    with pytest.raises(ScopeError):  # township officers do not manage policy
        services.add_pairing_setting(actor=township_officer, region_code=township_officer.region.code,
                                     version="z", overrides={}, valid_from=START)


def test_one_helper_per_household_by_default(township_officer, make_helper, households):
    a, b = make_helper("甲"), make_helper("乙")
    h = households[0]
    services.pair_household(actor=township_officer, helper_id=a.pk, household_id=h.pk, started_on=START)
    with pytest.raises(PairingError, match="调整帮扶人"):
        services.pair_household(actor=township_officer, helper_id=b.pk, household_id=h.pk, started_on=START)
    with pytest.raises(PairingError, match=r"已与该户结对|调整帮扶人"):
        services.pair_household(actor=township_officer, helper_id=a.pk, household_id=h.pk, started_on=START)


def test_transfer_keeps_the_history(township_officer, make_helper, households):
    a, b, c = make_helper("甲"), make_helper("乙"), make_helper("丙")
    h = households[0]
    first = services.pair_household(actor=township_officer, helper_id=a.pk, household_id=h.pk, started_on=START)
    day2 = dt.date(2017, 3, 1)
    second = services.transfer_household(actor=township_officer, pairing_id=first.pk, to_helper_id=b.pk, on=day2,
                                         comment="甲调离本县")
    day3 = dt.date(2018, 6, 1)
    third = services.transfer_household(actor=township_officer, pairing_id=second.pk, to_helper_id=c.pk, on=day3)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.ended_on, first.end_reason, first.transfer_to_id) == (day2, "transfer", second.pk)
    assert (second.started_on, second.ended_on, second.transfer_to_id) == (day2, day3, third.pk)
    assert third.is_current and third.helper == c
    history = list(selectors.pairing_history(h.pk).order_by("started_on"))
    assert [p.helper.name for p in history] == ["甲", "乙", "丙"]
    assert list(selectors.current_helpers(h.pk)) == [c]
    assert list(selectors.households_of_helper(a)) == []
    assert HouseholdPairing.objects.count() == 3  # nothing deleted
    with pytest.raises(PairingError, match="已于"):  # an ended pairing cannot be transferred again
        services.transfer_household(actor=township_officer, pairing_id=first.pk, to_helper_id=c.pk, on=day3)
    with pytest.raises(PairingError, match="另一名"):
        services.transfer_household(actor=township_officer, pairing_id=third.pk, to_helper_id=c.pk, on=day3)
    with pytest.raises(PairingError, match="早于"):
        services.transfer_household(actor=township_officer, pairing_id=third.pk, to_helper_id=a.pk,
                                    on=day3 - dt.timedelta(days=1))
    actions = list(ChangeRecord.objects.filter(household_id=h.pk, model="pairing.householdpairing")
                   .values_list("action", flat=True))
    assert sorted(actions) == ["create", "create", "create", "status", "status", "update", "update"]


def test_transfer_respects_the_new_helpers_limit(township_officer, make_helper, households):
    full, other = make_helper("满"), make_helper("空")
    for h in households[:5]:
        services.pair_household(actor=township_officer, helper_id=full.pk, household_id=h.pk, started_on=START)
    p = services.pair_household(actor=township_officer, helper_id=other.pk, household_id=households[5].pk,
                                started_on=START)
    with pytest.raises(PairingError, match="最多5户"):
        services.transfer_household(actor=township_officer, pairing_id=p.pk, to_helper_id=full.pk, on=START)
    p.refresh_from_db()
    assert p.is_current  # refused as a whole


def test_scope_of_pairing_writes(make_user, make_helper, households, make_household):
    helper = make_helper()
    h = households[0]
    for role, region in (("county", NINGHUA), ("village", h.village_code), ("city", "350400000000")):
        with pytest.raises(ScopeError):
            services.pair_household(actor=make_user(role, region), helper_id=helper.pk, household_id=h.pk,
                                    started_on=START)
    ninghua_helper = make_helper("宁化人", region_code=NINGHUA)
    with pytest.raises(PairingError, match="不在您的范围内"):
        services.pair_household(actor=make_user("county", MINGXI), helper_id=ninghua_helper.pk, household_id=h.pk,
                                started_on=START)
    assert not HouseholdPairing.objects.exists()


def test_a_left_household_cannot_be_paired_and_a_leaving_helper_ends_pairings(
        township_officer, county_officer, make_helper, households):
    helper = make_helper()
    h0, h1, h2 = households[:3]
    household_leaves(actor=county_officer, household_id=h2.pk, reason="removed", comment="清退")
    with pytest.raises(PairingError, match="不在册"):
        services.pair_household(actor=township_officer, helper_id=helper.pk, household_id=h2.pk, started_on=START)
    for h in (h0, h1):
        services.pair_household(actor=township_officer, helper_id=helper.pk, household_id=h.pk, started_on=START)
    services.helper_leaves(actor=county_officer, helper_id=helper.pk, on=dt.date(2017, 1, 1), comment="调离")
    helper.refresh_from_db()
    assert not helper.active
    assert set(HouseholdPairing.objects.values_list("end_reason", flat=True)) == {"helper_left"}
    with pytest.raises(PairingError, match="已调离"):
        services.pair_household(actor=township_officer, helper_id=helper.pk, household_id=h0.pk, started_on=START)


def test_end_needs_a_reason(township_officer, make_helper, households):
    p = services.pair_household(actor=township_officer, helper_id=make_helper().pk, household_id=households[0].pk,
                                started_on=START)
    for reason, comment in (("", ""), ("transfer", ""), ("other", " ")):
        with pytest.raises(PairingError):
            services.end_household_pairing(actor=township_officer, pairing_id=p.pk, reason=reason, comment=comment)
    services.end_household_pairing(actor=township_officer, pairing_id=p.pk, reason="other", comment="户主去世并户")
    p.refresh_from_db()
    assert p.end_reason == "other" and p.ended_on == clock.today()


def test_helper_create_update_and_login_link(county_officer, township_officer, make_user):
    login = make_user("helper", MINGXI)
    helper = services.create_helper(actor=county_officer, data={
        "name": "王干部", "unit": "县财政局", "unit_level": "county", "phone": "139", "region_code": MINGXI,
        "user": login.pk})
    assert helper.user == login and selectors.helper_for_user(login) == helper
    with pytest.raises(PairingError, match="已关联"):
        services.create_helper(actor=county_officer, data={
            "name": "重复", "unit": "x", "unit_level": "county", "region_code": MINGXI, "user": login.pk})
    with pytest.raises(PairingError):
        services.create_helper(actor=county_officer, data={"name": "", "unit_level": "ministry",
                                                           "region_code": MINGXI})
    with pytest.raises(ScopeError):  # a township officer does not register county cadres
        services.create_helper(actor=township_officer, data={"name": "a", "unit": "b", "unit_level": "county",
                                                             "region_code": MINGXI})
    updated = services.update_helper(actor=county_officer, helper_id=helper.pk, expected_version=1,
                                     data={"phone": "13911112222", "user": ""})
    assert updated.version == 2 and updated.user is None and updated.phone == "13911112222"
    row = ChangeRecord.objects.filter(model="pairing.helper", action="update").get()
    assert row.changes == {"phone": ["139", "13911112222"], "user": [login.pk, None]}
    with pytest.raises(services.VersionConflict):
        services.update_helper(actor=county_officer, helper_id=helper.pk, expected_version=1, data={"phone": "1"})


def test_place_pairings_start_transfer_end(county_officer, township_officer, village):
    p = services.start_place_pairing(actor=township_officer, kind="unit_village", started_on=START,
                                     data={"unit": "县交通局", "unit_level": "county", "village": village.code})
    new = services.transfer_place_pairing(actor=township_officer, kind="unit_village", pairing_id=p.pk,
                                          data={"unit": "县水利局"}, on=dt.date(2017, 1, 1))
    p.refresh_from_db()
    assert (p.ended_on, p.end_reason, p.transfer_to_id) == (dt.date(2017, 1, 1), "transfer", new.pk)
    assert (new.unit, new.unit_level, new.village_id) == ("县水利局", "county", village.code)
    assert UnitVillagePairing.objects.count() == 2
    services.end_place_pairing(actor=township_officer, kind="unit_village", pairing_id=new.pk, reason="period_over",
                               ended_on=dt.date(2018, 1, 1))
    leader = services.start_place_pairing(actor=county_officer, kind="leader_township", started_on=START,
                                          data={"leader_name": "陈县长", "leader_title": "副县长",
                                                "township": village.code[:9] + "000"})
    assert leader.township_id == village.code[:9] + "000"
    services.start_place_pairing(actor=county_officer, kind="enterprise_village", started_on=START,
                                 data={"enterprise": "明溪林业公司", "village": village.code, "projects": 2,
                                       "donated": "150000"})
    strong = first_village(MINGXI, 1)
    services.start_place_pairing(actor=county_officer, kind="village", started_on=START,
                                 data={"strong_village": strong, "weak_village": village.code, "project": "平贝母"})
    with pytest.raises(PairingError):
        services.start_place_pairing(actor=county_officer, kind="village", started_on=START,
                                     data={"strong_village": village.code, "weak_village": village.code})
    with pytest.raises(PairingError):  # a village is not a township
        services.start_place_pairing(actor=county_officer, kind="leader_township", started_on=START,
                                     data={"leader_name": "x", "township": village.code})
    with pytest.raises(ScopeError):
        services.start_place_pairing(actor=county_officer, kind="unit_village", started_on=START,
                                     data={"unit": "x", "unit_level": "county", "village": first_village(NINGHUA)})


def test_county_pairing_with_yearly_funds(make_user):
    city = make_user("admin", "350400000000")
    ninghua_township = "350424100000"
    pairing = services.start_place_pairing(actor=city, kind="county", started_on=START, data={
        "helping_county": MINGXI, "helped_county": NINGHUA, "helped_township": ninghua_township})
    for year, amount in ((2016, "500000"), (2017, "450000")):
        services.set_county_funds(actor=city, pairing_id=pairing.pk, year=year, committed=amount)
    services.set_county_funds(actor=city, pairing_id=pairing.pk, year=2016, committed="500000", delivered="300000")
    funds = {f.year: (f.committed, f.delivered) for f in CountyPairing.objects.get().funds.all()}
    assert funds == {2016: (Decimal("500000.00"), Decimal("300000.00")), 2017: (Decimal("450000.00"), Decimal("0.00"))}
    assert ChangeRecord.objects.filter(model="pairing.countypairingfund").count() == 3
    with pytest.raises(PairingError):  # the township must lie in the helped county
        services.start_place_pairing(actor=city, kind="county", started_on=START, data={
            "helping_county": NINGHUA, "helped_county": MINGXI, "helped_township": ninghua_township})
    # seen from both counties and the township, not from a third county
    assert selectors.place_pairings(make_user("county", MINGXI), "county").count() == 1
    assert selectors.place_pairings(make_user("township", ninghua_township), "county").count() == 1
    assert selectors.place_pairings(make_user("county", "350423000000"), "county").count() == 0


def test_team_members_first_secretary_and_attendance(township_officer, make_user, village, make_helper):
    team = services.create_team(actor=township_officer, village_code=village.code, sending_unit="三明市财政局",
                                unit_level="city", started_on=START)
    helper = make_helper("林书记", unit="三明市财政局", unit_level="city", region_code="350400000000")
    fs = services.add_team_member(actor=township_officer, team_id=team.pk, helper_id=helper.pk,
                                  is_first_secretary=True, joined_on=START)
    assert (fs.name, fs.unit) == ("林书记", "三明市财政局")
    services.add_team_member(actor=township_officer, team_id=team.pk, name="队员甲", unit="市财政局",
                             joined_on=START)
    with pytest.raises(PairingError, match="已有第一书记"):
        services.add_team_member(actor=township_officer, team_id=team.pk, name="另一书记", is_first_secretary=True,
                                 joined_on=START)
    services.team_member_leaves(actor=township_officer, member_id=fs.pk, left_on=dt.date(2017, 6, 30))
    successor = services.add_team_member(actor=township_officer, team_id=team.pk, name="接任书记",
                                         is_first_secretary=True, joined_on=dt.date(2017, 7, 1))
    assert TeamMember.objects.filter(team=team, is_first_secretary=True).count() == 2  # history kept
    workteam_user = make_user("workteam", village.code)
    row = services.record_attendance(actor=workteam_user, member_id=successor.pk, month=dt.date(2017, 7, 15),
                                     days_present=18)
    assert row.month == dt.date(2017, 7, 1)
    services.record_attendance(actor=workteam_user, member_id=successor.pk, month=dt.date(2017, 7, 1),
                               days_present=22, comment="补登")
    assert AttendanceRecord.objects.get().days_present == 22
    assert ChangeRecord.objects.filter(model="pairing.attendancerecord").count() == 2
    with pytest.raises(PairingError):
        services.record_attendance(actor=workteam_user, member_id=successor.pk, month=dt.date(2017, 7, 1),
                                   days_present=32)
    with pytest.raises(PairingError, match="期间"):  # before the member joined
        services.record_attendance(actor=workteam_user, member_id=successor.pk, month=dt.date(2017, 5, 1),
                                   days_present=20)
    with pytest.raises(ScopeError):
        services.record_attendance(actor=make_user("village", village.code), member_id=successor.pk,
                                   month=dt.date(2017, 8, 1), days_present=20)
    services.end_team(actor=township_officer, team_id=team.pk, ended_on=dt.date(2018, 12, 31))
    assert not TeamMember.objects.filter(team=team, left_on__isnull=True).exists()
    members = selectors.team_members(team)
    assert len(members) == 3 and all(m.left_on for m in members)
    assert {m.name: [r.days_present for r in m.months] for m in members}["接任书记"] == [22]
