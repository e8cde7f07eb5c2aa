"""Token authentication (API 令牌): bearer tokens only; anything else is 401."""

from __future__ import annotations

import pytest
from django.utils import timezone

from fupin.accounts.models import ApiToken
from fupin.testing import MINGXI, TEST_PASSWORD

from .conftest import Api

ENDPOINTS = [
    ("get", "/regions/tree"), ("get", f"/regions/{MINGXI}"), ("get", "/households"), ("get", "/households/1"),
    ("post", "/households"), ("patch", "/households/1"), ("post", "/households/1/members"),
    ("patch", "/members/1"),
]


def _call(api: Api, method: str, path: str):
    return api.get(path) if method == "get" else getattr(api, method)(path, {})


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_anonymous_gets_401_everywhere(anonymous, method, path):
    response = _call(anonymous, method, path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json() == {"detail": "需要有效的API令牌 / a valid API token is required"}


@pytest.mark.parametrize("header", ["Bearer fp_not-a-token", "Token abc", "Basic dXNlcjpwYXNz", "Bearer "])
def test_bad_tokens_get_401(client, make_user, header):
    ApiToken.issue(make_user("county", MINGXI))
    assert client.get("/api/v1/households", HTTP_AUTHORIZATION=header).status_code == 401


def test_revoked_token_and_inactive_user_get_401(api_as):
    api = api_as("county", MINGXI)
    assert api.get("/households").status_code == 200
    ApiToken.objects.filter(user=api.user).update(revoked=True)
    assert api.get("/households").status_code == 401

    other = api_as("county", MINGXI)
    other.user.is_active = False
    other.user.save()
    assert other.get("/households").status_code == 401


def test_last_used_is_recorded(api_as):
    api = api_as("county", MINGXI)
    token = ApiToken.objects.get(user=api.user)
    assert token.last_used_at is None
    before = timezone.now()
    assert api.get("/households").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None and token.last_used_at >= before


def test_a_session_login_does_not_authenticate_the_api(client, make_user):
    user = make_user("county", MINGXI)
    assert client.login(username=user.username, password=TEST_PASSWORD)
    assert client.get("/api/v1/households").status_code == 401


def test_writes_need_no_csrf_token(client, make_user):
    from django.test import Client

    user = make_user("county", MINGXI)
    _token, raw = ApiToken.issue(user)
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/api/v1/households", "{}", content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 422  # reached the API; refused for the empty body, not for CSRF
