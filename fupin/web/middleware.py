"""Chinese first (中文优先): the page language comes from the user's explicit choice, else zh-hans.

Django's ``LocaleMiddleware`` falls back to the browser's ``Accept-Language`` header when there is no
language cookie, so an officer whose browser happens to be set to English gets English pages. This
middleware, a drop-in replacement for it in ``settings.MIDDLEWARE``, honours only the cookie that
``/i18n/setlang/`` sets (the 中文 / English buttons) and otherwise uses ``settings.LANGUAGE_CODE``.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        try:
            language = translation.get_supported_language_variant(chosen) if chosen else settings.LANGUAGE_CODE
        except LookupError:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
