"""Masking personal numbers (脱敏): what a role that may not see full numbers sees.

One rule for pages, API, exports and error reports alike:

- 证件号码 (ID number): the first four and last four characters kept, the rest ``*``
  (``350421199001011234`` → ``3504**********1234``); eight characters or fewer: all ``*``
  (:func:`fupin.policy.idnumber.mask_id_number`).
- 银行账号 (bank account): the last four characters kept, the rest ``*``
  (``6217001234567890123`` → ``***************0123``); four characters or fewer: all ``*``.

Each rule has a plain function (one value: a page, an API record) and a Polars expression (a whole
column: an export of a million rows, never a Python loop over rows); a property test holds them
equal. Empty and missing values give ``""``. Lengths count characters, not bytes.
"""

from __future__ import annotations

import polars as pl

from fupin.policy.idnumber import mask_id_number

__all__ = ["mask_account", "mask_id_number", "masked_accounts", "masked_id_numbers"]


def mask_account(number: str) -> str:
    """``6217001234567890123`` → ``***************0123`` (银行账号脱敏: the last four kept)."""
    if not number:
        return ""
    if len(number) <= 4:
        return "*" * len(number)
    return "*" * (len(number) - 4) + number[-4:]


def _starred(kept: pl.Expr, width: pl.Expr) -> pl.Expr:
    """``kept`` with ``*`` in front up to ``width`` characters. Both branches of a ``when`` are
    computed for every row, so a width is never negative (nor wrapped round as unsigned)."""
    return kept.str.pad_start(width.clip(lower_bound=0), "*")


def masked_id_numbers(column: pl.Expr) -> pl.Expr:
    """:func:`mask_id_number` over a column of text."""
    text = column.cast(pl.Utf8).fill_null("")
    n = text.str.len_chars().cast(pl.Int64)
    return (pl.when(n <= 8).then(_starred(pl.lit(""), n))
            .otherwise(pl.concat_str([text.str.slice(0, 4), _starred(text.str.slice(-4, 4), n - 4)])))


def masked_accounts(column: pl.Expr) -> pl.Expr:
    """:func:`mask_account` over a column of text."""
    text = column.cast(pl.Utf8).fill_null("")
    n = text.str.len_chars().cast(pl.Int64)
    return pl.when(n <= 4).then(_starred(pl.lit(""), n)).otherwise(_starred(text.str.slice(-4, 4), n))
