"""Policy versions (政策版本): which policy applies where and when, drafts, release.

- :func:`effective_policy` — the policy set that applies to a region on a date: the released
  :class:`~fupin.rules.models.PolicyVersion` of the most specific region (county → city → province →
  a stored national version) valid on that date, else the built-in national default
  (:func:`fupin.policy.policy_sets.load_default_policy`).
- :func:`new_draft` / :func:`release_policy` — a county copies a version into a draft, edits it (its
  override JSON and its rule rows, in the admin), and releases it: the override is applied, the rows
  are folded into the version's JSON, and the version never changes again.
- :func:`line_year` — which year's poverty line judges a year (the latest one the policy has).

Policy versions need ``policy.manage`` in their region (the national default: the system only).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from fupin.core import audit
from fupin.core.models import ChangeAction
from fupin.core.scoping import ScopeError, region_in_scope
from fupin.policy import clock, roles
from fupin.policy.policy_sets import PolicySet, apply_override, load_default_policy
from fupin.policy.regions import RegionCodeError, ancestor_codes, level_of, normalize_code
from fupin.policy.rules import RuleError, compile_for_unit

from .choices import PolicyStatus, RuleKind
from .errors import RulesRefused
from .models import PolicyVersion, RuleDefinition


def region_chain(region_code: str) -> list[str]:
    """The region's county, city and province codes (most specific first), then ``""`` (national)."""
    if not region_code:
        return [""]
    codes = ancestor_codes(region_code)
    return [codes[lv] for lv in sorted(codes, reverse=True) if lv <= 3] + [""]


def _valid_on(on: date) -> Q:
    return Q(valid_from__lte=on) & (Q(valid_to__isnull=True) | Q(valid_to__gte=on))


def effective_version(region_code: str, on: date | None = None) -> PolicyVersion | None:
    """The released version that applies to ``region_code`` on ``on`` (None: the built-in default)."""
    on = on or clock.today()
    chain = region_chain(region_code)
    candidates = list(PolicyVersion.objects.filter(_valid_on(on), status=PolicyStatus.RELEASED,
                                                   region_code__in=chain))
    if not candidates:
        return None
    rank = {code: i for i, code in enumerate(chain)}
    candidates.sort(key=lambda v: (rank[v.region_code], -v.valid_from.toordinal(),
                                   -(v.released_at.timestamp() if v.released_at else 0), -v.pk))
    return candidates[0]


_POLICY_CACHE: dict[tuple[int, str, str], PolicySet] = {}


def policy_of(version: PolicyVersion | None) -> PolicySet:
    """The policy set of a stored version (released ones are cached: they never change)."""
    if version is None:
        return load_default_policy()
    key = (version.pk, version.version, version.released_at.isoformat() if version.released_at else "")
    if version.is_released and key in _POLICY_CACHE:
        return _POLICY_CACHE[key]
    policy = PolicySet.from_dict(version.policy)
    if version.is_released:
        _POLICY_CACHE[key] = policy
    return policy


def effective_policy(region_code: str, on: date | None = None) -> PolicySet:
    """The policy set that applies to a region on a date (contract B): county override or default."""
    return policy_of(effective_version(region_code, on))


#: How far back :func:`line_year` looks for a year that has a poverty line.
LINE_YEAR_LOOKBACK = 30


def line_year(policy: PolicySet, region_code: str, year: int) -> int:
    """The year whose poverty line judges ``year``: ``year`` itself when the policy has a line for it
    (year lag applied by the policy), else the latest earlier year that has one. Decision: the shipped
    table ends in 2020, and a procedure run later still needs a line; the year used is stored with
    every decision and run, so the choice is visible. Refused when no year has a line."""
    for y in range(year, year - LINE_YEAR_LOOKBACK, -1):
        if policy.poverty_lines_by_standard(year=y, region_code=region_code):
            return y
    raise RulesRefused(f"政策 {policy.version} 没有 {year} 年及以前的扶贫标准 / the policy has no poverty line "
                       f"for {year} or before")


def poverty_lines_for(policy: PolicySet, region_code: str, year: int) -> dict[str, float]:
    """识别标准 → the line (yuan/person/year) that judges ``year`` in the region (see :func:`line_year`)."""
    return policy.poverty_lines_by_standard(year=line_year(policy, region_code, year), region_code=region_code)


def rule_error(text: str) -> str:
    """The RuleError message for a household rule ``text`` (empty when the rule compiles)."""
    try:
        compile_for_unit(text or "", "household")
    except (RuleError, ValueError) as exc:
        return getattr(exc, "message", str(exc))
    return ""


def _rule_rows(version: PolicyVersion, policy: PolicySet) -> list[RuleDefinition]:
    """Rule rows of a new draft: every eligibility and exclusion rule of the policy (disabled ones too)."""
    rows: list[RuleDefinition] = []
    for kind, rules in ((RuleKind.ELIGIBILITY, policy.eligibility), (RuleKind.EXCLUSION, policy.exclusions)):
        for i, r in enumerate(rules):
            rows.append(RuleDefinition(policy_version=version, rule_id=r.id, kind=kind, label_zh=r.label_zh,
                                       label_en=r.label_en, text=r.text, description=r.description,
                                       enabled=r.enabled, position=i))
    return rows


def may_manage(actor: Any, region_code: str) -> bool:
    """Whether ``actor`` may create, edit and release policy versions of ``region_code`` (``""``: the
    national default, the system and superusers only)."""
    if actor is None or getattr(actor, "is_superuser", False):
        return True
    return bool(region_code) and region_in_scope(actor, region_code, roles.MANAGE_POLICY)


def _require_manager(actor: Any, region_code: str) -> None:
    if not may_manage(actor, region_code):
        raise ScopeError("不存在或无权操作 / not found")


