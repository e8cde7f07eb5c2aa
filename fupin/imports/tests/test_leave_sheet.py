"""减员原因表: the persons leaving as a sheet to fill in, and the filled sheet read back — pure reading,
service (all or nothing, audit), page, API and command.

The batch (from :mod:`.test_leaving`): a newer roster no longer lists two persons of a registered
household and lists a son as the head of a household of his own (分户: the file's reason).
"""

from __future__ import annotations

from pathlib import Path

import fastexcel
import polars as pl
import pytest
import xlsxwriter
from django.core.management import CommandError

from fupin.core.models import ChangeRecord
from fupin.core.scoping import ScopeError
from fupin.imports import leaving, services
from fupin.imports.models import ExportRecord, ImportBatch, LeavingReason, ReceivedLeaveSheet
from fupin.imports.pipelines import leave_sheet
from fupin.imports.pipelines.leave_sheet import HEADERS, read_filled, sheet_frame
from fupin.policy.masking import mask_id_number
from fupin.registry.models import Member
from fupin.testing import MINGXI, NINGHUA

RAW = {"_row": pl.Int64, "_id_numeric": pl.Boolean, "member_id": pl.Utf8, "id_number": pl.Utf8, "reason": pl.Utf8,
       "comment": pl.Utf8}
PEOPLE = pl.DataFrame({
    "member_id": [1, 2, 3, 4],
    "id_number": ["350421199001011234", "35042119900101123X", "350421199001011250", "350421199001011269"],
    "file_reason": ["other", "other", "split", "other"]})


def test_a_filled_sheet_is_read_row_by_row_with_every_error_named():
    sheet = pl.DataFrame([
        (3, False, "1", None, " 死亡 ", "病故"),
        (4, False, None, "35042119900101123x", "婚出", None),   # lower-case x, no member number
        (5, False, "3", None, "分户", None),                      # repeats the file's reason: ignored
        (6, False, "3", None, "死亡", None),
        (7, False, "9", None, "死亡", None),
        (8, False, None, "3504**********1269", "death", None),
        (9, False, "1", None, "死亡", "不同"),
        (10, False, None, None, None, "只有说明"),
        (11, False, "4", "350421199001011234", "死亡", None),
        (12, True, None, "3.50421E+17", "死亡", None),
        (13, False, "x1", None, "死亡", None),
        (14, False, "4", None, "升学", None),
        (15, False, None, None, None, None),
        (16, False, "1", None, "Death", "病故"),                  # the same as row 3 again: no error
        (17, False, "4.0", None, "其他", "说" * 201),
        (18, False, "4", None, "split", None),
    ], schema=RAW, orient="row")
    filled = read_filled(sheet, PEOPLE)
    assert filled.reasons.rows() == [(1, "death", "病故"), (2, "marriage_out", "")]
    assert leave_sheet.error_lines(filled.errors) == [
        "第6行 减员原因: 该人的减员原因由文件决定(分户)/ the file gives this person's reason",
        "第7行 成员编号: 该成员不在本批次的减员名单中 / this member is not among the persons the batch marks as left",
        "第8行 证件号码: 证件号码已隐去,无法辨认;请保留成员编号列 / the ID number is masked and names nobody: keep the "
        "member number column",
        "第9行 减员原因: 与第3行是同一人,但原因或说明不同 / the same person as row 3 with another reason",
        "第10行 减员原因: 填了说明但没有减员原因 / a comment without a reason for leaving",
        "第11行 证件号码: 证件号码与成员编号不是同一人 / the ID number is not that member's",
        "第12行 证件号码: 证件号码被存成数字,末几位已丢失,请以文本填写 / the ID number was stored as a number and lost "
        "digits: enter it as text",
        "第13行 成员编号: 不是成员编号: x1 / not a member number",
        "第14行 减员原因: 不是减员原因: 升学(可填:死亡、婚出、迁出、服刑、录入错误、其他) / not a reason for leaving",
        "第17行 说明: 说明超过200字 / the comment is longer than 200 characters",
        "第18行 减员原因: 分户只能由文件中的户说明,不能填写 / a split is said by the file's households, it cannot be given",
    ]
    assert (filled.rows, filled.empty, filled.ignored) == (16, 1, 1)


