"""Browser tests of the rules pages (识别规则): a county officer of 明溪县 reads the policy in force, tries
a rule on one household, runs the eligibility set over the county (the run works in a background
thread, its page polls the progress with htmx), follows the counts to the households and records a
decision; then classifies the county by 三明 九个一批 and drills down to a township and a pathway.
An officer of 宁化县 gets 404 on the runs and the household. Screenshots:
``test-artifacts/browser/rules-*.png``.

As in :mod:`fupin.web.tests.test_browser`, the data is made in a fixture before Playwright's event
loop starts, and the test body makes no ORM call.
"""

from __future__ import annotations

import re
import time
from types import SimpleNamespace

import pytest

from fupin.policy import clock
from fupin.testing import MINGXI, NINGHUA, first_village, load_test_regions, make_household_for, make_user_for

pytestmark = [
    pytest.mark.browser,
]


def _held_back(real, model):
    """``real`` (an ``execute_*`` service) after a pause, so that the progress bar shows and is polled."""

    def execute(run_id, **kwargs):
        model.objects.filter(pk=run_id).update(progress=2, progress_label="排队 / queued")
        time.sleep(1.5)
        return real(run_id, **kwargs)

    return execute


@pytest.fixture
def scene(live_server, settings, monkeypatch):
    """Two households of 明溪县 in two townships, a county officer of 明溪县 and one of 宁化县."""
    settings.FUPIN_IMPORT_SYNC = False  # the real thing: a thread, and the page polls

    from fupin.regions.models import Region
    from fupin.rules import services
    from fupin.rules.models import PathwayRun, RuleRun

    monkeypatch.setattr(services, "execute_rule_run", _held_back(services.execute_rule_run, RuleRun))
    monkeypatch.setattr(services, "execute_pathway_run", _held_back(services.execute_pathway_run, PathwayRun))
    load_test_regions()
    village = first_village(MINGXI)  # 城东居委会, 雪峰镇
    other_village = first_village(MINGXI, 40)  # a village of another township
    officer = make_user_for("county", MINGXI, username="mingxi_rules")
    outsider = make_user_for("county", NINGHUA, username="ninghua_rules")
    # 2,000 yuan a person (below any line), ill (因病); 9,000 a person (above), short of skills
    poor = make_household_for(village, members=3, income_wage="6000", income_business="0", main_cause="1")
    better = make_household_for(other_village, members=2, income_wage="18000", income_business="0", main_cause="7")
    return SimpleNamespace(
        officer=officer, outsider=outsider, poor=poor, better=better, village=village, other_village=other_village,
        township=village[:9] + "000", other_township=other_village[:9] + "000",
        poor_head=poor.members.get(relation="01").name, village_name=Region.objects.get(code=village).name,
        township_name=Region.objects.get(code=village[:9] + "000").name,
        other_township_name=Region.objects.get(code=other_village[:9] + "000").name,
        this_year=clock.today().year,
    )


