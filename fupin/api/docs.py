"""The interactive API docs (接口文档) at ``/api/v1/docs``, served without any CDN.

django-ninja renders Swagger UI from its bundled static files only when ``"ninja"`` is in
``INSTALLED_APPS``; otherwise it falls back to a page that loads Swagger UI from a CDN, which an
isolated government intranet cannot reach. :class:`LocalSwagger` always renders the bundled
version: the page references ``{STATIC_URL}ninja/swagger-ui.css``, ``swagger-ui-bundle.js`` and
``swagger-ui-init.js`` (shipped inside the ninja package under ``ninja/static/ninja/``), and no
script, style sheet, icon or badge from another host. For ``collectstatic`` and ``runserver`` to serve
those files, ``"ninja"`` must be in ``INSTALLED_APPS``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.template import engines
from ninja.openapi.docs import Swagger

if TYPE_CHECKING:
    from ninja import NinjaAPI

PAGE = """{% load static %}<!DOCTYPE html>
<html lang="zh-hans">
<head>
<meta charset="utf-8">
<title>{{ title }}</title>
<link rel="stylesheet" type="text/css" href="{% static 'ninja/swagger-ui.css' %}">
<link rel="icon" type="image/svg+xml" href="{% static 'ninja/favicon.svg' %}">
</head>
<body data-csrf-token="" data-api-csrf="">
<script type="application/json" id="swagger-settings">{{ swagger_settings|safe }}</script>
<div id="swagger-ui"></div>
<script src="{% static 'ninja/swagger-ui-bundle.js' %}"></script>
<script src="{% static 'ninja/swagger-ui-init.js' %}"></script>
</body>
</html>
"""


class LocalSwagger(Swagger):
    """Swagger UI from the files bundled with django-ninja (no CDN). ``validatorUrl`` is off: Swagger
    UI would otherwise fetch a badge from validator.swagger.io for any non-local host name."""

    default_settings = {**Swagger.default_settings, "validatorUrl": None}

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        settings = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        # "</" cannot close the JSON script element early.
        payload = json.dumps(settings, indent=1).replace("</", "<\\/")
        template = engines["django"].from_string(PAGE)
        return HttpResponse(template.render({"title": api.title, "swagger_settings": payload}, request))