def test_the_download_leaves_undecided_reasons_empty():
    persons = pl.DataFrame({
        "member_id": [7, 8, 9], "household_id": [1, 1, 2], "household_number": ["H1", "H1", "H2"],
        "name": ["甲", "乙", "丙"], "id_number": ["A", "B", "C"], "relation": ["02", "03", "03"],
        "file_reason": ["other", "other", "moved_out"], "moved_to": [None, None, "H9"],
        "reason": ["death", "other", "moved_out"], "comment": ["病故", "", ""], "given": [True, False, False]})
    frame = sheet_frame(persons)
    assert tuple(frame.columns) == HEADERS
    assert frame.rows() == [
        (7, "H1", "甲", "A", "配偶", "", "死亡", "病故"),
        (8, "H1", "乙", "B", "之子", "", "", ""),
        (9, "H2", "丙", "C", "之子", "迁出(迁至户 H9)", "迁出", ""),
    ]


# service -------------------------------------------------------------------------------------------

def _read_xlsx(content: bytes) -> pl.DataFrame:
    return fastexcel.read_excel(content).load_sheet(0, dtypes="string").to_polars()


def _write_xlsx(path: Path, frame: pl.DataFrame, *, title: str | None = None) -> Path:
    """A real workbook as a village sends it back: an optional title row above the header, values as text."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("减员名单")
    top = 0
    if title:
        sheet.write(0, 0, title)
        top = 1
    for c, name in enumerate(frame.columns):
        sheet.write_string(top, c, name)
    for r, row in enumerate(frame.iter_rows(), start=top + 1):
        for c, value in enumerate(row):
            if value not in (None, ""):
                sheet.write_string(r, c, str(value))
    book.close()
    return path


def _filled(batch: ImportBatch, tmp_path: Path, reasons: dict[str, tuple[str, str]], *, full: bool = False) -> Path:
    """The batch's sheet downloaded, 减员原因 and 说明 filled for the names given, written back as xlsx."""
    content, _rows = leaving.sheet_xlsx(batch, full=full)
    frame = _read_xlsx(content)
    names = pl.col("姓名")
    frame = frame.with_columns(
        names.replace_strict({n: r for n, (r, _c) in reasons.items()}, default=pl.col("减员原因")).alias("减员原因"),
        names.replace_strict({n: c for n, (_r, c) in reasons.items()}, default=pl.col("说明")).alias("说明"))
    return _write_xlsx(tmp_path / "减员原因表.xlsx", frame, title="明溪县减员原因表(村填报)")


def test_a_masked_download_filled_and_read_back_gives_the_reasons(batch_at_review, tmp_path):
    officer, batch = batch_at_review
    content, rows = leaving.sheet_xlsx(batch, full=False)
    sheet = _read_xlsx(content)
    assert rows == 3 and tuple(sheet.columns) == HEADERS
    listed = leaving.persons_leaving(batch, full=True)
    assert set(sheet["证件号码"].to_list()) == {mask_id_number(n) for n in listed["id_number"].to_list()}
    assert sorted(sheet["文件所定原因"].fill_null("").to_list())[-1].startswith("分户")
    silent = listed.filter(pl.col("file_reason") == "other").sort("member_id")
    died, married = silent["name"].to_list()

    path = _filled(batch, tmp_path, {died: ("死亡", "2026年10月病故"), married: ("婚出", "")})
    applied = leaving.give_reasons_from_sheet(actor=officer, batch_id=batch.pk, path=path, file_name=path.name)
    assert (applied.reasons, applied.changed, applied.rows, applied.empty, applied.ignored) == (2, 2, 3, 0, 1)
    given = {r.reason: r.comment for r in LeavingReason.objects.filter(batch=batch)}
    assert given == {"death": "2026年10月病故", "marriage_out": ""}
    audit = ChangeRecord.objects.filter(model="imports.leavingreason")
    kept = ReceivedLeaveSheet.objects.get()
    assert audit.count() == 2 and all(f"减员原因表 / from the sheet #{kept.pk} 减员原因表.xlsx" in a.comment for a in audit)
    # the download now shows them, and reading it back again changes nothing
    again = _read_xlsx(leaving.sheet_xlsx(batch, full=False)[0])
    assert sorted(again["减员原因"].drop_nulls().to_list()) == ["分户", "婚出", "死亡"]
    path2 = _write_xlsx(tmp_path / "again.xlsx", again)
    assert leaving.give_reasons_from_sheet(actor=officer, batch_id=batch.pk, path=path2, file_name="again.xlsx").changed == 0

    merged = services.merge_batch(actor=officer, batch_id=batch.pk, persons_left_confirmed=3)
    assert merged.status == "merged"
    dead = Member.objects.get(id_number=silent.row(0, named=True)["id_number"], status="left")
    assert (dead.left_reason, dead.left_comment.endswith("2026年10月病故")) == ("death", True)


