"""Import batches (导入批次), their rejected rows (错误行), and the record of exports (导出记录).

A batch is one file taken through the staged pipeline: landed → validated (review) → merged in one
transaction, or refused at review. Its counts always satisfy rows read = rows imported + rows
rejected. The rejected rows are kept with row number, column and reason for the review page and the
downloadable error report. Every roster export — page, API or command — leaves an
:class:`ExportRecord`: who took which region's people out of the system, when, how many rows, with
full or masked numbers, and the file's SHA-256 (docs/roster.md).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fupin.core import heartbeat
from fupin.policy import codes
from fupin.registry.choices import choices

from .choices import BatchKind, BatchStatus, ExportChannel, ExportOutcome, ImportMode
from .roster_filter import describe_record


def leaving_share(persons_left: int, persons_changed: int, persons_unchanged: int) -> float:
    """减员占比: the persons leaving against the registered persons of a file's registered households
    (those the file lists, changed or not, and those leaving)."""
    registered = persons_left + persons_changed + persons_unchanged
    return persons_left / registered if registered else 0.0


def many_leaving(persons_left: int, persons_changed: int, persons_unchanged: int) -> bool:
    """减员异常: so many of a file's registered persons would leave that the file is likely not a whole
    roster (a list exported with 人员筛选, rows lost in copying): at least ``FUPIN_IMPORT_LEAVING_WARN_MIN``
    persons (10) and ``FUPIN_IMPORT_LEAVING_WARN_SHARE`` (20 %) of them. Said at review and by the
    command; nothing is refused for it (the persons leaving are confirmed as always)."""
    least = int(getattr(settings, "FUPIN_IMPORT_LEAVING_WARN_MIN", 10))
    share = float(getattr(settings, "FUPIN_IMPORT_LEAVING_WARN_SHARE", 0.2))
    return persons_left >= least and leaving_share(persons_left, persons_changed, persons_unchanged) >= share


class ImportBatch(models.Model):
    """导入批次 — one uploaded roster file."""

    kind = models.CharField(max_length=20, choices=BatchKind.choices, default=BatchKind.ROSTER)
    mode = models.CharField("导入方式 import mode", max_length=20, choices=ImportMode.choices,
                            default=ImportMode.HOUSEHOLDS,
                            help_text="households: the file's households replaced by its rows; members: only the "
                                      "listed persons' own columns updated (pipelines.diff_members)")
    status = models.CharField(max_length=12, choices=BatchStatus.choices, default=BatchStatus.LANDED, db_index=True)
    file_name = models.CharField("文件名 file name", max_length=255)
    file_sha256 = models.CharField("文件哈希 SHA-256", max_length=64, db_index=True)
    file_size = models.PositiveBigIntegerField(default=0)
    stored_path = models.CharField(max_length=500, blank=True, help_text="the landed copy in the data folder")
    encoding = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)
    region_code = models.CharField("导入区域 target region", max_length=12, db_index=True)
    source = models.CharField(max_length=20, blank=True, help_text="web, api, cli")
    created_at = models.DateTimeField(auto_now_add=True)
    validated_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by_name = models.CharField(max_length=150, blank=True)
    decision_comment = models.TextField(blank=True)
    progress = models.PositiveSmallIntegerField(default=0, help_text="percent, for the upload page")
    progress_label = models.CharField(max_length=100, blank=True)
    error = models.TextField(blank=True, help_text="why the batch failed as a whole")
    heartbeat_at = models.DateTimeField(null=True, blank=True,
                                        help_text="last sign of life of the validation at work (fupin.core.heartbeat)")

    rows_read = models.PositiveIntegerField(default=0)
    rows_imported = models.PositiveIntegerField(default=0, help_text="rows valid (at review) or written (merged)")
    rows_rejected = models.PositiveIntegerField(default=0)
    rows_hidden = models.PositiveIntegerField(
        default=0, help_text="隐藏行: data rows hidden in the sheet (a filter, or by hand), read and checked like the others")
    households_new = models.PositiveIntegerField(default=0)
    households_changed = models.PositiveIntegerField(default=0)
    households_unchanged = models.PositiveIntegerField(default=0)
    persons_new = models.PositiveIntegerField(default=0)
    persons_changed = models.PositiveIntegerField(default=0)
    persons_unchanged = models.PositiveIntegerField(default=0)
    persons_left = models.PositiveIntegerField(
        default=0, help_text="成员减少: registered members of the file's households the file does not list (the merge "
                             "writes them as left)")
    persons_moved = models.PositiveIntegerField(
        default=0, help_text="of persons_left, those the file lists in another of its households (分户 into a new "
                             "household, 迁出 into a registered one): they leave their household, not the registry")
    changes_by_field = models.JSONField(
        default=list, help_text="变更明细 by field: [{change, field, header, rows, households}] (the list itself is "
                                "kept beside the batch, services.changes_path)")
    households_absent = models.PositiveIntegerField(
        default=0, help_text="在册但文件中没有的户: active households of the file's villages the file does not list "
                             "(left as they are by the merge)")
    by_village = models.JSONField(default=list, help_text="[{village_code, name, new, changed, unchanged, rejected, "
                                                          "absent, persons_new, persons_changed, persons_unchanged, "
                                                          "persons_left}]")
    source_files = models.JSONField(
        default=list, blank=True, help_text="a ZIP of rosters: its files' names, in order; the rows of the k-th file "
                                            "carry k × 1,000,000 + their own row (pipelines.zip_rosters)")
    held_villages = models.JSONField(
        default=list, blank=True, help_text="暂缓导入的村: village codes the reviewer held back; the batch was checked "
                                            "again with their rows rejected, so the rest can be merged")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "导入批次 import batch"

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name} ({self.status})"

    @property
    def accounted(self) -> bool:
        return self.rows_read == self.rows_imported + self.rows_rejected

    @property
    def leaving_share(self) -> float:
        """减员占比 (:func:`leaving_share`)."""
        return leaving_share(self.persons_left, self.persons_changed, self.persons_unchanged)

    @property
    def leaving_percent(self) -> int:
        """:attr:`leaving_share` in whole percent (shown at review)."""
        return round(self.leaving_share * 100)

    @property
    def many_leaving(self) -> bool:
        """减员异常 (:func:`many_leaving`): the review page says so above the confirmation."""
        return many_leaving(self.persons_left, self.persons_changed, self.persons_unchanged)

    def stalled(self, now: datetime | None = None) -> bool:
        """校验中断: landed or validating, and no sign of life for :func:`stall_seconds` — the process
        that worked on it has ended (a restart, a kill). It can be checked again."""
        if self.status not in (BatchStatus.LANDED, BatchStatus.VALIDATING):
            return False
        last = self.heartbeat_at or self.created_at
        return last is not None and last < (now or timezone.now()) - timedelta(seconds=stall_seconds())


def heartbeat_seconds() -> float:
    """How often a validation at work writes its heartbeat (:func:`fupin.core.heartbeat.beat_seconds`)."""
    return heartbeat.beat_seconds()


def stall_seconds() -> float:
    """Without a heartbeat for this long (four beats missed) a validation counts as stopped."""
    return heartbeat.stall_seconds()


class ImportRejection(models.Model):
    """错误行 — one reason a source row was rejected (a row may have several)."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="rejections")
    row_number = models.PositiveIntegerField("行号 row", help_text="the row number as the spreadsheet shows it")
    column = models.CharField("列 column", max_length=60, blank=True)
    value = models.CharField("值 value", max_length=200, blank=True)
    reason = models.CharField("原因 reason", max_length=300)
    household_number = models.CharField(max_length=32, blank=True)
    village_code = models.CharField(max_length=12, blank=True)

    class Meta:
        ordering = ["batch_id", "row_number", "id"]
        verbose_name = "导入错误行 rejected row"

    def __str__(self) -> str:
        return f"row {self.row_number} {self.column}: {self.reason}"


