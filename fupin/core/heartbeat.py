"""Heartbeat of long work (心跳): a sign of life written while a job runs.

A roster validation runs for seconds to minutes in a thread of the web process, or in the command
line's process. If that process ends (a restart, a deployment, a kill, the kernel's out-of-memory
killer) the job's row keeps saying "validating" and its page would poll for ever. With a heartbeat
the page can tell a job at work from one whose process is gone, stop polling, and offer to start it
again.

:func:`beating` runs ``beat`` every ``every`` seconds in a daemon thread of its own (its own database
connection, closed when it stops) for as long as the ``with`` block runs. A failing beat is logged and
never disturbs the work; the first beat comes after ``every`` seconds (write the starting one with the
job's own status change).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection

log = logging.getLogger(__name__)


@contextmanager
def beating(beat: Callable[[], object], every: float) -> Iterator[None]:
    """Call ``beat()`` every ``every`` seconds from a helper thread while the block runs."""
    stop = threading.Event()

    def run() -> None:
        try:
            while not stop.wait(every):
                try:
                    beat()
                except Exception:  # a beat must never break the work it reports on
                    log.warning("heartbeat failed", exc_info=True)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=run, name="heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


def beat_seconds() -> float:
    """How often long work writes its heartbeat (``FUPIN_IMPORT_HEARTBEAT_SECONDS``, 30: the setting
    is named after the roster import, the first to beat; rule and pathway runs beat as often)."""
    return float(getattr(settings, "FUPIN_IMPORT_HEARTBEAT_SECONDS", 30))


def stall_seconds() -> float:
    """Without a heartbeat for this long (four beats missed) the work counts as stopped."""
    return 4 * beat_seconds()
