"""How refusals look in the API (错误响应).

| cause | status | body |
| --- | --- | --- |
| no or unknown token | 401 | ``{"detail": ...}`` with ``WWW-Authenticate: Bearer`` |
| out of scope, no such object, or no capability for a write | 404 | ``{"detail": ...}`` |
| stale ``version`` (并发修改) | 409 | ``{"message", "field_errors"}`` |
| refused by policy or services, malformed body/query | 422 | ``{"message", "field_errors"}`` |

``field_errors`` maps a field path (``main_cause``, ``members.0.id_number``) to its messages,
Chinese first; the same shape whether the schema or the registry services refused the input.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from fupin.core.scoping import ScopeError
from fupin.registry.services import INVALID, RegistryError, VersionConflict

NOT_FOUND = "不存在或无权查看 / not found"
UNAUTHORIZED = "需要有效的API令牌 / a valid API token is required"
#: Service field names that differ from the request's (the service says ``village``, the body ``village_code``).
FIELD_NAMES = {"village": "village_code"}
#: Parameter sources ninja puts in front of a field path.
_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file", "payload", "filters"}


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = list(loc)
    while parts and str(parts[0]) in _SOURCES:
        parts.pop(0)
    return ".".join(str(p) for p in parts) or "__all__"


def field_errors_of(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Pydantic's error list as ``{field path: [messages]}``."""
    out: dict[str, list[str]] = {}
    for err in errors:
        out.setdefault(_field_path(err.get("loc", ())), []).append(str(err.get("msg", "")))
    return out


def install(api: NinjaAPI) -> None:
    """Register the handlers on ``api``."""

    def respond(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, body, status=status)

    @api.exception_handler(AuthenticationError)
    def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = respond(request, 401, {"detail": UNAUTHORIZED})
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(ScopeError)
    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return respond(request, 404, {"detail": NOT_FOUND})

    def registry_error(request: HttpRequest, exc: RegistryError, status: int) -> HttpResponse:
        fields = {FIELD_NAMES.get(k, k): v for k, v in exc.field_errors.items()}
        return respond(request, status, {"message": exc.message, "field_errors": fields})

    @api.exception_handler(VersionConflict)
    def conflict(request: HttpRequest, exc: VersionConflict) -> HttpResponse:
        return registry_error(request, exc, 409)

    @api.exception_handler(RegistryError)
    def refused(request: HttpRequest, exc: RegistryError) -> HttpResponse:
        return registry_error(request, exc, 422)

    @api.exception_handler(ValidationError)
    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return respond(request, 422, {"message": INVALID, "field_errors": field_errors_of(list(exc.errors))})
