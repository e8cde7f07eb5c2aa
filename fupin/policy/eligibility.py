"""Eligibility decisions (识别判定): the income test and the exclusions (八不入), from one policy set.

A household is **eligible** when every enabled eligibility rule holds (the income test
``income_below_line`` — by default ``income_per_capita < poverty_line`` — is one of them) and no
enabled exclusion rule holds. :func:`decide` does it column-wise over a household view (Polars, a whole
registry); :func:`decide_one` does it for one row (pure Python, a form). Both run the same compiled rules,
so they cannot disagree.

``reasons`` lists the rules that fired: the eligibility rules that held and the exclusion rules that
held, in policy order. ``failed`` lists the eligibility rules that did not hold (why a household is not
eligible when no exclusion fired), so a page can always say why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from .policy_sets import INCOME_RULE_ID, PolicySet, RuleDef


@dataclass(frozen=True)
class Reason:
    """A rule that fired (or failed), with its labels."""

    rule_id: str
    label_zh: str
    label_en: str
    kind: str = ""  # "eligibility" or "exclusion"

    def to_dict(self) -> dict[str, str]:
        return {"rule_id": self.rule_id, "label_zh": self.label_zh, "label_en": self.label_en}


@dataclass(frozen=True)
class Decision:
    """The decision about one household under one policy version."""

    eligible: bool
    income_below_line: bool
    excluded: bool
    reasons: tuple[Reason, ...]
    policy_version: str
    failed: tuple[Reason, ...] = ()

    @property
    def outcome(self) -> str:
        """``eligible``, ``excluded`` or ``not_eligible``."""
        if self.eligible:
            return "eligible"
        return "excluded" if self.excluded else "not_eligible"


def _reason(rule: RuleDef, kind: str) -> Reason:
    return Reason(rule.id, rule.label_zh, rule.label_en, kind)


def decide_one(row: Mapping[str, object], policy: PolicySet) -> Decision:
    """The decision for one household-view row (a mapping column → value)."""
    reasons: list[Reason] = []
    failed: list[Reason] = []
    income_below = False
    all_hold = True
    for rule in policy.active_eligibility:
        held = rule.compiled().evaluate(row)
        if rule.id == INCOME_RULE_ID:
            income_below = held
        if held:
            reasons.append(_reason(rule, "eligibility"))
        else:
            all_hold = False
            failed.append(_reason(rule, "eligibility"))
    excluded = False
    for rule in policy.active_exclusions:
        if rule.compiled().evaluate(row):
            excluded = True
            reasons.append(_reason(rule, "exclusion"))
    return Decision(eligible=all_hold and not excluded, income_below_line=income_below, excluded=excluded,
                    reasons=tuple(reasons), policy_version=policy.version, failed=tuple(failed))


def _fired(rules: list[tuple[RuleDef, str]], *, negate: bool = False) -> pl.Expr:
    """A list column of the ids of ``(rule, column)`` whose column is true (false with ``negate``)."""
    if not rules:
        return pl.lit([], dtype=pl.List(pl.String))
    items = [pl.when(~pl.col(col) if negate else pl.col(col)).then(pl.lit(rule.id)).otherwise(pl.lit(None, pl.String))
             for rule, col in rules]
    return pl.concat_list(items).list.drop_nulls()


def decide(view: pl.DataFrame, policy: PolicySet) -> pl.DataFrame:
    """Decisions for every row of a household view.

    Columns: ``household_id``, ``eligible``, ``income_below_line``, ``excluded`` (bool), ``reasons``
    (list of rule ids that fired), ``failed`` (eligibility rule ids that did not hold),
    ``policy_version``.
    """
    eligibility = [(rule, f"_e{i}") for i, rule in enumerate(policy.active_eligibility)]
    exclusions = [(rule, f"_x{i}") for i, rule in enumerate(policy.active_exclusions)]
    income_col = next(col for rule, col in eligibility if rule.id == INCOME_RULE_ID)
    flags = view.select(
        pl.col("household_id"),
        *(rule.compiled().to_polars().alias(col) for rule, col in (*eligibility, *exclusions)),
    )
    all_hold = pl.all_horizontal([pl.col(c) for _, c in eligibility])
    excluded = pl.any_horizontal([pl.col(c) for _, c in exclusions]) if exclusions else pl.lit(False)
    return flags.select(
        pl.col("household_id"),
        (all_hold & ~excluded).alias("eligible"),
        pl.col(income_col).alias("income_below_line"),
        excluded.alias("excluded"),
        pl.concat_list([_fired(eligibility), _fired(exclusions)]).alias("reasons"),
        _fired(eligibility, negate=True).alias("failed"),
        pl.lit(policy.version, dtype=pl.String).alias("policy_version"),
    )


__all__ = ["Decision", "Reason", "decide", "decide_one"]
