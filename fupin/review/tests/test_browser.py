"""Browser tests of the yearly review (年度动态调整): a county officer of 明溪县 takes the baseline snapshot
and opens the year; then reads the year's flows down to the households, and closes the year. In
Debian's Chromium driven by Playwright; screenshots: ``test-artifacts/browser/review-*.png``.

As in :mod:`fupin.web.tests.test_browser`, the data is made in a fixture before Playwright's event
loop starts, and the test bodies make no ORM call. The year under review is this year (a review may
not name a later one), so the figures, not the years, are the fixed values asserted.
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


class _Executor:
    """What the snapshot migration's ``forwards``/``backwards`` need of a schema editor."""

    def __init__(self, connection):
        self.connection = connection

    def execute(self, sql):
        with self.connection.cursor() as cursor:
            cursor.execute(sql)


@pytest.fixture
def frozen_snapshots(live_server):
    """Snapshots are immutable in the database (triggers refuse DELETE), so the flush that ends a
    ``live_server`` test would fail once a snapshot exists. After the test (and after the browser is
    closed — the scenes depend on this fixture, so it is torn down last): drop the triggers, empty the
    review tables, create the triggers again."""
    yield
    import importlib

    from django.db import connection

    triggers = importlib.import_module("fupin.review.migrations.0002_immutable_snapshots")
    executor = _Executor(connection)
    triggers.backwards(None, executor)
    try:
        for table in ("review_reviewcycle", "review_personsnapshot", "review_householdsnapshot", "review_snapshot"):
            executor.execute(f"DELETE FROM {table}")
    finally:
        triggers.forwards(None, executor)


def _households(officer):
    """Two poor households of 城东居委会 (雪峰镇): 3 and 2 persons."""
    village = first_village(MINGXI)
    first = make_household_for(village, members=3, actor=officer)
    second = make_household_for(village, members=2, actor=officer)
    return village, first, second


@pytest.fixture
def baseline_scene(live_server, frozen_snapshots):
    """Two households, no snapshot, no review yet; an officer of 宁化县 for the scope check."""
    load_test_regions()
    officer = make_user_for("county", MINGXI, username="review_officer")
    village, _first, _second = _households(officer)
    outsider = make_user_for("county", NINGHUA, username="ninghua_officer")
    return SimpleNamespace(officer=officer, outsider=outsider, village=village, year=clock.today().year)


@pytest.fixture
def open_scene(live_server, frozen_snapshots):
    """Last year's snapshot (2 households, 5 persons), then the 3-person household exits this year, and
    this year's review is open: the flows are provisional until it is closed."""
    from fupin.registry import services as registry
    from fupin.review import services

    load_test_regions()
    year = clock.today().year
    officer = make_user_for("county", MINGXI, username="review_officer")
    village, exited, staying = _households(officer)
    services.take_snapshot(actor=officer, county_code=MINGXI, year=year - 1, source="test")
    exited.refresh_from_db()
    registry.update_household(actor=officer, household_id=exited.pk, expected_version=exited.version,
                              data={"poverty_status": "1", "exit_year": year}, source="test")
    cycle = services.open_cycle(actor=officer, county_code=MINGXI, year=year, comment="年度回头看", source="test")
    outsider = make_user_for("county", NINGHUA, username="ninghua_officer")
    return SimpleNamespace(officer=officer, outsider=outsider, village=village, year=year, cycle=cycle,
                           exited=exited, exited_head=exited.members.get(relation="01").name,
                           staying=staying)


