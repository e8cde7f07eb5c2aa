"""API endpoints of the pairing app (thin: they call fupin.pairing services and selectors, scoped)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["pairing"])
