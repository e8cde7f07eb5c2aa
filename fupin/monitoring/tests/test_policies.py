"""Monitoring settings (监测政策设置): a province's lines and a county's procedure stack; a bad setting is refused."""

from __future__ import annotations

import datetime as dt

import pytest

from fupin.monitoring import services
from fupin.monitoring.errors import MonitoringError
from fupin.monitoring.models import MonitoringSetting
from fupin.monitoring.policies import effective_monitoring
from fupin.testing import MINGXI

from .conftest import ON

pytestmark = pytest.mark.django_db


@pytest.fixture
def settings_rows(db):
    province = MonitoringSetting.objects.create(
        region_code="350000000000", version="monitoring-2021.1+35.1", valid_from=dt.date(2024, 1, 1),
        overrides={"lines": [{"region": "35", "year": 2024, "amount": 11000, "note": "福建省2024 (test)"}]})
    county = MonitoringSetting.objects.create(
        region_code=MINGXI, version="monitoring-2021.1+350421.1", valid_from=dt.date(2024, 1, 1),
        overrides={"procedure": {"publicity_days": {"village_publicity": 7}}})
    return province, county


def test_settings_stack_from_the_province_down(settings_rows, village):
    policy = effective_monitoring(village, ON)
    assert policy.version == "monitoring-2021.1+350421.1" and policy.based_on == "monitoring-2021.1+35.1"
    assert policy.line(year=2024, region_code=MINGXI).amount == 11000
    assert policy.procedure.step("village_publicity").publicity_days == 7
    assert effective_monitoring(village, dt.date(2023, 12, 31)).version == "monitoring-2021.1"  # not valid yet
    assert effective_monitoring("350424000000", ON).procedure.step("village_publicity").publicity_days == 5


def test_a_flag_keeps_the_line_and_version_of_its_day(settings_rows, people, household):
    obj = services.flag_household(actor=people["village"], household_id=household().pk,
                                  causes=["income_below_line"], on=ON)
    assert (float(obj.line_amount), obj.line_year, obj.policy_version) == (11000, 2024, "monitoring-2021.1+350421.1")


def test_a_setting_shortening_the_notice_is_refused(village):
    MonitoringSetting.objects.create(region_code=MINGXI, version="bad.1", valid_from=dt.date(2024, 1, 1),
                                     overrides={"procedure": {"publicity_days": {"village_publicity": 3}}})
    with pytest.raises(MonitoringError, match=r"bad\.1"):
        effective_monitoring(village, ON)
