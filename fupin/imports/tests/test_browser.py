"""Browser test of the roster import (花名册导入): a county officer uploads a CSV, watches the progress
(validation in a background thread, polled by htmx), reads the review page's counts (and the warning
of a registered household the file does not list), confirms, and finds the imported household in the
household list; re-imports a file that leaves a registered member out, is warned of the person leaving
and finds them in the list of changes (变更明细); and exports a roster and finds the export in the export
records. Screenshots: ``test-artifacts/browser/import-*.png``.

As in :mod:`fupin.web.tests.test_browser`, the data is made in a fixture before Playwright's event
loop starts, and the test body makes no ORM call.
"""

from __future__ import annotations

import re
import time
from types import SimpleNamespace

import fastexcel
import polars as pl
import pytest

from fupin.core.tests.xlsx_help import workbook_help
from fupin.testing import MINGXI, first_village, load_test_regions, make_user_for

from .test_views import household_rows, person_row, roster_csv

pytestmark = [
    pytest.mark.browser,
]


@pytest.fixture
def scene(live_server, settings, tmp_path, monkeypatch):
    settings.FUPIN_IMPORT_SYNC = False  # the real thing: a thread, and the page polls
    # a small file validates in well under a second: hold the thread back so the progress bar shows
    from fupin.imports import services

    real_validate = services.validate_batch

    def slow_validate(batch_id, **kwargs):
        services.ImportBatch.objects.filter(pk=batch_id).update(progress=2, progress_label="排队 / queued")
        time.sleep(2.5)
        return real_validate(batch_id, **kwargs)

    monkeypatch.setattr(services, "validate_batch", slow_validate)
    load_test_regions()
    village = first_village(MINGXI)  # 城东居委会, 雪峰镇, 明溪县
    officer = make_user_for("county", MINGXI, username="import_officer")
    from fupin.testing import make_household_for

    make_household_for(village, members=2)  # registered, and not in the file: the review warns of it
    first, second = f"{village}80001", f"{village}80002"
    rows = household_rows(village, first, members=3) + household_rows(village, second, members=2)
    rows.append(person_row(village, f"{village}80003", 证件号码="350421196001011234"))  # a bad check digit
    path = tmp_path / "明溪县花名册.csv"
    path.write_bytes(roster_csv(rows))
    head = rows[0]["姓名"]
    return SimpleNamespace(officer=officer, village=village, path=path, household_number=first, head=head)


def test_county_officer_imports_a_roster(live_server, scene, logged_in_page, shots):
    from playwright.sync_api import expect

    context, page = logged_in_page(scene.officer.username)

    page.click("nav >> text=导入导出")
    expect(page.locator("h1")).to_have_text("导入导出")
    expect(page.locator("#id_region_code")).to_have_value(MINGXI)
    page.set_input_files("#id_file", str(scene.path))
    page.screenshot(path=str(shots / "import-upload.png"), full_page=True)
    polls: list[str] = []
    page.on("response", lambda r: polls.append(r.headers.get("hx-refresh", "")) if "/progress/" in r.url else None)
    uploads: list[tuple[str, str | None]] = []
    page.on("request", lambda r: uploads.append((r.resource_type, r.headers.get("x-fupin-upload")))
            if r.method == "POST" and r.url.endswith("/imports/") else None)
    page.click("#upload-form button[type=submit]")

    # the file is sent by the upload script (its progress shown), then the batch page polls the check's
    # progress and reloads itself at review
    expect(page).to_have_url(re.compile(r"/imports/\d+/$"))
    assert uploads == [("xhr", "1")]
    expect(page.locator("progress")).to_be_visible()
    page.screenshot(path=str(shots / "import-progress.png"), full_page=True)
    expect(page.locator("#rows-read")).to_have_text("6", timeout=30_000)
    assert polls and polls[-1] == "true"  # htmx polled, and the last answer told it to reload
    expect(page.locator("#rows-imported")).to_have_text("5")
    expect(page.locator("#rows-rejected")).to_have_text("1")
    expect(page.locator("#rows-equation")).to_contain_text("读取 6 行 = 可导入 5 行 + 错误 1 行")
    expect(page.locator("#households-counts .new")).to_have_text("2")
    expect(page.locator("#persons-counts .new")).to_have_text("5")
    expect(page.locator(f"#village-{scene.village} .new")).to_have_text("2")
    expect(page.locator("#rejections tbody tr").first).to_contain_text("证件号码")
    expect(page.locator("#errors-link")).to_be_visible()
    expect(page.locator("#households-absent")).to_contain_text("有1户在册户不在文件中")
    expect(page.locator(f"#village-{scene.village} .absent")).to_have_text("1")
    page.screenshot(path=str(shots / "import-review.png"), full_page=True)

    page.click("#merge-button")
    expect(page.locator("#merged-note")).to_be_visible()
    expect(page.locator(".alert.success").first).to_be_visible()
    page.screenshot(path=str(shots / "import-merged.png"), full_page=True)

    page.click("#households-link")
    expect(page.locator("#result-count")).to_have_text("明溪县 · 共3户")  # the 2 imported and the one left alone
    page.fill("#id_q", scene.household_number)
    expect(page.locator("#result-count")).to_have_text("明溪县 · 共1户")
    row = page.locator("#results tr", has_text=scene.household_number)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(scene.head)
    page.screenshot(path=str(shots / "import-households.png"), full_page=True)

    # the import list: filtered by status, the batch found with its region's name; then none at review
    page.click("nav >> text=导入导出")
    page.select_option("#id_status", "merged")
    page.click("#batch-filters button[type=submit]")
    batch_row = page.locator("#batches tbody tr")
    expect(batch_row).to_have_count(1)
    expect(batch_row).to_contain_text("明溪县花名册.csv")
    expect(batch_row).to_contain_text("明溪县")
    page.screenshot(path=str(shots / "import-list-filtered.png"), full_page=True)
    page.select_option("#id_status", "review")
    page.click("#batch-filters button[type=submit]")
    expect(page.locator("#no-batches")).to_have_text("没有符合筛选条件的导入批次。")
    page.click("#clear-filters")
    expect(page.locator("#batches tbody tr")).to_have_count(1)

    # the blank template, as the officer downloads it: the county's townships and villages as drop-downs
    with page.expect_download() as download_info:
        page.click("#template-link")
    template = download_info.value.path().read_bytes()
    shown = workbook_help(template)
    assert shown.sheet_names == ["花名册", "填写说明", "村名单", "代码表"]
    assert "雪峰镇" in shown.by_header["乡镇"].values
    context.close()


