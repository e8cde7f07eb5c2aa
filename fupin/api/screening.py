"""API endpoints of the screening app (thin: they call fupin.screening services and selectors, scoped)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["screening"])
