"""Row numbers of Excel 97–2003 sheets (fupin.imports.pipelines.xls_rows), against what fastexcel reads."""

from __future__ import annotations

import struct

import fastexcel
import pytest

from fupin.imports.pipelines import xls_rows


def _book(path, sheets):
    """Write an .xls with xlwt: ``sheets`` maps a sheet name to ``{(row, col): value}`` (None: a formatted
    empty cell)."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    filled = xlwt.easyxf("pattern: pattern solid, fore_colour light_yellow")
    for name, cells in sheets.items():
        sheet = book.add_sheet(name)
        for (row, col), value in cells.items():
            sheet.write(row, col, "" if value is None else value, filled if value is None else xlwt.Style.default_style)
    book.save(str(path))
    return path


def _grid_height(path, index):
    return fastexcel.read_excel(path).load_sheet(index, header_row=None).height


def test_rows_are_those_holding_values_in_the_named_sheet(tmp_path):
    path = _book(tmp_path / "b.xls", {
        "Sheet1": {(0, 0): "x"},
        "花名册": {(0, 0): None, (1, 5): None, (3, 2): "标题", (4, 0): 1.5, (9, 1): "末行", (12, 3): None},
        "Sheet 3 (说明)": {(7, 7): True},
    })
    assert xls_rows.used_rows(path, "Sheet1") == (1, 1)
    assert xls_rows.used_rows(path, "花名册") == (4, 10)  # the formatted empty cells of rows 1, 2 and 13 hold nothing
    assert _grid_height(path, 1) == 10 - 4 + 1
    assert xls_rows.used_rows(path, "Sheet 3 (说明)") == (8, 8)
    assert xls_rows.used_rows(path, "没有这张表") is None


def test_a_workbook_large_enough_for_a_second_level_sector_table(tmp_path):
    """Over 109 FAT sectors (~7 MB): the header's DIFAT list continues in DIFAT sectors. (Numbers
    that are not RK-compact take an 18-byte NUMBER record each.)"""
    cells = {(r, c): r + (c + 1) / 7 for r in range(2, 17_002) for c in range(24)}
    path = _book(tmp_path / "big.xls", {"花名册": cells})
    data = path.read_bytes()
    assert struct.unpack_from("<I", data, 0x48)[0] > 0  # DIFAT sectors in use
    assert xls_rows.used_rows(path, "花名册") == (3, 17_002)
    assert _grid_height(path, 0) == 17_000


@pytest.mark.parametrize("damage", ["cut", "not_ole2", "empty_sheet"])
def test_what_cannot_be_told_is_none(tmp_path, damage):
    path = _book(tmp_path / "b.xls", {"花名册": {(2, 0): "a", (5, 1): "b"}, "空": {(0, 0): None}})
    if damage == "cut":
        path.write_bytes(path.read_bytes()[:3000])
    elif damage == "not_ole2":
        path.write_bytes(b"PK\x03\x04" + path.read_bytes()[4:])
    name = "空" if damage == "empty_sheet" else "花名册"
    assert xls_rows.used_rows(path, name) is None
