"""The rule language (规则语言): a small SQL-expression subset over documented columns.

>>> rule = compile_rule("income_per_capita < poverty_line AND n_labour = 0", columns=HOUSEHOLD_COLUMNS)
>>> rule.evaluate({"income_per_capita": 2000, "poverty_line": 2952, "n_labour": 0})
True

Parsed with sqlglot, checked against a whitelist of tokens, nodes, columns and functions
(:mod:`.parser`), kept as an engine-neutral IR, compiled to Polars (:mod:`.to_polars`), evaluated on one
row in pure Python (:mod:`.evaluate`) or written as Spark SQL (:mod:`.to_spark`). Never ``eval``/``exec``.
See docs/rules.md.
"""

from .columns import (
    CATEGORY_GROUPS,
    CAUSE_FLAGS,
    HOUSEHOLD_COLUMNS,
    MATCH_KINDS,
    PERSON_COLUMNS,
    UNIT_COLUMNS,
    Column,
)
from .compiled import CompiledRule, compile_for_unit, compile_rule, ir_columns
from .errors import RuleError
from .parser import FUNCTIONS, IR, OPERATORS

__all__ = [
    "CATEGORY_GROUPS",
    "CAUSE_FLAGS",
    "FUNCTIONS",
    "HOUSEHOLD_COLUMNS",
    "IR",
    "MATCH_KINDS",
    "OPERATORS",
    "PERSON_COLUMNS",
    "UNIT_COLUMNS",
    "Column",
    "CompiledRule",
    "RuleError",
    "compile_for_unit",
    "compile_rule",
    "ir_columns",
]
