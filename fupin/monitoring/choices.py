"""Statuses and kinds of the monitoring app (防返贫监测), mirroring :mod:`fupin.policy.monitoring`."""

from __future__ import annotations

from django.db import models

from fupin.policy import monitoring as policy
from fupin.policy.procedure import ActionKind


class MonitoringType(models.TextChoices):
    """监测对象类型."""

    UNSTABLE_EXITED = policy.UNSTABLE_EXITED, "脱贫不稳定户 unstable exited household"
    EDGE = policy.EDGE, "边缘易致贫户 edge household"
    SUDDEN_HARDSHIP = policy.SUDDEN_HARDSHIP, "突发严重困难户 sudden severe hardship"


class MonitoringStatus(models.TextChoices):
    """监测状态 — flagged → under identification → monitored → risk eliminated; or dismissed."""

    FLAGGED = "flagged", "已预警 flagged"
    IDENTIFYING = "identifying", "识别中 under identification"
    MONITORED = "monitored", "监测中 monitored"
    ELIMINATED = "eliminated", "风险已消除 risk eliminated"
    DISMISSED = "dismissed", "未纳入 dismissed"


#: Statuses of an object still open (one per household at a time).
OPEN_STATUSES = (MonitoringStatus.FLAGGED, MonitoringStatus.IDENTIFYING, MonitoringStatus.MONITORED)


class Channel(models.TextChoices):
    """发现渠道 — how the household was found (domain.md §6)."""

    SELF_REPORT = "self_report", "农户自主申报 self-report"
    CADRE = "cadre", "干部排查 cadre screening"
    DEPARTMENT = "department", "部门预警 department alert"


class EventAction(models.TextChoices):
    """监测事件 — one entry of an object's log: the procedure's actions, and the monitoring ones."""

    FLAG = "flag", "预警 flagged"
    COMPLETE = ActionKind.COMPLETE, "完成环节 step completed"
    REJECT = ActionKind.REJECT, "不予纳入 rejected"
    OBJECT = ActionKind.OBJECT, "登记异议 objection recorded"
    RESOLVE = ActionKind.RESOLVE, "处理异议 objection resolved"
    WITHDRAW = ActionKind.WITHDRAW, "撤回 withdrawn"
    DISMISS = "dismiss", "排除 dismissed"
    INCOME_CHECK = "income_check", "收入核查 income check"
    ASSESS = "assess", "风险消除评估 elimination assessed"
    ELIMINATE = "eliminate", "风险消除 risk eliminated"


class RunKind(models.TextChoices):
    """批量运行 — a flag run (风险识别) or a risk-elimination run (风险消除)."""

    FLAG = "flag", "风险识别 flag run"
    ELIMINATION = "elimination", "风险消除 risk elimination"


class RunStatus(models.TextChoices):
    RUNNING = "running", "运行中 running"
    DONE = "done", "已完成 done"
    FAILED = "failed", "失败 failed"


class DataKind(models.TextChoices):
    """部门数据类型 — other departments' records the flags read (keyed by ID number)."""

    MEDICAL = "medical", "医疗费用 medical spending"
    DISASTER = "disaster", "受灾 disaster losses"
    DEATH = "death", "死亡 deaths"


class DataListStatus(models.TextChoices):
    LANDED = "landed", "已上传 landed"
    LOADED = "loaded", "已入库 loaded"
    FAILED = "failed", "失败 failed"
