"""Users (用户), API tokens and login failures.

A user has exactly one role (角色, :mod:`fupin.policy.roles`) and is bound to one region (所属区划);
together they decide what the user sees, through :func:`fupin.core.scoping.visible_to`.
"""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models

from fupin.policy import roles


class User(AbstractUser):
    """用户 — a person who signs in, with a role and a region."""

    role = models.CharField("角色 role", max_length=20, choices=roles.ROLE_CHOICES)
    region = models.ForeignKey(
        "regions.Region", verbose_name="所属区划 region", on_delete=models.PROTECT, related_name="users",
        null=True, blank=True,
        help_text="required for every working user; only the built-in superuser may be without one",
    )
    phone = models.CharField("电话 phone", max_length=20, blank=True)

    class Meta:
        verbose_name = "用户 user"

    def has_capability(self, capability: str) -> bool:
        return self.is_active and self.region_id is not None and roles.has_capability(self.role, capability)

    @property
    def may_see_full_id(self) -> bool:
        return self.has_capability(roles.VIEW_FULL_ID)

    @property
    def role_label(self) -> str:
        role = roles.ROLES.get(self.role)
        return role.zh if role else self.role


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """API 令牌 — a bearer token; only its SHA-256 is stored, the token itself is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, help_text="first characters, to tell tokens apart")
    name = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    class Meta:
        verbose_name = "API 令牌 API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user_id})"

    @classmethod
    def issue(cls, user: User, name: str = "") -> tuple[ApiToken, str]:
        raw = "fp_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, key_hash=_hash_token(raw), prefix=raw[:8], name=name)
        return token, raw

    @classmethod
    def lookup(cls, raw: str) -> ApiToken | None:
        return (
            cls.objects.select_related("user", "user__region")
            .filter(key_hash=_hash_token(raw), revoked=False, user__is_active=True)
            .first()
        )


class LoginFailure(models.Model):
    """登录失败 — one failed sign-in, for throttling; kept in the database so every process sees it."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.username} {self.at:%Y-%m-%d %H:%M}"
