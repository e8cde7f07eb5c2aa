"""导出筛选: which households a roster export takes, parsed from what a form, the API or the command gave."""

from __future__ import annotations

import pytest

from fupin.imports.roster_filter import (
    FilterError,
    RosterFilter,
    YearRange,
    describe_record,
    parse_filter,
    parse_poverty_status,
    parse_years,
)


def test_an_empty_filter_takes_everything_and_says_nothing():
    empty = parse_filter(poverty_status="", identification_year=" ", exit_year=None)
    assert empty == RosterFilter()
    assert empty.is_empty()
    assert (empty.as_record(), empty.describe(), empty.file_suffix()) == ({}, "", "")


@pytest.mark.parametrize(("given", "codes"), [
    ("0", ("0",)),
    ("3,0", ("0", "3")),
    ("未脱贫、返贫", ("0", "3")),
    ("未脱贫，返贫；预脱贫 ", ("0", "2", "3")),
    (["3", "0", "3"], ("0", "3")),
    ("０,３", ("0", "3")),  # full-width digits
    ("已脱贫（享受政策）", ("1",)),  # full-width brackets of the label
    ("Returned to poverty", ("3",)),
    ("not-exited", ("0", "2", "3")),
    ("未脱贫口径,4", ("0", "2", "3", "4")),
])
def test_poverty_status_takes_codes_labels_and_the_not_exited_word(given, codes):
    assert parse_poverty_status(given) == codes


@pytest.mark.parametrize("given", ["5", "脱贫", "0,X"])
def test_an_unknown_poverty_status_is_refused_naming_the_word(given):
    with pytest.raises(FilterError) as caught:
        parse_poverty_status(given)
    assert caught.value.field == "poverty_status"
    assert caught.value.reason.startswith("不是有效的脱贫状态")
    assert str(caught.value).startswith("脱贫状态 / poverty status: ")


@pytest.mark.parametrize(("given", "years"), [
    ("2014", YearRange(2014, 2014)),
    ("2014-2016", YearRange(2014, 2016)),
    (" 2014 – 2016 ", YearRange(2014, 2016)),
    ("2014年至2016年", YearRange(2014, 2016)),
    ("２０１９", YearRange(2019, 2019)),
    ("2019~2019", YearRange(2019, 2019)),
])
def test_years_are_one_year_or_a_range(given, years):
    assert parse_years("exit_year", given) == years


@pytest.mark.parametrize(("given", "reason"), [
    ("20X4", "应为年份或年份范围"),
    ("2014-", "应为年份或年份范围"),
    ("14", "应为年份或年份范围"),
    ("2016-2014", "起始年份晚于结束年份"),
    ("1900", "年份应在 1980–2100 之间"),
    ("2014-2200", "年份应在 1980–2100 之间: 2200"),
])
def test_a_year_that_cannot_be_valid_is_refused_with_the_field_and_reason(given, reason):
    with pytest.raises(FilterError) as caught:
        parse_filter(identification_year=given)
    assert caught.value.field == "identification_year"
    assert caught.value.reason.startswith(reason)
    assert str(caught.value).startswith("识别年度 / identified in: ")


def test_a_filter_is_recorded_described_and_named():
    chosen = parse_filter(poverty_status="返贫,0", identification_year="2014-2016", exit_year="2019")
    assert chosen.as_record() == {"poverty_status": ["0", "3"], "identification_year": [2014, 2016],
                                  "exit_year": [2019, 2019]}
    assert chosen.describe() == "脱贫状态:未脱贫、返贫;识别年度:2014-2016;脱贫年度:2019"
    assert chosen.file_suffix() == "-状态0+3-识别2014-2016-脱贫2019"
    # a stored record (JSON: lists) describes the same
    assert describe_record({"poverty_status": ["0", "3"], "identification_year": [2014, 2016],
                            "exit_year": [2019, 2019]}) == chosen.describe()
    assert describe_record({}) == describe_record(None) == ""
    assert describe_record({"village": "x"}) == "village:x"  # an unknown part is shown, not dropped
