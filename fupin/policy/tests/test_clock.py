"""The system's one "today" is the date in Beijing, and no other code asks the server for the date."""

from __future__ import annotations

import ast
import os
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from fupin.policy import clock

ROOT = Path(__file__).resolve().parents[3]
CLOCK = ROOT / "fupin" / "policy" / "clock.py"


def test_today_is_the_beijing_date_while_utc_is_still_on_yesterday(monkeypatch):
    # 16:30 UTC on 2 December is 00:30 on 3 December in Beijing: a measure done then is done on the 3rd.
    for utc, beijing_date in ((datetime(2026, 12, 2, 16, 30, tzinfo=UTC), date(2026, 12, 3)),
                              (datetime(2026, 12, 2, 15, 59, tzinfo=UTC), date(2026, 12, 2))):  # 23:59 in Beijing
        monkeypatch.setattr(clock, "now", lambda utc=utc: utc.astimezone(clock.ZONE))
        assert clock.today() == beijing_date


def test_now_is_aware_and_eight_hours_ahead_of_utc():
    # (the suite's clock is moved, fupin/conftest.py: the zone is what is checked here)
    moment = clock.now()
    assert moment.utcoffset() == timedelta(hours=8) and clock.today() == moment.date()
    assert clock.ZONE.utcoffset(datetime(2026, 7, 1)) == timedelta(hours=8)  # no summer time


def test_the_suite_runs_from_three_in_the_morning_beijing_time():
    """fupin/conftest.py starts the suite's clock at 03:00 Beijing time today (unless FUPIN_TEST_CLOCK
    moves it elsewhere): the date cannot turn during a run, and UTC is on yesterday."""
    if "FUPIN_TEST_CLOCK" in os.environ:
        return  # a run at another moment, asked for by hand
    moment = clock.now()
    real_date = datetime.fromtimestamp(time.time(), clock.ZONE).date()
    assert moment.date() in (real_date, real_date - timedelta(days=1))  # (the run may have crossed midnight)
    assert 3 <= moment.hour < 12
    assert moment.astimezone(UTC).date() == moment.date() - timedelta(days=1)


def test_django_uses_the_same_zone():
    from django.conf import settings
    assert settings.TIME_ZONE == clock.TIME_ZONE


def _calls_for_the_date(tree: ast.AST) -> list[tuple[int, str]]:
    """Calls that read the date or time of the server's zone: ``date.today()``, ``datetime.today()``,
    ``datetime.now(…)``, ``datetime.utcnow()``, ``timezone.localdate()``/``localtime()`` and
    ``….now().date()`` (Django's ``timezone.now()`` is UTC, its ``.date()`` yesterday's date in Beijing)."""
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        attr, owner = node.func.attr, node.func.value
        owner_name = owner.attr if isinstance(owner, ast.Attribute) else owner.id if isinstance(owner, ast.Name) else ""
        bad = ((attr == "today" and owner_name in {"date", "datetime"})
               or (attr in {"now", "utcnow"} and owner_name == "datetime")
               or (attr in {"localdate", "localtime"} and owner_name == "timezone")
               or (attr == "date" and isinstance(owner, ast.Call) and isinstance(owner.func, ast.Attribute)
               and owner.func.attr == "now"))
        if bad:
            found.append((node.lineno, ast.unparse(node)))
    return found


def test_no_code_asks_the_server_for_the_date():
    paths = [p for folder in ("fupin", "bench", "scripts") for p in (ROOT / folder).rglob("*.py")
             if "migrations" not in p.parts and p != CLOCK]
    assert len(paths) > 100
    offenders = [f"{p.relative_to(ROOT)}:{line}: {code}" for p in paths
                 for line, code in _calls_for_the_date(ast.parse(p.read_text(encoding="utf-8")))]
    assert offenders == [], "use fupin.policy.clock.today() / now():\n" + "\n".join(offenders)


def test_the_check_finds_each_kind():
    source = ("import datetime as dt\nfrom django.utils import timezone\n"
              "a = dt.date.today()\nb = datetime.now()\nc = timezone.localdate()\nd = timezone.now().date()\n"
              "e = dt.datetime.utcnow()\nf = date.today()\ng = timezone.now()\nh = clock.today()\n")
    assert [line for line, _ in _calls_for_the_date(ast.parse(source))] == [3, 4, 5, 6, 7, 8]


def test_no_template_asks_django_for_the_date():
    """``{% now %}`` reads Django's clock, not :func:`clock.today`; pages use ``{% today %}`` (fupin_tags)."""
    templates = list((ROOT / "fupin").rglob("*.html"))
    assert len(templates) > 50
    offenders = [str(t.relative_to(ROOT)) for t in templates if "{% now" in t.read_text(encoding="utf-8")]
    assert offenders == []
