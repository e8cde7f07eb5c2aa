"""Selecting a frame's rows by a list of values (按值筛选), for lists as long as a whole file.

``frame.filter(pl.col(c).is_in(values.implode()))`` slows down sharply as the list grows: measured
on 1M roster rows (Polars 1.35, 2 cores, best of 3), against a list of 100k ID numbers 0.035 s, 300k
0.14 s, 600k 0.40 s, 1M 0.72 s, and 1.0 s for 1.19M 户编号; the same selections as a semi join took
0.031, 0.043, 0.070, 0.096 and 0.065 s. An import compares whole files with the registry (every ID
number of a county's roster), so its selections go through these two functions.

Both keep the frame's row order and its columns, never repeat a row (a value listed twice selects
its rows once), and treat null as :meth:`polars.Expr.is_in` does: a null never matches, and a row
whose value is null is in neither result.
"""

from __future__ import annotations

import polars as pl

__all__ = ["matches", "rows_in", "rows_not_in"]


def _keys(frame: pl.DataFrame, column: str, values: pl.Series | pl.DataFrame) -> pl.DataFrame:
    series = values.to_series() if isinstance(values, pl.DataFrame) else values
    return series.cast(frame.schema[column]).drop_nulls().to_frame(column)


def _all_null(frame: pl.DataFrame, column: str) -> bool:
    return frame.schema[column] == pl.Null  # e.g. an empty frame read without a type


def rows_in(frame: pl.DataFrame, column: str, values: pl.Series | pl.DataFrame) -> pl.DataFrame:
    """The rows of ``frame`` whose ``column`` is one of ``values`` (a Series, or a one-column frame)."""
    if _all_null(frame, column):
        return frame.clear()
    return frame.join(_keys(frame, column, values), on=column, how="semi", maintain_order="left")


def rows_not_in(frame: pl.DataFrame, column: str, values: pl.Series | pl.DataFrame) -> pl.DataFrame:
    """The rows of ``frame`` whose ``column`` is set and is none of ``values`` (as ``~is_in``)."""
    if _all_null(frame, column):
        return frame.clear()
    return frame.filter(pl.col(column).is_not_null()).join(
        _keys(frame, column, values), on=column, how="anti", maintain_order="left")


def matches(frame: pl.DataFrame, column: str, values: pl.Series | pl.DataFrame, name: str) -> pl.DataFrame:
    """``frame`` with a boolean column ``name``: whether ``column`` is one of ``values`` (null: False),
    for conditions that combine membership with other tests."""
    if _all_null(frame, column):
        return frame.with_columns(pl.lit(False).alias(name))
    keys = _keys(frame, column, values).unique().with_columns(pl.lit(True).alias(name))
    return frame.join(keys, on=column, how="left", maintain_order="left").with_columns(
        pl.col(name).fill_null(False))
