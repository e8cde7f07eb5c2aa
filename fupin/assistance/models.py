"""The help a household gets (精准帮扶): its yearly plan, the measures planned and given, and the visits.

- :class:`HouseholdPlan` (一户一策) — one plan per household per year; drafted, approved (审定), closed.
- :class:`PlannedMeasure` (帮扶措施计划, 倒排工期) — a measure in a plan: type, target date, responsible
  helper, expected income effect, status (planned → in progress → done; dropped with a reason).
- :class:`MeasureGiven` (帮扶措施落实) — help actually given: date, amount, unit, quantity, and the project,
  fund or loan it came from (references the finance issue fills in). Cancelled with a reason, never deleted.
- :class:`Visit` (走访) and :class:`VisitPhoto` — a helper's visit: what was found, what was agreed, photos.
- :class:`AssistanceSetting` — a region's override of the measure catalogue and the visit interval.

Every row reaches its region through its household (scope: ``household__<level>_code``). Writes go
through :mod:`fupin.assistance.services` only (scope, state machine, audit trail).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models

from fupin.core.models import TimeStamped, Versioned

from .choices import HouseholdPlanStatus, PlannedMeasureStatus


def _user_fk() -> models.ForeignKey:
    return models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")


def _money(verbose: str, **extra) -> models.DecimalField:
    return models.DecimalField(verbose, max_digits=12, decimal_places=2, **extra)


class AssistanceSetting(models.Model):
    """帮扶设置 — a region's (usually a county's) override of the measure catalogue: amounts, measure types
    switched off, suggestion rows, the visit interval (走访间隔) and who approves plans
    (:func:`fupin.policy.measures.apply_override`). The latest valid setting of the deepest region above a
    village applies. Rows are added, never changed."""

    region_code = models.CharField("区划 region", max_length=12, db_index=True)
    overrides = models.JSONField("本地调整 overrides", default=dict, blank=True,
                                 help_text='e.g. {"visits": {"interval_days": 15}, "amounts": {"industry_tea": '
                                           '{"standard": 1200}}}')
    version = models.CharField("版本 version", max_length=60, unique=True, help_text="e.g. 2016.1+350421.1")
    valid_from = models.DateField("启用日期 valid from")
    comment = models.TextField("说明 comment", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["region_code", "-valid_from", "-id"]
        verbose_name = "帮扶设置 assistance setting"

    def __str__(self) -> str:
        return f"{self.region_code} {self.version}"


class HouseholdPlan(TimeStamped, Versioned):
    """帮扶计划 (一户一策) — the household's plan for one year: what will be done, by whom, by when."""

    household = models.ForeignKey("registry.Household", verbose_name="贫困户 household", on_delete=models.PROTECT,
                                  related_name="plans")
    year = models.PositiveSmallIntegerField("年度 year")
    status = models.CharField("状态 status", max_length=10, choices=HouseholdPlanStatus.choices,
                              default=HouseholdPlanStatus.DRAFT)
    goal = models.TextField("帮扶目标 goal", blank=True)
    catalogue_version = models.CharField("措施目录版本 catalogue version", max_length=60, blank=True)
    created_by = _user_fk()
    created_by_name = models.CharField("制定人 drawn up by", max_length=150, blank=True)
    approved_by = _user_fk()
    approved_by_name = models.CharField("审定人 approved by", max_length=150, blank=True)
    approved_at = models.DateTimeField("审定时间 approved at", null=True, blank=True)
    closed_at = models.DateTimeField("结束时间 closed at", null=True, blank=True)

    class Meta:
        ordering = ["household_id", "-year"]
        verbose_name = "帮扶计划 household plan"
        constraints = [models.UniqueConstraint(fields=["household", "year"], name="assistance_one_plan_per_year")]

    def __str__(self) -> str:
        return f"{self.household_id} {self.year} ({self.status})"


class PlannedMeasure(TimeStamped, Versioned):
    """计划措施 (倒排工期) — one measure of a plan with its target date and responsible helper."""

    plan = models.ForeignKey(HouseholdPlan, verbose_name="帮扶计划 plan", on_delete=models.PROTECT,
                             related_name="measures")
    # The plan's household, kept here so scope and to-do lists need no join through the plan.
    household = models.ForeignKey("registry.Household", verbose_name="贫困户 household", on_delete=models.PROTECT,
                                  related_name="planned_measures", editable=False, db_index=False)
    measure_type = models.CharField("措施类型 measure type", max_length=40)
    description = models.TextField("措施内容 description", blank=True)
    quantity = models.DecimalField("数量 quantity", max_digits=12, decimal_places=2, null=True, blank=True)
    planned_amount = _money("计划金额(元) planned amount, yuan", null=True, blank=True)
    target_date = models.DateField("完成时限 target date")
    helper = models.ForeignKey("pairing.Helper", verbose_name="责任人 responsible helper", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="planned_measures", db_index=False)
    expected_income = _money("预计增收(元) expected income effect, yuan", default=Decimal(0))
    status = models.CharField("状态 status", max_length=12, choices=PlannedMeasureStatus.choices,
                              default=PlannedMeasureStatus.PLANNED)
    started_on = models.DateField("开始日期 started on", null=True, blank=True)
    done_on = models.DateField("完成日期 done on", null=True, blank=True)
    dropped_on = models.DateField("放弃日期 dropped on", null=True, blank=True)
    drop_reason = models.TextField("放弃理由 reason for dropping", blank=True)
    reasons = models.JSONField("建议依据 suggested because", default=list, blank=True,
                               help_text="the pathways, causes or conditions that suggested the measure")
    created_by = _user_fk()
    created_by_name = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["plan_id", "target_date", "id"]
        verbose_name = "计划措施 planned measure"
        indexes = [models.Index(fields=["helper", "status", "target_date"], name="planned_measure_helper_due"),
                   models.Index(fields=["household", "status"], name="planned_measure_household")]

    def __str__(self) -> str:
        return f"{self.measure_type} → {self.target_date} ({self.status})"