def _registered_household(username: str, number: str) -> tuple[object, list[dict[str, str]]]:
    """A county officer and a household of three in 明溪县's first village, imported and merged through
    the services (before Playwright's event loop starts); the rows it was imported from."""
    from fupin.imports import services

    load_test_regions()
    village = first_village(MINGXI)
    officer = make_user_for("county", MINGXI, username=username)
    rows = household_rows(village, f"{village}{number}", members=3)
    first = services.land_file(actor=officer, file_name="v1.csv", content=roster_csv(rows), region_code=MINGXI,
                               source="test")
    services.merge_batch(actor=officer, batch_id=services.validate_batch(first.pk, actor=officer).pk)
    return officer, rows


@pytest.fixture
def list_scene(live_server, settings, tmp_path):
    """A registered household of three and a list of its second member only, 健康状况 now 长期慢性病 (a
    village's 健康 list). Checked inline."""

    settings.FUPIN_IMPORT_SYNC = True
    officer, rows = _registered_household("list_officer", "59001")
    path = tmp_path / "健康名单.csv"
    path.write_bytes(roster_csv([dict(rows[1], 健康状况="长期慢性病")]))
    return SimpleNamespace(officer=officer, path=path, id_number=rows[1]["证件号码"])


def test_an_upload_the_server_refuses_shows_the_form_with_its_error(live_server, scene, logged_in_page, tmp_path):
    """The upload script sends the file and shows the page the server answers with: a file of another
    kind refused by the form (422) — the message on the import page, the button usable again, and the
    page shown working (the right file then sent by the script and landed)."""
    from playwright.sync_api import expect

    context, page = logged_in_page(scene.officer.username)
    page.goto(f"{live_server.url}/imports/")
    wrong = tmp_path / "花名册.pdf"
    wrong.write_bytes(b"%PDF-1.4 not a roster")
    page.set_input_files("#id_file", str(wrong))
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/imports/")) as answer:
        page.click("#upload-form button[type=submit]")
    assert answer.value.status == 422 and answer.value.request.resource_type == "xhr"
    expect(page.locator("#upload-form")).to_contain_text("只能导入")
    expect(page).to_have_url(f"{live_server.url}/imports/")
    expect(page.locator("#upload-form button[type=submit]")).to_be_enabled()
    # the page shown is a working page: the right file, sent again by the script, lands
    page.set_input_files("#id_file", str(scene.path))
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/imports/")) as sent:
        page.click("#upload-form button[type=submit]")
    assert sent.value.resource_type == "xhr"
    expect(page).to_have_url(re.compile(r"/imports/\d+/$"))
    expect(page.locator("#rows-read")).to_have_text("6", timeout=30_000)  # its check done before the test ends
    context.close()


