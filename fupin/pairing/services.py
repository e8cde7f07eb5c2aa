"""Writes of the pairing app (结对帮扶、驻村工作队): the only way helpers, pairings and teams change.

Each verb: scope check (the capability in the place's region, else 404) → lock the rows it counts
(the helper and the household, so two officers cannot both give a helper a sixth household) →
the pure checks of :mod:`fupin.policy.pairing_rules` with the limits in force there
(:func:`fupin.pairing.limits.effective_limits`) → save → the audit trail (:mod:`fupin.core.audit`),
in one transaction. A refusal is :class:`PairingError` (a :class:`~fupin.registry.services.RegistryError`,
so pages and the API show it as any refused write, 422 in the API) with a Chinese and English message.

Nothing is deleted: a pairing, a team or a membership ends (``ended_on``/``left_on``, with a reason);
a transfer (调整) ends one pairing and starts the next, linked by ``transfer_to``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, models, transaction

from fupin.accounts.models import User
from fupin.core import audit
from fupin.core.models import ChangeAction
from fupin.core.scoping import ScopeError, region_in_scope, require_in_scope
from fupin.policy import clock, roles
from fupin.policy.pairing_rules import (
    PairingLimitError,
    apply_overrides,
    check_attendance,
    check_helper_load,
    check_household_helpers,
    check_period,
    month_start,
)
from fupin.policy.regions import LEVEL_COUNTY, LEVEL_TOWNSHIP, LEVEL_VILLAGE, RegionCodeError, normalize_code
from fupin.regions.models import Region
from fupin.registry.choices import RecordStatus
from fupin.registry.models import Household
from fupin.registry.services import INVALID, RegistryError, VersionConflict

from .choices import EndReason, UnitLevel
from .limits import effective_limits
from .models import (
    AttendanceRecord,
    CountyPairing,
    CountyPairingFund,
    EnterpriseVillagePairing,
    Helper,
    HouseholdPairing,
    LeaderTownshipPairing,
    PairingSetting,
    TeamMember,
    UnitVillagePairing,
    VillagePairing,
    WorkTeam,
)

NOT_FOUND = "不存在或无权操作 / not found"
HELPER_FIELDS = ("name", "unit", "unit_level", "phone", "region_code", "user", "active")
PAIRING_FIELDS = ("helper", "household", "started_on", "ended_on", "end_reason", "end_comment", "transfer_to")
TEAM_FIELDS = ("village", "sending_unit", "unit_level", "name", "started_on", "ended_on", "end_reason",
               "end_comment")
MEMBER_FIELDS = ("team", "helper", "name", "unit", "phone", "is_first_secretary", "is_leader", "joined_on",
                 "left_on", "left_comment")


class PairingError(RegistryError):
    """A refused pairing or team write (the message is Chinese, then English)."""

    @classmethod
    def of(cls, exc: PairingLimitError) -> PairingError:
        return cls(exc.message, {exc.field_name: [exc.message]})


def _check_period(started_on: dt.date, ended_on: dt.date | None) -> None:
    try:
        check_period(started_on, ended_on, today=clock.today())
    except PairingLimitError as exc:
        raise PairingError.of(exc) from exc


def _record(actor: Any, action: str, obj: models.Model, changes: dict[str, list[Any]], *, region_code: str,
            source: str, household_id: int | None = None, comment: str = "") -> None:
    audit.record(actor=actor, action=action, obj=obj, changes=changes, household_id=household_id,
                 region_code=region_code, source=source, comment=comment)


def _created(obj: models.Model, fields: tuple[str, ...]) -> dict[str, list[Any]]:
    return {k: [None, v] for k, v in audit.field_values(obj, fields).items() if v not in (None, "")}


def _region(code: str, *, levels: tuple[int, ...], field_name: str) -> Region:
    try:
        normalized = normalize_code(str(code or ""))
    except RegionCodeError as exc:
        raise PairingError(INVALID, {field_name: [str(exc)]}) from exc
    region = Region.objects.filter(code=normalized, level__in=levels).first()
    if region is None:
        want = "、".join({LEVEL_VILLAGE: "村", LEVEL_TOWNSHIP: "乡镇", LEVEL_COUNTY: "县"}.get(lv, str(lv))
                        for lv in levels)
        raise PairingError(INVALID, {field_name: [f"不是{want}级区划: {code} / not a region of that level"]})
    return region


# --- helpers (帮扶责任人) -------------------------------------------------------------------------------

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


# --- household pairings (结对帮扶) --------------------------------------------------------------------

def _lock_household(actor: Any, household_id: Any) -> Household:
    household = Household.objects.select_for_update().filter(pk=household_id).first()
    if household is None:
        raise ScopeError(NOT_FOUND)
    require_in_scope(actor, household.village_code, roles.MANAGE_PAIRING)
    return household


def _helper_for_pairing(actor: Any, helper_id: Any) -> Helper:
    """The helper (locked), visible to the actor (its region is the actor's, or above it)."""
    from .selectors import helpers_visible_to

    helper = helpers_visible_to(actor).select_for_update().filter(pk=helper_id).first()
    if helper is None:
        raise PairingError(INVALID, {"helper": ["帮扶责任人不存在或不在您的范围内 / no such helper in your region"]})
    if not helper.active:
        raise PairingError(INVALID, {"helper": [f"「{helper.name}」已调离,不能结对 / the helper has left"]})
    return helper


def _check_limits(helper: Helper, household: Household, on: dt.date, *, ending: HouseholdPairing | None = None) -> None:
    limits = effective_limits(household.village_code, on)
    helper_load = HouseholdPairing.objects.filter(helper=helper, ended_on__isnull=True).count()
    household_helpers = HouseholdPairing.objects.filter(household=household, ended_on__isnull=True)
    if ending is not None:
        household_helpers = household_helpers.exclude(pk=ending.pk)
    try:
        check_household_helpers(limits, current=household_helpers.count(), household_number=household.household_number)
        check_helper_load(limits, unit_level=helper.unit_level, current=helper_load, helper_name=helper.name)
    except PairingLimitError as exc:
        raise PairingError.of(exc) from exc


def _start(actor: Any, helper: Helper, household: Household, on: dt.date, source: str,
           comment: str = "") -> HouseholdPairing:
    if HouseholdPairing.objects.filter(helper=helper, household=household, ended_on__isnull=True).exists():
        raise PairingError(INVALID, {"helper": [f"「{helper.name}」已与该户结对 / already paired with this household"]})
    try:
        with transaction.atomic():
            pairing = HouseholdPairing.objects.create(helper=helper, household=household, started_on=on)
    except IntegrityError as exc:  # the partial unique index, under a race
        raise PairingError(INVALID, {"helper": ["已与该户结对 / already paired"]}) from exc
    _record(actor, ChangeAction.CREATE, pairing, _created(pairing, PAIRING_FIELDS), region_code=household.village_code,
            household_id=household.pk, source=source, comment=comment)
    return pairing


def pair_household(*, actor: Any, helper_id: int, household_id: int, started_on: dt.date | None = None,
                   comment: str = "", source: str = "web") -> HouseholdPairing:
    """结对: pair a helper with a registered household, within the limits in force there."""
    on = started_on or clock.today()
    _check_period(on, None)
    with transaction.atomic():
        household = _lock_household(actor, household_id)
        if household.status != RecordStatus.ACTIVE:
            raise PairingError(INVALID, {"household": ["该户不在册,不能结对 / the household is not on the registry"]})
        helper = _helper_for_pairing(actor, helper_id)
        _check_limits(helper, household, on)
        return _start(actor, helper, household, on, source, comment)


def _lock_pairing(actor: Any, pairing_id: Any) -> HouseholdPairing:
    pairing = HouseholdPairing.objects.select_for_update().select_related("household", "helper").filter(
        pk=pairing_id).first()
    if pairing is None or not region_in_scope(actor, pairing.household.village_code, roles.MANAGE_PAIRING):
        raise ScopeError(NOT_FOUND)
    if pairing.ended_on is not None:
        raise PairingError(INVALID, {"pairing": [f"该结对已于{pairing.ended_on}结束 / the pairing has ended"]})
    return pairing


def _end(actor: Any, pairing: HouseholdPairing, on: dt.date, reason: str, comment: str, source: str,
         transfer_to: HouseholdPairing | None = None) -> None:
    _check_period(pairing.started_on, on)
    before = audit.field_values(pairing, PAIRING_FIELDS)
    pairing.ended_on, pairing.end_reason, pairing.end_comment = on, reason, comment
    pairing.transfer_to = transfer_to
    pairing.save()
    _record(actor, ChangeAction.STATUS, pairing, audit.diff(before, audit.field_values(pairing, PAIRING_FIELDS)),
            region_code=pairing.household.village_code, household_id=pairing.household_id, source=source,
            comment=comment)


def end_household_pairing(*, actor: Any, pairing_id: int, reason: str, ended_on: dt.date | None = None,
                          comment: str = "", source: str = "web") -> HouseholdPairing:
    """End a pairing (脱贫销号, 户注销, 帮扶人调离 …); the household may then be without a helper."""
    if reason not in EndReason.values or reason == EndReason.TRANSFER:
        raise PairingError(INVALID, {"reason": ["请选择结束原因(调整请用「调整帮扶人」) / choose a reason "
                                                "(use a transfer to change the helper)"]})
    if reason == EndReason.OTHER and not comment.strip():
        raise PairingError(INVALID, {"comment": ["请说明原因 / explain the reason"]})
    with transaction.atomic():
        pairing = _lock_pairing(actor, pairing_id)
        _end(actor, pairing, ended_on or clock.today(), reason, comment, source)
    return pairing


def transfer_household(*, actor: Any, pairing_id: int, to_helper_id: int, on: dt.date | None = None,
                       comment: str = "", source: str = "web") -> HouseholdPairing:
    """调整帮扶人: end the pairing on ``on`` and pair the household with another helper from that day;
    the old pairing's ``transfer_to`` points at the new one. Returns the new pairing."""
    on = on or clock.today()
    with transaction.atomic():
        pairing = _lock_pairing(actor, pairing_id)
        household = _lock_household(actor, pairing.household_id)
        helper = _helper_for_pairing(actor, to_helper_id)
        if helper.pk == pairing.helper_id:
            raise PairingError(INVALID, {"helper": ["请选择另一名帮扶责任人 / choose another helper"]})
        _check_period(pairing.started_on, on)
        _check_limits(helper, household, on, ending=pairing)
        # End first (the partial unique index allows one current pairing per helper and household).
        _end(actor, pairing, on, EndReason.TRANSFER, comment, source)
        new = _start(actor, helper, household, on, source, comment)
        pairing.transfer_to = new
        pairing.save(update_fields=["transfer_to", "updated_at"])
        _record(actor, ChangeAction.UPDATE, pairing, {"transfer_to": [None, new.pk]},
                region_code=household.village_code, household_id=household.pk, source=source, comment=comment)
    return new


# --- unit and place pairings (包村, 包乡镇, 百企联百村, 强村带弱村, 县际结对) ----------------------------------

@dataclass(frozen=True)
class PlaceKind:
    """One kind of place pairing: its model, the field whose region decides scope, and its fields."""

    id: str
    label: str
    model: type[_PlaceModel]
    scope_field: str  # a Region foreign key: the actor needs MANAGE_PAIRING there
    region_fields: dict[str, tuple[int, ...]]  # region foreign keys and the levels they accept
    text_fields: tuple[str, ...]
    required: tuple[str, ...]


_PlaceModel = UnitVillagePairing | LeaderTownshipPairing | EnterpriseVillagePairing | VillagePairing | CountyPairing

PLACE_KINDS: dict[str, PlaceKind] = {k.id: k for k in (
    PlaceKind("unit_village", "单位包村 unit–village", UnitVillagePairing, "village",
              {"village": (LEVEL_VILLAGE,)}, ("unit", "unit_level"), ("unit", "unit_level", "village")),
    PlaceKind("leader_township", "县级领导包乡镇 leader–township", LeaderTownshipPairing, "township",
              {"township": (LEVEL_TOWNSHIP,)}, ("leader_name", "leader_title"), ("leader_name", "township")),
    PlaceKind("enterprise_village", "百企联百村 enterprise–village", EnterpriseVillagePairing, "village",
              {"village": (LEVEL_VILLAGE,)}, ("enterprise", "credit_code", "projects", "donated"),
              ("enterprise", "village")),
    PlaceKind("village", "强村带弱村 strong–weak village", VillagePairing, "weak_village",
              {"strong_village": (LEVEL_VILLAGE,), "weak_village": (LEVEL_VILLAGE,)}, ("project",),
              ("strong_village", "weak_village")),
    PlaceKind("county", "县际结对 county pairing", CountyPairing, "helped_county",
              {"helping_county": (LEVEL_COUNTY,), "helped_county": (LEVEL_COUNTY,),
               "helped_township": (LEVEL_TOWNSHIP,)}, (), ("helping_county", "helped_county")),
)}


def _place_kind(kind: str) -> PlaceKind:
    if kind not in PLACE_KINDS:
        raise ScopeError(NOT_FOUND)
    return PLACE_KINDS[kind]


def _place_fields(k: PlaceKind) -> tuple[str, ...]:
    return (*k.region_fields, *k.text_fields, "started_on", "ended_on", "end_reason", "end_comment", "transfer_to")


def _place_values(k: PlaceKind, data: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name in k.required:
        if not str(data.get(name) or "").strip():
            errors.setdefault(name, []).append("必填 / required")
    if errors:
        raise PairingError(INVALID, errors)
    for name, levels in k.region_fields.items():
        if str(data.get(name) or "").strip():
            values[name] = _region(str(data[name]), levels=levels, field_name=name)
    for name in k.text_fields:
        if name not in data:
            continue
        value = data[name]
        if name == "unit_level" and value not in UnitLevel.values:
            errors.setdefault(name, []).append("未知单位层级 / unknown unit level")
        elif name == "projects":
            try:
                values[name] = max(0, int(value or 0))
            except (TypeError, ValueError):
                errors.setdefault(name, []).append("应为整数 / must be a number")
            continue
        elif name == "donated":
            try:
                values[name] = Decimal(str(value or 0))
            except InvalidOperation:
                errors.setdefault(name, []).append("应为金额 / must be an amount")
            continue
        values[name] = str(value or "").strip()
    if k.id == "village" and values.get("strong_village") == values.get("weak_village"):
        errors.setdefault("weak_village", []).append("强村与弱村不能相同 / the two villages must differ")
    if k.id == "county":
        township = values.get("helped_township")
        if township is not None and not township.code.startswith(values["helped_county"].prefix):
            errors.setdefault("helped_township", []).append("对口乡镇应属于受帮扶县 / the township must lie in "
                                                            "the helped county")
        if values["helping_county"] == values["helped_county"]:
            errors.setdefault("helping_county", []).append("两县不能相同 / the two counties must differ")
    if errors:
        raise PairingError(INVALID, errors)
    return values


def start_place_pairing(*, actor: Any, kind: str, data: Mapping[str, Any], started_on: dt.date | None = None,
                        comment: str = "", source: str = "web") -> models.Model:
    """Start a unit, leader, enterprise, village or county pairing (``kind`` of :data:`PLACE_KINDS`)."""
    k = _place_kind(kind)
    values = _place_values(k, data)
    on = started_on or clock.today()
    _check_period(on, None)
    require_in_scope(actor, values[k.scope_field].code, roles.MANAGE_PAIRING)
    with transaction.atomic():
        obj = k.model.objects.create(started_on=on, **values)
        _record(actor, ChangeAction.CREATE, obj, _created(obj, _place_fields(k)),
                region_code=getattr(obj, f"{k.scope_field}_id"), source=source, comment=comment)
    return obj


def _lock_place(actor: Any, k: PlaceKind, pairing_id: Any) -> Any:
    obj = k.model.objects.select_for_update().filter(pk=pairing_id).first()
    if obj is None or not region_in_scope(actor, getattr(obj, f"{k.scope_field}_id"), roles.MANAGE_PAIRING):
        raise ScopeError(NOT_FOUND)
    if obj.ended_on is not None:
        raise PairingError(INVALID, {"pairing": [f"已于{obj.ended_on}结束 / the pairing has ended"]})
    return obj


def _end_place(actor: Any, k: PlaceKind, obj: Any, on: dt.date, reason: str, comment: str, source: str) -> None:
    _check_period(obj.started_on, on)
    fields = _place_fields(k)
    before = audit.field_values(obj, fields)
    obj.ended_on, obj.end_reason, obj.end_comment = on, reason, comment
    obj.save()
    _record(actor, ChangeAction.STATUS, obj, audit.diff(before, audit.field_values(obj, fields)),
            region_code=getattr(obj, f"{k.scope_field}_id"), source=source, comment=comment)


def end_place_pairing(*, actor: Any, kind: str, pairing_id: int, reason: str, ended_on: dt.date | None = None,
                      comment: str = "", source: str = "web") -> Any:
    """End a place pairing (期满, 调整 …)."""
    k = _place_kind(kind)
    if reason not in EndReason.values or reason == EndReason.TRANSFER:
        raise PairingError(INVALID, {"reason": ["请选择结束原因 / choose a reason"]})
    with transaction.atomic():
        obj = _lock_place(actor, k, pairing_id)
        _end_place(actor, k, obj, ended_on or clock.today(), reason, comment, source)
    return obj


def transfer_place_pairing(*, actor: Any, kind: str, pairing_id: int, data: Mapping[str, Any],
                           on: dt.date | None = None, comment: str = "", source: str = "web") -> Any:
    """调整: end a place pairing and start the next one from the same day, with ``data`` replacing the
    old values (another unit for the village, another leader for the township …)."""
    k = _place_kind(kind)
    on = on or clock.today()
    with transaction.atomic():
        old = _lock_place(actor, k, pairing_id)
        merged: dict[str, Any] = {name: getattr(old, f"{name}_id") for name in k.region_fields}
        merged.update({name: getattr(old, name) for name in k.text_fields})
        merged.update({key: value for key, value in data.items() if value not in (None, "")})
        values = _place_values(k, merged)
        require_in_scope(actor, values[k.scope_field].code, roles.MANAGE_PAIRING)
        _end_place(actor, k, old, on, EndReason.TRANSFER, comment, source)
        new = k.model.objects.create(started_on=on, **values)
        _record(actor, ChangeAction.CREATE, new, _created(new, _place_fields(k)),
                region_code=getattr(new, f"{k.scope_field}_id"), source=source, comment=comment)
        old.transfer_to = new
        old.save(update_fields=["transfer_to", "updated_at"])
        _record(actor, ChangeAction.UPDATE, old, {"transfer_to": [None, new.pk]},
                region_code=getattr(old, f"{k.scope_field}_id"), source=source, comment=comment)
    return new


def _money(value: Any, field_name: str) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else 0))
    except InvalidOperation as exc:
        raise PairingError(INVALID, {field_name: ["应为金额 / must be an amount"]}) from exc
    if amount < 0:
        raise PairingError(INVALID, {field_name: ["不能为负 / cannot be negative"]})
    return amount


