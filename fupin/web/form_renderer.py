"""The forms' renderer (表单渲染): Django's own form templates, with fupin's error list in front.

A form's errors are often the services' "中文 / English" messages (a refusal added to the field it
names); the error list shows each in the page's language (``message_in_language``), as the pages
show the flash messages. Everything else is Django's ``DjangoTemplates`` renderer unchanged.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import django.forms
from django.forms.renderers import DjangoTemplates

#: fupin's overrides of Django's form templates (``django/forms/errors/list/ul.html``).
OVERRIDES = Path(__file__).resolve().parent / "form_templates"


class FormRenderer(DjangoTemplates):
    """Django's form templates, looked up after :data:`OVERRIDES`."""

    @cached_property
    def engine(self) -> Any:
        return self.backend({"APP_DIRS": True, "NAME": "fupinforms", "OPTIONS": {},
                             "DIRS": [OVERRIDES, Path(django.forms.__file__).resolve().parent / "templates"]})
