"""导出筛选: which households a roster export takes, parsed from what a form, the API or the command gave."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from fupin.imports.roster_filter import (
    AgeRange,
    FilterError,
    RosterFilter,
    YearRange,
    describe_record,
    parse_age,
    parse_filter,
    parse_poverty_status,
    parse_years,
)
from fupin.policy import codes


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


@pytest.mark.parametrize(("given", "found"), [
    ("1", ("1",)), ("因残,因病", ("1", "2")), ("缺资金、99", ("9", "99")), (["Illness", "12"], ("1", "12")),
])
def test_causes_take_codes_and_labels(given, found):
    assert parse_filter(causes=given).causes == found


@pytest.mark.parametrize(("given", "found"), [
    ("2016:2", (("2016", "2"),)),
    ("2014版:3", (("2014", "3"),)),
    ("低保贫困户", (("2014", "2"), ("2016", "2"))),  # on both forms: both
    ("特困供养贫困户,2014：4", (("2014", "4"), ("2016", "3"))),
])
def test_categories_are_version_and_code_or_a_label(given, found):
    assert parse_filter(categories=given).categories == found


@pytest.mark.parametrize(("field", "given", "reason"), [
    ("causes", "因穷", "不是有效的致贫原因: 因穷"),
    ("categories", "2", "不是有效的贫困户属性: 2(给名称"),  # a bare code means different things per form
    ("categories", "2016:4", "不是有效的贫困户属性: 2016:4(应为"),
    ("categories", "2015:1", "不是有效的贫困户属性: 2015:1(应为"),
])
def test_a_cause_or_category_that_cannot_be_valid_is_refused(field, given, reason):
    with pytest.raises(FilterError) as caught:
        parse_filter(**{field: given})
    assert (caught.value.field, caught.value.reason.startswith(reason)) == (field, True)


def test_causes_and_categories_are_recorded_described_and_named():
    chosen = parse_filter(causes="因病,因残", categories="2016:1,2014:2")
    assert chosen.as_record() == {"causes": ["1", "2"], "categories": ["2014:2", "2016:1"]}
    assert chosen.describe() == "致贫原因:因病、因残;贫困户属性:低保贫困户(2014版)、一般贫困户(2016版)"
    assert chosen.file_suffix() == "-原因1+2-属性2014.2+2016.1"
    assert not chosen.is_empty()


def test_the_planned_exit_year_is_a_year_filter_like_the_others():
    chosen = parse_filter(planned_exit_year="2019", exit_year="2019-2020")
    assert chosen.as_record() == {"exit_year": [2019, 2020], "planned_exit_year": [2019, 2019]}
    assert chosen.describe() == "脱贫年度:2019-2020;计划脱贫年度:2019"
    assert chosen.file_suffix() == "-脱贫2019-2020-计划2019"
    with pytest.raises(FilterError) as caught:
        parse_filter(planned_exit_year="2019-2018")
    assert str(caught.value).startswith("计划脱贫年度 / planned exit: 起始年份晚于结束年份")


@pytest.mark.parametrize(("given", "found"), [
    ("housing", ("housing",)),
    ("饮水, 住房安全有保障", ("housing", "water")),
    (["吃", "义务教育", "basic medical care"], ("food", "education", "medical")),
    ("两不愁三保障", ("food", "clothing", "education", "medical", "housing", "water")),
    ("any,housing", ("food", "clothing", "education", "medical", "housing", "water")),
    ("", ()),
])
def test_shortfall_takes_keys_labels_short_words_and_any(given, found):
    assert parse_filter(shortfall=given).shortfall == found


def test_the_guarantees_are_the_exit_criteria_s():
    """两不愁三保障未达标 reads the same six fields the exit criteria check."""
    from fupin.imports.roster_filter import GUARANTEES
    from fupin.policy.exit_rules import GUARANTEE_FIELDS

    assert tuple(g.field for g in GUARANTEES) == GUARANTEE_FIELDS


def test_a_shortfall_is_recorded_described_named_and_refused_when_unknown():
    chosen = parse_filter(shortfall="water,housing", poverty_status="not-exited")
    assert chosen.as_record() == {"poverty_status": ["0", "2", "3"], "shortfall": ["housing", "water"]}
    assert chosen.describe() == "脱贫状态:未脱贫、预脱贫、返贫;两不愁三保障未达标:住房安全有保障、饮水安全"
    assert chosen.file_suffix() == "-状态0+2+3-未达标住房安全+饮水"
    assert chosen.shortfall_fields() == ("housing_secure", "drinking_water_safe")
    assert parse_filter(shortfall="any").file_suffix() == "-未达标全部"
    assert describe_record({"shortfall": ["food"]}) == "两不愁三保障未达标:不愁吃"
    with pytest.raises(FilterError) as caught:
        parse_filter(shortfall="住房,收入")
    assert (caught.value.field, caught.value.reason.startswith("不是两不愁三保障的一项: 收入")) == ("shortfall", True)


@pytest.mark.parametrize(("given", "found"), [
    ("D", ("D",)), ("c, D级危房", ("C", "D")), ("是", ("C", "D")), (["危房户"], ("C", "D")), ("", ()),
])
def test_dilapidated_takes_grades_labels_and_yes(given, found):
    assert parse_filter(dilapidated=given).dilapidated == found


def test_a_dilapidated_filter_is_recorded_described_named_and_refused_when_unknown():
    chosen = parse_filter(dilapidated="D")
    assert (chosen.as_record(), chosen.describe(), chosen.file_suffix()) == (
        {"dilapidated": ["D"]}, "危房户:D级危房", "-危房D")
    for word in ("非危房", "B"):
        with pytest.raises(FilterError) as caught:
            parse_filter(dilapidated=word)
        assert (caught.value.field, caught.value.reason.startswith(f"不是危房等级: {word}")) == ("dilapidated", True)


# 人员筛选 ----------------------------------------------------------------------------------------

STUDENTS = tuple(str(n) for n in range(2, 17))


@pytest.mark.parametrize(("field", "given", "found"), [
    ("education", "小学,3", ("2", "3")),
    ("education", "学龄前儿童、文盲或半文盲", ("1", "6")),
    ("schooling", "在校生", STUDENTS),
    ("schooling", "七年级、八年级,九年级", ("4", "5", "6")),
    ("schooling", "非在校生", ("1",)),
    ("health", "患有大病,长期慢性病", ("2", "3")),
    ("health", "４", ("4",)),  # full-width digit
    ("labour_skill", "劳动力", ("1", "2")),
    ("labour_skill", "劳动力、丧失劳动力", ("1", "2", "3")),
    ("migrant_work", "未务工", ("",)),
    ("migrant_work", "务工", ("1", "2", "3", "4", "99")),
    ("migrant_work", "省外务工、未务工", ("", "4")),
    ("migrant_work", "", ()),
    ("sex", "女", ("2",)), ("sex", "1,女性", ("1", "2")),
    ("ethnicity", "畲族、01", ("01", "22")),
    ("ethnicity", "少数民族", tuple(i.code for i in codes.ETHNICITY.items if i.code != "01")),
])
def test_person_columns_take_codes_labels_and_their_group_words(field, given, found):
    assert getattr(parse_filter(**{field: given}), field) == found


@pytest.mark.parametrize(("field", "given"), [
    ("education", "研究生"), ("schooling", "17"), ("health", "健康,胖"), ("labour_skill", "5"),
    ("migrant_work", "0"),
])
def test_an_unknown_person_code_is_refused_naming_the_field_and_the_word(field, given):
    with pytest.raises(FilterError) as caught:
        parse_filter(**{field: given})
    assert caught.value.field == field
    assert caught.value.reason.startswith("不是有效的")
    assert given.split(",")[-1] in caught.value.reason


@pytest.mark.parametrize(("given", "first", "last"), [
    ("16-60", 16, 60), ("16至60周岁", 16, 60), ("１６－６０", 16, 60), ("16", 16, 16), ("60以上", 60, None),
    ("60周岁及以上", 60, None), ("60+", 60, None), ("60-", 60, None), ("18以下", 0, 18), ("-18", 0, 18),
    ("0-150", 0, 150),
])
def test_ages_are_whole_years_a_range_or_an_open_end(given, first, last):
    on = date(2026, 6, 1)
    assert parse_age(given, on) == AgeRange(first, last, on)


@pytest.mark.parametrize(("given", "reason"), [
    ("十六", "应为周岁或其范围"), ("60-16", "起始年龄大于结束年龄"), ("200", "年龄应在 0–150 周岁之间"),
    ("16-60-70", "应为周岁或其范围"),
])
def test_an_age_that_cannot_be_valid_is_refused(given, reason):
    with pytest.raises(FilterError) as caught:
        parse_age(given)
    assert (caught.value.field, caught.value.reason.startswith(reason)) == ("age", True)


def test_an_age_range_takes_exactly_the_persons_of_that_age_on_its_day():
    """AgeRange.birth_dates agrees with idnumber.age_on for every birth date of four years around the
    bounds, on ordinary days and on 29 February (and its day before and after)."""
    from fupin.policy.idnumber import age_on

    for on in (date(2026, 6, 1), date(2028, 2, 29), date(2027, 2, 28), date(2027, 3, 1), date(2026, 12, 31)):
        for first, last in ((16, 18), (18, 18), (60, None), (0, 2)):
            after, until = AgeRange(first, last, on).birth_dates()
            born = date(on.year - (last if last is not None else first) - 3, 1, 1)
            while born <= date(on.year - first + 1, 12, 31):
                taken = born <= until and (after is None or born > after)
                age = age_on(born, on)
                assert taken == (age >= first and (last is None or age <= last)), (on, first, last, born)
                born += timedelta(days=1)


def test_a_person_filter_is_recorded_described_and_named():
    minorities = parse_filter(ethnicity="少数民族", sex="女")
    assert (minorities.describe(), minorities.file_suffix()) == ("性别:女性;民族:少数民族", "-女性-少数民族")
    assert parse_filter(ethnicity="22").describe() == "民族:畲族"
    on = date(2026, 9, 1)
    chosen = parse_filter(schooling="在校生", labour_skill="劳动力", migrant_work="未务工", age="16-60",
                          health="2,3", poverty_status="not-exited", on=on)
    assert chosen.names_persons() and not chosen.is_empty()
    assert chosen.person_codes() == {"schooling": STUDENTS, "health": ("2", "3"), "labour_skill": ("1", "2"),
                                     "migrant_work": ("",)}
    assert chosen.as_record() == {"poverty_status": ["0", "2", "3"], "schooling": list(STUDENTS),
                                  "health": ["2", "3"], "labour_skill": ["1", "2"], "migrant_work": [""],
                                  "age": [16, 60], "age_on": "2026-09-01"}
    assert chosen.describe() == ("脱贫状态:未脱贫、预脱贫、返贫;在校生状况:在校生;健康状况:长期慢性病、患有大病;"
                                 "劳动技能:劳动力;务工状况:未务工;年龄:16-60周岁(按2026-09-01计)")
    assert chosen.file_suffix() == "-状态0+2+3-在校生-健康2+3-劳动力-未务工-年龄16-60"
    assert parse_filter(migrant_work="4,未务工", age="60以上").file_suffix() == "-务工无+4-年龄60以上"
    assert describe_record({"age": [60, None], "age_on": "2026-09-01"}) == "年龄:60周岁以上(按2026-09-01计)"
    assert describe_record({"education": ["2"], "age": [7, 7]}) == "文化程度:小学;年龄:7周岁"
    assert not parse_filter(dilapidated="D").names_persons()
    # PostgreSQL's jsonb gives a stored record's keys back in its own order: the description keeps the filter's
    assert describe_record(dict(reversed(chosen.as_record().items()))) == chosen.describe()