def set_county_funds(*, actor: Any, pairing_id: int, year: int, committed: Any, delivered: Any = 0,
                     source: str = "web") -> CountyPairingFund:
    """县际结对资金: the funds a county pairing commits (and has delivered) in ``year`` — one row a year,
    changed in place with its audit row. A commitment below the minimum is recorded and flagged by the
    reports, not refused (the seed's 不少于50万 is a target to check, not a form rule)."""
    k = PLACE_KINDS["county"]
    committed_amount, delivered_amount = _money(committed, "committed"), _money(delivered, "delivered")
    if not 2000 <= int(year) <= 2100:
        raise PairingError(INVALID, {"year": ["年度有误 / invalid year"]})
    with transaction.atomic():
        pairing = CountyPairing.objects.select_for_update().filter(pk=pairing_id).first()
        if pairing is None or not region_in_scope(actor, getattr(pairing, f"{k.scope_field}_id"),
                                                  roles.MANAGE_PAIRING):
            raise ScopeError(NOT_FOUND)
        row = CountyPairingFund.objects.filter(pairing=pairing, year=year).first()
        fields = ("year", "committed", "delivered")
        if row is None:
            row = CountyPairingFund.objects.create(pairing=pairing, year=year, committed=committed_amount,
                                                   delivered=delivered_amount)
            _record(actor, ChangeAction.CREATE, row, _created(row, fields), region_code=pairing.helped_county_id,
                    source=source)
        else:
            before = audit.field_values(row, fields)
            row.committed, row.delivered = committed_amount, delivered_amount
            changes = audit.diff(before, audit.field_values(row, fields))
            if changes:
                row.save()
                _record(actor, ChangeAction.UPDATE, row, changes, region_code=pairing.helped_county_id, source=source)
    return row


