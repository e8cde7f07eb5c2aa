"""A bilingual label in the active language (界面语言): ``"待确认 awaiting review"`` → ``待确认`` or
``awaiting review``.

The models' choice labels are written "中文 English" (the admin, the command line and the audit
trail show both). The pages show one language, Chinese first: :func:`in_language` takes the part of
the active language, :func:`choices_in_language` does so lazily for a form's choices, and the template
filter ``in_language`` (``fupin_tags``) for ``get_…_display``. A label not of that shape (one
language only, or already translated) is returned as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.utils.functional import lazy
from django.utils.translation import get_language

#: Chinese (with any digits, marks and brackets, and letters before the first Han character, as in
#: "C级危房"), white space, then English from its first Latin letter or bracket.
_BILINGUAL = re.compile(r"(.*?[\u3400-\u9fff][^A-Za-z]*?)\s+([A-Za-z(].*)", re.S)


def split(label: object) -> tuple[str, str] | None:
    """(Chinese, English) of a "中文 English" label, or None when it is not one."""
    match = _BILINGUAL.fullmatch(str(label).strip())
    return None if match is None else (match[1], match[2])


def in_language(label: object) -> str:
    """``label`` in the active language: its English part when the language is English, else its
    Chinese part; unchanged when it is not a "中文 English" label."""
    parts = split(label)
    if parts is None:
        return str(label)
    return parts[1] if (get_language() or "").startswith("en") else parts[0]


in_language_lazy = lazy(in_language, str)


def choices_in_language(choices: Iterable[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """A form's choices with each label in the language active when the form is shown (lazy)."""
    return [(value, in_language_lazy(label)) for value, label in choices]