def test_a_sheet_with_one_error_saves_nothing(batch_at_review, tmp_path):
    officer, batch = batch_at_review
    listed = leaving.persons_leaving(batch, full=True).filter(pl.col("file_reason") == "other").sort("member_id")
    died, married = listed["name"].to_list()
    path = _filled(batch, tmp_path, {died: ("死亡", ""), married: ("出嫁", "")})
    with pytest.raises(leaving.LeaveSheetRefused) as refused:
        leaving.give_reasons_from_sheet(actor=officer, batch_id=batch.pk, path=path, file_name="x.xlsx")
    order = _read_xlsx(leaving.sheet_xlsx(batch, full=False)[0])["姓名"].to_list()
    row = 3 + order.index(married)  # a title row, the header, then the persons
    assert refused.value.errors.rows() == [  # one sheet: no sheet named
        (row, "减员原因", "不是减员原因: 出嫁(可填:死亡、婚出、迁出、服刑、录入错误、其他) / not a reason for leaving", None)]
    assert "有 1 处错误,未保存任何原因" in refused.value.message
    assert not LeavingReason.objects.exists() and not ChangeRecord.objects.filter(model="imports.leavingreason").exists()


def _write_sheets(path: Path, sheets: dict[str, pl.DataFrame]) -> Path:
    """A workbook with a sheet per village, each with its header (as a township gathers them)."""
    book = xlsxwriter.Workbook(str(path))
    for name, frame in sheets.items():
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, frame.columns)
        for r, row in enumerate(frame.iter_rows(), start=1):
            for c, value in enumerate(row):
                if value not in (None, ""):
                    sheet.write_string(r, c, str(value))
    book.close()
    return path


