"""Village exit (贫困村出列) and county exit (贫困县摘帽) records.

- :class:`AreaExitSetting` — a province's or county's version of the exit policy (incidence numerator
  and denominator, publicity days, conditions, collective-income targets; :mod:`fupin.policy.area_exit`),
  from a date. Edited in the admin like the procedure settings.
- :class:`VillageCondition` — a village's exit conditions recorded for one year (road, water, power,
  clinic, broadband, collective income), with the evidence and who recorded them.
- :class:`VillageExitCase` — one village's exit going through the procedure (乡镇提出 → 乡镇公示 → 县级审批
  → 公告出列); it keeps the procedure as it was when it started. :class:`VillageExitEvent` is its
  append-only log (with the exit check made at the step), :class:`VillageExitObjection` the objections
  raised during the township publicity.
- :class:`CountyExit` — a county's approved exit (摘帽), with the readiness report at the time.

The region's status (``Region.exit_year``) is set when a case ends in 出列 or a county exit is recorded;
households are never touched (四个不摘). Writes go through :mod:`fupin.region_exit.services` only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.db.models import Q

from fupin.core.models import TimeStamped, Versioned
from fupin.core.procedure_models import AppendOnlyError as AppendOnlyError  # re-exported: the apps' tests use it
from fupin.core.procedure_models import EventBase, ObjectionBase, user_fk
from fupin.policy.area_exit import VillageExitProcedure
from fupin.policy.procedure import CaseState, ProcedureError

from .choices import EventAction, VillageExitStatus


class AreaExitSetting(models.Model):
    """退出政策设置 — the exit policy a region uses from a date, as overrides of the national policy
    (:func:`fupin.policy.area_exit.apply_overrides`). The deepest region above a village or county
    with a setting valid on the day wins."""

    region_code = models.CharField("区划 region", max_length=12, db_index=True)
    overrides = models.JSONField("本地调整 overrides", default=dict, blank=True,
                                 help_text='e.g. {"denominator": "agricultural", "publicity_days": 10}')
    version = models.CharField("版本 version", max_length=60, unique=True, help_text="e.g. area-exit-2016.1+35.1")
    valid_from = models.DateField("启用日期 valid from")
    comment = models.TextField("说明 comment", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["region_code", "-valid_from"]
        verbose_name = "退出政策设置 exit policy setting"

    def __str__(self) -> str:
        return f"{self.region_code} {self.version}"


class VillageCondition(TimeStamped, Versioned):
    """出列条件 — a village's conditions in one year."""

    village_code = models.CharField("行政村 village", max_length=12, db_index=True)
    year = models.PositiveSmallIntegerField("年度 year")
    road = models.BooleanField("通硬化路 hardened road", default=False)
    water = models.BooleanField("安全饮水 safe drinking water", default=False)
    power = models.BooleanField("通动力电 power supply", default=False)
    clinic = models.BooleanField("标准化卫生室 standard clinic", default=False)
    broadband = models.BooleanField("通宽带 broadband", default=False)
    collective_income = models.DecimalField("村集体经济收入(元) collective income", max_digits=14, decimal_places=2,
                                            null=True, blank=True)
    evidence = models.TextField("佐证材料 evidence", blank=True)
    recorded_by = user_fk()
    recorded_by_name = models.CharField("填报人 recorded by", max_length=150, blank=True)

    class Meta:
        ordering = ["village_code", "-year"]
        verbose_name = "出列条件 village conditions"
        constraints = [models.UniqueConstraint(fields=["village_code", "year"], name="region_exit_one_condition_row")]

    def __str__(self) -> str:
        return f"{self.village_code} {self.year}"

    def as_mapping(self) -> dict[str, bool]:
        return {"road": self.road, "water": self.water, "power": self.power, "clinic": self.clinic,
                "broadband": self.broadband}


