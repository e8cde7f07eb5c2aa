"""Importing department lists (部门名单导入) from real xlsx and CSV files: accounting, IDs, refusals, scope."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from fupin.core.models import ChangeRecord
from fupin.core.scoping import ScopeError
from fupin.imports.pipelines.validate_roster import NUMERIC_ID_REASON
from fupin.policy import department_lists
from fupin.policy.idnumber import check_character, validate_id_number
from fupin.screening import services
from fupin.screening.models import DepartmentList, DepartmentRecord, DepartmentRejection
from fupin.testing import MINGXI, MINGXI_TOWNSHIP, NINGHUA

from .list_files import person_id, write_csv, write_xlsx

AS_OF = date(2024, 6, 30)


def _id_ending_in_x() -> str:
    for n in range(1, 5000):
        number = person_id(n)
        if number.endswith("X"):
            return number
    raise AssertionError("no ID with check character X")


def _records(dept_list: DepartmentList) -> list[dict]:
    return list(DepartmentRecord.objects.filter(department_list=dept_list).order_by("row_number")
                .values("row_number", "id_number", "name", "detail"))


def _rejections(dept_list: DepartmentList) -> list[tuple]:
    return list(DepartmentRejection.objects.filter(department_list=dept_list).order_by("row_number")
                .values_list("row_number", "column", "value", "reason"))


@pytest.fixture
def county(make_user):
    return make_user("county", MINGXI)


def test_gbk_csv_with_a_title_messy_headers_bad_ids_and_notes(county, tmp_path):
    with_x = _id_ending_in_x()
    good = person_id(1)
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    legacy15 = "350421600101123"
    disability20 = person_id(2) + "14"
    headers = ["序号", "所有人", " 身份证号码 ", "号牌号码", "车辆类型（中文）", "初次登记日期", "备用"]
    rows = [
        ["1", "张三", good, "闽G12345", "小型轿车", "2019/3/4", ""],
        ["2", "李四", with_x.lower(), "闽G22222", "轻型货车", "2020年5月6日", ""],
        ["3", "王五", bad_check, "闽G33333", "小型轿车", "", ""],
        ["4", "赵六", legacy15, "闽G44444", "拖拉机", "20100101", ""],
        ["5", "孙七", "", "闽G55555", "小型轿车", "", ""],
        ["", "", "", "", "", "", ""],
        ["6", "周八", disability20, "闽G66666", "三轮汽车", "不详", ""],
        ["7", "张三", good, "闽G77777", "摩托车", "2021-01-02 00:00:00", ""],
    ]
    path = write_csv(tmp_path / "车辆.csv", headers, rows, encoding="gbk",
                     title_rows=["明溪县机动车登记信息(截至2024年6月)"], after=["填表人：交警大队"])
    dept_list = services.import_list(actor=county, kind="vehicle", region_code=MINGXI, as_of=AS_OF,
                                     file_name=path.name, path=path, source="test")
    assert dept_list.status == "loaded", dept_list.error
    assert dept_list.encoding == "gb18030"
    assert (dept_list.rows_read, dept_list.rows_accepted, dept_list.rows_rejected) == (7, 5, 2)
    assert dept_list.accounted
    assert dept_list.source_department == "公安交管部门"
    assert dept_list.headers["id_number"] == "身份证号码"
    assert dept_list.headers["vehicle_type"] == "车辆类型（中文）"
    assert "序号" in dept_list.unknown_headers
    records = _records(dept_list)
    upgraded = validate_id_number(legacy15).number
    assert [(r["row_number"], r["id_number"], r["name"]) for r in records] == [
        (3, good, "张三"), (4, with_x, "李四"), (6, upgraded, "赵六"), (9, disability20[:18], "周八"),
        (10, good, "张三"),
    ]
    assert all(len(r["id_number"]) == 18 for r in records)
    assert records[0]["detail"] == {"plate_number": "闽G12345", "vehicle_type": "小型轿车", "brand": None,
                                    "registered_on": "2019-03-04", "vehicle_status": None}
    assert [r["detail"]["registered_on"] for r in records] == ["2019-03-04", "2020-05-06", "2010-01-01", "不详",
                                                               "2021-01-02"]
    expected = good[:17] + check_character(good[:17])
    assert _rejections(dept_list) == [
        (5, "身份证号码", bad_check, f"校验位错误(应为{expected[17]}) / wrong check character (expected {expected[17]})"),
        (7, "身份证号码", "", "证件号码为空 / ID number is empty"),
    ]
    audit = ChangeRecord.objects.get(model="screening.departmentlist", object_id=str(dept_list.pk))
    assert audit.actor == county and audit.region_code == MINGXI
    assert audit.changes["rows_read"] == [None, 7]


def test_xlsx_with_a_number_cell_id_and_date_cells(county, tmp_path):
    a, b, c = person_id(11), person_id(12), person_id(13)
    path = write_xlsx(tmp_path / "死亡.xlsx", ["公民身份号码", "姓名", "死亡日期", "死亡原因"], [
        [a, "甲", None, "疾病"],
        [b, "乙", "2023年5月6日", ""],
        [c, "丙", "不详", ""],
    ], title_rows=["2024年上半年死亡人员名单", "填报单位: 明溪县民政局"], numeric_id_rows={1},
        date_cells={(0, 2): datetime(2024, 2, 3)})
    dept_list = services.import_list(actor=county, kind="death", region_code=MINGXI, as_of=AS_OF,
                                     file_name=path.name, path=path, source="test")
    assert dept_list.status == "loaded", dept_list.error
    assert (dept_list.rows_read, dept_list.rows_accepted, dept_list.rows_rejected) == (3, 2, 1)
    records = _records(dept_list)
    assert [(r["row_number"], r["id_number"], r["detail"]["died_on"]) for r in records] == [
        (4, a, "2024-02-03"), (6, c, "不详")]
    assert records[0]["detail"]["cause"] == "疾病"
    [(row, column, _value, reason)] = _rejections(dept_list)
    assert (row, column, reason) == (5, "公民身份号码", NUMERIC_ID_REASON)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings(county, tmp_path, encoding):
    ids = [person_id(20 + i) for i in range(3)]
    path = write_csv(tmp_path / "payroll.csv", ["身份证号", "姓名", "工作单位", "职务"],
                     [[i, "钱九", "明溪县财政局", "科员"] for i in ids])
    dept_list = services.import_list(actor=county, kind="payroll", region_code=MINGXI, as_of=AS_OF,
                                     file_name=f"payroll-{encoding}.csv",
                                     content=path.read_text("utf-8").encode(encoding), source="test")
    assert dept_list.status == "loaded", dept_list.error
    assert (dept_list.rows_read, dept_list.rows_accepted, dept_list.rows_rejected) == (3, 3, 0)
    assert [r["detail"]["employer"] for r in _records(dept_list)] == ["明溪县财政局"] * 3


def test_the_same_file_again_is_refused_but_a_failed_one_may_be_retried(county, tmp_path):
    path = write_csv(tmp_path / "cadres.csv", ["身份证号码", "姓名", "职务"], [[person_id(30), "吴十", "村主任"]])
    first = services.import_list(actor=county, kind="village_cadre", region_code=MINGXI, as_of=AS_OF,
                                 file_name="a.csv", path=path)
    assert first.status == "loaded"
    with pytest.raises(services.ScreeningRefused, match=f"第{first.pk}号名单"):
        services.import_list(actor=county, kind="village_cadre", region_code=MINGXI, as_of=date(2024, 7, 1),
                             file_name="renamed.csv", path=path)
    assert DepartmentList.objects.count() == 1
    # the refused copy is not left in the data folder: only the first list's file is there
    assert [p.name for p in services.lists_dir().iterdir()] == [Path(first.stored_path).name]
    assert Path(first.stored_path).read_bytes() == path.read_bytes()
    # The same bytes as another kind are another list (e.g. a combined file); still accounted.
    other = services.import_list(actor=county, kind="payroll", region_code=MINGXI, as_of=AS_OF,
                                 file_name="a.csv", path=path)
    assert other.status == "loaded" and other.rows_read == 1
    # A file that failed as a whole does not block a retry.
    broken = write_csv(tmp_path / "broken.csv", ["姓名", "地址"], [["张三", "某地"]])
    failed = services.import_list(actor=county, kind="real_estate", region_code=MINGXI, as_of=AS_OF,
                                  file_name="b.csv", path=broken)
    assert failed.status == "failed" and "证件号码" in failed.error
    assert not DepartmentRecord.objects.filter(department_list=failed).exists()
    again = services.import_list(actor=county, kind="real_estate", region_code=MINGXI, as_of=AS_OF,
                                 file_name="b.csv", path=broken)
    assert again.status == "failed" and again.pk != failed.pk


def test_refusals_before_landing(county, tmp_path):
    path = write_csv(tmp_path / "x.csv", ["身份证号码"], [[person_id(40)]])
    with pytest.raises(services.ScreeningRefused, match="unknown list kind"):
        services.import_list(actor=county, kind="boats", region_code=MINGXI, as_of=AS_OF, file_name="x.csv",
                             path=path)
    with pytest.raises(services.ScreeningRefused, match="future"):
        services.import_list(actor=county, kind="vehicle", region_code=MINGXI, as_of=date(2999, 1, 1),
                             file_name="x.csv", path=path)
    with pytest.raises(services.ScreeningRefused, match="empty"):
        services.import_list(actor=county, kind="vehicle", region_code=MINGXI, as_of=AS_OF, file_name="x.csv",
                             content=b"")
    assert not DepartmentList.objects.exists()


def test_scope_and_capability(make_user, tmp_path):
    path = write_csv(tmp_path / "x.csv", ["身份证号码"], [[person_id(41)]])
    county = make_user("county", MINGXI)
    with pytest.raises(ScopeError):
        services.import_list(actor=county, kind="vehicle", region_code=NINGHUA, as_of=AS_OF, file_name="x.csv",
                             path=path)
    for role, region in (("township", MINGXI_TOWNSHIP), ("village", MINGXI_TOWNSHIP), ("city", "350400000000")):
        with pytest.raises(ScopeError):
            services.import_list(actor=make_user(role, region), kind="vehicle", region_code=MINGXI_TOWNSHIP,
                                 as_of=AS_OF, file_name="x.csv", path=path)
    assert not DepartmentList.objects.exists()
    admin = make_user("admin", MINGXI)
    assert services.import_list(actor=admin, kind="vehicle", region_code=MINGXI, as_of=AS_OF, file_name="x.csv",
                                path=path).status == "loaded"


def test_files_are_told_apart_by_content_not_by_name(county, tmp_path):
    """An xlsx named .csv is read as xlsx; an Excel 97–2003 file (a real one, written by xlwt) is read
    with the file's own row numbers and its number-cell ID refused; a web page named .xls fails as a
    whole with advice, and nothing of it is loaded."""
    import xlwt

    ids = [person_id(50 + i) for i in range(2)]
    xlsx = write_xlsx(tmp_path / "车辆.xlsx", ["身份证号码", "姓名", "车牌号"], [[i, "郑一", "闽G12345"] for i in ids])
    renamed = xlsx.rename(tmp_path / "车辆.csv")
    dept_list = services.import_list(actor=county, kind="vehicle", region_code=MINGXI, as_of=AS_OF,
                                     file_name=renamed.name, path=renamed, source="test")
    assert dept_list.status == "loaded", dept_list.error
    assert (dept_list.encoding, dept_list.rows_read, dept_list.rows_accepted) == ("xlsx", 2, 2)

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("名单")
    sheet.write_merge(1, 1, 0, 2, "2024年车辆名单")  # row 2; row 1 empty
    for j, value in enumerate(["身份证号码", "姓名", "车牌号"]):
        sheet.write(2, j, value)
    a, b = person_id(60), person_id(61)
    for j, value in enumerate([a, "王二", "闽G54321"]):
        sheet.write(3, j, value)
    for j, value in enumerate([float(b.rstrip("X") or 0), "李三", "闽G11111"]):
        sheet.write(4, j, value)
    xls = tmp_path / "车辆2.xls"
    book.save(str(xls))
    loaded = services.import_list(actor=county, kind="vehicle", region_code=MINGXI, as_of=AS_OF,
                                  file_name=xls.name, path=xls, source="test")
    assert loaded.status == "loaded", loaded.error
    assert (loaded.encoding, loaded.rows_read, loaded.rows_accepted, loaded.rows_rejected) == ("xls", 2, 1, 1)
    assert [(r["row_number"], r["id_number"]) for r in _records(loaded)] == [(4, a)]
    [(row, column, _value, reason)] = _rejections(loaded)
    assert (row, column, reason) == (5, "身份证号码", NUMERIC_ID_REASON)

    page = tmp_path / "车辆3.xls"
    page.write_text("<html><body><table><tr><td>身份证号码</td></tr></table></body></html>", encoding="utf-8")
    failed = services.import_list(actor=county, kind="vehicle", region_code=MINGXI, as_of=AS_OF,
                                  file_name=page.name, path=page, source="test")
    assert failed.status == "failed"
    assert "web page (HTML)" in failed.error and "另存为.xlsx" in failed.error
    assert not DepartmentRecord.objects.filter(department_list=failed).exists()


def test_an_xls_list_starting_right_of_column_a_has_its_number_cell_ids_found_in_the_id_column(county, tmp_path):
    """A list whose table starts at column B, with a numbered 序号 column left of the IDs: fastexcel's grid
    leaves out the empty column A, and the ID column was loaded again by its grid index counted from A — the
    序号 column, all numbers, so every ID was refused as stored as a number. Now only the one is."""
    import xlwt

    a, b, c = person_id(64), person_id(65), person_id(66)
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("名单")
    for j, value in enumerate(["序号", "身份证号码", "姓名", "车牌号"]):
        sheet.write(0, 1 + j, value)
    for i, (number, name) in enumerate([(a, "王二"), (float(b.rstrip("X") or 0), "李三"), (c, "赵四")]):
        for j, value in enumerate([i + 1, number, name, "闽G54321"]):
            sheet.write(1 + i, 1 + j, value)
    path = tmp_path / "车辆.xls"
    book.save(str(path))
    loaded = services.import_list(actor=county, kind="vehicle", region_code=MINGXI, as_of=AS_OF,
                                  file_name=path.name, path=path, source="test")
    assert loaded.status == "loaded", loaded.error
    assert (loaded.rows_read, loaded.rows_accepted, loaded.rows_rejected) == (3, 2, 1)
    assert [(r["row_number"], r["id_number"]) for r in _records(loaded)] == [(2, a), (4, c)]
    [(row, column, _value, reason)] = _rejections(loaded)
    assert (row, column, reason) == (3, "身份证号码", NUMERIC_ID_REASON)


def test_a_workbooks_visible_list_sheets_are_read_and_its_hidden_ones_not(county, tmp_path, client):
    """A 说明 sheet and a hidden older copy beside the list: the list is read, the copy is not. A township's
    workbook with a sheet per town: every sheet is read, each row named by its sheet (page, errors file, API,
    a hit's record) — the reader took the first sheet with a header and left the others out without a word.
    The reader does so for every list it serves (减员原因表 and monitoring data: their own tests)."""
    import fastexcel
    import xlsxwriter

    from fupin.api.tests.conftest import token_api
    from fupin.screening.pipelines.read_list import read_list
    from fupin.web.templatetags.fupin_tags import sheet_row

    a, b, c = person_id(67), person_id(68), person_id(69)
    headers = ["身份证号码", "姓名", "车牌号"]

    def workbook(path: Path, sheets: dict[str, list[list[str]]], hidden: set[str] = frozenset()) -> Path:
        book = xlsxwriter.Workbook(str(path))
        for name, rows in sheets.items():
            sheet = book.add_worksheet(name)
            for r, row in enumerate(rows):
                sheet.write_row(r, 0, row)
            if name in hidden:
                sheet.hide()
        book.close()
        return path

    one = workbook(tmp_path / "车辆.xlsx", {"说明": [["本表为2024年车辆名单"]], "旧名单": [headers, [c, "赵四", "闽G1"]],
                                           "名单": [headers, [a, "王二", "闽G2"], [b, "李三", "闽G3"]]}, hidden={"旧名单"})
    loaded = services.import_list(actor=county, kind="vehicle", region_code=MINGXI, as_of=AS_OF,
                                  file_name=one.name, path=one, source="test")
    assert loaded.status == "loaded", loaded.error
    assert [(r["row_number"], r["id_number"]) for r in _records(loaded)] == [(2, a), (3, b)]
    assert loaded.source_sheets == []

    two = workbook(tmp_path / "车辆2.xlsx", {"城关镇": [["城关镇车辆名单"], headers, [a, "王二", "闽G2"]],
                                            "夏阳乡": [headers, [c, "赵四", "闽G1"], ["35042119600101001", "钱五", "闽G4"]]})
    loaded = services.import_list(actor=county, kind="vehicle", region_code=MINGXI, as_of=AS_OF,
                                  file_name=two.name, path=two, source="test")
    assert loaded.status == "loaded", loaded.error
    assert loaded.source_sheets == ["城关镇", "夏阳乡"]
    assert (loaded.rows_read, loaded.rows_accepted, loaded.rows_rejected) == (3, 2, 1)
    assert [(r["row_number"], r["id_number"]) for r in _records(loaded)] == [(1_000_003, a), (2_000_002, c)]
    [(row, column, _value, _reason)] = _rejections(loaded)
    assert (sheet_row(row, loaded.source_sheets), column) == ("夏阳乡 第3行", "身份证号码")

    client.force_login(county)
    page = client.get(f"/screening/lists/{loaded.pk}/").content.decode()
    assert 'id="source-sheets"' in page and "夏阳乡 第3行" in page
    client.cookies["django_language"] = "en"
    assert "夏阳乡 row 3" in client.get(f"/screening/lists/{loaded.pk}/").content.decode()
    del client.cookies["django_language"]
    errors = fastexcel.read_excel(client.get(f"/screening/lists/{loaded.pk}/rejections.xlsx").content).load_sheet(
        0, dtypes="string").to_polars()
    assert errors.select("工作表 sheet", "行号 row").rows() == [("夏阳乡", "3")]
    api = token_api(client, county)
    assert api.get(f"/screening/lists/{loaded.pk}").json()["source_sheets"] == ["城关镇", "夏阳乡"]
    [item] = api.get(f"/screening/lists/{loaded.pk}/rejections").json()["items"]
    assert (item["row_number"], item["sheet"], item["row"]) == (2_000_003, "夏阳乡", 3)

    raw = read_list(two, department_lists.BY_ID["vehicle"])
    assert (raw.parts, raw.frame.get_column("_row").to_list()) == (("城关镇", "夏阳乡"), [1_000_003, 2_000_002, 2_000_003])


def test_an_ods_list_is_read_with_its_own_row_numbers(county, tmp_path):
    """OpenDocument (LibreOffice, WPS "ODF 表格"), named like an xlsx: a blank row and a title above the
    header, rows numbered as the sheet shows them, a number-cell ID refused."""
    from fupin.imports.tests.roster_files import write_ods

    a, b = person_id(62), person_id(63)
    headers = ["证件号码", "姓名", "车牌号"]
    path = write_ods(tmp_path / "车辆.xlsx", [dict(zip(headers, [a, "王二", "闽G54321"], strict=True)),
                                              dict(zip(headers, [b, "李三", "闽G11111"], strict=True))],
                     headers=headers, title_rows=["2024年车辆名单"], leading_blank_rows=1, numeric_id_rows={1},
                     sheet_name="名单")
    loaded = services.import_list(actor=county, kind="vehicle", region_code=MINGXI, as_of=AS_OF,
                                  file_name=path.name, path=path, source="test")
    assert loaded.status == "loaded", loaded.error
    assert (loaded.encoding, loaded.rows_read, loaded.rows_accepted, loaded.rows_rejected) == ("ods", 2, 1, 1)
    assert [(r["row_number"], r["id_number"]) for r in _records(loaded)] == [(4, a)]
    [(row, column, _value, reason)] = _rejections(loaded)
    assert (row, column, reason) == (5, "证件号码", NUMERIC_ID_REASON)


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_a_csv_with_lines_ended_by_cr_alone_is_read(county, tmp_path, encoding):
    """Old Mac "CSV (Macintosh)": the same records and row numbers as the CRLF file."""
    ids = [person_id(70 + i) for i in range(3)]
    path = write_csv(tmp_path / "cadres.csv", ["身份证号码", "姓名", "职务"], [[i, "吴十", "村主任"] for i in ids],
                     encoding=encoding, title_rows=["村干部名单"])
    data = path.read_bytes().replace(b"\r\n", b"\r").replace(b"\n", b"\r")
    assert b"\n" not in data
    dept_list = services.import_list(actor=county, kind="village_cadre", region_code=MINGXI, as_of=AS_OF,
                                     file_name="cadres-cr.csv", content=data, source="test")
    assert dept_list.status == "loaded", dept_list.error
    assert (dept_list.encoding, dept_list.rows_read, dept_list.rows_accepted) == (encoding, 3, 3)
    assert [(r["row_number"], r["id_number"]) for r in _records(dept_list)] == [(3, ids[0]), (4, ids[1]), (5, ids[2])]


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_tab_delimited_text_is_read(county, tmp_path, encoding):
    """Excel's and WPS's 文本文件(制表符分隔) (.txt): the same records and row numbers as the CSV."""
    ids = [person_id(80 + i) for i in range(2)]
    path = write_csv(tmp_path / "cadres.csv", ["身份证号码", "姓名", "职务"], [[i, "吴十", "村主任,兼会计"] for i in ids],
                     encoding=encoding, title_rows=["村干部名单"])
    text = path.read_bytes().decode(encoding).replace('"村主任,兼会计"', "村主任,兼会计").replace(",", "\t")
    text = text.replace("村主任\t兼会计", "村主任,兼会计")
    dept_list = services.import_list(actor=county, kind="village_cadre", region_code=MINGXI, as_of=AS_OF,
                                     file_name="cadres.txt", content=text.encode(encoding), source="test")
    assert dept_list.status == "loaded", dept_list.error
    assert (dept_list.encoding, dept_list.rows_read, dept_list.rows_accepted) == (encoding, 2, 2)
    assert [(r["row_number"], r["id_number"]) for r in _records(dept_list)] == [(3, ids[0]), (4, ids[1])]
