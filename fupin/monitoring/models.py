"""Return-to-poverty monitoring (防止返贫动态监测) records.

- :class:`MonitoringObject` (监测对象) — one household watched for one spell: its type (脱贫不稳定户,
  边缘易致贫户, 突发严重困难户), how it was found, the risk causes, the monitoring line used (amount, year,
  region, policy version), its status (flagged → under identification → monitored → risk eliminated, or
  dismissed) with dates, and its place in the identification procedure (the procedure as it was when
  identification began, the current step, objections). At most one open object per household.
  A household not registered as poor is recorded in the registry with record status ``monitored``
  (监测户, through :func:`fupin.registry.services.create_household`), so members, ID numbers and
  one-person-one-household apply to it as to any household.
- :class:`MonitoringFlag` (风险预警) — one rule that flagged an object: rule id, labels, text, the
  monitoring policy version, the figures it saw, and the run that raised it (none when raised by hand).
- :class:`MonitoringEvent` (监测事件, append-only) and :class:`MonitoringObjection` (异议) — the log.
- :class:`IncomeCheck` (收入核查) — a dated per-capita income; the months above the line are counted
  from them.
- :class:`EliminationDecision` (风险消除判定) — an assessment with the facts it saw and the conditions
  that failed, from a run or for one object.
- :class:`MonitoringRun` (批量运行) — a flag run or an elimination run over a region.
- :class:`MonitoringDataList` / :class:`MonitoringDataRecord` / :class:`MonitoringDataRejection` —
  imported department data (medical spending, disaster losses, deaths keyed by ID number), staged and
  accounted: rows read = rows accepted + rows rejected.
- :class:`MonitoringSetting` — a province's or county's override of the monitoring policy, by version.

Writes go through :mod:`fupin.monitoring.services`, :mod:`.runs` and :mod:`.data_import` only.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import models
from django.db.models import Q

from fupin.core.models import TimeStamped, Versioned
from fupin.core.procedure_models import AppendOnlyError as AppendOnlyError  # re-exported: the apps' tests use it
from fupin.core.procedure_models import EventBase, ObjectionBase, user_fk
from fupin.policy.monitoring import type_label
from fupin.policy.procedure import CaseState, CaseStatus, Procedure, earliest_end

from .choices import (
    Channel,
    DataKind,
    DataListStatus,
    EventAction,
    MonitoringStatus,
    MonitoringType,
    RunKind,
    RunStatus,
)


def _money(verbose: str, **extra) -> models.DecimalField:
    return models.DecimalField(verbose, max_digits=12, decimal_places=2, **extra)


class MonitoringSetting(models.Model):
    """监测政策设置 — a region's override of the monitoring policy (lines, rules, look-back, procedure) from a
    date (:func:`fupin.policy.monitoring.apply_override`). Rows are added, never changed. The setting of
    the deepest region above a household valid on the day applies."""

    region_code = models.CharField("区划 region", max_length=12, db_index=True)
    overrides = models.JSONField("本地调整 overrides", default=dict, blank=True,
                                 help_text='e.g. {"lines": [{"region": "35", "year": 2024, "amount": 11000}]}')
    version = models.CharField("版本 version", max_length=60, unique=True, help_text="e.g. monitoring-2021.1+35.1")
    valid_from = models.DateField("启用日期 valid from")
    comment = models.TextField("说明 comment", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["region_code", "-valid_from", "-id"]
        verbose_name = "监测政策设置 monitoring setting"

    def __str__(self) -> str:
        return f"{self.region_code} {self.version}"


class MonitoringRun(models.Model):
    """批量运行 — a flag run (风险识别) or an elimination run (风险消除) over a region on a date."""

    kind = models.CharField("类型 kind", max_length=12, choices=RunKind.choices)
    region_code = models.CharField("区划 region", max_length=12, db_index=True)
    on = models.DateField("评估日期 as of")
    status = models.CharField("状态 status", max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    policy_versions = models.JSONField("监测政策版本 policy versions", default=list, blank=True)
    data_lists = models.JSONField("使用的部门数据 department lists used", default=list, blank=True)
    counts = models.JSONField("统计 counts", default=dict, blank=True)
    actor = user_fk()
    actor_name = models.CharField(max_length=150, blank=True)
    source = models.CharField(max_length=20, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "监测批量运行 monitoring run"

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.region_code} {self.on} ({self.status})"


class MonitoringObject(TimeStamped, Versioned):
    """监测对象 — one household watched for one spell (see the module docstring)."""

    household = models.ForeignKey("registry.Household", verbose_name="监测户 household", on_delete=models.PROTECT,
                                  related_name="monitoring_objects")
    type = models.CharField("监测对象类型 type", max_length=20, choices=MonitoringType.choices)
    status = models.CharField("监测状态 status", max_length=12, choices=MonitoringStatus.choices,
                              default=MonitoringStatus.FLAGGED, db_index=True)
    channel = models.CharField("发现渠道 found by", max_length=12, choices=Channel.choices)
    risk_causes = models.JSONField("风险类型 risk causes", default=list, blank=True,
                                   help_text='[{"rule_id", "label_zh", "label_en", "sudden"}]')
    cause_note = models.TextField("风险情况说明 what happened", blank=True)
    # The monitoring line used (监测范围): amount, the year and region of the line, carried forward or not.
    line_amount = _money("监测范围(元) line used")
    line_year = models.PositiveSmallIntegerField("监测范围年度 line year")
    line_region = models.CharField("监测范围区划 line region", max_length=12, blank=True)
    line_note = models.CharField("监测范围说明 line basis", max_length=200, blank=True)
    policy_version = models.CharField("监测政策版本 policy version", max_length=60)
    run = models.ForeignKey(MonitoringRun, verbose_name="预警批次 flag run", null=True, blank=True,
                            on_delete=models.PROTECT, related_name="objects_flagged")
    flagged_on = models.DateField("发现日期 flagged on")
    monitored_on = models.DateField("纳入监测日期 monitored from", null=True, blank=True)
    closed_on = models.DateField("结束日期 closed on", null=True, blank=True)
    close_reason = models.TextField("结束理由 why it closed", blank=True)
    # The identification procedure (识别程序): the procedure as it was when identification began.
    procedure_version = models.CharField("程序版本 procedure version", max_length=80, blank=True)
    procedure = models.JSONField("程序定义 procedure", default=dict, blank=True)
    step = models.CharField("当前环节 current step", max_length=40, blank=True)
    step_started_on = models.DateField("进入本环节日期 step began on", null=True, blank=True)
    last_action_on = models.DateField("最近办理日期 last action on", null=True, blank=True)
    open_objections = models.PositiveIntegerField("未处理异议 open objections", default=0)
    upheld_objections = models.PositiveIntegerField("成立的异议 upheld objections", default=0)
    province_code = models.CharField(max_length=12, editable=False)
    city_code = models.CharField(max_length=12, editable=False)
    county_code = models.CharField(max_length=12, db_index=True, editable=False)
    township_code = models.CharField(max_length=12, db_index=True, editable=False)
    village_code = models.CharField(max_length=12, db_index=True, editable=False)

    class Meta:
        ordering = ["village_code", "household_id", "-id"]
        verbose_name = "监测对象 monitoring object"
        constraints = [
            models.UniqueConstraint(fields=["household"], condition=Q(status__in=["flagged", "identifying",
                                                                                  "monitored"]),
                                    name="monitoring_one_open_object_per_household"),
        ]
        indexes = [models.Index(fields=["county_code", "status"], name="monitoring_object_county")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.household_id} {self.type} ({self.status})"

    @property
    def type_label(self) -> str:
        return type_label(self.type)

    @property
    def is_open(self) -> bool:
        return self.status in (MonitoringStatus.FLAGGED, MonitoringStatus.IDENTIFYING, MonitoringStatus.MONITORED)

    @property
    def in_procedure(self) -> bool:
        return self.status == MonitoringStatus.IDENTIFYING

    def get_procedure(self) -> Procedure | None:
        return Procedure.from_dict(self.procedure) if self.procedure else None

    def state(self) -> CaseState:
        status = {MonitoringStatus.IDENTIFYING: CaseStatus.IN_PROGRESS,
                  MonitoringStatus.DISMISSED: CaseStatus.REJECTED}.get(self.status, CaseStatus.REGISTERED)
        return CaseState(step_id=self.step, status=status, step_started_on=self.step_started_on or dt.date.min,
                         last_action_on=self.last_action_on or dt.date.min, open_objections=self.open_objections,
                         upheld_objections=self.upheld_objections)

    def set_state(self, state: CaseState) -> None:
        self.step = state.step_id
        self.step_started_on, self.last_action_on = state.step_started_on, state.last_action_on
        self.open_objections, self.upheld_objections = state.open_objections, state.upheld_objections

    @property
    def current_step(self):  # -> fupin.policy.procedure.Step | None
        procedure = self.get_procedure()
        return procedure.step(self.step) if procedure is not None and self.step else None

    @property
    def publicity_ends_on(self) -> dt.date | None:
        step = self.current_step
        if step is None or not self.in_procedure or self.step_started_on is None:
            return None
        return earliest_end(step, self.step_started_on)

    @property
    def cause_ids(self) -> list[str]:
        return [str(c.get("rule_id")) for c in self.risk_causes or [] if isinstance(c, dict)]


class MonitoringFlag(models.Model):
    """风险预警 — one rule that flagged an object, with the figures it saw and its version."""

    object = models.ForeignKey(MonitoringObject, on_delete=models.PROTECT, related_name="flags")
    run = models.ForeignKey(MonitoringRun, null=True, blank=True, on_delete=models.PROTECT, related_name="flags")
    rule_id = models.CharField("规则 rule", max_length=60)
    label_zh = models.CharField(max_length=200)
    label_en = models.CharField(max_length=200)
    rule_text = models.TextField("规则文本 rule text", blank=True)
    sudden = models.BooleanField("突发 sudden", default=False)
    policy_version = models.CharField("监测政策版本 policy version", max_length=60)
    values = models.JSONField("当时数据 figures", default=dict, blank=True,
                              help_text="income_per_capita, monitoring_line, medical_spending … at the time")
    raised_on = models.DateField("预警日期 raised on")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["object_id", "id"]
        verbose_name = "风险预警 monitoring flag"

    def __str__(self) -> str:
        return f"{self.object_id} {self.rule_id}"


class MonitoringObjection(ObjectionBase):
    """异议 — raised during the village notice (村内公示); open until resolved."""

    object = models.ForeignKey(MonitoringObject, on_delete=models.PROTECT, related_name="objections")

    class Meta:
        ordering = ["object_id", "id"]
        verbose_name = "监测异议 monitoring objection"


class MonitoringEvent(EventBase):
    """监测事件 — one entry of an object's append-only log."""

    changed_message = "监测事件只能追加,不能修改 / monitoring events are never changed"
    deleted_message = "监测事件不能删除 / monitoring events are never deleted"

    object = models.ForeignKey(MonitoringObject, on_delete=models.PROTECT, related_name="events")
    step = models.CharField("环节 step", max_length=40, blank=True)
    action = models.CharField("操作 action", max_length=14, choices=EventAction.choices)
    objection = models.ForeignKey(MonitoringObjection, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="events")

    class Meta:
        ordering = ["object_id", "id"]
        verbose_name = "监测事件 monitoring event"

    def __str__(self) -> str:
        return f"{self.object_id} {self.step} {self.action} {self.on}"


