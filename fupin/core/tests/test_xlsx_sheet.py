"""The column-work xlsx writer: what it writes reads back exactly (fastexcel, the import's own reader),
every part is well-formed XML, and the limits hold."""

from __future__ import annotations

import io
import zipfile
from xml.etree import ElementTree

import fastexcel
import polars as pl
import pytest

from fupin.core import xlsx_sheet
from fupin.core.xlsx_sheet import TooManyRows, column_letters, write_xlsx, xlsx_bytes

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def read_back(data: bytes) -> pl.DataFrame:
    return fastexcel.read_excel(data).load_sheet(0, dtypes="string").to_polars()


def sheet_xml(data: bytes) -> ElementTree.Element:
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))


def test_column_letters() -> None:
    assert [column_letters(i) for i in (0, 1, 25, 26, 27, 51, 52, 701, 702, 16383)] == [
        "A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA", "XFD"]


def test_text_reads_back_exactly() -> None:
    frame = pl.DataFrame({
        "姓名": ["张三", "R&D <组>", "a>b", "李 四", None],
        "证件号码": ["35042119800101001X", "350421198001010028", "", "000123", "3.50402E+17"],
        "备注": ["_x0041_ literal", "tab\there", "line\nbreak", "  edge  ", "=SUM(A1)"],
    })
    back = read_back(xlsx_bytes(frame, sheet="花名册"))
    assert back.columns == frame.columns
    # Empty and null are both no cell; leading zeros, formulas and ID-like numbers stay text.
    assert back.fill_null("").equals(frame.fill_null(""))


def test_controls_xml_cannot_hold_are_dropped() -> None:
    frame = pl.DataFrame({"名": ["a\x00b\x07c", "ok"]})
    data = xlsx_bytes(frame)
    sheet_xml(data)  # well-formed
    assert read_back(data)["名"].to_list() == ["abc", "ok"]


def test_integers_are_numbers_and_text_is_text() -> None:
    frame = pl.DataFrame({"行号": [2, 10, None], "原因": ["证件号码校验位错误", "x", "y"]})
    data = xlsx_bytes(frame, sheet="错误行")
    cells = sheet_xml(data).findall(".//m:sheetData/m:row", NS)
    second = {c.get("r"): c for c in cells[1].findall("m:c", NS)}
    assert second["A2"].get("t") is None and second["A2"].find("m:v", NS).text == "2"
    assert second["B2"].get("t") == "inlineStr"
    assert [c.get("r") for c in cells[3].findall("m:c", NS)] == ["B4"]  # the null integer writes no cell
    assert fastexcel.read_excel(data).load_sheet(0).to_polars()["行号"].to_list() == [2, 10, None]


def test_every_part_is_well_formed_and_the_header_is_bold_and_frozen() -> None:
    frame = pl.DataFrame({"所在地": ["福建省三明市"], "户编号": ["H1"]})
    data = xlsx_bytes(frame, sheet="a[b]:c*d?e/f\\g" + "x" * 40)
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        assert book.testzip() is None
        parts = book.namelist()
        for name in parts:
            ElementTree.fromstring(book.read(name))
        workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    assert {"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/styles.xml",
            "xl/_rels/workbook.xml.rels", "xl/worksheets/sheet1.xml"} <= set(parts)
    name = workbook.find(".//m:sheet", NS).get("name")
    assert name == ("a_b__c_d_e_f_g" + "x" * 40)[:31]
    sheet = sheet_xml(data)
    assert sheet.find(".//m:pane", NS).get("state") == "frozen"
    assert sheet.find("m:dimension", NS).get("ref") == "A1:B2"
    header = sheet.findall(".//m:row", NS)[0].findall("m:c", NS)
    assert [c.get("s") for c in header] == ["1", "1"]
    widths = [float(c.get("width")) for c in sheet.findall(".//m:col", NS)]
    assert widths == [14.0, 8.0]  # 6 CJK characters shown as 12, plus 2; 户编号 as 6, plus 2


def test_many_blocks_keep_row_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx_sheet, "BLOCK_ROWS", 7)
    frame = pl.DataFrame({"序号": [f"{i:05d}" for i in range(100)], "名": [f"户{i}" for i in range(100)]})
    data = xlsx_bytes(frame)
    assert read_back(data).equals(frame)
    rows = sheet_xml(data).findall(".//m:sheetData/m:row", NS)
    assert [r.get("r") for r in rows] == [str(i) for i in range(1, 102)]


def test_header_only() -> None:
    frame = pl.DataFrame(schema={"姓名": pl.Utf8, "证件号码": pl.Utf8})
    back = read_back(xlsx_bytes(frame))
    assert back.columns == ["姓名", "证件号码"] and back.height == 0


def test_too_many_rows_is_refused_before_writing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx_sheet, "MAX_ROWS", 4)
    out = io.BytesIO()
    write_xlsx(pl.DataFrame({"a": ["1", "2", "3"]}), out)  # 3 rows + header fit
    out = io.BytesIO()
    with pytest.raises(TooManyRows) as refused:
        write_xlsx(pl.DataFrame({"a": ["1", "2", "3", "4"]}), out)
    assert refused.value.rows == 4
    assert "CSV" in str(refused.value) and "4" in str(refused.value)
    assert out.getvalue() == b""