# --- work teams (驻村工作队) ---------------------------------------------------------------------------

def create_team(*, actor: Any, village_code: str, sending_unit: str, unit_level: str, name: str = "",
                started_on: dt.date | None = None, source: str = "web") -> WorkTeam:
    """Send a work team to a village (驻村): its members are added with :func:`add_team_member`."""
    village = _region(village_code, levels=(LEVEL_VILLAGE,), field_name="village")
    errors: dict[str, list[str]] = {}
    if not sending_unit.strip():
        errors["sending_unit"] = ["必填 / required"]
    if unit_level not in UnitLevel.values:
        errors["unit_level"] = ["未知单位层级 / unknown unit level"]
    if errors:
        raise PairingError(INVALID, errors)
    on = started_on or clock.today()
    _check_period(on, None)
    require_in_scope(actor, village.code, roles.MANAGE_PAIRING)
    with transaction.atomic():
        team = WorkTeam.objects.create(village=village, sending_unit=sending_unit.strip(), unit_level=unit_level,
                                       name=name.strip(), started_on=on)
        _record(actor, ChangeAction.CREATE, team, _created(team, TEAM_FIELDS), region_code=village.code,
                source=source)
    return team


def _lock_team(actor: Any, team_id: Any, capability: str = roles.MANAGE_PAIRING) -> WorkTeam:
    team = WorkTeam.objects.select_for_update().filter(pk=team_id).first()
    if team is None or not region_in_scope(actor, team.village_id, capability):
        raise ScopeError(NOT_FOUND)
    return team


