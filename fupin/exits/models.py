"""The household exit's records (精准退出): cases, their event log, objections, and county settings.

- :class:`ExitSetting` — a region's exit criteria and procedure changes from a date, by version
  (:func:`fupin.policy.exit_rules.apply_exit_override`, :func:`fupin.policy.procedure.apply_overrides`).
- :class:`ExitCase` — one household's exit going through the procedure. It keeps the procedure and
  the exit criteria as they were when it was proposed (JSON with their versions), its place in the
  procedure, the year it exits in, and the 脱贫状态 it had before it was proposed (restored if the
  case does not end in 销号).
- :class:`ExitEvent` — the append-only event log: who did what at which step, when, with which
  evidence (the verification of each criterion, the household's signature …) and comment.
- :class:`ExitObjection` — an objection (异议) recorded during the village publicity, and its resolution.

Writes go through :mod:`fupin.exits.services` only. Exit decisions are stored as
:class:`fupin.rules.models.HouseholdDecision` rows of kind ``exit`` (with the rules version and reasons).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from fupin.core.models import TimeStamped, Versioned
from fupin.core.procedure_models import AppendOnlyError as AppendOnlyError  # re-exported: the apps' tests use it
from fupin.core.procedure_models import EventBase, ObjectionBase, ProcedureCaseBase
from fupin.policy.exit_procedure import ExitProcedure
from fupin.policy.exit_rules import ExitRules

from .choices import FROM_PROCEDURE, TO_PROCEDURE, ExitEventAction, ExitStatus


class ExitSetting(models.Model):
    """退出设置 — a province's, city's or county's exit criteria and procedure changes, valid from a date.

    ``rules_override``: keys of :data:`fupin.policy.exit_rules.OVERRIDE_KEYS` (line series, standard,
    lag, stability, timing rules, criteria); ``procedure_overrides``: publicity days, quorum, majority,
    roles, evidence per step. A case takes the setting of the deepest region above its village valid on
    the day it is proposed. A saved setting is not edited: a change is a new row (new version)."""

    region_code = models.CharField("区划 region", max_length=12, db_index=True,
                                   help_text="省、市或县的12位代码 / a province, city or county code")
    version = models.CharField("版本 version", max_length=60, unique=True, help_text="e.g. exit-350421-2017.1")
    valid_from = models.DateField("启用日期 valid from")
    rules_override = models.JSONField("退出标准调整 criteria override", default=dict, blank=True,
                                      help_text='e.g. {"line_series": "exit_projected", "stable_years": 1}')
    procedure_overrides = models.JSONField("退出程序调整 procedure overrides", default=dict, blank=True,
                                           help_text='e.g. {"publicity_days": {"village_publicity": 5}}')
    comment = models.TextField("说明 comment", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["region_code", "-valid_from"]
        verbose_name = "退出设置 exit setting"

    def __str__(self) -> str:
        return f"{self.region_code} {self.version}"


class ExitCase(ProcedureCaseBase, TimeStamped, Versioned):
    """退出案件 — one household's exit (拟退出 … 销号); its state in the procedure:
    :class:`~fupin.core.procedure_models.ProcedureCaseBase` (the model's ``exited`` is the procedure's
    ``registered``)."""

    procedure_class = ExitProcedure
    status_to_procedure = TO_PROCEDURE
    status_from_procedure = FROM_PROCEDURE

    household = models.ForeignKey("registry.Household", verbose_name="贫困户 household", on_delete=models.PROTECT,
                                  related_name="exit_cases")
    year = models.PositiveSmallIntegerField("退出年度 exit year", db_index=True)
    procedure_version = models.CharField("程序版本 procedure version", max_length=60)
    procedure = models.JSONField("程序定义 procedure", help_text="the procedure as it was when the case started")
    rules_version = models.CharField("退出标准版本 criteria version", max_length=60)
    rules = models.JSONField("退出标准 criteria", help_text="the exit criteria as they were when the case started")
    step = models.CharField("当前环节 current step", max_length=40, db_index=True)
    step_started_on = models.DateField("进入本环节日期 step began on")
    last_action_on = models.DateField("最近办理日期 last action on")
    status = models.CharField("状态 status", max_length=12, choices=ExitStatus.choices,
                              default=ExitStatus.IN_PROGRESS, db_index=True)
    open_objections = models.PositiveIntegerField("未处理异议 open objections", default=0)
    upheld_objections = models.PositiveIntegerField("成立的异议 upheld objections", default=0)
    previous_poverty_status = models.CharField("拟退出前脱贫状态 status before", max_length=1)
    started_on = models.DateField("拟退出日期 proposed on")
    closed_on = models.DateField("办结日期 closed on", null=True, blank=True)
    exited_on = models.DateField("销号日期 deregistered on", null=True, blank=True, db_index=True)
    outcome_comment = models.TextField("未通过或撤回理由 reason", blank=True)
    # The household's region ancestors (for the one scoping function, one equality per level).
    province_code = models.CharField(max_length=12, editable=False)
    city_code = models.CharField(max_length=12, editable=False)
    county_code = models.CharField(max_length=12, db_index=True, editable=False)
    township_code = models.CharField(max_length=12, db_index=True, editable=False)
    village_code = models.CharField(max_length=12, db_index=True, editable=False)

    class Meta:
        ordering = ["village_code", "household_id", "-id"]
        verbose_name = "退出案件 exit case"
        constraints = [
            models.UniqueConstraint(fields=["household"], condition=Q(status="in_progress"),
                                    name="exits_one_open_case_per_household"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.household_id} {self.year}:{self.step} ({self.status})"

    def get_rules(self) -> ExitRules:
        return ExitRules.from_dict(self.rules)


class ExitObjection(ObjectionBase):
    """异议 — raised during the village publicity of an exit; open until resolved."""

    case = models.ForeignKey(ExitCase, on_delete=models.PROTECT, related_name="objections")
    raised_by = models.CharField("异议人 raised by", max_length=100, help_text="name, or 匿名 anonymous")

    class Meta:
        ordering = ["case_id", "id"]
        verbose_name = "退出异议 exit objection"


class ExitEvent(EventBase):
    """退出程序事件 — one entry of a case's append-only log."""

    case = models.ForeignKey(ExitCase, on_delete=models.PROTECT, related_name="events")
    action = models.CharField("操作 action", max_length=12, choices=ExitEventAction.choices)
    objection = models.ForeignKey(ExitObjection, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="events")
    decision_id = models.BigIntegerField("退出判定 decision", null=True, blank=True,
                                         help_text="the fupin.rules HouseholdDecision (kind exit) made at this step")
    batch = models.CharField("整村批次 village batch", max_length=40, blank=True,
                             help_text="set when a village's list moved through the step together")
    source = models.CharField(max_length=20, blank=True, help_text="web, api, cli, test")

    class Meta:
        ordering = ["case_id", "id"]
        verbose_name = "退出程序事件 exit event"

    def __str__(self) -> str:
        return f"{self.case_id} {self.step} {self.action} {self.on}"

