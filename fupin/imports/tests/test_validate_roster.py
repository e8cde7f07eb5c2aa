"""Every validation rule: exact reasons, columns and row numbers on real CSV files (no database)."""

from __future__ import annotations

import pytest

from fupin.imports.pipelines.check_roster import CheckedRoster, RosterContext, check_roster
from fupin.imports.tests import roster_files as rf
from fupin.policy.idnumber import check_character

CASCADE = "同户第{}行有错误,整户未导入 / another row of this household was rejected"


@pytest.fixture
def rows() -> list[dict[str, str]]:
    """hh1 = rows[0] (file row 2); hh2 = rows[1:3] (rows 3-4); hh3 = rows[3:6] (rows 5-7)."""
    return rf.build_roster(3)


def check(tmp_path, rows, existing=()) -> CheckedRoster:
    context = RosterContext(villages=rf.villages_frame(), existing_members=rf.members_frame(existing))
    result = check_roster(rf.write_csv(tmp_path / "r.csv", rows), context)
    assert result.rows_read == result.valid.height + result.rows_rejected == len(rows)
    return result


def found(result: CheckedRoster) -> list[tuple[int, str, str, str]]:
    return result.rejections.select("_row", "column", "value", "reason").rows()


def test_checksum(tmp_path, rows):
    number = rows[0]["证件号码"]
    wrong = "0" if number[17] != "0" else "1"
    rows[0]["证件号码"] = number[:17] + wrong
    assert found(check(tmp_path, rows)) == [
        (2, "证件号码", number[:17] + wrong,
         f"校验位错误(应为{number[17]}) / wrong check character (expected {number[17]})")]


def test_unknown_code_rejects_the_whole_household(tmp_path, rows):
    rows[3]["民族"] = "火星族"
    result = check(tmp_path, rows)
    assert found(result) == [(5, "民族", "火星族", "不是有效的民族代码: 火星族 / not a valid Ethnicity code"),
                             (6, "", "", CASCADE.format(5)), (7, "", "", CASCADE.format(5))]
    assert (result.valid.height, result.rows_rejected) == (3, 3)


def test_required_and_ranges(tmp_path, rows):
    rows[0]["姓名"] = ""
    rows[1]["识别年度"] = rows[2]["识别年度"] = "2040"
    rows[1]["计划脱贫年度"] = rows[2]["计划脱贫年度"] = ""
    rows[3]["务工时间"] = "13"
    rows[3]["务工状况"] = "2"
    rows[4]["务工时间"] = "3"
    rows[4]["务工状况"] = ""
    assert found(check(tmp_path, rows)) == [
        (2, "姓名", "", "必填 / required"),
        (3, "识别年度", "2040", "识别年度应在2013–2035之间 / out of range"),
        (4, "识别年度", "2040", "识别年度应在2013–2035之间 / out of range"),
        (5, "务工时间", "13", "务工时间应为0–12个月 / months must be 0–12"),
        (6, "务工状况", "", "填写了务工时间但未填务工状况 / months given without migrant work"),
        (7, "", "", CASCADE.format(5)),
    ]


def test_numbers(tmp_path, rows):
    rows[0]["工资性收入"] = "abc"
    rows[1]["耕地面积(亩)"] = rows[2]["耕地面积(亩)"] = "1.234"
    for r in rows[3:]:
        r["有效灌溉面积(亩)"] = "3"
        r["低保金"] = "-5"
    result = check(tmp_path, rows)
    assert found(result) == [
        (2, "工资性收入", "abc", "不是数字: abc / not a number"),
        (3, "耕地面积(亩)", "1.234", "小数位数过多(最多2位) / too many decimal places (at most 2)"),
        (4, "耕地面积(亩)", "1.234", "小数位数过多(最多2位) / too many decimal places (at most 2)"),
        *[(n, c, v, reason) for n in (5, 6, 7) for c, v, reason in (
            ("低保金", "-5", "不能为负数 / must not be negative"),
            ("有效灌溉面积(亩)", "3", "有效灌溉面积大于耕地面积 / irrigated exceeds arable land"))],
    ]


def test_sex_column_disagrees_with_id(tmp_path, rows):
    rows[0]["性别"] = "女"
    assert found(check(tmp_path, rows)) == [
        (2, "性别", "女", "性别与证件号码不符(证件号码为男) / sex disagrees with the ID number")]