def end_team(*, actor: Any, team_id: int, ended_on: dt.date | None = None, reason: str = EndReason.PERIOD_OVER,
             comment: str = "", source: str = "web") -> WorkTeam:
    """A team's period ends (轮换): its current members leave on the same day."""
    on = ended_on or clock.today()
    with transaction.atomic():
        team = _lock_team(actor, team_id)
        if team.ended_on is not None:
            raise PairingError(INVALID, {"team": [f"该工作队已于{team.ended_on}撤离 / the team has left"]})
        _check_period(team.started_on, on)
        for member in TeamMember.objects.select_for_update().filter(team=team, left_on__isnull=True):
            _member_leaves(actor, team, member, max(on, member.joined_on), comment, source)
        before = audit.field_values(team, TEAM_FIELDS)
        team.ended_on, team.end_reason, team.end_comment = on, reason, comment
        team.save()
        _record(actor, ChangeAction.STATUS, team, audit.diff(before, audit.field_values(team, TEAM_FIELDS)),
                region_code=team.village_id, source=source, comment=comment)
    return team


def add_team_member(*, actor: Any, team_id: int, helper_id: int | None = None, name: str = "", unit: str = "",
                    phone: str = "", is_first_secretary: bool = False, is_leader: bool = False,
                    joined_on: dt.date | None = None, source: str = "web") -> TeamMember:
    """A member joins a team: a registered helper, or a name and unit. One current 第一书记 per team
    (a new one is appointed after the current one has left)."""
    on = joined_on or clock.today()
    with transaction.atomic():
        team = _lock_team(actor, team_id)
        if team.ended_on is not None:
            raise PairingError(INVALID, {"team": ["该工作队已撤离 / the team has left"]})
        _check_period(team.started_on, on)
        helper = None
        if helper_id:
            from .selectors import helpers_visible_to

            helper = helpers_visible_to(actor).filter(pk=helper_id).first()
            if helper is None:
                raise PairingError(INVALID, {"helper": ["帮扶责任人不存在或不在您的范围内 / no such helper"]})
            name, unit, phone = name or helper.name, unit or helper.unit, phone or helper.phone
        if not name.strip():
            raise PairingError(INVALID, {"name": ["必填 / required"]})
        if is_first_secretary:
            current = TeamMember.objects.filter(team=team, is_first_secretary=True, left_on__isnull=True).first()
            if current is not None:
                raise PairingError(INVALID, {"is_first_secretary": [
                    f"该队已有第一书记「{current.name}」,请先办理其离岗 / the team already has a first secretary "
                    f"({current.name}); record their leaving first"]})
        member = TeamMember.objects.create(team=team, helper=helper, name=name.strip(), unit=unit.strip(),
                                           phone=phone.strip(), is_first_secretary=is_first_secretary,
                                           is_leader=is_leader, joined_on=on)
        _record(actor, ChangeAction.CREATE, member, _created(member, MEMBER_FIELDS), region_code=team.village_id,
                source=source)
    return member