class IncomeCheck(models.Model):
    """收入核查 — the household's net income per person (annual, yuan) as checked on a date."""

    object = models.ForeignKey(MonitoringObject, on_delete=models.PROTECT, related_name="income_checks")
    checked_on = models.DateField("核查日期 checked on")
    income_per_capita = _money("人均纯收入(元/年) net income per person, yuan a year")
    note = models.TextField("核查说明 note", blank=True)
    recorded_by = user_fk()
    recorded_by_name = models.CharField(max_length=150, blank=True)
    source = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["object_id", "checked_on", "id"]
        verbose_name = "收入核查 income check"

    def __str__(self) -> str:
        return f"{self.object_id} {self.checked_on} {self.income_per_capita}"


class EliminationDecision(models.Model):
    """风险消除判定 — one assessment of an object: eliminable or not, the failed conditions, the facts."""

    object = models.ForeignKey(MonitoringObject, on_delete=models.PROTECT, related_name="decisions")
    run = models.ForeignKey(MonitoringRun, null=True, blank=True, on_delete=models.PROTECT, related_name="decisions")
    made_on = models.DateField("评估日期 assessed on")
    eliminable = models.BooleanField("可消除风险 eliminable")
    stays_monitored = models.BooleanField("持续监测(无劳动能力) stays monitored", default=False)
    failed = models.JSONField("未满足的条件 conditions not met", default=list, blank=True)
    facts = models.JSONField("评估依据 facts", default=dict, blank=True)
    policy_version = models.CharField("监测政策版本 policy version", max_length=60)
    made_by_name = models.CharField(max_length=150, blank=True)
    made_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["object_id", "-made_on", "-id"]
        verbose_name = "风险消除判定 elimination decision"

    def __str__(self) -> str:
        return f"{self.object_id} {self.made_on} {'eliminable' if self.eliminable else 'not eliminable'}"