class LeavingReason(models.Model):
    """减员原因 — the reason a reviewer gave, before the merge, for a registered person the batch marks as
    left and the file does not place in another of its households. The file cannot say why (the person
    is not in it): without a reason the merge writes 其他. Keyed by the person's ID number (one active
    record per number), so a batch checked again keeps what was given."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="leaving_reasons")
    id_number = models.CharField("证件号码 ID number", max_length=20)
    reason = models.CharField("减少原因 reason", max_length=20, choices=choices(codes.MEMBER_LEAVE_REASON))
    comment = models.CharField("说明 comment", max_length=200, blank=True)
    given_by_name = models.CharField(max_length=150, blank=True)
    given_at = models.DateTimeField()
    applied = models.BooleanField(
        null=True, help_text="set by the merge: written to the member (true), or the person was no longer leaving "
                             "without a reason from the file when the batch was merged (false)")

    class Meta:
        verbose_name = "减员原因 reason for leaving"
        constraints = [models.UniqueConstraint(fields=["batch", "id_number"], name="leaving_reason_once")]

    def __str__(self) -> str:
        return f"batch {self.batch_id} {self.id_number}: {self.reason}"


class SheetOutcome(models.TextChoices):
    APPLIED = "applied", _("applied")
    REFUSED = "refused", _("refused")


class ReceivedLeaveSheet(models.Model):
    """收到的减员原因表 — a filled sheet of reasons for leaving received for a batch (page, API or command),
    kept as it was given: landed in the data folder with its SHA-256, whether it was applied or refused,
    and what it did. The reasons it gave name it (``#pk``) in their audit rows, so an auditor can take
    the very file a village returned."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="leave_sheets")
    file_name = models.CharField("文件名 file name", max_length=255)
    file_sha256 = models.CharField("文件哈希 SHA-256", max_length=64)
    file_size = models.PositiveBigIntegerField(default=0)
    stored_path = models.CharField(max_length=500, blank=True, help_text="the landed copy in the data folder")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)
    source = models.CharField(max_length=20, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=10, choices=SheetOutcome.choices)
    rows = models.PositiveIntegerField("数据行 rows read", default=0)
    reasons = models.PositiveIntegerField("原因 reasons in it", default=0)
    changed = models.PositiveIntegerField("改变 reasons changed", default=0)
    errors = models.PositiveIntegerField("错误 errors", default=0)
    refusal = models.CharField("未采用原因 why refused", max_length=500, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "收到的减员原因表 received sheet of reasons for leaving"

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name} ({self.outcome})"


