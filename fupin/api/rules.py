"""API endpoints of the rules app (thin: they call fupin.rules services and selectors, scoped)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["rules"])
