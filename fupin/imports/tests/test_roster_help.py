"""The drop-downs and prompts of roster workbooks (填写提示与下拉列表) offer only what the import reads."""

from __future__ import annotations

from datetime import date

import polars as pl

from fupin.imports import roster
from fupin.imports.pipelines.normalise_roster import normalise_roster
from fupin.imports.roster_help import DILAPIDATED, ERROR_TITLE, YES_NO, column_help, roster_choices, roster_helps
from fupin.policy import codes


def _offered() -> dict[str, tuple[str, ...]]:
    """Field → the values its drop-down offers."""
    lists = {c.name: c.values for c in roster_choices()}
    return {c.field: lists[h.choices] for c in roster.COLUMNS
            if (h := column_help(c)) is not None and h.choices is not None}


def test_every_coded_column_has_a_drop_down_and_every_list_is_defined():
    coded = {c.field for c in roster.COLUMNS
             if c.kind.startswith("code:") or c.kind in ("category", "bool", "dilapidated")}
    assert set(_offered()) == coded
    names = [c.name for c in roster_choices()]
    assert len(names) == len(set(names))
    assert {h.choices for h in roster_helps() if h.choices} == set(names)
    # several causes in one cell: a prompt, no list
    assert column_help(roster.BY_FIELD["other_causes"]).choices is None  # type: ignore[union-attr]


def test_every_offered_value_is_read_by_the_import_as_the_code_it_names():
    """Each column takes every value of its drop-down, row by row, through the import's normalisation:
    no value is refused, and each gives the code its label names."""
    offered = _offered()
    rows = max(len(v) for v in offered.values())
    raw = pl.DataFrame({"_row": list(range(2, rows + 2)),
                        **{f: [v[i % len(v)] for i in range(rows)] for f, v in offered.items()}},
                       schema={"_row": pl.Int64, **dict.fromkeys(offered, pl.Utf8)})
    out = normalise_roster(raw, today=date(2026, 1, 1))
    for field, values in offered.items():
        errors = out.get_column(f"err:{field}:read").drop_nulls().to_list()
        assert errors == [], (field, errors)
        got = out.get_column(field).to_list()[: len(values)]
        kind = roster.BY_FIELD[field].kind
        if kind.startswith("code:"):
            code_list = codes.ALL_LISTS[kind.split(":", 1)[1]]
            assert got == [i.code for i in code_list.items], field
        elif kind == "bool":
            assert values == YES_NO.values and got == [True, False], field
        elif kind == "dilapidated":
            assert values == DILAPIDATED.values and got == ["", "C", "D"], field
        else:  # 贫困户属性: every label of both forms, each read into a code that label has
            for label, code in zip(values, got, strict=True):
                assert code in {i.code for cl in codes.HOUSEHOLD_CATEGORY_BY_VERSION.values()
                                for i in cl.items if i.zh == label}, (label, code)


def test_prompts_say_what_is_required_and_optional_free_text_has_none():
    helps = {h.column: h for h in roster_helps()}
    for column in roster.COLUMNS:
        if column.required:
            assert helps[column.header].prompt.startswith("必填。"), column.header
    assert "银行账号" not in helps  # optional free text: nothing to say
    assert "18位" in helps["证件号码"].prompt
    assert helps["民族"].title == "民族" and helps["民族"].error_title == ERROR_TITLE
    # a subset of headers gets only its own columns and lists
    assert [h.column for h in roster_helps(["姓名", "民族", "不是列名"])] == ["姓名", "民族"]
    assert [c.name for c in roster_choices(["姓名", "民族"])] == ["fupin_ethnicity"]


def test_place_lists_follow_the_regions_codes_and_name_each_place_once():
    from fupin.imports.roster_help import TOWNSHIP_LIST, VILLAGE_LIST, place_choices, places_sheet

    villages = pl.DataFrame({
        "code": ["350421101201", "350421100201", "350421100202", "350421101202"],
        "township_name": ["城关乡", "雪峰镇", "雪峰镇", "城关乡"],
        "village_name": ["新村", "东新村", "新村", "旦上村"],
        "county_name": ["明溪县"] * 4,
    })
    township, village = place_choices(villages)
    assert (township.name, township.values) == (TOWNSHIP_LIST, ("雪峰镇", "城关乡"))
    assert (village.name, village.values) == (VILLAGE_LIST, ("东新村", "新村", "旦上村"))  # 新村 once
    assert place_choices(villages.clear()) == []
    assert places_sheet(villages)["行政区划代码"].to_list() == sorted(villages["code"])
    helps = {h.column: h for h in roster_helps(places=[township, village])}
    assert (helps["乡镇"].choices, helps["行政村"].choices) == (TOWNSHIP_LIST, VILLAGE_LIST)
    assert helps["行政区划代码"].choices is None
    assert [c.name for c in roster_choices(["行政村", "民族"], places=[township, village])] == [
        VILLAGE_LIST, "fupin_ethnicity"]
    # without places, 乡镇 and 行政村 have a prompt only
    assert {h.column: h.choices for h in roster_helps()}["行政村"] is None
