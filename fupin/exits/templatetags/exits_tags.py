"""Template filters of the exit pages: labels of steps, statuses, actions and reasons in the active language."""

from __future__ import annotations

from typing import Any

from django import template

from fupin.policy import codes
from fupin.policy.exit_procedure import REFUSED_LABEL, status_label
from fupin.policy.procedure import ActionKind
from fupin.web.templatetags import procedure_tags
from fupin.web.templatetags.fupin_tags import current_lang

from ..choices import FROM_PROCEDURE, OUTCOME_LABELS, TO_PROCEDURE

register = template.Library()
# the labels the identification pages share (fupin.web.templatetags.procedure_tags), under this library's names
register.filter("exit_label", procedure_tags.step_label)
register.filter("role_name", procedure_tags.role_name)
register.filter("role_names", procedure_tags.role_names)
register.filter("reason_text", procedure_tags.reason_text)


def _en() -> bool:
    return current_lang().startswith("en")


def _pick(pair: tuple[str, str]) -> str:
    return pair[1] if _en() else pair[0]


@register.filter
def exit_status(case: Any) -> str:
    """退出案件状态 of a case (a rejection at the consent step reads 贫困户不认可)."""
    status = TO_PROCEDURE.get(str(case.status), str(case.status))
    return _pick(status_label(status, str(case.step)))


@register.filter
def exit_status_value(value: str) -> str:
    """退出案件状态 of a stored status value."""
    return _pick(status_label(TO_PROCEDURE.get(str(value), str(value))))


@register.filter
def exit_action(event: Any) -> str:
    """The action of an event; a rejection at the consent step is 贫困户不认可."""
    kind = str(getattr(event, "action", event))
    if kind == ActionKind.REJECT and getattr(event, "step", "") == "consent":
        return _pick(REFUSED_LABEL)
    labels = {**ActionKind.LABELS, ActionKind.REJECT: ("未通过", "not passed"),
              ActionKind.WITHDRAW: ("撤回", "withdrawn")}
    return _pick(labels.get(kind, (kind, kind)))


@register.filter
def outcome_label(outcome: str) -> str:
    return _pick(OUTCOME_LABELS.get(str(outcome), (str(outcome), str(outcome))))


@register.filter
def poverty_status(code: str) -> str:
    return codes.POVERTY_STATUS.label(str(code), "en" if _en() else "zh") if code else ""


@register.filter
def yuan(value: Any) -> str:
    if value is None or value == "":
        return "—"
    try:
        return f"{float(value):,.2f}"
    except (TypeError, ValueError):
        return str(value)


__all__ = ["FROM_PROCEDURE", "register"]
