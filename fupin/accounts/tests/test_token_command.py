"""``fupin token``: create prints a token that authenticates; revoke stops it; unknown users are refused."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from fupin.accounts.models import ApiToken
from fupin.testing import MINGXI


def _run(*args: str) -> str:
    out = StringIO()
    call_command("token", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_create_prints_a_token_that_authenticates(client, make_user):
    user = make_user("county", MINGXI)
    raw = _run("create", user.username, "--name", "统计脚本").strip()
    assert raw.startswith("fp_") and len(raw) > 40
    token = ApiToken.objects.get(user=user)
    assert (token.name, token.prefix, token.revoked) == ("统计脚本", raw[:8], False)
    assert raw not in (token.key_hash, token.prefix)  # only the hash is stored
    response = client.get("/api/v1/households", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_unknown_or_inactive_user_is_refused(make_user):
    with pytest.raises(CommandError, match="没有这个用户"):
        _run("create", "nobody-here")
    user = make_user("county", MINGXI, is_active=False)
    with pytest.raises(CommandError, match="用户已停用"):
        _run("create", user.username)
    assert not ApiToken.objects.exists()


def test_list_and_revoke(client, make_user):
    user = make_user("county", MINGXI)
    raw = _run("create", user.username).strip()
    listing = _run("list", user.username)
    assert listing.startswith(f"{raw[:8]}\t{user.username}\tactive\t-\t")
    assert raw not in listing
    assert _run("revoke", raw[:8]).strip() == f"revoked {raw[:8]}"
    assert client.get("/api/v1/households", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    with pytest.raises(CommandError, match="没有有效的令牌"):
        _run("revoke", raw[:8])


def test_revoke_refuses_an_ambiguous_prefix(make_user):
    a, b = make_user("county", MINGXI), make_user("county", MINGXI)
    for user in (a, b):
        ApiToken.objects.create(user=user, key_hash=f"hash-{user.pk}", prefix="fp_same1")
    with pytest.raises(CommandError, match="2个令牌"):
        _run("revoke", "fp_same1")
    assert _run("revoke", "fp_same1", "--user", a.username).strip() == "revoked fp_same1"
    assert list(ApiToken.objects.filter(revoked=False).values_list("user", flat=True)) == [b.pk]


def test_an_action_is_required():
    with pytest.raises(CommandError):
        _run()
