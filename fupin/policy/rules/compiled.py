"""A compiled rule (编译后的规则): the text, its engine-neutral IR and the columns it uses.

``compile_rule(text, columns=HOUSEHOLD_COLUMNS)`` checks the text once; the result evaluates one row in
pure Python (a form, microseconds), compiles to a Polars expression (a whole registry) and writes
Spark SQL — all from the same IR, so the three cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import polars as pl

from .columns import HOUSEHOLD_COLUMNS, UNIT_COLUMNS, Column
from .evaluate import evaluate_predicate
from .parser import IR, parse_rule
from .to_polars import predicate_to_polars
from .to_spark import ir_to_sql


@dataclass(frozen=True)
class CompiledRule:
    """A checked rule. ``ir`` is JSON-serialisable and engine-neutral."""

    text: str
    ir: IR = field(compare=False)
    columns_used: frozenset[str]
    columns: Mapping[str, Column] = field(repr=False, compare=False)

    def to_polars(self) -> pl.Expr:
        """A boolean expression over the view's columns; NULL counts as false. (A rule that names no
        column gives a literal: use it in ``with_columns``/``filter``/``select`` beside other columns.)"""
        return predicate_to_polars(self.ir, self.columns)

    def evaluate(self, row: Mapping[str, object]) -> bool:
        """The rule on one row (a household or a person as a mapping of column → value)."""
        return evaluate_predicate(self.ir, row, self.columns)

    def to_spark_sql(self) -> str:
        """The same predicate as Spark SQL text."""
        return ir_to_sql(self.ir, "spark")

    def to_sql(self, dialect: str) -> str:
        """The predicate as SQL text of any sqlglot dialect."""
        return ir_to_sql(self.ir, dialect)


def compile_rule(text: str, columns: Mapping[str, Column] = HOUSEHOLD_COLUMNS) -> CompiledRule:
    """Check ``text`` against the whitelist and ``columns``; raises :class:`RuleError` if it is refused."""
    ir, used = parse_rule(text, columns)
    return CompiledRule(text=text, ir=ir, columns_used=used, columns=columns)


@lru_cache(maxsize=4096)
def compile_for_unit(text: str, unit: str) -> CompiledRule:
    """``compile_rule`` against the catalogue of a rule unit (``household`` or ``person``), cached."""
    try:
        columns = UNIT_COLUMNS[unit]
    except KeyError:
        raise ValueError(f"规则对象应为 household 或 person / unit must be household or person: {unit!r}") from None
    return compile_rule(text, columns)


def ir_columns(ir: IR) -> frozenset[str]:
    """The columns an IR names."""
    out: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if "col" in node:
                out.add(node["col"])
            for arg in node.get("args", []):
                visit(arg)

    visit(ir)
    return frozenset(out)