def test_duplicate_id_in_file_names_the_other_row(tmp_path, rows):
    rows[5]["证件号码"] = rows[0]["证件号码"]
    rows[5]["性别"] = "1"
    n = rows[0]["证件号码"]
    assert found(check(tmp_path, rows)) == [
        (2, "证件号码", n, "证件号码在文件中重复(另见第7行) / duplicate ID number in the file (also row 7)"),
        (5, "", "", CASCADE.format(7)), (6, "", "", CASCADE.format(7)),
        (7, "证件号码", n, "证件号码在文件中重复(另见第2行) / duplicate ID number in the file (also row 2)"),
    ]


def test_one_person_one_household_against_the_registry(tmp_path, rows):
    existing = [(rows[0]["证件号码"], "X999"), (rows[1]["证件号码"], rows[1]["户编号"])]
    result = check(tmp_path, rows, existing)
    assert found(result) == [(2, "证件号码", rows[0]["证件号码"],
                              "该人已在户X999中登记(一人只能在一户) / already registered in household X999")]
    assert result.valid.height == 5


def test_a_person_registered_in_another_household_of_the_file_is_left_to_the_diff(tmp_path, rows):
    """Registered in a household the file also lists: a move between the file's households (分户), which
    the check leaves to the diff (it knows which households stay); registered in one the file does
    not list: refused here."""
    other = next(r["户编号"] for r in rows if r["户编号"] != rows[0]["户编号"])
    existing = [(rows[0]["证件号码"], other)]
    result = check(tmp_path, rows, existing)
    assert found(result) == [] and result.valid.height == len(rows)
    assert found(check(tmp_path, rows, [(rows[0]["证件号码"], "X999")]))[0][3].startswith("该人已在户X999中登记")


def test_heads(tmp_path, rows):
    rows[1]["与户主关系"] = "02"
    rows[1]["性别"] = "2" if rows[1]["性别"] == "2" else rows[1]["性别"]
    rows[4]["与户主关系"] = "01"
    assert found(check(tmp_path, rows)) == [
        (3, "与户主关系", "02", "该户没有户主 / the household has no head"),
        (4, "与户主关系", "02", "该户没有户主 / the household has no head"),
        (5, "与户主关系", "01", "该户有2个户主 / the household has 2 heads"),
        (6, "与户主关系", "01", "该户有2个户主 / the household has 2 heads"),
        (7, "", "", CASCADE.format(5)),
    ]


def test_rows_of_a_household_disagree(tmp_path, rows):
    rows[2]["主要致贫原因"] = "12"
    rows[4]["行政区划代码"] = rf.SANMING_VILLAGES[3].code
    assert found(check(tmp_path, rows)) == [
        (3, "主要致贫原因", rows[1]["主要致贫原因"], "同户各行的主要致贫原因不一致 / rows of one household disagree on 主要致贫原因"),
        (4, "主要致贫原因", "12", "同户各行的主要致贫原因不一致 / rows of one household disagree on 主要致贫原因"),
        (5, "行政区划代码", rows[3]["行政区划代码"],
         "同户各行的行政区划代码不一致 / rows of one household disagree on 行政区划代码"),
        (6, "行政区划代码", rf.SANMING_VILLAGES[3].code,
         "同户各行的行政区划代码不一致 / rows of one household disagree on 行政区划代码"),
        (7, "行政区划代码", rows[3]["行政区划代码"],
         "同户各行的行政区划代码不一致 / rows of one household disagree on 行政区划代码"),
    ]


def test_rows_of_a_household_apart_in_the_file_disagree(tmp_path, rows):
    """A household whose rows are not together: a row that disagrees only with a row far from it is
    found as well (each run of rows agrees within itself)."""
    hh2_second = rows.pop(2)  # hh2's second row moves to the end: rows hh1, hh2, hh3 ×3, hh2
    hh2_second["主要致贫原因"] = "12"
    rows.append(hh2_second)
    assert found(check(tmp_path, rows)) == [
        (3, "主要致贫原因", rows[1]["主要致贫原因"], "同户各行的主要致贫原因不一致 / rows of one household disagree on 主要致贫原因"),
        (7, "主要致贫原因", "12", "同户各行的主要致贫原因不一致 / rows of one household disagree on 主要致贫原因"),
    ]
    rows[-1]["主要致贫原因"] = rows[1]["主要致贫原因"]  # the same values apart: nothing to say
    assert found(check(tmp_path, rows)) == []


