"""Realistic roster files (花名册) for tests: rows as dicts keyed by the Chinese header, messes applied
as small row transforms, and writers for xlsx (xlsxwriter) and CSV (utf-8, utf-8-sig, gb18030).

Typical use::

    rows = build_roster(households=3)                    # valid, with codes
    rows = lower_x(full_width(as_labels(rows)))           # the messes you want
    write_xlsx(tmp_path / "r.xlsx", rows, title_rows=["三明市花名册"], two_row_header=True,
               numeric_id_rows={2}, trailing_empty=3, note_rows=["填表人: 张三"])
    write_csv(tmp_path / "r.csv", rows, encoding="gb18030")

Row numbers in the written file: ``first_data_row(title_rows, two_row_header)`` is the row of
``rows[0]``; each following dict is the next row.
"""

from __future__ import annotations

import csv
import random
import zipfile
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import groupby
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter

from fupin.imports import roster
from fupin.policy import codes
from fupin.policy.idnumber import make_id_number


@dataclass(frozen=True)
class Village:
    code: str
    county: str
    township: str
    name: str


SANMING_VILLAGES = (  # from fupin/data/regions-fujian.csv (NBS 2023)
    Village("350404100201", "三元区", "陈大镇", "陈墩村"),
    Village("350404100202", "三元区", "陈大镇", "大源村"),
    Village("350405101201", "沙县区", "夏茂镇", "东街村"),
    Village("350405101202", "沙县区", "夏茂镇", "中街村"),
)
OUTSIDE_VILLAGE = Village("350405101203", "沙县区", "夏茂镇", "西街村")  # not in the default context

INCOME_GROUP = ("工资性收入", "生产经营性收入", "财产性收入", "低保金", "五保金", "养老保险金", "生态补偿金",
                "其他转移性收入", "生产经营性支出", "年人均纯收入")
DEFAULT_HEADERS: tuple[str, ...] = tuple(
    c.header for c in roster.COLUMNS if c.field not in ("city_name", "category_form_version")
)
SURNAMES = "张王李赵陈林黄吴刘郑罗邓"
GIVEN = ("建国", "秀英", "明", "丽", "志强", "桂兰", "伟", "芳", "德福", "玉珍", "小军", "春花")


def villages_frame(villages: Iterable[Village] = SANMING_VILLAGES) -> pl.DataFrame:
    """``RosterContext.villages`` for the given villages."""
    vs = list(villages)
    return pl.DataFrame({"code": [v.code for v in vs], "township_name": [v.township for v in vs],
                         "village_name": [v.name for v in vs], "county_name": [v.county for v in vs]},
                        schema={"code": pl.Utf8, "township_name": pl.Utf8, "village_name": pl.Utf8,
                                "county_name": pl.Utf8})


def members_frame(pairs: Iterable[tuple[str, str]] = ()) -> pl.DataFrame:
    """``RosterContext.existing_members`` from (id_number, household_number) pairs."""
    ps = list(pairs)
    return pl.DataFrame({"id_number": [p[0] for p in ps], "household_number": [p[1] for p in ps]},
                        schema={"id_number": pl.Utf8, "household_number": pl.Utf8})


def _member(rng: random.Random, relation: str, head_birth: date, used: set[str], address6: str) -> dict[str, str]:
    sex = {"01": "1", "02": "2", "03": "1", "04": "2"}[relation]
    if relation in ("01", "02"):
        birth = head_birth + timedelta(days=rng.randint(-900, 900))
    else:
        birth = head_birth + timedelta(days=rng.randint(22 * 365, 30 * 365))
    while True:
        number = make_id_number(address6, birth, rng.randint(0, 999), sex=sex)
        if number not in used:
            used.add(number)
            break
    age = 2016 - birth.year
    child = relation in ("03", "04")
    return {
        "姓名": rng.choice(SURNAMES) + rng.choice(GIVEN), "证件号码": number, "与户主关系": relation,
        "性别": sex, "民族": rng.choice(["01", "01", "01", "22"]), "文化程度": "6" if age < 6 else rng.choice("1234"),
        "在校生状况": "3" if child and 6 <= age <= 12 else "1", "健康状况": rng.choice("1112"),
        "劳动技能": "4" if age < 16 else rng.choice("112"), "务工状况": "" if child else rng.choice(["", "2", "4"]),
        "务工时间": "0", "现役军人": "否", "参加大病医疗": "是", "参加城乡居民基本医疗保险": "是",
        "参加城乡居民基本养老保险": "否" if child else "是", "享受低保": "否", "特困供养": "否",
    }


