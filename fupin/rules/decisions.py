"""One household (一户判定): its analytic-view rows, the eligibility decision, trying a rule.

- :func:`decide_household` — eligibility + exclusions for one household (contract B), stored as a
  :class:`~fupin.rules.models.HouseholdDecision` with the policy version and the reasons, audited;
- :func:`try_rule` — a rule text on one household (a form): the result and the values it read;
- :func:`household_pathways_now` — every scheme of the policy in force applied to one household.

The rows come from the same view builders as the whole-registry runs (:mod:`fupin.rules.frames`), so
one household and a region are decided alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction

from fupin.core import audit
from fupin.core.models import ChangeAction
from fupin.core.scoping import require_in_scope
from fupin.policy import clock, roles
from fupin.policy.eligibility import decide_one
from fupin.policy.pathways import classify_one
from fupin.policy.policy_sets import PolicySet
from fupin.policy.rules import HOUSEHOLD_COLUMNS, UNIT_COLUMNS, RuleError, compile_for_unit
from fupin.registry.models import Household

from . import frames
from .choices import DecisionKind
from .errors import RulesRefused
from .models import HouseholdDecision
from .versions import effective_policy, effective_version, line_year, policy_of


def _json_safe(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 2)
    return value


@dataclass(frozen=True)
class HouseholdViews:
    """One household's rows of the analytic views, and the poverty-line year they were built with."""

    household: dict[str, Any] | None
    persons: list[dict[str, Any]]
    line_year: int


def household_views(household: Household, *, on: date, policy: PolicySet, year: int | None = None) -> HouseholdViews:
    """One household's view rows (its active members; the confirmed screening hits of its members);
    ``household`` is None when it has no row. Poverty lines of ``year`` (default ``on``'s year)."""
    households, members = frames.registry_frames(household_ids=[household.pk])
    judged = line_year(policy, household.county_code, year or on.year)
    if households.height == 0:
        return HouseholdViews(None, [], judged)
    matches = frames.confirmed_matches(household.village_code, members["id_number"].to_list())
    lines = policy.poverty_lines_by_standard(year=judged, region_code=household.county_code)
    hv, pv = frames.build_views(households, members, matches, as_of=on, poverty_line=lines,
                                income_settings=policy.income)
    return HouseholdViews(hv.row(0, named=True) if hv.height else None, pv.to_dicts(), judged)


def _columns_of(policy: PolicySet) -> list[str]:
    """The view columns the policy's enabled eligibility and exclusion rules read, in view order."""
    used: set[str] = set()
    for rule in (*policy.active_eligibility, *policy.active_exclusions):
        used |= rule.compiled().columns_used
    return [c for c in HOUSEHOLD_COLUMNS if c in used]