def _member_leaves(actor: Any, team: WorkTeam, member: TeamMember, on: dt.date, comment: str, source: str) -> None:
    _check_period(member.joined_on, on)
    before = audit.field_values(member, MEMBER_FIELDS)
    member.left_on, member.left_comment = on, comment
    member.save()
    _record(actor, ChangeAction.STATUS, member, audit.diff(before, audit.field_values(member, MEMBER_FIELDS)),
            region_code=team.village_id, source=source, comment=comment)


def team_member_leaves(*, actor: Any, member_id: int, left_on: dt.date | None = None, comment: str = "",
                       source: str = "web") -> TeamMember:
    """A member leaves the team (离岗, 轮换); kept in the team's history."""
    with transaction.atomic():
        team_id = TeamMember.objects.filter(pk=member_id).values_list("team_id", flat=True).first()
        if team_id is None:
            raise ScopeError(NOT_FOUND)
        team = _lock_team(actor, team_id)
        member = TeamMember.objects.select_for_update().get(pk=member_id)
        if member.left_on is not None:
            raise PairingError(INVALID, {"member": [f"已于{member.left_on}离岗 / already left"]})
        _member_leaves(actor, team, member, left_on or clock.today(), comment, source)
    return member


def record_attendance(*, actor: Any, member_id: int, month: dt.date, days_present: int, comment: str = "",
                      source: str = "web") -> AttendanceRecord:
    """驻村考勤: the days a member was present in a month (one row per member and month; a correction
    changes it, with its audit row)."""
    month = month_start(month)
    try:
        days = int(days_present)
        check_attendance(days, month)
    except (TypeError, ValueError) as exc:
        message = exc.message if isinstance(exc, PairingLimitError) else "应为整数 / must be a number"
        raise PairingError(INVALID, {"days_present": [message]}) from exc
    with transaction.atomic():
        member = TeamMember.objects.select_related("team").filter(pk=member_id).first()
        if member is None or not region_in_scope(actor, member.team.village_id, roles.RECORD_ATTENDANCE):
            raise ScopeError(NOT_FOUND)
        if month < month_start(member.joined_on) or (member.left_on and month > member.left_on):
            raise PairingError(INVALID, {"month": ["该月不在队员驻村期间 / the month is outside the member's period"]})
        if month > month_start(clock.today()):
            raise PairingError(INVALID, {"month": ["不能登记将来的月份 / the month is in the future"]})
        row = AttendanceRecord.objects.select_for_update().filter(member=member, month=month).first()
        if row is None:
            row = AttendanceRecord.objects.create(member=member, month=month, days_present=days, comment=comment)
            _record(actor, ChangeAction.CREATE, row, {"month": [None, month.isoformat()], "days_present": [None, days]},
                    region_code=member.team.village_id, source=source, comment=comment)
        elif row.days_present != days or row.comment != comment:
            changes = audit.diff({"days_present": row.days_present}, {"days_present": days})
            row.days_present, row.comment = days, comment
            row.save()
            _record(actor, ChangeAction.UPDATE, row, changes, region_code=member.team.village_id, source=source,
                    comment=comment)
    return row


