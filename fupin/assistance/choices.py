"""Status choices of the assistance app (精准帮扶), mirroring :mod:`fupin.policy.measures`."""

from __future__ import annotations

from django.db import models

from fupin.policy.measures import MeasureStatus, PlanStatus


class HouseholdPlanStatus(models.TextChoices):
    """帮扶计划状态 — 一户一策: drafted by the helper or the village, approved (审定) by the township or
    county, closed when its year is over."""

    DRAFT = PlanStatus.DRAFT, "编制中 draft"
    APPROVED = PlanStatus.APPROVED, "已审定 approved"
    CLOSED = PlanStatus.CLOSED, "已结束 closed"


class PlannedMeasureStatus(models.TextChoices):
    """措施状态 — planned → in progress → done; planned or in progress → dropped (with a reason)."""

    PLANNED = MeasureStatus.PLANNED, "计划 planned"
    IN_PROGRESS = MeasureStatus.IN_PROGRESS, "实施中 in progress"
    DONE = MeasureStatus.DONE, "已完成 done"
    DROPPED = MeasureStatus.DROPPED, "已放弃 dropped"
