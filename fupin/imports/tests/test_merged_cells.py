"""Merged data cells (合并单元格) in a workbook roster (xlsx, xls, ods): a printed roster merges 户编号, 行政村 and the
other household columns over the household's rows. The sheet shows the value in every row; fastexcel gives it in
the first row only, and the other rows of the household were rejected (户编号 missing). They are filled down
(:func:`read_roster.filled_merges`; the ranges from the sheet XML's ``<mergeCells>``, the xls ``MERGEDCELLS``
records, the ods cells' ``number-rows-spanned``)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from fupin.imports import roster
from fupin.imports.pipelines import ods_rows, xls_rows
from fupin.imports.pipelines import read_roster as module
from fupin.imports.pipelines.read_roster import read_roster
from fupin.imports.tests import roster_files as rf

HOUSEHOLD_HEADERS = {c.header for c in roster.COLUMNS if c.level in (roster.HOUSEHOLD, roster.LOCATION)}
TITLE = "某县建档立卡贫困人口花名册"
KINDS = ("xlsx", "xls", "ods")
WRITERS = {"xlsx": rf.write_xlsx, "xls": rf.write_xls, "ods": rf.write_ods}


def write_merged(path: Path, rows: list[dict[str, str]], **options) -> Path:
    """A roster (of the kind its name ends in) whose household and location columns are merged over each
    household's rows, under a title merged across the table."""
    return WRITERS[path.suffix[1:]](path, rows, title_rows=[TITLE], merged_columns=HOUSEHOLD_HEADERS, **options)


def cells(frame: pl.DataFrame) -> pl.DataFrame:
    """A read roster's cells, an empty cell and a missing one alike."""
    return frame.select(pl.col(c).cast(pl.Utf8).replace("", None) for c in frame.columns if c != "_id_numeric")


@pytest.mark.parametrize("kind", KINDS)
def test_household_columns_merged_over_the_members_rows_are_filled_down(tmp_path, kind):
    rows = rf.build_roster(6, sizes=(3, 1, 4))
    path = write_merged(tmp_path / f"merged.{kind}", rows, note_rows=["填表人:张三"])
    raw = read_roster(path)
    assert raw.frame.height == len(rows)  # the note row is still a note, not data
    assert raw.frame.get_column("_row").to_list() == list(range(3, 3 + len(rows)))
    for field in ("household_number", "village_code", "category", "income_wage"):
        header = roster.BY_FIELD[field].header
        assert raw.frame.get_column(field).to_list() == [row[header] for row in rows], field
    # the same file unmerged reads the same (an empty cell is empty either way)
    plain = read_roster(WRITERS[kind](tmp_path / f"plain.{kind}", rows, title_rows=[TITLE], note_rows=["填表人:张三"]))
    assert cells(raw.frame).equals(cells(plain.frame))


@pytest.mark.parametrize("kind", KINDS)
def test_a_roster_that_starts_right_of_column_a(tmp_path, kind):
    """fastexcel's grid leaves out the empty columns left of the table; the sheet (XML or records) numbers
    columns from A. A roster starting at column C: the merged ranges are filled in the right columns, and an ID
    stored as a number is found (in xlsx its number cells were looked for two columns off before)."""
    rows = rf.build_roster(3, sizes=(2,))
    path = write_merged(tmp_path / f"offset.{kind}", rows, first_column=2, numeric_id_rows=[2])
    raw = read_roster(path)
    assert raw.frame.get_column("household_number").to_list() == [row["户编号"] for row in rows]
    assert raw.frame.get_column("village_code").to_list() == [row["行政区划代码"] for row in rows]
    assert raw.frame.get_column("name").to_list() == [row["姓名"] for row in rows]  # no value overwritten
    assert raw.frame.get_column("_id_numeric").arg_true().to_list() == [2]
    plain = read_roster(WRITERS[kind](tmp_path / f"plain.{kind}", rows, title_rows=[TITLE], numeric_id_rows=[2]))
    assert cells(raw.frame).equals(cells(plain.frame))
    if kind == "xlsx":
        assert module.grid_column_offset(path, 0, module.fastexcel.read_excel(path).load_sheet(
            0, header_row=None, dtypes="string").to_polars()) == 2
    elif kind == "xls":
        assert xls_rows.sheet_cells(path, "花名册").first_column == 2
    else:
        grid = module._open_workbook(path, "ods").load_sheet(0, header_row=None, dtypes="string").to_polars()
        assert module.ods_column_offset(path, "花名册", grid) == 2


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
    raw = read_roster(write_merged(tmp_path / "n.xlsx", no_ids, headers=list(no_ids[0])))
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


