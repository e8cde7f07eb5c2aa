"""Fixtures of the identification tests: villages of 明溪县 (in scope) and 宁化县 (out of scope), users of
each role, and applications made through the real service."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from fupin.identification import services
from fupin.testing import MINGXI, NINGHUA, first_village, household_data, member_data, next_id_number

D = dt.date(2024, 3, 1)  # the day the applications are made
MEETING = {"held_on": "2024-03-02", "representatives_total": 30, "representatives_present": 24,
           "votes_for": 20, "votes_against": 3}
OPINION = {"reviewer": "审核人", "opinion": "同意 / agreed"}
SURVEY = {"surveyor": "驻村队员", "surveyed_on": "2024-03-01", "findings": "收入属实 / income as declared"}
COMPARISON = {"compared_on": "2024-03-10", "comparison_result": "无比中 / no hits"}
SIGNATURES = {"village_secretary": "村书记", "first_secretary": "第一书记"}


def day(n: int) -> dt.date:
    """``n`` days after :data:`D`."""
    return D + dt.timedelta(days=n)


def poor_household(**extra: Any) -> dict[str, Any]:
    """Three persons with 1,800 yuan net a year between them: 600 per person, below any poverty line."""
    return household_data(income_wage="1200", income_business="600", identification_year=2024,
                          planned_exit_year=None, **extra)


def rich_household(**extra: Any) -> dict[str, Any]:
    """Three persons with 300,000 yuan a year: 100,000 per person, above any poverty line."""
    return household_data(income_wage="300000", income_business="0", identification_year=2024,
                          planned_exit_year=None, **extra)


def three_members(address6: str = "350421") -> list[dict[str, Any]]:
    return [member_data("01", id_number=next_id_number(address6)),
            member_data("02", id_number=next_id_number(address6)),
            member_data("03", id_number=next_id_number(address6, birth=dt.date(2010, 1, 1)), schooling="6", education="")]


@pytest.fixture
def mingxi_village(db) -> str:
    return first_village(MINGXI)  # 350421100001 城东居委会 (雪峰镇)


@pytest.fixture
def other_mingxi_village(db) -> str:
    return first_village(MINGXI, 1)


@pytest.fixture
def ninghua_village(db) -> str:
    return first_village(NINGHUA)


@pytest.fixture
def people(make_user, mingxi_village) -> dict[str, Any]:
    """One user per role that takes part, bound where such a user works, plus outsiders."""
    township = mingxi_village[:9] + "000"
    return {
        "village": make_user("village", mingxi_village),
        "workteam": make_user("workteam", mingxi_village),
        "township": make_user("township", township),
        "county": make_user("county", MINGXI),
        "ninghua_county": make_user("county", NINGHUA),
        "city": make_user("city", "350400000000"),
        "admin": make_user("admin", MINGXI),
    }


@pytest.fixture
def apply(people, mingxi_village) -> Callable[..., Any]:
    """``apply(village_code=..., on=..., procedure_id=..., rich=False)`` → a new case (by the village cadre)."""

    def _apply(village_code: str | None = None, *, on: dt.date = D, actor: Any = None, rich: bool = False,
               procedure_id: str | None = None, **evidence: Any):
        code = village_code or mingxi_village
        return services.start_case(
            actor=actor or people["village"], village_code=code,
            data=rich_household() if rich else poor_household(), members=three_members(code[:6]),
            evidence=evidence or None, on=on, procedure_id=procedure_id, source="test")

    return _apply
