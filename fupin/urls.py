"""URL map: pages at /, the JSON API at /api/v1/, configuration at /admin/."""

from django.contrib import admin
from django.urls import include, path

from fupin.api.main import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("imports/", include("fupin.imports.urls")),
    path("rules/", include("fupin.rules.urls")),
    path("identification/", include("fupin.identification.urls")),
    path("screening/", include("fupin.screening.urls")),
    path("pairing/", include("fupin.pairing.urls")),
    path("assistance/", include("fupin.assistance.urls")),
    path("exits/", include("fupin.exits.urls")),
    path("review/", include("fupin.review.urls")),
    path("region-exit/", include("fupin.region_exit.urls")),
    path("monitoring/", include("fupin.monitoring.urls")),
    path("", include("fupin.web.urls")),
]
