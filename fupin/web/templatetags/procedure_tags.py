"""Template filters the case procedures' pages share (识别 ``identification_tags``, 退出 ``exits_tags``): the label
of a step, procedure or criterion, role names and a stored decision's reason, in the active language.

The apps' tag libraries register these under their own names (``label`` / ``exit_label``, ``reason_label`` /
``reason_text``), so their templates keep loading one library.
"""

from __future__ import annotations

from typing import Any

from django import template

from fupin.policy import roles
from fupin.web.templatetags.fupin_tags import current_lang

register = template.Library()


def _en() -> bool:
    return current_lang().startswith("en")


@register.filter
def step_label(obj: Any) -> str:
    """``label_zh`` or ``label_en`` of a step, evidence kind, procedure or criterion."""
    if obj is None:
        return ""
    return str(getattr(obj, "label_en" if _en() else "label_zh", obj))


@register.filter
def role_name(role_id: str) -> str:
    """角色 — a role's name (the id when unknown)."""
    role = roles.ROLES.get(str(role_id))
    if role is None:
        return str(role_id)
    return role.en if _en() else role.zh


@register.filter
def role_names(role_ids: Any) -> str:
    return "、".join(role_name(r) for r in sorted(role_ids or ()))


@register.filter
def reason_text(reason: Any) -> str:
    """One reason of a stored decision (``{"rule_id", "label_zh", "label_en"}``)."""
    if isinstance(reason, dict):
        return str(reason.get("label_en" if _en() else "label_zh") or reason.get("rule_id") or "")
    return str(reason)


__all__ = ["reason_text", "register", "role_name", "role_names", "step_label"]
