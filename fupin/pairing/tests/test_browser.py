"""Browser tests of 结对帮扶: a county officer of 明溪县 registers a helper, pairs households (by number
on the helper's page, and from the coverage page's gap list), the helper signs in to "my households",
the officer ends a pairing, edits the helper and records that the helper left; a township officer
stations a work team with a first secretary and starts a unit–village pairing. In Debian's Chromium
driven by Playwright; screenshots: ``test-artifacts/browser/pairing-*.png``.

As in :mod:`fupin.web.tests.test_browser`, the data is made in a fixture before Playwright's event
loop starts, and the test bodies make no ORM call.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from fupin.policy import clock
from fupin.testing import MINGXI, NINGHUA, first_village, load_test_regions, make_household_for, make_user_for

pytestmark = [
    pytest.mark.browser,
]


def _poor_village():
    """The fourth village of 明溪县, marked a poor village (贫困村), as in the app's conftest."""
    from fupin.regions.models import Region

    code = first_village(MINGXI, 3)
    Region.objects.filter(code=code).update(is_poor_village=True)
    return Region.objects.select_related("parent").get(code=code)


@pytest.fixture
def helper_scene(live_server):
    """Three households of 2 persons in a poor village, none paired; one helper already registered
    (张帮扶); a login of role 帮扶责任人 not yet linked to a helper; an officer of 宁化县."""
    from fupin.pairing.models import Helper

    load_test_regions()
    village = _poor_village()
    officer = make_user_for("county", MINGXI, username="pairing_officer")
    households = [make_household_for(village.code, members=2, actor=officer) for _ in range(3)]
    Helper.objects.create(name="张帮扶", unit="明溪县农业局", unit_level="county", region_code=MINGXI,
                          phone="13800000000")
    login = make_user_for("helper", MINGXI, username="zhou_helper")
    outsider = make_user_for("county", NINGHUA, username="ninghua_officer")
    return SimpleNamespace(
        village=village, officer=officer, login=login, outsider=outsider, households=households,
        numbers=[h.household_number for h in households], heads=[h.members.get(relation="01").name for h in households],
        today=clock.today().isoformat())


@pytest.fixture
def team_scene(live_server):
    """A poor village with no work team; a township officer of its township."""
    load_test_regions()
    village = _poor_village()
    officer = make_user_for("township", village.code[:9] + "000", username="township_officer")
    outsider = make_user_for("county", NINGHUA, username="ninghua_officer")
    return SimpleNamespace(village=village, township=village.parent, officer=officer, outsider=outsider)


DUPLICATE_IDS = """() => {
  const seen = {};
  for (const el of document.querySelectorAll('[id]')) seen[el.id] = (seen[el.id] || 0) + 1;
  return Object.keys(seen).filter((id) => seen[id] > 1).sort();
}"""


def _unique_ids(page) -> None:
    """Each element id once on the page: a label's ``for`` (and a test's selector) finds its own field."""
    assert page.evaluate(DUPLICATE_IDS) == [], page.url


