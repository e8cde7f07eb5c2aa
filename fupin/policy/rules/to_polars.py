"""Compile the IR to a Polars expression (整库批量判定).

Numbers are cast to Float64, booleans to Boolean, text to String, dates to Date, so a rule sees the
same values whatever integer or decimal type a frame holds. Polars' ``&``/``|`` on booleans follow
Kleene logic and comparisons with null give null, as SQL and :mod:`.evaluate` do; division by zero is
null; ``LEAST``/``GREATEST`` skip nulls (``min_horizontal``/``max_horizontal``). The top-level
expression fills null with false.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from .columns import Column
from .parser import IR

_DTYPES: dict[str, Any] = {
    "int": pl.Float64, "float": pl.Float64, "num": pl.Float64, "bool": pl.Boolean, "str": pl.String,
    "date": pl.Date, "null": pl.Float64,
}


def _lit_dtype(value: object, declared: str | None) -> Any:
    if declared is not None:
        return _DTYPES[declared]
    if isinstance(value, bool):
        return pl.Boolean
    if isinstance(value, int | float):
        return pl.Float64
    return pl.String


def _lit(value: object, declared: str | None = None) -> pl.Expr:
    dtype = _lit_dtype(value, declared)
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = float(value)
    return pl.lit(value, dtype=dtype)


def ir_to_polars(ir: IR, columns: Mapping[str, Column]) -> pl.Expr:
    """The Polars expression of ``ir`` (nulls kept: NULL stays null)."""
    if "col" in ir:
        name = ir["col"]
        return pl.col(name).cast(_DTYPES[columns[name].kind])
    if "lit" in ir:
        return _lit(ir["lit"], ir.get("type"))
    op = ir["op"]
    args = [ir_to_polars(arg, columns) for arg in ir["args"]]
    match op:
        # Operands of AND/OR/NOT are boolean or an untyped NULL (e.g. COALESCE(NULL), typed Float64
        # above): cast so Polars applies Kleene logic instead of refusing ``bitand`` on f64.
        case "and":
            return args[0].cast(pl.Boolean) & args[1].cast(pl.Boolean)
        case "or":
            return args[0].cast(pl.Boolean) | args[1].cast(pl.Boolean)
        case "not":
            return ~args[0].cast(pl.Boolean)
        case "eq":
            return args[0] == args[1]
        case "ne":
            return args[0] != args[1]
        case "lt":
            return args[0] < args[1]
        case "le":
            return args[0] <= args[1]
        case "gt":
            return args[0] > args[1]
        case "ge":
            return args[0] >= args[1]
        case "add":
            return args[0] + args[1]
        case "sub":
            return args[0] - args[1]
        case "mul":
            return args[0] * args[1]
        case "div":
            return pl.when(args[1] == 0).then(pl.lit(None, dtype=pl.Float64)).otherwise(args[0] / args[1])
        case "neg":
            return -args[0]
        case "abs":
            return args[0].abs()
        case "length":
            return args[0].str.len_chars().cast(pl.Float64)
        case "is_null":
            return args[0].is_null()
        case "between":
            return (args[0] >= args[1]) & (args[0] <= args[2])
        case "coalesce":
            return pl.coalesce(args)
        case "least":
            return pl.min_horizontal(args)
        case "greatest":
            return pl.max_horizontal(args)
        case "in":
            values = [float(v) if isinstance(v, int | float) and not isinstance(v, bool) else v for v in ir["values"]]
            dtype = _lit_dtype(values[0], None)
            return args[0].is_in(pl.lit(pl.Series(values, dtype=dtype)).implode())
    raise ValueError(f"unknown IR op {op!r}")


def predicate_to_polars(ir: IR, columns: Mapping[str, Column]) -> pl.Expr:
    """The rule as a boolean expression, null counted as false."""
    return ir_to_polars(ir, columns).fill_null(False)
