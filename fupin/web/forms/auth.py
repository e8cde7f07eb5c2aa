"""The sign-in form (登录) with login throttling (登录限制, :mod:`fupin.accounts.throttle`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import ngettext

from fupin.accounts import throttle


def locked_message(minutes: int) -> str:
    return ngettext(
        "Too many failed sign-ins. Try again in %(minutes)d minute.",
        "Too many failed sign-ins. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, refusing a username with too many recent failures (even the right password)."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        if username:
            state = throttle.lock_state(username)
            if state.locked:
                raise forms.ValidationError(locked_message(state.minutes_left()), code="locked")
        try:
            cleaned = super().clean()
        except forms.ValidationError as exc:
            if username and getattr(exc, "code", None) == "invalid_login":
                state = throttle.record_failure(username, self._client_ip())
                if state.locked:
                    raise forms.ValidationError(locked_message(state.minutes_left()), code="locked") from exc
            raise
        if username and self.user_cache is not None:
            throttle.clear_failures(username)
        return cleaned

    def _client_ip(self) -> str | None:
        request = self.request
        return request.META.get("REMOTE_ADDR") if request is not None else None
