"""Normalising cell values (pure Polars, no file, no database) and the vectorised ID check."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fupin.imports.pipelines.normalise_roster import normalise_roster
from fupin.imports.pipelines.validate_roster import NUMERIC_ID_REASON, add_id_columns
from fupin.policy.idnumber import make_id_number, mask_id_number, validate_id_number

TODAY = date(2026, 1, 1)


def normalise(**columns: list[str | None]) -> pl.DataFrame:
    n = len(next(iter(columns.values())))
    raw = pl.DataFrame({"_row": list(range(2, n + 2)), **columns},
                       schema={"_row": pl.Int64, **dict.fromkeys(columns, pl.Utf8)})
    return normalise_roster(raw, today=TODAY)


def test_codes_as_code_label_english_padded_and_full_width():
    out = normalise(relation=["1", "01", "户主", "Head of household", "０２", " 之子 ", "火星"],
                    main_cause=["1", "01", "因病", "illness", "１", "1.0", "其它"])
    assert out.get_column("relation").to_list() == ["01", "01", "01", "01", "02", "03", None]
    assert out.get_column("main_cause").to_list() == ["1", "1", "1", "1", "1", "1", None]
    assert out.get_column("err:relation:read").to_list()[-1] == "不是有效的与户主关系代码: 火星 / not a valid Relation to head code"


def test_bools_ints_and_dilapidated():
    out = normalise(is_dibao=["是", "否", "有", "无", "1", "0", "Y", "n", "√", "×", "TRUE", None, "也许"],
                    identification_year=["2016", "２０１６", " 2016 ", "2016.0", "2016年", None, "x", "1", "2", "3", "4",
                                         "5", "6"],
                    dilapidated_grade=["否", "是", "C", "d", "D级", "C级危房", None, "", "无", "有", "0", "1", "E"])
    assert out.get_column("is_dibao").to_list() == [True, False, True, False, True, False, True, False, True, False,
                                                    True, False, False]
    assert out.get_column("err:is_dibao:read").to_list()[-1] == "不是有效的是/否值: 也许 / not a yes/no value"
    assert out.get_column("identification_year").to_list()[:7] == [2016, 2016, 2016, 2016, 2016, None, None]
    assert out.get_column("err:identification_year:read").to_list()[6] == "不是整数: x / not a whole number"
    assert out.get_column("dilapidated_grade").to_list() == ["", "C", "C", "D", "D", "C", "", "", "", "C", "", "C", ""]


def test_decimals_canonical():
    out = normalise(income_wage=["1234.5", "１２３４.５０", " 1,234.5 ", "007", "0", None, "", "1.234", "-3", "abc",
                                 "12345678901"],
                    road_distance_km=["1.5", "2", "0.50", "", None, "1", "1", "1", "1", "1", "1.55"])
    assert out.get_column("income_wage").to_list() == ["1234.50", "1234.50", "1234.50", "7.00", "0.00", "0.00", "0.00",
                                                       None, None, None, None]
    assert out.get_column("err:income_wage:read").to_list()[7:] == [
        "小数位数过多(最多2位) / too many decimal places (at most 2)", "不能为负数 / must not be negative",
        "不是数字: abc / not a number", "数值过大(整数部分最多10位) / number too large"]
    assert out.get_column("road_distance_km").to_list()[:5] == ["1.5", "2.0", "0.5", "0.0", "0.0"]
    assert out.get_column("err:road_distance_km:read").to_list()[-1] == (
        "小数位数过多(最多1位) / too many decimal places (at most 1)")


def test_category_and_form_version():
    out = normalise(category=["低保户", "五保户", "特困供养贫困户", "一般贫困户", "3", "3", "五保户", "Poor household on dibao"],
                    category_form_version=[None, "2014版", None, "2014", "2014", None, "2016", None])
    assert out.select("category", "category_form_version").rows() == [
        ("3", "2014"), ("4", "2014"), ("3", "2016"), ("1", "2014"), ("3", "2014"), ("3", "2016"), (None, "2016"),
        ("2", "2016")]
    assert out.get_column("err:category:read").to_list()[6] == (
        "贫困户属性“五保户”属于2014版,与属性版本2016不符 / category belongs to the 2014 form, not 2016")


def test_other_causes_split():
    out = normalise(other_causes=["因病、因残", "1,2", "7", None, "1 2 3", "1、1"])
    assert out.select("other_cause_1", "other_cause_2").rows() == [
        ("1", "2"), ("1", "2"), ("7", ""), ("", ""), ("", ""), ("", "")]
    assert out.get_column("err:other_causes:read").to_list()[4:] == [
        "其他致贫原因最多两项 / at most two other causes", "其他致贫原因重复 / other causes repeat"]


def test_id_number_normalised():
    number = make_id_number("350404", date(1980, 5, 6), 123, sex="2")
    x_number = next(n for n in (make_id_number("350404", date(1980, 5, 6), s) for s in range(1000)) if n.endswith("X"))
    out = normalise(id_number=[number, f" {number[:6]} {number[6:]}\u3000", x_number.lower(),
                               number.translate({c: c + 0xFEE0 for c in range(0x30, 0x3A)}), "3.50404E+17", "350404198005061234.0"])
    assert out.get_column("id_number").to_list() == [number, number, x_number, number, None, None]
    assert out.get_column("sex").to_list()[:4] == ["2", "2", "1" if x_number[16] in "13579" else "2", "2"]
    assert out.get_column("birth_date").to_list()[0] == date(1980, 5, 6)
    assert out.get_column("err:id_number:id").to_list()[4:] == [NUMERIC_ID_REASON] * 2


def _vectorised(numbers: list[str]) -> list[str | None]:
    frame = pl.DataFrame({"id_number": numbers}, schema={"id_number": pl.Utf8})
    out = add_id_columns(frame, "id_number", today=TODAY)
    return out.get_column("_id_reason").to_list(), out.get_column("id_number").to_list()


def _expected(number: str) -> tuple[str | None, str | None]:
    result = validate_id_number(number, today=TODAY)
    if result.ok:
        return None, result.number
    if result.reason.startswith("证件号码被表格软件存成了数字"):
        return NUMERIC_ID_REASON, None
    return result.reason, None


valid_ids = st.builds(lambda d, s: make_id_number("350404", d, s), st.dates(date(1900, 1, 1), date(2025, 12, 31)),
                      st.integers(0, 999))


@st.composite
def corrupted(draw) -> str:
    number = draw(valid_ids)
    kind = draw(st.sampled_from(["digit", "check", "cut", "extend", "legacy", "disability", "char", "date", "lower",
                                 "masked"]))
    i = draw(st.integers(0, 17))
    if kind == "digit":
        return number[:i] + str((int(number[i]) + draw(st.integers(1, 9))) % 10 if number[i].isdigit() else 1) + number[i + 1:]
    if kind == "check":
        return number[:17] + draw(st.sampled_from(list("0123456789X")))
    if kind == "masked":  # as a masked export writes it, or with a single star
        return mask_id_number(number) if draw(st.booleans()) else number[:i] + "*" + number[i + 1:]
    if kind == "cut":
        return number[:draw(st.integers(0, 17))]
    if kind == "extend":
        return number + draw(st.text("0123456789X", min_size=1, max_size=3))
    if kind == "legacy":
        return number[:6] + number[8:17]
    if kind == "disability":
        return number + draw(st.text("0123456789A", min_size=2, max_size=2))
    if kind == "char":
        return number[:i] + draw(st.sampled_from(list("AX.E+-"))) + number[i + 1:]
    if kind == "date":
        return number[:6] + draw(st.text("0123456789", min_size=8, max_size=8)) + number[14:]
    return number.lower()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(valid_ids, corrupted()), min_size=1, max_size=30))
def test_vectorised_id_check_agrees_with_policy(numbers):
    reasons, normalised = _vectorised(numbers)
    assert list(zip(reasons, normalised, strict=True)) == [_expected(n) for n in numbers]


@pytest.mark.parametrize("number", ["", "1", "35040419800506123", "3504041980050612345", "350404198013011234",
                                    "00000000000000000X", "350404000001011234", "350404800101123"])
def test_vectorised_id_check_edge_cases(number):
    reasons, normalised = _vectorised([number])
    assert (reasons[0], normalised[0]) == _expected(number)
