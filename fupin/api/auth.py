"""Token authentication of the API (API 令牌认证): ``Authorization: Bearer <token>``.

The token is looked up by its SHA-256 (:meth:`fupin.accounts.models.ApiToken.lookup`); revoked
tokens and inactive users are refused with 401. Decisions:

- The API is token only: no session cookie is read, so CSRF does not apply.
- ``last_used_at`` is written at most once a minute per token (one UPDATE, not a save of the row),
  so a busy client does not turn every read into a write.
- :class:`TokenAuth` with a ``capability`` guards the writes: a valid token whose user lacks the
  capability gets **404** (:class:`~fupin.core.scoping.ScopeError`), as if the resource were not
  there for them — before the request body is even read.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from fupin.accounts.models import ApiToken
from fupin.core.scoping import ScopeError
from fupin.policy import roles

LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenAuth(HttpBearer):
    """Bearer token (令牌); optionally requires a capability of the user's role."""

    def __init__(self, capability: str | None = None) -> None:
        super().__init__()
        self.capability = capability

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = ApiToken.lookup(token.strip()) if token else None
        if found is None:
            return None
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        user = found.user
        if self.capability and not user.has_capability(self.capability):
            raise ScopeError("不存在或无权操作 / not found")
        request.user = user
        return user


#: Every endpoint needs a token; writes additionally need ``registry.edit`` (else 404).
token_auth = TokenAuth()
editor_auth = TokenAuth(capability=roles.EDIT_REGISTRY)
