"""The identification procedure's records (识别程序): cases, their event log, objections, and settings.

- :class:`IdentificationCase` — one household's application going through a procedure. It keeps the
  procedure as it was when the case started (``procedure`` JSON, ``procedure_version``), so a later
  county override never changes a running case, and its place in it (current step, dates, objections).
- :class:`ProcedureEvent` — the append-only event log: who did what at which step, when, with which
  evidence and comment (and the automatic decision made then). Rows are never changed or deleted.
- :class:`Objection` — an objection (异议) recorded during a publicity step, and its resolution.
- :class:`ProcedureSetting` — which procedure a region uses and the county's overrides, by version.

Writes go through :mod:`fupin.identification.services` only.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from fupin.core.models import TimeStamped, Versioned
from fupin.core.procedure_models import AppendOnlyError as AppendOnlyError  # re-exported: the apps' tests use it
from fupin.core.procedure_models import EventBase, ObjectionBase, ProcedureCaseBase

from .choices import EventAction, IdentificationStatus, procedure_choices


class ProcedureSetting(models.Model):
    """识别程序设置 — the procedure a region (usually a county) uses from a date, with its overrides
    (publicity days, quorum, roles, evidence per step; :func:`fupin.policy.procedure.apply_overrides`).
    A case takes the setting of the deepest region above its village valid on the day it starts."""

    region_code = models.CharField("区划 region", max_length=12, db_index=True)
    procedure_id = models.CharField("识别程序 procedure", max_length=20, choices=procedure_choices)
    overrides = models.JSONField("本地调整 overrides", default=dict, blank=True,
                                 help_text='e.g. {"publicity_days": {"first_publicity": 5}}')
    version = models.CharField("版本 version", max_length=60, unique=True,
                               help_text="e.g. national-2014.1+350421.1")
    valid_from = models.DateField("启用日期 valid from")
    comment = models.TextField("说明 comment", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["region_code", "-valid_from"]
        verbose_name = "识别程序设置 procedure setting"

    def __str__(self) -> str:
        return f"{self.region_code} {self.version}"


class IdentificationCase(ProcedureCaseBase, TimeStamped, Versioned):
    """识别案件 — one household's application (农户申请 … 建档); its state in the procedure:
    :class:`~fupin.core.procedure_models.ProcedureCaseBase`."""

    household = models.ForeignKey("registry.Household", verbose_name="申请户 household", on_delete=models.PROTECT,
                                  related_name="identification_cases")
    procedure_id = models.CharField("识别程序 procedure", max_length=20)
    procedure_version = models.CharField("程序版本 procedure version", max_length=60)
    procedure = models.JSONField("程序定义 procedure", help_text="the procedure as it was when the case started")
    step = models.CharField("当前环节 current step", max_length=40, db_index=True)
    step_started_on = models.DateField("进入本环节日期 step began on")
    last_action_on = models.DateField("最近办理日期 last action on")
    status = models.CharField("状态 status", max_length=12, choices=IdentificationStatus.choices,
                              default=IdentificationStatus.IN_PROGRESS, db_index=True)
    open_objections = models.PositiveIntegerField("未处理异议 open objections", default=0)
    upheld_objections = models.PositiveIntegerField("成立的异议 upheld objections", default=0)
    started_on = models.DateField("申请日期 applied on")
    closed_on = models.DateField("办结日期 closed on", null=True, blank=True)
    outcome_comment = models.TextField("驳回或撤回理由 reason", blank=True)
    # The household's region ancestors (for the one scoping function, one equality per level).
    province_code = models.CharField(max_length=12, editable=False)
    city_code = models.CharField(max_length=12, editable=False)
    county_code = models.CharField(max_length=12, db_index=True, editable=False)
    township_code = models.CharField(max_length=12, db_index=True, editable=False)
    village_code = models.CharField(max_length=12, db_index=True, editable=False)

    class Meta:
        ordering = ["village_code", "household_id", "-id"]
        verbose_name = "识别案件 identification case"
        constraints = [
            models.UniqueConstraint(fields=["household"], condition=Q(status="in_progress"),
                                    name="identification_one_open_case_per_household"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.household_id} {self.procedure_id}:{self.step} ({self.status})"


class Objection(ObjectionBase):
    """异议 — raised by a villager (or anyone) during a publicity step; open until resolved."""

    case = models.ForeignKey(IdentificationCase, on_delete=models.PROTECT, related_name="objections")
    raised_by = models.CharField("异议人 raised by", max_length=100, help_text="name, or 匿名 anonymous")

    class Meta:
        ordering = ["case_id", "id"]
        verbose_name = "异议 objection"


class ProcedureEvent(EventBase):
    """程序事件 — one entry of a case's append-only log: who, when, which step, what, evidence, comment."""

    changed_message = "程序事件只能追加,不能修改 / procedure events are never changed"
    deleted_message = "程序事件不能删除 / procedure events are never deleted"

    case = models.ForeignKey(IdentificationCase, on_delete=models.PROTECT, related_name="events")
    action = models.CharField("操作 action", max_length=12, choices=EventAction.choices)
    objection = models.ForeignKey(Objection, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    decision_id = models.BigIntegerField("自动判定 decision", null=True, blank=True,
                                         help_text="the fupin.rules HouseholdDecision made at this step")
    batch = models.CharField("整村批次 village batch", max_length=40, blank=True,
                             help_text="set when a village's list moved through the step together")
    source = models.CharField(max_length=20, blank=True, help_text="web, api, cli, test")

    class Meta:
        ordering = ["case_id", "id"]
        verbose_name = "程序事件 procedure event"

    def __str__(self) -> str:
        return f"{self.case_id} {self.step} {self.action} {self.on}"