def test_a_list_of_one_member_is_imported_as_listed_persons_only(live_server, list_scene, logged_in_page, shots):
    """导入方式 只更新所列成员: the page's mode chosen, the list of one member is reviewed as one person
    changed and nobody leaving (no 减员 warning, no confirmation box), merged, and the member changed."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection
    from playwright.sync_api import expect

    from fupin.registry.models import Member

    context, page = logged_in_page(list_scene.officer.username, next_url="/imports/")
    page.set_input_files("#id_file", str(list_scene.path))
    page.check("#upload-form input[name=mode][value=members]")
    page.click("#upload-form button[type=submit]")
    expect(page.locator("#batch-mode")).to_contain_text("只更新所列成员")
    expect(page.locator("#rows-imported")).to_have_text("1")
    expect(page.locator("#persons-left")).to_have_count(0)
    expect(page.locator("#changes-by-field")).to_contain_text("健康状况")
    page.screenshot(path=str(shots / "import-listed-persons.png"), full_page=True)
    page.click("#merge-button")
    expect(page.locator("#merged-note")).to_be_visible()

    def member() -> tuple[str, int, int]:
        try:
            m = Member.objects.get(id_number=list_scene.id_number)
            return m.health, m.version, Member.objects.filter(status="active").count()
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(member).result() == ("2", 2, 3)
    context.close()


@pytest.fixture
def changes_scene(live_server, settings, tmp_path):
    """A registered household of three (imported and merged through the services) and a newer file of
    it without its third member. The upload is checked inline (no progress to watch here)."""

    settings.FUPIN_IMPORT_SYNC = True
    officer, rows = _registered_household("changes_officer", "60001")
    path = tmp_path / "明溪县花名册-更新.csv"
    path.write_bytes(roster_csv(rows[:2]))
    gone = rows[2]
    return SimpleNamespace(officer=officer, path=path, name=gone["姓名"], id_number=gone["证件号码"])


def test_a_re_import_warns_of_a_person_leaving_and_lists_them(live_server, changes_scene, logged_in_page, shots,
                                                              tmp_path):
    """成员减少: the review page warns that one registered person is not in the file; the link opens the
    list of changes filtered to the persons leaving, with that person's row; the merge needs that number
    confirmed (核对减员)."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection
    from playwright.sync_api import expect

    from fupin.registry.models import Member

    context, page = logged_in_page(changes_scene.officer.username, next_url="/imports/")
    page.set_input_files("#id_file", str(changes_scene.path))
    page.click("#upload-form button[type=submit]")
    expect(page.locator("#persons-left")).to_contain_text("有1名在册成员未列入文件")
    expect(page.locator("#persons-counts .left")).to_have_text("1")
    expect(page.locator("#changes-by-field")).to_contain_text("成员减少")
    page.screenshot(path=str(shots / "import-review-leaving.png"), full_page=True)
    page.click("#persons-left-link")
    expect(page.locator("h1")).to_contain_text("变更明细")
    expect(page.locator("#id_change")).to_have_value("member_left")
    row = page.locator("#change-table tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(changes_scene.name)
    expect(row).to_contain_text(changes_scene.id_number)
    expect(row).to_contain_text("成员减少")
    page.screenshot(path=str(shots / "import-changes.png"), full_page=True)
    # 减员原因: the file cannot say why the person left; the officer says they died
    page.click("#batch-link")
    page.click("#leaving-link")
    expect(page.locator("#leaving-count")).to_have_text("减员共1人")
    leaving_row = page.locator("#leaving-table tbody tr")
    expect(leaving_row).to_contain_text(changes_scene.name)
    # 减员原因表: the list downloaded, filled as a village would (婚出), uploaded back
    with page.expect_download() as download_info:
        page.click("#leave-sheet-download")
    sheet = fastexcel.read_excel(download_info.value.path().read_bytes()).load_sheet(0, dtypes="string").to_polars()
    assert sheet["姓名"].to_list() == [changes_scene.name] and sheet["减员原因"].to_list() == [None]
    filled = tmp_path / "减员原因表.xlsx"
    sheet.with_columns(pl.lit("婚出").alias("减员原因")).write_excel(filled)
    page.set_input_files("#id_sheet", str(filled))
    page.click("#leave-sheet-upload")
    expect(page.locator(".messages")).to_contain_text("表中 1 人有减员原因，变更 1 项")
    expect(leaving_row.locator("select")).to_have_value("marriage_out")
    received = page.locator("#received-sheets tbody tr")  # 收到的减员原因表: kept as given, with what it did
    expect(received).to_have_count(1)
    expect(received).to_contain_text("减员原因表.xlsx")
    expect(received).to_contain_text("已采用")
    # and on the page the officer corrects it: the person died
    leaving_row.locator("select").select_option("death")
    leaving_row.locator("input[type=text]").fill("2026年11月病故")
    page.click("#save-reasons")
    expect(page.locator(".messages")).to_contain_text("已保存1条减员原因。")
    expect(page.locator("#given-summary")).to_contain_text("死亡")
    expect(leaving_row.locator("select")).to_have_value("death")
    page.screenshot(path=str(shots / "import-leaving-reasons.png"), full_page=True)
    # 核对减员: back on the batch, the merge needs the box ticked; the browser will not send the form without it.
    page.click("#batch-link")
    page.click("#merge-button")
    expect(page.locator("#batch-status")).to_have_text("待确认")
    page.check("#persons-left-confirmed")
    page.click("#merge-button")
    expect(page.locator("#merged-note")).to_be_visible()
    # (the ORM is not called from Playwright's event loop: a thread of its own, as the live server's)
    def member_status() -> tuple[str, str, str]:
        try:
            m = Member.objects.get(id_number=changes_scene.id_number)
            return m.status, m.left_reason, m.left_comment
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        status, reason, comment = pool.submit(member_status).result()
    assert (status, reason) == ("left", "death") and comment.endswith("；2026年11月病故")
    context.close()


@pytest.fixture
def export_scene(live_server):
    from fupin.testing import make_household_for

    load_test_regions()
    officer = make_user_for("county", MINGXI, username="export_officer")
    ill = make_household_for(first_village(MINGXI), members=3, member_overrides=[{}, {"health": "3"}])
    back = make_household_for(first_village(MINGXI), members=2, poverty_status="3", identification_year=2015)
    return SimpleNamespace(officer=officer, back=back.household_number, village=first_village(MINGXI),
                           ill=ill.members.get(health="3").id_number)


def test_county_officer_exports_and_finds_the_export_in_the_records(live_server, export_scene, logged_in_page,
                                                                     shots, tmp_path):
    """导出 → 导出记录: the officer downloads the roster as CSV, opens the export records, finds the
    export (channel web, 5 rows, full numbers) and finds it again by the downloaded file's SHA-256.
    Then 导出筛选 and 分村导出: the households returned to poverty (返贫) identified in 2015, one xlsx per
    village in a ZIP; the records name the filter."""
    import hashlib
    import io
    import zipfile

    import fastexcel
    from playwright.sync_api import expect

    context, page = logged_in_page(export_scene.officer.username)
    page.goto(f"{live_server.url}/imports/")
    page.select_option("#id_format", "csv")
    with page.expect_download() as download_info:
        page.click("#export-form button[type=submit]")
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    assert saved.name == f"花名册-{MINGXI}.csv"
    digest = hashlib.sha256(saved.read_bytes()).hexdigest()

    page.click("#export-records-link")
    expect(page.locator("h1")).to_have_text("导出记录")
    row = page.locator("#export-records tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("export_officer")
    expect(row).to_contain_text("网页")
    expect(row.locator("td.num").first).to_have_text("5")
    expect(row.locator("td.numbers")).to_have_text("完整")
    expect(row.locator("code")).to_have_attribute("title", digest)
    page.fill("#id_sha256", digest)
    page.click("#export-records-filter button[type=submit]")
    expect(page.locator("#export-records tbody tr")).to_have_count(1)
    page.screenshot(path=str(shots / "export-records.png"), full_page=True)
    page.fill("#id_sha256", "0" * 64)
    page.click("#export-records-filter button[type=submit]")
    expect(page.locator("#no-export-records")).to_be_visible()

    page.goto(f"{live_server.url}/imports/")
    page.check("#export-form input[name=poverty_status][value='3']")
    page.fill("#id_identification_year", "2015")
    page.select_option("#id_split", "village")
    page.locator("#export-form").screenshot(path=str(shots / "export-filtered.png"))
    with page.expect_download() as download_info:
        page.click("#export-form button[type=submit]")
    assert download_info.value.suggested_filename == f"花名册-{MINGXI}-状态3-识别2015-按行政村-xlsx.zip"
    with zipfile.ZipFile(io.BytesIO(download_info.value.path().read_bytes())) as archive:
        (name,) = archive.namelist()
        assert name.startswith(f"花名册-{export_scene.village}-") and name.endswith(".xlsx")
        sheet = fastexcel.read_excel(archive.read(name)).load_sheet(0, dtypes="string").to_polars()
    assert sheet["户编号"].to_list() == [export_scene.back] * 2
    page.goto(f"{live_server.url}/imports/exports/")
    latest = page.locator("#export-records tbody tr").first
    expect(latest.locator("td.filters")).to_have_text("脱贫状态:返贫;识别年度:2015")
    expect(latest).to_contain_text("xlsx.zip")

    # 人员筛选, folded on the form: the members with a serious illness aged 16 to 60, as CSV
    page.goto(f"{live_server.url}/imports/")
    expect(page.locator("#id_age")).to_be_hidden()
    page.click("#person-filters summary")
    page.select_option("#id_format", "csv")
    page.check("#export-form input[name=health][value='3']")
    page.fill("#id_age", "16-60")
    page.locator("#export-form").screenshot(path=str(shots / "export-person-filters.png"))
    with page.expect_download() as download_info:
        page.click("#export-form button[type=submit]")
    assert download_info.value.suggested_filename == f"花名册-{MINGXI}-健康3-年龄16-60.csv"
    rows = pl.read_csv(io.BytesIO(download_info.value.path().read_bytes()[3:]), infer_schema=False)
    assert rows["证件号码"].to_list() == [export_scene.ill]
    page.goto(f"{live_server.url}/imports/exports/")
    expect(page.locator("#export-records tbody tr").first.locator("td.filters")).to_contain_text(
        "健康状况:患有大病;年龄:16-60周岁")
    context.close()


@pytest.fixture
def held_scene(live_server, settings):
    """Two villages registered through the services, and a newer county file at review that changes a
    member in each; the check runs inline."""
    from fupin.imports import services

    settings.FUPIN_IMPORT_SYNC = True
    load_test_regions()
    v1, v2 = first_village(MINGXI), first_village(MINGXI, 1)
    officer = make_user_for("county", MINGXI, username="hold_officer")
    a, c = household_rows(v1, f"{v1}40001", members=2), household_rows(v2, f"{v2}40002", members=2)

    def land(rows: list[dict[str, str]]) -> int:
        batch = services.land_file(actor=officer, file_name="县花名册.csv", content=roster_csv(rows), region_code=MINGXI,
                                   source="test")
        return services.validate_batch(batch.pk, actor=officer).pk

    services.merge_batch(actor=officer, batch_id=land(a + c))
    batch_id = land([a[0], dict(a[1], 健康状况="2"), c[0], dict(c[1], 健康状况="2")])
    return SimpleNamespace(officer=officer, batch_id=batch_id, v1=v1, v2=v2)


def test_the_reviewer_holds_back_a_village_and_merges_the_other(live_server, held_scene, logged_in_page, shots):
    """暂缓部分村: tick the second village, check again, see it held back with its rows rejected, merge."""
    from playwright.sync_api import expect

    context, page = logged_in_page(held_scene.officer.username, next_url=f"/imports/{held_scene.batch_id}/")
    expect(page.locator("#households-counts .changed")).to_have_text("2")
    page.check(f"#village-{held_scene.v2} input[name=village]")
    page.click("#hold-button")
    expect(page.locator("#held-villages")).to_contain_text("已暂缓1个村")
    expect(page.locator(f"#village-{held_scene.v2}")).to_have_class("held")
    expect(page.locator(f"#village-{held_scene.v2} .rejected")).to_have_text("2")
    expect(page.locator("#households-counts .changed")).to_have_text("1")
    expect(page.locator("#rejections")).to_contain_text("该村在审核时暂缓导入")
    page.screenshot(path=str(shots / "import-held-village.png"), full_page=True)
    # printed (审核单): the review without the navigation or the buttons, with who printed it and when
    page.emulate_media(media="print")
    expect(page.locator("header.topnav")).to_be_hidden()
    expect(page.locator("#hold-button")).to_be_hidden()
    expect(page.locator("#decide")).to_be_hidden()
    expect(page.locator("#printed-by")).to_be_visible()
    expect(page.locator("#printed-by")).to_contain_text(f"打印人：{held_scene.officer.username}")
    expect(page.locator("#villages")).to_be_visible()
    signatures = page.locator("#signatures")  # 签字栏: signed and sealed on paper
    expect(signatures).to_be_visible()
    for line in ("审核意见：", "经办人（签字）：", "审核人（签字）：", "负责人（签字）：", "单位（盖章）：", "日期："):
        expect(signatures).to_contain_text(line)
    page.screenshot(path=str(shots / "import-held-village-print.png"), full_page=True)
    page.emulate_media(media="screen")
    expect(page.locator("#printed-by")).to_be_hidden()
    expect(signatures).to_be_hidden()
    page.click("#merge-button")
    expect(page.locator("#merged-note")).to_be_visible()
    context.close()
