"""Merged data cells (合并单元格) in an xlsx roster: a printed roster merges 户编号, 行政村 and the other household
columns over the household's rows. The sheet shows the value in every row; fastexcel gives it in the first row
only, and the other rows of the household were rejected (户编号 missing). They are filled down
(:func:`read_roster.filled_merges`, from the sheet XML's ``<mergeCells>``)."""

from __future__ import annotations

from itertools import groupby
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from fupin.imports import roster
from fupin.imports.pipelines import read_roster as module
from fupin.imports.pipelines.read_roster import read_roster
from fupin.imports.tests import roster_files as rf

HOUSEHOLD_HEADERS = {c.header for c in roster.COLUMNS if c.level in (roster.HOUSEHOLD, roster.LOCATION)}


def write_merged(path: Path, rows: list[dict[str, str]], *, note: str = "") -> Path:
    """A roster whose household and location columns are merged over each household's rows (a title merged
    across the table above the header; a note merged across the table below)."""
    cols = list(rows[0])
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("花名册")
    sheet.merge_range(0, 0, 0, len(cols) - 1, "某县建档立卡贫困人口花名册")
    sheet.write_row(1, 0, cols)
    r = 2
    for _number, members in groupby(rows, key=lambda row: row["户编号"]):
        members = list(members)
        for j, h in enumerate(cols):
            if h in HOUSEHOLD_HEADERS and len(members) > 1:
                sheet.merge_range(r, j, r + len(members) - 1, j, members[0][h])
            else:
                for i, member in enumerate(members):
                    sheet.write_string(r + i, j, member[h])
        r += len(members)
    if note:
        sheet.merge_range(r, 0, r, 5, note)
    book.close()
    return path


