"""Small helpers shared by the views."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from fupin.core.scoping import region_in_scope
from fupin.policy import roles


def is_htmx_partial(request: HttpRequest) -> bool:
    """An htmx request that wants a fragment (not a history restore, which needs the full page)."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


def render_page_or_partial(request: HttpRequest, page: str, partial: str, context: dict[str, Any]) -> HttpResponse:
    """The full page, or only ``partial`` for htmx; caches keep the two apart (``Vary: HX-Request``)."""
    response = render(request, partial if is_htmx_partial(request) else page, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def can_edit_region(user: Any, region_code: str) -> bool:
    """Whether the user may edit registry records of this region (registry.edit and in scope)."""
    return region_in_scope(user, region_code, roles.EDIT_REGISTRY)


def breadcrumbs(user: Any, region: Any, *, include_self: bool = False) -> list[tuple[Any, bool]]:
    """面包屑 — the region's ancestors (and itself) as ``(region, linkable)``; only regions in the user's
    scope are links, the others are plain names."""
    chain = [*region.ancestors(), region] if include_self else region.ancestors()
    return [(r, region_in_scope(user, r.code, roles.VIEW_REGISTRY)) for r in chain]
