"""The IR as SQL text for another engine (Spark SQL by default), generated with sqlglot.

The generated predicate keeps the semantics of :mod:`.evaluate`: every sub-expression is put in
parentheses (precedence never depends on the dialect), division by zero is written
``CASE WHEN d = 0 THEN NULL ELSE n / d END`` (Spark's ANSI mode would raise instead), ``LEAST``/
``GREATEST`` skip nulls in Spark as here, and the whole predicate is ``COALESCE(…, FALSE)`` so NULL
counts as false. Spark's ``/`` always returns a double, as the rule language's numbers are floats.
"""

from __future__ import annotations

from sqlglot import exp

from .parser import IR

_BINARY: dict[str, type[exp.Expr]] = {
    "and": exp.And, "or": exp.Or, "eq": exp.EQ, "ne": exp.NEQ, "lt": exp.LT, "le": exp.LTE, "gt": exp.GT,
    "ge": exp.GTE, "add": exp.Add, "sub": exp.Sub, "mul": exp.Mul,
}


_ATOMS = (exp.Column, exp.Literal, exp.Boolean, exp.Null, exp.Paren, exp.Abs, exp.Length, exp.Coalesce, exp.Least,
          exp.Greatest)


def _wrap(node: exp.Expr) -> exp.Expr:
    if isinstance(node, _ATOMS):
        return node
    return exp.Paren(this=node)


def _literal(value: object) -> exp.Expr:
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(str(value))
    if isinstance(value, float):
        return exp.Literal.number(repr(value))
    return exp.Literal.string(str(value))


def ir_to_sqlglot(ir: IR) -> exp.Expr:
    """The sqlglot tree of ``ir`` (nulls kept)."""
    if "col" in ir:
        return exp.column(ir["col"])
    if "lit" in ir:
        return _literal(ir["lit"])
    op = ir["op"]
    args = [_wrap(ir_to_sqlglot(arg)) for arg in ir["args"]]
    if op in _BINARY:
        return _BINARY[op](this=args[0], expression=args[1])
    if op == "div":
        return exp.Case(
            ifs=[exp.If(this=exp.EQ(this=args[1].copy(), expression=exp.Literal.number("0")), true=exp.Null())],
            default=exp.Div(this=args[0], expression=args[1]),
        )
    if op == "not":
        return exp.Not(this=args[0])
    if op == "neg":
        return exp.Neg(this=args[0])
    if op == "abs":
        return exp.Abs(this=args[0])
    if op == "length":
        return exp.Length(this=args[0])
    if op == "is_null":
        return exp.Is(this=args[0], expression=exp.Null())
    if op == "between":
        return exp.Between(this=args[0], low=args[1], high=args[2])
    if op == "in":
        return exp.In(this=args[0], expressions=[_literal(v) for v in ir["values"]])
    if op == "coalesce":
        return exp.Coalesce(this=args[0], expressions=args[1:])
    if op == "least":
        return exp.Least(this=args[0], expressions=args[1:])
    if op == "greatest":
        return exp.Greatest(this=args[0], expressions=args[1:])
    raise ValueError(f"unknown IR op {op!r}")


def ir_to_sql(ir: IR, dialect: str = "spark") -> str:
    """The predicate as SQL text of ``dialect``, NULL counted as false."""
    tree = exp.Coalesce(this=_wrap(ir_to_sqlglot(ir)), expressions=[exp.false()])
    return tree.sql(dialect=dialect)