def test_household_columns_merged_over_the_members_rows_are_filled_down(tmp_path):
    rows = rf.build_roster(6, sizes=(3, 1, 4))
    path = write_merged(tmp_path / "merged.xlsx", rows, note="填表人:张三")
    raw = read_roster(path)
    assert raw.frame.height == len(rows)  # the note row is still a note, not data
    assert raw.frame.get_column("_row").to_list() == list(range(3, 3 + len(rows)))
    for field in ("household_number", "village_code", "category", "income_wage"):
        header = roster.BY_FIELD[field].header
        assert raw.frame.get_column(field).to_list() == [row[header] for row in rows], field
    # the same file unmerged reads the same (an empty cell is empty either way)
    plain = read_roster(rf.write_xlsx(tmp_path / "plain.xlsx", rows, title_rows=["某县建档立卡贫困人口花名册"]))
    columns = [c for c in raw.frame.columns if c != "_id_numeric"]

    def cells(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.select(pl.col(c).cast(pl.Utf8).replace("", None) for c in columns)

    assert cells(raw.frame).equals(cells(plain.frame))


def test_merged_cells_found_in_the_same_pass_as_the_number_cells(tmp_path, monkeypatch):
    """A large file's early scan (a helper thread, beside fastexcel) finds both; a file without an ID
    column gets one pass for the merged ranges alone."""
    rows = rf.build_roster(4, sizes=(2,))
    monkeypatch.setattr(module, "SMALL_XLSX_BYTES", 0)  # take the large file's way
    scans = []
    real = module.xlsx_scan
    monkeypatch.setattr(module, "xlsx_scan", lambda *a: scans.append(a) or real(*a))
    raw = read_roster(write_merged(tmp_path / "m.xlsx", rows))
    assert len(scans) == 1 and scans[0][2] is not None
    assert raw.frame.get_column("household_number").null_count() == 0
    scans.clear()
    monkeypatch.setattr(module, "SMALL_XLSX_BYTES", 1 << 30)
    no_ids = [{k: v for k, v in row.items() if k != "证件号码"} for row in rows]
    raw = read_roster(write_merged(tmp_path / "n.xlsx", no_ids))
    assert [a[2] for a in scans] == [None]
    assert raw.frame.get_column("household_number").to_list() == [row["户编号"] for row in rows]


def test_only_a_range_down_the_data_rows_is_filled():
    grid = pl.DataFrame({"c0": ["标题", "户编号", "A", None, None, "B"], "c1": ["x", "姓名", "n1", "n2", "n3", None],
                         "c2": [None, "说明", "wide", None, None, None]})
    merges = [(0, 1, 1),  # the title, above the data: the header's own
              (0, 3, 5),  # 户编号 "A" over three rows (sheet rows 3–5)
              (2, 3, 3),  # one row across columns: nothing to fill
              (1, 5, 9)]  # past the grid's end: cut at the last row
    out = module.filled_merges(grid, merges, first=1, data_from=3)
    assert out.get_column("c0").to_list() == ["标题", "户编号", "A", "A", "A", "B"]
    assert out.get_column("c1").to_list() == ["x", "姓名", "n1", "n2", "n3", "n3"]
    assert out.get_column("c2").to_list() == grid.get_column("c2").to_list()


@pytest.mark.django_db
def test_a_merged_roster_imports_every_member(tmp_path, make_user):
    from fupin.imports import services
    from fupin.imports.choices import BatchStatus
    from fupin.imports.tests.test_views import household_rows
    from fupin.registry.models import Household, Member
    from fupin.testing import MINGXI, first_village

    village = first_village(MINGXI)
    rows = household_rows(village, f"{village}43001", members=3) + household_rows(village, f"{village}43002", 2)
    content = write_merged(tmp_path / "合并.xlsx", rows).read_bytes()
    officer = make_user("county", MINGXI)
    batch = services.land_file(actor=officer, file_name="合并单元格花名册.xlsx", content=content, region_code=MINGXI,
                               source="test")
    batch = services.validate_batch(batch.pk, actor=officer)
    assert batch.status == BatchStatus.REVIEW, batch.error
    assert (batch.rows_read, batch.rows_imported, batch.rows_rejected, batch.households_new) == (5, 5, 0, 2), \
        list(batch.rejections.values_list("row_number", "column", "reason"))
    services.merge_batch(actor=officer, batch_id=batch.pk)
    assert sorted(Household.objects.values_list("size", flat=True)) == [2, 3]
    assert Member.objects.count() == 5


def test_a_roster_that_starts_right_of_column_a(tmp_path):
    """fastexcel's grid leaves out the empty columns left of the table; the sheet XML names columns from A.
    A roster starting at column C: merged ranges and number-cell IDs are found in the right columns (the ID
    column's number cells were looked for two columns off before)."""
    rows = rf.build_roster(3, sizes=(2,))
    cols = list(rows[0])
    path = tmp_path / "offset.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("花名册")
    sheet.write_row(1, 2, cols)
    id_at = cols.index("证件号码")
    for h, (_number, members) in enumerate(groupby(rows, key=lambda row: row["户编号"])):
        members = list(members)
        r = 2 + 2 * h
        for j, header in enumerate(cols):
            if header in HOUSEHOLD_HEADERS:
                sheet.merge_range(r, 2 + j, r + 1, 2 + j, members[0][header])
            else:
                for i, member in enumerate(members):
                    if j == id_at and h == 1 and i == 0:
                        sheet.write_number(r + i, 2 + j, float(member[header].rstrip("X")))  # Excel's damage
                    else:
                        sheet.write_string(r + i, 2 + j, member[header])
    book.close()
    raw = read_roster(path)
    assert raw.frame.get_column("household_number").to_list() == [row["户编号"] for row in rows]
    assert raw.frame.get_column("name").to_list() == [row["姓名"] for row in rows]  # no value overwritten
    assert raw.frame.get_column("_id_numeric").arg_true().to_list() == [2]
    assert module.grid_column_offset(path, 0, module.fastexcel.read_excel(path).load_sheet(
        0, header_row=None, dtypes="string").to_polars()) == 2
