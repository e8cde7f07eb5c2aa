"""Status choices of village exit cases, mirroring :mod:`fupin.policy.procedure`'s CaseStatus and ActionKind."""

from __future__ import annotations

from django.db import models


class VillageExitStatus(models.TextChoices):
    """贫困村退出状态."""

    IN_PROGRESS = "in_progress", "办理中 in progress"
    REGISTERED = "registered", "已出列 exited"
    REJECTED = "rejected", "未通过 not approved"
    WITHDRAWN = "withdrawn", "已撤回 withdrawn"


class EventAction(models.TextChoices):
    """What an event of a village exit case records."""

    COMPLETE = "complete", "完成环节 step completed"
    REJECT = "reject", "驳回 rejected"
    OBJECT = "object", "登记异议 objection recorded"
    RESOLVE = "resolve", "处理异议 objection resolved"
    WITHDRAW = "withdraw", "撤回 withdrawn"