class AbsentHousehold(models.Model):
    """在册但文件中没有的户 — an active household of a village the batch's file covers that the file does
    not list, as validation found it (kept with the batch, like its rejected rows; the merge leaves the
    household as it is)."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="absent_households")
    village_code = models.CharField("行政区划代码 village", max_length=12)
    household_number = models.CharField("户编号 household", max_length=32)

    class Meta:
        ordering = ["batch_id", "village_code", "household_number"]
        verbose_name = "在册但文件中没有的户 registered household not in the file"

    def __str__(self) -> str:
        return f"{self.household_number} ({self.village_code})"


class ExportRecord(models.Model):
    """导出记录 — one roster export (花名册导出): personal data leaving the system.

    Written by :func:`fupin.imports.exports.export_roster_to` for the page, the API and the command
    alike, once the file is whole (or when the export is refused); never changed afterwards. The
    SHA-256 lets an auditor tell which export a file found elsewhere came from."""

    at = models.DateTimeField("导出时间 exported at", default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    actor_name = models.CharField("导出人 exported by", max_length=150)
    channel = models.CharField("途径 channel", max_length=8, choices=ExportChannel.choices)
    region_code = models.CharField("导出区域 region", max_length=12, db_index=True)
    kind = models.CharField("名册 roster", max_length=12, help_text=(
        "persons 花名册 | households 户花名册 | landed 导入批次的原始文件 | rejections 错误行报告 | "
        "absent 文件中没有的在册户 | changes 变更明细 | rows_to_fix 待改正的行 | leaving 减员名单(减员原因表)"))
    format = models.CharField("格式 format", max_length=8)
    outcome = models.CharField("结果 outcome", max_length=8, choices=ExportOutcome.choices,
                               default=ExportOutcome.DONE)
    reason = models.CharField("拒绝原因 reason", max_length=300, blank=True)
    rows = models.PositiveIntegerField("行数 rows", default=0)
    full_numbers = models.BooleanField("完整证件号码 full ID numbers", default=False,
                                       help_text="ID numbers and bank accounts as stored (not masked)")
    file_name = models.CharField("文件名 file name", max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField("文件大小 bytes", default=0)
    file_sha256 = models.CharField("文件哈希 SHA-256", max_length=64, blank=True, db_index=True)
    filters = models.JSONField("导出筛选 filters", default=dict, blank=True, help_text=(
        "the households taken (fupin.imports.roster_filter): poverty_status [codes], identification_year and "
        "exit_year [first, last]; {} for every active household of the region"))

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "导出记录 export record"

    def __str__(self) -> str:
        return f"#{self.pk} {self.actor_name} {self.region_code} {self.kind}.{self.format} ({self.outcome})"

    @property
    def kind_label(self) -> str:
        """What was taken out, in the interface's language."""
        return str(EXPORT_KINDS.get(self.kind, self.kind))

    @property
    def filters_text(self) -> str:
        """导出筛选 in words (``脱贫状态:未脱贫、返贫;识别年度:2014-2016``); "" for the whole region."""
        return describe_record(self.filters)


#: ``ExportRecord.kind`` → what it is, for the export records page.
EXPORT_KINDS = {"persons": _("Person roster"), "households": _("Household roster"), "landed": _("Import file"),
                "rejections": _("Rejected rows report"), "absent": _("Registered households not in the file"),
                "changes": _("List of changes"), "rows_to_fix": _("Rejected rows to correct"),
                "leaving": _("Persons leaving (sheet of reasons)")}
