"""Browser test of the identification procedure (识别程序): a township officer takes a village's
application through 民主评议 (seeing the automatic decision with its reasons), the first publicity with
an objection that blocks it until resolved, 乡镇审核 and the second publicity (refused once as too
early); a county officer does 县级复审, 公告 and 建档, and sees the household registered with its
handbook number. Screenshots: ``test-artifacts/browser/identification-*.png``.

As in :mod:`fupin.web.tests.test_browser`, the data is made in a fixture before Playwright's event
loop starts, and the test body makes no ORM call.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from fupin.testing import MINGXI, first_village, load_test_regions, make_user_for

from .conftest import poor_household, three_members

pytestmark = [
    pytest.mark.browser,
]


@pytest.fixture
def scene(live_server):
    from fupin.identification import services

    load_test_regions()
    village = first_village(MINGXI)  # 城东居委会, 雪峰镇, 明溪县
    township = make_user_for("township", village[:9] + "000", username="xuefeng_officer")
    county = make_user_for("county", MINGXI, username="mingxi_county_officer")
    start = services.today() - dt.timedelta(days=40)
    case = services.start_case(actor=township, village_code=village, data=poor_household(),
                               members=three_members(), on=start, source="test")
    h = case.household
    return SimpleNamespace(township=township, county=county, case=case, start=start,
                           household_number=h.household_number, head=h.head_name)


def test_officers_move_a_household_through_the_procedure(live_server, scene, logged_in_page, shots):
    from playwright.sync_api import expect

    def day(n: int) -> str:
        return (scene.start + dt.timedelta(days=n)).isoformat()

    context, page = logged_in_page(scene.township.username, next_url="/identification/",
                                   viewport={"width": 1280, "height": 1000})
    expect(page.locator("h1")).to_have_text("识别程序")
    row = page.locator(f"#case-{scene.case.pk}")
    expect(row.locator(".step")).to_have_text("民主评议")
    page.screenshot(path=str(shots / "identification-list.png"), full_page=True)
    row.locator("a").click()

    # 民主评议: attendance and votes; the decision runs and shows its reasons
    expect(page.locator("#current-step")).to_have_text("民主评议")
    expect(page.locator("#no-decision")).to_be_visible()
    page.fill("#id_evidence_held_on", day(1))
    page.fill("#id_evidence_representatives_total", "30")
    page.fill("#id_evidence_representatives_present", "19")
    page.fill("#id_evidence_votes_for", "15")
    page.fill("#id_evidence_votes_against", "2")
    page.fill("#id_on", day(1))
    page.click("#complete-button")
    expect(page.locator("#form-error")).to_contain_text("到会代表不足法定人数: 应到30人,实到19人,至少需20人(2/3)")
    page.fill("#id_evidence_representatives_present", "24")
    page.click("#complete-button")
    expect(page.locator(".alert.success")).to_contain_text("已完成「民主评议」")
    expect(page.locator("#current-step")).to_have_text("第一次公示")
    decision = page.locator("#decision .decision").first
    expect(decision.locator(".decision-outcome")).to_contain_text("符合识别条件")
    expect(decision.locator(".decision-policy")).to_contain_text("national")
    expect(decision.locator(".decision-reasons li").first).to_be_visible()
    reasons = decision.locator(".decision-reasons").inner_text()
    assert reasons.strip() and "未触发任何规则" not in reasons
    expect(page.locator("#publicity-ends")).to_contain_text(day(8))
    page.screenshot(path=str(shots / "identification-decision.png"), full_page=True)

    # 第一次公示: an objection blocks the step until it is resolved
    page.fill("#id_object-raised_by", "村民甲")
    page.fill("#id_object-text", "该户有小轿车")
    page.fill("#id_object-on", day(3))
    page.click("#object-button")
    expect(page.locator("#open-objections")).to_have_text("1")
    page.fill("#id_on", day(8))
    page.click("#complete-button")
    expect(page.locator("#form-error")).to_contain_text("有1条异议未处理")
    resolve = page.locator(".resolve-form").first
    resolve.locator("textarea").fill("经核实,车辆已于2022年过户")
    resolve.locator("input[type=date]").fill(day(5))
    resolve.locator("button").click()
    expect(page.locator("#open-objections")).to_have_text("0")
    expect(page.locator("#objection-list")).to_contain_text("不成立")
    page.fill("#id_on", day(8))
    page.click("#complete-button")
    expect(page.locator("#current-step")).to_have_text("乡镇审核")

    # 乡镇审核, then the second publicity: too early first, the page names the earliest date
    page.fill("#id_evidence_reviewer", "雪峰镇扶贫站")
    page.fill("#id_evidence_opinion", "同意上报")
    page.fill("#id_on", day(9))
    page.click("#complete-button")
    expect(page.locator("#current-step")).to_have_text("第二次公示")
    page.fill("#id_on", day(12))
    page.click("#complete-button")
    expect(page.locator("#form-error")).to_contain_text(f"最早{day(16)}可结束")
    page.fill("#id_on", day(16))
    page.click("#complete-button")
    expect(page.locator("#current-step")).to_have_text("县级复审")
    expect(page.locator("#not-yours")).to_contain_text("县扶贫办")  # the township cannot do the county's step
    page.screenshot(path=str(shots / "identification-township-done.png"), full_page=True)
    context.close()

    # the county officer: 县级复审 (the decision runs again), 公告, 建档
    context, page = logged_in_page(scene.county.username, next_url="/identification/",
                                   viewport={"width": 1280, "height": 1000})
    page.locator(f"#case-{scene.case.pk} a").click()
    page.fill("#id_evidence_reviewer", "明溪县扶贫办")
    page.fill("#id_evidence_opinion", "复审通过")
    page.fill("#id_on", day(17))
    page.click("#complete-button")
    expect(page.locator("#current-step")).to_have_text("公告")
    expect(page.locator("#decision .decision")).to_have_count(2)
    expect(page.locator("#decision .decision").first).to_contain_text("县级复审")
    page.fill("#id_on", day(18))
    page.click("#complete-button")
    expect(page.locator("#current-step")).to_have_text("建档")
    page.fill("#id_on", day(19))
    page.click("#complete-button")
    expect(page.locator("#case-status")).to_have_text("已建档")
    expect(page.locator("#household-status")).to_have_text("在册")
    expect(page.locator("#handbook-number")).to_have_text(f"350421{day(19)[:4]}00001")  # county, year of 建档
    expect(page.locator("#steps tr.done")).to_have_count(8)
    expect(page.locator("#events")).to_contain_text("登记异议")
    expect(page.locator("#decision .decision-reasons").first).to_be_visible()
    page.screenshot(path=str(shots / "identification-registered.png"), full_page=True)
    page.click("#household-link")
    expect(page.locator("#poverty-status")).to_have_text("未脱贫")
    context.close()
