"""A bilingual label in the active language (界面语言): ``"待确认 awaiting review"`` → ``待确认`` or
``awaiting review``.

The models' choice labels are written "中文 English" (the admin, the command line and the audit
trail show both). The pages show one language, Chinese first: :func:`in_language` takes the part of
the active language, :func:`choices_in_language` does so lazily for a form's choices, and the template
filter ``in_language`` (``fupin_tags``) for ``get_…_display``. A label not of that shape (one
language only, or already translated) is returned as it is.

The messages and reasons the services write are "中文 / English" (a rejected row's reason, a refusal,
a check's progress): stored so, and given so by the API, the command line and the downloaded
workbooks. A page shows them in its language through :func:`message_in_language` (the template filter
``message_in_language``, the messages of ``base.html`` and the forms' error lists). A text that is not
one such message, or not clearly one (two candidate separators, as in a refusal that quotes another
refusal), is shown as it is.
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

_HAN = re.compile(r"[\u3400-\u9fff]")
#: The separator of a "中文 / English" message: " / " (or "/ " right after a closing bracket or
#: quote: "(可用: C、D)/ not a grade", "「贫困户认可」/ the case …") before Latin text (a letter, bracket
#: or quote), or, failing that, before a digit ("共5户 / 5 households").
_SEPARATORS = (re.compile(r"(?: |(?<=[)）」』】]))/ (?=[A-Za-z(\"'])"), re.compile(r"(?: |(?<=[)）」』】]))/ (?=[0-9])"))
#: An English prefix the page put before a stored message ("Run #3 failed: 不是数字 / not a number").
_ENGLISH_PREFIX = re.compile(r"[^\u3400-\u9fff]*?: ")


def split_message(text: object) -> tuple[str, str] | None:
    """(Chinese, English) of a "中文 / English" message, or None when it is not clearly one.

    The separator is the one " / " with Chinese before it and Latin text after it (a digit only when
    no separator is followed by a letter: "不是数字: 3 / 4 / not a number" splits before "not"). A
    message quoting another ("入库失败 / the merge failed: 批次已入库 / the batch is merged") is put
    together part by part; any other text with two or more separators is not split. An English prefix
    before the Chinese part (a page's "Run #3 failed: ") is kept on the English side."""
    value = str(text)
    for separator in _SEPARATORS:
        cuts = [m for m in separator.finditer(value) if _HAN.search(value, 0, m.start())]
        if cuts:
            break
    if len(cuts) == 2:
        return _quoting(value, cuts[0], cuts[1])
    if len(cuts) != 1:
        return None
    chinese, english = value[:cuts[0].start()].rstrip(), value[cuts[0].end():].lstrip()
    prefix = _ENGLISH_PREFIX.match(chinese)
    if prefix is not None and _HAN.search(chinese, prefix.end()):
        english = prefix.group(0) + english
    return chinese, english


def _quoting(value: str, first: re.Match[str], second: re.Match[str]) -> tuple[str, str] | None:
    """"中文1 / English1: 中文2 / English2" → ("中文1:中文2", "English1: English2"), or None when the
    middle is not an English part, ": " and a Chinese part (which does not start with a Latin letter:
    "… / refused: by the system (批次 #5 上传时 / when …)" is not a quoted message)."""
    middle = value[first.end():second.start()]
    # the last ": " with only English before it: the quoted Chinese part may hold its own ": "
    ats = [m.start() for m in re.finditer(": ", middle) if not _HAN.search(middle, 0, m.start())]
    if not ats or not _HAN.search(middle, ats[-1] + 2) or re.match(r"\s*[A-Za-z]", middle[ats[-1] + 2:]):
        return None
    at = ats[-1]
    chinese = value[:first.start()].rstrip() + ":" + middle[at + 2:].strip()
    return chinese, middle[:at] + ": " + value[second.end():].lstrip()


def message_in_language(text: object) -> str:
    """A stored "中文 / English" message in the active language: its English part (with any English
    prefix the page gave it) when the language is English, else its Chinese part; unchanged when it
    is not clearly such a message (:func:`split_message`)."""
    parts = split_message(text)
    if parts is None:
        return str(text)
    return parts[1] if (get_language() or "").startswith("en") else parts[0]


def choices_in_language(choices: Iterable[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """A form's choices with each label in the language active when the form is shown (lazy)."""
    return [(value, in_language_lazy(label)) for value, label in choices]
