"""Sign-in, sign-out, login throttling (登录限制), the home page and the language of the pages."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from fupin.accounts.models import LoginFailure
from fupin.accounts.throttle import clear_failures, lock_state, record_failure
from fupin.testing import MINGXI, TEST_PASSWORD

from .helpers import text

LOCKED_ZH = "登录失败次数过多,请15分钟后再试"
INVALID_ZH = "请输入一个正确的用户名和密码。注意，两者都区分大小写。"


def _signin(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_login_page_renders_in_chinese_by_default(client, db):
    response = client.get("/login/")
    assert response.status_code == 200
    body = text(response)
    assert '<html lang="zh-hans">' in body
    assert "<h1>登录</h1>" in body
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in body
    assert '<script src="/static/fupin/vendor/htmx.min.js" defer></script>' in body


def test_language_cookie_switches_to_english(client, db):
    client.cookies["django_language"] = "en"
    body = text(client.get("/login/"))
    assert '<html lang="en">' in body
    assert "<h1>Sign in</h1>" in body


def test_set_language_sets_the_cookie(client, db):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert response.cookies["django_language"].value == "en"


def test_right_password_signs_in_and_goes_to_own_region(client, make_user):
    user = make_user("county", MINGXI)
    response = _signin(client, user.username, TEST_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(user.pk)
    home = client.get("/")
    assert home.status_code == 302
    assert home["Location"] == f"/regions/{MINGXI}/"


def test_anonymous_home_goes_to_login(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_wrong_password_is_refused_and_counted(client, make_user):
    user = make_user("county", MINGXI)
    response = _signin(client, user.username, "wrong-password")
    assert response.status_code == 200
    assert INVALID_ZH in text(response)
    assert not _signed_in(client)
    assert list(LoginFailure.objects.values_list("username", "ip")) == [(user.username, "127.0.0.1")]


def test_five_failures_lock_even_the_right_password(client, make_user, settings):
    assert settings.FUPIN_LOGIN_MAX_FAILURES == 5
    assert settings.FUPIN_LOGIN_LOCK_SECONDS == 900
    user = make_user("county", MINGXI)
    for _ in range(4):
        assert INVALID_ZH in text(_signin(client, user.username, "wrong-password"))
    fifth = _signin(client, user.username, "wrong-password")
    assert LOCKED_ZH in text(fifth)
    response = _signin(client, user.username, TEST_PASSWORD)
    assert response.status_code == 200
    assert LOCKED_ZH in text(response)
    assert INVALID_ZH not in text(response)
    assert not _signed_in(client)
    # attempts refused by the lock are not counted
    assert LoginFailure.objects.filter(username=user.username).count() == 5


def test_lock_message_in_english(client, make_user):
    user = make_user("county", MINGXI)
    for _ in range(5):
        _signin(client, user.username, "wrong-password")
    client.cookies["django_language"] = "en"
    body = text(_signin(client, user.username, TEST_PASSWORD))
    assert "Too many failed sign-ins. Try again in 15 minutes." in body


def test_lock_lifts_after_the_window(client, make_user):
    user = make_user("county", MINGXI)
    for _ in range(5):
        _signin(client, user.username, "wrong-password")
    LoginFailure.objects.update(at=timezone.now() - timedelta(seconds=901))
    response = _signin(client, user.username, TEST_PASSWORD)
    assert response.status_code == 302
    assert _signed_in(client)
    assert LoginFailure.objects.filter(username=user.username).count() == 0


def test_success_clears_failures(client, make_user):
    user = make_user("county", MINGXI)
    for _ in range(4):
        _signin(client, user.username, "wrong-password")
    assert LoginFailure.objects.filter(username=user.username).count() == 4
    assert _signin(client, user.username, TEST_PASSWORD).status_code == 302
    assert LoginFailure.objects.filter(username=user.username).count() == 0


def test_other_usernames_are_not_locked(client, make_user):
    victim, other = make_user("county", MINGXI), make_user("county", MINGXI)
    for _ in range(5):
        _signin(client, victim.username, "wrong-password")
    assert _signin(client, other.username, TEST_PASSWORD).status_code == 302


@override_settings(FUPIN_LOGIN_MAX_FAILURES=2, FUPIN_LOGIN_LOCK_SECONDS=120)
def test_throttle_follows_settings(db):
    record_failure("alice")
    assert lock_state("alice").locked is False
    state = record_failure("alice")
    assert state.locked is True
    assert state.failures == 2
    assert state.minutes_left() == 2
    assert state.minutes_left(now=state.until - timedelta(seconds=61)) == 2
    assert state.minutes_left(now=state.until - timedelta(seconds=59)) == 1
    clear_failures("alice")
    assert lock_state("alice").locked is False


def test_old_failures_are_pruned(db):
    record_failure("bob")
    LoginFailure.objects.update(at=timezone.now() - timedelta(days=1))
    record_failure("bob")
    assert LoginFailure.objects.filter(username="bob").count() == 1


def test_logout_is_a_post(client, login):
    login("county")
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert not _signed_in(client)


@pytest.mark.parametrize("role,label", [("county", "县扶贫办"), ("evaluator", "第三方评估")])
def test_nav_shows_user_role_and_edit_link_only_for_editors(client, login, role, label):
    user = login(role)
    body = text(client.get(f"/regions/{MINGXI}/"))
    assert f'{user.username} <span class="role">({label} · 明溪县)</span>' in body
    assert ('href="/households/new/"' in body) is (role == "county")
    assert '<body hx-headers=\'{"X-CSRFToken": "' in body


def test_user_without_region_sees_a_notice(client, make_user):
    from fupin.accounts.models import User

    user = User.objects.create_user("noregion", password=TEST_PASSWORD, role="county")
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    assert "未设置所属区划" in text(response)
    assert make_user  # fixture keeps the DB available


@pytest.mark.parametrize("cookie,accept,lang", [
    (None, "en-US,en;q=0.9", "zh-hans"), (None, "", "zh-hans"), ("en", "zh-CN", "en"), ("zh-hans", "en", "zh-hans"),
    ("xx", "en", "zh-hans"),
])
def test_chinese_first_middleware(client, db, cookie, accept, lang):
    """Chinese unless the user chose English with the language switch; the browser's header is ignored."""
    if cookie:
        client.cookies["django_language"] = cookie
    body = text(client.get("/login/", headers={"Accept-Language": accept} if accept else {}))
    assert f'<html lang="{lang}">' in body
