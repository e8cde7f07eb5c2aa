"""Refusals of the rules app (规则与判定的拒绝)."""

from __future__ import annotations


class RulesRefused(Exception):
    """A request the rules app refuses (bad rule text, unknown scheme, released version …), with a
    Chinese-first message for the page or the API (422)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
