"""Starting a rule or pathway run (后台运行), as the roster import starts its validation.

Decision (as :mod:`fupin.imports.views`): the run works in a daemon thread of the web process (no task
queue in this deployment) that closes its database connection at the end; ``settings.FUPIN_IMPORT_SYNC
= True`` runs it inline (tests). The run row carries status and progress, which the page polls with
htmx. The run writes a heartbeat while it works (:mod:`fupin.core.heartbeat`); a run whose process
ended (a restart, a kill) misses its beats and shows as stopped (``_Run.stalled``): start a new one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection

from . import services

log = logging.getLogger(__name__)


def _start(name: str, work: Callable[[], Any]) -> None:
    if getattr(settings, "FUPIN_IMPORT_SYNC", False):
        work()
        return

    def target() -> None:
        try:
            work()
        except Exception:  # the service marks the run failed; the page shows it
            log.exception("%s failed", name)
        finally:
            connection.close()

    threading.Thread(target=target, name=name, daemon=True).start()


def start_rule_run(run_id: int) -> None:
    _start(f"rule-run-{run_id}", lambda: services.execute_rule_run(run_id))


def start_pathway_run(run_id: int) -> None:
    _start(f"pathway-run-{run_id}", lambda: services.execute_pathway_run(run_id))