def build_roster(households: int = 3, *, villages: Sequence[Village] = SANMING_VILLAGES, seed: int = 0,
                 start: int = 1, sizes: Sequence[int] = (1, 2, 3, 4), with_code: bool = True) -> list[dict[str, str]]:
    """Valid rows (codes, not labels) for ``households`` households spread over ``villages``.

    Household numbers are ``<village code><4-digit serial from start>``; IDs are valid GB 11643 numbers
    under the village's county code; 年人均纯收入 is consistent with the income lines."""
    rng = random.Random(seed)
    used: set[str] = set()
    rows: list[dict[str, str]] = []
    for i in range(households):
        village = villages[i % len(villages)]
        size = sizes[i % len(sizes)]
        head_birth = date(1950, 1, 1) + timedelta(days=rng.randint(0, 30 * 365))
        wage, business, dibao, pension, expense = (rng.randint(0, 200) * 50, rng.randint(0, 60) * 50,
                                                   rng.choice([0, 0, 1800]), rng.choice([0, 1200]), rng.randint(0, 20) * 50)
        net = wage + business + dibao + pension - expense
        main = rng.choice("12345789")
        other = rng.choice(["", "7" if main != "7" else "9"])
        household = {
            "县": village.county, "乡镇": village.township, "行政村": village.name, "行政区划代码": village.code,
            "自然村(组)": f"{rng.randint(1, 9)}组", "户编号": f"{village.code}{start + i:04d}",
            "联系电话": f"1{rng.randint(3000000000, 8999999999)}", "开户银行": "三明农商银行",
            "银行账号": f"{rng.randint(10 ** 18, 10 ** 19 - 1)}", "识别标准": "1", "贫困户属性": rng.choice("12"),
            "主要致贫原因": main, "其他致贫原因": other, "军烈属": "否", "独生子女户": "否", "双女户": "否",
            "脱贫属性": "0", "识别年度": "2016", "计划脱贫年度": "2018", "脱贫年度": "", "危房户": rng.choice(["否", "C"]),
            "饮水安全": "是", "饮水困难": "否", "通生活用电": "是", "有无卫生厕所": "有", "主要燃料类型": "1",
            "入户路类型": "3", "距村主干路(公里)": f"{rng.randint(0, 50) / 10:.1f}", "住房面积(平方米)": "85.5",
            "耕地面积(亩)": "2.50", "有效灌溉面积(亩)": "1.5", "林地面积(亩)": "10", "工资性收入": str(wage),
            "生产经营性收入": str(business), "财产性收入": "0", "低保金": str(dibao), "五保金": "0",
            "养老保险金": str(pension), "生态补偿金": "0", "其他转移性收入": "0", "生产经营性支出": str(expense),
            "年人均纯收入": f"{net / size:.2f}",
        }
        if not with_code:
            household["行政区划代码"] = ""
        relations = ["01", "02", "03", "04"][:size]
        for relation in relations:
            rows.append(household | _member(rng, relation, head_birth, used, village.code[:6]))
    return rows


# Messes -------------------------------------------------------------------------------------------

LABEL_COLUMNS = {c.header: c.kind.split(":", 1)[1] for c in roster.COLUMNS if c.kind.startswith("code:")}


