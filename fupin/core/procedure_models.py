"""Abstract models shared by the apps that run a case through a procedure (识别, 退出, 监测, 出列).

- :class:`ObjectionBase` — an objection (异议) raised during a publicity step, and its resolution.
- :class:`EventBase` — one entry of an append-only event log: when, who (and in which role), evidence,
  comment. Rows are never changed or deleted (:class:`AppendOnlyError`).
- :class:`ProcedureCaseBase` — what a case of 识别 or 退出 does with its fields: its place in the procedure
  as the pure :class:`~fupin.policy.procedure.CaseState`, its current step, its publicity's end (no fields:
  each app's case declares its own, as its migrations have them).

The concrete models keep their own foreign key to the case (``case`` or ``object``, with
``related_name="objections"`` / ``"events"``), their ``action`` choices, their extra columns and their Meta.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django.conf import settings
from django.db import models

from fupin.policy.procedure import CaseState, CaseStatus, Procedure, earliest_end


class AppendOnlyError(RuntimeError):
    """The event log is never changed."""


def user_fk() -> models.ForeignKey:
    """A nullable, protected reference to the user who did something (no reverse accessor)."""
    return models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")


class ObjectionBase(models.Model):
    """异议 — raised during a publicity step; open until resolved."""

    step = models.CharField("公示环节 step", max_length=40)
    raised_by = models.CharField("异议人 raised by", max_length=100)
    text = models.TextField("异议内容 objection")
    raised_on = models.DateField("提出日期 raised on")
    recorded_by = user_fk()
    recorded_by_name = models.CharField(max_length=150, blank=True)
    resolved_on = models.DateField("处理日期 resolved on", null=True, blank=True)
    resolved_by = user_fk()
    resolved_by_name = models.CharField("处理人 resolved by", max_length=150, blank=True)
    resolution = models.TextField("处理结果 resolution", blank=True)
    upheld = models.BooleanField("异议成立 upheld", null=True, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"#{self.pk} {self.step}: {self.text[:30]}"

    @property
    def is_open(self) -> bool:
        return self.resolved_on is None


class EventBase(models.Model):
    """One entry of an append-only event log: who, when, which step, evidence, comment."""

    #: The messages of :class:`AppendOnlyError` on a change and on a delete.
    changed_message: ClassVar[str] = "程序事件只能追加,不能修改 / events are never changed"
    deleted_message: ClassVar[str] = "程序事件不能删除 / events are never deleted"

    step = models.CharField("环节 step", max_length=40)
    on = models.DateField("办理日期 date")
    at = models.DateTimeField("记录时间 recorded at", auto_now_add=True)
    actor = user_fk()
    actor_name = models.CharField("办理人 actor", max_length=150, blank=True)
    actor_role = models.CharField("角色 role", max_length=20, blank=True)
    evidence = models.JSONField("材料 evidence", default=dict, blank=True)
    comment = models.TextField("意见 comment", blank=True)
    source = models.CharField(max_length=20, blank=True)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError(self.changed_message)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(self.deleted_message)


class ProcedureCaseBase(models.Model):
    """案件 — a case going through a procedure it keeps as it was when the case started (``procedure``
    JSON). The concrete model declares ``procedure``, ``step``, ``status``, ``step_started_on``,
    ``last_action_on``, ``open_objections`` and ``upheld_objections``; ``procedure_class`` reads the
    procedure, and ``status_to_procedure`` / ``status_from_procedure`` map the statuses the model names
    otherwise (退出: ``exited`` is the procedure's ``registered``)."""

    procedure_class: ClassVar[type[Procedure]] = Procedure
    status_to_procedure: ClassVar[dict[str, str]] = {}
    status_from_procedure: ClassVar[dict[str, str]] = {}

    class Meta:
        abstract = True

    def get_procedure(self) -> Any:
        return self.procedure_class.from_dict(self.procedure)  # type: ignore[attr-defined]

    def state(self) -> CaseState:
        c: Any = self
        return CaseState(step_id=c.step, status=self.status_to_procedure.get(c.status, c.status),
                         step_started_on=c.step_started_on, last_action_on=c.last_action_on,
                         open_objections=c.open_objections, upheld_objections=c.upheld_objections)

    def set_state(self, state: CaseState) -> None:
        c: Any = self
        c.step, c.status = state.step_id, self.status_from_procedure.get(state.status, state.status)
        c.step_started_on, c.last_action_on = state.step_started_on, state.last_action_on
        c.open_objections, c.upheld_objections = state.open_objections, state.upheld_objections

    @property
    def current_step(self) -> Any:  # fupin.policy.procedure.Step
        return self.get_procedure().step(self.step)  # type: ignore[attr-defined]

    @property
    def is_open(self) -> bool:
        return self.status == CaseStatus.IN_PROGRESS  # type: ignore[attr-defined]

    @property
    def publicity_ends_on(self) -> dt.date | None:
        """The earliest day the current publicity step may end (None when it is not one)."""
        return earliest_end(self.current_step, self.step_started_on) if self.is_open else None  # type: ignore[attr-defined]
