"""Filling-in help for roster workbooks (填写提示与下拉列表): drop-down lists and cell prompts.

A village cadre fills in or corrects a roster in Excel or WPS; every value the import cannot read
comes back as a rejected row. The workbooks fupin hands out to be filled in — the blank template, the
person roster export and the rejected rows to correct — therefore carry, per roster column:

- a **drop-down** (下拉列表) for a coded column: the code list's Chinese labels, as the export writes
  them (the import takes the label or the code); 性别 男/女; 是/否 columns; 危房户 否/C/D; 贫困户属性
  every label of the 2014 and 2016 forms;
- a **prompt** (填写提示) shown when a cell is selected: what the column takes, and 必填 for a required
  column;
- where the workbook is made for a region (the template downloaded by a user who may import, the
  export of a region, a batch's rows to correct), drop-downs of that region's 乡镇 and 行政村 names
  (:func:`place_choices`), and the list of its villages with their 行政区划代码 on a sheet of its own.

A value typed outside a drop-down gets a warning the user may pass, never a refusal: the import
decides (it also reads codes such as ``1``, and spellings such as 有/无). The lists are built from
:data:`fupin.imports.roster.COLUMNS` and :mod:`fupin.policy.codes`, so the drop-downs cannot offer a
value the import would refuse — a test reads every offered value through the import's normalisation.

Pure data: no Django import.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from fupin.core.xlsx_sheet import ChoiceList, ColumnHelp
from fupin.policy import codes

from . import roster
from .roster import RosterColumn

#: The hidden sheet holding the drop-downs' values.
CHOICES_SHEET = "代码表"
#: The visible sheet listing the region's villages (the template), and the place drop-downs' names.
PLACES_SHEET = "村名单"
TOWNSHIP_LIST, VILLAGE_LIST = "fupin_township", "fupin_village"
PLACE_HEADERS = {"township_name": "乡镇", "village_name": "行政村"}
YES_NO = ChoiceList("fupin_yes_no", "是/否", ("是", "否"))
DILAPIDATED = ChoiceList("fupin_dilapidated", "危房户", ("否", "C", "D"))
ERROR_TITLE = "不在下拉列表中"
ERROR = "该值不在下拉列表中。导入也接受代码（如 1）；确认保留请选“是”。Not in the list: the import also takes codes."

_PROMPTS = {
    "int": "整数。A whole number.",
    "decimal": "数值，不填按 0。A number; empty counts as 0.",
    "bool": "是 或 否（也接受 有/无、1/0）。Yes or no.",
    "dilapidated": "否、C 或 D（填“是”按 C 级）。No, C or D.",
    "id_number": ("18位身份证号（也接受15位旧号、20位残疾证号），以文本填写，勿让 Excel 存为数字。"
                  "ID number, as text."),
    "category": "从下拉列表选择（2014版或2016版的名称），也可填代码；版本见“属性版本”。Pick a label or type the code.",
    "region_code": "12位行政区划代码；不填时按乡镇、行政村名称查找。12-digit village code.",
    "region_name": "区划名称；有行政区划代码时可不填。Region name.",
}
_PROMPT_BY_FIELD = {
    "household_number": "户编号：同户各行相同。Household number, the same on every row of the household.",
    "identification_year": "四位年份，如 2016。A year, e.g. 2016.",
    "planned_exit_year": "四位年份，如 2019。A year, e.g. 2019.",
    "exit_year": "四位年份；未脱贫不填。A year; empty if not out of poverty.",
    "migrant_months": "务工月数（0–12）。Months of migrant work.",
    "income_per_capita_check": "可不填；填写时须与各项收入÷家庭人口相符（±1元）。Optional; checked against the income lines.",
}


def _choice_list(column: RosterColumn) -> ChoiceList | None:
    """The drop-down of ``column``, or None (free text, numbers, several codes in one cell)."""
    kind = column.kind
    if kind.startswith("code:"):
        code_list = codes.ALL_LISTS[kind.split(":", 1)[1]]
        return ChoiceList(f"fupin_{code_list.id}", code_list.zh, tuple(item.zh for item in code_list.items))
    if kind == "category":
        labels: list[str] = []
        for version in sorted(codes.HOUSEHOLD_CATEGORY_BY_VERSION):
            labels += [i.zh for i in codes.HOUSEHOLD_CATEGORY_BY_VERSION[version].items if i.zh not in labels]
        return ChoiceList("fupin_household_category", "贫困户属性", tuple(labels))
    if kind == "bool":
        return YES_NO
    if kind == "dilapidated":
        return DILAPIDATED
    return None


def _prompt(column: RosterColumn, choices: ChoiceList | None) -> str:
    if column.field in _PROMPT_BY_FIELD:
        text = _PROMPT_BY_FIELD[column.field]
    elif column.kind.startswith("code:") and choices is not None:
        code_list = codes.ALL_LISTS[column.kind.split(":", 1)[1]]
        text = (f"从下拉列表选择{code_list.zh}，也可填代码（如 {code_list.items[0].code}）。"
                f"Pick a label or type its code.")
    elif column.kind.startswith("codes:"):
        text = "最多两项，以、或逗号分隔；名称或代码。Up to two, separated by 、 or a comma."
    else:
        text = _PROMPTS.get(column.kind, "")
    if column.required:
        return "必填。" + (text or "Required.")
    return text


_PLACE_PROMPTS = {
    "township_name": "从下拉列表选择本区域的乡镇；有行政区划代码时可不填。Pick a township of this region.",
    "village_name": "从下拉列表选择本区域的行政村；有行政区划代码时可不填。Pick a village of this region.",
}
PLACE_ERROR = "不是本区域的乡镇或行政村名称。导入按名称在本区域查找。Not a place of this region."


def column_help(column: RosterColumn, *, header: str | None = None,
                places: Iterable[str] = ()) -> ColumnHelp | None:
    """The prompt and drop-down of ``column``, for the frame column ``header`` (its template header
    unless given); None for an optional free-text column (nothing to say). ``places``: the place
    lists the workbook has (:data:`TOWNSHIP_LIST`, :data:`VILLAGE_LIST`)."""
    place_list = {"township_name": TOWNSHIP_LIST, "village_name": VILLAGE_LIST}.get(column.field)
    if place_list is not None and place_list in set(places):
        return ColumnHelp(column=header or column.header, title=column.header[:32],
                          prompt=_PLACE_PROMPTS[column.field], choices=place_list, error_title=ERROR_TITLE,
                          error=PLACE_ERROR)
    choices = _choice_list(column)
    prompt = _prompt(column, choices)
    if not prompt:
        return None
    return ColumnHelp(column=header or column.header, title=column.header[:32], prompt=prompt,
                      choices=choices.name if choices else None,
                      error_title=ERROR_TITLE if choices else "", error=ERROR if choices else "")


def roster_helps(headers: Iterable[str] | None = None, *, places: Iterable[ChoiceList] = ()) -> list[ColumnHelp]:
    """Help for each roster column among ``headers`` (template headers; all columns when None), with
    the place drop-downs of ``places`` (:func:`place_choices`)."""
    wanted = None if headers is None else set(headers)
    names = [p.name for p in places]
    helps = [column_help(c, places=names) for c in roster.COLUMNS if wanted is None or c.header in wanted]
    return [h for h in helps if h is not None]


def roster_choices(headers: Iterable[str] | None = None, *, places: Iterable[ChoiceList] = ()) -> list[ChoiceList]:
    """The drop-down lists the roster columns among ``headers`` use, each once, in column order — the
    place lists of ``places`` first, for the place columns that are among ``headers``."""
    wanted = None if headers is None else set(headers)
    found: dict[str, ChoiceList] = {}
    for place in places:
        header = PLACE_HEADERS[{TOWNSHIP_LIST: "township_name", VILLAGE_LIST: "village_name"}[place.name]]
        if wanted is None or header in wanted:
            found[place.name] = place
    for column in roster.COLUMNS:
        if wanted is not None and column.header not in wanted:
            continue
        choices = _choice_list(column)
        if choices is not None:
            found.setdefault(choices.name, choices)
    return list(found.values())


def place_choices(villages: pl.DataFrame) -> list[ChoiceList]:
    """The 乡镇 and 行政村 drop-downs of a region: ``villages`` (``code, township_name, village_name``,
    as :func:`fupin.imports.pipelines.registry_frames.villages_frame` gives them) — names once each,
    in code order; empty when the region has no villages."""
    ordered = villages.filter(pl.col("village_name") != "").sort("code")
    if ordered.height == 0:
        return []
    townships = [t for t in ordered.get_column("township_name").unique(maintain_order=True).to_list() if t]
    lists = [ChoiceList(TOWNSHIP_LIST, "乡镇", tuple(townships))] if townships else []
    lists.append(ChoiceList(VILLAGE_LIST, "行政村",
                            tuple(ordered.get_column("village_name").unique(maintain_order=True).to_list())))
    return lists


def places_sheet(villages: pl.DataFrame) -> pl.DataFrame:
    """村名单: the region's villages — 县, 乡镇, 行政村, 行政区划代码 — in code order, for looking up a code."""
    return villages.sort("code").select(pl.col("county_name").alias("县"), pl.col("township_name").alias("乡镇"),
                                        pl.col("village_name").alias("行政村"), pl.col("code").alias("行政区划代码"))
