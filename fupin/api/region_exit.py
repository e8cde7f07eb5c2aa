"""API endpoints of the region_exit app (thin: they call fupin.region_exit services and selectors, scoped)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["region_exit"])