def test_county_officer_pairs_households_with_a_new_helper(live_server, helper_scene, logged_in_page, shots):
    from playwright.sync_api import expect

    scene = helper_scene
    h1, h2, h3 = scene.households
    context, page = logged_in_page(scene.officer.username, timeout=10_000, wait_for_redirect=True)

    # the coverage page: every household is a gap
    page.click("nav >> text=结对帮扶")
    expect(page).to_have_url(f"{live_server.url}/pairing/")
    expect(page.locator("h1")).to_contain_text("明溪县")
    expect(page.locator("#fig-open")).to_have_text("3")
    expect(page.locator("#fig-without-helper")).to_have_text("3")
    expect(page.locator(f"#village-{scene.village.code}")).to_contain_text(scene.village.name)
    for h in scene.households:
        expect(page.locator(f"#gap-household-{h.pk}")).to_be_visible()
    page.screenshot(path=str(shots / "pairing-coverage.png"), full_page=True)
    _unique_ids(page)

    # register a helper with a login
    page.click("#pairing-nav >> text=帮扶责任人")
    expect(page.locator("#helpers tbody tr")).to_have_count(1)
    expect(page.locator("#helpers")).to_contain_text("张帮扶")
    # filled through the labels of the register form (its 单位层级 once shared an id with the filter's)
    register = page.locator("#helper-form")
    register.get_by_label("姓名").fill("周干部")
    register.get_by_label("工作单位").fill("明溪县民政局")
    register.get_by_label("单位层级").select_option("county")
    register.get_by_label("联系电话").fill("13700000000")
    expect(register.get_by_label("所属区划")).to_have_value(MINGXI)
    register.get_by_label("登录账号(用户名)").fill("zhou_helper")
    page.screenshot(path=str(shots / "pairing-helpers.png"), full_page=True)
    _unique_ids(page)
    register.locator("button[type=submit]").click()
    expect(page.locator(".alert.success")).to_contain_text("已登记帮扶责任人「周干部」")
    expect(page).to_have_url(re.compile(r"/pairing/helpers/\d+/$"))
    helper_url = page.url
    expect(page.locator("h1")).to_contain_text("周干部")
    expect(page.locator("#helper-load")).to_have_text("0 / 5")
    expect(page.locator("#helper-details")).to_contain_text("县直")
    expect(page.locator("#helper-details")).to_contain_text("zhou_helper")

    # pair the first household by its number
    page.fill("#id_household_number", scene.numbers[0])
    page.fill("#id_started_on", "2025-03-01")
    page.click("#pair-form button[type=submit]")
    expect(page.locator(".alert.success")).to_contain_text(f"已结对:{scene.numbers[0]}")
    expect(page.locator("#helper-load")).to_have_text("1 / 5")
    row = page.locator("#current-pairings tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(scene.numbers[0])
    expect(row).to_contain_text(scene.heads[0])
    expect(row).to_contain_text("2025-03-01")
    page.screenshot(path=str(shots / "pairing-helper.png"), full_page=True)
    _unique_ids(page)

    # back on the coverage page, pair the second household from the gap list, through the helper search
    page.click("#pairing-nav >> text=覆盖情况")
    expect(page.locator("#fig-without-helper")).to_have_text("2")
    expect(page.locator(f"#gap-household-{h1.pk}")).to_have_count(0)
    page.locator(f"#gap-household-{h2.pk} a[href*='/pairing/households/']").click()
    expect(page.locator("#no-helper")).to_be_visible()
    page.fill("#id_q", "周")
    page.click("#helper-search button[type=submit]")
    found = page.locator("#found-helpers tbody tr")
    expect(found).to_have_count(1)
    expect(found).to_contain_text("周干部")
    expect(found.locator("td.num")).to_have_text("1 / 5")
    found.locator("input[name=comment]").fill("就近结对")
    found.locator("button[type=submit]").click()
    expect(page.locator(".alert.success")).to_contain_text("已保存")
    expect(page.locator("#current-helpers tbody tr")).to_have_count(1)
    expect(page.locator("#current-helpers")).to_contain_text("周干部")
    expect(page.locator("#current-helpers")).to_contain_text(scene.today)
    page.screenshot(path=str(shots / "pairing-household.png"), full_page=True)
    _unique_ids(page)

    page.click("#pairing-nav >> text=覆盖情况")
    expect(page.locator("#fig-without-helper")).to_have_text("1")
    expect(page.locator(f"#gap-household-{h3.pk}")).to_be_visible()
    workload = page.locator("#workload tr", has_text="周干部")
    expect(workload.locator("td.num").nth(0)).to_have_text("2")

    # the helper signs in: /pairing/ is "my households"
    mine_context, mine = logged_in_page(scene.login.username, timeout=10_000, wait_for_redirect=True,
                                        next_url="/pairing/")
    expect(mine).to_have_url(f"{live_server.url}/pairing/mine/")
    expect(mine.locator("#helper-summary")).to_contain_text("周干部 · 明溪县民政局")
    expect(mine.locator("#my-households > li")).to_have_count(2)
    expect(mine.locator(f"#mine-{h1.pk}")).to_contain_text(scene.numbers[0])
    expect(mine.locator(f"#mine-{h2.pk}")).to_contain_text(scene.heads[1])
    expect(mine.locator(f"#mine-{h3.pk}")).to_have_count(0)
    mine.screenshot(path=str(shots / "pairing-mine.png"), full_page=True)
    _unique_ids(mine)
    response = mine.goto(f"{live_server.url}/pairing/households/{h3.pk}/")
    assert response is not None and response.status == 404  # not the helper's household
    mine_context.close()

    # an officer of another county: 404 on this county's household and helper
    other, outsider = logged_in_page(scene.outsider.username, timeout=10_000, wait_for_redirect=True,
                                     next_url="/pairing/helpers/")
    for url in (f"{live_server.url}/pairing/households/{h1.pk}/", helper_url):
        response = outsider.goto(url)
        assert response is not None and response.status == 404, url
    other.close()

    # the first household exits: end its pairing from its pairing page
    page.goto(helper_url)
    page.locator("#current-pairings tr", has_text=scene.numbers[0]).locator("text=结对记录").click()
    expect(page.locator("h1")).to_contain_text(scene.numbers[0])
    end = page.locator("#current-helpers tbody tr form")
    end.locator("select[name=reason]").select_option("exited")
    end.locator("input[name=comment]").fill("已脱贫")
    end.locator("button[type=submit]").click()
    expect(page.locator(".alert.success")).to_contain_text("结对已结束")
    expect(page.locator(".alert.success")).to_contain_text("脱贫销号")
    expect(page.locator("#no-helper")).to_be_visible()
    history = page.locator("#pairing-history tbody tr")
    expect(history).to_have_count(1)
    expect(history).to_contain_text("2025-03-01")
    expect(history).to_contain_text(scene.today)
    expect(history).to_contain_text("脱贫销号")
    expect(history).to_contain_text("已脱贫")
    page.screenshot(path=str(shots / "pairing-ended.png"), full_page=True)
    _unique_ids(page)

    # edit the helper's phone, then the helper leaves: the last pairing ends
    page.goto(helper_url)
    expect(page.locator("#helper-load")).to_have_text("1 / 5")
    page.click("#helper-edit summary")
    page.locator("#helper-edit #id_phone").fill("13900000009")
    page.locator("#helper-edit form").first.locator("button[type=submit]").click()
    expect(page.locator(".alert.success")).to_contain_text("已保存")
    expect(page.locator("#helper-details")).to_contain_text("13900000009")
    page.click("#helper-edit summary")
    page.fill("#id_left_on", scene.today)
    page.fill("#id_leave_comment", "工作调动")
    page.locator("#helper-leave-form button[type=submit]").click()
    expect(page.locator(".alert.success")).to_contain_text("「周干部」已调离")
    expect(page.locator("#no-current")).to_be_visible()
    expect(page.locator("#helper-load")).to_have_text("0 / 5")
    expect(page.locator("#past-pairings tbody tr")).to_have_count(2)
    expect(page.locator("#past-pairings")).to_contain_text("帮扶人调离")
    page.screenshot(path=str(shots / "pairing-helper-left.png"), full_page=True)
    _unique_ids(page)
    context.close()


def test_township_officer_stations_a_work_team(live_server, team_scene, logged_in_page, shots):
    from playwright.sync_api import expect

    scene = team_scene
    village = scene.village
    context, page = logged_in_page(scene.officer.username, timeout=10_000, wait_for_redirect=True)

    page.click("nav >> text=结对帮扶")
    expect(page.locator("h1")).to_contain_text(scene.township.name)
    expect(page.locator("#fig-poor-villages")).to_have_text("1")
    expect(page.locator("#fig-without-team")).to_have_text("1")
    expect(page.locator("#fig-without-fs")).to_have_text("1")
    expect(page.locator(f"#village-{village.code}")).to_contain_text("无工作队")

    page.click("#pairing-nav >> text=驻村工作队")
    expect(page.locator("#teams tbody")).to_have_text("暂无工作队。")
    page.select_option("#id_village", village.code)
    page.fill("#id_sending_unit", "三明市农业局")
    page.select_option("#id_unit_level", "city")
    page.fill("#id_started_on", "2025-03-01")
    page.click("#team-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/pairing/teams/\d+/$"))
    team_url = page.url
    expect(page.locator("h1")).to_contain_text(village.name)
    expect(page.locator("#team-details")).to_contain_text("三明市农业局")
    expect(page.locator("#team-fs")).to_contain_text("无")

    page.fill("#member-form #id_name", "郑书记")
    page.fill("#member-form #id_unit", "三明市农业局")
    page.check("#member-form #id_is_first_secretary")
    page.fill("#member-form #id_joined_on", "2025-03-01")
    page.click("#member-form button[type=submit]")
    member = page.locator("#members tbody tr", has_text="郑书记")
    expect(member).to_contain_text("第一书记")
    expect(member).to_contain_text("2025-03-01")
    expect(page.locator("#team-fs")).to_have_text("✓")

    # attendance for a past month; fewer days than the minimum is marked
    page.select_option("#attendance-form #id_member", label="郑书记")
    page.fill("#attendance-form #id_month", "2025-04")
    page.fill("#attendance-form #id_days_present", "12")
    page.click("#attendance-form button[type=submit]")
    expect(page.locator("#members thead")).to_contain_text("2025-04")
    expect(member.locator("span.tag")).to_have_text("12")
    page.screenshot(path=str(shots / "pairing-team.png"), full_page=True)
    _unique_ids(page)

    page.click("#pairing-nav >> text=驻村工作队")
    team_row = page.locator("#teams tbody tr")
    expect(team_row).to_have_count(1)
    expect(team_row).to_contain_text(village.name)
    expect(team_row.locator("td.num")).to_have_text("1")
    expect(team_row).to_contain_text("✓")

    page.click("#pairing-nav >> text=覆盖情况")
    expect(page.locator("#fig-without-team")).to_have_text("0")
    expect(page.locator("#fig-without-fs")).to_have_text("0")
    expect(page.locator(f"#village-{village.code}")).to_have_count(0)
    page.screenshot(path=str(shots / "pairing-coverage-team.png"), full_page=True)
    _unique_ids(page)

    # a unit pairs with the village (单位包村)
    page.click("#pairing-nav >> text=单位")
    expect(page.locator("#places tbody")).to_have_text("暂无。")
    page.fill("#place-form #id_unit", "明溪县财政局")
    page.select_option("#place-form #id_unit_level", "county")
    page.fill("#place-form #id_village", village.code)
    page.fill("#place-form #id_started_on", "2025-05-01")
    page.click("#place-form button[type=submit]")
    expect(page.locator(".alert.success")).to_contain_text("已保存")
    place = page.locator("#places tbody tr")
    expect(place).to_have_count(1)
    expect(place).to_contain_text(f"明溪县财政局 (县直) → {village.name}")
    expect(place).to_contain_text("2025-05-01")
    page.screenshot(path=str(shots / "pairing-places.png"), full_page=True)
    _unique_ids(page)

    other, outsider = logged_in_page(scene.outsider.username, timeout=10_000, wait_for_redirect=True,
                                     next_url="/pairing/helpers/")
    response = outsider.goto(team_url)
    assert response is not None and response.status == 404
    other.close()
    context.close()
