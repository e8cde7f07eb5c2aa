"""Selecting rows by a list of values: the same rows, in the same order, as ``is_in``."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.core.frames import matches, rows_in, rows_not_in

texts = st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c", "甲", "乙", ""])), max_size=30)
ints = st.lists(st.one_of(st.none(), st.integers(-3, 5)), max_size=30)


def _frame(values: list, dtype: pl.DataType) -> pl.DataFrame:
    return pl.DataFrame({"k": pl.Series(values, dtype=dtype), "n": list(range(len(values)))})


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.tuples(texts, texts, st.just(pl.Utf8)), st.tuples(ints, ints, st.just(pl.Int64))))
def test_same_rows_and_order_as_is_in(case):
    keys, listed, dtype = case
    frame, values = _frame(keys, dtype), pl.Series(listed, dtype=dtype)
    expected_in = frame.filter(pl.col("k").is_in(values.implode()))
    expected_out = frame.filter(~pl.col("k").is_in(values.implode()))
    assert rows_in(frame, "k", values).equals(expected_in)
    assert rows_not_in(frame, "k", values).equals(expected_out)
    flagged = matches(frame, "k", values, "hit")
    assert flagged.select("k", "n").equals(frame)
    assert flagged["hit"].to_list() == frame.select(pl.col("k").is_in(values.implode()).fill_null(False))[
        "k"].to_list()


def test_values_of_another_type_and_a_one_column_frame():
    frame = _frame(["1", "2", "3"], pl.Utf8)
    assert rows_in(frame, "k", pl.Series([2, 3, 3])).get_column("n").to_list() == [1, 2]
    assert rows_not_in(frame, "k", pl.DataFrame({"x": ["1"]})).get_column("n").to_list() == [1, 2]


def test_a_column_without_a_type():
    frame = pl.DataFrame({"k": [None, None], "n": [0, 1]})
    assert frame.schema["k"] == pl.Null
    assert rows_in(frame, "k", pl.Series(["a"])).height == 0
    assert rows_not_in(frame, "k", pl.Series(["a"])).height == 0
    assert matches(frame, "k", pl.Series(["a"]), "hit")["hit"].to_list() == [False, False]
    empty = pl.DataFrame(schema={"k": pl.Utf8})
    assert rows_in(empty, "k", pl.Series(["a"])).schema == empty.schema
