"""Policy versions, rule rows, decisions and runs (政策版本、规则、判定、批量运行).

- :class:`PolicyVersion` — a stored policy set (the JSON of ``PolicySet.to_dict()``) for the national
  default (``region_code == ""``) or one region (a province, city or county), valid over dates. A
  draft is edited (its rule rows in the admin), then released; a released version is never edited
  again (guarded here and read-only in the admin): a county copies it into a new draft instead.
- :class:`RuleDefinition` — one county-editable rule row of a version (识别条件 / 排除条件), folded into the
  version's JSON on release.
- :class:`HouseholdDecision` — one stored decision about one household (eligibility now; pathway,
  exit and risk later), with the policy version and the reasons.
- :class:`RuleRun` / :class:`RuleMatch` — a rule (or the eligibility set) run over a region and the
  households it matched; :class:`PathwayRun` / :class:`PathwayAssignment` — a pathway scheme
  (N个一批) run over a region and each household's (or person's) pathways.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from fupin.core import heartbeat

from .choices import STALLED_LABEL, DecisionKind, PolicyStatus, RuleKind, RunKind, RunStatus


class ReleasedPolicyError(RuntimeError):
    """A write to a released policy version (已发布的政策版本不可修改)."""

    def __init__(self, version: str = "") -> None:
        self.message = (f"政策版本 {version} 已发布,不可修改;请基于它新建草稿 / the released policy version "
                        f"{version} cannot be changed; make a new draft from it")
        super().__init__(self.message)


RULE_ID_VALIDATOR = RegexValidator(r"^[a-z][a-z0-9_]*$", "规则编号只能用小写字母、数字和下划线 / lower-case letters, "
                                                        "digits and _ only")


def _user_fk(verbose: str) -> models.ForeignKey:
    return models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=verbose, null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")


class PolicyVersion(models.Model):
    """政策版本 — the policy set of a region (or the national default) valid over a period."""

    region_code = models.CharField("适用区划 region", max_length=12, blank=True, db_index=True,
                                   help_text="空为全国默认;否则为省、市或县的12位代码 / empty: national default")
    version = models.CharField("版本号 version", max_length=60)
    title = models.CharField("说明 title", max_length=200, blank=True)
    valid_from = models.DateField("生效日期 valid from")
    valid_to = models.DateField("失效日期 valid to", null=True, blank=True, help_text="空为长期有效 / empty: open")
    status = models.CharField("状态 status", max_length=10, choices=PolicyStatus.choices, default=PolicyStatus.DRAFT,
                              db_index=True)
    policy = models.JSONField("政策内容 policy (JSON)", default=dict,
                              help_text="PolicySet.to_dict(): for a draft, the policy it starts from; once "
                                        "released, the whole policy in force (rules folded in)")
    override = models.JSONField(
        "本地调整 override (JSON)", default=dict, blank=True,
        help_text='本县对政策的调整, 例 e.g. {"poverty_lines": [{"standard": "1", "region": "350421", "year": 2016, '
                  '"amount": 3500}], "lag": 1}; 规则请在下方逐条编辑 / rules are edited row by row below')
    based_on = models.ForeignKey("self", verbose_name="基于版本 based on", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="derived")
    comment = models.TextField("备注 comment", blank=True)
    created_by = _user_fk("创建人 created by")
    created_by_name = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField("创建时间 created at", auto_now_add=True)
    released_by = _user_fk("发布人 released by")
    released_by_name = models.CharField(max_length=150, blank=True)
    released_at = models.DateTimeField("发布时间 released at", null=True, blank=True)

    class Meta:
        ordering = ["region_code", "-valid_from", "-id"]
        verbose_name = "政策版本 policy version"
        constraints = [models.UniqueConstraint(fields=["region_code", "version"], name="policy_version_unique")]

    def __str__(self) -> str:
        return f"{self.version} ({self.region_code or '全国 national'}, {self.get_status_display()})"

    def save(self, *args, **kwargs) -> None:
        """Refuse any write to a version that is already released in the database."""
        if self._stored_status() == PolicyStatus.RELEASED:
            raise ReleasedPolicyError(self.version)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._stored_status() == PolicyStatus.RELEASED:
            raise ReleasedPolicyError(self.version)
        return super().delete(*args, **kwargs)

    def clean(self) -> None:
        """A draft's override must apply to its policy (checked again, with the rules, on release)."""
        from django.core.exceptions import ValidationError

        from fupin.policy.regions import level_of

        from .versions import override_error

        if self.region_code and (len(self.region_code) != 12 or not self.region_code.isdigit()
                                 or level_of(self.region_code) > 3):
            raise ValidationError({"region_code": "应为省、市或县的12位代码,或留空(全国) / a 12-digit province, city "
                                                  "or county code, or empty (national)"})
        if self.status == PolicyStatus.DRAFT:
            message = override_error(self)
            if message:
                raise ValidationError({"override": message})

    @property
    def is_released(self) -> bool:
        return self.status == PolicyStatus.RELEASED

    def _stored_status(self) -> str | None:
        if self.pk is None:
            return None
        return type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()