def test_an_ods_without_a_cell_merged_down_is_not_scanned_for_ranges(tmp_path, monkeypatch):
    """Most rosters have no merged data cells: an ods whose XML holds no ``number-rows-spanned`` above 1 (its
    title spans columns only) is not scanned row by row."""
    rows = rf.build_roster(3, sizes=(2,))
    plain = rf.write_ods(tmp_path / "plain.ods", rows, title_rows=[TITLE])  # the title spans columns only

    def no_parse(*_args, **_kwargs):
        raise AssertionError("parsed")

    monkeypatch.setattr(ods_rows, "_SpanScan", no_parse)
    assert ods_rows.sheet_layout(plain, "花名册") == ods_rows.SheetLayout()
    with pytest.raises(AssertionError, match="parsed"):
        ods_rows.sheet_layout(write_merged(tmp_path / "m.ods", rows), "花名册")


def test_xls_merged_ranges_from_the_records(tmp_path):
    rows = rf.build_roster(3, sizes=(3, 1))
    path = write_merged(tmp_path / "m.xls", rows, first_column=1)
    cells = xls_rows.sheet_cells(path, "花名册")
    assert cells is not None and (cells.first_row, cells.last_row, cells.first_column) == (1, 2 + len(rows), 1)
    spans = {(top, bottom) for _column, top, bottom in cells.merges}
    assert spans == {(3, 5), (7, 9)}  # the households of 3 members (rows 3–5 and 7–9); the title spans one row
    assert {column for column, _top, _bottom in cells.merges} == {
        1 + list(rows[0]).index(h) for h in HOUSEHOLD_HEADERS if h in rows[0]}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS)
def test_a_merged_roster_imports_every_member(tmp_path, make_user, kind):
    from fupin.imports import services
    from fupin.imports.choices import BatchStatus
    from fupin.imports.tests.test_views import household_rows
    from fupin.registry.models import Household, Member
    from fupin.testing import MINGXI, first_village

    village = first_village(MINGXI)
    rows = household_rows(village, f"{village}43001", members=3) + household_rows(village, f"{village}43002", 2)
    content = write_merged(tmp_path / f"合并.{kind}", rows).read_bytes()
    officer = make_user("county", MINGXI)
    batch = services.land_file(actor=officer, file_name=f"合并单元格花名册.{kind}", content=content, region_code=MINGXI,
                               source="test")
    batch = services.validate_batch(batch.pk, actor=officer)
    assert batch.status == BatchStatus.REVIEW, batch.error
    assert (batch.rows_read, batch.rows_imported, batch.rows_rejected, batch.households_new) == (5, 5, 0, 2), \
        list(batch.rejections.values_list("row_number", "column", "reason"))
    services.merge_batch(actor=officer, batch_id=batch.pk)
    assert sorted(Household.objects.values_list("size", flat=True)) == [2, 3]
    assert Member.objects.count() == 5


def test_the_ods_scan_does_not_depend_on_where_its_chunks_end(tmp_path, monkeypatch):
    """The XML is scanned a chunk at a time; rows and tags cut by a chunk's end are carried to the next. Chunks of
    a few hundred bytes find the same ranges and hidden rows as one chunk for the whole file."""
    rows = rf.build_roster(12, sizes=(3, 1, 2))
    path = write_merged(tmp_path / "m.ods", rows, first_column=1, hidden_rows=[3, 8, 9])
    whole = ods_rows.sheet_layout(path, "花名册")
    assert whole is not None and len(whole.merges) > 10 and whole.hidden == {4, 9, 10}
    for size in (97, 256, 1000):
        monkeypatch.setattr(ods_rows, "SCAN_CHUNK", size)
        assert ods_rows.sheet_layout(path, "花名册") == whole, size
