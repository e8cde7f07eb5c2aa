"""Statuses of the screening app (数据比对状态), and the list kinds as Django choices."""

from __future__ import annotations

from django.db import models

from fupin.policy import department_lists


class ListStatus(models.TextChoices):
    """部门名单状态 — a department list file through its import."""

    LANDED = "landed", "已上传 landed"
    LOADED = "loaded", "已入库 loaded"
    FAILED = "failed", "失败 failed"


class RunStatus(models.TextChoices):
    """比对批次状态 — a screening run."""

    RUNNING = "running", "比对中 running"
    DONE = "done", "已完成 done"
    FAILED = "failed", "失败 failed"


class HitStatus(models.TextChoices):
    """疑点状态 — an exception in the queue."""

    OPEN = "open", "待核实 open"
    CONFIRMED = "confirmed", "已确认 confirmed"
    DISMISSED = "dismissed", "已排除 dismissed"


class Decision(models.TextChoices):
    """核实结论 — what a township officer decides about a hit."""

    CONFIRM = "confirm", "确认 confirm"
    DISMISS = "dismiss", "排除 dismiss"


KIND_CHOICES = department_lists.choices("zh")