def test_county_officer_tries_a_rule_runs_the_eligibility_set_and_decides(live_server, scene, logged_in_page, shots):
    from playwright.sync_api import expect

    context, page = logged_in_page(scene.officer.username)
    page.click("nav >> text=规则与帮扶路径")
    expect(page.locator("h1")).to_have_text("现行政策 · 明溪县")
    expect(page.locator("#policy-version")).to_have_text("national-2016.1")
    # the policy's name is 名称, not a person's 姓名 (regression: the project catalog's "Name" won)
    expect(page.locator("#version dt").nth(1)).to_have_text("名称")
    # today (2021 or later) has no line: the policy's last one, 2020's, applies
    expect(page.locator("#poverty-lines h2")).to_have_text("扶贫标准 · 2020")
    expect(page.locator("#line-1 td.num")).to_have_text("4000")
    expect(page.locator("#line-year-note")).to_have_text(
        f"政策没有 {scene.this_year} 年的扶贫标准,采用 2020 年的标准。")
    page.fill("#on", "2016-06-01")
    page.click("#policy-filter button[type=submit]")
    expect(page.locator("#poverty-lines h2")).to_have_text("扶贫标准 · 2016")
    expect(page.locator("#line-1 td.num")).to_have_text("2952")
    expect(page.locator("#line-year-note")).to_have_count(0)
    expect(page.locator("#rule-income_below_line")).to_contain_text("年人均纯收入低于扶贫标准")
    expect(page.locator("#scheme-sanming9 summary")).to_contain_text("九个一批(三明)")
    page.screenshot(path=str(shots / "rules-policy.png"), full_page=True)

    # 规则试算 on the poor household
    page.click("#rules-nav >> text=规则试算")
    expect(page.locator("h1")).to_have_text("对一户试算规则")
    page.fill("#id_household_number", scene.poor.household_number)
    page.fill("#id_text", "income_per_capita < poverty_line AND n_members = 3")
    page.select_option("#id_unit", "household")
    page.click("#try-form button[type=submit]")
    expect(page.locator("#rule-result")).to_contain_text("规则成立")
    expect(page.locator("#result h2")).to_contain_text(f"{scene.poor_head} ({scene.poor.household_number})")
    expect(page.locator("#value-income_per_capita .value")).to_have_text("2000.0")
    expect(page.locator("#value-poverty_line .value")).to_have_text("4000.0")
    expect(page.locator("#value-n_members .value")).to_have_text("3")
    page.screenshot(path=str(shots / "rules-try.png"), full_page=True)

    # 批量运行: the eligibility set over the county, in the background
    page.click("#rules-nav >> text=批量运行")
    expect(page.locator("h1")).to_have_text("批量运行")
    expect(page.locator("#no-rule-runs")).to_have_text("尚无规则运行。")
    # the two forms on the page have their own element ids (regression: both had #id_region_code)
    expect(page.locator("#id_region_code")).to_have_count(1)
    expect(page.locator("#scheme_region_code")).to_have_value(MINGXI)
    expect(page.locator("#rule-run-form #id_region_code")).to_have_value(MINGXI)
    expect(page.locator("#id_mode_0")).to_be_checked()
    polls: list[str] = []
    page.on("response", lambda r: polls.append(r.headers.get("hx-refresh", "")) if "/progress/" in r.url else None)
    page.click("#start-rule-run")
    expect(page).to_have_url(re.compile(r"/rules/runs/\d+/$"))
    run_url = page.url
    expect(page.locator("h1")).to_contain_text("识别条件与排除条件")
    expect(page.locator("#progress progress")).to_be_visible()
    page.screenshot(path=str(shots / "rules-run-progress.png"), full_page=True)
    expect(page.locator("#counts")).to_be_visible(timeout=30_000)
    assert polls and polls[-1] == "true"  # htmx polled, and the last answer told it to reload
    expect(page.locator("#status")).to_have_text("已完成")
    expect(page.locator("#run-policy-version")).to_have_text("national-2016.1")
    expect(page.locator("#counts thead")).to_contain_text("符合识别条件")
    # columns: eligible, income below the line, not eligible — one row per township with households
    poor_row, better_row = page.locator(f"#region-{scene.township} td"), page.locator(f"#region-{scene.other_township} td")
    expect(poor_row).to_have_text([scene.township_name, "1", "1", "0"])
    expect(better_row).to_have_text([scene.other_township_name, "0", "0", "1"])
    expect(page.locator("#total th")).to_have_text(["合计", "1", "1", "1"])
    expect(page.locator("main")).to_contain_text("共判定 2 户。")
    page.screenshot(path=str(shots / "rules-run.png"), full_page=True)

    # drill down to the township, then the households its village has for 符合识别条件
    poor_row.first.locator("a").click()
    expect(page.locator("#drill-path")).to_have_text(re.compile(f"明溪县\\s*{scene.township_name}"))
    expect(page.locator(f"#region-{scene.village} td")).to_have_text([scene.village_name, "1", "1", "0"])
    page.locator(f"#region-{scene.village} td").nth(1).locator("a").click()
    expect(page.locator("#households")).to_have_text("符合识别条件 · 1 户")
    listed = page.locator("#household-list tbody tr")
    expect(listed).to_have_count(1)
    expect(listed.first.locator("td").nth(0)).to_have_text(scene.poor.household_number)
    expect(listed.first.locator("td").nth(1)).to_have_text(scene.poor_head)
    expect(listed.first.locator("td").nth(3)).to_have_text("3")
    page.screenshot(path=str(shots / "rules-run-households.png"), full_page=True)

    # the household's decisions: none yet; decide now and record it
    listed.first.locator("text=判定与帮扶路径").click()
    expect(page.locator("h1")).to_contain_text(f"判定与帮扶路径 · {scene.poor_head}")
    expect(page.locator("#no-decisions")).to_have_text("该户尚无判定记录。")
    page.click("#decide-button")
    expect(page.locator(".alert.success")).to_have_text("已记录判定。")
    decision = page.locator("#decisions article.decision")
    expect(decision).to_have_count(1)
    expect(decision.locator(".outcome")).to_have_text("符合识别条件")
    expect(decision.locator("h3 small")).to_contain_text("mingxi_rules · manual_check")
    expect(decision.locator(".policy-version")).to_have_text("national-2016.1")
    expect(decision.locator(".reasons li[data-rule=income_below_line]")).to_contain_text("年人均纯收入低于扶贫标准")
    page.screenshot(path=str(shots / "rules-household.png"), full_page=True)
    household_url = page.url

    # the runs page lists the run
    page.goto(f"{live_server.url}/rules/runs/")
    run_row = page.locator("#rule-runs tbody tr")
    expect(run_row).to_have_count(1)
    expect(run_row.locator("td").nth(3)).to_have_text("已完成")
    expect(run_row.locator("td").nth(7)).to_have_text("2")
    context.close()

    # 宁化县's officer: the run, its progress and the household are not found
    other, outsider = logged_in_page(scene.outsider.username)
    for url in (run_url, f"{run_url}progress/", household_url):
        response = outsider.goto(url)
        assert response is not None and response.status == 404, url
    other.close()


