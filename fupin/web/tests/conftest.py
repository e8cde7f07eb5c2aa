"""Fixtures of the page tests: two counties of Sanming (明溪县 in scope, 宁化县 out of scope) with households."""

from __future__ import annotations

from typing import Any

import pytest

from fupin.testing import MINGXI, NINGHUA, first_village

CITY = "350400000000"  # 三明市


@pytest.fixture
def mingxi_village(db) -> str:
    return first_village(MINGXI)  # 350421100001 城东居委会 (雪峰镇)


@pytest.fixture
def ninghua_village(db) -> str:
    return first_village(NINGHUA)


@pytest.fixture
def mingxi_household(make_household, mingxi_village):
    """Three persons, wage 6000 + business 1500 = net 7500, 2500.00 per person."""
    return make_household(mingxi_village, members=3)


@pytest.fixture
def ninghua_household(make_household, ninghua_village):
    return make_household(ninghua_village, members=4)


@pytest.fixture
def login(client, make_user):
    """``login(role, region_code)`` signs a new user in on ``client`` and returns the user."""

    def _login(role: str, region_code: str = MINGXI, **extra: Any):
        user = make_user(role, region_code, **extra)
        client.force_login(user)
        return user

    return _login