def as_labels(rows: Iterable[dict[str, str]], *, english: bool = False, form_version: str = "2016") -> list[dict[str, str]]:
    """Codes replaced by their labels (贫困户属性 by the label of ``form_version``; 其他致贫原因 joined by 、)."""
    out = []
    for row in rows:
        new = dict(row)
        for column, list_id in LABEL_COLUMNS.items():
            if new.get(column):
                new[column] = codes.ALL_LISTS[list_id].label(new[column], "en" if english else "zh")
        if new.get("贫困户属性"):
            new["贫困户属性"] = codes.HOUSEHOLD_CATEGORY_BY_VERSION[form_version].label(new["贫困户属性"])
        if new.get("其他致贫原因"):
            new["其他致贫原因"] = "、".join(codes.POVERTY_CAUSE.label(c) for c in new["其他致贫原因"].split(","))
        out.append(new)
    return out


def full_width(rows: Iterable[dict[str, str]], columns: Iterable[str] | None = None) -> list[dict[str, str]]:
    """ASCII digits and letters of ``columns`` (default: ID, 户编号, years, amounts) as full-width."""
    cols = set(columns or ("证件号码", "户编号", "识别年度", "工资性收入", "耕地面积(亩)", "务工时间"))
    table = {c: c + 0xFEE0 for c in range(0x21, 0x7F)}
    return [{k: (v.translate(table) if k in cols else v) for k, v in row.items()} for row in rows]


def stray_spaces(rows: Iterable[dict[str, str]]) -> list[dict[str, str]]:
    """Spaces (ASCII and ideographic) around every value and inside IDs and codes."""
    out = []
    for row in rows:
        new = {k: f" {v}\u3000" if v else v for k, v in row.items()}
        if row.get("证件号码"):
            n = row["证件号码"]
            new["证件号码"] = f" {n[:6]} {n[6:14]} {n[14:]} "
        out.append(new)
    return out


def lower_x(rows: Iterable[dict[str, str]]) -> list[dict[str, str]]:
    return [{k: (v.replace("X", "x") if k == "证件号码" else v) for k, v in row.items()} for row in rows]


def first_data_row(title_rows: Sequence[str] = (), two_row_header: bool = False, leading_blank_rows: int = 0) -> int:
    """1-based file row of ``rows[0]``."""
    return leading_blank_rows + len(title_rows) + (2 if two_row_header else 1) + 1


def _headers(rows: Sequence[dict[str, str]], headers: Sequence[str] | None) -> list[str]:
    if headers is not None:
        return list(headers)
    seen = list(DEFAULT_HEADERS)
    for row in rows:
        seen += [k for k in row if k not in seen]
    return seen


def _group_rows(headers: Sequence[str]) -> tuple[list[str], list[str]]:
    """Upper and lower header rows: income columns under "收入情况", the rest in the upper row."""
    upper = [("收入情况" if h in INCOME_GROUP else h) for h in headers]
    lower = [(h if h in INCOME_GROUP else "") for h in headers]
    first = next((i for i, h in enumerate(headers) if h in INCOME_GROUP), None)
    upper = [u if u != "收入情况" or i == first else "" for i, u in enumerate(upper)]
    return upper, lower


def write_csv(path: Path, rows: Sequence[dict[str, str]], *, encoding: str = "utf-8",
              headers: Sequence[str] | None = None, rename: dict[str, str] | None = None,
              title_rows: Sequence[str] = (), two_row_header: bool = False, trailing_empty: int = 0,
              note_rows: Sequence[str] = (), blank_line_rows: Sequence[int] = (), delimiter: str = ",") -> Path:
    """Write a CSV roster; ``rename`` writes some headers under another spelling (an alias);
    ``blank_line_rows`` inserts fully empty lines before those data indexes; ``delimiter="\t"``: the
    tab-delimited text Excel and WPS save (文本文件(制表符分隔))."""
    cols = _headers(rows, headers)
    shown = [(rename or {}).get(h, h) for h in cols]
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        for title in title_rows:
            writer.writerow([title])
        if two_row_header:
            upper, lower = _group_rows(shown)
            writer.writerows([upper, lower])
        else:
            writer.writerow(shown)
        for i, row in enumerate(rows):
            if i in blank_line_rows:
                fh.write("\r\n")
            writer.writerow([row.get(h, "") for h in cols])
        for _ in range(trailing_empty):
            writer.writerow([""] * len(cols))
        for note in note_rows:
            writer.writerow([note])
    return path


