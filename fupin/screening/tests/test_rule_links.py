"""Which exclusion rule a hit names: the policy's rule over the kind's household column."""

from __future__ import annotations

from dataclasses import dataclass

from fupin.policy import department_lists
from fupin.screening import rule_links


@dataclass(frozen=True)
class Rule:
    id: str
    text: str


@dataclass(frozen=True)
class Policy:
    exclusions: tuple[Rule, ...]


def test_the_first_rule_reading_a_column_names_it():
    policy = Policy((Rule("no_cars", "any_vehicle OR n_members > 9"), Rule("cars_again", "any_vehicle"),
                     Rule("mixed", "any_business AND NOT any_vehicle_x"), Rule("other", "income_per_capita > 1")))
    assert rule_links.exclusion_rules_by_column(policy) == {"any_vehicle": "no_cars", "any_business": "mixed"}
    assert rule_links.exclusion_rules_by_column(Policy(())) == {}


def test_the_default_policy_names_a_rule_for_every_kind():
    """Integration with the rule engine's shipped policy (contract A): each kind's default rule id is
    the id the policy gives its household column."""
    from fupin.policy.policy_sets import load_default_policy

    by_column = rule_links.exclusion_rules_by_column(load_default_policy())
    assert {k.id: by_column.get(k.household_column) for k in department_lists.KINDS} == {
        k.id: k.rule_id for k in department_lists.KINDS}
