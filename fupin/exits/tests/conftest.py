"""Fixtures of the exit tests: 明溪县 villages (in scope) and 宁化县 (out of scope), users of each role, and
households that meet the 2016 exit criteria (3,500 yuan per person > the 2016 line of 2,952; identified in
2014), built through the real registry service."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from fupin.exits import services
from fupin.exits.models import ExitCase
from fupin.testing import MINGXI, NINGHUA, first_village, make_household_for

D = dt.date(2016, 11, 1)  # the day the exits are proposed (exit year 2016)
YEAR = 2016
MEETING = {"held_on": "2016-11-02", "representatives_total": 9, "representatives_present": 7, "votes_for": 6,
           "votes_against": 1}
GUARANTEES = ("food_secure", "clothing_secure", "education_secure", "medical_secure", "housing_secure",
              "drinking_water_safe")
VERIFY = {"verified_on": "2016-11-03", "committee_verifier": "村主任", "workteam_verifier": "第一书记",
          "criterion_income_above_line": "工资和种植收入核实属实",
          **{f"criterion_{g}": "入户查看属实" for g in GUARANTEES}}


def day(n: int) -> dt.date:
    """``n`` days after :data:`D`."""
    return D + dt.timedelta(days=n)


def consent_of(case: ExitCase, on: str = "2016-11-04") -> dict[str, str]:
    return {"signed_by": case.household.head_name, "signed_on": on}


@pytest.fixture
def mingxi_village(db) -> str:
    return first_village(MINGXI)


@pytest.fixture
def other_mingxi_village(db) -> str:
    return first_village(MINGXI, 1)


@pytest.fixture
def ninghua_village(db) -> str:
    return first_village(NINGHUA)


@pytest.fixture
def people(make_user, mingxi_village, ninghua_village) -> dict[str, Any]:
    township = mingxi_village[:9] + "000"
    return {
        "village": make_user("village", mingxi_village),
        "workteam": make_user("workteam", mingxi_village),
        "township": make_user("township", township),
        "county": make_user("county", MINGXI),
        "ninghua_county": make_user("county", NINGHUA),
        "ninghua_village": make_user("village", ninghua_village),
        "city": make_user("city", "350400000000"),
        "auditor": make_user("auditor", MINGXI),
    }


@pytest.fixture
def household(mingxi_village) -> Callable[..., Any]:
    """``household(village_code=None, **fields)`` → a household that meets the criteria unless ``fields``
    say otherwise (3 persons, 10,500 yuan a year)."""

    def _make(village_code: str | None = None, **fields: Any):
        values = {"income_wage": "9000", "income_business": "1500", "identification_year": 2014, **fields}
        return make_household_for(village_code or mingxi_village, **values)

    return _make


@pytest.fixture
def propose(people) -> Callable[..., ExitCase]:
    def _propose(h, *, actor: Any = None, on: dt.date = D, year: int | None = YEAR) -> ExitCase:
        return services.propose(actor=actor or people["village"], household_id=h.pk, on=on, year=year,
                                source="test")

    return _propose