def test_a_workbook_with_a_sheet_per_village_is_read_whole_and_errors_name_their_sheet(batch_at_review, tmp_path,
                                                                                      client):
    """A township sends the filled lists of its villages as one workbook, a sheet each. Every sheet is read
    (before, the first sheet alone; then the workbook was refused); an error names its sheet and its own
    row there, and a row it refers to, on another sheet, by that sheet's number."""
    officer, batch = batch_at_review
    sheet = _read_xlsx(leaving.sheet_xlsx(batch, full=False)[0])
    listed = leaving.persons_leaving(batch, full=True).filter(pl.col("file_reason") == "other").sort("member_id")
    died, married = listed["name"].to_list()
    name = pl.col("姓名")

    def give(frame: pl.DataFrame, reasons: dict[str, str]) -> pl.DataFrame:
        return frame.with_columns(name.replace_strict(reasons, default=pl.col("减员原因")).alias("减员原因"))

    first, rest = sheet.filter(name == died), sheet.filter(name != died)
    bad = _write_sheets(tmp_path / "乡镇汇总.xlsx", {
        "城东村": give(first, {died: "死亡"}),
        "城西村": give(pl.concat([rest, first]), {married: "出嫁", died: "婚出"})})
    with pytest.raises(leaving.LeaveSheetRefused) as refused:
        leaving.give_reasons_from_sheet(actor=officer, batch_id=batch.pk, path=bad, file_name=bad.name)
    west = 2 + rest["姓名"].to_list().index(married)
    assert refused.value.errors.select("sheet", "row", "column", "reason").rows() == [
        ("城西村", west, "减员原因", "不是减员原因: 出嫁(可填:死亡、婚出、迁出、服刑、录入错误、其他) / not a reason for leaving"),
        ("城西村", rest.height + 2, "减员原因",
         "与第1个工作表第2行是同一人,但原因或说明不同 / the same person as row 2 of sheet 1 with another reason")]
    assert f"城西村 第{west}行 减员原因: 不是减员原因" in refused.value.message
    assert not LeavingReason.objects.exists()

    client.force_login(officer)
    with bad.open("rb") as f:
        page = client.post(f"/imports/{batch.pk}/leaving/sheet/", {"sheet": f})
    assert page.status_code == 422 and f"<td>城西村 第{west}行</td>" in page.content.decode()
    client.cookies["django_language"] = "en"
    with bad.open("rb") as f:
        page = client.post(f"/imports/{batch.pk}/leaving/sheet/", {"sheet": f})
    assert page.status_code == 422 and f"<td>城西村 row {west}</td>" in page.content.decode()
    del client.cookies["django_language"]

    good = _write_sheets(tmp_path / "乡镇汇总2.xlsx", {"城东村": give(first, {died: "死亡"}),
                                                        "城西村": give(rest, {married: "婚出"})})
    applied = leaving.give_reasons_from_sheet(actor=officer, batch_id=batch.pk, path=good, file_name=good.name)
    assert (applied.reasons, applied.changed, applied.rows, applied.ignored) == (2, 2, 3, 1)
    assert sorted(LeavingReason.objects.filter(batch=batch).values_list("reason", flat=True)) == ["death",
                                                                                                  "marriage_out"]


def test_a_villages_own_gbk_csv_by_id_number(batch_at_review, tmp_path):
    officer, batch = batch_at_review
    listed = leaving.persons_leaving(batch, full=True).filter(pl.col("file_reason") == "other").sort("member_id")
    number = listed["id_number"][0]
    wide = number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    text = ("某某村减员情况统计表\n"
            "序号, 姓 名 ,身份证号码,减少原因,备注\n"
            f"1,{listed['name'][0]},{wide},死亡,10月病故\n"
            "注:本表由村委会填报\n")
    path = tmp_path / "village.csv"
    path.write_bytes(text.encode("gbk"))
    applied = leaving.give_reasons_from_sheet(actor=officer, batch_id=batch.pk, path=path, file_name=path.name)
    assert (applied.reasons, applied.changed, applied.rows) == (1, 1, 1)
    assert LeavingReason.objects.get(batch=batch).comment == "10月病故"


def test_refusals_before_the_sheet_is_read(batch_at_review, make_user, tmp_path):
    officer, batch = batch_at_review
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(services.ImportRefused, match="为空"):
        leaving.give_reasons_from_sheet(actor=officer, batch_id=batch.pk, path=path, file_name="empty.csv")
    path.write_bytes("姓名,减员原因\n张三,死亡\n".encode())
    with pytest.raises(services.ImportRefused, match=r"无法读取.*证件号码"):
        leaving.give_reasons_from_sheet(actor=officer, batch_id=batch.pk, path=path, file_name="x.csv")
    with pytest.raises(ScopeError):
        leaving.give_reasons_from_sheet(actor=make_user("county", NINGHUA), batch_id=batch.pk, path=path,
                                        file_name="x.csv")
    services.refuse_batch(actor=officer, batch_id=batch.pk, comment="重报")
    with pytest.raises(services.ImportRefused, match="待确认的批次"):
        leaving.give_reasons_from_sheet(actor=officer, batch_id=batch.pk, path=path, file_name="x.csv")


