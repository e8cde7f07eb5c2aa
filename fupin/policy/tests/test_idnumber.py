"""GB 11643 ID numbers: known-valid numbers, corrupted ones, 15-digit upgrade, 20-digit certificates."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fupin.policy.idnumber import (
    KIND_DISABILITY,
    KIND_LEGACY,
    KIND_RESIDENT,
    age_on,
    check_character,
    make_id_number,
    mask_id_number,
    upgrade_15,
    validate_id_number,
)

# Published example numbers (the GB 11643 standard's own example and widely cited test numbers).
KNOWN_VALID = [
    ("11010519491231002X", date(1949, 12, 31), "2"),
    ("440524188001010014", date(1880, 1, 1), "1"),
]


@pytest.mark.parametrize(("number", "birth", "sex"), KNOWN_VALID)
def test_known_valid_numbers(number, birth, sex):
    result = validate_id_number(number)
    assert result.ok, result.reason
    assert result.number == number
    assert result.kind == KIND_RESIDENT
    assert result.birth_date == birth
    assert result.sex == sex


def test_lower_case_x_is_normalised():
    result = validate_id_number(" 11010519491231002x ")
    assert result.ok
    assert result.number == "11010519491231002X"


@pytest.mark.parametrize(("number", "reason"), [
    ("110105194912310021", "校验位错误(应为X)"),
    ("11010519491231003X", "校验位错误"),
    ("110105194913310020", "出生日期无效"),
    ("11010519491231002", "位数错误(17位)"),
    ("1101051949123100XX", "非法字符"),
    ("", "为空"),
    ("3.50402E+17", "科学计数法"),
    ("350402199001011234.0", "科学计数法"),
    ("110105305012310023", "出生日期"),
])
def test_corrupted_numbers_are_refused_with_reason(number, reason):
    result = validate_id_number(number, today=date(2026, 11, 23))
    assert not result.ok
    assert reason in result.reason
    assert result.number == ""


def test_every_single_digit_change_is_caught():
    number = "11010519491231002X"
    for i in range(17):
        for d in "0123456789":
            if d == number[i]:
                continue
            corrupted = number[:i] + d + number[i + 1:]
            result = validate_id_number(corrupted)
            # a changed date digit may make an invalid date; either way it must not pass
            assert not result.ok, corrupted


def test_15_digit_upgrade():
    # 15-digit form of 11010519491231002X: drop "19" and the check character
    assert upgrade_15("110105491231002") == "11010519491231002X"
    result = validate_id_number("110105491231002")
    assert result.ok
    assert result.kind == KIND_LEGACY
    assert result.number == "11010519491231002X"
    assert result.birth_date == date(1949, 12, 31)
    assert not validate_id_number("110105491331002").ok


def test_20_digit_disability_certificate():
    result = validate_id_number("11010519491231002X42")
    assert result.ok
    assert result.kind == KIND_DISABILITY
    assert result.number == "11010519491231002X42"
    assert result.birth_date == date(1949, 12, 31)
    assert not validate_id_number("11010519491231002142").ok  # wrong check character inside
    assert not validate_id_number("11010519491231002XAB").ok


def test_mask():
    assert mask_id_number("350421199001011234") == "3504**********1234"
    assert mask_id_number("11010519491231002X42") == "1101************2X42"
    assert mask_id_number("") == ""


def test_age():
    assert age_on(date(2000, 6, 15), date(2018, 6, 14)) == 17
    assert age_on(date(2000, 6, 15), date(2018, 6, 15)) == 18


@given(
    st.sampled_from(["350421", "350424", "110105"]),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)),
    st.integers(min_value=0, max_value=999),
    st.sampled_from([None, "1", "2"]),
)
def test_made_numbers_always_validate(address, birth, seq, sex):
    number = make_id_number(address, birth, seq, sex=sex)
    result = validate_id_number(number, today=date(2026, 1, 1))
    assert result.ok
    assert result.birth_date == birth
    if sex:
        assert result.sex == sex
    assert number[17] == check_character(number[:17])
