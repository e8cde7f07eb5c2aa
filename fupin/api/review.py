"""API endpoints of the review app (thin: they call fupin.review services and selectors, scoped)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["review"])
