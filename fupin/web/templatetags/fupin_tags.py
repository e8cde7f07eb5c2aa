"""Template filters of the pages: code labels (代码标签), masking (脱敏), role names.

``{% load fupin_tags %}`` then e.g. ``{{ h.main_cause|code_label:"poverty_cause" }}``. Labels follow
the active language (``zh-hans`` first, ``en`` second).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.utils.translation import get_language, gettext

from fupin.core import bilingual
from fupin.core.audit import SYSTEM_ACTOR
from fupin.imports.pipelines import zip_rosters
from fupin.policy import clock, codes, roles
from fupin.policy.masking import mask_account, mask_id_number
from fupin.web import labels

register = template.Library()


@register.filter(name="in_language")
def in_language(label: Any) -> str:
    """A "中文 English" choice label (``get_status_display``) in the active language
    (:func:`fupin.core.bilingual.in_language`)."""
    return bilingual.in_language(label)


@register.filter
def actor_label(name: Any) -> str:
    """Who did it, as stored (``actor_name``, ``…_by_name``): a user's name as it is; the system's
    (:func:`fupin.core.audit.actor_name` of no user: ``system``) as "系统" / "the system"."""
    return gettext("the system") if name == SYSTEM_ACTOR else str(name or "")


@register.filter(name="message_in_language")
def message_in_language(text: Any) -> str:
    """A stored "中文 / English" message (a rejected row's reason, an error, a progress label, a
    flash message) in the active language (:func:`fupin.core.bilingual.message_in_language`)."""
    return bilingual.message_in_language(text)


@register.filter
def roster_column(header: Any, field: Any = "") -> str:
    """A roster column (花名册列) on a page: the file's header on a Chinese page; on an English one its
    English label with the header, ``Phone (联系电话)`` (the header alone for a column without one)."""
    text = "" if header is None else str(header)
    if not current_lang().startswith("en"):
        return text
    label = labels.roster_column_label(text, str(field or ""))
    return f"{label} ({text})" if label and text else (label or text)


@register.filter
def sheet_row(row: Any, sheets: Any) -> str:
    """A list's row as the user finds it: ``夏阳乡 第12行`` (``夏阳乡 row 12`` in English) when its
    workbook's sheets were read together (``sheets``: their names), the row number itself otherwise."""
    return zip_rosters.row_label(int(row), list(sheets or ()), english=current_lang().startswith("en"))


@register.simple_tag
def today() -> str:
    """今天 — ``{% today %}``: today's date in China Standard Time as ``YYYY-MM-DD`` (a date input's
    default). Django's ``{% now %}`` reads another clock than :func:`fupin.policy.clock.today`."""
    return clock.today().isoformat()


def current_lang() -> str:
    """The active language code (``zh-hans`` or ``en``)."""
    return get_language() or settings.LANGUAGE_CODE


@register.filter
def code_label(value: Any, list_id: str) -> str:
    """The label of a code in one of the national code lists, in the active language."""
    if value is None:
        return ""
    return codes.ALL_LISTS[list_id].label(str(value), current_lang())


def category_text(code: str | None, version: str | None) -> str:
    """贫困户属性 label under a form version (2014 or 2016)."""
    code_list = codes.HOUSEHOLD_CATEGORY_BY_VERSION.get(str(version or ""))
    if code_list is None:
        return str(code or "")
    return code_list.label(code, current_lang())


@register.filter
def category_label(household: Any) -> str:
    """The household's 贫困户属性 label, read with the code list of its form version."""
    return category_text(household.category, household.category_form_version)


@register.filter
def form_version_label(version: Any) -> str:
    return str(labels.CATEGORY_FORM_VERSIONS.get(str(version), version))


def may_see_full_id(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.may_see_full_id)


@register.filter
def id_for(number: Any, user: Any) -> str:
    """The ID number in full for users who may see it, else masked (3504**********1234)."""
    number = str(number or "")
    return number if may_see_full_id(user) else mask_id_number(number)


@register.filter
def account_for(number: Any, user: Any) -> str:
    """The bank account in full for users who may see full IDs, else all but the last 4 masked."""
    number = str(number or "")
    return number if may_see_full_id(user) else mask_account(number)


@register.filter
def role_label(user: Any) -> str:
    """The user's role (角色) in the active language."""
    role = roles.ROLES.get(getattr(user, "role", ""))
    if role is None:
        return ""
    return role.en if current_lang().startswith("en") else role.zh


@register.filter
def flag(value: Any) -> str:
    """是/否 for a yes/no field."""
    return gettext("Yes") if value else gettext("No")


@register.filter
def record_status(value: Any) -> str:
    """在册 / 已注销."""
    return str(labels.RECORD_STATUS.get(str(value), value))


@register.filter
def id_kind(value: Any) -> str:
    return str(labels.ID_KINDS.get(str(value), value))


@register.filter
def level_name(level: Any) -> str:
    """区划级别 (省/市/县/乡镇/村) in the active language."""
    from fupin.policy.regions import LEVEL_NAMES

    names = LEVEL_NAMES.get(int(level or 0))
    if names is None:
        return ""
    return names[1] if current_lang().startswith("en") else names[0]
