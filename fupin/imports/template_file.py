"""The blank roster template (花名册空白模板) and the documented column map (docs/roster.md).

Both are built from :data:`fupin.imports.roster.COLUMNS`, so the template, the import and the
documentation cannot disagree:

- :func:`template_xlsx` — sheet "花名册" with the Chinese headers (required ones marked in the
  header's comment and in bold red), a drop-down on every coded column and a prompt on the others
  (:mod:`.roster_help`; the lists on the hidden sheet 代码表), sheet "填写说明" listing every column,
  whether it is required, its accepted values (the code lists with codes and labels from
  :mod:`fupin.policy.codes`) and notes;
- :func:`column_map_markdown` — the text of docs/roster.md; ``python -m fupin.imports.template_file``
  rewrites the file, and a test fails when it is out of date.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter

from fupin.core.xlsx_sheet import MAX_ROWS, ChoiceList, ColumnHelp, column_letters
from fupin.policy import codes

from . import roster, roster_help
from .roster import RosterColumn
from .roster_help import CHOICES_SHEET, roster_choices, roster_helps

TEMPLATE_FILE_NAME = "花名册模板.xlsx"
DOCS_PATH = Path(__file__).resolve().parents[2] / "docs" / "roster.md"

LEVELS = {roster.HOUSEHOLD: "户 household", roster.MEMBER: "人 member", roster.LOCATION: "所在地 location"}

KINDS = {
    "text": "文本 text",
    "int": "整数 integer",
    "decimal": "数值 number (元/亩/平方米/公里)",
    "bool": "是/否 (有/无, 1/0, Y/N, √/×)",
    "id_number": "18位身份证号码 (GB 11643 校验) ID number",
    "category": "贫困户属性 category (label or code; 2014 or 2016 form)",
    "dilapidated": "否/是/C/D (是 without a grade is stored as C)",
    "region_code": "12位行政区划代码 12-digit village code",
    "region_name": "区划名称 region name",
}


def code_list_of(column: RosterColumn) -> list[codes.CodeList]:
    """The code lists a column's values come from (贫困户属性 has one per form version)."""
    if column.kind.startswith(("code:", "codes:")):
        return [codes.ALL_LISTS[column.kind.split(":", 1)[1]]]
    if column.kind == "category":
        return [codes.HOUSEHOLD_CATEGORY_BY_VERSION[v] for v in sorted(codes.HOUSEHOLD_CATEGORY_BY_VERSION)]
    if column.kind == "dilapidated":
        return [codes.ALL_LISTS["dilapidated_grade"]]
    return []


def kind_text(column: RosterColumn) -> str:
    if column.kind.startswith("code:"):
        cl = codes.ALL_LISTS[column.kind.split(":", 1)[1]]
        return f"代码 code ({cl.zh}): 代码或名称 code or label"
    if column.kind.startswith("codes:"):
        cl = codes.ALL_LISTS[column.kind.split(":", 1)[1]]
        return f"代码 codes ({cl.zh}): 最多两个, 以 , 、 ; / 或空格分隔 up to two"
    return KINDS.get(column.kind, column.kind)


def code_items_text(cl: codes.CodeList, sep: str = "; ") -> str:
    return sep.join(f"{item.code} {item.zh}" for item in cl.items)


def accepted_values(column: RosterColumn) -> str:
    """What the column accepts, for the template's 填写说明 sheet."""
    lists = code_list_of(column)
    if not lists:
        return kind_text(column)
    parts = [f"{cl.zh}: {code_items_text(cl)}" for cl in lists]
    return kind_text(column) + "\n" + "\n".join(parts)


def template_xlsx(villages: pl.DataFrame | None = None) -> bytes:
    """The blank template: the header row, and the 填写说明 sheet. Given ``villages`` (a region's, as
    :func:`fupin.imports.pipelines.registry_frames.villages_frame` gives them: the ones the downloading
    user may import into), 乡镇 and 行政村 get drop-downs of its names and the sheet 村名单 lists its
    villages with their 行政区划代码."""
    places = roster_help.place_choices(villages) if villages is not None else []
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                            "valign": "vcenter"})
    head_required = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                     "valign": "vcenter", "font_color": "#C00000"})
    text = book.add_format({"num_format": "@"})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})

    sheet = book.add_worksheet("花名册")
    for i, column in enumerate(roster.COLUMNS):
        sheet.write_string(0, i, column.header, head_required if column.required else head)
        # numbers that look like integers (ID numbers, accounts, codes) must stay text
        sheet.set_column(i, i, max(10, len(column.header) * 2 + 2), text)
        if column.required:
            sheet.write_comment(0, i, "必填 required")
    sheet.set_row(0, 32)
    sheet.freeze_panes(1, 0)

    notes = book.add_worksheet("填写说明")
    titles = ["列名 column", "必填 required", "级别 level", "可填写的值 accepted values", "也接受的列名 aliases",
              "说明 notes"]
    for i, title in enumerate(titles):
        notes.write_string(0, i, title, bold)
    for r, column in enumerate(roster.COLUMNS, start=1):
        notes.write_string(r, 0, column.header, wrap)
        notes.write_string(r, 1, "是" if column.required else "", wrap)
        notes.write_string(r, 2, LEVELS[column.level], wrap)
        notes.write_string(r, 3, accepted_values(column), wrap)
        notes.write_string(r, 4, "、".join(column.aliases), wrap)
        notes.write_string(r, 5, column.note, wrap)
    notes.set_column(0, 0, 24)
    notes.set_column(1, 1, 10)
    notes.set_column(2, 2, 16)
    notes.set_column(3, 3, 70)
    notes.set_column(4, 4, 30)
    notes.set_column(5, 5, 50)
    notes.freeze_panes(1, 0)
    last = len(roster.COLUMNS) + 2
    notes.write_string(last, 0, "每行一人，户的字段在同户各行重复；ID numbers, accounts and codes are text.", wrap)
    if places and villages is not None:
        _add_places_sheet(book, roster_help.places_sheet(villages), head=bold)
    _add_help(book, sheet, places)  # its lists sheet last, hidden
    book.close()
    return out.getvalue()


