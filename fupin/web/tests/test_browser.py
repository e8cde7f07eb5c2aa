"""Browser test (浏览器测试): a county officer signs in, opens a village and a household, edits it, reads
the history — in Debian's headless Chromium driven by Playwright. Screenshots go to
``test-artifacts/browser/`` for a person to look at.

``live_server`` tests are transactional (the database is flushed), so the test loads the Sanming
regions and builds its own data. It does so in a fixture that runs *before* Playwright's sync API
starts its event loop in this thread: the test body makes no ORM call, so Django's async-safety check
(``SynchronousOnlyOperation``) never fires and ``DJANGO_ALLOW_ASYNC_UNSAFE`` is not needed — and no
database connection is left open in the event loop's context (PostgreSQL could not drop the test
database at the end of the run otherwise).
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from urllib.parse import unquote

import pytest

from fupin.testing import MINGXI, first_village, load_test_regions, log_in, make_household_for, make_user_for

pytestmark = [
    pytest.mark.browser,
]


@pytest.fixture
def scene(live_server):
    """Data made before Playwright starts its event loop in this thread (so the ORM runs as usual)."""
    load_test_regions()
    village = first_village(MINGXI)  # 城东居委会, 雪峰镇, 明溪县
    officer = make_user_for("county", MINGXI, username="mingxi_officer")
    household = make_household_for(village, members=3, phone="13900000001", bank_account="6228480012345678")
    make_household_for(village, members=2)
    return SimpleNamespace(officer=officer, household=household, head=household.members.get(relation="01"))


def test_county_officer_edits_a_household(live_server, scene, browser, shots):
    from playwright.sync_api import expect

    officer, household, head = scene.officer, scene.household, scene.head

    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/households/")
    expect(page).to_have_url(f"{live_server.url}/login/?next=/households/")
    log_in(page, None, officer.username)  # on the login form the redirect showed
    expect(page).to_have_url(f"{live_server.url}/households/")

    # the search box filters the list through htmx (no full reload)
    expect(page.locator("#result-count")).to_have_text("共2户")
    page.fill("#id_q", head.name)
    expect(page.locator("#result-count")).to_have_text("共1户")
    expect(page).to_have_url(re.compile(r"/households/\?q=%[0-9A-F]{2}"))
    assert unquote(page.url) == (f"{live_server.url}/households/?q={head.name}&region=&status=active"
                                 "&poverty_status=&cause=&category=")
    page.screenshot(path=str(shots / "households-search.png"), full_page=True)

    # my region → township → village
    page.click("nav >> text=本区域")
    expect(page.locator("h1")).to_contain_text("明溪县")
    expect(page.locator("#fig-households")).to_have_text("2")
    expect(page.locator("#fig-persons")).to_have_text("5")
    page.screenshot(path=str(shots / "county.png"), full_page=True)
    page.click("#children >> text=雪峰镇")
    page.click("#children >> text=城东居委会")
    expect(page.locator("h1")).to_contain_text("城东居委会")
    page.screenshot(path=str(shots / "village.png"), full_page=True)

    page.click(f"text={household.household_number}")
    expect(page.locator("#phone")).to_have_text("13900000001")
    expect(page.locator(f"#member-{head.pk} .id-number")).to_have_text(head.id_number)
    page.screenshot(path=str(shots / "household.png"), full_page=True)

    page.click("a.button >> text=修改")
    page.fill("#id_phone", "13800000000")
    page.fill("#id_income_wage", "9000")
    page.click("button[type=submit] >> text=保存")
    expect(page.locator(".alert.success")).to_have_text("已保存修改")
    expect(page.locator("#phone")).to_have_text("13800000000")
    expect(page.locator("#income-per-capita")).to_have_text("3500.00")

    page.click("text=变更记录")
    update = page.locator("article.change").first
    expect(update.locator(".who")).to_have_text("mingxi_officer")
    phone_row = update.locator("tr", has_text="联系电话")
    expect(phone_row.locator(".old-value")).to_have_text("13900000001")
    expect(phone_row.locator(".new-value")).to_have_text("13800000000")
    wage_row = update.locator("tr", has_text="工资性收入")
    expect(wage_row.locator(".old-value")).to_have_text("6000.00")
    expect(wage_row.locator(".new-value")).to_have_text("9000.00")
    page.screenshot(path=str(shots / "history.png"), full_page=True)

    page.click("nav >> text=新增贫困户")
    expect(page.locator("details.member").first).to_have_attribute("open", "")
    page.screenshot(path=str(shots / "household-new.png"), full_page=True)

    # the household page on a phone, signed in with the same session
    phone = browser.new_context(storage_state=context.storage_state(), locale="zh-CN",
                                viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                has_touch=True)
    mobile = phone.new_page()
    mobile.goto(f"{live_server.url}/households/{household.pk}/")
    expect(mobile.locator("#phone")).to_have_text("13800000000")
    # the members table scrolls inside its wrapper; the page itself does not scroll sideways
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 390
    mobile.screenshot(path=str(shots / "household-phone.png"), full_page=True)
    mobile.screenshot(path=str(shots / "household-phone-top.png"))
    mobile.locator("#members-title").scroll_into_view_if_needed()
    mobile.screenshot(path=str(shots / "household-phone-members.png"))
    mobile.goto(f"{live_server.url}/households/{household.pk}/edit/")
    mobile.screenshot(path=str(shots / "household-edit-phone.png"))
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 390
    phone.close()
    context.close()
