"""Browser tests of return-to-poverty monitoring (防返贫监测), in Debian's headless Chromium driven by
Playwright. Screenshots: ``test-artifacts/browser/monitoring-*.png``.

1. A county officer of 明溪县 opens the work area from the nav, runs the flags over the county (风险识别),
   reads the run's flagged household and its reasons, finds it in the monitoring list, opens the object
   and dismisses the flag after a check. An officer of 宁化县 gets 404 on the object and the run.
2. A township officer of 雪峰镇 records a household not on the registry as a monitoring household
   (新增监测户) and takes it through the village and township steps of the identification procedure — the
   5-day village notice ended too early is refused on the page — up to the county's step.

As in :mod:`fupin.web.tests.test_browser`, the data is made in a fixture before Playwright's event loop
starts, and the test bodies make no ORM call.
"""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest

from fupin.testing import (
    MINGXI,
    MINGXI_TOWNSHIP,
    NINGHUA,
    first_village,
    load_test_regions,
    make_household_for,
    make_user_for,
    next_id_number,
)

from .conftest import EXITED, POOR, RICH

INCOME_BELOW_LINE = "人均纯收入低于监测范围"

pytestmark = [
    pytest.mark.browser,
]


@pytest.fixture
def scene(live_server):
    """Two exited households of 城东居委会 (明溪县): one at 2,500 yuan a person (below Fujian's 10,560 line),
    one at 20,000; officers of 明溪县, 雪峰镇 and 宁化县."""
    from fupin.monitoring.services import today
    from fupin.regions.models import Region

    load_test_regions()
    village = first_village(MINGXI)  # 城东居委会, 雪峰镇, 明溪县
    poor = make_household_for(village, members=3, **EXITED, **POOR)
    make_household_for(village, members=3, **EXITED, **RICH)
    return SimpleNamespace(
        officer=make_user_for("county", MINGXI, username="mingxi_monitor"),
        township=make_user_for("township", MINGXI_TOWNSHIP, username="xuefeng_monitor"),
        outsider=make_user_for("county", NINGHUA, username="ninghua_monitor"),
        village=village, village_name=Region.objects.get(code=village).name,
        poor_number=poor.household_number, poor_head=poor.members.get(relation="01").name,
        new_id_number=next_id_number(), today=today())


def iso(day: dt.date) -> str:
    return day.isoformat()


