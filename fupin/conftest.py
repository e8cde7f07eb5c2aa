"""Shared test fixtures.

- The test database is created once per run with the real Sanming (3504…) division codes loaded.
- ``make_user(role, region_code)`` makes a user bound to a region (no superusers in tests).
- ``make_household(...)`` registers a household through the real service.
Transactional tests (browser tests with ``live_server``) flush the database; they call
``load_test_regions()`` themselves.
- ``browser``: Debian's Chromium (never a downloaded one) through Playwright; ``shots``: the folder of
  the browser tests' screenshots (``test-artifacts/browser``); ``logged_in_page(username, …)``: a new
  browser context and page, logged in (登录) on the live server.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fupin.testing import load_test_regions, log_in, make_household_for, make_user_for


@pytest.fixture(scope="session", autouse=True)
def _data_folder_per_worker() -> Iterator[None]:
    """With pytest-xdist (``scripts/test.sh``), each worker gets a data folder of its own under the
    configured one: files named by database ids (review snapshots ``<id>-households.parquet``, landed
    import files, photos) would otherwise collide between the workers' databases, whose ids overlap."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        yield
        return
    from django.conf import settings

    saved = settings.DATA_DIR, settings.MEDIA_ROOT
    settings.DATA_DIR = Path(settings.DATA_DIR) / f"worker-{worker}"
    settings.MEDIA_ROOT = settings.DATA_DIR / "media"
    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    try:
        yield
    finally:
        settings.DATA_DIR, settings.MEDIA_ROOT = saved


def _move_clock() -> None:
    """The suite's clock: it starts at 03:00 Beijing time on today's date, or at ``FUPIN_TEST_CLOCK``.

    :func:`fupin.policy.clock.now` and Django's ``timezone.now`` (timestamps, ``auto_now``) move by
    the same offset, and time still passes. Called when this file is imported, before any other
    conftest or test module, so their module-level dates move too.

    - **By default 03:00 Beijing time, today.** The date cannot turn during a run (21 hours to
      midnight): a date taken when the tests were collected stays today's while they run — on
      2026-12-02 a run that crossed midnight failed seven tests. And at 03:00 UTC is still on
      yesterday, so code that takes the server's UTC date for today's is wrong in every run.
    - **``FUPIN_TEST_CLOCK=2026-12-31T23:30+08:00``** runs the suite as if it started at that moment:
      the turn of a year, a 29 February, the other hours."""
    import datetime as dt

    from django.utils import timezone

    from fupin.policy import clock

    real_clock_now, real_django_now = clock.now, timezone.now
    moment = os.environ.get("FUPIN_TEST_CLOCK")
    if moment:
        start = dt.datetime.fromisoformat(moment)
        if start.tzinfo is None:
            start = start.replace(tzinfo=clock.ZONE)
    else:
        start = dt.datetime.combine(real_clock_now().date(), dt.time(3, 0), tzinfo=clock.ZONE)
    offset = start - real_clock_now()
    clock.now = lambda: real_clock_now() + offset  # type: ignore[assignment]
    timezone.now = lambda: real_django_now() + offset  # type: ignore[assignment]


_move_clock()


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


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
DESKTOP = {"width": 1280, "height": 900}  # the browser tests' desktop viewport


@pytest.fixture
def shots() -> Path:
    from django.conf import settings

    path = Path(settings.BASE_DIR) / "test-artifacts" / "browser"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def logged_in_page(browser: Any, live_server: Any) -> Callable[..., tuple[Any, Any]]:
    """``logged_in_page(username, …)`` → ``(context, page)``: a new browser context and a page in it, logged in
    (登录) as ``username`` on the live server by :func:`fupin.testing.log_in`; the test closes the context.

    The context is Chinese (``locale="zh-CN"``, hence ``Accept-Language``) on a :data:`DESKTOP` viewport unless
    ``context_options`` (Playwright's ``new_context`` arguments) say otherwise; ``timeout`` (ms), when given,
    is the context's default timeout, set before the page opens. ``next_url`` and ``wait_for_redirect`` go to
    ``log_in``. A test takes this fixture after the one that makes its data (as it would ``browser``), so
    the data is made before Playwright's event loop starts.
    """

    def open_page(username: str, *, timeout: float | None = None, next_url: str = "",
                  wait_for_redirect: bool = False, **context_options: Any) -> tuple[Any, Any]:
        context = browser.new_context(**({"locale": "zh-CN", "viewport": DESKTOP} | context_options))
        if timeout is not None:
            context.set_default_timeout(timeout)
        page = context.new_page()
        log_in(page, live_server.url, username, next_url=next_url, wait_for_redirect=wait_for_redirect)
        return context, page

    return open_page
