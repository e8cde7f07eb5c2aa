"""Status and action choices of the identification procedure (识别程序), mirroring fupin.policy.procedure."""

from __future__ import annotations

from django.db import models

from fupin.policy.procedure import PROCEDURES, ActionKind, CaseStatus


class IdentificationStatus(models.TextChoices):
    """案件状态 — where one household's application stands."""

    IN_PROGRESS = CaseStatus.IN_PROGRESS, "办理中 in progress"
    REGISTERED = CaseStatus.REGISTERED, "已建档 registered"
    REJECTED = CaseStatus.REJECTED, "已驳回 rejected"
    WITHDRAWN = CaseStatus.WITHDRAWN, "已撤回 withdrawn"


class EventAction(models.TextChoices):
    """程序事件 — what one event of the log records."""

    COMPLETE = ActionKind.COMPLETE, "完成环节 step completed"
    REJECT = ActionKind.REJECT, "驳回 rejected"
    OBJECT = ActionKind.OBJECT, "登记异议 objection recorded"
    RESOLVE = ActionKind.RESOLVE, "处理异议 objection resolved"
    WITHDRAW = ActionKind.WITHDRAW, "撤回申请 application withdrawn"


def procedure_choices() -> list[tuple[str, str]]:
    return [(pid, f"{p.label_zh} {p.label_en}") for pid, p in PROCEDURES.items()]
