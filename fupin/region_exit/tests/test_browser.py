"""Browser tests of village exit (贫困村出列) and county exit (贫困县摘帽), in Debian's headless Chromium
driven by Playwright. Screenshots: ``test-artifacts/browser/region_exit-*.png``.

1. A county officer of 明溪县 opens the work area from the nav (its index sends them to their county),
   reads the villages' incidence and the county's readiness, records a poor village's conditions, and
   takes the village through its exit procedure (a publicity ended too early is refused on the page) —
   then finds the village exited on the county page. An officer of 宁化县 gets 404 on its pages.
2. A city administrator picks 明溪县 from the index and records the county's exit (摘帽批复).

As in :mod:`fupin.web.tests.test_browser`, the data is made in a fixture before Playwright's event loop
starts, and the test bodies make no ORM call.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from fupin.policy import clock
from fupin.testing import MINGXI, NINGHUA, first_village, load_test_regions, make_household_for, make_user_for

SANMING = "350400000000"  # 三明市

pytestmark = [
    pytest.mark.browser,
]


@pytest.fixture
def scene(live_server):
    """Two poor villages of 明溪县 with one 3-person household still poor in each: 3 ÷ 1,000 = 0.30 % in
    the first (below 2 %), 3 ÷ 100 = 3.00 % in the second; the county 6 ÷ 20,000 = 0.03 %."""
    from fupin.regions.models import Region

    load_test_regions()
    village, other = first_village(MINGXI), first_village(MINGXI, 1)
    Region.objects.filter(code=village).update(is_poor_village=True, rural_population=1000)
    Region.objects.filter(code=other).update(is_poor_village=True, rural_population=100)
    Region.objects.filter(code=MINGXI).update(rural_population=20_000)
    make_household_for(village, members=3)
    make_household_for(other, members=3)
    names = dict(Region.objects.filter(code__in=[village, other]).values_list("code", "name"))
    today = clock.today()
    return SimpleNamespace(
        officer=make_user_for("county", MINGXI, username="mingxi_exit_officer"),
        outsider=make_user_for("county", NINGHUA, username="ninghua_exit_officer"),
        admin=make_user_for("admin", SANMING, username="sanming_admin"),
        village=village, village_name=names[village], other=other, other_name=names[other],
        today=today, year=today.year)


def iso(day: dt.date) -> str:
    return day.isoformat()


DUPLICATE_IDS = """() => { const ids = [...document.querySelectorAll("[id]")].map(e => e.id);
                          return ids.filter((id, i) => ids.indexOf(id) !== i); }"""


def test_county_officer_takes_a_village_out(live_server, scene, logged_in_page, shots):
    from playwright.sync_api import expect

    year, today = scene.year, scene.today
    context, page = logged_in_page(scene.officer.username)
    page.set_default_timeout(10_000)

    # the work area in the nav: the index sends a county officer to their county
    page.click("nav >> text=出列摘帽")
    expect(page).to_have_url(f"{live_server.url}/region-exit/area/{MINGXI}/")
    expect(page.locator("h1")).to_have_text(f"出列摘帽 · 明溪县 · {year}")
    expect(page.locator("#county-incidence")).to_contain_text("(6 ÷ 20000)")
    expect(page.locator("#county-ready")).to_have_text("✓ 是")
    expect(page.locator("#county-villages")).to_have_text("0 / 2")
    expect(page.locator("#county-households")).to_have_text("2 户, 6 人")
    expect(page.locator("#county-exit-form")).to_have_count(0)  # only administrators record 摘帽
    first = page.locator(f"#village-{scene.village}")
    expect(first.locator("td").nth(1)).to_have_text("1")
    expect(first.locator("td").nth(2)).to_have_text("3")
    expect(first.locator("td").nth(3)).to_have_text("1000")
    expect(first.locator(".rate")).to_have_text("0.30%")
    expect(first.locator("td").nth(5)).to_have_text("✓")
    expect(first.locator("td").nth(6)).to_have_text("—")  # no conditions recorded yet
    expect(first.locator(".exit")).to_have_text("—")
    second = page.locator(f"#village-{scene.other}")
    expect(second.locator(".rate")).to_have_text("3.00%")
    expect(second.locator("td").nth(5)).to_have_text("✗")
    page.screenshot(path=str(shots / "region_exit-area.png"), full_page=True)

    # the village: the check fails until its conditions are recorded
    first.locator(f"text={scene.village_name}").click()
    expect(page).to_have_url(f"{live_server.url}/region-exit/village/{scene.village}/?year={year}")
    expect(page.locator("h1")).to_have_text(f"贫困村出列 · {scene.village_name} · {year}")
    expect(page.locator("#check-result")).to_have_text("✗ 不符合出列条件")
    expect(page.locator("#item-incidence")).to_have_class("ok")
    expect(page.locator("#item-incidence")).to_contain_text("0.30%(3÷农村人口1000)")
    expect(page.locator("#item-road")).to_have_class("fail")
    expect(page.locator("#item-road")).to_contain_text(f"{year}年未填报")
    expect(page.locator("#conditions tbody")).to_have_text("尚未填报。")
    expect(page.locator("#propose-button")).to_be_visible()

    form = page.locator("#conditions-form")
    expect(form.locator("[name=year]")).to_have_value(str(year))
    for name in ("road", "water", "power", "clinic", "broadband"):
        form.locator(f"[name={name}]").check()
    form.locator("[name=collective_income]").fill("150000")
    form.locator("[name=evidence]").fill("村财务报表")
    page.screenshot(path=str(shots / "region_exit-conditions.png"), full_page=True)
    page.click("#save-conditions")
    expect(page.locator(".alert.success")).to_have_text("出列条件已保存。")
    expect(page.locator("#check-result")).to_have_text("✓ 符合出列条件")
    expect(page.locator("#item-collective_income")).to_contain_text("150000.00元")
    row = page.locator(f"#conditions-{year}")
    expect(row.locator("td")).to_have_text([str(year), "✓", "✓", "✓", "✓", "✓", "150000.00",
                                            f"mingxi_exit_officer · {iso(today)}"])

    # the township's proposal (the county may propose too), dated ten days ago
    propose = page.locator("#propose")
    # regression: the date inputs show today (an ISO value, not the locale's 2026/12/02, which a date input
    # drops), and the page's forms do not share element ids (each label names its own input)
    expect(propose.get_by_label("办理日期")).to_have_value(iso(today))
    assert page.evaluate(DUPLICATE_IDS) == []
    propose.locator("[name=on]").fill(iso(today - dt.timedelta(days=10)))
    propose.locator("[name=reviewer]").fill("雪峰镇审核组")
    propose.locator("[name=opinion]").fill("同意出列")
    page.click("#propose-button")
    expect(page.locator(".alert.success")).to_have_text("已提出出列。")
    expect(page.locator("#case-status")).to_have_text("办理中")
    expect(page.locator("#step-proposal td").nth(2)).to_have_text("已完成")
    expect(page.locator("#step-proposal td").nth(3)).to_have_text(iso(today - dt.timedelta(days=10)))
    expect(page.locator("#step-township_publicity")).to_have_class("current")
    expect(page.locator("#step-township_publicity td").nth(1)).to_have_text("乡镇公示 (≥ 7 天)")
    expect(page.locator("#publicity-ends")).to_have_text(iso(today - dt.timedelta(days=3)))
    expect(page.locator("#propose")).to_have_count(0)  # one open case at a time
    page.screenshot(path=str(shots / "region_exit-proposed.png"), full_page=True)

    # the publicity cannot end before its 7 days: refused on the page, nothing written
    complete = page.locator("#complete-form")
    assert page.evaluate(DUPLICATE_IDS) == []
    for form_id in ("#complete-form", "#object-form", "#reject-form"):
        expect(page.locator(form_id).get_by_label("办理日期")).to_have_value(iso(today))
    complete.locator("[name=on]").fill(iso(today - dt.timedelta(days=5)))
    page.click("#complete-button")
    expect(page.locator(".alert.error")).to_contain_text("公示期未满")
    expect(page.locator("#step-township_publicity")).to_have_class("current")

    expect(complete.locator("[name=on]")).to_have_value(iso(today))
    page.click("#complete-button")
    expect(page.locator(".alert.success")).to_have_text("已办理。")
    expect(page.locator("#step-township_publicity td").nth(2)).to_have_text("已完成")
    expect(page.locator("#step-county_approval")).to_have_class("current")
    expect(page.locator("#case h3")).to_have_text("县级审批")
    complete.locator("[name=reviewer]").fill("县扶贫开发领导小组")
    complete.locator("[name=opinion]").fill("同意")
    page.click("#complete-button")
    expect(page.locator(".alert.success")).to_have_text("已办理。")
    expect(page.locator("#step-announcement")).to_have_class("current")
    expect(page.locator("#complete-button")).to_have_text("完成「公告出列」")
    page.click("#complete-button")
    expect(page.locator("#case-status")).to_have_text("已出列")
    expect(page.locator("#village-exited")).to_have_text(f"{year}年已退出")
    expect(page.locator("#steps tbody tr.done")).to_have_count(4)
    expect(page.locator("#complete-form")).to_have_count(0)
    page.screenshot(path=str(shots / "region_exit-exited.png"), full_page=True)

    # back on the county page: the village exited, the readiness counts it
    page.click("nav >> text=出列摘帽")
    expect(page.locator(f"#village-{scene.village} .exit")).to_have_text(f"{year}年已退出")
    expect(page.locator(f"#village-{scene.village} td").nth(6)).to_have_text("✓")
    expect(page.locator(f"#village-{scene.other} .exit")).to_have_text("—")
    expect(page.locator("#county-villages")).to_have_text("1 / 1")
    expect(page.locator("#county-households")).to_have_text("2 户, 6 人")  # 四个不摘: households unchanged
    context.close()

    # another county's officer: 404 on this county's pages
    context, page = logged_in_page(scene.outsider.username)
    page.set_default_timeout(10_000)
    for url in (f"/region-exit/village/{scene.village}/", f"/region-exit/area/{MINGXI}/"):
        response = page.goto(f"{live_server.url}{url}")
        assert response is not None and response.status == 404, url
    response = page.goto(f"{live_server.url}/region-exit/")
    assert response is not None and response.status == 200
    expect(page).to_have_url(f"{live_server.url}/region-exit/area/{NINGHUA}/")
    expect(page.locator("#villages tbody")).to_have_text("没有村。")  # 宁化县 has no poor village here
    context.close()


def test_city_administrator_records_the_county_exit(live_server, scene, logged_in_page, shots):
    from playwright.sync_api import expect

    year, today = scene.year, scene.today
    context, page = logged_in_page(scene.admin.username)
    page.set_default_timeout(10_000)
    page.click("nav >> text=出列摘帽")
    expect(page).to_have_url(f"{live_server.url}/region-exit/")
    expect(page.locator("h1")).to_have_text("出列摘帽")
    expect(page.locator("#areas li")).to_have_text(["三元区", "沙县区", "明溪县", "清流县", "宁化县", "大田县", "尤溪县",
                                                    "将乐县", "泰宁县", "建宁县", "永安市"])  # 三明市's counties
    page.screenshot(path=str(shots / "region_exit-index.png"), full_page=True)

    page.click("#areas >> text=明溪县")
    expect(page).to_have_url(f"{live_server.url}/region-exit/area/{MINGXI}/")
    expect(page.locator("#county-ready")).to_have_text("✓ 是")
    expect(page.locator("#area-exited")).to_have_count(0)
    form = page.locator("#county-exit-form")
    expect(form.locator("[name=year]")).to_have_value(str(year))
    expect(form.locator("[name=approved_on]")).to_have_value(iso(today))
    form.locator("[name=document]").fill("闽政文〔2019〕1号")
    form.locator("[name=comment]").fill("省政府批复")
    page.screenshot(path=str(shots / "region_exit-county-form.png"), full_page=True)
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/region-exit/area/{MINGXI}/?year={year}")
    expect(page.locator(".alert.success")).to_have_text("摘帽批复已录入。")
    expect(page.locator("#county-exit")).to_have_text(f"已于{year}年摘帽(闽政文〔2019〕1号)。")
    expect(page.locator("#area-exited")).to_have_text(f"{year}年已退出")
    expect(page.locator("#county-exit-form")).to_have_count(0)  # recorded once
    # 四个不摘: the county's poor households are still counted
    expect(page.locator("#county-households")).to_have_text("2 户, 6 人")
    page.screenshot(path=str(shots / "region_exit-county-exited.png"), full_page=True)
    context.close()
