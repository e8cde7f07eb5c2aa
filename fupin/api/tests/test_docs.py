"""OpenAPI and the docs page: served under /api/v1/, and the page loads nothing from another host."""

from __future__ import annotations

import re
from pathlib import Path

import ninja
from django.conf import settings

#: Every API path, by area (the first segment after /api/v1/). A new endpoint is added here on purpose.
EXPECTED_PATHS = {
    "regions": {"/regions/tree", "/regions/{code}"},
    "households": {"/households", "/households/{household_id}", "/households/{household_id}/members"},
    "members": {"/members/{member_id}"},
    "imports": {"/imports", "/imports/{batch_id}", "/imports/{batch_id}/rejections", "/imports/{batch_id}/merge",
                "/imports/{batch_id}/refuse", "/imports/{batch_id}/validate", "/imports/{batch_id}/file",
                "/imports/{batch_id}/absent", "/imports/{batch_id}/changes",
                "/imports/{batch_id}/rows-to-fix", "/imports/{batch_id}/leaving", "/imports/{batch_id}/leaving/sheet",
                "/imports/{batch_id}/leaving/sheets", "/imports/{batch_id}/leaving/sheets/{sheet_id}/file",
                "/imports/{batch_id}/hold"},
    "exports": {"/exports/roster", "/exports/records"},
    "rules": {"/rules/policy", "/rules/try", "/rules/runs", "/rules/runs/{run_id}", "/rules/runs/{run_id}/households",
              "/rules/pathway-runs", "/rules/pathway-runs/{run_id}", "/rules/pathway-runs/{run_id}/households",
              "/rules/households/{household_id}/decide", "/rules/households/{household_id}/decisions",
              "/rules/households/{household_id}/pathways"},
    "identification": {"/identification/cases", "/identification/cases/{case_id}",
                       "/identification/cases/{case_id}/objections", "/identification/cases/{case_id}/reject",
                       "/identification/cases/{case_id}/steps/{step}", "/identification/cases/{case_id}/withdraw",
                       "/identification/objections/{objection_id}/resolve",
                       "/identification/villages/{village_code}/steps/{step}"},
    "screening": {"/screening/kinds", "/screening/lists", "/screening/lists/{list_id}",
                  "/screening/lists/{list_id}/rejections", "/screening/runs", "/screening/runs/{run_id}",
                  "/screening/hits", "/screening/hits/{hit_id}", "/screening/hits/{hit_id}/decide"},
    "pairing": {"/pairing/coverage", "/pairing/helpers", "/pairing/helpers/{helper_id}",
                "/pairing/households/{household_id}", "/pairing/households/{household_id}/pairings",
                "/pairing/limits", "/pairing/members/{member_id}/attendance", "/pairing/members/{member_id}/leave",
                "/pairing/mine", "/pairing/pairings/{pairing_id}/end", "/pairing/pairings/{pairing_id}/transfer",
                "/pairing/places/county/{pairing_id}/funds", "/pairing/places/{kind}",
                "/pairing/places/{kind}/{pairing_id}/end", "/pairing/places/{kind}/{pairing_id}/transfer",
                "/pairing/settings", "/pairing/teams", "/pairing/teams/{team_id}", "/pairing/teams/{team_id}/end",
                "/pairing/teams/{team_id}/members"},
    "assistance": {"/assistance/households/{household_id}/qiqing", "/assistance/households/{household_id}/suggestions",
                   "/assistance/measure-types", "/assistance/measures-given",
                   "/assistance/measures-given/{given_id}/cancel", "/assistance/measures/{measure_id}/status",
                   "/assistance/overdue-visits", "/assistance/plans", "/assistance/plans/{plan_id}",
                   "/assistance/plans/{plan_id}/approve", "/assistance/plans/{plan_id}/close",
                   "/assistance/plans/{plan_id}/measures", "/assistance/visits",
                   "/assistance/visits/{visit_id}/photos"},
    "exits": {"/exits/cases", "/exits/cases/{case_id}", "/exits/cases/{case_id}/objections",
              "/exits/cases/{case_id}/reject", "/exits/cases/{case_id}/steps/{step}",
              "/exits/cases/{case_id}/withdraw", "/exits/households/{household_id}/criteria", "/exits/lists",
              "/exits/objections/{objection_id}/resolve", "/exits/rules", "/exits/villages/{village_code}/proposals",
              "/exits/villages/{village_code}/steps/{step}"},
    "review": {"/review/cycles", "/review/cycles/{cycle_id}", "/review/cycles/{cycle_id}/close", "/review/snapshots",
               "/review/flows", "/review/flows/households"},
    "region-exit": {"/region-exit/areas/{code}", "/region-exit/villages/{code}/check",
                    "/region-exit/villages/{code}/conditions", "/region-exit/villages/{code}/conditions/{year}",
                    "/region-exit/villages/{code}/cases", "/region-exit/cases/{case_id}",
                    "/region-exit/cases/{case_id}/actions", "/region-exit/counties/{code}/readiness",
                    "/region-exit/counties/{code}/exit"},
    "monitoring": {f"/monitoring{p}" for p in (
        "/objects", "/objects/{object_id}", "/objects/{object_id}/start", "/objects/{object_id}/steps/{step}",
        "/objects/{object_id}/reject", "/objects/{object_id}/withdraw", "/objects/{object_id}/dismiss",
        "/objects/{object_id}/objections", "/objects/{object_id}/income-checks", "/objects/{object_id}/assess",
        "/objects/{object_id}/eliminate", "/objections/{objection_id}/resolve", "/households",
        "/households/{household_id}", "/line", "/runs", "/runs/{run_id}", "/runs/flag", "/runs/elimination")},
}


def test_openapi_lists_every_path_and_the_bearer_scheme(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["info"]["title"] == "fupin API"
    by_area: dict[str, set[str]] = {}
    for path in spec["paths"]:
        by_area.setdefault(path.split("/")[3], set()).add(path.removeprefix("/api/v1"))
    for area, paths in EXPECTED_PATHS.items():
        assert by_area.pop(area, set()) == paths, area
    assert not by_area, f"paths of an area this test does not know: {by_area}"
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