class RuleDefinition(models.Model):
    """规则 — one rule row of a policy version, editable while the version is a draft."""

    policy_version = models.ForeignKey(PolicyVersion, verbose_name="政策版本 policy version", on_delete=models.CASCADE,
                                       related_name="rules")
    rule_id = models.CharField("规则编号 rule id", max_length=60, validators=[RULE_ID_VALIDATOR],
                               help_text="英文标识,如 ex_public_payroll / English id, e.g. ex_public_payroll")
    kind = models.CharField("类别 kind", max_length=12, choices=RuleKind.choices)
    label_zh = models.CharField("名称 label (中文)", max_length=200)
    label_en = models.CharField("label (English)", max_length=200, blank=True)
    text = models.TextField("规则表达式 rule", help_text="例 e.g. income_per_capita < poverty_line AND n_labour = 0")
    description = models.TextField("说明 description", blank=True)
    enabled = models.BooleanField("启用 enabled", default=True)
    position = models.PositiveSmallIntegerField("顺序 order", default=0)

    class Meta:
        ordering = ["policy_version_id", "kind", "position", "id"]
        verbose_name = "规则 rule"
        constraints = [models.UniqueConstraint(fields=["policy_version", "rule_id"], name="rule_definition_unique")]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.label_zh}"

    def save(self, *args, **kwargs) -> None:
        if self._version_released():
            raise ReleasedPolicyError(self.policy_version.version)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._version_released():
            raise ReleasedPolicyError(self.policy_version.version)
        return super().delete(*args, **kwargs)

    def clean(self) -> None:
        """The rule text must compile (whitelisted columns, operators and functions)."""
        from django.core.exceptions import ValidationError

        from .versions import rule_error

        message = rule_error(self.text)
        if message:
            raise ValidationError({"text": message})

    def _version_released(self) -> bool:
        if self.policy_version_id is None:
            return False
        status = PolicyVersion.objects.filter(pk=self.policy_version_id).values_list("status", flat=True).first()
        return status == PolicyStatus.RELEASED


class HouseholdDecision(models.Model):
    """判定记录 — one decision about one household, with the policy version and the reasons.

    ``reasons`` is a list of ``{"rule_id", "label_zh", "label_en"}`` (the rules that fired);
    ``details`` keeps what the decision saw (poverty line, the flags, the values of the columns used).
    The ancestor codes are the household's at the time (for the one scoping function)."""

    household = models.ForeignKey("registry.Household", verbose_name="贫困户 household", on_delete=models.PROTECT,
                                  related_name="decisions")
    province_code = models.CharField(max_length=12, db_index=True, editable=False)
    city_code = models.CharField(max_length=12, db_index=True, editable=False)
    county_code = models.CharField(max_length=12, db_index=True, editable=False)
    township_code = models.CharField(max_length=12, db_index=True, editable=False)
    village_code = models.CharField(max_length=12, db_index=True, editable=False)
    kind = models.CharField("类别 kind", max_length=12, choices=DecisionKind.choices, default=DecisionKind.ELIGIBILITY)
    outcome = models.CharField("结果 outcome", max_length=30, help_text="eligible / excluded / not_eligible …")
    policy_version = models.CharField("政策版本 policy version", max_length=60)
    policy_record = models.ForeignKey(PolicyVersion, verbose_name="政策版本记录", null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="decisions",
                                      help_text="the stored version; empty for the built-in national default")
    reasons = models.JSONField("理由 reasons", default=list)
    details = models.JSONField("依据 details", default=dict)
    context = models.CharField("环节 context", max_length=40, blank=True, help_text="e.g. democratic_review")
    made_by = _user_fk("判定人 made by")
    made_by_name = models.CharField(max_length=150, blank=True)
    made_at = models.DateTimeField("判定时间 made at", auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-made_at", "-id"]
        verbose_name = "判定记录 household decision"
        indexes = [models.Index(fields=["household", "kind", "made_at"])]

    def __str__(self) -> str:
        return f"{self.household_id} {self.kind}={self.outcome} ({self.policy_version})"

    @property
    def outcome_label(self) -> str:
        from .choices import Outcome

        try:
            return Outcome(self.outcome).label
        except ValueError:
            return self.outcome


class _Run(models.Model):
    """What a batch run over a region has in common: who, when, where, which policy, progress."""

    region_code = models.CharField("区划 region", max_length=12, db_index=True)
    as_of = models.DateField("基准日期 as of")
    policy_version = models.CharField("政策版本 policy version", max_length=60, blank=True)
    status = models.CharField("状态 status", max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED,
                              db_index=True)
    progress = models.PositiveSmallIntegerField(default=0, help_text="percent")
    progress_label = models.CharField(max_length=100, blank=True)
    counts = models.JSONField("计数 counts", default=dict)
    error = models.TextField(blank=True)
    actor = _user_fk("运行人 run by")
    actor_name = models.CharField(max_length=150, blank=True)
    source = models.CharField(max_length=20, blank=True, help_text="web, api, cli")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True,
                                        help_text="last sign of life of the run at work (fupin.core.heartbeat)")

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    @property
    def running(self) -> bool:
        """Queued or running, and not stopped (:meth:`stalled`): the page polls its progress."""
        return self.status in (RunStatus.QUEUED, RunStatus.RUNNING) and not self.stalled()

    def stalled(self, now: datetime | None = None) -> bool:
        """运行中断: queued or running, and no sign of life for :func:`fupin.core.heartbeat.stall_seconds` —
        the process that worked on it has ended (a restart, a kill). Start the run again."""
        if self.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
            return False
        last = self.heartbeat_at or self.created_at
        return last is not None and last < (now or timezone.now()) - timedelta(seconds=heartbeat.stall_seconds())

    @property
    def status_label(self) -> str:
        """The status as shown: 已中断 for a stalled run, else the stored status."""
        return str(STALLED_LABEL) if self.stalled() else str(self.get_status_display())


