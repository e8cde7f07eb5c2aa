"""Status choices of the yearly review (动态调整)."""

from __future__ import annotations

from django.db import models


class CycleStatus(models.TextChoices):
    """年度动态调整状态."""

    OPEN = "open", "进行中 open"
    CLOSED = "closed", "已结束 closed"


class SnapshotSource(models.TextChoices):
    """How a snapshot was taken."""

    CYCLE = "cycle", "年度调整结束 closing a cycle"
    CLI = "cli", "命令 command"
    API = "api", "接口 API"
    WEB = "web", "页面 page"
    TEST = "test", "测试 test"
    BENCH = "bench", "基准测试 benchmark"
