"""Status and action choices of the household exit (精准退出), mirroring fupin.policy.exit_procedure."""

from __future__ import annotations

from django.db import models

from fupin.policy.procedure import ActionKind, CaseStatus


class ExitStatus(models.TextChoices):
    """退出案件状态 — where one household's exit stands."""

    IN_PROGRESS = CaseStatus.IN_PROGRESS, "办理中 in progress"
    EXITED = "exited", "已销号(已脱贫) exited"
    REJECTED = CaseStatus.REJECTED, "未通过 not passed"
    WITHDRAWN = CaseStatus.WITHDRAWN, "已撤回 withdrawn"


#: The stored status ↔ the procedure machinery's (its last step gives "registered": here, 已销号).
TO_PROCEDURE = {ExitStatus.EXITED.value: CaseStatus.REGISTERED}
FROM_PROCEDURE = {CaseStatus.REGISTERED: ExitStatus.EXITED.value}


class ExitEventAction(models.TextChoices):
    """退出程序事件 — what one event of the log records."""

    COMPLETE = ActionKind.COMPLETE, "完成环节 step completed"
    REJECT = ActionKind.REJECT, "未通过 rejected"
    OBJECT = ActionKind.OBJECT, "登记异议 objection recorded"
    RESOLVE = ActionKind.RESOLVE, "处理异议 objection resolved"
    WITHDRAW = ActionKind.WITHDRAW, "撤回 withdrawn"


#: 判定结果 of the exit decision stored as a fupin.rules HouseholdDecision (kind "exit").
EXIT_MET = "exit_met"
EXIT_NOT_MET = "exit_not_met"
OUTCOME_LABELS = {EXIT_MET: ("达到退出标准", "meets the exit criteria"),
                  EXIT_NOT_MET: ("未达到退出标准", "does not meet the exit criteria")}
