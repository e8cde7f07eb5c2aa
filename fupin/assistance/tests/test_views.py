"""Pages of the assistance app: anonymous, wrong person, in scope and out of scope (404); the forms write."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fupin.assistance import services
from fupin.assistance.models import HouseholdPlan, MeasureGiven, PlannedMeasure, Visit

from .conftest import TODAY, ago
from .test_services import JPEG

pytestmark = pytest.mark.django_db


def page(client, user, name, *args, **params):
    client.force_login(user)
    return client.get(reverse(f"assistance:{name}", args=args), params)


def test_anonymous_is_sent_to_sign_in(client, world):
    for url in (reverse("assistance:home"), reverse("assistance:plan", args=[world.h1.pk]),
                reverse("assistance:visit_new", args=[world.h1.pk]), reverse("assistance:overdue")):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_helper_home_shows_their_households(client, world):
    services.record_visit(actor=world.helper_user, household_id=world.h1.pk, visited_on=ago(45), found="x")
    response = page(client, world.helper_user, "home")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="household-{world.h1.pk}"' in html and f'id="household-{world.h2.pk}"' in html
    assert f'id="household-{world.h3.pk}"' not in html
    assert f'id="todo-visit-{world.h1.pk}"' in html  # 45 days: overdue
    assert "我的帮扶户" in html and "记录走访" in html
    assert 'name="viewport"' in html
    officer = page(client, world.county, "home").content.decode()
    assert 'id="no-helper"' in officer and reverse("assistance:overdue") in officer


def test_plan_page_scope(client, world):
    assert page(client, world.helper_user, "plan", world.h1.pk).status_code == 200
    for user, household in ((world.helper_user, world.h3), (world.helper2_user, world.h1),
                            (world.ninghua_county, world.h1), (world.other_cadre, world.h1),
                            (world.helper_user, world.far)):
        assert page(client, user, "plan", household.pk).status_code == 404
    county = page(client, world.county, "plan", world.h1.pk).content.decode()
    assert 'id="plan-form"' in county and 'id="qiqing"' in county
    viewer = page(client, world.city, "plan", world.h1.pk).content.decode()  # reads, cannot write
    assert 'id="qiqing"' in viewer and 'id="plan-form"' not in viewer and 'id="record-visit"' not in viewer
    assert page(client, world.city, "visit_new", world.h1.pk).status_code == 404
    assert page(client, world.city, "given_new", world.h1.pk).status_code == 404


def test_plan_suggestion_add_and_status_through_the_pages(client, world):
    client.force_login(world.helper_user)
    url = reverse("assistance:plan_create", args=[world.h1.pk])
    assert client.post(url, {"year": TODAY.year, "goal": "年内脱贫"}).status_code == 302
    plan = HouseholdPlan.objects.get(household=world.h1)
    html = client.get(reverse("assistance:plan", args=[world.h1.pk])).content.decode()
    assert 'id="suggest-health_medical_aid"' in html and "医疗救助一批(sanming9)" in html
    again = client.post(url, {"year": TODAY.year})
    assert again.status_code == 422 and "已有帮扶计划" in again.content.decode()
    target = (TODAY + dt.timedelta(days=10)).isoformat()
    response = client.post(reverse("assistance:measure_add", args=[plan.pk]),
                           {"measure_type": "health_medical_aid", "target_date": target,
                            "helper": str(world.helper.pk), "expected_income": "600"})
    assert response.status_code == 302
    m = PlannedMeasure.objects.get(plan=plan)
    bad = client.post(reverse("assistance:measure_add", args=[plan.pk]),
                      {"measure_type": "finance_microloan", "target_date": target, "planned_amount": "80000"})
    assert bad.status_code == 422 and "50000" in bad.content.decode()
    status_url = reverse("assistance:measure_status", args=[m.pk])
    illegal = client.post(status_url, {f"m{m.pk}-status": "done", f"m{m.pk}-on": TODAY.isoformat(),
                                       f"m{m.pk}-version": m.version})
    assert illegal.status_code == 422 and "只能改为" in illegal.content.decode()
    ok = client.post(status_url, {f"m{m.pk}-status": "in_progress", f"m{m.pk}-on": TODAY.isoformat(),
                                  f"m{m.pk}-version": m.version})
    assert ok.status_code == 302
    stale = client.post(status_url, {f"m{m.pk}-status": "done", f"m{m.pk}-on": TODAY.isoformat(),
                                     f"m{m.pk}-version": 1})
    assert stale.status_code == 409
    no_reason = client.post(status_url, {f"m{m.pk}-status": "dropped", f"m{m.pk}-on": TODAY.isoformat()})
    assert no_reason.status_code == 422 and "须说明理由" in no_reason.content.decode()
    m.refresh_from_db()
    assert m.status == "in_progress"
    assert client.post(status_url, {f"m{m.pk}-status": "done", f"m{m.pk}-on": TODAY.isoformat()}).status_code == 302
    m.refresh_from_db()
    assert m.status == "done"
    # approval: not the helper's; the township's
    assert client.post(reverse("assistance:plan_move", args=[plan.pk, "approve"])).status_code == 404
    client.force_login(world.township)
    assert client.post(reverse("assistance:plan_move", args=[plan.pk, "approve"]),
                       {"version": plan.version}).status_code == 302
    plan.refresh_from_db()
    assert plan.status == "approved"


def test_given_form(client, world):
    client.force_login(world.helper_user)
    url = reverse("assistance:given_new", args=[world.h1.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"measure_type": "industry_tea", "given_on": ago(1).isoformat(), "quantity": "2",
                                 "project_ref": "茶叶基地项目"})
    assert response.status_code == 302
    g = MeasureGiven.objects.get()
    assert (g.amount, g.unit, g.project_ref) == (1500 * 2, "mu", "茶叶基地项目")
    refused = client.post(url, {"measure_type": "finance_microloan", "given_on": ago(1).isoformat(),
                                "amount": "60000"})
    assert refused.status_code == 422 and MeasureGiven.objects.count() == 1
    cancel = client.post(reverse("assistance:given_cancel", args=[g.pk]), {"reason": "录错了"})
    assert cancel.status_code == 302
    g.refresh_from_db()
    assert g.is_cancelled


def test_visit_form_with_photo_and_the_scoped_photo_view(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.helper_user)
    url = reverse("assistance:visit_new", args=[world.h1.pk])
    form = client.get(url).content.decode()
    assert 'enctype="multipart/form-data"' in form and 'name="helper"' not in form  # the helper is the user
    response = client.post(url, {"visited_on": ago(0).isoformat(), "found": "新房已入住", "agreed": "下月看茶园",
                                 "photos": [SimpleUploadedFile("a.jpg", JPEG, content_type="image/jpeg")]})
    assert response.status_code == 302 and response["Location"] == reverse("assistance:home")
    v = Visit.objects.get()
    photo = v.photos.get()
    shown = client.get(reverse("assistance:photo", args=[photo.pk]))
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg"
    assert b"".join(shown.streaming_content) == JPEG
    client.force_login(world.helper2_user)
    assert client.get(reverse("assistance:photo", args=[photo.pk])).status_code == 404
    client.force_login(world.ninghua_county)
    assert client.get(reverse("assistance:photo", args=[photo.pk])).status_code == 404
    # a bad photo: refused with the reason, nothing stored
    client.force_login(world.helper_user)
    bad = client.post(url, {"visited_on": ago(0).isoformat(), "found": "x",
                            "photos": [SimpleUploadedFile("a.jpg", b"GIF89a....", content_type="image/jpeg")]})
    assert bad.status_code == 422 and "不是照片" in bad.content.decode() and Visit.objects.count() == 1
    # a cadre chooses the helper
    client.force_login(world.cadre)
    assert 'name="helper"' in client.get(url).content.decode()
    done = client.post(url, {"visited_on": ago(0).isoformat(), "found": "代录", "helper": str(world.helper.pk)})
    assert done.status_code == 302 and Visit.objects.count() == 2


def test_overdue_page(client, world):
    services.record_visit(actor=world.helper_user, household_id=world.h1.pk, visited_on=ago(45), found="x")
    html = page(client, world.county, "overdue").content.decode()
    assert f'id="helper-{world.helper.pk}"' in html and f'id="helper-{world.helper2.pk}"' in html
    # 王帮扶 has two overdue households (one never visited), 李帮扶 one: the most gaps first
    assert html.index(f'id="helper-{world.helper.pk}"') < html.index(f'id="helper-{world.helper2.pk}"')
    detail = page(client, world.county, "overdue", helper=world.helper.pk).content.decode()
    assert 'id="overdue-households"' in detail and world.h1.household_number in detail
    assert page(client, world.county, "overdue", region=world.ninghua_village).status_code == 404
    assert page(client, world.helper_user, "overdue").status_code == 404  # a helper has no region view
    assert page(client, world.township, "overdue").status_code == 200


def test_the_qiqing_include_for_the_household_page(rf, world):
    """The lead includes the card on the household page: ``{% qiqing_card h %}`` (or the include with ``qiqing``)."""
    from django.template import Context, Template

    from fupin.assistance import selectors

    request = rf.get("/")
    request.user = world.county
    html = Template("{% load assistance_tags %}{% qiqing_card h %}").render(Context({"h": world.h1, "request": request}))
    assert 'id="qiqing"' in html and "七清" in html and "因病" in html and "王帮扶" in html
    assert reverse("assistance:plan", args=[world.h1.pk]) in html
    included = Template('{% include "assistance/includes/qiqing.html" %}').render(Context({
        "qiqing": selectors.qiqing(world.county, world.h1), "request": request}))
    assert 'id="qiqing-depth"' in included and "元/人" in included
    # 项目清: a fund named in the help given, its kind in the page's language ("资金 fund" stored)
    services.record_measure_given(actor=world.helper_user, household_id=world.h1.pk, measure_type="finance_microloan",
                                  given_on=ago(1), amount="30000", loan_ref="", fund_ref="贴息资金")
    included = Template('{% include "assistance/includes/qiqing.html" %}').render(Context({
        "qiqing": selectors.qiqing(world.county, world.h1), "request": request}))
    assert '<span class="badge">资金: 贴息资金</span>' in included and "fund:" not in included
    assert Template('{% include "assistance/includes/qiqing.html" %}').render(Context({})).strip() == ""
