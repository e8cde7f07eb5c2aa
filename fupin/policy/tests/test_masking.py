"""Masking personal numbers (fupin.policy.masking): the column expressions equal the plain functions."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from fupin.policy.masking import mask_account, mask_id_number, masked_accounts, masked_id_numbers

# Digits and X (real numbers), full-width and CJK characters (what people type), any length.
TEXT = st.text(alphabet=st.sampled_from([*"0123456789Xx ", "１", "张", "é", "\u3000"]), max_size=30)


def _column(values: list[str | None], expr) -> list[str]:
    return pl.DataFrame({"v": values}, schema={"v": pl.Utf8}).select(expr(pl.col("v")).alias("v")).to_series().to_list()


def test_short_values_beside_long_ones():
    """Both branches of the column rule run on every row: a short value beside a long one once made a
    negative width that wrapped round (unsigned) and exhausted memory."""
    values = ["12", None, "1234567890123", "张", "123456789"]
    assert _column(values, masked_id_numbers) == ["**", "", "1234*****0123", "*", "1234*6789"]
    assert _column(values, masked_accounts) == ["**", "", "*********0123", "*", "*****6789"]


def test_the_rules_on_real_numbers():
    assert mask_id_number("350421199001011234") == "3504**********1234"
    assert mask_id_number("35042119900101123401") == "3504************3401"  # disability certificate
    assert mask_id_number("12345678") == "********"
    assert mask_account("6217001234567890123") == "***************0123"
    assert mask_account("1234") == "****"
    assert mask_account("") == mask_id_number("") == ""


@given(st.lists(st.one_of(st.none(), TEXT), max_size=20))
def test_the_column_masks_equal_the_plain_ones(values):
    assert _column(values, masked_id_numbers) == [mask_id_number(v or "") for v in values]
    assert _column(values, masked_accounts) == [mask_account(v or "") for v in values]


def test_an_empty_column_keeps_its_type():
    out = pl.DataFrame({"v": []}, schema={"v": pl.Utf8}).select(masked_id_numbers(pl.col("v")).alias("v"))
    assert out.schema["v"] == pl.Utf8 and out.height == 0
