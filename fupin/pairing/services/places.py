"""Unit and place pairings (包村, 包乡镇, 百企联百村, 强村带弱村, 县际结对): start, end, transfer, and the
county pairings' funds by year (县际结对帮扶资金)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models, transaction

from fupin.core import audit
from fupin.core.models import ChangeAction
from fupin.core.scoping import ScopeError, region_in_scope, require_in_scope
from fupin.policy import clock, roles
from fupin.policy.regions import LEVEL_COUNTY, LEVEL_TOWNSHIP, LEVEL_VILLAGE
from fupin.registry.services import INVALID

from ..choices import EndReason, UnitLevel
from ..models import (
    CountyPairing,
    CountyPairingFund,
    EnterpriseVillagePairing,
    LeaderTownshipPairing,
    UnitVillagePairing,
    VillagePairing,
)
from .common import NOT_FOUND, PairingError, _check_period, _created, _record, _region


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
