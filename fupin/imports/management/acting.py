"""Who the import/export commands act as: the system (no ``--as``) or a named user."""

from __future__ import annotations

from django.core.management.base import CommandError

from fupin.accounts.models import User
from fupin.regions.models import Region


def acting_user(username: str | None) -> User | None:
    """``--as USERNAME``: that active user; none: the system (every region, full IDs)."""
    if not username:
        return None
    user = User.objects.select_related("region").filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"没有这个用户: {username} / no such active user")
    return user


def default_region(user: User | None) -> str:
    """The user's region; for the system the one province loaded (else ``--region`` is needed)."""
    if user is not None:
        if user.region_id is None:
            raise CommandError("该用户没有所属区划 / the user has no region")
        return user.region_id
    provinces = list(Region.objects.filter(level=1).values_list("code", flat=True)[:2])
    if len(provinces) != 1:
        raise CommandError("请用 --region 指定导入区域 / give --region CODE")
    return provinces[0]