def test_county_officer_takes_the_baseline_and_opens_the_year(live_server, baseline_scene, logged_in_page, shots):
    from playwright.sync_api import expect

    scene, year = baseline_scene, baseline_scene.year
    context, page = logged_in_page(scene.officer.username, timeout=10_000, wait_for_redirect=True)

    page.click("nav >> text=动态调整")
    expect(page).to_have_url(f"{live_server.url}/review/")
    expect(page.locator("#cycles tbody")).to_contain_text("尚无年度动态调整。")
    expect(page.locator("#snapshots tbody")).to_contain_text("尚无快照。")
    # the county is the officer's own; the baseline is last year, the review this year
    expect(page.locator("#id_snap-county")).to_have_value(MINGXI)
    expect(page.locator("#id_snap-year")).to_have_value(str(year - 1))
    expect(page.locator("#id_open-year")).to_have_value(str(year))
    page.screenshot(path=str(shots / "review-list-empty.png"), full_page=True)

    # opening the year before its start exists is refused: a message, nothing written
    page.click("#open-button")
    expect(page.locator(".alert.error")).to_contain_text(f"缺少{year - 1}年的快照")
    expect(page.locator("#cycles tbody")).to_contain_text("尚无年度动态调整。")

    page.fill("#id_snap-comment", "基期")
    page.click("#snapshot-button")
    expect(page.locator(".alert.success")).to_have_text("快照已生成: 2 户, 5 人。")
    row = page.locator(f"#snapshot-{MINGXI}-{year - 1}")
    expect(row).to_contain_text("明溪县")
    expect(row.locator("td.num").nth(0)).to_have_text("2")
    expect(row.locator("td.num").nth(1)).to_have_text("5")
    expect(row).to_contain_text("review_officer")
    page.screenshot(path=str(shots / "review-snapshot.png"), full_page=True)

    # a snapshot can never be taken twice
    page.click("#snapshot-button")
    expect(page.locator(".alert.error")).to_contain_text("快照已生成,快照不可修改")
    expect(page.locator("#snapshots tbody tr")).to_have_count(1)

    page.fill("#id_open-comment", "年度回头看")
    page.click("#open-button")
    expect(page).to_have_url(re.compile(r"/review/\d+/$"))
    cycle_url = page.url
    expect(page.locator(".alert.success")).to_have_text("年度动态调整已开始。")
    expect(page.locator("h1")).to_contain_text(f"明溪县 {year}")
    expect(page.locator("#cycle-status")).to_have_text("进行中")
    expect(page.locator("#provisional")).to_be_visible()
    households, persons = page.locator("#totals-households"), page.locator("#totals-persons")
    for row, start in ((households, "2"), (persons, "5")):
        expect(row.locator(".start")).to_have_text(start)
        expect(row.locator(".exited")).to_have_text("0")
        expect(row.locator(".end")).to_have_text(start)
        expect(row.locator(".balanced")).to_have_text("✓")
    expect(page.locator("#close-button")).to_have_text("结束并冻结快照")
    page.screenshot(path=str(shots / "review-cycle-open.png"), full_page=True)

    page.click("text=← 动态调整")
    cycle_row = page.locator("#cycles tbody tr")
    expect(cycle_row).to_have_count(1)
    expect(cycle_row).to_contain_text(str(year))
    expect(cycle_row.locator(".status")).to_have_text("进行中")

    # an officer of another county: the cycle is not found, and the list does not show it
    other, outsider = logged_in_page(scene.outsider.username, timeout=10_000, wait_for_redirect=True,
                                     next_url="/review/")
    expect(outsider.locator("#cycles tbody")).to_contain_text("尚无年度动态调整。")
    response = outsider.goto(cycle_url)
    assert response is not None and response.status == 404
    response = outsider.goto(f"{live_server.url}/review/flows/?region={MINGXI}&year={year}")
    assert response is not None and response.status == 404
    other.close()
    context.close()


