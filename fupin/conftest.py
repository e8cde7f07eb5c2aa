"""Shared test fixtures.

- The test database is created once per run with the real Sanming (3504…) division codes loaded.
- ``make_user(role, region_code)`` makes a user bound to a region (no superusers in tests).
- ``make_household(...)`` registers a household through the real service.
Transactional tests (browser tests with ``live_server``) flush the database; they call
``load_test_regions()`` themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fupin.testing import load_test_regions, make_household_for, make_user_for


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_test_regions()


@pytest.fixture
def make_user(db) -> Callable[..., Any]:
    return make_user_for


@pytest.fixture
def make_household(db) -> Callable[..., Any]:
    return make_household_for


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2's 1M iterations cost ~0.5 s a user; tests use a fast hasher (production keeps PBKDF2)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
