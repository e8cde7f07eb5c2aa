"""Which exclusion rule (八不入) a kind of department list feeds, in the policy in force for a region.

The exclusion rules are policy data written by the rule engine (contract A: ``policy.exclusions``,
each a :class:`RuleDef` with a predicate text over the household analytic view), and a county can
override them (contract B: ``fupin.rules.services.effective_policy``). A screening hit names the
rule whose predicate reads the kind's household column (``any_vehicle`` for vehicles …); when the
policy in force has none — or the rule engine is not installed — the kind's default rule id from
:mod:`fupin.policy.department_lists` is used. The mapping is stored on each run.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.db import transaction

from fupin.policy.department_lists import HOUSEHOLD_COLUMN, KIND_IDS, rule_for_column

log = logging.getLogger(__name__)


def _default_policy() -> Any | None:
    try:
        from fupin.policy.policy_sets import load_default_policy
    except ImportError:
        return None
    return load_default_policy()


def _policy(region_code: str) -> Any | None:
    """The policy in force (county override) or the default. The rule id only labels a hit, so a policy
    store that fails (logged) does not stop a screening: the default rules are used instead."""
    try:
        from fupin.rules.services import effective_policy
    except ImportError:
        return _default_policy()
    try:
        with transaction.atomic():  # a savepoint: a failed query must not spoil the caller's transaction
            return effective_policy(region_code)
    except Exception:
        log.exception("no policy in force for %s; the default exclusion rules label the hits", region_code)
        return _default_policy()


def exclusion_rules_by_column(policy: Any) -> dict[str, str]:
    """``{household column: rule id}``: the first exclusion rule whose text reads each column."""
    out: dict[str, str] = {}
    for rule in getattr(policy, "exclusions", ()) or ():
        text = str(getattr(rule, "text", ""))
        for column in HOUSEHOLD_COLUMN.values():
            if column not in out and re.search(rf"\b{re.escape(column)}\b", text):
                out[column] = str(rule.id)
    return out


def rules_for_region(region_code: str) -> dict[str, str]:
    """``{kind: rule id}`` for every list kind, in the policy in force for ``region_code``."""
    policy = _policy(region_code)
    by_column = exclusion_rules_by_column(policy) if policy is not None else {}
    return {kind: rule_for_column(kind, by_column) for kind in KIND_IDS}