# --- settings (结对帮扶设置) --------------------------------------------------------------------------

def add_pairing_setting(*, actor: Any, region_code: str, overrides: Mapping[str, Any], version: str,
                        valid_from: dt.date, comment: str = "", source: str = "web") -> PairingSetting:
    """A region's new pairing limits from a date (a new row; older ones stay as the history)."""
    try:
        code = normalize_code(region_code)
    except RegionCodeError as exc:
        raise PairingError(INVALID, {"region_code": [str(exc)]}) from exc
    require_in_scope(actor, code, roles.MANAGE_POLICY)
    if not version.strip():
        raise PairingError(INVALID, {"version": ["必填 / required"]})
    try:
        apply_overrides(effective_limits(code, valid_from), overrides, version=version)
    except PairingLimitError as exc:
        raise PairingError.of(exc) from exc
    if PairingSetting.objects.filter(version=version.strip()).exists():
        raise PairingError(INVALID, {"version": ["版本号已存在 / the version exists"]})
    with transaction.atomic():
        row = PairingSetting.objects.create(region_code=code, overrides=dict(overrides), version=version.strip(),
                                            valid_from=valid_from, comment=comment)
        _record(actor, ChangeAction.CREATE, row, {"overrides": [None, dict(overrides)], "version": [None, row.version],
                                                  "valid_from": [None, valid_from.isoformat()]},
                region_code=code, source=source, comment=comment)
    return row
