"""Helpers for tests (and the smoke test of every factory): real regions, users, households; logging in
(登录) in the browser tests.

Kept in the package so the tests of every app and the browser tests share one way of building data.
"""

from __future__ import annotations

import itertools
import re
from datetime import date
from typing import Any

import factory

from fupin.accounts.models import User
from fupin.policy.idnumber import make_id_number
from fupin.regions.loader import load_regions
from fupin.regions.models import Region

MINGXI = "350421000000"  # 明溪县
MINGXI_TOWNSHIP = "350421100000"  # 雪峰镇
NINGHUA = "350424000000"  # 宁化县
TEST_PASSWORD = "Fupin-test-2026!"

_sequence = itertools.count(1)


def load_test_regions() -> None:
    """Load Sanming's real codes (2,124 regions) unless present."""
    if not Region.objects.filter(code=MINGXI).exists():
        load_regions(prefix="3504")


def first_village(prefix_code: str, n: int = 0) -> str:
    prefix = prefix_code.rstrip("0")
    return list(Region.objects.filter(level=5, code__startswith=prefix[:6]).order_by("code")
                .values_list("code", flat=True)[: n + 1])[n]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    role = "county"
    password = factory.django.Password(TEST_PASSWORD)


def make_user_for(role: str, region_code: str, **extra: Any) -> User:
    region = Region.objects.get(code=region_code)
    return UserFactory(role=role, region=region, **extra)


def next_id_number(address6: str = "350421", birth: date = date(1970, 5, 1), sex: str | None = None) -> str:
    """A fresh valid ID number each call (unique within a test run)."""
    n = next(_sequence)
    return make_id_number(address6, date(birth.year, birth.month, 1 + n % 28), n % 1000, sex=sex)


def member_data(relation: str = "01", **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": extra.pop("name", f"成员{next(_sequence)}"), "relation": relation, "ethnicity": "01",
        "education": "3", "schooling": "1", "health": "1", "labour_skill": "1",
    }
    if "id_number" not in extra:
        data["id_number"] = next_id_number()
    data.update(extra)
    return data


def household_data(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "identification_standard": "1", "category": "1", "category_form_version": "2016",
        "main_cause": "1", "poverty_status": "0", "identification_year": 2014, "planned_exit_year": 2016,
        "income_wage": "6000", "income_business": "1500",
    }
    data.update(extra)
    return data


def system_actor(region_code: str = "350000000000") -> User:
    """An administrator of the province, for building fixtures through the services."""
    user = User.objects.filter(username="_fixture_admin").first()
    if user is None:
        user = UserFactory(username="_fixture_admin", role="admin", region=Region.objects.get(code=region_code))
    return user


def make_household_for(village_code: str | None = None, *, members: int = 3, actor: User | None = None,
                       member_overrides: list[dict[str, Any]] | None = None, **fields: Any):
    """Register a household of ``members`` persons (the first is the head) through the service."""
    from fupin.registry.services import create_household

    village_code = village_code or first_village(MINGXI)
    people = [member_data("01" if i == 0 else "03") for i in range(members)]
    for i, override in enumerate(member_overrides or []):
        people[i].update(override)
    return create_household(actor=actor or system_actor(), village_code=village_code,
                            data=household_data(**fields), members=people, source="test")


def log_in(page: Any, live_url: str | None, username: str, password: str = TEST_PASSWORD, *, next_url: str = "",
           wait_for_redirect: bool = False) -> None:
    """Log in (登录) through the login form in a Playwright ``page``, as a person does.

    Goes to ``{live_url}/login/`` (with ``?next={next_url}`` when given) — or, with ``live_url=None``, uses
    the login form the page already shows (a page that needs a login has sent it there) — fills in the
    username and password and clicks the submit button. With ``wait_for_redirect``, it then waits until the
    browser has left the login page; otherwise the caller's next step does the waiting.
    The ``logged_in_page`` fixture (``fupin/conftest.py``) opens a new context and page and calls this.
    """
    if live_url is not None:
        page.goto(f"{live_url}/login/" + (f"?next={next_url}" if next_url else ""))
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit].primary")
    if wait_for_redirect:
        page.wait_for_url(re.compile(r"^(?!.*/login/)"))

