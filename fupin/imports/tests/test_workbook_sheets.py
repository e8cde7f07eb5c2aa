"""A workbook of several roster sheets (多个工作表) — a township's workbook with one sheet per village — is read
whole: every visible roster sheet, each a part of the batch as a ZIP's files are (:func:`read_roster.roster_sheets`).
Before, only the first sheet (or the first named like 花名册) was read and the others were left without a word."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import unquote

import fastexcel
import pytest

from fupin.imports import services
from fupin.imports.choices import BatchStatus
from fupin.imports.pipelines.read_roster import RosterReadError, read_roster
from fupin.imports.tests.roster_files import write_csv, write_workbook_sheets, write_xlsx
from fupin.imports.tests.test_views import household_rows
from fupin.imports.tests.test_zip_rosters import _zip, rows_named_by_part
from fupin.registry.models import Household
from fupin.testing import MINGXI, NINGHUA, first_village

V1, V2 = "350421100001", "350421100002"  # 城东居委会, 城西居委会 (雪峰镇)


def _rows(village: str, number: str, members: int = 2) -> list[dict[str, str]]:
    return household_rows(village, f"{village}{number}", members=members)


@pytest.mark.parametrize("kind", ["xlsx", "xls", "ods"])
def test_every_visible_roster_sheet_is_read_as_a_part(tmp_path, kind):
    path = write_workbook_sheets(tmp_path / f"雪峰镇.{kind}", {
        "说明": "本工作簿每村一个工作表",
        "城东": _rows(V1, "40001", 2) + _rows(V1, "40002", 1),
        "汇总": [["村", "户数", "人数"], ["城东", "2", "3"]],  # no roster header: not a roster
        "城西": _rows(V2, "40003", 3),
        "旧表": _rows(V2, "49999", 2),  # hidden: never read
    }, kind=kind, hidden=["旧表"], title_rows=["雪峰镇花名册"])
    raw = read_roster(path)
    assert raw.parts == ("城东", "城西")
    assert raw.encoding == kind
    # each sheet's own rows (title on row 1, header on row 2), carried by the sheet's place
    assert raw.frame.get_column("_row").to_list() == [1_000_003, 1_000_004, 1_000_005, 2_000_003, 2_000_004,
                                                      2_000_005]
    assert raw.frame.get_column("household_number").unique(maintain_order=True).to_list() == [
        f"{V1}40001", f"{V1}40002", f"{V2}40003"]


def test_sheets_named_like_a_roster_are_read_and_only_they(tmp_path):
    path = write_workbook_sheets(tmp_path / "r.xlsx", {
        "城东花名册": _rows(V1, "40011"), "城西花名册": _rows(V2, "40012"), "Sheet3": _rows(V2, "40013")})
    raw = read_roster(path)
    assert raw.parts == ("城东花名册", "城西花名册")
    assert set(raw.frame.get_column("household_number")) == {f"{V1}40011", f"{V2}40012"}


def test_one_roster_sheet_reads_as_before(tmp_path):
    """One sheet named 花名册 (fupin's exports and template) is the roster, whatever else the workbook holds;
    a workbook whose only roster is not the first sheet is found too; a single sheet is not a part."""
    exported = write_workbook_sheets(tmp_path / "e.xlsx", {"花名册": _rows(V1, "40021"), "另一表": _rows(V2, "40022")})
    assert read_roster(exported).parts == ()
    assert set(read_roster(exported).frame.get_column("household_number")) == {f"{V1}40021"}
    second = write_workbook_sheets(tmp_path / "s.xlsx", {"说明": "填表说明:每人一行", "Sheet2": _rows(V1, "40023")})
    raw = read_roster(second)
    assert raw.parts == () and raw.frame.get_column("_row").to_list() == [2, 3]
    single = write_xlsx(tmp_path / "one.xlsx", _rows(V1, "40024"), sheet_name="Sheet1")
    assert read_roster(single).parts == ()
    # the template with its 花名册 sheet renamed: 村名单 names roster columns (县, 乡镇, 行政村, 行政区划代码) but
    # no person column, so it is no roster; the renamed sheet is read alone, as before
    renamed = write_workbook_sheets(tmp_path / "t.xlsx", {
        "新坊村": _rows(V1, "40025"), "填写说明": "每行一人",
        "村名单": [["县", "乡镇", "行政村", "行政区划代码"], ["明溪县", "雪峰镇", "城东居委会", V1]]})
    raw = read_roster(renamed)
    assert raw.parts == () and set(raw.frame.get_column("household_number")) == {f"{V1}40025"}
    nothing = write_workbook_sheets(tmp_path / "n.xlsx", {"说明": "填表说明", "汇总": [["村", "户数"], ["城东", "2"]]})
    with pytest.raises(RosterReadError, match="找不到表头"):
        read_roster(nothing)


def test_a_workbook_of_sheets_in_a_zip_is_a_part_per_sheet(tmp_path):
    book = write_workbook_sheets(tmp_path / "b.xlsx", {"城东": _rows(V1, "40031"), "城西": _rows(V2, "40032")})
    path = _zip(tmp_path / "county.zip", {"雪峰镇.xlsx": book,
                                          "城西补.csv": write_csv(tmp_path / "c.csv", _rows(V2, "40033"))})
    raw = read_roster(path)
    assert raw.parts == ("城西补.csv", "雪峰镇.xlsx「城东」", "雪峰镇.xlsx「城西」")
    assert raw.frame.get_column("_row").to_list() == [1_000_002, 1_000_003, 2_000_002, 2_000_003, 3_000_002,
                                                      3_000_003]


@pytest.fixture
def villages(db) -> tuple[str, str]:
    return first_village(MINGXI), first_village(MINGXI, 1)


def test_a_batch_of_sheets_names_each_sheet_and_row(tmp_path, villages, make_user, client):
    v1, v2 = villages
    east = _rows(v1, "41001", 2)
    west = _rows(v2, "41002", 2) + _rows(v2, "41003", 1)
    west[1] = dict(west[1], 证件号码="350421196001011234")  # bad check digit: the household is rejected
    content = write_workbook_sheets(tmp_path / "雪峰镇.xlsx", {"填表说明": "每村一个工作表", "城东": east, "城西": west},
                                    title_rows=["雪峰镇花名册"]).read_bytes()
    officer = make_user("county", MINGXI)
    batch = services.land_file(actor=officer, file_name="雪峰镇各村.xlsx", content=content, region_code=MINGXI,
                               source="test")
    batch = services.validate_batch(batch.pk, actor=officer)
    assert batch.status == BatchStatus.REVIEW, batch.error
    assert (batch.source_files, batch.encoding) == (["城东", "城西"], "xlsx")
    assert (batch.rows_read, batch.rows_imported, batch.rows_rejected, batch.households_new) == (5, 3, 2, 2)
    rows = list(batch.rejections.order_by("row_number").values_list("row_number", "reason"))
    assert rows[0] == (2_000_003, "同户第2个工作表第4行有错误,整户未导入 / another row of this household was rejected")
    assert rows[1][0] == 2_000_004 and "校验" in rows[1][1]

    html, errors, fix = rows_named_by_part(client, officer, batch)
    assert '<div id="source-files"><dt>读取的工作表</dt><dd><ol><li>城东</li><li>城西</li></ol>' in html
    assert '<td class="num">城西 第3行</td>' in html and '<td class="num">城西 第4行</td>' in html
    client.cookies["django_language"] = "en"  # an English page names the row in English
    assert '<td class="num">城西 row 3</td>' in client.get(f"/imports/{batch.pk}/").content.decode()
    del client.cookies["django_language"]
    assert errors.select("文件 file", "行号 row").rows() == [("城西", 3), ("城西", 4)]
    assert fix.select("来源文件", "原行号").rows() == [("城西", 3), ("城西", 4)]
    assert fix["错误原因"][0].startswith("同户第2个工作表第4行有错误")

    services.merge_batch(actor=officer, batch_id=batch.pk)
    assert set(Household.objects.values_list("household_number", flat=True)) == {f"{v1}41001", f"{v2}41003"}


def test_the_command_reads_every_sheet(tmp_path, villages):
    from django.core.management import call_command

    v1, v2 = villages
    path = write_workbook_sheets(tmp_path / "乡.xlsx", {"一村": _rows(v1, "42001", 2), "二村": _rows(v2, "42002", 1)})
    out = io.StringIO()
    call_command("import", str(path), "--dry-run", "--no-progress", stdout=out)
    lines = out.getvalue().splitlines()
    assert "读取的工作表 2 个:一村、二村 / sheets read: 2" in lines
    assert lines[-1] == "read=3 imported=3 rejected=0"
    out = io.StringIO()
    call_command("import", str(Path(path)), "--no-progress", stdout=out)
    assert "读取的工作表 2 个:一村、二村 / sheets read: 2" in out.getvalue().splitlines()
    assert Household.objects.count() == 2


# 分村分表: the export that writes such a workbook ---------------------------------------------------------

def test_sheet_names_are_valid_and_unique():
    from fupin.core.xlsx_sheet import sheet_names

    assert sheet_names(["城东居委会", "新村村委会", "新村村委会", "a/b:c*d?[e]", "X" * 40, "x" * 40, ""]) == [
        "城东居委会", "新村村委会", "新村村委会 (2)", "a_b_c_d__e_", "X" * 31, "x" * 27 + " (2)", "Sheet1"]


def test_an_export_of_one_sheet_per_village_reads_back_unchanged(make_household, make_user, client):
    """分村分表: one xlsx, a sheet per 行政村 in code order named after it, each with only its rows and the
    roster's drop-downs (one hidden list); imported back it is read whole, each sheet a part, 0 changed."""
    from fupin.core.tests.xlsx_help import workbook_help
    from fupin.imports.pipelines.export_roster import SplitFormatError, export_roster
    from fupin.regions.models import Region

    v1, v2 = first_village(MINGXI), first_village(MINGXI, 2)
    a, b = make_household(v1, members=2), make_household(v2, members=3)
    c = make_household(v1, members=1)
    names = dict(Region.objects.values_list("code", "name"))
    content = export_roster(None, MINGXI, "xlsx", split="sheets")
    book = fastexcel.read_excel(content)
    assert book.sheet_names == [names[v1], names[v2], "代码表"]
    for sheet, households in ((names[v1], (a, c)), (names[v2], (b,))):
        frame = book.load_sheet(sheet, dtypes="string").to_polars()
        assert sorted(frame["户编号"].unique().to_list()) == sorted(h.household_number for h in households)
        assert frame.height == sum(h.size for h in households)
    assert "行政村" in workbook_help(content).by_header  # the first sheet's drop-downs
    with pytest.raises(SplitFormatError, match="xlsx"):
        export_roster(None, MINGXI, "csv", split="sheets")
    empty = fastexcel.read_excel(export_roster(None, NINGHUA, "xlsx", "households", split="sheets"))
    assert empty.sheet_names[:1] == ["户花名册"]

    officer = make_user("county", MINGXI)
    batch = services.land_file(actor=officer, file_name="明溪县-分村分表.xlsx", content=content, region_code=MINGXI,
                               source="test")
    batch = services.validate_batch(batch.pk, actor=officer)
    assert batch.status == BatchStatus.REVIEW, batch.error
    assert batch.source_files == [names[v1], names[v2]]
    assert (batch.rows_read, batch.rows_rejected, batch.households_unchanged, batch.households_changed,
            batch.persons_left) == (6, 0, 3, 0, 0)


def test_one_sheet_per_village_from_the_page_the_api_and_the_command(make_household, make_user, client, tmp_path):
    from django.core.management import CommandError, call_command

    from fupin.api.tests.conftest import token_api

    make_household(first_village(MINGXI), members=2)
    officer = make_user("county", MINGXI)
    client.force_login(officer)
    page = client.get("/imports/").content.decode()
    assert '<option value="sheets">分村分表（一个xlsx，每村一个工作表）</option>' in page
    assert "每村一个工作表的工作簿，各表一并读取。" in page  # the upload form says so
    assert "合并单元格按表中显示的值读取；筛选隐藏的行也会读取。" in page
    response = client.get("/imports/export/", {"region": MINGXI, "format": "xlsx", "split": "sheets"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert unquote(response["Content-Disposition"]).endswith(f"花名册-{MINGXI}-分村分表.xlsx")
    refused = client.get("/imports/export/", {"region": MINGXI, "format": "csv", "split": "sheets"}, follow=True)
    assert "分村分表只能导出为 Excel (.xlsx)" in refused.content.decode()

    api = token_api(client, officer)
    assert api.get("/exports/roster", {"region": MINGXI, "split": "sheets"}).status_code == 200
    bad = api.get("/exports/roster", {"region": MINGXI, "format": "csv", "split": "sheets"})
    assert bad.status_code == 422 and "split" in bad.json()["field_errors"]

    out = tmp_path / "明溪县.xlsx"
    call_command("export", "--region", MINGXI, "--split", "sheets", str(out), stdout=io.StringIO())
    assert fastexcel.read_excel(out.read_bytes()).sheet_names[0] == first_village_name(MINGXI)
    with pytest.raises(CommandError, match="--split sheets"):
        call_command("export", "--region", MINGXI, "--split", "sheets", str(tmp_path / "x.zip"),
                     stdout=io.StringIO())


def first_village_name(county: str) -> str:
    from fupin.regions.models import Region

    return Region.objects.get(code=first_village(county)).name
