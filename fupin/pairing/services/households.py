"""结对帮扶 — household pairings: pair a helper with a household within the limits in force, end a
pairing, transfer a household to another helper (调整: one pairing ends, the next starts, linked)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction

from fupin.core import audit
from fupin.core.models import ChangeAction
from fupin.core.scoping import ScopeError, region_in_scope, require_in_scope
from fupin.policy import clock, roles
from fupin.policy.pairing_rules import (
    PairingLimitError,
    check_helper_load,
    check_household_helpers,
)
from fupin.registry.choices import RecordStatus
from fupin.registry.models import Household
from fupin.registry.services import INVALID

from ..choices import EndReason
from ..limits import effective_limits
from ..models import (
    Helper,
    HouseholdPairing,
)
from .common import NOT_FOUND, PAIRING_FIELDS, PairingError, _check_period, _created, _record


def _lock_household(actor: Any, household_id: Any) -> Household:
    household = Household.objects.select_for_update().filter(pk=household_id).first()
    if household is None:
        raise ScopeError(NOT_FOUND)
    require_in_scope(actor, household.village_code, roles.MANAGE_PAIRING)
    return household


def _helper_for_pairing(actor: Any, helper_id: Any) -> Helper:
    """The helper (locked), visible to the actor (its region is the actor's, or above it)."""
    from ..selectors import helpers_visible_to

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
