"""Pairing limits (结对限额): defaults, county overrides, and the pure checks."""

import datetime as dt
from decimal import Decimal

import pytest

from fupin.policy import pairing_rules as pr


def test_defaults_are_documented_values():
    limits = pr.DEFAULT_LIMITS
    assert limits.max_households_per_helper == 5
    assert limits.household_limit("county") == 5 and limits.household_limit("village") == 5
    assert limits.max_helpers_per_household == 1
    assert limits.min_attendance_days == 20
    assert limits.min_county_funds_per_township == Decimal(500_000)  # seed 000: 不少于50万元
    assert limits.first_secretary_required


def test_override_gives_a_new_version_and_keeps_the_base():
    county = pr.apply_overrides(pr.DEFAULT_LIMITS, {"max_households_per_helper": 8,
                                                    "max_households_by_unit_level": {"village": 10}},
                                version="350421.1")
    assert county.version == "350421.1"
    assert county.household_limit("county") == 8 and county.household_limit("village") == 10
    assert pr.DEFAULT_LIMITS.household_limit("village") == 5
    deeper = pr.apply_overrides(county, {"max_households_by_unit_level": {"township": 6}}, version="x.2")
    assert dict(deeper.max_households_by_unit_level) == {"village": 10, "township": 6}
    assert deeper.to_dict()["max_households_by_unit_level"] == {"village": 10, "township": 6}


@pytest.mark.parametrize("overrides", [
    {"max_households": 3},
    {"max_households_per_helper": 0},
    {"max_households_per_helper": "many"},
    {"max_households_per_helper": True},
    {"max_households_by_unit_level": {"ministry": 3}},
    {"max_households_by_unit_level": 3},
    {"min_attendance_days": 40},
    {"first_secretary_required": "yes"},
])
def test_bad_overrides_are_refused(overrides):
    with pytest.raises(pr.PairingLimitError) as exc:
        pr.apply_overrides(pr.DEFAULT_LIMITS, overrides, version="bad")
    assert " / " in exc.value.message


def test_helper_load_limit():
    pr.check_helper_load(pr.DEFAULT_LIMITS, unit_level="county", current=4)
    with pytest.raises(pr.PairingLimitError) as exc:
        pr.check_helper_load(pr.DEFAULT_LIMITS, unit_level="county", current=5, helper_name="张三")
    assert exc.value.code == "helper_over_limit"
    assert "张三" in exc.value.zh and "最多5户" in exc.value.zh and "default-2015.1" in exc.value.message
    village = pr.apply_overrides(pr.DEFAULT_LIMITS, {"max_households_by_unit_level": {"village": 10}}, version="v")
    pr.check_helper_load(village, unit_level="village", current=9)
    with pytest.raises(pr.PairingLimitError):
        pr.check_helper_load(village, unit_level="city", current=5)


def test_household_helpers_limit():
    pr.check_household_helpers(pr.DEFAULT_LIMITS, current=0)
    with pytest.raises(pr.PairingLimitError) as exc:
        pr.check_household_helpers(pr.DEFAULT_LIMITS, current=1, household_number="35042110020100001")
    assert exc.value.field_name == "household" and "调整帮扶人" in exc.value.zh
    two = pr.apply_overrides(pr.DEFAULT_LIMITS, {"max_helpers_per_household": 2}, version="v")
    pr.check_household_helpers(two, current=1)


def test_periods_and_attendance():
    day = dt.date(2016, 3, 10)
    pr.check_period(day, None, today=day)
    pr.check_period(day, day)
    with pytest.raises(pr.PairingLimitError):
        pr.check_period(day, day - dt.timedelta(days=1))
    with pytest.raises(pr.PairingLimitError):
        pr.check_period(day, None, today=day - dt.timedelta(days=1))
    assert pr.month_start(day) == dt.date(2016, 3, 1)
    assert pr.days_in_month(dt.date(2016, 2, 1)) == 29 and pr.days_in_month(dt.date(2015, 12, 1)) == 31
    pr.check_attendance(29, dt.date(2016, 2, 1))
    with pytest.raises(pr.PairingLimitError):
        pr.check_attendance(30, dt.date(2016, 2, 1))
    assert pr.attendance_short(pr.DEFAULT_LIMITS, 19) and not pr.attendance_short(pr.DEFAULT_LIMITS, 20)
    assert pr.funds_short(pr.DEFAULT_LIMITS, Decimal(900_000), townships=2)
    assert not pr.funds_short(pr.DEFAULT_LIMITS, Decimal(500_000))


def test_unit_levels_match_the_django_choices():
    assert set(pr.UNIT_LEVELS) == set(pr.UNIT_LEVEL_LABELS)


def test_helper_role_reads_the_registry_masked_and_sees_no_region():
    from fupin.policy import roles

    assert roles.has_capability("helper", roles.VIEW_REGISTRY)
    assert not roles.may_see_full_id("helper")
    assert not roles.has_capability("helper", roles.EDIT_REGISTRY)
    assert not roles.has_capability("helper", roles.VIEW_PAIRING)
    assert not roles.sees_region("helper") and roles.sees_region("village")
    assert roles.ROLES["helper"].zh == "帮扶责任人"
    assert roles.has_capability("township", roles.MANAGE_PAIRING)
    assert not roles.has_capability("village", roles.MANAGE_PAIRING)
    assert roles.has_capability("workteam", roles.RECORD_ATTENDANCE)