def decide_household(household: Household, *, actor: Any, context: str, on: date | None = None,
                     year: int | None = None, source: str = "web") -> HouseholdDecision:
    """Eligibility + exclusions for one household (contract B), stored as a HouseholdDecision with the
    policy version, the reasons (the rules that fired) and what the rules saw; audited.

    ``on`` (default today) picks the policy version in force and the members' ages; the poverty line
    is that of ``year`` (default ``on``'s year, or the latest earlier year the policy has a line for).
    Households of any record status are decided (an applicant is decided before it is registered)."""
    on = on or clock.today()
    with transaction.atomic():
        household = Household.objects.select_related("village").get(pk=household.pk)
        if actor is not None:
            require_in_scope(actor, household.village_code, roles.EDIT_REGISTRY)
        version = effective_version(household.village_code, on)
        policy = policy_of(version)
        views = household_views(household, on=on, policy=policy, year=year)
        row = views.household
        if row is None:
            raise RulesRefused("该户没有在册成员,无法判定 / the household has no active member to decide on")
        decision = decide_one(row, policy)
        reasons = [r.to_dict() for r in decision.reasons]
        details = {
            "as_of": on.isoformat(), "line_year": views.line_year, "eligible": bool(decision.eligible),
            "income_below_line": bool(decision.income_below_line), "excluded": bool(decision.excluded),
            "failed": [r.to_dict() for r in decision.failed],
            "poverty_line": _json_safe(row.get("poverty_line")),
            "income_per_capita": _json_safe(row.get("income_per_capita")),
            "values": {c: _json_safe(row.get(c)) for c in _columns_of(policy)},
        }
        made = HouseholdDecision.objects.create(
            household=household, province_code=household.province_code, city_code=household.city_code,
            county_code=household.county_code, township_code=household.township_code,
            village_code=household.village_code, kind=DecisionKind.ELIGIBILITY, outcome=decision.outcome,
            policy_version=decision.policy_version, policy_record=version, reasons=reasons, details=details,
            context=context, made_by=actor if getattr(actor, "pk", None) else None,
            made_by_name=audit.actor_name(actor),
        )
        audit.record(actor=actor, action=ChangeAction.CREATE, obj=made,
                     changes={"kind": [None, made.kind], "outcome": [None, made.outcome],
                              "policy_version": [None, made.policy_version],
                              "reasons": [None, [r["rule_id"] for r in reasons]]},
                     household_id=household.pk, region_code=household.village_code, source=source, comment=context)
    return made


@dataclass
class RuleTry:
    """试算 — one rule on one household: whether it held and the values of the columns it read."""

    text: str
    unit: str = "household"
    error: str = ""
    matched: bool | None = None
    values: list[dict[str, Any]] = field(default_factory=list)  # {"column", "label_zh", "label_en", "value"}
    persons: list[dict[str, Any]] = field(default_factory=list)  # person rules: {"member_id", "matched", "values"}
    policy_version: str = ""
    line_year: int | None = None


def _values(rule: Any, catalogue: Mapping[str, Any], row: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"column": c, "label_zh": catalogue[c].label_zh, "label_en": catalogue[c].label_en,
             "value": _json_safe(row.get(c))} for c in catalogue if c in rule.columns_used]


def try_rule(household: Household, text: str, *, unit: str = "household", on: date | None = None,
             year: int | None = None) -> RuleTry:
    """Evaluate a rule text on one household (``unit="person"``: on each of its members); the
    RuleError message when the text is refused. A pure read: nothing is stored."""
    on = on or clock.today()
    result = RuleTry(text=text, unit=unit)
    try:
        rule = compile_for_unit(text or "", unit)
    except (RuleError, ValueError) as exc:
        result.error = getattr(exc, "message", str(exc))
        return result
    policy = effective_policy(household.village_code, on)
    result.policy_version = policy.version
    try:
        views = household_views(household, on=on, policy=policy, year=year)
    except RulesRefused as exc:
        result.error = exc.message
        return result
    result.line_year = views.line_year
    catalogue = UNIT_COLUMNS[unit]
    if unit == "household":
        if views.household is None:
            result.error = "该户没有在册成员 / the household has no active member"
            return result
        result.matched = rule.evaluate(views.household)
        result.values = _values(rule, catalogue, views.household)
        return result
    result.persons = [{"member_id": r["member_id"], "matched": rule.evaluate(r), "values": _values(rule, catalogue, r)}
                      for r in views.persons]
    result.matched = any(p["matched"] for p in result.persons)
    return result


def household_pathways_now(household: Household, *, on: date | None = None) -> list[dict[str, Any]]:
    """Every scheme of the household's policy applied to it now (pure, not stored): ``[{"scheme",
    "hits": [PathwayHit]}]`` — the reasons a household page shows beside the stored runs."""
    on = on or clock.today()
    policy = effective_policy(household.village_code, on)
    views = household_views(household, on=on, policy=policy)
    if views.household is None:
        return []
    return [{"scheme": scheme, "hits": classify_one(scheme, views.household, views.persons)}
            for scheme in policy.scheme_list]
