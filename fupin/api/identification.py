"""API endpoints of the identification app (thin: they call fupin.identification services and selectors, scoped)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["identification"])
