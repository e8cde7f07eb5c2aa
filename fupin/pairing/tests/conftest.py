"""Fixtures of the pairing tests: a poor village of 明溪县 with households, helpers, officers."""

from __future__ import annotations

import datetime as dt

import pytest

from fupin.pairing.models import Helper
from fupin.regions.models import Region
from fupin.testing import MINGXI, first_village

START = dt.date(2016, 1, 10)


@pytest.fixture
def village(db):
    code = first_village(MINGXI, 3)
    Region.objects.filter(code=code).update(is_poor_village=True)
    return Region.objects.get(code=code)


@pytest.fixture
def township_officer(make_user, village):
    return make_user("township", village.code[:9] + "000")


@pytest.fixture
def county_officer(make_user):
    return make_user("county", MINGXI)


@pytest.fixture
def make_helper(db):
    def make(name="张帮扶", *, region_code=MINGXI, unit="明溪县农业局", unit_level="county", user=None, **extra):
        return Helper.objects.create(name=name, unit=unit, unit_level=unit_level, region_code=region_code,
                                     user=user, phone="13800000000", **extra)
    return make


@pytest.fixture
def households(make_household, village):
    return [make_household(village.code, members=2) for _ in range(7)]