def _add_places_sheet(book: xlsxwriter.Workbook, places: pl.DataFrame, *, head: Any) -> None:
    """村名单: the region's villages and their codes, to look a 行政区划代码 up."""
    sheet = book.add_worksheet(roster_help.PLACES_SHEET)
    for c, name in enumerate(places.columns):
        sheet.write_string(0, c, name, head)
        sheet.set_column(c, c, 16)
    for r, row in enumerate(places.iter_rows(), start=1):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value or "")
    sheet.freeze_panes(1, 0)


def _add_help(book: xlsxwriter.Workbook, sheet: xlsxwriter.worksheet.Worksheet,
              places: list[ChoiceList] | None = None) -> None:
    """Drop-downs and prompts on the data rows of ``sheet`` (the template's column order), the lists
    on a hidden sheet 代码表 under workbook names — as :mod:`fupin.core.xlsx_sheet` writes them."""
    places = places or []
    lists = book.add_worksheet(CHOICES_SHEET)
    for i, choices in enumerate(roster_choices(places=places)):
        lists.write_string(0, i, choices.title)
        for r, value in enumerate(choices.values, start=1):
            lists.write_string(r, i, value)
        letter = column_letters(i)
        book.define_name(choices.name, f"='{CHOICES_SHEET}'!${letter}$2:${letter}${len(choices.values) + 1}")
    lists.hide()
    index = {c.header: i for i, c in enumerate(roster.COLUMNS)}
    for h in roster_helps(places=places):
        sheet.data_validation(1, index[h.column], MAX_ROWS - 1, index[h.column], _validation_options(h))


def _validation_options(h: ColumnHelp) -> dict[str, object]:
    options: dict[str, object] = {"input_title": h.title, "input_message": h.prompt, "ignore_blank": True}
    if h.choices:
        options |= {"validate": "list", "source": f"={h.choices}", "error_type": "warning",
                    "error_title": h.error_title, "error_message": h.error}
    else:
        options |= {"validate": "any"}
    return options


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", "<br>")