def _workbook_cells(rows: Sequence[dict[str, str]], cols: Sequence[str], shown: Sequence[str], *, first_row: int,
                    title_rows: Sequence[str], two_row_header: bool, numeric_id_rows: Iterable[int],
                    trailing_empty: int, note_rows: Sequence[str], merged_columns: Collection[str] = (),
                    first_column: int = 0) -> Iterator[tuple[Any, ...]]:
    """A workbook roster's cells from ``first_row`` and ``first_column`` on, the same for every format:
    ``("merge", r1, c1, r2, c2, text)`` (bold), ``("header", r, c, text)`` (bold), ``("text", r, c, text)``,
    ``("number", r, c, value)``."""
    for op, r, c, *rest in _workbook_cells_from_a(
            rows, cols, shown, first_row=first_row, title_rows=title_rows, two_row_header=two_row_header,
            numeric_id_rows=numeric_id_rows, trailing_empty=trailing_empty, note_rows=note_rows,
            merged_columns=merged_columns):
        if op == "merge":
            yield (op, r, c + first_column, rest[0], rest[1] + first_column, rest[2])
        else:
            yield (op, r, c + first_column, *rest)


def _workbook_cells_from_a(rows: Sequence[dict[str, str]], cols: Sequence[str], shown: Sequence[str], *,
                           first_row: int, title_rows: Sequence[str], two_row_header: bool,
                           numeric_id_rows: Iterable[int], trailing_empty: int, note_rows: Sequence[str],
                           merged_columns: Collection[str]) -> Iterator[tuple[Any, ...]]:
    """:func:`_workbook_cells` from column A. Titles are merged across the table; a two-row header merges
    "收入情况" across the income columns and the other headers down over both rows; ``numeric_id_rows``:
    indexes of ``rows`` whose ID is a number cell (what Excel does to a typed-in ID); ``merged_columns``:
    headers whose cells are merged down over each household's rows (consecutive rows of one 户编号), as a
    printed roster has them; trailing "empty" rows hold a space."""
    numeric = set(numeric_id_rows)
    run_of: list[tuple[int, int]] = []  # each row's household run: (its first row, its length)
    for _number, group in groupby(rows, key=lambda row: row.get("户编号", "")):
        length = len(list(group))
        run_of += [(len(run_of), length)] * length
    r = first_row
    for title in title_rows:
        yield ("merge", r, 0, r, max(len(cols) - 1, 1), title)
        r += 1
    if two_row_header:
        upper, lower = _group_rows(list(shown))
        first = upper.index("收入情况") if "收入情况" in upper else None
        width = sum(1 for h in lower if h)
        for j, h in enumerate(upper):
            if lower[j]:
                yield ("header", r + 1, j, lower[j])
            elif h:
                yield ("merge", r, j, r + 1, j, h)
        if first is not None:
            yield ("merge", r, first, r, first + width - 1, "收入情况")
        r += 2
    else:
        for j, h in enumerate(shown):
            yield ("header", r, j, h)
        r += 1
    for i, row in enumerate(rows):
        for j, h in enumerate(cols):
            value = row.get(h, "")
            start, length = run_of[i]
            if h in merged_columns and length > 1:
                if i == start:
                    yield ("merge", r, j, r + length - 1, j, value)
            elif h == "证件号码" and i in numeric and value:
                yield ("number", r, j, float(value.strip().upper().rstrip("X") or 0))
            elif value != "":
                yield ("text", r, j, value)
        r += 1
    for _ in range(trailing_empty):
        yield ("text", r, 0, " ")
        r += 1
    for note in note_rows:
        yield ("text", r, 0, note)
        r += 1


