"""API endpoints of the monitoring app (thin: they call fupin.monitoring services and selectors, scoped)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["monitoring"])