def column_map_markdown() -> str:
    """The text of docs/roster.md."""
    lists = {c.name: c.values for c in roster_choices()}
    lines = [
        "# 花名册列对照 Roster column map",
        "",
        "<!-- Generated from fupin/imports/roster.py by `python -m fupin.imports.template_file`;"
        " do not edit by hand (a test checks it is up to date). -->",
        "",
        "The national roster (花名册) has one row per person; the household's fields repeat on every row of",
        "its members. The blank template is at `/imports/template.xlsx` (sheet 花名册, and 填写说明 with",
        "the accepted values). On import a header may be written as the template writes it or as one of its",
        "aliases. Exports (`/imports/export/`, `GET /api/v1/exports/roster`) use the same columns; ID",
        "numbers and bank accounts are masked unless the user's role may see them (`3504**********1234`,",
        "`************5678`), and an import refuses a masked value (with `*`) rather than store it.",
        "An xlsx export holds at most 1,048,575 rows (one Excel worksheet); a larger region is refused",
        "with that advice (\"请改用 CSV\"): export it as CSV, or township by township.",
        "In a CSV export a cell that Excel or WPS would take for a formula (beginning with `=`, `+`, `-`,",
        "`@`, a tab or a carriage return, and not a plain number such as `-35.5`) is written after an",
        "apostrophe (`'=…`), so opening the file runs nothing; the import drops that apostrophe again, so",
        "exporting and importing still changes nothing (`fupin/core/formula_guard.py`). xlsx cells are",
        "written as text and need no guard.",
        "",
        "## 文件 Files",
        "",
        "- **xlsx**, **xls** (Excel 97–2003), **ods** (OpenDocument: LibreOffice, WPS \"ODF 表格\") — see",
        "  *Workbooks of several sheets* below for which sheets — or **CSV** in",
        "  UTF-8, UTF-8 with BOM or GBK/GB18030, with lines ended by CRLF, LF or CR alone (old Mac \"CSV",
        "  (Macintosh)\"), fields split by commas — or by tabs, as Excel and WPS save 文本文件(制表符分隔)",
        "  (`.txt`), when split so the header names more of the roster's columns.",
        "  The kind is told by the file's first bytes, not its name: an xlsx named `.csv` is read",
        "  as xlsx (`fupin/imports/pipelines/file_kind.py`). An xls's row numbers come from the sheet's own",
        "  records (`xls_rows.py`); a file whose records and cells do not agree is refused, never misnumbered.",
        "  An ods's first row holding a value is read from its `content.xml` (`ods_rows.py`: repeated and",
        "  grouped rows counted, formatted empty cells not values); an ID in a number cell is refused as in xlsx.",
        "- **Merged data cells (合并单元格)** in xlsx, xls and ods: a printed roster merges 户编号, 行政村 and",
        "  the other household columns over the household's rows. The sheet shows the value in every row,",
        "  and so does the import: a range of data rows merged down is filled with its top cell's value",
        "  (its first column only; a merge across one row, like a note under the table, is left as it is;",
        "  merged header cells are the header's; a cell holding a value keeps it). The ranges come from",
        "  the sheet XML's `<mergeCells>` (xlsx, in the same pass as the ID numbers stored as numbers), the",
        "  sheet's `MERGEDCELLS` records (xls, in the pass that numbers its rows) or the cells'",
        "  `number-rows-spanned` (ods: its XML is searched for that word first, and looked into only if",
        "  found). A roster may start right of column A: the ranges are placed in the columns fastexcel",
        "  reads (which leave out the empty columns on the left).",
        "- **Hidden rows (隐藏行)**, as a filter (筛选) leaves them: read and checked like the others — a",
        "  file's data is not dropped for how it is shown. The review page, the API (`rows_hidden`) and",
        "  `fupin import` say how many of the rows read were hidden (xlsx `<row hidden=\"1\">`, the xls",
        "  ROW record's hidden flag, ods `table:visibility`); if only the rows shown were meant, delete the",
        "  others and upload again.",
        "- **Workbooks of several sheets (多个工作表)** — a township's workbook with one sheet per village:",
        "  - the sheets whose name holds 花名册 are the candidates; if none does, every sheet is;",
        "  - hidden sheets are never read beside visible ones (the template's 代码表, an old copy kept out of",
        "    sight);",
        "  - of several candidates, each with a roster header in its first 30 rows naming 姓名 or 证件号码 (户编号",
        "    for 只更新户信息) is read, and the rest (说明, 汇总, the template's 村名单) are not; with none, the",
        "    first is read, and the batch fails saying what its header lacks;",
        "  - one candidate (fupin's exports and template: sheet 花名册) is read alone, as before;",
        "  - sheets read together are parts of the batch as a ZIP's files are (`read_roster.roster_sheets`):",
        "    the batch page lists them (读取的工作表); rejected rows are named by sheet and row",
        "    (`城西 第4行`, in the errors file and the rows to fix too); reasons naming another row say",
        "    `第2个工作表第4行`;",
        "  - in a ZIP, such a workbook is one part per sheet, named `村.xlsx「城西」`.",
        "  Before this, only the first sheet (or the first named like 花名册) was read, and the others were",
        "  left without a word.",
        "- **Refused as a whole, saying what the file is and what to do**: a web page or XML saved under a",
        "  spreadsheet's name (exports of some web systems) — open it in Excel or WPS and save as .xlsx; UTF-16",
        "  text (Excel's \"Unicode text\") — save as \"CSV UTF-8\"; an OpenDocument text or presentation; any",
        "  other binary file; a workbook fastexcel",
        "  cannot open (damaged, cut off, or not a workbook); a CSV the reader cannot split. The batch is",
        "  `failed` with that reason and nothing is written.",
        "- **Size**: at most 1024 MB (`FUPIN_IMPORT_MAX_MB`; a roster of 1,000,000 persons is about 450 MB as",
        "  CSV). An empty file and a larger one are refused before any batch exists, by the upload form, the",
        "  API (422, `field_errors.file`) and the command line alike. An upload is copied into the data folder",
        "  block by block while it is hashed (`fupin/core/landing.py`), never held whole in memory.",
        "- **Header**: any of the first 30 rows, found by its column names (a title, notes and blank rows above",
        "  it are skipped; a two-row header with merged cells is read as one); note rows (注、备注、填表人、合计 …)",
        "  and empty rows below are dropped. Row numbers in rejections are the file's own.",
        "",
        "| # | 列名 column | 必填 required | 级别 level | 字段 field | 类型 kind | 也接受的列名 aliases | 说明 notes |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for i, c in enumerate(roster.COLUMNS, start=1):
        lines.append(
            f"| {i} | {_cell(c.header)} | {'是' if c.required else ''} | {_cell(LEVELS[c.level])} | `{c.field}` "
            f"| {_cell(kind_text(c))} | {_cell('、'.join(c.aliases))} | {_cell(c.note)} |"
        )
    lines += [
        "", "## 填写提示与下拉列表 Drop-downs and prompts", "",
        "The workbooks handed out to be filled in — the blank template, the person roster exported as xlsx",
        "and the rejected rows to correct — carry help for the person filling them",
        "(`fupin/imports/roster_help.py`): selecting a cell of a column shows what the column takes (必填 for",
        "a required one), and every coded column has a drop-down of its Chinese labels, as the export writes",
        "them. The lists are on a hidden sheet 代码表, each under a workbook name (`fupin_<list>`), which",
        "Excel and WPS both read. A value typed outside the list gets a warning that can be passed, never a",
        "refusal: the import decides, and it also takes codes (`1`, `01`) and other spellings (有/无, 1/0). A",
        "test reads every offered value through the import, so a drop-down cannot offer a value the import",
        "would refuse. The household roster (export only) has none.",
        "",
        "| 列名 column | 下拉列表 drop-down |",
        "| --- | --- |",
        *(f"| {_cell(h.column)} | {_cell('、'.join(lists[h.choices]))} |" for h in roster_helps() if h.choices),
        "",
        "Columns without a drop-down show a prompt only (ID number, years, amounts, 户编号, other causes …);",
        "optional free-text columns (phone, bank, names of places within a village) show nothing.",
        "",
        "Where the workbook belongs to a region, 乡镇 and 行政村 get drop-downs of that region's names, in code",
        "order, each name once: the template downloaded by a user who may import (the villages they may",
        "import into; it then also has a sheet 村名单 listing them — 县, 乡镇, 行政村, 行政区划代码 — to look a",
        "code up), a region's xlsx person roster export (its villages), and a batch's rows to correct (the",
        "batch's region). A user who imports nowhere gets the template without place lists. The import finds",
        "a village by 乡镇 + 行政村 within the importer's region when the row has no 行政区划代码.",
        "", "## 户花名册 Household roster", "",
        "The export also gives the household roster: one row per household of the region (web: 户花名册 in",
        "the export form; API `kind=households`; `fupin export --kind households`). Its columns, in order:",
        "", "、".join(f"{h}" for h in roster.HOUSEHOLD_ROSTER_HEADERS) + ".", "",
        f"{roster.HEAD_NAME_HEADER} and {roster.HEAD_ID_HEADER} come from the head's row (the ID number masked",
        f"as in the person roster), {roster.SIZE_HEADER} counts the household's active members; the other",
        "columns are written as in the person roster. It comes back filled in (收入核查, 危房, 饮水) with the",
        "import mode 只更新户信息 (below), which updates the households' own columns only; the other modes",
        "take the person roster, and refuse a household roster as a whole with that advice.",
        "", "## 导出筛选 Exporting part of a region", "",
        "An export takes every active household of the region, or only those a filter names",
        "(`fupin/imports/roster_filter.py`), for both rosters and both formats:",
        "",
        "- 脱贫状态 — any of the codes given, as codes or labels (`0,3`, `未脱贫、返贫`), or `not-exited`",
        "  (未脱贫口径: 0 未脱贫, 2 预脱贫, 3 返贫);",
        "- 识别年度 — one year (`2014`) or a range (`2014-2016`, both ends included);",
        "- 脱贫年度 — likewise; a household with no exit year is never in a 脱贫年度 filter;",
        "- 计划脱贫年度 — likewise (the year's plan: 年度计划脱贫户);",
        "- 致贫原因 — any of the causes given (codes or labels), as the main cause or one of the other two;",
        "- 贫困户属性 — `version:code` (`2016:2`) or a label; a bare code is refused (the same code means",
        "  different things on the 2014 and 2016 forms), and a label on both forms (低保贫困户) takes both;",
        "- 两不愁三保障未达标 — the households falling short on any of the guarantees named: 不愁吃 (`food`),",
        "  不愁穿 (`clothing`), 义务教育有保障 (`education`), 基本医疗有保障 (`medical`), 住房安全有保障",
        "  (`housing`), 饮水安全 (`water`) — keys, labels or short words (`住房、饮水`); `any` (两不愁三保障) for",
        "  all six. These are the six fields the exit criteria check; a household falls short where its field",
        "  is 否 on the registry. The county's working list of 突出问题, one guarantee at a time or all;",
        "- 危房户 — households whose house is graded C or D (危房等级), as grades or labels; `是`/`yes` for both",
        "  (the 危房改造 list).",
        "",
        "Web: the export form's 脱贫状态 boxes, year fields, 致贫原因, 贫困户属性, 两不愁三保障未达标项 and 危房户 boxes; the household list's",
        "\"导出这些户的花名册\" link, which carries the list's 脱贫状态, 致贫原因 and 贫困户属性 (offered only when the",
        "list shows households on the registry with no keyword, which the export cannot search by); API:",
        "`poverty_status=`, `identification_year=`, `exit_year=`, `planned_exit_year=`, `cause=`, `category=`,",
        "`shortfall=`, `dilapidated=` on `GET /api/v1/exports/roster`; command: `fupin export --poverty-status 0,3",
        "--identified 2014-2016 --exited 2019 --planned-exit 2019 --cause 因病 --category 2016:2 --shortfall",
        "housing,water --dilapidated yes`.",
        "Parts given together must all",
        "hold. A value that cannot be",
        "valid (an unknown status, `20X4`, `2016-2014`, a year outside 1980–2100) is refused naming the",
        "field and the reason, before anything is read or recorded. The filter is kept with the export's",
        "record and shown in words on the export records page (筛选); the file's default name says it",
        "(`花名册-350421000000-状态0+3-识别2014-2016.xlsx`). Scope and masking apply as to any export.",
        "", "### 人员筛选 Only some members", "",
        "An export can also name members, by the roster's person columns and by age — the sector lists a",
        "county hands out: 在校生 for 教育资助 (雨露计划), 患有大病 and 长期慢性病 for 健康帮扶, 劳动力 not working",
        "away for 就业帮扶, 60周岁以上 for the elderly:",
        "",
        "- 性别 (from the ID number), 民族, 文化程度, 在校生状况, 健康状况, 劳动技能, 务工状况 — any of the codes",
        "  given, as codes or labels; the words `少数民族` (every one but 汉族), `在校生` (every grade: all but",
        "  非在校生), `劳动力` (普通劳动力 and 技能劳动力), `未务工` (no migrant work, the empty value) and `务工`",
        "  (any kind) stand for several;",
        "- 年龄 — whole years (周岁) on the day of the export: `16-60`, `16`, `60以上` (and over), `18以下` (and",
        "  under), both ends included as 民法典 第1259条 reads 以上 and 以下. The day is kept with the record",
        "  (`age_on`) and named in its description (`年龄:16-60周岁(按2026-06-01计)`).",
        "",
        "The person roster then holds only the members named, each with their household's columns — a",
        "working list that holds part of each household. To take it back corrected, import it with the",
        "import mode 只更新所列成员 (next section). Imported as whole households instead, its rows are",
        "rejected (年人均纯收入, the household's over all its members, disagrees with the persons in the",
        "file); without that column the members it lacks show as persons leaving, the review warns that",
        "the file may not be a whole roster (减员异常, below) and the batch waits for them to be",
        "confirmed. The household roster takes the",
        "households with at least one member named and writes them whole (家庭人口 counts every member).",
        "Parts given together must all hold, household parts included (`--poverty-status not-exited",
        "--labour-skill 劳动力 --migrant-work 未务工`: members able to work and not working away, of households",
        "not out of poverty). Web: the export form's folded 只导出部分成员(人员筛选); API: `sex=`, `ethnicity=`,",
        "`education=`, `schooling=`, `health=`, `labour_skill=`, `migrant_work=`, `age=`; command: `fupin export",
        "--sex 女 --ethnicity 少数民族 --education",
        "… --schooling 在校生 --health 3 --labour-skill 劳动力 --migrant-work 未务工 --age 16-60`. The file's",
        "default name says it (`花名册-350421000000-在校生-年龄6-15.xlsx`).",
        "", "### 只更新所列成员 Updating only the persons listed (import mode)", "",
        "An import has one of three modes (the upload page's 导入方式; API `mode=`; `fupin import",
        "--members-only` or `--household-columns-only`), kept with the batch and shown on its page:",
        "",
        "- 整户导入 (`households`, the default): each household the file lists is replaced by its rows —",
        "  members added, changed and leaving, household columns, size, head and incomes from the file;",
        "- 只更新所列成员 (`members`): a list of some members (a 人员筛选 export, a village's 务工 or 健康",
        "  list) updates the persons it lists and nothing else. Rows are matched by 户编号 + 证件号码; only",
        "  the member columns are read (姓名, 与户主关系, 民族, 文化程度, 在校生状况, 健康状况, 劳动技能, 务工状况,",
        "  务工时间, the insurance and benefit columns). Household columns in the file are neither read nor",
        "  checked: 家庭人口, 户主, incomes and 年人均纯收入 stay the registry's. A member column the file does",
        "  not have keeps the registry's value (a file of 户编号, 证件号码 and 务工状况 is enough); one it has",
        "  replaces it, an empty cell included. Without location columns the villages are the households'.",
        "- 只更新户信息 (`household_columns`): one row per household — the 户花名册 export filled in by the",
        "  villages (收入核查, 危房, 饮水), or a person roster whose rows of a household agree — updates the",
        "  households' own columns and nothing else. Rows are matched by 户编号; 户主姓名, 户主证件号码, 家庭人口",
        "  and every person column are not read: members, head and size stay the registry's. A household",
        "  column the file does not have keeps the registry's value; one it has replaces it, an empty cell",
        "  included. 家庭纯收入 and 年人均纯收入 are computed again from the income lines over the registered",
        "  household size, and a 年人均纯收入 the file gives must agree within 1 yuan (the reason names the",
        "  expected figure). A 户编号 not registered or not active, outside the importer's region, held",
        "  back, or in another village (when the file has location columns) is rejected; checks across",
        "  columns the file lacks (计划脱贫年度 and 识别年度, 有效灌溉面积 and 耕地面积, the causes) are made on",
        "  the values as they will stand. A file needs at least three roster columns for its header to be",
        "  found (户编号 and two more). In the other modes a household roster is refused with advice.",
        "",
        "In the persons mode nobody is added, moved or leaves, and each row stands alone: a rejected row",
        "does not hold back the rest of its household. Rejected, with the reason: a person who is not an",
        "active member of the household the row names (\"该人不是本户在册成员\", or \"该人登记在户编号 …\"), a",
        "户编号 not in the registry or not active, a household outside the importer's region or in a village",
        "held back at review, a village other than the household's (\"行政村与登记不符\"), 与户主关系 changed",
        "to or from 户主 (\"户主变更须以整户导入\") and 务工时间 without 务工状况. A head's new 姓名 is the",
        "household's new 户主姓名 (its audit row says so). Review, list of changes, merge, audit and",
        "holding back villages are as for any batch; 在册但文件中没有的户 is not counted (a list names some",
        "persons only).",
        "", "## 分乡镇/分村导出 One file per township or village", "",
        "A county sends each township or village its own part of the roster to check (入户核实) and imports",
        "the corrected parts again. An export can be split (web: the export form's 拆分; API `split=`;",
        "`fupin export --split township|village OUT.zip`): one ZIP archive with a file per township or",
        "village that has rows, in code order, named `花名册-<12-digit code>-<name>.xlsx` (or `.csv` with",
        "`--format csv`), each holding only its own rows; an xlsx person roster offers its own 乡镇 and 行政村",
        "as drop-downs. The filter above applies to every part. The archive is one export record, of",
        "format `xlsx.zip` or `csv.zip`, its default name `花名册-<region>-按行政村-xlsx.zip`. File names in",
        "the archive are UTF-8 (the ZIP's language flag), as WPS, 7-Zip, Bandizip and Windows 10 read them.",
        "",
        "**分村分表 One sheet per village** (`split=sheets`; web: 拆分 → 分村分表; `fupin export --split sheets",
        "OUT.xlsx`): one xlsx workbook with a sheet per 行政村 that has rows, in code order, named after the",
        "village (a name two villages share gets ` (2)`; `[]:*?/\\` become `_`; at most 31 characters), each",
        "with the roster's header, its own rows and the drop-downs (one hidden 代码表 for all). xlsx only (CSV",
        "has no sheets: refused, API 422 naming `split`). Its default name is `花名册-<region>-分村分表.xlsx`,",
        "recorded as an `xlsx` export. No sheet is past a worksheet's rows, so a region too large for one",
        "sheet can be exported this way. Imported back, every sheet is read (see *Workbooks of several",
        "sheets*): exporting and importing changes nothing.",
        "",
        "The corrected parts come back as one ZIP too: **a ZIP of rosters is imported as one batch** (upload",
        "page, API, `fupin import FILE.zip`). Every file in it is read as a roster (xlsx, xls, ods or CSV,",
        "by content), in the order of their names; folders, `__MACOSX/`, hidden files, Office lock files",
        "(`~$…`), `Thumbs.db` and `desktop.ini` are skipped; names stored in GBK by older Windows tools are",
        "read as such. A ZIP of files inside the ZIP — the townships' ZIPs of their villages' files, put",
        "together by the county — is read in its place, its files named `雪峰镇.zip/城东居委会.xlsx`; one",
        "level only: a ZIP inside that one refuses the archive. A file that cannot be read (a note in .txt)",
        "refuses the whole archive, naming the file. The batch lists its files; every rejected row is shown as the file's",
        "name and its own row (`城东居委会.xlsx 第6行` on the page; columns 文件 and 行号 in the errors file;",
        "来源文件 and 原行号 in the rows to correct; `file` and `row` in the API), and a reason naming another",
        "row says `第1个文件第6行`. At most 2,000 files (nested ones counted), 4 GB unpacked, 999,999 rows a file.",
        "", "## 待改正的行 Rejected rows to correct and import again", "",
        "Besides the error report (one line per reason: row, column, value, reason), a batch's rejected rows",
        "can be downloaded as the file held them (`/imports/<id>/rows-to-fix.xlsx`, the batch page's link;",
        "`GET /api/v1/imports/{id}/rows-to-fix`; `fupin import --rows-to-fix FILE.xlsx`): sheet 花名册, the",
        "columns 原行号 (the row in the file) and 错误原因 (every reason for the row, `列: 原因`), then the",
        "file's roster columns under the template's headers, values as written. A household is rejected",
        "whole, so the rows hold whole households. Correct the cells in that file and import it again: the",
        "two extra columns are ignored, and only the corrected households come in. ID numbers and bank",
        "accounts are masked for roles that may not see them, and such a file cannot be imported again as",
        "it is (an import refuses a masked number). The landed file is read again and must be unchanged",
        "since it landed (SHA-256). The download is recorded in the export records (kind `rows_to_fix`).",
        "", "## 审核时看到的变更 What a batch changes, shown at review (变更明细)", "",
        "A checked batch waits for review with its counts: households and persons new, changed and",
        "unchanged, rows rejected, registered households of the file's villages the file does not list,",
        "and **persons leaving** — registered members of a file household the file does not list, whom the",
        "merge marks as left, the batch named in the comment. The reason is read from the file where it can",
        "be: a person the file lists in a household new in the batch has split off (分户, e.g. a son heading",
        "a household of his own), one it lists in another registered household has moved there (迁出, the",
        "household named in the comment); anyone else leaves for 其他 (the roster has no column for deaths",
        "or marriages in the file). The reviewer can say why for each of them while the batch waits at",
        "review — 减员原因: 死亡, 婚出, 迁出, 服刑, 录入错误 or 其他, with a note — on the page",
        "`/imports/<id>/leaving/` (the batch page's link 填写减员原因) or with `PUT /api/v1/imports/{id}/leaving`",
        "(a batch `fupin import` left at review, without `--allow-leaving`, can be given them there); the",
        "merge writes them (the yearly flow report counts members leaving by these reasons, 录入错误 as removed).",
        "The villages can answer in a spreadsheet (减员原因表): the page's \"下载减员名单以填写\"",
        "(`GET /api/v1/imports/{id}/leaving/sheet`, `fupin import --leaving-sheet FILE.xlsx`) gives the list with",
        "the columns 成员编号, 户编号, 姓名, 证件号码, 与户主关系, 文件所定原因, 减员原因 (a drop-down) and 说明; the",
        "filled sheet goes back on the same page (`POST …/leaving/sheet`, `fupin import --leave-reasons SHEET`),",
        "all or nothing, every row in error named. A person is found by 成员编号, or by the full 证件号码 in a",
        "village's own list (xlsx, xls, ods or CSV, headers found as in the department lists: 身份证号码,",
        "减少原因 and 备注 are understood too; a workbook with a sheet per village is read whole, each error",
        "named by its sheet, `城西村 第3行`); an empty 减员原因 changes nothing. A",
        "reason the file gives (分户, 迁至户) cannot be replaced. Every sheet received is kept as it was given",
        "(收到的减员原因表, applied or refused, with what it did: the page's list, `GET",
        "/api/v1/imports/{id}/leaving/sheets`), and the reasons it gave name it (`#id`) in their audit rows. The",
        "batch counts those who moved",
        "(`persons_moved`, shown beside the persons leaving). Once merged, each household page links the",
        "person's two records: 现在户 on the record left, 曾在户 (with the reason and the day) on the new one.",
        "A person registered in a household the file",
        "also lists may appear in another of its households; if their own household is rejected, the",
        "household taking them is rejected too (一人一户, to a fixed point); if the household taking them is",
        "rejected, their own is held back with them rather than their leaving it as 其他 (\"本户有成员在文件中",
        "列入户编号 …,该户未导入,本户随之暂不导入\"). Such a batch is merged only when",
        "the reviewer confirms that number (核对减员: the merge form's box; the API's",
        "`persons_left_confirmed`; `fupin import --allow-leaving`, without which the command stops before",
        "the merge and leaves the batch at review). When at least 10 persons and 20 % of the registered",
        "persons of the file's registered households would leave (减员异常; `FUPIN_IMPORT_LEAVING_WARN_MIN`,",
        "`FUPIN_IMPORT_LEAVING_WARN_SHARE`), the review page, the API (`many_leaving`, `leaving_share`) and",
        "the command say the file may not be a whole roster (a list exported with 人员筛选, rows lost in",
        "copying) and point to 只更新所列成员; nothing is refused for it. Every change to a registered",
        "household or person is listed before anything is written (`fupin/imports/pipelines/change_list.py`):",
        "",
        "- 户信息变更 — a household field, with its old and new value: the roster's columns and the values",
        "  derived from them (行政区划代码, 户主姓名, 家庭人口, 家庭纯收入, 年人均纯收入, 收入计算规则版本);",
        "- 成员信息变更 — a member field, old and new value;",
        "- 新增成员 — a person joining a registered household (the value: 与户主关系);",
        "- 成员减少 — a person leaving (not in the file's household); the new value says where to when the",
        "  file lists them in another household (`分户至户 …`, `迁至户 …`), else the reason the reviewer gave",
        "  (`死亡:<说明>`), else nothing.",
        "",
        "New households are not listed (everything about them is in the file). Values are shown as the",
        "roster writes them: codes as labels, 是/否, 贫困户属性 by its form version. ID numbers and bank",
        "accounts are masked for roles that may not see them. The batch page summarises the list by field",
        "(a column mapped wrongly shows as one field changed in every household) and links to the list",
        "(`/imports/<id>/changes/`, filtered by village, kind and field; `.xlsx` download), the API pages it",
        "(`GET /api/v1/imports/{id}/changes`), and `fupin import --changes FILE.xlsx` writes it, dry run",
        "included. The list is kept with the batch after the merge or the refusal, like its rejected rows.",
        "When the registry changed between review and merge, the merge compares the file again and refuses",
        "the batch unless the counts (persons leaving included) are the ones reviewed; if it goes ahead,",
        "the list is rewritten with the values actually replaced.",
        "",
        "A batch left undecided — at review, failed, or its check stopped — with nothing done to it for 30",
        "days (`FUPIN_IMPORT_UNDECIDED_DAYS`) is refused by the system when `fupin expire_imports` runs (daily,",
        "from cron or a timer) and when any new file is landed, with the comment \"超过30天未处理，系统自动拒绝\"; a",
        "check at work is never touched. Its landed file, rejected rows and list of changes stay with the batch,",
        "as for any refusal.",
        "The review page's decision says from which day that happens to the batch.",
        "", "## 暂缓部分村 Holding back some villages at review", "",
        "A county-wide file in which one village's part is wrong (half its households missing, last year's",
        "sheet) need not hold back every other village. On the review page the reviewer ticks the villages",
        "to hold back (暂缓) in the table by village and checks the batch again (`POST",
        "/api/v1/imports/{id}/hold` with `{\"villages\": [...]}`): their rows are rejected with \"该村在审核时暂缓",
        "导入\", every count, the persons leaving and the list of changes are those of the rest, and the",
        "batch waits at review again. Unticking releases them. Holding every village is refused (refuse the",
        "batch instead). Moves across the line are held with the village, both ways: a person the file",
        "moves out of a held village's household holds back the household taking them; one it moves into a",
        "held village holds back the household they are registered in, when the file brings it (rejected",
        "with \"本户有成员在文件中列入户编号 …,该户未导入,本户随之暂不导入\"), so nobody leaves a household as",
        "其他 for one that is not imported. The same holds for any household the check rejects. The",
        "village comes in with a later import of its corrected file, or of the same file, which writes the",
        "moves as moves (迁出).",
        "On the command line, `fupin import FILE --hold CODE` (repeatable, or codes separated by commas)",
        "holds the villages before the file is checked, so it is read once: a code that is not a village",
        "of the import's region stops the command before the file is landed, a held village the file does",
        "not hold is named, and holding every village of the file stops the command (the batch left at",
        "review). `--dry-run --hold CODE` shows what the import would do without them.",
        "", "## 导出记录 Export records", "",
        "Every roster export — page, API (`GET /api/v1/exports/roster`) or `fupin export` — is recorded",
        "(`fupin/imports/exports.py`): when, who (`system` for the command without `--as`), the channel",
        "(web, api, cli), the region, the roster (persons or households), the filter if any, the format, the rows, whether ID",
        "numbers and bank accounts were full or masked, and the file's name, size and SHA-256. An xlsx",
        "export refused for its size is recorded as refused, with the reason; a malformed region code is",
        "not recorded (nothing was read). Records are never changed. Roles that read the audit trail",
        "(`audit.view`: village, work team, township, county, auditor, administrator) read the records of",
        "their region at `/imports/exports/` and `GET /api/v1/exports/records`; both take `sha256=` to",
        "find the export a file came from (`sha256sum FILE`). `fupin export` prints the hash and the",
        "record's number. A batch's reports are recorded too when handed out: the error report (page,",
        "`fupin import --report`, kind `rejections`), the list of registered households the file does",
        "not list (kind `absent`), the list of changes (kind `changes`) and the rows to correct (kind",
        "`rows_to_fix`).",
        "",
        "The file a batch was imported from (原始文件: the batch page's link, `GET /api/v1/imports/{id}/file`)",
        "is handed out as uploaded to the roles that read the audit trail and see full numbers, in the",
        "batch's region, and recorded the same way (roster 导入原始文件, `landed`). Its SHA-256 is checked",
        "against the one taken when it landed; a file changed on disk since is refused, not handed out.",
    ]
    lines += ["", "## 代码表 Code lists", "",
              "A coded column accepts the code or the Chinese label.", ""]
    seen: list[str] = []
    for c in roster.COLUMNS:
        for cl in code_list_of(c):
            if cl.id in seen:
                continue
            seen.append(cl.id)
            lines += [f"### {cl.zh} {cl.en} (`{cl.id}`, version {cl.version})", "",
                      "| 代码 code | 名称 label | English |", "| --- | --- | --- |"]
            lines += [f"| {_cell(item.code)} | {_cell(item.zh)} | {_cell(item.en)} |" for item in cl.items]
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def write_docs(path: Path = DOCS_PATH) -> None:
    path.write_text(column_map_markdown(), encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    write_docs(Path(sys.argv[1]) if len(sys.argv) > 1 else DOCS_PATH)
    print(f"wrote {sys.argv[1] if len(sys.argv) > 1 else DOCS_PATH}")
