"""Fixtures of the assistance tests: households in 明溪县 (in scope) and 宁化县 (out of scope), users of
each role, helpers with logins and pairings (rows made directly: the pairing app's services are tested
there), and the actors of the assistance services."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

from fupin.pairing.models import Helper, HouseholdPairing
from fupin.policy import clock
from fupin.testing import MINGXI, NINGHUA, first_village, make_household_for, make_user_for

TODAY = clock.today()


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def make_helper(name: str, region_code: str, *, user: Any = None, unit: str = "明溪县农业农村局",
                unit_level: str = "county") -> Helper:
    return Helper.objects.create(name=name, unit=unit, unit_level=unit_level, phone="13800000000", user=user,
                                 region_code=region_code)


def pair(helper: Helper, household: Any, started_on: dt.date | None = None) -> HouseholdPairing:
    return HouseholdPairing.objects.create(helper=helper, household=household, started_on=started_on or ago(60))


@pytest.fixture
def world(db) -> SimpleNamespace:
    """Two villages of 明溪县 and one of 宁化县; a helper (login ``helper`` role) paired to two of the three
    明溪 households; a second helper paired to the third; officers of each level; outsiders."""
    village = first_village(MINGXI)
    other = first_village(MINGXI, 1)
    ninghua = first_village(NINGHUA)
    w = SimpleNamespace(village=village, other_village=other, ninghua_village=ninghua)
    # main cause 1 (因病) and 9 (缺资金): Sanming's 医疗救助 and 金融扶持 pathways apply (一般贫困户)
    w.h1 = make_household_for(village, main_cause="1", other_cause_1="9", planned_exit_year=2026)
    w.h2 = make_household_for(village, main_cause="3")
    w.h3 = make_household_for(other, main_cause="7")
    w.far = make_household_for(ninghua, main_cause="1")
    w.helper_user = make_user_for("helper", MINGXI, username="wang_helper")
    w.helper = make_helper("王帮扶", MINGXI, user=w.helper_user)
    w.helper2_user = make_user_for("helper", MINGXI, username="li_helper")
    w.helper2 = make_helper("李帮扶", MINGXI, user=w.helper2_user, unit="雪峰镇政府", unit_level="township")
    w.p1 = pair(w.helper, w.h1)
    w.p2 = pair(w.helper, w.h2)
    w.p3 = pair(w.helper2, w.h3)
    w.county = make_user_for("county", MINGXI)
    w.township = make_user_for("township", village[:9] + "000")
    w.cadre = make_user_for("village", village)
    w.other_cadre = make_user_for("village", other)
    w.city = make_user_for("city", "350400000000")
    w.ninghua_county = make_user_for("county", NINGHUA)
    return w
