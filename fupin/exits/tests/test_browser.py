"""Browser test of the household exit (精准退出): a village officer proposes the village's households that
meet the exit criteria, takes them through 村两委民主评议 and 核实 (the evidence of each criterion) as a
village batch, records each household's consent (signature), and closes the village publicity (refused
once as too early); the county officer announces (公告退出) and deregisters (销号), and the village's
poverty incidence on the region page falls. Every step is dated explicitly (``on``).
Screenshots: ``test-artifacts/browser/exits-*.png``.

As in :mod:`fupin.identification.tests.test_browser`, the data is made in a fixture before Playwright's
event loop starts, and the test body makes no ORM call.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from fupin.testing import MINGXI, first_village, load_test_regions, make_household_for, make_user_for

GUARANTEES = ("food_secure", "clothing_secure", "education_secure", "medical_secure", "housing_secure",
              "drinking_water_safe")

pytestmark = [
    pytest.mark.browser,
]


@pytest.fixture
def scene(live_server):
    from fupin.exits.services import today
    from fupin.regions.models import Region

    load_test_regions()
    village = first_village(MINGXI)  # 城东居委会, 雪峰镇, 明溪县
    Region.objects.filter(code=village).update(rural_population=100)
    officer = make_user_for("village", village, username="chengdong_cadre")
    county = make_user_for("county", MINGXI, username="mingxi_exit_officer")
    # 3 persons each; 15,000 yuan a year = 5,000 per person, above the line of any year
    exiting = [make_household_for(village, income_wage="15000", income_business="0") for _ in range(2)]
    staying = make_household_for(village, income_wage="15000", income_business="0", housing_secure=False)
    start = today() - dt.timedelta(days=40)
    return SimpleNamespace(village=village, officer=officer, county=county, start=start, year=start.year,
                           exiting=[(h.pk, h.head_name) for h in exiting], staying=staying.pk)


def test_a_village_exits_and_its_incidence_falls(live_server, scene, logged_in_page, shots):
    from playwright.sync_api import expect

    def day(n: int) -> str:
        return (scene.start + dt.timedelta(days=n)).isoformat()

    village_url = f"/exits/village/{scene.village}/?year={scene.year}"
    context, page = logged_in_page(scene.officer.username, next_url=village_url,
                                   viewport={"width": 1280, "height": 1000})

    # the region page before: 9 poor persons of a rural population of 100
    page.goto(f"{live_server.url}/regions/{scene.village}/")
    expect(page.locator("#fig-incidence")).to_have_text("9.00%")

    # 拟退出: the two households that meet the criteria are checked, the third (unsafe housing) is not
    page.goto(f"{live_server.url}{village_url}")
    expect(page.locator("h1")).to_contain_text("精准退出")
    for pk, _head in scene.exiting:
        expect(page.locator(f"#propose-{pk}")).to_be_checked()
    expect(page.locator(f"#propose-{scene.staying}")).not_to_be_checked()
    expect(page.locator(f"#household-{scene.staying} .criteria")).to_contain_text("住房安全未保障")
    page.fill("#id_on", day(0))
    page.screenshot(path=str(shots / "exits-village.png"), full_page=True)
    page.click("#propose-button")
    expect(page.locator(".alert.success")).to_contain_text("已将2户列为")
    expect(page.locator("#village-step-democratic_review td.num")).to_have_text("2")

    # 村两委民主评议 for the village at once
    page.locator("#village-step-democratic_review a").click()
    expect(page.locator("#batch-step")).to_have_text("村两委民主评议")
    page.fill("#id_evidence_held_on", day(1))
    page.fill("#id_evidence_representatives_total", "9")
    page.fill("#id_evidence_representatives_present", "8")
    page.fill("#id_evidence_votes_for", "8")
    page.fill("#id_evidence_votes_against", "0")
    page.fill("#id_on", day(1))
    page.click("#batch-button")
    expect(page.locator(".alert.success")).to_contain_text("2户已完成「村两委民主评议」")

    # 村两委和驻村工作队核实: the evidence of each criterion; the exit criteria are checked
    page.locator("#village-step-verification a").click()
    page.fill("#id_evidence_verified_on", day(2))
    page.fill("#id_evidence_committee_verifier", "村主任 王明")
    page.fill("#id_evidence_workteam_verifier", "第一书记 李强")
    page.fill("#id_evidence_criterion_income_above_line", "务工收入核实属实")
    for g in GUARANTEES:
        page.fill(f"#id_evidence_criterion_{g}", "入户查看属实")
    page.fill("#id_on", day(2))
    page.screenshot(path=str(shots / "exits-verification.png"), full_page=True)
    page.click("#batch-button")
    expect(page.locator(".alert.success")).to_contain_text("2户已完成「村两委和驻村工作队核实」")
    expect(page.locator("#village-step-consent td.num")).to_have_text("2")

    # 贫困户认可: each household signs
    for _household in scene.exiting:
        page.goto(f"{live_server.url}/exits/?region={scene.village}&step=consent")
        page.locator("#cases tbody tr a").first.click()
        expect(page.locator("#current-step")).to_have_text("贫困户认可")
        expect(page.locator("#decision .decision-outcome").first).to_have_text("达到退出标准")
        page.fill("#id_evidence_signed_by", "路人甲")
        page.fill("#id_evidence_signed_on", day(3))
        page.fill("#id_on", day(3))
        page.click("#complete-button")
        expect(page.locator("#form-error")).to_contain_text("不是该户在册成员")
        page.fill("#id_evidence_signed_by", _head_on_page(page, scene.exiting))
        page.click("#complete-button")
        expect(page.locator("#current-step")).to_have_text("村内公示")
        expect(page.locator("#publicity-ends")).to_contain_text(day(10))
    page.screenshot(path=str(shots / "exits-consent.png"), full_page=True)

    # 村内公示: too early first (the page names the earliest day), then after 7 days
    page.goto(f"{live_server.url}/exits/village/{scene.village}/village_publicity/")
    page.fill("#id_on", day(9))
    page.click("#batch-button")
    expect(page.locator("#form-error")).to_contain_text("整批未办理")
    expect(page.locator("#blocking")).to_contain_text(f"最早{day(10)}可结束")
    page.fill("#id_on", day(10))
    page.click("#batch-button")
    expect(page.locator(".alert.success")).to_contain_text("2户已完成「村内公示」")
    page.goto(f"{live_server.url}/exits/village/{scene.village}/announcement/")
    expect(page.locator("#not-yours")).to_contain_text("县扶贫办")  # the village cannot announce
    context.close()

    # the county officer: 公告退出 and 销号, then the region page
    context, page = logged_in_page(scene.county.username, next_url=f"/exits/village/{scene.village}/announcement/",
                                   viewport={"width": 1280, "height": 1000})
    expect(page.locator("#batch-step")).to_have_text("公告退出")
    page.fill("#id_on", day(11))
    page.click("#batch-button")
    expect(page.locator(".alert.success")).to_contain_text("2户已完成「公告退出」")
    page.goto(f"{live_server.url}/regions/{scene.village}/")
    expect(page.locator("#fig-incidence")).to_have_text("9.00%")  # announced, not yet deregistered: still 预脱贫
    page.goto(f"{live_server.url}/exits/village/{scene.village}/deregistration/")
    page.fill("#id_on", day(12))
    page.click("#batch-button")
    expect(page.locator(".alert.success")).to_contain_text("2户已完成「销号」")
    page.goto(f"{live_server.url}/exits/?region={scene.village}&status=exited")
    expect(page.locator("#cases tbody tr")).to_have_count(2)
    expect(page.locator("#cases .status").first).to_have_text("已销号(已脱贫)")
    page.locator("#cases tbody tr a").first.click()
    expect(page.locator("#poverty-status")).to_contain_text("已脱贫(享受政策)")
    expect(page.locator("#steps tr.done")).to_have_count(7)
    page.screenshot(path=str(shots / "exits-exited.png"), full_page=True)
    page.goto(f"{live_server.url}/regions/{scene.village}/")
    expect(page.locator("#fig-poor-persons")).to_have_text("3")
    expect(page.locator("#fig-incidence")).to_have_text("3.00%")
    page.screenshot(path=str(shots / "exits-region.png"), full_page=True)
    context.close()


def _head_on_page(page, households) -> str:
    """The head's name of the household whose case page is open (from the page's title line)."""
    title = page.locator("h1").inner_text()
    return next(head for _pk, head in households if head in title)
