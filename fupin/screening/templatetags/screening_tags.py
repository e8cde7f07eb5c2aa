"""Template filters of the screening pages: list kinds and record details in the active language.

``{% load screening_tags %}`` then ``{{ hit.kind|kind_label }}``, ``{{ hit.kind|kind_department }}``,
``{% for label, value in record|record_details %}``.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

from fupin.policy import department_lists

register = template.Library()


def _en() -> bool:
    return (get_language() or "").startswith("en")


@register.filter
def kind_label(kind_id: Any) -> str:
    """名单类型 label (车辆登记 / Vehicle registrations)."""
    kind = department_lists.BY_ID.get(str(kind_id))
    if kind is None:
        return str(kind_id)
    return kind.label_en if _en() else kind.label_zh


@register.filter
def kind_department(kind_id: Any) -> str:
    kind = department_lists.BY_ID.get(str(kind_id))
    if kind is None:
        return ""
    return kind.department_en if _en() else kind.department_zh


@register.filter
def record_details(record: Any) -> list[tuple[str, str]]:
    """(column label, value) of a department record's non-empty detail columns, in the kind's order."""
    kind = department_lists.BY_ID.get(record.department_list.kind)
    detail = record.detail or {}
    if kind is None:
        return [(k, str(v)) for k, v in detail.items() if v not in (None, "")]
    return [(c.label_en if _en() else c.header, str(detail[c.field])) for c in kind.detail_columns
            if detail.get(c.field) not in (None, "")]


@register.filter
def column_label(column: department_lists.ListColumn) -> str:
    return column.label_en if _en() else column.header
