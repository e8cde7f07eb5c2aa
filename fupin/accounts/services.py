"""Writes to user accounts (用户管理): the one way a user is created, from the CLI, the demo or a page.

``create_user`` checks, in order: the username (Django's username rules, not taken), the role
(角色, :data:`fupin.policy.roles.ROLES`), the region (所属区划; 2/4/6/9/12-digit codes are accepted and
normalised), the actor's right to manage users there (when an actor is given), and the password
(Django's ``AUTH_PASSWORD_VALIDATORS``). When no password is given a strong random one is made and
returned, so it can be shown once. The user and its audit row (变更记录, model ``accounts.user``,
region = the user's region) are written in one transaction.

Errors are :class:`UserError` (a ``ValueError``) subclasses whose text is Chinese first, then English.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from fupin.core import audit
from fupin.core.models import ChangeAction
from fupin.core.scoping import region_in_scope
from fupin.policy import roles
from fupin.policy.regions import RegionCodeError, normalize_code
from fupin.regions.models import Region

from .models import User

GENERATED_PASSWORD_LENGTH = 16
_PASSWORD_ALPHABET = string.ascii_letters + string.digits + "-_!@#%+="


class UserError(ValueError):
    """A refused user write; ``field`` names the input at fault."""

    field = ""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field or self.field


class InvalidUsername(UserError):
    field = "username"


class UnknownRole(UserError):
    field = "role"


class UnknownRegion(UserError):
    field = "region"


class WeakPassword(UserError):
    field = "password"


class NotAllowed(UserError):
    """The actor may not manage users in that region (无权管理该区划的用户)."""

    field = "actor"


def generate_password(user: User | None = None) -> str:
    """A random password that passes the configured validators (16 characters, mixed classes)."""
    while True:
        candidate = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(GENERATED_PASSWORD_LENGTH))
        classes = (string.ascii_lowercase, string.ascii_uppercase, string.digits)
        if not all(any(ch in cls for ch in candidate) for cls in classes):
            continue
        try:
            validate_password(candidate, user)
        except ValidationError:
            continue
        return candidate


def _check_username(username: str) -> str:
    name = (username or "").strip()
    if not name:
        raise InvalidUsername("用户名不能为空 / the username is empty")
    try:
        User._meta.get_field("username").run_validators(name)
    except ValidationError as exc:
        raise InvalidUsername(
            f"用户名只能包含字母、数字和 @/./+/-/_ ,且不超过150个字符: {name!r} / "
            f"a username may hold letters, digits and @/./+/-/_ only, at most 150 characters ({'; '.join(exc.messages)})"
        ) from exc
    if User.objects.filter(username__iexact=name).exists():
        raise InvalidUsername(f"用户名已存在: {name} / the username {name} is taken")
    return name


def _check_role(role: str) -> str:
    if role not in roles.ROLES:
        known = ", ".join(f"{r.id} {r.zh}" for r in roles.ROLES.values())
        raise UnknownRole(f"未知角色: {role!r},可选: {known} / unknown role {role!r}; choose one of: "
                          f"{', '.join(roles.ROLES)}")
    return role


def find_region(region_code: str | int) -> Region:
    """The region of a 2/4/6/9/12-digit code, or :class:`UnknownRegion`."""
    try:
        code = normalize_code(region_code)
    except RegionCodeError as exc:
        raise UnknownRegion(str(exc)) from exc
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise UnknownRegion(f"区划不存在: {code}(请先加载区划代码表 fupin load_regions)/ "
                            f"no region with code {code} (load the division list first: fupin load_regions)")
    return region


def create_user(
    *, username: str, role: str, region_code: str | int, password: str | None = None, actor: Any = None,
    source: str = "cli",
) -> tuple[User, str]:
    """Create a working user bound to a role and a region; return it with its password.

    ``actor=None`` means the system (console, demo); a given actor needs the ``accounts.manage``
    capability (系统管理员) and the new user's region inside the actor's own.
    """
    name = _check_username(username)
    role = _check_role(role)
    region = find_region(region_code)
    if actor is not None and not region_in_scope(actor, region.code, roles.MANAGE_USERS):
        raise NotAllowed(f"无权在{region.name}({region.code})创建用户 / you may not create users in "
                         f"{region.code}")
    user = User(username=name, role=role, region=region)
    if password is None:
        password = generate_password(user)
    else:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise WeakPassword("密码不符合要求: " + ";".join(exc.messages)
                               + " / the password was refused by the password rules") from exc
    user.set_password(password)
    with transaction.atomic():
        user.save()
        audit.record(
            actor=actor, action=ChangeAction.CREATE, obj=user,
            changes=audit.diff({}, {"username": name, "role": role, "region": region.code, "is_active": True}),
            household_id=None, region_code=region.code, source=source,
        )
    return user, password


__all__ = [
    "InvalidUsername", "NotAllowed", "UnknownRegion", "UnknownRole", "UserError", "WeakPassword", "create_user",
    "find_region", "generate_password",
]
