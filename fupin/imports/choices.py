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


class ImportMode(models.TextChoices):
    """导入方式: what a roster file replaces (:mod:`.pipelines.diff_members`)."""

    #: 整户导入 — each household the file lists is replaced by its rows: members added, changed, leaving.
    HOUSEHOLDS = "households", "整户导入 whole households"
    #: 只更新所列成员 — only the listed persons' own columns are updated; households are read from the
    #: registry, no one is added, moved or leaves (a sector list sent back corrected).
    MEMBERS = "members", "只更新所列成员 listed persons only"
    #: 只更新户信息 — only the listed households' own columns are updated (a 户花名册 is read); members, head
    #: and size stay the registry's, incomes are computed again (:mod:`.pipelines.diff_household_columns`).
    HOUSEHOLD_COLUMNS = "household_columns", "只更新户信息 household columns only"


class ExportOutcome(models.TextChoices):
    DONE = "done", "已导出 exported"
    REFUSED = "refused", "已拒绝 refused"


class ExportChannel(models.TextChoices):
    WEB = "web", "网页 web"
    API = "api", "接口 API"
    CLI = "cli", "命令行 command line"
