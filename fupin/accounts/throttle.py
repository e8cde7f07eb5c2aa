"""Login throttling (登录限制): too many failed sign-ins lock a username for a while.

Rule: when a username has ``settings.FUPIN_LOGIN_MAX_FAILURES`` failed sign-ins within the last
``settings.FUPIN_LOGIN_LOCK_SECONDS``, every further sign-in for that username is refused without
checking the password — even the right one — until the window has passed. A successful sign-in
clears the username's failures.

Decisions:

- Failures are kept per username in :class:`~fupin.accounts.models.LoginFailure` (the database), so
  every worker process sees the same count; the client address is stored for the record only.
- An attempt refused because of the lock is not itself counted: the lock lifts on schedule (at most
  ``FUPIN_LOGIN_LOCK_SECONDS`` after the last counted failure) instead of growing while someone
  keeps trying.
- The username is taken as the sign-in form cleaned it (Django's ``UsernameField`` normalises it);
  a differently spelled username is a different key, as it is for authentication itself.
- Two attempts racing at the limit may both be checked; the count is a throttle, not a lock table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from .models import LoginFailure


@dataclass(frozen=True)
class LockState:
    """Whether a username is locked, and until when."""

    locked: bool
    failures: int
    until: datetime | None = None

    def minutes_left(self, now: datetime | None = None) -> int:
        """Whole minutes (rounded up, at least 1) until the lock lifts; 0 when not locked."""
        if not self.locked or self.until is None:
            return 0
        seconds = (self.until - (now or timezone.now())).total_seconds()
        return max(1, math.ceil(seconds / 60))


def _window() -> timedelta:
    return timedelta(seconds=settings.FUPIN_LOGIN_LOCK_SECONDS)


def lock_state(username: str, *, now: datetime | None = None) -> LockState:
    """The lock state of ``username`` from its failures within the window."""
    now = now or timezone.now()
    limit = settings.FUPIN_LOGIN_MAX_FAILURES
    recent = list(
        LoginFailure.objects.filter(username=username, at__gt=now - _window())
        .order_by("-at").values_list("at", flat=True)[:limit]
    )
    if limit <= 0 or len(recent) < limit:
        return LockState(False, len(recent))
    # The lock lifts when the limit-th most recent failure leaves the window.
    return LockState(True, len(recent), until=recent[limit - 1] + _window())


def record_failure(username: str, ip: str | None = None) -> LockState:
    """Count one failed sign-in; drop this username's failures older than the window."""
    now = timezone.now()
    LoginFailure.objects.filter(username=username, at__lte=now - _window()).delete()
    LoginFailure.objects.create(username=username, ip=ip or None)
    return lock_state(username)


def clear_failures(username: str) -> None:
    """A successful sign-in forgets the username's failures."""
    LoginFailure.objects.filter(username=username).delete()
