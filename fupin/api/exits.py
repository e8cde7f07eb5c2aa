"""API endpoints of the exits app (thin: they call fupin.exits services and selectors, scoped)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["exits"])
