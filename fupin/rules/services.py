"""The services of the rules app (规则与判定) in one place — what other apps call (contract B).

``from fupin.rules import services as rule_services``:

- policy versions (:mod:`.versions`): :func:`effective_policy`, :func:`effective_version`,
  :func:`new_draft`, :func:`release_policy`, :func:`line_year`;
- one household (:mod:`.decisions`): :func:`decide_household`, :func:`try_rule`,
  :func:`household_pathways_now`;
- runs over a region (:mod:`.runs`): :func:`run_rule`, :func:`run_eligibility`, :func:`run_scheme` and
  their ``create_*`` / ``execute_*`` halves.

Every verb takes the acting user (``None`` is the system: CLI, tests, benchmarks) and checks the
region with the one scoping function: decisions need ``registry.edit`` (they are part of the
identification record), runs need ``registry.view``, policy versions need ``policy.manage``. Refusals
are :class:`RulesRefused` (a message, Chinese first, and the field it is about).
"""

from __future__ import annotations

from .decisions import (
    HouseholdViews,
    RuleTry,
    decide_household,
    household_pathways_now,
    household_views,
    try_rule,
)
from .errors import RulesRefused
from .runs import (
    ADHOC_RULE_ID,
    create_pathway_run,
    create_rule_run,
    execute_pathway_run,
    execute_rule_run,
    pathway_counts,
    region_counts,
    rule_labels,
    run_eligibility,
    run_rule,
    run_scheme,
)
from .versions import (
    effective_policy,
    effective_version,
    folded_policy,
    line_year,
    may_manage,
    new_draft,
    override_error,
    policy_of,
    poverty_lines_for,
    region_chain,
    release_policy,
    rule_error,
)

__all__ = [
    "ADHOC_RULE_ID",
    "HouseholdViews",
    "RuleTry",
    "RulesRefused",
    "create_pathway_run",
    "create_rule_run",
    "decide_household",
    "effective_policy",
    "effective_version",
    "execute_pathway_run",
    "execute_rule_run",
    "folded_policy",
    "household_pathways_now",
    "household_views",
    "line_year",
    "may_manage",
    "new_draft",
    "override_error",
    "pathway_counts",
    "policy_of",
    "poverty_lines_for",
    "region_chain",
    "region_counts",
    "release_policy",
    "rule_error",
    "rule_labels",
    "run_eligibility",
    "run_rule",
    "run_scheme",
    "try_rule",
]
