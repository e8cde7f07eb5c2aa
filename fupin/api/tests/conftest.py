"""API test helpers: a client that sends ``Authorization: Bearer <token>`` for a user of a role."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from fupin.accounts.models import ApiToken, User

PREFIX = "/api/v1"


class Api:
    """The Django test client speaking JSON to /api/v1/ as one user (or anonymously)."""

    def __init__(self, client: Any, user: User | None = None, raw: str = "") -> None:
        self.client, self.user, self.raw = client, user, raw

    def _headers(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.raw}"} if self.raw else {}

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(PREFIX + path, params or {}, **self._headers())

    def post(self, path: str, body: Any) -> Any:
        return self.client.post(PREFIX + path, json.dumps(body), content_type="application/json",
                                **self._headers())

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch(PREFIX + path, json.dumps(body), content_type="application/json",
                                 **self._headers())

    def put(self, path: str, body: Any) -> Any:
        return self.client.put(PREFIX + path, json.dumps(body), content_type="application/json",
                               **self._headers())


def token_api(client: Any, user: User) -> Api:
    """An :class:`Api` speaking as ``user`` with a fresh token (for tests outside this package)."""
    _token, raw = ApiToken.issue(user, name="test")
    return Api(client, user, raw)


@pytest.fixture
def anonymous(client) -> Api:
    return Api(client)


@pytest.fixture
def api_as(client, make_user) -> Callable[..., Api]:
    """``api_as("county", MINGXI)`` → an :class:`Api` with a fresh token of a new user."""

    def make(role: str, region_code: str) -> Api:
        user = make_user(role, region_code)
        _token, raw = ApiToken.issue(user, name="test")
        return Api(client, user, raw)

    return make