def test_a_report_longer_than_a_sheet_continues_on_further_sheets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx_sheet, "MAX_ROWS", 4)  # 3 data rows a sheet
    frame = pl.DataFrame({"行号": list(range(2, 9)), "原因": [f"原因{i}" for i in range(7)]})
    data = xlsx_bytes(frame, sheet="错误行", split=True)
    book = fastexcel.read_excel(data)
    assert book.sheet_names == ["错误行", "错误行2", "错误行3"]
    pieces = [book.load_sheet(i).to_polars() for i in range(3)]
    assert [p.height for p in pieces] == [3, 3, 1]
    assert pl.concat(pieces).equals(frame)  # every row once, in order, each sheet with the header
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            ElementTree.fromstring(archive.read(name))
    with pytest.raises(TooManyRows):
        xlsx_bytes(frame, sheet="错误行")  # an export (no split) is still refused


def test_prompts_and_drop_downs_for_the_person_filling_in() -> None:
    """填写提示与下拉列表: a prompt on a column's data rows, a drop-down whose values sit on a hidden sheet
    under a workbook name (warning only), columns the frame lacks skipped; the data reads back as it was."""
    from fupin.core.tests.xlsx_help import workbook_help
    from fupin.core.xlsx_sheet import ChoiceList, ColumnHelp

    frame = pl.DataFrame({"姓名": ["张三", "李四"], "性别": ["男", "女"], "备注": ["", "x"]})
    sex = ChoiceList("list_sex", "性别", ("男", "女"))
    unused = ChoiceList("list_unused", "未用", ("甲",))
    helps = [ColumnHelp("姓名", "姓名", "必填。Required."),
             ColumnHelp("性别", "性别", "从列表选择。Pick one.", choices="list_sex", error_title="不在列表中",
                        error="Not in the list."),
             ColumnHelp("民族", "民族", "not in this frame", choices="list_missing")]
    data = xlsx_bytes(frame, sheet="花名册", helps=helps, choices=[sex, unused], choices_sheet="代码表")

    got = workbook_help(data)
    assert got.sheet_names == ["花名册", "代码表"] and got.hidden_sheets == ["代码表"]
    assert set(got.by_header) == {"姓名", "性别"}
    assert got.by_header["姓名"].prompt == "必填。Required." and got.by_header["姓名"].kind is None
    assert got.by_header["性别"].kind == "list" and got.by_header["性别"].values == ("男", "女")
    assert got.by_header["性别"].error_style == "warning"
    assert read_back(data).equals(frame.with_columns(pl.when(pl.col("备注") != "").then(pl.col("备注")).alias("备注")))
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        for name in book.namelist():
            if name.endswith(".xml") or name.endswith(".rels"):
                ElementTree.fromstring(book.read(name))  # well-formed
    # without help nothing changes: no lists sheet, no validations
    plain = xlsx_bytes(frame, sheet="花名册")
    assert fastexcel.read_excel(plain).sheet_names == ["花名册"]
    assert sheet_xml(plain).find("m:dataValidations", NS) is None


def test_help_texts_and_names_excel_would_refuse_are_refused() -> None:
    from fupin.core.xlsx_sheet import ChoiceList, ColumnHelp

    with pytest.raises(ValueError, match="32"):
        ColumnHelp("a", "标" * 33, "ok")
    with pytest.raises(ValueError, match="255"):
        ColumnHelp("a", "a", "x" * 256)
    for bad in ("A1", "xfd12", "R1C1", "1list", "has space"):
        with pytest.raises(ValueError, match="defined name"):
            ChoiceList(bad, "t", ("v",))
    with pytest.raises(ValueError, match="values"):
        ChoiceList("list_empty", "t", ())
    frame = pl.DataFrame({"a": ["1"]})
    with pytest.raises(ValueError, match="without their list"):
        xlsx_bytes(frame, helps=[ColumnHelp("a", "a", "p", choices="list_nowhere")])
    with pytest.raises(ValueError, match="data sheet"):
        xlsx_bytes(frame, sheet="Lists", helps=[ColumnHelp("a", "a", "p", choices="list_a")],
                   choices=[ChoiceList("list_a", "a", ("1",))])


def test_sheets_made_together_are_the_sheets_made_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """:func:`xlsx_sheet.prepare_parts` makes each part's rows and widths in one pass: every part's
    workbook is byte for byte the one written for the part alone (row numbers from 2 in each part,
    widths from each part's own first rows, escaping, edge spaces, numbers, empty cells, CJK)."""
    monkeypatch.setattr(xlsx_sheet, "WIDTH_SAMPLE_ROWS", 2)  # widths from each part's own first rows
    frame = pl.DataFrame({
        "户编号": ["A1", "A2", "B1", "B2", "B3", "C1"],
        "姓名": ["王五", " 李四", "a&b<c>", None, "张三丰长名字很长很长", ""],
        "人口": pl.Series([1, None, 3, 4, 5, 6], dtype=pl.Int64),
        "备注": ["_x0041_", "x\x01y", "", "tail ", "长" * 40, "ok"],
    })
    keys = pl.Series(["a", "a", "b", "b", "b", "c"])
    made = xlsx_sheet.prepare_parts(frame, keys)
    assert list(made) == ["a", "b", "c"]
    for key, part in zip("abc", frame.with_columns(keys.alias("k")).partition_by("k", maintain_order=True),
                         strict=True):
        part = part.drop("k")
        alone, together = io.BytesIO(), io.BytesIO()
        write_xlsx(part, alone, sheet="花名册")
        write_xlsx(part, together, sheet="花名册", prepared=made[key])
        a, b = zipfile.ZipFile(alone), zipfile.ZipFile(together)
        assert a.namelist() == b.namelist()
        assert all(a.read(name) == b.read(name) for name in a.namelist()), key
    with pytest.raises(ValueError, match="one sheet"):
        monkeypatch.setattr(xlsx_sheet, "MAX_ROWS", 3)
        write_xlsx(frame, io.BytesIO(), split=True, prepared=made["a"])
