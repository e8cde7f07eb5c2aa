"""OpenAPI and the docs page: served under /api/v1/, and the page loads nothing from another host."""

from __future__ import annotations

import re
from pathlib import Path

import ninja
from django.conf import settings


def test_openapi_lists_every_path_and_the_bearer_scheme(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["info"]["title"] == "fupin API"
    assert set(spec["paths"]) == {
        "/api/v1/regions/tree", "/api/v1/regions/{code}", "/api/v1/households",
        "/api/v1/households/{household_id}", "/api/v1/households/{household_id}/members",
        "/api/v1/members/{member_id}",
        "/api/v1/imports", "/api/v1/imports/{batch_id}", "/api/v1/imports/{batch_id}/rejections",
        "/api/v1/imports/{batch_id}/merge", "/api/v1/imports/{batch_id}/refuse", "/api/v1/exports/roster",
    }
    assert set(spec["paths"]["/api/v1/households"]) == {"get", "post"}
    assert set(spec["paths"]["/api/v1/households/{household_id}"]) == {"get", "patch"}
    assert spec["components"]["securitySchemes"] == {"TokenAuth": {"type": "http", "scheme": "bearer"}}
    assert spec["paths"]["/api/v1/households"]["get"]["security"] == [{"TokenAuth": []}]
    assert "village_code" in spec["components"]["schemas"]["HouseholdItem"]["required"]
    assert "version" in spec["components"]["schemas"]["HouseholdPatch"]["required"]


def test_docs_page_uses_only_bundled_assets(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert '"url": "/api/v1/openapi.json"' in html
    assert '"validatorUrl": null' in html  # no badge from validator.swagger.io
    assets = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', html)
    assert sorted(assets) == sorted(f"{settings.STATIC_URL}ninja/{name}" for name in (
        "swagger-ui.css", "favicon.svg", "swagger-ui-bundle.js", "swagger-ui-init.js"))
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    bundled = Path(ninja.__file__).parent / "static"
    for url in assets:
        assert (bundled / url.removeprefix(settings.STATIC_URL)).is_file(), url