def new_draft(*, actor: Any, region_code: str, version: str, valid_from: date, valid_to: date | None = None,
              based_on: PolicyVersion | None = None, title: str = "", comment: str = "",
              override: Mapping[str, Any] | None = None) -> PolicyVersion:
    """A draft policy version for a region (or the national default, ``""``), starting from
    ``based_on`` or from the policy in force there on ``valid_from``; its rule rows are ready to edit."""
    if region_code:
        try:
            region_code = normalize_code(region_code)
        except RegionCodeError as exc:
            raise RulesRefused(str(exc), "region_code") from exc
        if level_of(region_code) > 3:
            raise RulesRefused("政策只能由省、市、县制定 / a policy belongs to a province, city or county",
                               "region_code")
    _require_manager(actor, region_code)
    version = version.strip()
    if not version:
        raise RulesRefused("请填写版本号 / give a version label", "version")
    if PolicyVersion.objects.filter(region_code=region_code, version=version).exists():
        raise RulesRefused(f"版本号 {version} 已存在 / version {version} exists", "version")
    if based_on is not None and not based_on.is_released:
        raise RulesRefused("只能基于已发布的版本 / a draft starts from a released version", "based_on")
    source = based_on or effective_version(region_code, valid_from)
    policy = policy_of(source)
    if version == policy.version:
        raise RulesRefused(f"新版本号须不同于 {policy.version} / the new version must differ from its base", "version")
    with transaction.atomic():
        draft = PolicyVersion.objects.create(
            region_code=region_code, version=version, title=title, valid_from=valid_from, valid_to=valid_to,
            status=PolicyStatus.DRAFT, policy=policy.to_dict(), override=dict(override or {}), based_on=source,
            comment=comment, created_by=actor if getattr(actor, "pk", None) else None,
            created_by_name=audit.actor_name(actor),
        )
        RuleDefinition.objects.bulk_create(_rule_rows(draft, policy))
        audit.record(actor=actor, action=ChangeAction.CREATE, obj=draft,
                     changes={"version": [None, version], "based_on": [None, policy.version]},
                     household_id=None, region_code=region_code, source="admin")
    return draft


def _rule_dict(row: RuleDefinition) -> dict[str, Any]:
    out = {"id": row.rule_id, "label_zh": row.label_zh, "label_en": row.label_en or row.rule_id,
           "text": row.text, "unit": "household", "enabled": row.enabled}
    if row.description:
        out["description"] = row.description
    return out


#: Override keys that a stored version keeps elsewhere: its own fields and its rule rows.
ROW_KEYS = frozenset({"version", "valid_from", "valid_to", "rules", "disable_rules", "enable_rules"})


def _apply(version: PolicyVersion, rows: list[RuleDefinition] | None, *, released: bool) -> PolicySet:
    """The draft's base policy with its override applied and its rule rows (when given) as the rules."""
    if version.policy:
        base = PolicySet.from_dict(version.policy)
    else:  # a version being added in the admin: it will start from the policy in force
        base = policy_of(effective_version(version.region_code, version.valid_from or clock.today()))
    override = dict(version.override or {})
    fixed = sorted(set(override) & ROW_KEYS)
    if fixed:
        raise RulesRefused(f"这些内容请在版本表单和规则行中编辑,不写在调整中 / edit these in the version form and the "
                           f"rule rows, not in the override: {', '.join(fixed)}", "override")
    policy = apply_override(base, override, version=version.version, valid_from=version.valid_from,
                            valid_to=version.valid_to, released=released)
    if rows is None:
        return policy
    data = policy.to_dict()
    data["eligibility"] = [_rule_dict(r) for r in rows if r.kind == RuleKind.ELIGIBILITY]
    data["exclusions"] = [_rule_dict(r) for r in rows if r.kind == RuleKind.EXCLUSION]
    return PolicySet.from_dict(data)


def override_error(version: PolicyVersion) -> str:
    """Why a draft's override cannot apply to its policy (empty when it can)."""
    if not isinstance(version.override, Mapping):
        return "应为 JSON 对象 / must be a JSON object"
    try:
        _apply(version, None, released=False)
    except RulesRefused as exc:
        return exc.message
    except (ValueError, KeyError, TypeError) as exc:
        return str(exc)
    return ""


def folded_policy(version: PolicyVersion) -> PolicySet:
    """The policy a draft will release: base + override + its rule rows; refused with the reason when
    a rule does not compile or the result is not a valid policy."""
    rows = list(version.rules.order_by("kind", "position", "id"))
    for row in rows:
        message = rule_error(row.text)
        if message:
            raise RulesRefused(f"规则 {row.rule_id}: {message}", "rules")
    try:
        return _apply(version, rows, released=True)
    except RulesRefused:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise RulesRefused(f"政策内容有误 / the policy is not valid: {exc}", "policy") from exc


def release_policy(*, actor: Any, version_id: int) -> PolicyVersion:
    """发布 — fold the override and rule rows into the JSON and release; the version never changes again."""
    with transaction.atomic():
        version = PolicyVersion.objects.select_for_update().get(pk=version_id)
        _require_manager(actor, version.region_code)
        if version.is_released:
            raise RulesRefused(f"政策版本 {version.version} 已发布 / already released")
        policy = folded_policy(version)
        version.policy = policy.to_dict()
        version.status = PolicyStatus.RELEASED
        version.released_by = actor if getattr(actor, "pk", None) else None
        version.released_by_name = audit.actor_name(actor)
        version.released_at = timezone.now()
        version.save()
        audit.record(actor=actor, action=ChangeAction.STATUS, obj=version,
                     changes={"status": [PolicyStatus.DRAFT, PolicyStatus.RELEASED]},
                     household_id=None, region_code=version.region_code, source="admin", comment=version.version)
    return version
