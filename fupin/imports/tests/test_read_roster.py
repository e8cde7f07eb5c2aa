"""Reading roster files: encodings, header detection, merged headers, row numbers, non-data rows."""

from __future__ import annotations

import re
import zipfile

import polars as pl
import pytest
import xlsxwriter

from fupin.imports.pipelines.read_roster import RosterReadError, field_of, normalise_header, read_roster
from fupin.imports.tests import roster_files as rf


@pytest.mark.parametrize(("cell", "field"), [
    ("证件号码", "id_number"), (" 证件\n号码 ", "id_number"), ("身份证号码", "id_number"), ("*姓名", "name"),
    ("距村主干路（公里）", "road_distance_km"), ("耕地面积\u3000(亩)", "arable_mu"), ("工资性收入（元）", "income_wage"),
    ("自然村（组）", "group_name"), ("与户主的关系", "relation"), ("序号", None), ("", None),
])
def test_header_lookup(cell, field):
    assert field_of(cell) == field


def test_normalise_header():
    assert normalise_header("  ＡＢ （元）\u3000\n") == "ab(元)"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings_titles_notes_and_blank_lines(tmp_path, encoding):
    rows = rf.build_roster(2)
    path = rf.write_csv(tmp_path / "r.csv", rows, encoding=encoding, title_rows=["三明市花名册", "", "单位: 元"],
                        trailing_empty=2, note_rows=["填表人: 李四", "审核人", "合计 3 人"], blank_line_rows=[1])
    raw = read_roster(path)
    assert (raw.encoding, raw.header_row) == (encoding, 4)
    assert raw.frame.get_column("_row").to_list() == [5, 7, 8]  # line 6 is the blank line
    assert raw.frame.get_column("name").to_list() == [r["姓名"] for r in rows]
    assert raw.frame.schema["_row"] == pl.Int64


def test_xlsx_two_row_header_leading_blank_rows_and_sheet_choice(tmp_path):
    rows = rf.build_roster(2)
    path = rf.write_xlsx(tmp_path / "r.xlsx", rows, title_rows=["花名册"], two_row_header=True, leading_blank_rows=3,
                         other_sheet_first=True, trailing_empty=4, note_rows=["注: 以上数据已核实"], numeric_id_rows={2})
    raw = read_roster(path)
    assert (raw.encoding, raw.header_row) == ("xlsx", 5)
    assert raw.frame.get_column("_row").to_list() == [7, 8, 9]
    assert raw.frame.get_column("_id_numeric").to_list() == [False, False, True]
    assert raw.frame.get_column("income_wage").to_list() == [r["工资性收入"] for r in rows]
    assert raw.headers["income_wage"] == "工资性收入"
    assert raw.headers["name"] == "姓名"


def test_first_sheet_when_none_is_named_roster(tmp_path):
    path = rf.write_xlsx(tmp_path / "r.xlsx", rf.build_roster(1), sheet_name="Sheet1")
    raw = read_roster(path)
    assert raw.frame.height == 1
    assert raw.header_row == 1


