"""API endpoints of the assistance app (thin: they call fupin.assistance services and selectors, scoped)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["assistance"])
