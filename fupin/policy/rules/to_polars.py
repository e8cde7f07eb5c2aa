"""Compile the IR to a Polars expression (整库批量判定).

Numbers are cast to Float64, booleans to Boolean, text to String, dates to Date, so a rule sees the
same values whatever integer or decimal type a frame holds. Polars' ``&``/``|`` on booleans follow
Kleene logic and comparisons with null give null, as SQL and :mod:`.evaluate` do; division by zero is
null; ``LEAST``/``GREATEST`` skip nulls (``min_horizontal``/``max_horizontal``). The top-level
expression fills null with false.

Before compiling, :func:`fold_constants` computes every part of the rule that reads no column (with
:func:`.evaluate.evaluate_ir`, the one-row reference) and the parts NULL decides (a comparison or
arithmetic with a NULL operand, a division by a constant 0), so Polars' optimiser never meets them. Polars
1.44 rewrote such parts into expressions of the wrong height: ``TRUE = (NULL = i1)`` (``NULL = i1``
becomes ``NULL.repeat(len)``) and ``(i1 / 0) IN (0)`` (``WHEN 0 = 0`` becomes ``WHEN TRUE``) came out one
row long instead of the frame's height, "length 1 doesn't match the DataFrame height" — found by
``tests/test_rules_property.py``. Folding gives the same values: the property test holds both equal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from .columns import Column
from .evaluate import evaluate_ir
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


_BOOL_OPS = frozenset({"and", "or", "not", "eq", "ne", "lt", "le", "gt", "ge", "is_null", "between", "in"})
_NUM_OPS = frozenset({"add", "sub", "mul", "div", "neg", "abs", "length"})
#: Ops whose value is NULL when any operand is NULL (the others: Kleene logic, IS NULL, COALESCE, …).
_NULL_IF_ANY_NULL = frozenset({"eq", "ne", "lt", "le", "gt", "ge", "add", "sub", "mul", "div", "neg", "abs",
                               "length"})
_KIND_OF_COLUMN = {"int": "num", "float": "num", "bool": "bool", "str": "str", "date": "date"}


def _kind(ir: IR, columns: Mapping[str, Column]) -> str:
    """The type of ``ir``'s value: num, bool, str, date, or null (an untyped NULL)."""
    if "col" in ir:
        return _KIND_OF_COLUMN[columns[ir["col"]].kind]
    if "lit" in ir:
        value = ir["lit"]
        if "type" in ir:
            return str(ir["type"])
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "bool"
        return "num" if isinstance(value, int | float) else "str"
    op = ir["op"]
    if op in _BOOL_OPS:
        return "bool"
    if op in _NUM_OPS:
        return "num"
    kinds = [k for k in (_kind(arg, columns) for arg in ir["args"]) if k != "null"]  # coalesce, least, greatest
    return kinds[0] if kinds else "null"


def _is_null(ir: IR) -> bool:
    return "lit" in ir and ir["lit"] is None


def fold_constants(ir: IR, columns: Mapping[str, Column]) -> IR:
    """``ir`` with every part that reads no column replaced by its value (a typed literal), and every
    comparison or arithmetic with a NULL operand, or division by a constant 0, by a typed NULL."""
    if "op" not in ir:
        return ir
    if ir["op"] == "between":  # x >= low AND x <= high (Kleene), so each comparison folds on its own
        x, low, high = ir["args"]
        ir = {"op": "and", "args": [{"op": "ge", "args": [x, low]}, {"op": "le", "args": [x, high]}]}
    args = [fold_constants(arg, columns) for arg in ir["args"]]
    node = {**ir, "args": args}
    kind = _kind(node, columns)
    if all("lit" in arg for arg in args):
        return {"lit": evaluate_ir(node, {}, columns), "type": kind}
    if ir["op"] in _NULL_IF_ANY_NULL and any(_is_null(arg) for arg in args):
        return {"lit": None, "type": kind}
    if ir["op"] == "div" and "lit" in args[1] and args[1]["lit"] == 0:
        return {"lit": None, "type": kind}
    return node


def ir_to_polars(ir: IR, columns: Mapping[str, Column]) -> pl.Expr:
    """The Polars expression of ``ir`` (nulls kept: NULL stays null)."""
    return _compile(fold_constants(ir, columns), columns)


def _compile(ir: IR, columns: Mapping[str, Column]) -> pl.Expr:
    if "col" in ir:
        name = ir["col"]
        return pl.col(name).cast(_DTYPES[columns[name].kind])
    if "lit" in ir:
        return _lit(ir["lit"], ir.get("type"))
    op = ir["op"]
    args = [_compile(arg, columns) for arg in ir["args"]]
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