def test_county_officer_classifies_the_county_by_sanming_nine_pathways(live_server, scene, logged_in_page, shots):
    from playwright.sync_api import expect

    context, page = logged_in_page(scene.officer.username)
    page.click("nav >> text=规则与帮扶路径")
    page.click("#rules-nav >> text=批量运行")
    expect(page.locator("#no-pathway-runs")).to_have_text("尚无帮扶路径分类。")
    page.select_option("#scheme_scheme_id", label="九个一批(三明)")
    polls: list[str] = []
    page.on("response", lambda r: polls.append(r.headers.get("hx-refresh", "")) if "/progress/" in r.url else None)
    page.click("#start-scheme-run")
    expect(page).to_have_url(re.compile(r"/rules/pathways/\d+/$"))
    run_url = page.url
    expect(page.locator("h1")).to_contain_text("sanming9")
    expect(page.locator("#progress progress")).to_be_visible()
    page.screenshot(path=str(shots / "rules-pathways-progress.png"), full_page=True)
    expect(page.locator("#totals")).to_be_visible(timeout=30_000)
    assert polls and polls[-1] == "true"
    # counts are 户数 / 人口 (the people of the households, as on the region pages; regression: the
    # project catalog's "Households" read 贫困户)
    expect(page.locator("#totals dt")).to_have_text(["户数", "人口", "已分类户数", "未分类户数"])
    expect(page.locator("#total-households")).to_have_text("2")
    expect(page.locator("#total-persons")).to_have_text("5")
    expect(page.locator("#classified")).to_have_text("2")
    expect(page.locator("#unclassified")).to_have_text("0")
    headers = page.locator("#counts thead th")
    expect(headers.nth(1)).to_have_text("医疗救助一批")
    expect(headers.nth(5)).to_have_text("技能培训一批")
    expect(headers.last).to_have_text("任一路径")
    # households (persons): the ill household in 医疗救助一批, the other in 技能培训一批
    poor_row = page.locator(f"#region-{scene.township} td")
    expect(poor_row.nth(1)).to_have_text("1 (3)")
    expect(poor_row.nth(5)).to_have_text("0")
    expect(poor_row.last).to_have_text("1 (3)")
    expect(page.locator(f"#region-{scene.other_township} td").nth(5)).to_have_text("1 (2)")
    expect(page.locator("#total th").last).to_have_text("2 (5)")
    page.screenshot(path=str(shots / "rules-pathways.png"), full_page=True)

    # drill down to the township; its 医疗救助一批 households
    poor_row.first.locator("a").click()
    expect(page.locator("h2", has_text="各路径户数")).to_have_text(f"各路径户数 · {scene.township_name}")
    village_row = page.locator(f"#region-{scene.village} td")
    expect(village_row.first).to_have_text(scene.village_name)
    expect(village_row.nth(1)).to_have_text("1 (3)")
    expect(page.locator(f"#region-{scene.other_township}")).to_have_count(0)
    village_row.nth(1).locator("a").click()
    expect(page.locator("#households")).to_have_text("医疗救助一批 · 1 户")
    listed = page.locator("#household-list tbody tr")
    expect(listed).to_have_count(1)
    expect(listed.first.locator("td").nth(0)).to_have_text(scene.poor.household_number)
    expect(listed.first.locator("td").nth(4)).to_have_text("因病")
    page.screenshot(path=str(shots / "rules-pathway-households.png"), full_page=True)

    # the household page shows the pathway of this run, and of the policy in force now
    listed.first.locator("text=判定与帮扶路径").click()
    stored = page.locator("#stored-sanming9")
    expect(stored.locator("li[data-pathway=medical]")).to_contain_text("医疗救助一批")
    expect(stored.locator("li")).to_have_count(1)
    expect(page.locator("#now-sanming9 h3")).to_have_text("九个一批(三明)")
    expect(page.locator("#now-sanming9 li[data-pathway=medical]")).to_contain_text("医疗救助一批")
    page.screenshot(path=str(shots / "rules-household-pathways.png"), full_page=True)
    household_url = page.url
    stored.locator("a").click()  # back to the run
    expect(page).to_have_url(run_url)

    page.goto(f"{live_server.url}/rules/runs/")
    expect(page.locator("#pathway-runs thead th").last).to_have_text("户数")
    run_row = page.locator("#pathway-runs tbody tr")
    expect(run_row).to_have_count(1)
    expect(run_row.locator("td").nth(1)).to_have_text("sanming9")
    expect(run_row.locator("td").nth(7)).to_have_text("2")
    context.close()

    other, outsider = logged_in_page(scene.outsider.username)
    for url in (run_url, f"{run_url}progress/", f"{run_url}?region={MINGXI}", household_url):
        response = outsider.goto(url)
        assert response is not None and response.status == 404, url
    outsider.goto(f"{live_server.url}/rules/runs/")
    expect(outsider.locator("#no-pathway-runs")).to_be_visible()
    other.close()
