"""The error pages (DEBUG off): 未找到 (404) in the site's frame, the same for an object outside the user's region as
for one that does not exist; 表单已过期 (a form without a valid CSRF token); 服务器错误 (500) with no context."""

from __future__ import annotations

import re

from django.test import Client, RequestFactory
from django.views import defaults

from fupin.testing import MINGXI


def _main(body: str) -> str:
    return re.search(r"<main>(.*)</main>", body, re.S).group(1)


def test_not_found_reads_the_same_for_out_of_region_and_missing(client, login, ninghua_household):
    login("county", MINGXI)
    outside = client.get(f"/households/{ninghua_household.pk}/")
    missing = client.get(f"/households/{ninghua_household.pk + 100000}/")
    assert outside.status_code == missing.status_code == 404
    body = outside.content.decode()
    assert "<title>未找到 · " in body and 'id="not-found"' in body
    assert "该页面不存在,或其内容不在您的区划范围内。" in body
    assert 'class="topnav"' in body and 'href="/"' in body  # the site's frame: navigation, a way home
    assert _main(body) == _main(missing.content.decode())
    assert ninghua_household.household_number not in body and ninghua_household.head_name not in body


def test_not_found_in_english_and_for_an_unknown_address(client, login):
    login("county", MINGXI)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "This page does not exist, or what it shows is not in your region." in response.content.decode()


def test_a_form_sent_without_its_token_says_it_expired_and_saves_nothing(make_user, mingxi_village):
    from fupin.core.models import ChangeRecord

    user = make_user("county", MINGXI)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    before = ChangeRecord.objects.count()
    response = strict.post("/households/new/", {"village_code": mingxi_village})
    assert response.status_code == 403
    body = response.content.decode()
    assert "表单已过期" in body and "未保存任何内容" in body and 'id="csrf-failure"' in body
    assert ChangeRecord.objects.count() == before


def test_server_error_page_needs_no_context(db):
    response = defaults.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    body = response.content.decode()
    assert "服务器错误" in body and "Server error" in body and "/static/fupin/fupin.css" in body