def test_every_sheet_read_is_kept_as_it_was_given(batch_at_review, tmp_path, monkeypatch):
    """收到的减员原因表: a refused sheet and an applied one are both kept (landed, SHA-256) with what they
    did; an empty file is not kept; a sheet give_reasons refuses after all leaves no record and no file."""
    import hashlib

    officer, batch = batch_at_review
    listed = leaving.persons_leaving(batch, full=True).filter(pl.col("file_reason") == "other").sort("member_id")
    died, married = listed["name"].to_list()
    bad = _filled(batch, tmp_path, {died: ("死亡", ""), married: ("出嫁", "")})
    with pytest.raises(leaving.LeaveSheetRefused):
        leaving.give_reasons_from_sheet(actor=officer, batch_id=batch.pk, path=bad, file_name="村里的表.xlsx")
    refused = ReceivedLeaveSheet.objects.get()
    assert (refused.outcome, refused.rows, refused.reasons, refused.changed, refused.errors) == ("refused", 3, 0, 0, 1)
    assert refused.refusal.startswith("减员原因表“村里的表.xlsx”有 1 处错误") and refused.actor == officer
    stored = Path(refused.stored_path)
    assert stored.read_bytes() == bad.read_bytes() and refused.file_sha256 == hashlib.sha256(bad.read_bytes()).hexdigest()
    assert stored.parent == services.imports_dir() and stored.name.startswith(f"batch-{batch.pk:06d}-leave-sheet-")

    unreadable = tmp_path / "x.csv"
    unreadable.write_bytes("姓名,减员原因\n张三,死亡\n".encode())
    with pytest.raises(services.ImportRefused, match="无法读取"):
        leaving.give_reasons_from_sheet(actor=officer, batch_id=batch.pk, path=unreadable, file_name="x.csv")
    assert ReceivedLeaveSheet.objects.filter(outcome="refused", file_name="x.csv", rows=0).exists()

    unreadable.write_bytes(b"")
    with pytest.raises(services.ImportRefused, match="为空"):
        leaving.give_reasons_from_sheet(actor=officer, batch_id=batch.pk, path=unreadable, file_name="x.csv")
    assert ReceivedLeaveSheet.objects.count() == 2

    good = _filled(batch, tmp_path, {died: ("死亡", "")})
    real = leaving.give_reasons
    monkeypatch.setattr(leaving, "give_reasons",
                        lambda **kw: real(**kw) and (_ for _ in ()).throw(services.ImportRefused("批次已变 / raced")))
    before = set(services.imports_dir().iterdir())
    with pytest.raises(services.ImportRefused, match="raced"):
        leaving.give_reasons_from_sheet(actor=officer, batch_id=batch.pk, path=good, file_name="good.xlsx")
    assert ReceivedLeaveSheet.objects.count() == 2 and not LeavingReason.objects.exists()
    assert set(services.imports_dir().iterdir()) == before  # the copy no record names is gone
    monkeypatch.setattr(leaving, "give_reasons", real)
    applied = leaving.give_reasons_from_sheet(actor=officer, batch_id=batch.pk, path=good, file_name="good.xlsx",
                                              source="api")
    sheet = ReceivedLeaveSheet.objects.get(outcome="applied")
    assert (sheet.rows, sheet.reasons, sheet.changed, sheet.errors, sheet.source) == (3, 1, applied.changed, 0, "api")
    assert applied.changed == 1 and Path(sheet.stored_path).read_bytes() == good.read_bytes()
    assert ChangeRecord.objects.get(model="imports.leavingreason").comment.endswith(f"#{sheet.pk} good.xlsx)")


# page, API, command --------------------------------------------------------------------------------

