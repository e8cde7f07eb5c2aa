"""Status and kind choices of the rules app (规则与判定)."""

from django.db import models


class PolicyStatus(models.TextChoices):
    """政策版本状态 — a draft can be edited; a released version never changes again."""

    DRAFT = "draft", "草稿 draft"
    RELEASED = "released", "已发布 released"


class RuleKind(models.TextChoices):
    """规则类别 — an income/eligibility test (识别条件) or a red-line exclusion (八不入)."""

    ELIGIBILITY = "eligibility", "识别条件 eligibility"
    EXCLUSION = "exclusion", "排除条件(八不入) exclusion"


class DecisionKind(models.TextChoices):
    """判定类别 — what a stored decision is about (later issues add exit and risk decisions)."""

    ELIGIBILITY = "eligibility", "识别判定 eligibility"
    EXCLUSION = "exclusion", "排除判定 exclusion"
    PATHWAY = "pathway", "帮扶路径 pathway"
    EXIT = "exit", "退出判定 exit"
    RISK = "risk", "返贫风险 risk"


class Outcome(models.TextChoices):
    """判定结果 — the outcome codes of the eligibility decision."""

    ELIGIBLE = "eligible", "符合识别条件 eligible"
    EXCLUDED = "excluded", "触及排除条件 excluded"
    NOT_ELIGIBLE = "not_eligible", "不符合识别条件 not eligible"


class RunStatus(models.TextChoices):
    """运行状态 of a rule run or a pathway run."""

    QUEUED = "queued", "排队中 queued"
    RUNNING = "running", "运行中 running"
    DONE = "done", "已完成 done"
    FAILED = "failed", "失败 failed"


class RunKind(models.TextChoices):
    """规则运行类别 — one ad-hoc rule, named rules of the policy, or the whole eligibility set."""

    RULE = "rule", "规则 rule"
    ELIGIBILITY = "eligibility", "识别条件与排除条件 eligibility set"


RUNNING = (RunStatus.QUEUED, RunStatus.RUNNING)
#: How a queued or running run whose process has ended shows (:meth:`.models._Run.stalled`).
STALLED_LABEL = "已中断 stopped"
