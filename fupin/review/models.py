"""The yearly review (年度动态调整) and the frozen year-end snapshots (年度快照).

- :class:`ReviewCycle` — one county's review of one year, ``open`` → ``closed``. Closing it writes the
  year's snapshot; while it is open its pages show the year's flows so far (the previous year's snapshot
  against the live registry).
- :class:`Snapshot` — the header of a frozen copy of one county's registry at the end of a year: when the
  registry was read (``as_of``), who took it, the counts, and the rule and policy versions it used.
- :class:`HouseholdSnapshot`, :class:`PersonSnapshot` — one row per household and per member record, with
  the fields the flow report and the figures need. Written in bulk (``fupin.core.bulk.copy_frame``) by
  :func:`fupin.review.services.take_snapshot`, never row by row.

Snapshots are **immutable**: these models refuse ``save()`` after the first insert and ``delete()``,
their querysets refuse ``update()`` and ``delete()``, and the database itself refuses ``UPDATE`` and
``DELETE`` on the three tables (triggers of migration 0002, on PostgreSQL and SQLite; on PostgreSQL a
``TRUNCATE`` of a table that has rows is refused too).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from fupin.core.models import TimeStamped, Versioned

from .choices import CycleStatus, SnapshotSource


class ImmutableError(RuntimeError):
    """A snapshot is never changed or deleted."""

    def __init__(self, what: str = "") -> None:
        super().__init__(f"快照不可修改或删除 / snapshots are immutable{': ' + what if what else ''}")


class FrozenQuerySet(models.QuerySet):
    """A queryset that inserts and reads only."""

    def update(self, **kwargs: Any) -> int:
        raise ImmutableError("update()")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableError("delete()")

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        raise ImmutableError("bulk_update()")

    def update_or_create(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableError("update_or_create()")


class Frozen(models.Model):
    """Insert once, never change."""

    objects = FrozenQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableError(f"{self._meta.label_lower}#{self.pk}")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableError(f"{self._meta.label_lower}#{self.pk}")


class Snapshot(Frozen):
    """年度快照 — a frozen copy of one county's registry at the end of ``year``."""

    region_code = models.CharField("县 county", max_length=12, db_index=True)
    year = models.PositiveSmallIntegerField("年度 year")
    as_of = models.DateTimeField("数据时点 registry read at")
    included_since = models.DateTimeField(
        "含此后注销 includes records that left since",
        help_text="households and members that left the registry since then are kept (with their reason); "
                  "the previous snapshot's as_of, or the start of the year")
    taken_at = models.DateTimeField("生成时间 taken at", auto_now_add=True)
    taken_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    taken_by_name = models.CharField("生成人 taken by", max_length=150, blank=True)
    source = models.CharField("来源 source", max_length=10, choices=SnapshotSource.choices)
    households = models.PositiveIntegerField("户数(行) household rows", default=0)
    persons = models.PositiveIntegerField("人数(行) person rows", default=0)
    poor_households = models.PositiveIntegerField("贫困户数 poor households", default=0)
    poor_persons = models.PositiveIntegerField("贫困人数 poor persons", default=0)
    versions = models.JSONField("规则与政策版本 versions", default=dict,
                                help_text="flow rules, policy set, income rules, area-exit policy used")
    comment = models.TextField("说明 comment", blank=True)
    files = models.JSONField(
        "数据文件 Parquet copies", null=True, blank=True,
        help_text="the rows also written as Parquet files in the data folder: per unit (households, persons) "
                  "the file name, its SHA-256 and row count (fupin.review.store); null: no files")

    class Meta:
        ordering = ["region_code", "-year"]
        verbose_name = "年度快照 snapshot"
        constraints = [models.UniqueConstraint(fields=["region_code", "year"], name="review_one_snapshot_per_year")]

    def __str__(self) -> str:
        return f"{self.region_code} {self.year}"


class HouseholdSnapshot(Frozen):
    """快照中的户 — one household as it stood in a snapshot."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.DO_NOTHING, db_constraint=False,
                                 related_name="household_rows")
    household_id = models.BigIntegerField("户 household")
    household_number = models.CharField("户编号 household number", max_length=32)
    head_name = models.CharField("户主 head", max_length=60, blank=True)
    village_code = models.CharField("行政村 village", max_length=12)
    status = models.CharField("在册状态 record status", max_length=10)
    poverty_status = models.CharField("脱贫状态 poverty status", max_length=1)
    identification_year = models.PositiveSmallIntegerField("识别年度 identified in", null=True)
    exit_year = models.PositiveSmallIntegerField("脱贫年度 exited in", null=True)
    size = models.PositiveSmallIntegerField("家庭人口 size", default=0)
    category = models.CharField("贫困户属性 category", max_length=2, blank=True)
    category_form_version = models.CharField("属性版本 category form", max_length=4, blank=True)
    main_cause = models.CharField("主要致贫原因 main cause", max_length=2, blank=True)
    left_reason = models.CharField("注销原因 why it left", max_length=20, blank=True)
    left_on = models.DateField("注销日期 left on", null=True)
    income_per_capita = models.DecimalField("年人均纯收入 income per person", max_digits=12, decimal_places=2,
                                            null=True)

    class Meta:
        verbose_name = "快照户 household in a snapshot"

    def __str__(self) -> str:
        return f"{self.snapshot_id}:{self.household_number}"


class PersonSnapshot(Frozen):
    """快照中的人 — one member record as it stood in a snapshot."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.DO_NOTHING, db_constraint=False,
                                 related_name="person_rows")
    member_id = models.BigIntegerField("成员 member")
    household_id = models.BigIntegerField("户 household")
    village_code = models.CharField("行政村 village", max_length=12)
    relation = models.CharField("与户主关系 relation", max_length=2, blank=True)
    sex = models.CharField("性别 sex", max_length=1, blank=True)
    birth_date = models.DateField("出生日期 birth date", null=True)
    labour_skill = models.CharField("劳动技能 labour", max_length=2, blank=True)
    health = models.CharField("健康状况 health", max_length=2, blank=True)
    status = models.CharField("在册状态 record status", max_length=10)
    left_reason = models.CharField("减少原因 why they left", max_length=20, blank=True)
    left_on = models.DateField("减少日期 left on", null=True)
    left_with_household = models.BooleanField("随户注销 left with the household", default=False)

    class Meta:
        verbose_name = "快照成员 person in a snapshot"

    def __str__(self) -> str:
        return f"{self.snapshot_id}:{self.member_id}"


class ReviewCycle(TimeStamped, Versioned):
    """年度动态调整 — one county's yearly review: open while the year's changes are made, closed with the
    year-end snapshot."""

    region_code = models.CharField("县 county", max_length=12, db_index=True)
    year = models.PositiveSmallIntegerField("年度 year")
    status = models.CharField("状态 status", max_length=10, choices=CycleStatus.choices, default=CycleStatus.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    opened_by_name = models.CharField("发起人 opened by", max_length=150, blank=True)
    closed_at = models.DateTimeField("结束时间 closed at", null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    closed_by_name = models.CharField("结束人 closed by", max_length=150, blank=True)
    snapshot = models.OneToOneField(Snapshot, null=True, blank=True, on_delete=models.PROTECT, related_name="cycle")
    comment = models.TextField("说明 comment", blank=True)

    class Meta:
        ordering = ["region_code", "-year"]
        verbose_name = "年度动态调整 yearly review"
        constraints = [models.UniqueConstraint(fields=["region_code", "year"], name="review_one_cycle_per_year")]

    def __str__(self) -> str:
        return f"{self.region_code} {self.year} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status == CycleStatus.OPEN