def test_the_page_downloads_the_sheet_and_takes_it_back(client, login, batch_at_review, tmp_path):
    officer, batch = batch_at_review
    client.force_login(officer)
    page = client.get(f"/imports/{batch.pk}/leaving/").content.decode()
    assert 'id="leave-sheet-download"' in page and 'id="leave-sheet-form"' in page
    assert 'id="signatures"' in page and "经办人（签字）：" in page  # printed only (签字栏)
    download = client.get(f"/imports/{batch.pk}/leaving/sheet.xlsx")
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    record = ExportRecord.objects.get()
    assert (record.kind, record.rows, record.channel) == ("leaving", 3, "web")
    sheet = _read_xlsx(download.content)
    listed = leaving.persons_leaving(batch, full=True).filter(pl.col("file_reason") == "other").sort("member_id")
    died, married = listed["name"].to_list()

    bad = sheet.with_columns(pl.when(pl.col("姓名") == died).then(pl.lit("病死")).otherwise(pl.col("减员原因"))
                             .alias("减员原因"))
    with _write_xlsx(tmp_path / "bad.xlsx", bad).open("rb") as f:
        refused = client.post(f"/imports/{batch.pk}/leaving/sheet/", {"sheet": f})
    assert refused.status_code == 422
    html = refused.content.decode()
    assert 'id="sheet-errors"' in html and "不是减员原因: 病死" in html
    assert not LeavingReason.objects.exists()

    good = sheet.with_columns(pl.when(pl.col("姓名") == died).then(pl.lit("死亡"))
                              .when(pl.col("姓名") == married).then(pl.lit("婚出")).otherwise(pl.col("减员原因"))
                              .alias("减员原因"))
    with _write_xlsx(tmp_path / "good.xlsx", good).open("rb") as f:
        saved = client.post(f"/imports/{batch.pk}/leaving/sheet/", {"sheet": f})
    assert saved.status_code == 302
    assert "表中 2 人有减员原因，变更 2 项" in client.get(saved["Location"]).content.decode()
    assert LeavingReason.objects.filter(batch=batch).count() == 2

    page = client.get(f"/imports/{batch.pk}/leaving/").content.decode()
    kept = list(ReceivedLeaveSheet.objects.order_by("pk"))
    assert [(k.outcome, k.file_name) for k in kept] == [("refused", "bad.xlsx"), ("applied", "good.xlsx")]
    assert 'id="received-sheets"' in page and f'id="received-sheet-{kept[1].pk}"' in page
    taken = client.get(f"/imports/{batch.pk}/leaving/sheets/{kept[1].pk}/file/")
    assert taken.status_code == 200 and b"".join(taken.streaming_content) == (tmp_path / "good.xlsx").read_bytes()
    assert ExportRecord.objects.filter(kind="landed", file_name="good.xlsx", channel="web").count() == 1
    Path(kept[0].stored_path).write_bytes(b"changed")
    changed = client.get(f"/imports/{batch.pk}/leaving/sheets/{kept[0].pk}/file/")
    assert changed.status_code == 302 and not ExportRecord.objects.filter(file_name="bad.xlsx").exists()
    assert client.get(f"/imports/{batch.pk + 1}/leaving/sheets/{kept[1].pk}/file/").status_code == 404

    client.logout()
    client.force_login(login("city", MINGXI))  # sees the batch, may not take landed files
    page = client.get(f"/imports/{batch.pk}/leaving/").content.decode()
    assert 'id="received-sheets"' in page and "received-sheet-file" not in page
    assert client.get(f"/imports/{batch.pk}/leaving/sheets/{kept[1].pk}/file/").status_code == 404
    client.logout()
    client.force_login(login("county", NINGHUA))
    assert client.get(f"/imports/{batch.pk}/leaving/sheets/{kept[1].pk}/file/").status_code == 404
    assert client.get(f"/imports/{batch.pk}/leaving/sheet.xlsx").status_code == 404
    assert client.post(f"/imports/{batch.pk}/leaving/sheet/", {}).status_code == 404