def test_county_officer_runs_the_flags_and_dismisses_one(live_server, scene, logged_in_page, shots):
    from playwright.sync_api import expect

    today = scene.today
    context, page = logged_in_page(scene.officer.username, timeout=10_000)
    page.click("nav >> text=防返贫监测")
    expect(page.locator("h1")).to_have_text("防返贫监测")
    expect(page.locator("#object-count")).to_have_text("0个监测对象")
    expect(page.locator("#objects tbody")).to_have_text("没有找到监测对象。")

    # 风险识别 over the county, as of today
    page.click("#monitoring-nav >> text=风险识别与风险消除")
    expect(page.locator("h1")).to_have_text("风险识别与风险消除")
    expect(page.locator("#runs tbody")).to_have_text("尚无运行记录。")
    form = page.locator("#flag-run-form")
    expect(form.locator("[name=flag-region_code]")).to_have_value(MINGXI)
    expect(form.get_by_label("基准日期")).to_have_value(iso(today))
    page.click("#flag-run-button")
    expect(page).to_have_url(re.compile(r"/monitoring/runs/\d+/$"))
    run_url = page.url
    run_id = run_url.rstrip("/").rsplit("/", 1)[1]
    expect(page.locator(".alert.success")).to_have_text(f"第{run_id}次运行已完成。")
    expect(page.locator("h1")).to_have_text(f"风险识别 #{run_id} 已完成")
    flagged = page.locator("#run-objects tbody tr")
    expect(flagged).to_have_count(1)  # the household at 20,000 yuan a person is not flagged
    expect(flagged.locator("td")).to_have_text([scene.poor_number, scene.poor_head, scene.village_name,
                                                "脱贫不稳定户", INCOME_BELOW_LINE, "已预警"])
    page.screenshot(path=str(shots / "monitoring-run.png"), full_page=True)

    # the runs list counts it; the monitoring list shows the object with its reason and line
    page.click("#monitoring-nav >> text=风险识别与风险消除")
    expect(page.locator(f"#run-{run_id} td").nth(4)).to_have_text("已完成")
    expect(page.locator(f"#run-{run_id} td").nth(6)).to_have_text("预警1户")
    page.click("#monitoring-nav >> text=监测对象")
    expect(page.locator("#object-count")).to_have_text("1个监测对象")
    expect(page.locator("#summary-unstable_exited td")).to_have_text(["脱贫不稳定户", "1", "0", "0", "0", "0"])
    row = page.locator("#objects tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator(".causes")).to_have_text(INCOME_BELOW_LINE)
    expect(row.locator("td").nth(5)).to_have_text("10560 (2023)")  # Fujian's 2023 line is still in force
    expect(row.locator("td").nth(6)).to_have_text("部门预警")
    expect(row.locator(".status")).to_have_text("已预警")
    page.screenshot(path=str(shots / "monitoring-list.png"), full_page=True)

    # the object: its reasons, the rule that raised it; a county officer may dismiss, not start
    row.locator(f"text={scene.poor_number}").click()
    expect(page).to_have_url(re.compile(r"/monitoring/\d+/$"))
    object_url = page.url
    expect(page.locator("#object-status")).to_have_text("已预警")
    expect(page.locator("#object-type")).to_have_text("脱贫不稳定户")
    expect(page.locator("#risk-causes")).to_have_text(INCOME_BELOW_LINE)
    expect(page.locator("#line")).to_contain_text("10560.00 元/人·年")
    expect(page.locator("#flag-income_below_line")).to_contain_text(INCOME_BELOW_LINE)
    expect(page.locator("#start-form")).to_have_count(0)
    dismiss = page.locator("#dismiss-form")
    dismiss.locator("[name=dismiss-reason]").fill("入户核实:家中有稳定务工收入")
    page.screenshot(path=str(shots / "monitoring-object.png"), full_page=True)
    dismiss.locator("button[type=submit]").click()
    expect(page).to_have_url(object_url)
    expect(page.locator(".alert.success")).to_have_text("预警已排除。")
    expect(page.locator("#object-status")).to_have_text("未纳入")
    expect(page.locator("#close-reason")).to_have_text("入户核实:家中有稳定务工收入")
    expect(page.locator("#dismiss-form")).to_have_count(0)
    expect(page.locator("#events .action")).to_have_text(["预警", "排除"])
    page.screenshot(path=str(shots / "monitoring-dismissed.png"), full_page=True)

    # closed: out of the open list, in the summary as 未纳入
    page.click("#monitoring-nav >> text=监测对象")
    expect(page.locator("#object-count")).to_have_text("0个监测对象")
    expect(page.locator("#summary-unstable_exited td")).to_have_text(["脱贫不稳定户", "0", "0", "0", "0", "1"])
    page.select_option("#id_status", "all")
    page.click("#object-filters button[type=submit]")
    expect(page.locator("#object-count")).to_have_text("1个监测对象")
    expect(page.locator("#objects .status")).to_have_text("未纳入")
    context.close()

    # another county's officer: 404 on this county's object and run
    context, page = logged_in_page(scene.outsider.username, timeout=10_000)
    for url in (object_url, run_url):
        response = page.goto(url)
        assert response is not None and response.status == 404, url
    response = page.goto(f"{live_server.url}/monitoring/")
    assert response is not None and response.status == 200
    expect(page.locator("#object-count")).to_have_text("0个监测对象")
    context.close()


def test_township_officer_records_an_edge_household(live_server, scene, logged_in_page, shots):
    from playwright.sync_api import expect

    today = scene.today
    context, page = logged_in_page(scene.township.username, timeout=10_000)
    page.click("nav >> text=防返贫监测")
    page.click("#new-edge-household")
    expect(page.locator("h1")).to_have_text("新增监测户")

    page.get_by_label(INCOME_BELOW_LINE).check()
    page.fill("[name=flag-note]", "务工收入骤减")
    page.select_option("[name=flag-channel]", "self_report")
    page.fill("[name=flag-on]", iso(today - dt.timedelta(days=20)))
    page.select_option("[name=village]", scene.village)
    page.select_option("[name=main_cause]", "1")
    page.fill("[name=income_wage]", "900")
    head = page.locator("details.member").first
    expect(head).to_have_attribute("open", "")
    head.locator("[name=members-0-name]").fill("林监测")
    head.locator("[name=members-0-id_number]").fill(scene.new_id_number)
    head.locator("[name=members-0-relation]").select_option("01")
    page.screenshot(path=str(shots / "monitoring-new.png"), full_page=True)
    page.click("#edge-button")

    expect(page).to_have_url(re.compile(r"/monitoring/\d+/$"))
    expect(page.locator(".alert.success")).to_have_text(re.compile(r"^户\d+已登记为监测户。$"))
    expect(page.locator("h1")).to_contain_text("监测对象 · 林监测")
    expect(page.locator("#object-type")).to_have_text("边缘易致贫户")
    expect(page.locator("#object-status")).to_have_text("已预警")
    expect(page.locator("#risk-causes")).to_have_text(INCOME_BELOW_LINE)
    expect(page.locator("#cause-note")).to_have_text("务工收入骤减")
    expect(page.locator("#object-summary")).to_contain_text("农户自主申报")
    expect(page.locator("#object-summary")).to_contain_text("监测户(非建档立卡)")
    expect(page.locator("#object-summary")).to_contain_text("年人均纯收入 900.00")

    # 发现核实 (the township may record the village's steps)
    start = page.locator("#start-form")
    start.locator("[name=start-evidence_surveyor]").fill("驻村队员")
    start.locator("[name=start-evidence_surveyed_on]").fill(iso(today - dt.timedelta(days=19)))
    start.locator("[name=start-evidence_findings]").fill("务工收入骤减,家中无其他收入")
    start.locator("[name=start-on]").fill(iso(today - dt.timedelta(days=19)))
    page.click("#start-button")
    expect(page.locator(".alert.success")).to_have_text("识别程序已开始。")
    expect(page.locator("#object-status")).to_have_text("识别中")

    # 村级评议: 12 of 15 present, 10 in favour
    step = page.locator("#step-form")
    expect(page.locator("#perform h2")).to_have_text("办理:村级评议")
    step.locator("[name=evidence_held_on]").fill(iso(today - dt.timedelta(days=18)))
    step.locator("[name=evidence_representatives_total]").fill("15")
    step.locator("[name=evidence_representatives_present]").fill("12")
    step.locator("[name=evidence_votes_for]").fill("10")
    step.locator("[name=evidence_votes_against]").fill("1")
    step.locator("[name=on]").fill(iso(today - dt.timedelta(days=18)))
    page.click("#complete-button")
    expect(page.locator(".alert.success")).to_have_text("已完成「村级评议」。")

    # 村内公示: at least 5 days — ended after 3, it is refused on the page (422) and nothing is written
    expect(page.locator("#perform h2")).to_have_text("办理:村内公示")
    expect(page.locator("#publicity-ends")).to_contain_text(iso(today - dt.timedelta(days=13)))
    step.locator("[name=on]").fill(iso(today - dt.timedelta(days=15)))
    with page.expect_response(lambda r: r.url.endswith("/complete/")) as refused:
        page.click("#complete-button")
    assert refused.value.status == 422
    expect(page.locator("#form-error")).to_contain_text("公示期未满5天")
    expect(page.locator("#perform h2")).to_have_text("办理:村内公示")
    step.locator("[name=on]").fill(iso(today - dt.timedelta(days=12)))
    page.click("#complete-button")
    expect(page.locator(".alert.success")).to_have_text("已完成「村内公示」。")

    # 乡镇审核, then the county's step
    step.locator("[name=evidence_reviewer]").fill("雪峰镇审核组")
    step.locator("[name=evidence_opinion]").fill("同意纳入监测")
    step.locator("[name=on]").fill(iso(today - dt.timedelta(days=11)))
    page.click("#complete-button")
    expect(page.locator(".alert.success")).to_have_text("已完成「乡镇审核」。")
    expect(page.locator("#step-form")).to_have_count(0)
    expect(page.locator("#not-yours")).to_have_text("当前环节「县级确定」由县扶贫办办理。")
    expect(page.locator("#events .action")).to_have_text(["预警", "完成环节", "完成环节", "完成环节", "完成环节"])
    page.screenshot(path=str(shots / "monitoring-procedure.png"), full_page=True)

    # the list: the edge household, under identification
    page.click("#monitoring-nav >> text=监测对象")
    expect(page.locator("#object-count")).to_have_text("1个监测对象")
    expect(page.locator("#summary-edge td")).to_have_text(["边缘易致贫户", "0", "1", "0", "0", "0"])
    row = page.locator("#objects tbody tr")
    expect(row.locator("td").nth(1)).to_have_text("林监测")
    expect(row.locator(".type")).to_have_text("边缘易致贫户")
    expect(row.locator(".status")).to_have_text("识别中")
    context.close()
