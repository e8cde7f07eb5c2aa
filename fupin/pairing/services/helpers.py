"""帮扶责任人 — helpers: create, update, leave (with the user account linked to a helper)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from fupin.accounts.models import User
from fupin.core import audit
from fupin.core.models import ChangeAction
from fupin.core.scoping import ScopeError, region_in_scope, require_in_scope
from fupin.policy import clock, roles
from fupin.policy.regions import RegionCodeError, normalize_code
from fupin.registry.services import INVALID, VersionConflict

from ..choices import EndReason, UnitLevel
from ..models import (
    Helper,
    HouseholdPairing,
)
from .common import HELPER_FIELDS, NOT_FOUND, PairingError, _created, _record
from .households import _end


def _helper_values(data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for key in ("name", "unit", "phone"):
        if key in data:
            values[key] = str(data[key] or "").strip()
    for key in ("name", "unit"):
        if (key in values and not values[key]) or (not partial and key not in values):
            errors.setdefault(key, []).append("必填 / required")
    if "unit_level" in data or not partial:
        level = str(data.get("unit_level") or "")
        if level not in UnitLevel.values:
            errors.setdefault("unit_level", []).append(f"未知单位层级 {level!r} / unknown unit level")
        values["unit_level"] = level
    if "region_code" in data or not partial:
        try:
            values["region_code"] = normalize_code(str(data.get("region_code") or ""))
        except RegionCodeError as exc:
            errors.setdefault("region_code", []).append(str(exc))
    if "active" in data:
        values["active"] = bool(data["active"])
    if errors:
        raise PairingError(INVALID, errors)
    return values


def _link_user(actor: Any, user_id: Any, helper: Helper | None) -> User | None:
    """The login to link (in the actor's scope, not linked to another helper), or None to unlink."""
    if user_id in (None, ""):
        return None
    user = User.objects.select_related("region").filter(pk=user_id).first()
    if user is None or user.region is None or not region_in_scope(actor, user.region.code, roles.MANAGE_PAIRING):
        raise PairingError(INVALID, {"user": ["账号不存在或不在您的范围内 / no such login in your region"]})
    other = Helper.objects.filter(user=user).exclude(pk=getattr(helper, "pk", None)).first()
    if other is not None:
        raise PairingError(INVALID, {"user": [f"该账号已关联帮扶责任人「{other.name}」 / the login belongs to "
                                              f"helper {other.name}"]})
    return user


def create_helper(*, actor: Any, data: Mapping[str, Any], source: str = "web") -> Helper:
    """Register a helper (帮扶责任人) of a region; ``data["user"]`` (a user id) links a login."""
    values = _helper_values(data, partial=False)
    require_in_scope(actor, values["region_code"], roles.MANAGE_PAIRING)
    with transaction.atomic():
        helper = Helper(**values)
        helper.user = _link_user(actor, data.get("user"), None)
        helper.save()
        _record(actor, ChangeAction.CREATE, helper, _created(helper, HELPER_FIELDS),
                region_code=helper.region_code, source=source)
    return helper


def _lock_helper(actor: Any, helper_id: Any, capability: str = roles.MANAGE_PAIRING) -> Helper:
    helper = Helper.objects.select_for_update().filter(pk=helper_id).first()
    if helper is None or not region_in_scope(actor, helper.region_code, capability):
        raise ScopeError(NOT_FOUND)
    return helper


def update_helper(*, actor: Any, helper_id: int, expected_version: int | None, data: Mapping[str, Any],
                  source: str = "web") -> Helper:
    """Change a helper's details (unit, phone, login …). A stale ``expected_version`` is refused."""
    values = _helper_values(data, partial=True)
    with transaction.atomic():
        helper = _lock_helper(actor, helper_id)
        if expected_version is not None and int(expected_version) != helper.version:
            raise VersionConflict("该记录已被他人修改,请刷新后重新编辑 / someone else saved this record; reload",
                                  {"version": [f"{expected_version} ≠ {helper.version}"]})
        if "region_code" in values:
            require_in_scope(actor, values["region_code"], roles.MANAGE_PAIRING)
        before = audit.field_values(helper, HELPER_FIELDS)
        for k, v in values.items():
            setattr(helper, k, v)
        if "user" in data:
            helper.user = _link_user(actor, data.get("user"), helper)
        changes = audit.diff(before, audit.field_values(helper, HELPER_FIELDS))
        if changes:
            helper.version += 1
            helper.save()
            _record(actor, ChangeAction.UPDATE, helper, changes, region_code=helper.region_code, source=source)
    return helper


def helper_leaves(*, actor: Any, helper_id: int, on: dt.date | None = None, comment: str = "",
                  source: str = "web") -> Helper:
    """A helper leaves (调离): every current pairing ends (reason 帮扶人调离) and the helper is inactive.
    The households then show as without a helper in the coverage report until paired again."""
    on = on or clock.today()
    with transaction.atomic():
        helper = _lock_helper(actor, helper_id)
        for pairing in (HouseholdPairing.objects.select_for_update().select_related("household")
                        .filter(helper=helper, ended_on__isnull=True)):
            _end(actor, pairing, on, EndReason.HELPER_LEFT, comment, source)
        if helper.active:
            helper.active = False
            helper.version += 1
            helper.save()
            _record(actor, ChangeAction.STATUS, helper, {"active": [True, False]}, region_code=helper.region_code,
                    source=source, comment=comment)
    return helper