def test_county_officer_reads_the_flows_and_closes_the_year(live_server, open_scene, logged_in_page, shots):
    from playwright.sync_api import expect

    scene, year = open_scene, open_scene.year
    town = scene.village[:9] + "000"
    context, page = logged_in_page(scene.officer.username, timeout=10_000, wait_for_redirect=True)

    page.click("nav >> text=动态调整")
    page.click(f"#cycle-{scene.cycle.pk} >> text=查看")
    expect(page.locator("h1")).to_contain_text(f"明溪县 {year}")
    expect(page.locator("#provisional")).to_be_visible()
    households, persons = page.locator("#totals-households"), page.locator("#totals-persons")
    expect(households.locator(".start")).to_have_text("2")
    expect(households.locator(".exited")).to_have_text("1")
    expect(households.locator(".end")).to_have_text("1")
    expect(persons.locator(".start")).to_have_text("5")
    expect(persons.locator(".exited")).to_have_text("3")
    expect(persons.locator(".end")).to_have_text("2")
    expect(households.locator(".balanced")).to_have_text("✓")
    page.screenshot(path=str(shots / "review-cycle-provisional.png"), full_page=True)

    # drill down: county → township → village → the households that exited
    page.click("#drill-down")
    expect(page.locator("h1")).to_have_text(f"年度进出统计 · 明溪县 · {year}")
    expect(page.locator(f"#child-{town}")).to_contain_text("雪峰镇")
    expect(page.locator(f"#child-{town} td.num").nth(3)).to_have_text("1")  # households exited
    expect(page.locator("#reasons tbody")).to_contain_text("脱贫退出")
    page.screenshot(path=str(shots / "review-flows-county.png"), full_page=True)
    page.click(f"#child-{town} >> text=雪峰镇")
    expect(page.locator("h1")).to_have_text(f"年度进出统计 · 雪峰镇 · {year}")
    page.click(f"#child-{scene.village} a")
    expect(page.locator("h1")).to_have_text(f"年度进出统计 · 城东居委会 · {year}")
    expect(page.locator("#totals-households .exited")).to_have_text("1")
    page.click("#list-exited")
    expect(page.locator("h1")).to_have_text(f"城东居委会 · {year} · 脱贫退出")
    expect(page.locator("#count")).to_have_text("共1户")
    row = page.locator(f"#hh-{scene.exited.pk}")
    expect(row).to_contain_text(scene.exited.household_number)
    expect(row).to_contain_text(scene.exited_head)
    expect(row.locator("td.num").nth(0)).to_have_text("3")
    expect(row).to_contain_text("无退出程序记录")  # the exit was edited in, without an exit case
    expect(page.locator(f"#hh-{scene.staying.pk}")).to_have_count(0)
    page.screenshot(path=str(shots / "review-flow-households.png"), full_page=True)

    # back to the cycle, close the year
    page.click("text=← 年度进出统计")
    page.click("text=← 动态调整")
    page.click(f"#cycle-{scene.cycle.pk} >> text=查看")
    page.fill("#close-comment", "全县核查完毕")
    page.click("#close-button")
    expect(page.locator(".alert.success")).to_have_text("年度动态调整已结束,快照已冻结。")
    expect(page.locator("#cycle-status")).to_have_text("已结束")
    expect(page.locator("#cycle-snapshot")).to_contain_text(f"{year} · 数据时点")
    expect(page.locator("#cycle-snapshot")).to_contain_text("1 / 2")
    expect(page.locator("#provisional")).to_have_count(0)
    expect(page.locator("#close-cycle")).to_have_count(0)
    expect(page.locator("#totals-households .end")).to_have_text("1")
    expect(page.locator("#totals-persons .end")).to_have_text("2")
    expect(page.locator("dl.details")).to_contain_text("全县核查完毕")
    page.screenshot(path=str(shots / "review-cycle-closed.png"), full_page=True)

    page.click("text=← 动态调整")
    expect(page.locator(f"#cycle-{scene.cycle.pk} .status")).to_have_text("已结束")
    closing = page.locator(f"#snapshot-{MINGXI}-{year}")
    expect(closing.locator("td.num").nth(0)).to_have_text("1")
    expect(closing.locator("td.num").nth(1)).to_have_text("2")
    expect(page.locator(f"#snapshot-{MINGXI}-{year - 1} td.num").nth(0)).to_have_text("2")
    page.screenshot(path=str(shots / "review-list-closed.png"), full_page=True)

    # the flow report of a closed year is no longer provisional; another county's officer gets 404
    page.goto(f"{live_server.url}/review/flows/?region={MINGXI}&year={year}")
    expect(page.locator("#provisional")).to_have_count(0)
    expect(page.locator("#totals-households .exited")).to_have_text("1")
    other, outsider = logged_in_page(scene.outsider.username, timeout=10_000, wait_for_redirect=True,
                                     next_url="/review/")
    for url in (f"/review/{scene.cycle.pk}/", f"/review/flows/households/?region={scene.village}&year={year}"
                "&flow=exited"):
        response = outsider.goto(f"{live_server.url}{url}")
        assert response is not None and response.status == 404, url
    other.close()
    context.close()