def write_xlsx(path: Path, rows: Sequence[dict[str, str]], *, headers: Sequence[str] | None = None,
               rename: dict[str, str] | None = None, title_rows: Sequence[str] = (), two_row_header: bool = False,
               numeric_id_rows: Iterable[int] = (), trailing_empty: int = 0, note_rows: Sequence[str] = (),
               sheet_name: str = "花名册", other_sheet_first: bool = False, leading_blank_rows: int = 0,
               merged_columns: Collection[str] = (), first_column: int = 0, hidden_rows: Collection[int] = ()) -> Path:
    """Write an xlsx roster (xlsxwriter) laid out by :func:`_workbook_cells`; ``hidden_rows``: sheet rows
    (0-based) hidden, as a filter hides them."""
    cols = _headers(rows, headers)
    shown = [(rename or {}).get(h, h) for h in cols]
    workbook = xlsxwriter.Workbook(str(path))
    if other_sheet_first:
        workbook.add_worksheet("填写说明").write(0, 0, "说明: 本表为花名册")
    sheet = workbook.add_worksheet(sheet_name)
    bold = workbook.add_format({"bold": True, "align": "center", "text_wrap": True})
    for op, *cell in _workbook_cells(rows, cols, shown, first_row=leading_blank_rows, title_rows=title_rows,
                                     two_row_header=two_row_header, numeric_id_rows=numeric_id_rows,
                                     trailing_empty=trailing_empty, note_rows=note_rows,
                                     merged_columns=merged_columns, first_column=first_column):
        if op == "merge":
            sheet.merge_range(*cell, bold)
        elif op == "header":
            sheet.write_string(*cell, bold)
        elif op == "number":
            sheet.write_number(*cell)
        else:
            sheet.write_string(*cell)
    for r in hidden_rows:
        sheet.set_row(r, None, None, {"hidden": True})
    workbook.close()
    return path


def write_ods(path: Path, rows: Sequence[dict[str, str]], *, headers: Sequence[str] | None = None,
              title_rows: Sequence[str] = (), two_row_header: bool = False, numeric_id_rows: Iterable[int] = (),
              trailing_empty: int = 0, note_rows: Sequence[str] = (), sheet_name: str = "花名册",
              other_sheet_first: bool = False, leading_blank_rows: int = 0, formatted_empty_rows: int = 0,
              merged_columns: Collection[str] = (), first_column: int = 0, hidden_rows: Collection[int] = ()) -> Path:
    """Write an OpenDocument spreadsheet roster (.ods) laid out by :func:`_workbook_cells`, as
    :func:`write_xlsx` lays it out, in the XML LibreOffice writes: merged cells spanning with covered
    cells under them, numbers as ``float`` cells, the empty rows below the table as one row repeated
    a million times; ``formatted_empty_rows``: rows of styled cells holding no value at the top."""
    from xml.sax.saxutils import escape, quoteattr

    cols = _headers(rows, headers)
    cells: dict[tuple[int, int], str] = {}
    covered: set[tuple[int, int]] = set()
    for op, *cell in _workbook_cells(rows, cols, cols, first_row=leading_blank_rows + formatted_empty_rows,
                                     title_rows=title_rows, two_row_header=two_row_header,
                                     numeric_id_rows=numeric_id_rows, trailing_empty=trailing_empty,
                                     note_rows=note_rows, merged_columns=merged_columns, first_column=first_column):
        if op == "merge":
            r1, c1, r2, c2, text = cell
            cells[(r1, c1)] = (f'<table:table-cell office:value-type="string" table:number-columns-spanned="{c2 - c1 + 1}" '
                               f'table:number-rows-spanned="{r2 - r1 + 1}"><text:p>{escape(text)}</text:p></table:table-cell>')
            covered |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)} - {(r1, c1)}
        elif op == "number":
            r, c, value = cell
            cells[(r, c)] = (f'<table:table-cell office:value-type="float" office:value={quoteattr(repr(value))}>'
                             f"<text:p>{value:.5E}</text:p></table:table-cell>")
        else:
            r, c, text = cell
            cells[(r, c)] = f'<table:table-cell office:value-type="string"><text:p>{escape(text)}</text:p></table:table-cell>'
    height = max(r for r, _ in cells) + 1
    width = max(c for _, c in cells) + 1
    xml_rows = []
    for r in range(height):
        if r < leading_blank_rows:
            parts = ['<table:table-cell/>']
        elif r < leading_blank_rows + formatted_empty_rows:
            parts = [f'<table:table-cell table:style-name="ce1" table:number-columns-repeated="{width}"/>']
        else:
            parts = [cells.get((r, c)) or ("<table:covered-table-cell/>" if (r, c) in covered else "<table:table-cell/>")
                     for c in range(width)]
        shown = ' table:visibility="collapse"' if r in hidden_rows else ""
        xml_rows.append(f"<table:table-row{shown}>{''.join(parts)}</table:table-row>")
    xml_rows.append('<table:table-row table:number-rows-repeated="1048000"><table:table-cell/></table:table-row>')
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
    other = ('<table:table table:name="填写说明"><table:table-row><table:table-cell office:value-type="string">'
             '<text:p>说明: 本表为花名册</text:p></table:table-cell></table:table-row></table:table>') if other_sheet_first else ""
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} office:version="1.2">'
               f"<office:body><office:spreadsheet>{other}<table:table table:name={quoteattr(sheet_name)}>"
               f"{''.join(xml_rows)}</table:table></office:spreadsheet></office:body></office:document-content>")
    return _ods_archive(path, content)