class MeasureGiven(TimeStamped):
    """帮扶措施落实 — help given to a household: what, when, how much, and where the money came from."""

    household = models.ForeignKey("registry.Household", verbose_name="贫困户 household", on_delete=models.PROTECT,
                                  related_name="measures_given", db_index=False)
    measure_type = models.CharField("措施类型 measure type", max_length=40)
    given_on = models.DateField("落实日期 given on")
    amount = _money("金额(元) amount, yuan", default=Decimal(0))
    unit = models.CharField("单位 unit", max_length=12)
    quantity = models.DecimalField("数量 quantity", max_digits=12, decimal_places=2, null=True, blank=True)
    term_months = models.PositiveSmallIntegerField("期限(月) term, months", null=True, blank=True,
                                                   help_text="loans (小额信贷)")
    description = models.TextField("说明 description", blank=True)
    planned_measure = models.ForeignKey(PlannedMeasure, verbose_name="计划措施 planned measure", null=True,
                                        blank=True, on_delete=models.PROTECT, related_name="given")
    # Where the help came from; the finance issue links these to its projects, funds and loans.
    project_ref = models.CharField("扶贫项目 project", max_length=80, blank=True)
    fund_ref = models.CharField("资金来源 fund", max_length=80, blank=True)
    loan_ref = models.CharField("贷款 loan", max_length=80, blank=True)
    recorded_by = _user_fk()
    recorded_by_name = models.CharField("录入人 recorded by", max_length=150, blank=True)
    source = models.CharField(max_length=20, blank=True, help_text="web, api, demo, test")
    cancelled_at = models.DateTimeField("作废时间 cancelled at", null=True, blank=True)
    cancelled_by_name = models.CharField(max_length=150, blank=True)
    cancel_reason = models.TextField("作废理由 reason for cancelling", blank=True)

    class Meta:
        ordering = ["household_id", "-given_on", "-id"]
        verbose_name = "帮扶措施落实 measure given"
        indexes = [models.Index(fields=["household", "given_on"], name="measure_given_household")]

    def __str__(self) -> str:
        return f"{self.household_id} {self.measure_type} {self.given_on} {self.amount}"

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


class Visit(TimeStamped):
    """走访 — a helper's visit to a household: what was found and what was agreed."""

    helper = models.ForeignKey("pairing.Helper", verbose_name="帮扶责任人 helper", on_delete=models.PROTECT,
                               related_name="visits", db_index=False)
    household = models.ForeignKey("registry.Household", verbose_name="贫困户 household", on_delete=models.PROTECT,
                                  related_name="visits", db_index=False)
    visited_on = models.DateField("走访日期 visited on")
    found = models.TextField("了解情况 what was found")
    agreed = models.TextField("商定事项 what was agreed", blank=True)
    recorded_by = _user_fk()
    recorded_by_name = models.CharField("录入人 recorded by", max_length=150, blank=True)
    source = models.CharField(max_length=20, blank=True, help_text="web, api, demo, test")

    class Meta:
        ordering = ["household_id", "-visited_on", "-id"]
        verbose_name = "走访记录 visit"
        indexes = [models.Index(fields=["helper", "household", "visited_on"], name="visit_helper_household"),
                   models.Index(fields=["household", "visited_on"], name="visit_household")]

    def __str__(self) -> str:
        return f"{self.helper_id} → {self.household_id} {self.visited_on}"


def photo_path(instance: VisitPhoto, filename: str) -> str:
    """Where a photo is stored under MEDIA_ROOT (the data folder): by village and month, under a random
    name (the uploaded name is kept in ``original_name`` only)."""
    ext = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/heic": "heic"}.get(
        instance.content_type, "bin")
    village = instance.visit.household.village_code if instance.visit_id else "unknown"
    return f"assistance/visits/{village}/{uuid.uuid4().hex}.{ext}"


class VisitPhoto(models.Model):
    """走访照片 — a photo taken on a visit; served only through the scoped photo view."""

    visit = models.ForeignKey(Visit, verbose_name="走访 visit", on_delete=models.PROTECT, related_name="photos")
    file = models.FileField("照片 photo", upload_to=photo_path, max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField("大小(字节) size, bytes")
    original_name = models.CharField(max_length=200, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["visit_id", "id"]
        verbose_name = "走访照片 visit photo"

    def __str__(self) -> str:
        return f"{self.visit_id}: {self.original_name or self.file.name}"
