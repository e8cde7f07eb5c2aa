"""Template filters of the identification pages: labels of steps, actions and statuses in the active language."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import pgettext_lazy

from fupin.policy import roles
from fupin.policy.procedure import ActionKind, CaseStatus
from fupin.web.templatetags.fupin_tags import current_lang

register = template.Library()


def _en() -> bool:
    return current_lang().startswith("en")


@register.filter
def label(obj: Any) -> str:
    """``label_zh`` or ``label_en`` of a step, evidence kind or procedure."""
    if obj is None:
        return ""
    return str(getattr(obj, "label_en" if _en() else "label_zh", obj))


@register.filter
def action_label(kind: str) -> str:
    zh, en = ActionKind.LABELS.get(str(kind), (str(kind), str(kind)))
    return en if _en() else zh


@register.filter
def case_status(status: str) -> str:
    zh, en = CaseStatus.LABELS.get(str(status), (str(status), str(status)))
    return en if _en() else zh


@register.filter
def role_name(role_id: str) -> str:
    role = roles.ROLES.get(str(role_id))
    if role is None:
        return str(role_id)
    return role.en if _en() else role.zh


@register.filter
def role_names(role_ids: Any) -> str:
    return "、".join(role_name(r) for r in sorted(role_ids or ()))


@register.filter
def reason_label(reason: Any) -> str:
    """One reason of a stored decision (``{"rule_id", "label_zh", "label_en"}``)."""
    if isinstance(reason, dict):
        return str(reason.get("label_en" if _en() else "label_zh") or reason.get("rule_id") or "")
    return str(reason)


HOUSEHOLD_STATUS = {"applicant": pgettext_lazy("household status", "Applicant"),
                    "declined": pgettext_lazy("household status", "Not admitted")}


@register.filter
def household_status(value: Any) -> str:
    """在册 / 已注销 / 申请中 / 未纳入."""
    from fupin.web.templatetags.fupin_tags import record_status

    return str(HOUSEHOLD_STATUS.get(str(value)) or record_status(value))