def write_xls(path: Path, rows: Sequence[dict[str, str]], *, headers: Sequence[str] | None = None,
              title_rows: Sequence[str] = (), two_row_header: bool = False, numeric_id_rows: Iterable[int] = (),
              trailing_empty: int = 0, note_rows: Sequence[str] = (), sheet_name: str = "花名册",
              other_sheet_first: bool = False, leading_blank_rows: int = 0, formatted_empty_rows: int = 0,
              merged_columns: Collection[str] = (), first_column: int = 0, hidden_rows: Collection[int] = ()) -> Path:
    """Write an Excel 97–2003 roster (xlwt, BIFF8) laid out by :func:`_workbook_cells`, as
    :func:`write_xlsx` lays it out; ``formatted_empty_rows``: rows of bordered, filled, empty cells at
    the top (BLANK records, which hold no value)."""
    import xlwt

    cols = _headers(rows, headers)
    book = xlwt.Workbook(encoding="utf-8")
    if other_sheet_first:
        book.add_sheet("填写说明").write(0, 0, "说明: 本表为花名册")
    sheet = book.add_sheet(sheet_name)
    bold = xlwt.easyxf("font: bold on; align: horiz center, wrap on")
    filled = xlwt.easyxf("pattern: pattern solid, fore_colour light_yellow; borders: left thin, bottom thin")
    for r in range(formatted_empty_rows):
        for j in range(len(cols)):
            sheet.write(r, j, "", filled)
    for op, *cell in _workbook_cells(rows, cols, cols, first_row=max(leading_blank_rows, formatted_empty_rows),
                                     title_rows=title_rows, two_row_header=two_row_header,
                                     numeric_id_rows=numeric_id_rows, trailing_empty=trailing_empty,
                                     note_rows=note_rows, merged_columns=merged_columns, first_column=first_column):
        if op == "merge":
            r1, c1, r2, c2, text = cell
            sheet.write_merge(r1, r2, c1, c2, text, bold)
        elif op == "header":
            sheet.write(*cell, bold)
        else:
            sheet.write(*cell)
    for r in hidden_rows:
        sheet.row(r).hidden = True
    book.save(str(path))
    return path


