"""Evaluate the IR on one row (一户/一人), pure Python, with SQL's three-valued logic.

``None`` is NULL. A comparison or arithmetic with NULL gives NULL; ``AND``/``OR``/``NOT`` follow Kleene
logic (``FALSE AND NULL`` is FALSE, ``TRUE OR NULL`` is TRUE); ``x IN (…)`` with a NULL ``x`` is NULL;
division by zero gives NULL; ``COALESCE`` takes the first non-NULL; ``LEAST``/``GREATEST`` skip NULLs (as
Spark, PostgreSQL and Polars do). Numbers compute as 64-bit floats, exactly as the Polars compilation
(:mod:`.to_polars`) does, so both give the same answer (a property test holds them equal). At the top
level NULL counts as false.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .columns import Column
from .parser import IR

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge,
}
_ARITH: dict[str, Callable[[float, float], float]] = {"add": operator.add, "sub": operator.sub, "mul": operator.mul}


def _value(column: Column | None, value: object) -> object:
    """A row value as the rule sees it (numbers as float, as Polars casts them)."""
    if value is None:
        return None
    if column is None:
        return value
    if column.kind in ("int", "float"):
        if isinstance(value, int | float | Decimal):
            return float(value)
        return float(str(value))
    if column.kind == "bool":
        return bool(value)
    if column.kind == "str":
        return value if isinstance(value, str) else str(value)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _lit(value: object) -> object:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


def evaluate_ir(ir: IR, row: Mapping[str, object], columns: Mapping[str, Column]) -> object:
    """The value of ``ir`` on ``row`` (``None`` for NULL). Raises ``KeyError`` if the row lacks a column."""
    if "col" in ir:
        name = ir["col"]
        if name not in row:
            raise KeyError(f"行缺少列 row lacks column: {name}")
        return _value(columns.get(name), row[name])
    if "lit" in ir:
        return _lit(ir["lit"])
    op = ir["op"]
    args = ir["args"]
    if op == "and":
        a = evaluate_ir(args[0], row, columns)
        if a is False:
            return False
        b = evaluate_ir(args[1], row, columns)
        if b is False:
            return False
        return None if a is None or b is None else True
    if op == "or":
        a = evaluate_ir(args[0], row, columns)
        if a is True:
            return True
        b = evaluate_ir(args[1], row, columns)
        if b is True:
            return True
        return None if a is None or b is None else False
    if op == "not":
        a = evaluate_ir(args[0], row, columns)
        return None if a is None else not a
    if op == "is_null":
        return evaluate_ir(args[0], row, columns) is None
    if op == "coalesce":
        for arg in args:
            value = evaluate_ir(arg, row, columns)
            if value is not None:
                return value
        return None
    if op in ("least", "greatest"):
        values = [v for v in (evaluate_ir(arg, row, columns) for arg in args) if v is not None]
        if not values:
            return None
        return min(values) if op == "least" else max(values)  # type: ignore[type-var]
    values = [evaluate_ir(arg, row, columns) for arg in args]
    if op == "between":  # x >= low AND x <= high, in Kleene logic (NULL AND FALSE is FALSE)
        x, low, high = values
        above = None if x is None or low is None else x >= low  # type: ignore[operator]
        below = None if x is None or high is None else x <= high  # type: ignore[operator]
        if above is False or below is False:
            return False
        return None if above is None or below is None else True
    if op == "in":
        x = values[0]
        if x is None:
            return None
        return x in [_lit(v) for v in ir["values"]]
    if any(v is None for v in values):
        return None
    if op in _COMPARE:
        return _COMPARE[op](values[0], values[1])
    if op in _ARITH:
        return _ARITH[op](values[0], values[1])  # type: ignore[arg-type]
    if op == "div":
        divisor = values[1]
        return None if divisor == 0 else values[0] / divisor  # type: ignore[operator]
    if op == "neg":
        return -values[0]  # type: ignore[operator]
    if op == "abs":
        return abs(values[0])  # type: ignore[arg-type]
    if op == "length":
        return float(len(values[0]))  # type: ignore[arg-type]
    raise ValueError(f"unknown IR op {op!r}")


def evaluate_predicate(ir: IR, row: Mapping[str, object], columns: Mapping[str, Column]) -> bool:
    """The rule's answer for one row: NULL counts as false."""
    return evaluate_ir(ir, row, columns) is True