def test_the_api_downloads_the_sheet_and_takes_it_back(client, make_user, batch_at_review, tmp_path):
    from fupin.api.tests.conftest import token_api

    officer, batch = batch_at_review
    api = token_api(client, officer)
    download = api.get(f"/imports/{batch.pk}/leaving/sheet")
    assert download.status_code == 200
    assert ExportRecord.objects.get().channel == "api"
    sheet = _read_xlsx(b"".join(download.streaming_content))
    listed = leaving.persons_leaving(batch, full=True).filter(pl.col("file_reason") == "other").sort("member_id")
    died = listed["name"][0]
    good = sheet.with_columns(pl.when(pl.col("姓名") == died).then(pl.lit("死亡")).otherwise(pl.col("减员原因"))
                              .alias("减员原因"))
    path = _write_xlsx(tmp_path / "good.xlsx", good)
    url = f"/api/v1/imports/{batch.pk}/leaving/sheet"
    with path.open("rb") as f:
        answer = client.post(url, {"file": f}, HTTP_AUTHORIZATION=f"Bearer {api.raw}")
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"reasons": 1, "changed": 1, "rows": 3, "empty": 1, "ignored": 1}
    bad = good.with_columns(pl.lit("9999999").alias("成员编号"))
    with _write_xlsx(tmp_path / "bad.xlsx", bad).open("rb") as f:
        refused = client.post(url, {"file": f}, HTTP_AUTHORIZATION=f"Bearer {api.raw}")
    assert refused.status_code == 422
    errors = refused.json()["field_errors"]["file"]
    assert len(errors) == 2 and all("成员编号: 该成员不在本批次的减员名单中" in e for e in errors)
    listed_sheets = api.get(f"/imports/{batch.pk}/leaving/sheets").json()
    assert [(r["outcome"], r["file_name"], r["reasons"], r["errors"], r["source"]) for r in listed_sheets] == [
        ("refused", "bad.xlsx", 0, 2, "api"), ("applied", "good.xlsx", 1, 0, "api")]
    taken = api.get(f"/imports/{batch.pk}/leaving/sheets/{listed_sheets[1]['id']}/file")
    assert taken.status_code == 200 and b"".join(taken.streaming_content) == path.read_bytes()
    other = token_api(client, make_user("county", NINGHUA))
    assert other.get(f"/imports/{batch.pk}/leaving/sheet").status_code == 404
    assert other.get(f"/imports/{batch.pk}/leaving/sheets").status_code == 404
    assert other.get(f"/imports/{batch.pk}/leaving/sheets/{listed_sheets[1]['id']}/file").status_code == 404


def test_the_command_writes_the_sheet_and_takes_it_back(tmp_path, make_household):
    from fupin.imports.tests.test_commands import _call, _re_import_file

    path, gone, _second = _re_import_file(tmp_path, make_household)
    sheet_path = tmp_path / "leaving.xlsx"
    with pytest.raises(CommandError, match="--leaving-sheet"):
        _call(str(path), "--leaving-sheet", str(sheet_path))
    assert sheet_path.exists() and ExportRecord.objects.get().kind == "leaving"
    sheet = _read_xlsx(sheet_path.read_bytes())
    assert sheet["证件号码"].to_list() == [gone.id_number]  # the system sees full numbers
    ImportBatch.objects.all().delete()
    wrong = _write_xlsx(tmp_path / "wrong.xlsx", sheet.with_columns(pl.lit("升学").alias("减员原因")))
    with pytest.raises(CommandError, match=r"1 处错误(.|\n)*第2行 减员原因: 不是减员原因: 升学"):
        _call(str(path), "--leave-reasons", str(wrong), "--allow-leaving")
    assert ImportBatch.objects.get().status == "review" and not LeavingReason.objects.exists()
    ImportBatch.objects.all().delete()
    filled = _write_xlsx(tmp_path / "filled.xlsx", sheet.with_columns(pl.lit("死亡").alias("减员原因")))
    with pytest.raises(CommandError, match="--dry-run"):
        _call(str(path), "--dry-run", "--leave-reasons", str(filled))
    output = _call(str(path), "--leave-reasons", str(filled), "--allow-leaving")
    assert "减员原因表:1 人填写了原因(1 项变更)" in output
    assert Member.objects.get(pk=gone.pk).left_reason == "death"