def write_workbook_sheets(path: Path, sheets: dict[str, Any], *, kind: str = "xlsx",
                          hidden: Iterable[str] = (), title_rows: Sequence[str] = ()) -> Path:
    """A workbook of several sheets (xlsx by xlsxwriter, or xls by xlwt): each sheet's roster rows (dicts)
    laid out by :func:`_workbook_cells` under ``title_rows``; or a grid (lists of texts: a 汇总 table); or
    a text, in one cell (a 说明 sheet). The sheets named in ``hidden`` are hidden."""
    hidden = set(hidden)
    grids = {name: [[rows]] if isinstance(rows, str) else rows for name, rows in sheets.items()
             if isinstance(rows, str) or (rows and isinstance(rows[0], list))}
    if kind == "ods":
        return _write_ods_sheets(path, sheets, grids, hidden, title_rows)
    if kind == "xls":
        import xlwt

        book = xlwt.Workbook(encoding="utf-8")
        for name, rows in sheets.items():
            sheet = book.add_sheet(name)
            if name in hidden:
                sheet.visibility = 1
            if name in grids:
                for r, cells in enumerate(grids[name]):
                    for c, text in enumerate(cells):
                        sheet.write(r, c, text)
                continue
            cols = _headers(rows, None)
            for _op, *cell in _workbook_cells(rows, cols, cols, first_row=0, title_rows=title_rows,
                                             two_row_header=False, numeric_id_rows=(), trailing_empty=0, note_rows=()):
                sheet.write(cell[0], cell[1], cell[-1])  # a title in its first cell
        book.save(str(path))
        return path
    workbook = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        sheet = workbook.add_worksheet(name)
        if name in hidden:
            sheet.hide()
        if name in grids:
            for r, cells in enumerate(grids[name]):
                sheet.write_row(r, 0, cells)
            continue
        cols = _headers(rows, None)
        for op, *cell in _workbook_cells(rows, cols, cols, first_row=0, title_rows=title_rows, two_row_header=False,
                                         numeric_id_rows=(), trailing_empty=0, note_rows=()):
            if op == "number":
                sheet.write_number(*cell)
            else:
                sheet.write_string(cell[0], cell[1], cell[-1])  # a title in its first cell
    workbook.close()
    return path


def _write_ods_sheets(path: Path, sheets: dict[str, Any], grids: dict[str, list[list[str]]], hidden: set[str],
                      title_rows: Sequence[str]) -> Path:
    """:func:`write_workbook_sheets` as an .ods: a table per sheet, a hidden one styled ``table:display="false"``
    (as LibreOffice writes it)."""
    from xml.sax.saxutils import escape, quoteattr

    def cell(text: str) -> str:
        return f'<table:table-cell office:value-type="string"><text:p>{escape(text)}</text:p></table:table-cell>'

    tables = []
    for name, rows in sheets.items():
        if name in grids:
            grid = grids[name]
        else:
            cols = _headers(rows, None)
            grid = [[t] for t in title_rows] + [list(cols)] + [[row.get(h, "") for h in cols] for row in rows]
        body = "".join(f"<table:table-row>{''.join(cell(t) if t else '<table:table-cell/>' for t in r)}</table:table-row>"
                       for r in grid)
        style = ' table:style-name="hidden"' if name in hidden else ""
        tables.append(f"<table:table table:name={quoteattr(name)}{style}>{body}</table:table>")
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
    styles = ('<office:automatic-styles><style:style style:name="hidden" style:family="table">'
              '<style:table-properties table:display="false"/></style:style></office:automatic-styles>')
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} office:version="1.2">'
               f"{styles}<office:body><office:spreadsheet>{''.join(tables)}</office:spreadsheet></office:body>"
               "</office:document-content>")
    return _ods_archive(path, content)


def _ods_archive(path: Path, content: str) -> Path:
    """An .ods file of ``content.xml`` (the mimetype first and stored, and the manifest)."""
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                "</manifest:manifest>")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)
    return path
