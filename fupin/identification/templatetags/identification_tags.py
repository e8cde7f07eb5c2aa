"""Template filters of the identification pages: labels of steps, actions and statuses in the active language."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import pgettext_lazy

from fupin.policy.procedure import ActionKind, CaseStatus
from fupin.web.templatetags import procedure_tags
from fupin.web.templatetags.fupin_tags import current_lang

register = template.Library()
# the labels the exit pages share (fupin.web.templatetags.procedure_tags), under this library's names
register.filter("label", procedure_tags.step_label)
register.filter("role_name", procedure_tags.role_name)
register.filter("role_names", procedure_tags.role_names)
register.filter("reason_label", procedure_tags.reason_text)


def _en() -> bool:
    return current_lang().startswith("en")


@register.filter
def action_label(kind: str) -> str:
    zh, en = ActionKind.LABELS.get(str(kind), (str(kind), str(kind)))
    return en if _en() else zh


@register.filter
def case_status(status: str) -> str:
    zh, en = CaseStatus.LABELS.get(str(status), (str(status), str(status)))
    return en if _en() else zh


HOUSEHOLD_STATUS = {"applicant": pgettext_lazy("household status", "Applicant"),
                    "declined": pgettext_lazy("household status", "Not admitted")}


@register.filter
def household_status(value: Any) -> str:
    """在册 / 已注销 / 申请中 / 未纳入."""
    from fupin.web.templatetags.fupin_tags import record_status

    return str(HOUSEHOLD_STATUS.get(str(value)) or record_status(value))
