"""The JSON API (接口, django-ninja) under /api/v1/: OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs.

Every endpoint needs ``Authorization: Bearer <token>`` (``fupin token create USERNAME``); the
routers are thin adapters over :mod:`fupin.registry.selectors` and :mod:`fupin.registry.services`,
and every read is scoped by :func:`fupin.core.scoping.visible_to`. Errors: see :mod:`.errors`.
"""

from __future__ import annotations

from ninja import NinjaAPI

from . import errors
from .assistance import router as assistance_router
from .auth import token_auth
from .docs import LocalSwagger
from .exits import router as exits_router
from .households import router as households_router
from .identification import router as identification_router
from .imports import exports_router
from .imports import router as imports_router
from .members import router as members_router
from .monitoring import router as monitoring_router
from .pairing import router as pairing_router
from .region_exit import router as region_exit_router
from .regions import router as regions_router
from .review import router as review_router
from .rules import router as rules_router
from .screening import router as screening_router

api = NinjaAPI(
    title="fupin API", version="1", description="精准扶贫 registry API (建档立卡)", urls_namespace="api",
    auth=token_auth, docs=LocalSwagger(),
)
errors.install(api)
api.add_router("/regions", regions_router)
api.add_router("/households", households_router)
api.add_router("/members", members_router)
api.add_router("/imports", imports_router)
api.add_router("/exports", exports_router)
api.add_router("/rules", rules_router)
api.add_router("/identification", identification_router)
api.add_router("/screening", screening_router)
api.add_router("/pairing", pairing_router)
api.add_router("/assistance", assistance_router)
api.add_router("/exits", exits_router)
api.add_router("/review", review_router)
api.add_router("/region-exit", region_exit_router)
api.add_router("/monitoring", monitoring_router)
