"""The JSON API (django-ninja) under /api/v1/: OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(title="fupin API", version="1", description="精准扶贫 registry API", urls_namespace="api")