def test_no_header_found(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(RosterReadError, match="找不到表头"):
        read_roster(path)


# Files told apart by content, and files that are not rosters ------------------------------------------------

def test_an_xlsx_under_a_csv_name_and_a_csv_under_an_xlsx_name_are_read_as_what_they_are(tmp_path):
    rows = rf.build_roster(2)
    as_xlsx = read_roster(rf.write_xlsx(tmp_path / "r.xlsx", rows))
    renamed = (tmp_path / "r.xlsx").rename(tmp_path / "花名册.csv")
    raw = read_roster(renamed)
    assert raw.encoding == "xlsx"
    assert raw.frame.equals(as_xlsx.frame)
    csv_path = rf.write_csv(tmp_path / "r.csv", rows, encoding="gb18030")
    raw = read_roster(csv_path.rename(tmp_path / "花名册.xlsx"))
    assert raw.encoding == "gb18030"
    assert raw.frame.get_column("name").to_list() == [r["姓名"] for r in rows]


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("花名册.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000, "the Excel file cannot be read"),
    ("花名册.xls", b"<html><body><table><tr><td>\xe5\xa7\x93\xe5\x90\x8d</td></tr></table></body></html>",
     "web page (HTML)"),
    ("花名册.xls", b"\xef\xbb\xbf<?xml version=\"1.0\"?><Workbook/>", "web page (HTML) or XML"),
    ("花名册.txt", "姓名\t证件号码\n张三\t35040219800101123X\n".encode("utf-16"), "UTF-16"),
    ("花名册.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not an xlsx, xls or CSV file"),
    ("花名册.xlsx", b"PK\x03\x04" + b"\x00" * 40, "the Excel file cannot be read"),
])
def test_a_file_that_is_not_a_roster_is_refused_saying_what_it_is(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(RosterReadError, match=re.escape(reason)):
        read_roster(path)


@pytest.mark.parametrize("layout", [
    {"title_rows": ["花名册"], "two_row_header": True, "leading_blank_rows": 3, "other_sheet_first": True,
     "trailing_empty": 4, "note_rows": ["注: 以上数据已核实"], "numeric_id_rows": {2}},
    {"title_rows": ["三明市花名册", "单位: 元"], "leading_blank_rows": 2, "numeric_id_rows": {0}},
])
def test_an_xls_reads_as_the_same_roster_in_xlsx_does(tmp_path, layout):
    """Excel 97–2003 (written by xlwt): the same rows, row numbers and number-cell IDs as the xlsx of the
    same layout (the ID a number cell holds is rendered by each format's reader, and refused either way)."""
    rows = rf.build_roster(2)
    xls = read_roster(rf.write_xls(tmp_path / "r.xls", rows, **layout))
    xlsx = read_roster(rf.write_xlsx(tmp_path / "r.xlsx", rows, **layout))
    assert (xls.encoding, xls.header_row) == ("xls", xlsx.header_row)
    assert xls.frame.get_column("_row").to_list() == xlsx.frame.get_column("_row").to_list()
    numeric = xls.frame.get_column("_id_numeric")
    assert numeric.to_list() == xlsx.frame.get_column("_id_numeric").to_list()
    assert numeric.sum() == 1
    plain = pl.col("_id_numeric").not_()
    assert xls.frame.filter(plain).equals(xlsx.frame.filter(plain))
    assert xls.headers == xlsx.headers


@pytest.mark.parametrize("layout", [
    {"title_rows": ["花名册"], "two_row_header": True, "leading_blank_rows": 3, "other_sheet_first": True,
     "trailing_empty": 4, "note_rows": ["注: 以上数据已核实"], "numeric_id_rows": {2}},
    {"title_rows": ["三明市花名册", "单位: 元"], "leading_blank_rows": 2, "numeric_id_rows": {0}},
])
def test_an_ods_reads_as_the_same_roster_in_xlsx_does(tmp_path, layout):
    """OpenDocument (LibreOffice, WPS "ODF 表格"): the same rows, row numbers and number-cell IDs as the
    xlsx of the same layout, whatever the file is called."""
    rows = rf.build_roster(2)
    ods = read_roster(rf.write_ods(tmp_path / "r.xlsx", rows, **layout))  # named like an xlsx: read as ods
    xlsx = read_roster(rf.write_xlsx(tmp_path / "r2.xlsx", rows, **layout))
    assert (ods.encoding, ods.header_row) == ("ods", xlsx.header_row)
    assert ods.frame.get_column("_row").to_list() == xlsx.frame.get_column("_row").to_list()
    numeric = ods.frame.get_column("_id_numeric")
    assert numeric.to_list() == xlsx.frame.get_column("_id_numeric").to_list()
    assert numeric.sum() == 1
    plain = pl.col("_id_numeric").not_()
    assert ods.frame.filter(plain).equals(xlsx.frame.filter(plain))
    assert ods.headers == xlsx.headers


def test_ods_rows_start_at_the_first_value_not_at_formatted_empty_cells(tmp_path):
    from fupin.imports.pipelines import ods_rows

    rows = rf.build_roster(1)
    path = rf.write_ods(tmp_path / "r.ods", rows, title_rows=["花名册"], formatted_empty_rows=3, leading_blank_rows=1)
    raw = read_roster(path)
    assert (raw.encoding, raw.header_row) == ("ods", 6)
    assert raw.frame.get_column("_row").to_list() == list(range(7, 7 + len(rows)))
    assert ods_rows.first_row(path, "花名册") == 5
    assert ods_rows.first_row(path, "no such sheet") is None


def test_an_odf_text_document_is_refused_and_an_ods_without_row_numbers_too(tmp_path, monkeypatch):
    from fupin.imports.pipelines import ods_rows

    text = tmp_path / "花名册.odt"
    with zipfile.ZipFile(text, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<x/>")
    with pytest.raises(RosterReadError, match="这是OpenDocument文本或演示文档,不是表格"):
        read_roster(text)
    path = rf.write_ods(tmp_path / "r.ods", rf.build_roster(1))
    monkeypatch.setattr(ods_rows, "first_row", lambda *_: None)
    with pytest.raises(RosterReadError, match=r"无法确定该\.ods文件的行号"):
        read_roster(path)


def test_xls_rows_start_at_the_first_value_not_at_formatted_empty_cells(tmp_path):
    """Bordered, filled, empty cells (BLANK records) above the title are not rows the reader returns;
    the row numbers still count them."""
    rows = rf.build_roster(1)
    path = rf.write_xls(tmp_path / "r.xls", rows, title_rows=["花名册"], formatted_empty_rows=3)
    raw = read_roster(path)
    assert (raw.encoding, raw.header_row) == ("xls", 5)
    assert raw.frame.get_column("_row").to_list() == list(range(6, 6 + len(rows)))


def test_an_xls_whose_row_numbers_cannot_be_told_is_refused(tmp_path, monkeypatch):
    """When the sheet's records and the grid do not agree on the rows, no row number is trusted."""
    from fupin.imports.pipelines import xls_rows

    path = rf.write_xls(tmp_path / "r.xls", rf.build_roster(1), title_rows=["花名册"])
    assert xls_rows.used_rows(path, "花名册") is not None
    monkeypatch.setattr(xls_rows, "sheet_cells", lambda p, name: xls_rows.SheetCells(1, 2, 0, []))
    with pytest.raises(RosterReadError, match=re.escape("无法确定该.xls文件的行号")):
        read_roster(path)


def test_a_zip_that_is_not_a_workbook_is_refused_with_the_readers_detail(tmp_path):
    path = tmp_path / "r.xlsx"
    with zipfile.ZipFile(path, "w") as zf:  # a Word document (.docx) renamed
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(RosterReadError, match=r"the Excel file cannot be read: .*\(calamine error"):
        read_roster(path)


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_a_csv_with_lines_ended_by_cr_alone_is_read(tmp_path, encoding):
    """Old Mac "CSV (Macintosh)": every line ends in CR; rows and row numbers as for CRLF."""
    rows = rf.build_roster(2)
    crlf = rf.write_csv(tmp_path / "crlf.csv", rows, encoding=encoding, title_rows=["花名册"])
    cr = tmp_path / "cr.csv"
    cr.write_bytes(crlf.read_bytes().replace(b"\r\n", b"\r").replace(b"\n", b"\r"))
    assert b"\n" not in cr.read_bytes()
    raw, expected = read_roster(cr), read_roster(crlf)
    assert (raw.encoding, raw.header_row) == (encoding, 2)
    assert raw.frame.equals(expected.frame)


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8"])
def test_tab_delimited_text_is_read_as_the_same_roster(tmp_path, encoding):
    """Excel's and WPS's 文本文件(制表符分隔) (.txt, the ANSI code page: GBK on Chinese Windows): the same
    rows as the comma CSV; a comma CSV with a tab inside a quoted cell stays a comma CSV."""
    rows = rf.build_roster(3)
    rows[1] = dict(rows[1], **{"自然村(组)": "三组,四组"})  # a comma inside a tab-delimited cell
    comma = rf.write_csv(tmp_path / "r.csv", rows, encoding=encoding, title_rows=["明溪县花名册"])
    tab = rf.write_csv(tmp_path / "r.txt", rows, encoding=encoding, title_rows=["明溪县花名册"], delimiter="\t")
    assert b"\t" in tab.read_bytes()
    raw, expected = read_roster(tab), read_roster(comma)
    assert (raw.encoding, raw.header_row) == (encoding, 2)
    assert raw.frame.equals(expected.frame)
    assert "三组,四组" in raw.frame.get_column("group_name").to_list()
    rows[0] = dict(rows[0], 姓名="张\t三")
    with_tab = read_roster(rf.write_csv(tmp_path / "t.csv", rows, encoding=encoding))
    assert with_tab.frame.get_column("name").to_list()[0] == "张\t三"


def test_a_csv_the_csv_reader_cannot_split_is_refused_plainly(tmp_path):
    """A stray CR inside an unquoted field of a CRLF file: the header scan cannot split it."""
    path = tmp_path / "r.csv"
    path.write_bytes("户编号,姓名,证件号码,与户主关系\r\nH1,张\r三,35040219800101123X,户主\r\n".encode())
    with pytest.raises(RosterReadError, match=r"^CSV文件格式有误 / the CSV file is malformed: new-line character"):
        read_roster(path)


def test_header_below_row_30_is_not_found(tmp_path):
    path = rf.write_csv(tmp_path / "r.csv", rf.build_roster(1), title_rows=["x"] * 30)
    with pytest.raises(RosterReadError):
        read_roster(path)


def test_xlsx_header_with_full_width_and_line_breaks(tmp_path):
    path = tmp_path / "r.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("花名册")
    for j, h in enumerate(["户 编 号", "姓\n名", "身份证号码", "与户主关系", "其它列"]):
        sheet.write_string(0, j, h)
    for j, v in enumerate(["H1", "张三", rf.build_roster(1)[0]["证件号码"], "户主", "x"]):
        sheet.write_string(1, j, v)
    workbook.close()
    raw = read_roster(path)
    assert raw.unknown_headers == ["其它列"]
    assert raw.frame.select("household_number", "name", "relation").rows() == [("H1", "张三", "户主")]


def test_column_letters():
    from fupin.imports.pipelines.read_roster import column_letters  # re-exported from fupin.core.xlsx_sheet

    assert [column_letters(i) for i in (0, 25, 26, 47, 51, 52, 701, 702)] == \
        ["A", "Z", "AA", "AV", "AZ", "BA", "ZZ", "AAA"]


def test_number_cells_from_the_sheet_xml_agree_with_a_second_fastexcel_load(tmp_path, monkeypatch):
    """The streamed XML scan and the fallback (the column loaded again as ``boolean``) mark the same rows."""
    from fupin.imports.pipelines import read_roster as module

    rows = rf.build_roster(5)
    path = rf.write_xlsx(tmp_path / "r.xlsx", rows, title_rows=["标题"], numeric_id_rows={0, 3, 4},
                         leading_blank_rows=1, trailing_empty=2)
    by_xml = module.read_roster(path).frame
    assert by_xml.get_column("_id_numeric").sum() == 3
    monkeypatch.setattr(module, "xlsx_scan", lambda *args: None)
    by_fastexcel = module.read_roster(path).frame
    assert by_xml.select("_row", "_id_numeric").equals(by_fastexcel.select("_row", "_id_numeric"))


def test_header_read_from_the_sheet_xml_matches_the_parsed_sheet(tmp_path, monkeypatch):
    """The early scan (header from the XML and shared strings) finds the column the parsed header
    names, so the ID column's number cells are scanned once, beside the parse."""
    from fupin.imports.pipelines import read_roster as module

    rows = rf.build_roster(4)
    path = rf.write_xlsx(tmp_path / "r.xlsx", rows, title_rows=["三明市 <花名册> & 汇总"], two_row_header=True,
                         leading_blank_rows=2, other_sheet_first=True, numeric_id_rows={1})
    reader = module.fastexcel.read_excel(path)
    index = module._sheet_index(reader)
    grid = reader.load_sheet(index, header_row=None, dtypes="string").to_polars()
    parsed = module._find_header([list(r) for r in grid.head(module.HEADER_SCAN_ROWS).iter_rows()])
    from_xml = module._find_header(module.xlsx_header_rows(path, index))
    assert from_xml == parsed
    assert module.xlsx_header_rows(path, index)[0][0] == "三明市 <花名册> & 汇总"
    scans = []
    real = module.xlsx_scan
    monkeypatch.setattr(module, "xlsx_scan", lambda *a: scans.append(a) or real(*a))
    raw = module.read_roster(path)
    assert len(scans) == 1  # one pass: the number cells and the merged ranges
    assert raw.frame.get_column("_id_numeric").arg_true().to_list() == [1]


def test_a_wrong_early_guess_is_not_used(tmp_path, monkeypatch):
    from fupin.imports.pipelines import read_roster as module

    path = rf.write_xlsx(tmp_path / "r.xlsx", rf.build_roster(3), numeric_id_rows={2})
    monkeypatch.setattr(module, "_early_id_scan", lambda *a: (0, {1, 2, 3, 4}))  # column A, every row
    assert module.read_roster(path).frame.get_column("_id_numeric").arg_true().to_list() == [2]


def test_header_rows_beyond_the_first_block_of_the_sheet_xml(tmp_path):
    """The sheet XML is read a block at a time (:data:`read_roster.HEADER_XML_FIRST_BYTES`): nine long note rows
    (inline strings, 810 kB) above the header push it past the first block; it is found in the second."""
    import xlsxwriter

    from fupin.imports.pipelines import read_roster as module

    rows = rf.build_roster(2)
    path = tmp_path / "long-notes.xlsx"
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})  # inline strings, row by row
    sheet = book.add_worksheet("花名册")
    for r in range(9):
        sheet.write_string(r, 0, f"填表说明{r}:" + "此处说明很长" * 5000)
    cols = list(rows[0])
    sheet.write_row(9, 0, cols)
    for i, row in enumerate(rows, start=10):
        sheet.write_row(i, 0, [row[c] for c in cols])
    book.close()
    assert module.HEADER_XML_FIRST_BYTES < 9 * 90_000
    found = module.xlsx_header_rows(path, 0)
    assert found is not None and found[9][:3] == cols[:3]
    assert module._find_header(found)[0] == 9
    assert read_roster(path).frame.height == len(rows)