def test_disagreeing_households_equal_the_plain_definition():
    """Rows compared with the row above, and scattered households hashed: the same households as
    "more than one distinct set of household values" on random frames, nulls included."""
    import random

    import polars as pl

    from fupin.imports.pipelines.validate_roster import _disagreeing_households
    for seed in range(30):
        rnd = random.Random(seed)
        n = rnd.randint(0, 40)
        frame = pl.DataFrame({
            "household_number": [rnd.choice(["A", "B", "C", "D", None]) for _ in range(n)],
            "f1": [rnd.choice(["x", "y", None]) if rnd.random() < 0.2 else "x" for _ in range(n)],
            "f2": [rnd.choice([1, 2]) if rnd.random() < 0.1 else 1 for _ in range(n)],
        }, schema={"household_number": pl.Utf8, "f1": pl.Utf8, "f2": pl.Int64})
        if seed % 3 == 0:
            frame = frame.sort("household_number")  # the usual file: households together
        plain = frame.filter(pl.col("household_number").is_not_null()).unique().group_by("household_number") \
            .len().filter(pl.col("len") > 1).get_column("household_number").sort().to_list()
        got = _disagreeing_households(frame, ["f1", "f2"]).get_column("household_number").sort().to_list()
        assert got == plain, (seed, frame)


def test_village_outside_region_and_not_found(tmp_path, rows):
    rows[0]["行政区划代码"] = rf.OUTSIDE_VILLAGE.code
    for r in rows[1:3]:
        r["行政区划代码"] = ""
        r["行政村"] = "不存在村"
    for r in rows[3:]:
        r["行政区划代码"] = ""
    assert found(check(tmp_path, rows)) == [
        (2, "行政区划代码", rf.OUTSIDE_VILLAGE.code, "不在您的管辖范围 / outside your region"),
        (3, "行政村", "不存在村", "找不到行政村: 陈大镇不存在村 / village not found in your region"),
        (4, "行政村", "不存在村", "找不到行政村: 陈大镇不存在村 / village not found in your region"),
    ]


def test_income_consistency(tmp_path, rows):
    stated = float(rows[0]["年人均纯收入"])
    rows[0]["年人均纯收入"] = f"{stated + 5:.2f}"
    for r in rows[1:3]:
        r["年人均纯收入"] = f"{float(r['年人均纯收入']) + 0.9:.2f}"  # within ±1 yuan
    assert found(check(tmp_path, rows)) == [
        (2, "年人均纯收入", f"{stated + 5:.2f}",
         f"年人均纯收入与各项收入不符(按1人计算应为{stated:.2f}) / per-capita income disagrees with the income lines "
         f"(expected {stated:.2f} for 1 persons)")]


def test_causes(tmp_path, rows):
    rows[0]["其他致贫原因"] = rows[0]["主要致贫原因"]
    for r in rows[1:3]:
        r["其他致贫原因"] = "因病、因残、因学"
    assert found(check(tmp_path, rows)) == [
        (2, "其他致贫原因", rows[0]["主要致贫原因"], "其他致贫原因不能与主要致贫原因相同 / other cause repeats the main cause"),
        (3, "其他致贫原因", "因病、因残、因学", "其他致贫原因最多两项 / at most two other causes"),
        (4, "其他致贫原因", "因病、因残、因学", "其他致贫原因最多两项 / at most two other causes"),
    ]


def test_legacy_and_disability_numbers_are_accepted(tmp_path, rows):
    head = rows[0]["证件号码"]
    legacy = head[:6] + head[8:17]
    rows[0]["证件号码"] = legacy
    rows[3]["证件号码"] = rows[3]["证件号码"] + "12"
    result = check(tmp_path, rows)
    assert found(result) == []
    valid = result.valid.filter(result.valid["_row"].is_in([2, 5]))
    first17 = head[:17]
    assert valid.select("id_number", "id_kind").rows() == [
        (first17 + check_character(first17), "legacy15"), (rows[3]["证件号码"], "disability")]


def test_village_names_match_the_committee_names_of_the_region_list(tmp_path):
    official = [rf.Village(v.code, v.county, v.township, v.name + "村民委员会") for v in rf.SANMING_VILLAGES]
    official.append(rf.Village("350405999201", "沙县区", "陈大镇", "陈墩村委会"))  # same names, other county
    rows = rf.build_roster(3, with_code=False)
    rows[0]["县"] = ""
    for r in rows[1:]:
        r["行政村"] = r["行政村"].removesuffix("村") + "村委会"
    context = RosterContext(villages=rf.villages_frame(official), existing_members=rf.members_frame())
    result = check_roster(rf.write_csv(tmp_path / "r.csv", rows), context)
    assert found(result) == [(2, "行政村", "陈墩村", "行政村名称不唯一,请填写行政区划代码: 陈大镇陈墩村 / ambiguous village name, "
                                                   "give the code")]
    assert result.valid.get_column("village_code").to_list() == [rf.SANMING_VILLAGES[1].code] * 2 + [
        rf.SANMING_VILLAGES[2].code] * 3