class RuleRun(_Run):
    """规则运行 — one rule (ad-hoc text or named rules of the policy) or the eligibility set over a region.

    ``counts``: ``{"households": n, "by_rule": {rule_id: n}, "regions": [{"level", "code", "rule_id",
    "households"}]}``; the matched households are :class:`RuleMatch` rows."""

    kind = models.CharField("类别 kind", max_length=12, choices=RunKind.choices, default=RunKind.RULE)
    rule_text = models.TextField("规则表达式 rule", blank=True)
    rule_ids = models.JSONField("规则编号 rule ids", default=list, blank=True)

    class Meta(_Run.Meta):
        verbose_name = "规则运行 rule run"

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.region_code} ({self.status})"


class RuleMatch(models.Model):
    """命中 — a household a rule run matched (one row per household and rule)."""

    run = models.ForeignKey(RuleRun, on_delete=models.CASCADE, related_name="matches")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    rule_id = models.CharField(max_length=60)

    class Meta:
        ordering = ["run_id", "rule_id", "household_id"]
        verbose_name = "规则命中 rule match"
        indexes = [models.Index(fields=["run", "rule_id", "household"])]

    def __str__(self) -> str:
        return f"{self.run_id} {self.rule_id} {self.household_id}"


class PathwayRun(_Run):
    """帮扶路径分类 — a pathway scheme (N个一批) run over a region.

    ``counts``: ``{"households": n, "persons": n, "by_pathway": {pathway_id: {"households", "persons"}},
    "regions": [{"level", "code", "pathway_id", "households", "persons"}]}`` for every region level
    from the run's region down to the villages."""

    scheme_id = models.CharField("方案 scheme", max_length=40)
    unit = models.CharField("对象 unit", max_length=10, blank=True, help_text="household or person, as the scheme says")

    class Meta(_Run.Meta):
        verbose_name = "帮扶路径分类 pathway run"

    def __str__(self) -> str:
        return f"#{self.pk} {self.scheme_id} {self.region_code} ({self.status})"


class PathwayAssignment(models.Model):
    """帮扶路径 — one household (or one person of it) in one pathway of a run, and the rule that put it there."""

    run = models.ForeignKey(PathwayRun, on_delete=models.CASCADE, related_name="assignments")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="pathway_assignments")
    member = models.ForeignKey("registry.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    pathway_id = models.CharField(max_length=40)
    rule_id = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["run_id", "pathway_id", "household_id", "member_id"]
        verbose_name = "帮扶路径 pathway assignment"
        indexes = [models.Index(fields=["run", "pathway_id", "household"]), models.Index(fields=["household", "run"])]

    def __str__(self) -> str:
        return f"{self.run_id} {self.pathway_id} {self.household_id}"
