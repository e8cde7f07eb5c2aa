"""Browser tests of the cross-department comparison (数据比对): a county officer of 明溪县 uploads the
traffic police's vehicle list, reads its counts and downloads the rejected rows; then screens the
county against the lists, follows the run's new hits to the queue, dismisses one hit with a comment
and confirms another on its page. An officer of 宁化县 gets 404 on the list, the run and the hit.
Screenshots: ``test-artifacts/browser/screening-*.png``.

As in :mod:`fupin.web.tests.test_browser`, the data is made in a fixture before Playwright's event
loop starts, and the test body makes no ORM call.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import fastexcel
import pytest

from fupin.testing import MINGXI, NINGHUA, load_test_regions, make_household_for, make_user_for

from .conftest import VILLAGE_T1, VILLAGE_T2, import_csv
from .list_files import person_id, write_csv

pytestmark = [
    pytest.mark.browser,
]

VEHICLE_HEADERS = ["身份证号码", "所有人", "号牌号码", "车辆类型"]


def _wrong_check_digit(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


@pytest.fixture
def scene(live_server, tmp_path):
    """明溪县: h1 (3 persons) in 雪峰镇城东村, h2 (2 persons) in 盖洋镇盖洋村; a county officer of 明溪县 and
    one of 宁化县; the finance bureau's payroll list (h2's second member and a stranger) already loaded,
    and a vehicle list file to upload (h1's head, a stranger, a row with a bad check digit)."""
    load_test_regions()
    officer = make_user_for("county", MINGXI, username="mingxi_screening")
    outsider = make_user_for("county", NINGHUA, username="ninghua_screening")
    h1 = make_household_for(VILLAGE_T1, members=3)
    h2 = make_household_for(VILLAGE_T2, members=2)
    m1, m2 = list(h1.members.order_by("id")), list(h2.members.order_by("id"))
    payroll = import_csv(tmp_path, officer, "payroll", ["身份证号", "姓名", "工作单位"], [
        [m2[1].id_number, m2[1].name, "县教育局"], [person_id(951, "350402", 1970), "路人乙", "县财政局"]])
    good_id = person_id(952, "350402", 1970)
    bad_id = _wrong_check_digit(good_id)
    upload = write_csv(tmp_path / "明溪县车辆登记.csv", VEHICLE_HEADERS, [
        [m1[0].id_number, m1[0].name, "闽G10001", "小型轿车"],  # row 2
        [person_id(953, "350402", 1970), "路人甲", "闽G10002", "小型轿车"],  # row 3
        [bad_id, "路人丙", "闽G10003", "轻型货车"],  # row 4: a bad check digit
    ])
    return SimpleNamespace(officer=officer, outsider=outsider, h1=h1, h2=h2, payroll=payroll, upload=upload,
                           bad_id=bad_id, check_digit=good_id[17], car_owner=m1[0], payroll_member=m2[1])


def test_county_officer_uploads_a_vehicle_list(live_server, scene, logged_in_page, shots):
    from playwright.sync_api import expect

    context, page = logged_in_page(scene.officer.username)
    page.click("nav >> text=数据比对")
    expect(page.locator("h1")).to_have_text("数据比对 · 疑点队列")
    expect(page.locator("#hit-count")).to_have_text("共0个疑点")
    expect(page.locator("#no-hits")).to_have_text("没有疑点。")

    page.click("#screening-nav >> text=部门名单")
    expect(page.locator("h1")).to_have_text("数据比对 · 部门名单")
    payroll_row = page.locator(f"#list-{scene.payroll.pk}")
    expect(payroll_row).to_contain_text("财政供养人员")
    expect(page.locator("#upload-form #id_region_code")).to_have_value(MINGXI)
    page.select_option("#id_kind", "vehicle")
    page.fill("#id_as_of", "2024-06-30")
    page.fill("#id_source_department", "明溪县公安局交警大队")
    page.set_input_files("#id_file", str(scene.upload))
    page.screenshot(path=str(shots / "screening-upload.png"), full_page=True)
    page.click("#upload-form button[type=submit]")

    expect(page).to_have_url(re.compile(r"/screening/lists/\d+/$"))
    list_url = page.url
    expect(page.locator("h1")).to_have_text(re.compile(r"^部门名单 \d+ · 车辆登记 · 明溪县车辆登记\.csv$"))
    expect(page.locator("#list-status")).to_have_text("已入库")
    expect(page.locator("dl.details")).to_contain_text("明溪县公安局交警大队")
    expect(page.locator("dl.details")).to_contain_text("明溪县 (350421000000)")
    expect(page.locator("#rows-equation")).to_have_text("读取行数 3 = 接收行数 2 + 错误行数 1")
    expect(page.locator("#rows-read")).to_have_text("3")
    expect(page.locator("#rows-accepted")).to_have_text("2")
    expect(page.locator("#rows-rejected")).to_have_text("1")
    rejected = page.locator("#rejections tbody tr")
    expect(rejected).to_have_count(1)
    expect(rejected.first.locator("td")).to_have_text(
        ["4", "身份证号码", scene.bad_id, f"校验位错误(应为{scene.check_digit})"])  # the reason in the page's language
    page.screenshot(path=str(shots / "screening-list.png"), full_page=True)

    # 下载错误行: the same row in an xlsx
    with page.expect_download() as info:
        page.click("#errors-link")
    download = info.value
    assert re.fullmatch(r"名单错误行-\d+\.xlsx", download.suggested_filename)
    sheet = fastexcel.read_excel(Path(download.path()).read_bytes()).load_sheet(0).to_polars()
    assert sheet.height == 1
    assert sheet.row(0)[:3] == (4, "身份证号码", scene.bad_id) and "校验位错误" in sheet.row(0)[3]

    # the list is on the lists page with its counts, next to the payroll list
    page.click("#screening-nav >> text=部门名单")
    list_id = list_url.rstrip("/").rsplit("/", 1)[1]
    row = page.locator(f"#list-{list_id} td")
    expect(row.nth(1)).to_have_text("车辆登记")
    expect(row.nth(2)).to_have_text("明溪县公安局交警大队")
    expect(row.nth(3)).to_have_text("2024-06-30")
    expect(row.nth(6)).to_have_text("已入库")
    expect(row.nth(7)).to_have_text("mingxi_screening")
    expect(row.nth(9)).to_have_text("3")
    expect(row.nth(10)).to_have_text("2")
    expect(row.nth(11)).to_have_text("1")
    expect(page.locator("#lists tbody tr")).to_have_count(2)
    page.screenshot(path=str(shots / "screening-lists.png"), full_page=True)
    context.close()

    # 宁化县's officer: neither the list nor its rejected rows
    other, outsider = logged_in_page(scene.outsider.username)
    for url in (list_url, f"{list_url}rejections.xlsx"):
        response = outsider.goto(url)
        assert response is not None and response.status == 404, url
    outsider.goto(f"{live_server.url}/screening/lists/")
    expect(outsider.locator(f"#list-{list_id}")).to_have_count(0)
    other.close()


@pytest.fixture
def loaded(scene, tmp_path):
    """The scene with the vehicle list already loaded as well."""
    from fupin.screening import services

    scene.vehicle = services.import_list(actor=scene.officer, kind="vehicle", region_code=MINGXI,
                                         as_of=date(2024, 6, 30), file_name=scene.upload.name, path=scene.upload,
                                         source="test")
    assert scene.vehicle.status == "loaded", scene.vehicle.error
    return scene


def test_county_officer_screens_the_county_and_works_the_queue(live_server, loaded, logged_in_page, shots):
    from playwright.sync_api import expect

    scene = loaded
    context, page = logged_in_page(scene.officer.username)
    page.click("nav >> text=数据比对")
    page.click("#screening-nav >> text=比对批次")
    expect(page.locator("h1")).to_have_text("数据比对 · 比对批次")
    expect(page.locator("#no-runs")).to_have_text("暂无比对批次。")
    expect(page.locator("#id_region_code")).to_have_value(MINGXI)
    # the newest list of each kind is ticked
    expect(page.locator("#id_lists input:checked")).to_have_count(2)
    expect(page.locator("#id_lists")).to_contain_text(f"#{scene.payroll.pk} 财政供养人员 · 财政部门/人社部门 · 2024-06-30 · 2")
    expect(page.locator("#id_lists")).to_contain_text(f"#{scene.vehicle.pk} 车辆登记 · 公安交管部门 · 2024-06-30 · 2")
    page.click("#run-button")

    expect(page).to_have_url(re.compile(r"/screening/runs/\d+/$"))
    run_url = page.url
    expect(page.locator("h1")).to_have_text(re.compile(r"^比对批次 \d+$"))
    expect(page.locator("#run-status")).to_have_text("已完成")
    expect(page.locator("dl.details")).to_contain_text("明溪县 (350421000000)")
    expect(page.locator("#persons-screened")).to_have_text("5")
    expect(page.locator("#hits-matched")).to_have_text("2")
    expect(page.locator("#hits-new")).to_have_text("2")
    expect(page.locator("#run-lists li")).to_have_count(2)
    expect(page.locator("#count-vehicle td")).to_have_text(["车辆登记", "ex_vehicle", "2", "1", "1"])
    expect(page.locator("#count-payroll td")).to_have_text(["财政供养人员", "ex_public_payroll", "2", "1", "1"])
    page.screenshot(path=str(shots / "screening-run.png"), full_page=True)

    # the run's new hits in the queue
    page.click("#hits-new a")
    run_id = run_url.rstrip("/").rsplit("/", 1)[1]
    expect(page.locator("#run-filter")).to_contain_text(f"第{run_id}号比对批次的疑点")
    expect(page.locator("#hit-count")).to_have_text("共2个疑点")
    payroll_hit = page.locator("#hits tr.hit", has_text=scene.payroll_member.name)
    vehicle_hit = page.locator("#hits tr.hit", has_text=scene.car_owner.name)
    expect(payroll_hit.locator(".kind")).to_have_text("财政供养人员")
    expect(payroll_hit.locator(".id-number")).to_have_text(scene.payroll_member.id_number)  # a county officer sees it
    expect(payroll_hit.locator(".record")).to_contain_text("工作单位: 县教育局")
    expect(payroll_hit.locator(".status")).to_have_text("待核实")
    expect(vehicle_hit.locator(".record")).to_contain_text("号牌号码: 闽G10001")
    expect(vehicle_hit).to_contain_text(scene.h1.household_number)
    page.screenshot(path=str(shots / "screening-queue.png"), full_page=True)
    queue_url = page.url

    # dismissing needs a comment: refused, back on the same filtered page, the hit still open
    payroll_hit.locator("button.dismiss").click()
    expect(page.locator(".alert.error")).to_contain_text("排除疑点须填写核实意见")
    expect(page).to_have_url(queue_url)
    expect(payroll_hit.locator(".status")).to_have_text("待核实")
    payroll_hit.locator("textarea[name=comment]").fill("已于2023年离职,核实无误")
    payroll_hit.locator("button.dismiss").click()
    expect(page.locator(".alert.success")).to_have_text(re.compile(r"^疑点#\d+:已排除$"))
    expect(page).to_have_url(queue_url)
    expect(payroll_hit.locator(".status")).to_contain_text("已排除")
    expect(payroll_hit.locator(".status .comment")).to_have_text("已于2023年离职,核实无误")
    expect(payroll_hit.locator(".decide-form")).to_have_count(0)
    page.screenshot(path=str(shots / "screening-dismissed.png"), full_page=True)

    # the vehicle hit on its own page: confirm it
    vehicle_hit.locator("td").first.locator("a").click()
    expect(page).to_have_url(re.compile(r"/screening/hits/\d+/$"))
    hit_url = page.url
    expect(page.locator("h1")).to_have_text(re.compile(r"^疑点 \d+ · 车辆登记$"))
    expect(page.locator("#hit-status")).to_have_text("待核实")
    expect(page.locator("#hit-rule")).to_have_text("ex_vehicle")
    expect(page.locator("#hit-id-number")).to_have_text(scene.car_owner.id_number)
    expect(page.locator("#household-link")).to_have_text(f"{scene.car_owner.name} · {scene.h1.household_number}")
    expect(page.locator("#record-name")).to_have_text(scene.car_owner.name)
    expect(page.locator("#record")).to_contain_text("闽G10001")
    expect(page.locator("#record")).to_contain_text("行号 2")
    expect(page.locator("#decide p.muted")).to_contain_text("确认后,该户将被标记")
    page.screenshot(path=str(shots / "screening-hit.png"), full_page=True)
    page.click("#confirm-button")
    expect(page).to_have_url(hit_url)
    expect(page.locator(".alert.success")).to_have_text(re.compile(r"^疑点#\d+:已确认$"))
    expect(page.locator("#hit-status")).to_have_text("已确认")
    expect(page.locator("#hit-details")).to_contain_text("mingxi_screening")
    expect(page.locator("#decide")).to_have_count(0)

    # the queue (open hits by default) is empty now; every status shows both decisions
    page.click("#screening-nav >> text=疑点队列")
    expect(page.locator("#hit-count")).to_have_text("共0个疑点")
    page.select_option("#id_status", "")
    page.click("#queue-filters button[type=submit]")
    expect(page.locator("#hit-count")).to_have_text("共2个疑点")
    expect(page.locator("#hits tr.hit.confirmed")).to_contain_text(scene.car_owner.name)
    expect(page.locator("#hits tr.hit.dismissed")).to_contain_text(scene.payroll_member.name)
    page.click("#screening-nav >> text=比对批次")
    expect(page.locator(f"#run-{run_id} td").nth(6)).to_have_text("5")
    expect(page.locator(f"#run-{run_id} td").nth(8)).to_have_text("2")
    context.close()

    # 宁化县's officer: not the hit, its decision, nor the run; an empty queue
    other, outsider = logged_in_page(scene.outsider.username)
    for url in (hit_url, run_url):
        response = outsider.goto(url)
        assert response is not None and response.status == 404, url
    outsider.goto(f"{live_server.url}/screening/?status=")
    expect(outsider.locator("#hit-count")).to_have_text("共0个疑点")
    other.close()
    context.close()
