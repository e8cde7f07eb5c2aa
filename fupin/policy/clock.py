"""时钟 — the system's one "today" (今天), in China Standard Time.

Every date the system decides with — an action's default date, "not in the future", days overdue, the
current year of a plan or a review — is the date in Beijing (``Asia/Shanghai``), never the server's own
date: a server on UTC is still on yesterday from 00:00 to 08:00 Beijing time, and a measure finished
then would be dated the day before. Code asks :func:`today` (or :func:`now` for a moment in the zone);
``date.today()``, ``datetime.now()`` and ``timezone.localdate()`` are refused anywhere else by
``fupin/core/tests/test_clock.py``.

Django-free, so pure policy functions can default to it; ``settings.TIME_ZONE`` is :data:`TIME_ZONE`.
Tests that need another moment replace :func:`now` (``monkeypatch.setattr(clock, "now", …)``).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

TIME_ZONE = "Asia/Shanghai"
ZONE = ZoneInfo(TIME_ZONE)


def now() -> datetime:
    """此刻 — the present moment, aware, in China Standard Time."""
    return datetime.now(ZONE)


def today() -> date:
    """今天 — today's date in China Standard Time."""
    return now().date()
