"""Cross-department comparison (数据比对): department lists, their records, screening runs and hits.

- :class:`DepartmentList` (部门名单) — one file of another department's records keyed by ID number
  (vehicles, real estate, business registrations, fiscal payroll, deaths, village cadres), for a
  region; staged and accounted like the roster import: rows read = rows accepted + rows rejected.
- :class:`DepartmentRecord` (名单记录) — one accepted row: the 18-character ID number, the name and the
  kind's detail columns. :class:`DepartmentRejection` (错误行) — one refused row with its reason.
- :class:`ScreeningRun` (比对批次) — one comparison of a region's registry with chosen lists.
- :class:`ScreeningHit` (疑点, the exception queue) — a registry member whose ID number is on a list:
  the rule it feeds, the matched record, the member and household, the household's region codes (for
  scoping), and the township officer's decision (confirm, or dismiss with a comment).

Nothing here is deleted; lists, runs and hits are kept as the evidence of each decision.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from fupin.policy import department_lists

from .choices import KIND_CHOICES, HitStatus, ListStatus, RunStatus


class DepartmentList(models.Model):
    """部门名单 — one uploaded list of another department."""

    kind = models.CharField("名单类型 kind", max_length=20, choices=KIND_CHOICES, db_index=True)
    source_department = models.CharField("数据来源部门 source department", max_length=100)
    as_of = models.DateField("数据截止日期 as of")
    region_code = models.CharField("适用区域 region", max_length=12, db_index=True,
                                   help_text="the region the list was supplied for (usually a county)")
    status = models.CharField(max_length=10, choices=ListStatus.choices, default=ListStatus.LANDED, db_index=True)
    file_name = models.CharField("文件名 file name", max_length=255)
    file_sha256 = models.CharField("文件哈希 SHA-256", max_length=64, db_index=True)
    file_size = models.PositiveBigIntegerField(default=0)
    stored_path = models.CharField(max_length=500, blank=True, help_text="the landed copy in the data folder")
    encoding = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)
    source = models.CharField(max_length=20, blank=True, help_text="web, api, cli, bench")
    created_at = models.DateTimeField(auto_now_add=True)
    loaded_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, help_text="why the file failed as a whole")
    headers = models.JSONField(default=dict, help_text="{field: header as written in the file}")
    unknown_headers = models.JSONField(default=list)
    source_sheets = models.JSONField("读取的工作表 sheets read", default=list, blank=True,
                                     help_text="a workbook's list sheets read together, in order; their rows are "
                                               "numbered k × 1,000,000 + row (fupin.imports.pipelines.zip_rosters)")

    rows_read = models.PositiveIntegerField(default=0)
    rows_accepted = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "部门名单 department list"
        constraints = [
            # Backstop for "the same file is imported once" (the service gives the readable error).
            models.UniqueConstraint(fields=["kind", "file_sha256", "region_code"],
                                    condition=Q(status__in=["landed", "loaded"]), name="screening_list_once"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.file_name} ({self.status})"

    @property
    def accounted(self) -> bool:
        return self.rows_read == self.rows_accepted + self.rows_rejected

    @property
    def kind_def(self) -> department_lists.ListKind:
        return department_lists.get_kind(self.kind)


class DepartmentRecord(models.Model):
    """名单记录 — one accepted row of a department list."""

    department_list = models.ForeignKey(DepartmentList, on_delete=models.PROTECT, related_name="records")
    row_number = models.PositiveIntegerField("行号 row")
    id_number = models.CharField("证件号码 ID number", max_length=18, db_index=True,
                                 help_text="the 18-character resident ID, GB 11643-checked")
    name = models.CharField("姓名 name", max_length=60, blank=True)
    detail = models.JSONField("明细 detail", default=dict, help_text="the kind's detail columns by field name")

    class Meta:
        ordering = ["department_list_id", "row_number", "id"]
        verbose_name = "名单记录 department record"

    def __str__(self) -> str:
        return f"{self.department_list_id}:{self.row_number}"


class DepartmentRejection(models.Model):
    """错误行 — a row of a department list that was refused, with its reason."""

    department_list = models.ForeignKey(DepartmentList, on_delete=models.CASCADE, related_name="rejections")
    row_number = models.PositiveIntegerField("行号 row")
    column = models.CharField("列 column", max_length=60, blank=True)
    value = models.CharField("值 value", max_length=200, blank=True)
    reason = models.CharField("原因 reason", max_length=300)

    class Meta:
        ordering = ["department_list_id", "row_number", "id"]
        verbose_name = "名单错误行 rejected row"

    def __str__(self) -> str:
        return f"row {self.row_number} {self.column}: {self.reason}"


class ScreeningRun(models.Model):
    """比对批次 — one comparison of a region's registry with department lists."""

    region_code = models.CharField("比对区域 region", max_length=12, db_index=True)
    lists = models.ManyToManyField(DepartmentList, related_name="runs", verbose_name="使用的名单 lists used")
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)
    source = models.CharField(max_length=20, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    persons_screened = models.PositiveIntegerField("比对人数 persons screened", default=0)
    hits_matched = models.PositiveIntegerField("匹配数 matches", default=0,
                                               help_text="every (member, record) match, known ones included")
    hits_new = models.PositiveIntegerField("新疑点 new hits", default=0)
    counts = models.JSONField(default=dict, help_text='{kind: {"records": n, "matched": n, "new": n}}')
    rules = models.JSONField(default=dict, help_text="{kind: exclusion rule id} in force for the region")
    seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "比对批次 screening run"

    def __str__(self) -> str:
        return f"#{self.pk} {self.region_code} ({self.status})"


class ScreeningHit(models.Model):
    """疑点 — a registry member found on a department list, waiting for a township officer."""

    run = models.ForeignKey(ScreeningRun, on_delete=models.PROTECT, related_name="hits")
    kind = models.CharField("名单类型 kind", max_length=20, choices=KIND_CHOICES)
    rule_id = models.CharField("规则 rule", max_length=60)
    member = models.ForeignKey("registry.Member", on_delete=models.PROTECT, related_name="screening_hits")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="screening_hits")
    record = models.ForeignKey(DepartmentRecord, on_delete=models.PROTECT, related_name="hits")
    # The household's region at the time of the run (HOPE pattern, for scoping).
    province_code = models.CharField(max_length=12)
    city_code = models.CharField(max_length=12)
    county_code = models.CharField(max_length=12)
    township_code = models.CharField(max_length=12)
    village_code = models.CharField(max_length=12)
    status = models.CharField("状态 status", max_length=10, choices=HitStatus.choices, default=HitStatus.OPEN)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_by_name = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField("核实意见 comment", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["village_code", "household_id", "kind", "id"]
        verbose_name = "比对疑点 screening hit"
        constraints = [
            # A member meets a record once: a re-run does not raise a decided or open hit again.
            models.UniqueConstraint(fields=["member", "record"], name="screening_hit_once"),
        ]
        indexes = [
            models.Index(fields=["county_code", "status"], name="screening_hit_county"),
            models.Index(fields=["township_code", "status"], name="screening_hit_township"),
            models.Index(fields=["village_code", "status"], name="screening_hit_village"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} member {self.member_id} ({self.status})"
