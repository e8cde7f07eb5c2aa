"""Status of an import batch (导入批次状态)."""

from django.db import models


class BatchStatus(models.TextChoices):
    LANDED = "landed", "已上传 landed"
    VALIDATING = "validating", "校验中 validating"
    REVIEW = "review", "待确认 awaiting review"
    MERGING = "merging", "入库中 merging"
    MERGED = "merged", "已入库 merged"
    REFUSED = "refused", "已拒绝 refused"
    FAILED = "failed", "失败 failed"


class BatchKind(models.TextChoices):
    ROSTER = "roster", "花名册 roster"


class ExportOutcome(models.TextChoices):
    DONE = "done", "已导出 exported"
    REFUSED = "refused", "已拒绝 refused"


class ExportChannel(models.TextChoices):
    WEB = "web", "网页 web"
    API = "api", "接口 API"
    CLI = "cli", "命令行 command line"