class MonitoringDataList(models.Model):
    """部门数据 — one uploaded file of another department's records (medical spending, disasters, deaths)."""

    kind = models.CharField("数据类型 kind", max_length=12, choices=DataKind.choices, db_index=True)
    source_department = models.CharField("数据来源部门 source department", max_length=100)
    as_of = models.DateField("数据截止日期 as of")
    region_code = models.CharField("适用区域 region", max_length=12, db_index=True)
    status = models.CharField(max_length=10, choices=DataListStatus.choices, default=DataListStatus.LANDED)
    file_name = models.CharField("文件名 file name", max_length=255)
    file_sha256 = models.CharField("文件哈希 SHA-256", max_length=64, db_index=True)
    file_size = models.PositiveBigIntegerField(default=0)
    stored_path = models.CharField(max_length=500, blank=True)
    encoding = models.CharField(max_length=20, blank=True)
    actor = user_fk()
    actor_name = models.CharField(max_length=150, blank=True)
    source = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    loaded_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    headers = models.JSONField(default=dict)
    unknown_headers = models.JSONField(default=list)
    #: 读取的工作表: a workbook's list sheets read together, in order; the ``k``-th sheet's rows are numbered
    #: ``k × 1,000,000 + row`` (:func:`fupin.imports.pipelines.zip_rosters.row_label` names them).
    source_sheets = models.JSONField("读取的工作表 sheets read", default=list, blank=True)
    rows_read = models.PositiveIntegerField(default=0)
    rows_accepted = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "监测部门数据 monitoring department data"
        constraints = [
            models.UniqueConstraint(fields=["kind", "file_sha256", "region_code"],
                                    condition=Q(status__in=["landed", "loaded"]), name="monitoring_data_once"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.file_name} ({self.status})"

    @property
    def accounted(self) -> bool:
        return self.rows_read == self.rows_accepted + self.rows_rejected


class MonitoringDataRecord(models.Model):
    """部门数据记录 — one accepted row: the ID number, the amount (yuan; none for deaths), the date."""

    data_list = models.ForeignKey(MonitoringDataList, on_delete=models.PROTECT, related_name="records")
    row_number = models.PositiveIntegerField("行号 row")
    id_number = models.CharField("证件号码 ID number", max_length=18, db_index=True)
    name = models.CharField("姓名 name", max_length=60, blank=True)
    amount = _money("金额(元) amount", default=Decimal(0))
    occurred_on = models.DateField("发生日期 occurred on")
    detail = models.JSONField("明细 detail", default=dict)

    class Meta:
        ordering = ["data_list_id", "row_number", "id"]
        verbose_name = "监测部门数据记录 monitoring data record"

    def __str__(self) -> str:
        return f"{self.data_list_id}:{self.row_number}"


class MonitoringDataRejection(models.Model):
    """错误行 — a refused row of a department data file, with its reason."""

    data_list = models.ForeignKey(MonitoringDataList, on_delete=models.CASCADE, related_name="rejections")
    row_number = models.PositiveIntegerField("行号 row")
    column = models.CharField("列 column", max_length=60, blank=True)
    value = models.CharField("值 value", max_length=200, blank=True)
    reason = models.CharField("原因 reason", max_length=300)

    class Meta:
        ordering = ["data_list_id", "row_number", "id"]
        verbose_name = "监测部门数据错误行 rejected row"

    def __str__(self) -> str:
        return f"row {self.row_number} {self.column}: {self.reason}"