class VillageExitCase(TimeStamped, Versioned):
    """贫困村退出 — one village's exit case."""

    village_code = models.CharField("行政村 village", max_length=12, db_index=True)
    township_code = models.CharField(max_length=12, editable=False)
    county_code = models.CharField(max_length=12, db_index=True, editable=False)
    year = models.PositiveSmallIntegerField("退出年度 year")
    policy_version = models.CharField("退出政策版本 policy version", max_length=60)
    procedure_version = models.CharField("程序版本 procedure version", max_length=80)
    procedure = models.JSONField("程序定义 procedure", help_text="the procedure as it was when the case started")
    step = models.CharField("当前环节 current step", max_length=40)
    step_started_on = models.DateField("进入本环节日期 step began on")
    last_action_on = models.DateField("最近办理日期 last action on")
    status = models.CharField("状态 status", max_length=12, choices=VillageExitStatus.choices,
                              default=VillageExitStatus.IN_PROGRESS, db_index=True)
    open_objections = models.PositiveIntegerField("未处理异议 open objections", default=0)
    upheld_objections = models.PositiveIntegerField("成立的异议 upheld objections", default=0)
    started_on = models.DateField("提出日期 proposed on")
    closed_on = models.DateField("办结日期 closed on", null=True, blank=True)
    outcome_comment = models.TextField("驳回或撤回理由 reason", blank=True)

    class Meta:
        ordering = ["village_code", "-id"]
        verbose_name = "贫困村退出 village exit case"
        constraints = [models.UniqueConstraint(fields=["village_code"], condition=Q(status="in_progress"),
                                               name="region_exit_one_open_case_per_village")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.village_code} {self.year} {self.step} ({self.status})"

    def get_procedure(self) -> VillageExitProcedure:
        return VillageExitProcedure.from_dict(self.procedure)

    def state(self) -> CaseState:
        return CaseState(step_id=self.step, status=self.status, step_started_on=self.step_started_on,
                         last_action_on=self.last_action_on, open_objections=self.open_objections,
                         upheld_objections=self.upheld_objections)

    def set_state(self, state: CaseState) -> None:
        self.step, self.status = state.step_id, state.status
        self.step_started_on, self.last_action_on = state.step_started_on, state.last_action_on
        self.open_objections, self.upheld_objections = state.open_objections, state.upheld_objections

    @property
    def is_open(self) -> bool:
        return self.status == VillageExitStatus.IN_PROGRESS

    @property
    def current_step(self) -> Any:
        try:
            return self.get_procedure().step(self.step)
        except ProcedureError:
            return None

    @property
    def publicity_ends_on(self) -> dt.date | None:
        from fupin.policy.procedure import earliest_end

        step = self.current_step
        return earliest_end(step, self.step_started_on) if self.is_open and step is not None else None


class VillageExitObjection(ObjectionBase):
    """异议 — raised during the township publicity of a village's exit."""

    case = models.ForeignKey(VillageExitCase, on_delete=models.PROTECT, related_name="objections")

    class Meta:
        ordering = ["case_id", "id"]
        verbose_name = "出列异议 objection"

    def __str__(self) -> str:
        return f"#{self.pk} {self.text[:30]}"


class VillageExitEvent(EventBase):
    """程序事件 — one entry of a village exit case's append-only log."""

    case = models.ForeignKey(VillageExitCase, on_delete=models.PROTECT, related_name="events")
    action = models.CharField("操作 action", max_length=12, choices=EventAction.choices)
    exit_check = models.JSONField("出列条件核查 exit check", default=dict, blank=True,
                             help_text="the incidence and conditions as checked at this step")
    objection = models.ForeignKey(VillageExitObjection, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="events")

    class Meta:
        ordering = ["case_id", "id"]
        verbose_name = "出列程序事件 village exit event"

    def __str__(self) -> str:
        return f"{self.case_id} {self.step} {self.action} {self.on}"


class CountyExit(models.Model):
    """贫困县摘帽 — a county's approved exit (province approval), with the readiness at the time."""

    county_code = models.CharField("县 county", max_length=12, unique=True)
    year = models.PositiveSmallIntegerField("摘帽年度 year")
    approved_on = models.DateField("批准日期 approved on")
    document = models.CharField("批准文件 approval document", max_length=200)
    readiness = models.JSONField("退出核查 readiness", default=dict)
    recorded_by = user_fk()
    recorded_by_name = models.CharField("录入人 recorded by", max_length=150, blank=True)
    comment = models.TextField("说明 comment", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["county_code"]
        verbose_name = "贫困县摘帽 county exit"

    def __str__(self) -> str:
        return f"{self.county_code} {self.year}"
