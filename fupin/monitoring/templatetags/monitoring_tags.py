"""Template filters of the monitoring pages: labels of types, statuses, actions, kinds and reasons in the
active language (the choices are written "中文 English")."""

from __future__ import annotations

from typing import Any

from django import template

from fupin.monitoring.choices import (
    Channel,
    DataKind,
    EventAction,
    MonitoringStatus,
    MonitoringType,
    RunKind,
    RunStatus,
)
from fupin.web.templatetags.fupin_tags import current_lang

register = template.Library()


def _en() -> bool:
    return current_lang().startswith("en")


def _pick(label: Any) -> str:
    zh, _sep, en = str(label).partition(" ")
    return (en or zh) if _en() else zh


def _choice(choices: Any, value: Any) -> str:
    for v, label in choices.choices:
        if v == str(value):
            return _pick(label)
    return str(value)


@register.filter
def monitoring_type(value: Any) -> str:
    """脱贫不稳定户 / 边缘易致贫户 / 突发严重困难户."""
    return _choice(MonitoringType, value)


@register.filter
def monitoring_status(value: Any) -> str:
    return _choice(MonitoringStatus, value)


@register.filter
def channel_label(value: Any) -> str:
    return _choice(Channel, value)


@register.filter
def event_action(value: Any) -> str:
    return _choice(EventAction, value)


@register.filter
def run_kind(value: Any) -> str:
    return _choice(RunKind, value)


@register.filter
def run_status(value: Any) -> str:
    return _choice(RunStatus, value)


@register.filter
def data_kind(value: Any) -> str:
    return _choice(DataKind, value)


@register.filter
def lang_label(obj: Any) -> str:
    """``label_zh``/``label_en`` of a rule, step or kind (an object or a stored reason dict)."""
    key = "label_en" if _en() else "label_zh"
    if isinstance(obj, dict):
        return str(obj.get(key) or obj.get("rule_id") or "")
    return str(getattr(obj, key, obj))


@register.filter
def reasons(items: Any) -> str:
    """Stored reasons (risk causes, failed conditions) as one line."""
    return "、".join(lang_label(r) for r in items or [] if isinstance(r, dict))


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def household_record_status(value: Any) -> str:
    """The household's record status, 监测户 included (the web labels may not know it yet)."""
    if str(value) == "monitored":
        return "Monitoring household (not registered poor)" if _en() else "监测户(非建档立卡)"
    from fupin.identification.templatetags.identification_tags import household_status

    return household_status(value)


@register.filter
def figures(values: Any) -> str:
    """Stored figures (``{column: value}``) as "label: value; …" with the monitoring columns' labels."""
    from fupin.policy.monitoring import MONITORING_COLUMNS

    if not isinstance(values, dict):
        return ""
    parts = []
    for key, value in values.items():
        column = MONITORING_COLUMNS.get(key)
        label = (column.label_en if _en() else column.label_zh) if column else key
        if isinstance(value, bool):
            shown = ("yes" if value else "no") if _en() else ("是" if value else "否")
        elif value is None:
            shown = "—"
        elif isinstance(value, float) and value.is_integer():
            shown = str(int(value))
        else:
            shown = str(value)
        parts.append(f"{label}: {shown}")
    return "; ".join(parts)
