"""Rule text → engine-neutral IR (规则解析), with sqlglot and a whitelist.

A rule is one SQL condition (``income_per_capita < poverty_line AND n_labour = 0``). The text is checked
twice: token by token (only the tokens of the whitelist below; no ``;``, no comments, no quoted
identifiers) and then node by node on the tree sqlglot parses (only the node types below, columns from
the given catalogue). Nothing is ever passed to ``eval``/``exec`` or to a database.

The result is an IR of plain dicts and lists (JSON-serialisable), the same for every engine:

- ``{"col": name}`` — a column of the catalogue;
- ``{"lit": value}`` — a number (int or float), a string, true/false, or ``None`` (NULL; a NULL literal
  carries ``"type"``: the type the context gives it);
- ``{"op": name, "args": [...]}`` with ``op`` one of ``and or not eq ne lt le gt ge add sub mul div neg
  is_null between coalesce abs least greatest length``, and ``{"op": "in", "args": [x], "values": [...]}``.

Types (checked lightly, refused with :class:`RuleError`): numbers (``int``/``float`` columns and number
literals), booleans, text, dates. Comparisons need two values of the same type (or NULL); booleans only
compare with ``=``/``!=``; arithmetic, ``ABS``, ``LEAST``, ``GREATEST`` need numbers; ``AND``/``OR``/``NOT``
need conditions; ``LENGTH`` needs text; a rule as a whole must be a condition. A bool column is a
condition by itself (``any_vehicle``); comparing it with a number (``any_vehicle = 1``) is refused.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokenizer_core import TokenType

from .columns import KIND_LABELS, Column
from .errors import RuleError

IR = dict[str, Any]

MAX_LENGTH = 4000
MAX_DEPTH = 100

#: Functions of the rule language: name → (minimum, maximum number of arguments; None = any).
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "COALESCE": (1, None),
    "ABS": (1, 1),
    "LEAST": (1, None),
    "GREATEST": (1, None),
    "LENGTH": (1, 1),
}

#: Operators and keywords of the rule language (for the documentation).
OPERATORS: tuple[str, ...] = (
    "AND", "OR", "NOT", "=", "!=", "<>", "<", "<=", ">", ">=", "+", "-", "*", "/", "IN (…)", "NOT IN (…)",
    "BETWEEN … AND …", "NOT BETWEEN", "IS NULL", "IS NOT NULL", "( )",
)

_ALLOWED_TOKENS = frozenset({
    TokenType.VAR, TokenType.NUMBER, TokenType.STRING, TokenType.L_PAREN, TokenType.R_PAREN, TokenType.COMMA,
    TokenType.EQ, TokenType.NEQ, TokenType.LT, TokenType.LTE, TokenType.GT, TokenType.GTE, TokenType.PLUS,
    TokenType.DASH, TokenType.STAR, TokenType.SLASH, TokenType.AND, TokenType.OR, TokenType.NOT, TokenType.IN,
    TokenType.BETWEEN, TokenType.IS, TokenType.NULL, TokenType.TRUE, TokenType.FALSE,
})

_TYPE_LABELS = {"num": KIND_LABELS["float"], "bool": KIND_LABELS["bool"], "str": KIND_LABELS["str"],
                "date": KIND_LABELS["date"], "null": "空值 NULL"}
_KIND_TYPE = {"int": "num", "float": "num", "bool": "bool", "str": "str", "date": "date"}

_COMPARISONS: dict[type[exp.Expr], str] = {
    exp.EQ: "eq", exp.NEQ: "ne", exp.LT: "lt", exp.LTE: "le", exp.GT: "gt", exp.GTE: "ge",
}
_ARITHMETIC: dict[type[exp.Expr], str] = {exp.Add: "add", exp.Sub: "sub", exp.Mul: "mul", exp.Div: "div"}
_CONNECTIVES: dict[type[exp.Expr], str] = {exp.And: "and", exp.Or: "or"}
_SQL_OPS = {"eq": "=", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "add": "+", "sub": "-",
            "mul": "*", "div": "/", "and": "AND", "or": "OR"}
_STATEMENT_NODES = (exp.Query, exp.Subquery, exp.Exists, exp.Command, exp.Drop, exp.Delete, exp.Insert,
                    exp.Update, exp.Create, exp.Alter, exp.TruncateTable, exp.Block, exp.With)
_INT_TEXT = re.compile(r"^[0-9]+$")


def _snippet(node: exp.Expr) -> str:
    text = node.sql()
    return text if len(text) <= 60 else text[:57] + "..."


class _Walker:
    def __init__(self, columns: Mapping[str, Column], text: str) -> None:
        self.columns = columns
        self.text = text
        self.used: set[str] = set()

    def error(self, message: str, token: str | None) -> RuleError:
        return RuleError(message, token=token, text=self.text)

    def check_args(self, node: exp.Expr, allowed: frozenset[str]) -> None:
        extra = sorted(k for k, v in node.args.items() if v not in (None, False, [], "") and k not in allowed)
        if extra:
            raise self.error(f"不允许的写法 construct not allowed: {_snippet(node)}", _snippet(node))

    def walk(self, node: exp.Expr, depth: int = 0) -> tuple[IR, str]:
        if depth > MAX_DEPTH:
            raise self.error(f"规则嵌套过深 rule nested too deeply (max {MAX_DEPTH})", None)
        d = depth + 1
        if isinstance(node, exp.Paren):
            return self.walk(node.this, d)
        if isinstance(node, exp.Column):
            return self.column(node)
        if isinstance(node, exp.Literal | exp.Boolean | exp.Null):
            return self.literal(node)
        if isinstance(node, exp.Neg):
            self.check_args(node, frozenset({"this"}))
            inner, t = self.walk(node.this, d)
            self.need(node, t, ("num",), "取负 negation")
            if "lit" in inner and isinstance(inner["lit"], int | float) and not isinstance(inner["lit"], bool):
                return {"lit": -inner["lit"]}, "num"
            return {"op": "neg", "args": [self.typed_null(inner, "num")]}, "num"
        if type(node) in _CONNECTIVES:
            self.check_args(node, frozenset({"this", "expression"}))
            op = _CONNECTIVES[type(node)]
            args = []
            for child in (node.this, node.expression):
                ir, t = self.walk(child, d)
                self.need(child, t, ("bool",), f"{op.upper()} 的操作数 operand of {op.upper()}")
                args.append(self.typed_null(ir, "bool"))
            return {"op": op, "args": args}, "bool"
        if isinstance(node, exp.Not):
            self.check_args(node, frozenset({"this"}))
            ir, t = self.walk(node.this, d)
            self.need(node.this, t, ("bool",), "NOT 的操作数 operand of NOT")
            return {"op": "not", "args": [self.typed_null(ir, "bool")]}, "bool"
        if type(node) in _COMPARISONS:
            self.check_args(node, frozenset({"this", "expression"}))
            op = _COMPARISONS[type(node)]
            (left, lt), (right, rt) = self.walk(node.this, d), self.walk(node.expression, d)
            t = self.same_type(node, lt, rt)
            if t == "bool" and op not in ("eq", "ne"):
                raise self.error(f"是/否值只能用 = 或 != 比较 booleans compare only with = or !=: {_snippet(node)}",
                                 _snippet(node))
            return {"op": op, "args": [self.typed_null(left, t), self.typed_null(right, t)]}, "bool"
        if type(node) in _ARITHMETIC:
            self.check_args(node, frozenset({"this", "expression", "typed", "safe"}))
            op = _ARITHMETIC[type(node)]
            args = []
            for child in (node.this, node.expression):
                ir, t = self.walk(child, d)
                self.need(child, t, ("num",), f"运算 {_SQL_OPS[op]} 的操作数 operand of {_SQL_OPS[op]}")
                args.append(self.typed_null(ir, "num"))
            return {"op": op, "args": args}, "num"
        if isinstance(node, exp.In):
            return self.in_list(node, d)
        if isinstance(node, exp.Between):
            self.check_args(node, frozenset({"this", "low", "high"}))
            parts = [self.walk(node.this, d), self.walk(node.args["low"], d), self.walk(node.args["high"], d)]
            t = "null"
            for _, pt in parts:
                t = self.same_type(node, t, pt)
            if t == "bool":
                raise self.error(f"BETWEEN 不能用于是/否值 BETWEEN does not apply to booleans: {_snippet(node)}",
                                 _snippet(node))
            return {"op": "between", "args": [self.typed_null(ir, t) for ir, _ in parts]}, "bool"
        if isinstance(node, exp.Is):
            self.check_args(node, frozenset({"this", "expression"}))
            if not isinstance(node.expression, exp.Null):
                raise self.error(f"只支持 IS NULL / IS NOT NULL only IS NULL and IS NOT NULL: {_snippet(node)}",
                                 _snippet(node))
            ir, t = self.walk(node.this, d)
            return {"op": "is_null", "args": [self.typed_null(ir, "num" if t == "null" else t)]}, "bool"
        if isinstance(node, exp.Func):
            return self.function(node, d)
        if isinstance(node, exp.Alias):
            raise self.error(f"意外的词 unexpected token: {node.alias}", node.alias)
        if isinstance(node, _STATEMENT_NODES):
            raise self.error(f"不允许子查询或语句 sub-queries and statements are not allowed: {_snippet(node)}",
                             _snippet(node))
        raise self.error(f"不允许的表达式 expression not allowed: {_snippet(node)}", _snippet(node))

    def column(self, node: exp.Column) -> tuple[IR, str]:
        self.check_args(node, frozenset({"this"}))
        ident = node.this
        if not isinstance(ident, exp.Identifier):
            raise self.error(f"不允许的表达式 expression not allowed: {_snippet(node)}", _snippet(node))
        if ident.quoted:
            raise self.error(f'文字请用单引号 use single quotes for text: "{ident.name}"', f'"{ident.name}"')
        name = ident.name.lower()
        column = self.columns.get(name)
        if column is None:
            close = difflib.get_close_matches(name, list(self.columns), n=1, cutoff=0.8)
            hint = f" (是否指 did you mean {close[0]}?)" if close else ""
            raise self.error(f"未知列 unknown column: {ident.name}{hint}", ident.name)
        self.used.add(name)
        return {"col": name}, _KIND_TYPE[column.kind]

    def literal(self, node: exp.Expr) -> tuple[IR, str]:
        if isinstance(node, exp.Null):
            return {"lit": None}, "null"
        if isinstance(node, exp.Boolean):
            return {"lit": bool(node.this)}, "bool"
        assert isinstance(node, exp.Literal)
        self.check_args(node, frozenset({"this", "is_string"}))
        if node.is_string:
            return {"lit": str(node.this)}, "str"
        text = str(node.this)
        value: int | float
        try:
            value = int(text) if _INT_TEXT.match(text) else float(text)
        except ValueError:
            raise self.error(f"无效的数字 invalid number: {text}", text) from None
        if isinstance(value, float) and not math.isfinite(value):
            raise self.error(f"数字超出范围 number out of range: {text}", text)
        if isinstance(value, int) and abs(value) > 2**53:
            raise self.error(f"数字超出范围 number out of range: {text}", text)
        return {"lit": value}, "num"

    def in_list(self, node: exp.In, d: int) -> tuple[IR, str]:
        if node.args.get("query") is not None:
            raise self.error(f"不允许子查询 sub-queries are not allowed: {_snippet(node)}", _snippet(node))
        self.check_args(node, frozenset({"this", "expressions"}))
        left, t = self.walk(node.this, d)
        items = node.expressions
        if not items:
            raise self.error(f"IN 列表为空 empty IN list: {_snippet(node)}", _snippet(node))
        values: list[Any] = []
        for item in items:
            if not isinstance(item, exp.Literal | exp.Boolean | exp.Neg | exp.Paren | exp.Null):
                raise self.error(f"IN 列表只能是常量 IN takes a list of constants: {_snippet(item)}", _snippet(item))
            ir, it = self.walk(item, d)
            if "lit" not in ir:
                raise self.error(f"IN 列表只能是常量 IN takes a list of constants: {_snippet(item)}", _snippet(item))
            if it == "null":
                raise self.error("IN 列表不能含 NULL; 请用 IS NULL / NULL in an IN list: use IS NULL", "NULL")
            t = self.same_type(node, t, it)
            values.append(ir["lit"])
        if t == "null":
            t = "num"
        return {"op": "in", "args": [self.typed_null(left, t)], "values": values}, "bool"

    def function(self, node: exp.Func, d: int) -> tuple[IR, str]:
        if isinstance(node, exp.Anonymous):
            raise self.error(f"未知函数 unknown function: {node.name}", node.name)
        allowed = {exp.Coalesce: "COALESCE", exp.Abs: "ABS", exp.Least: "LEAST", exp.Greatest: "GREATEST",
                   exp.Length: "LENGTH"}
        name = allowed.get(type(node))
        if name is None:
            fname = node.sql_name() if hasattr(node, "sql_name") else type(node).__name__.upper()
            raise self.error(f"不允许的函数 function not allowed: {fname}", fname)
        self.check_args(node, frozenset({"this", "expressions", "ignore_nulls", "binary"}))
        children = [node.this, *node.expressions]
        low, high = FUNCTIONS[name]
        if len(children) < low or (high is not None and len(children) > high):
            raise self.error(f"函数参数个数不对 wrong number of arguments: {_snippet(node)}", name)
        walked = [self.walk(child, d) for child in children]
        if name == "LENGTH":
            (ir, t), = walked
            self.need(children[0], t, ("str",), "LENGTH 的参数 argument of LENGTH")
            return {"op": "length", "args": [self.typed_null(ir, "str")]}, "num"
        if name in ("ABS", "LEAST", "GREATEST"):
            for child, (_, t) in zip(children, walked, strict=True):
                self.need(child, t, ("num",), f"{name} 的参数 argument of {name}")
            return {"op": name.lower(), "args": [self.typed_null(ir, "num") for ir, _ in walked]}, "num"
        t = "null"
        for _, ct in walked:
            t = self.same_type(node, t, ct)
        if t == "null":  # only NULLs: the value is NULL, typed by where it is used (like the literal)
            return {"lit": None}, "null"
        return {"op": "coalesce", "args": [self.typed_null(ir, t) for ir, _ in walked]}, t

    def need(self, node: exp.Expr, t: str, wanted: tuple[str, ...], what: str) -> None:
        if t != "null" and t not in wanted:
            want = " / ".join(_TYPE_LABELS[w] for w in wanted)
            raise self.error(f"类型不符 type mismatch: {what} 应为 must be {want}, 而 {_snippet(node)} 是 is "
                             f"{_TYPE_LABELS[t]}", _snippet(node))

    def same_type(self, node: exp.Expr, a: str, b: str) -> str:
        if a == "null":
            return b
        if b == "null" or a == b:
            return a
        raise self.error(f"类型不匹配 type mismatch ({_TYPE_LABELS[a]} / {_TYPE_LABELS[b]}): {_snippet(node)}",
                         _snippet(node))

    @staticmethod
    def typed_null(ir: IR, t: str) -> IR:
        if "lit" in ir and ir["lit"] is None:
            return {"lit": None, "type": "num" if t == "null" else t}
        return ir


def _describe(detail: Mapping[str, Any]) -> str:
    description = str(detail.get("description") or "")
    if description.startswith("Required keyword"):
        return "表达式不完整 incomplete expression"
    if description.startswith("Expecting )"):
        return "缺少右括号 missing ')'"
    if "Unexpected token" in description or "Invalid expression" in description:
        return "意外的词 unexpected token"
    return description.split(". Line")[0] or "无法解析 cannot parse"


def check_tokens(text: str) -> None:
    """The token-level whitelist: refuses ``;``, comments, quoted identifiers and every keyword that is
    not part of the rule language (SELECT, DROP, CASE, …), naming the token."""
    if not text.strip():
        raise RuleError("规则为空 empty rule", text=text)
    if len(text) > MAX_LENGTH:
        raise RuleError(f"规则过长 rule too long (max {MAX_LENGTH} characters)", text=text)
    try:
        tokens = sqlglot.tokenize(text)
    except TokenError as e:
        raise RuleError(f"无法识别的字符 cannot read the text: {e}", text=text) from None
    if not tokens:
        raise RuleError("不允许注释 comments are not allowed (规则为空 empty rule)", token="--", text=text)
    for token in tokens:
        if token.comments:
            raise RuleError("不允许注释 comments are not allowed: -- / /* */", token="--", text=text)
        if token.token_type == TokenType.SEMICOLON:
            raise RuleError("不允许分号或多条语句 ';' and multiple statements are not allowed: ;", token=";",
                            text=text)
        if token.token_type == TokenType.IDENTIFIER:
            raise RuleError(f'文字请用单引号 use single quotes for text: "{token.text}"', token=f'"{token.text}"',
                            text=text)
        if token.token_type not in _ALLOWED_TOKENS:
            raise RuleError(f"不允许的词 token not allowed: {token.text}", token=token.text, text=text)


def parse_rule(text: str, columns: Mapping[str, Column]) -> tuple[IR, frozenset[str]]:
    """Parse and check ``text`` against ``columns``; the IR and the columns it uses.

    Raises :class:`RuleError` naming the offending token.
    """
    check_tokens(text)
    try:
        tree = sqlglot.parse_one(text)
    except ParseError as e:
        detail = e.errors[0] if e.errors else {}
        near = str(detail.get("highlight") or "").strip()
        where = f" (第{detail.get('line')}行第{detail.get('col')}列 line {detail.get('line')}, col {detail.get('col')})"
        raise RuleError(f"语法错误 syntax error near '{near}'{where}: {_describe(detail)}", token=near or None,
                        text=text) from None
    except (TokenError, RecursionError):
        raise RuleError("无法解析 cannot parse the rule", text=text) from None
    if tree is None:  # pragma: no cover - parse_one raises on empty input
        raise RuleError("规则为空 empty rule", text=text)
    walker = _Walker(columns, text)
    try:
        ir, t = walker.walk(tree)
    except RecursionError:
        raise RuleError(f"规则嵌套过深 rule nested too deeply (max {MAX_DEPTH})", text=text) from None
    if t not in ("bool", "null"):
        raise RuleError(f"规则必须是条件(是/否) a rule must be a condition (true/false), not {_TYPE_LABELS[t]}: "
                        f"{text.strip()[:60]}", token=text.strip()[:60], text=text)
    return walker.typed_null(ir, "bool"), frozenset(walker.used)
