"""Test helper: what a workbook's first sheet offers its user as Excel would read it — each column's
prompt and drop-down, the drop-down's values followed through the workbook name to the cells it names."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree

import fastexcel

from fupin.core.xlsx_sheet import MAX_ROWS, column_letters

M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


@dataclass(frozen=True)
class Help:
    title: str | None
    prompt: str | None
    kind: str | None  # "list" or None (a prompt only)
    error_style: str | None
    values: tuple[str, ...] | None  # the drop-down's values


@dataclass(frozen=True)
class WorkbookHelp:
    by_header: dict[str, Help]
    hidden_sheets: list[str]
    sheet_names: list[str]


def _column_index(letters: str) -> int:
    return next(i for i in range(16384) if column_letters(i) == letters)


def workbook_help(data: bytes) -> WorkbookHelp:
    """The data validations of the first sheet by the header of their column (row 1); each must cover
    the column's every data row, and a list's values are read from the range its name refers to."""
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    names = {d.get("name"): (d.text or "").lstrip("=") for d in workbook.iter(f"{M}definedName")}
    sheets = list(workbook.iter(f"{M}sheet"))
    reader = fastexcel.read_excel(data)
    headers = reader.load_sheet(0, header_row=None, dtypes="string", n_rows=1).to_polars().row(0)
    found: dict[str, Help] = {}
    for item in sheet.iter(f"{M}dataValidation"):
        match = re.fullmatch(rf"(?P<c>[A-Z]+)2:(?P=c){MAX_ROWS}", item.get("sqref", ""))
        assert match, f"a validation not over every data row: {item.get('sqref')}"
        values = None
        if item.get("type") == "list":
            formula = item.find(f"{M}formula1")
            assert formula is not None and formula.text in names, "a drop-down whose name is not defined"
            where, cells = names[formula.text].rsplit("!", 1)
            ref = re.fullmatch(r"\$([A-Z]+)\$(\d+):\$\1\$(\d+)", cells)
            assert ref, cells
            grid = reader.load_sheet(where.strip("'").replace("''", "'"), header_row=None,
                                     dtypes="string").to_polars()
            column = grid.get_column(grid.columns[_column_index(ref.group(1))])
            values = tuple(column.slice(int(ref.group(2)) - 1, int(ref.group(3)) - int(ref.group(2)) + 1).to_list())
        found[headers[_column_index(match.group(1))]] = Help(
            title=item.get("promptTitle"), prompt=item.get("prompt"), kind=item.get("type"),
            error_style=item.get("errorStyle"), values=values)
    return WorkbookHelp(by_header=found, hidden_sheets=[s.get("name") for s in sheets if s.get("state") == "hidden"],
                        sheet_names=[s.get("name") for s in sheets])
