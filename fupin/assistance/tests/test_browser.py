"""Browser test on a phone (390×844): a helper (帮扶责任人) signs in, sees their households with the overdue
visit first, records a visit with a photo, and marks an in-progress measure done on the household's plan.
Screenshots: ``test-artifacts/browser/assistance-*.png``.

As in :mod:`fupin.identification.tests.test_browser`, the data is made in a fixture before Playwright's
event loop starts, and the test body makes no ORM call.
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from types import SimpleNamespace

import pytest

from fupin.testing import MINGXI, first_village, load_test_regions, make_household_for, make_user_for

PHONE = {"width": 390, "height": 844}

pytestmark = [
    pytest.mark.browser,
]


def tiny_png() -> bytes:
    """A valid 8×8 green PNG (no imaging library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\x20\xa0\x40" * 8 for _ in range(8))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@pytest.fixture
def scene(live_server, settings, tmp_path):
    from fupin.assistance import services
    from fupin.pairing.models import Helper, HouseholdPairing

    settings.MEDIA_ROOT = tmp_path
    load_test_regions()
    village = first_village(MINGXI)
    today = services.today()
    county = make_user_for("county", MINGXI, username="mingxi_county_officer")
    user = make_user_for("helper", MINGXI, username="wang_helper")
    helper = Helper.objects.create(name="王帮扶", unit="明溪县农业农村局", unit_level="county", phone="13800000000",
                                   user=user, region_code=MINGXI)
    late = make_household_for(village, main_cause="1", actor=county)
    fine = make_household_for(village, main_cause="9", actor=county)
    for h in (late, fine):
        HouseholdPairing.objects.create(helper=helper, household=h, started_on=today - dt.timedelta(days=90))
    services.record_visit(actor=user, household_id=late.pk, visited_on=today - dt.timedelta(days=40), found="旧房漏雨")
    services.record_visit(actor=user, household_id=fine.pk, visited_on=today - dt.timedelta(days=5), found="正常")
    plan = services.create_plan(actor=user, household_id=late.pk, year=today.year, goal="年内解决住房和医疗")
    measure = services.add_measure(actor=user, plan_id=plan.pk, measure_type="health_medical_aid",
                                   target_date=today + dt.timedelta(days=7), expected_income="600")
    services.change_measure_status(actor=user, measure_id=measure.pk, status="in_progress")
    return SimpleNamespace(user=user, late=late.pk, fine=fine.pk, late_head=late.head_name, measure=measure.pk,
                           today=today)


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_helper_on_a_phone_records_a_visit_and_marks_a_measure_done(live_server, scene, logged_in_page, shots):
    from playwright.sync_api import expect

    context, page = logged_in_page(scene.user.username, next_url="/assistance/", viewport=PHONE, is_mobile=True,
                                   has_touch=True, device_scale_factor=2)

    # 我的帮扶户: both households, the one visited 40 days ago first and in the to-do list
    expect(page.locator("h1")).to_contain_text("我的帮扶户")
    cards = page.locator("#my-households > li")
    expect(cards).to_have_count(2)
    expect(cards.first).to_have_attribute("id", f"household-{scene.late}")
    expect(cards.first.locator(".badge")).to_have_text("走访超期")
    expect(page.locator(f"#todo-visit-{scene.late}")).to_contain_text("超期10天")
    expect(page.locator(f"#todo-measure-{scene.measure}")).to_contain_text("医疗救助")
    assert fits_the_screen(page)
    page.screenshot(path=str(shots / "assistance-phone-home.png"), full_page=True)

    # 记录走访, with a photo
    page.locator(f"#todo-visit-{scene.late} a").click()
    expect(page.locator("h1")).to_contain_text("记录走访")
    expect(page.locator("#id_visited_on")).to_have_value(scene.today.isoformat())
    page.fill("#id_found", "屋顶已修补, 母亲病情稳定")
    page.fill("#id_agreed", "下周陪同复查, 申请医疗救助")
    page.set_input_files("#id_photos", files=[{"name": "roof.png", "mimeType": "image/png", "buffer": tiny_png()}])
    assert fits_the_screen(page)
    page.screenshot(path=str(shots / "assistance-phone-visit.png"), full_page=True)
    page.click("#save-visit")
    expect(page.locator(".alert.success")).to_contain_text("走访已记录")
    expect(page.locator(f"#todo-visit-{scene.late}")).to_have_count(0)
    expect(page.locator(f"#household-{scene.late} .badge")).to_contain_text("下次走访")

    # the plan: mark the measure done
    page.locator(f"#household-{scene.late} a", has_text="帮扶计划").click()
    expect(page.locator("#qiqing")).to_contain_text("七清")
    card = page.locator(f"#measure-{scene.measure}")
    expect(card.locator(".badge").first).to_have_text("实施中")
    expect(card).to_contain_text("医疗救助一批")  # the suggestion reason stored with it
    expect(page.locator("#visits li").first).to_contain_text("屋顶已修补")
    expect(page.locator("#visits li").first.locator(".photos img")).to_have_count(1)
    photo = page.locator("#visits li").first.locator(".photos img")
    photo.scroll_into_view_if_needed()  # (lazy loading)
    page.wait_for_function("document.querySelector('#visits .photos img').complete")
    assert photo.evaluate("img => img.naturalWidth") == 8  # served to the helper, and decodable
    assert fits_the_screen(page)
    page.locator(f"#measure-{scene.measure}-done").click()
    expect(page.locator(".alert.success")).to_contain_text("措施已标记完成")
    card = page.locator(f"#measure-{scene.measure}")
    expect(card.locator("[data-status]")).to_have_text("已完成")
    expect(card).to_contain_text(f"完成日期 {scene.today.isoformat()}")
    expect(page.locator(f"#measure-{scene.measure}-done")).to_have_count(0)
    page.screenshot(path=str(shots / "assistance-phone-plan.png"), full_page=True)

    # back home: the measure has left the to-do list
    page.goto(f"{live_server.url}/assistance/")
    expect(page.locator(f"#todo-measure-{scene.measure}")).to_have_count(0)
    expect(page.locator("#todo-empty")).to_be_visible()
    context.close()
