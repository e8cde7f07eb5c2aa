"""Writes of the pairing app (结对帮扶、驻村工作队): the only way helpers, pairings and teams change.

Each verb: scope check (the capability in the place's region, else 404) → lock the rows it counts
(the helper and the household, so two officers cannot both give a helper a sixth household) →
the pure checks of :mod:`fupin.policy.pairing_rules` with the limits in force there
(:func:`fupin.pairing.limits.effective_limits`) → save → the audit trail (:mod:`fupin.core.audit`),
in one transaction. A refusal is :class:`PairingError` (a :class:`~fupin.registry.services.RegistryError`,
so pages and the API show it as any refused write, 422 in the API) with a Chinese and English message.

Nothing is deleted: a pairing, a team or a membership ends (``ended_on``/``left_on``, with a reason);
a transfer (调整) ends one pairing and starts the next, linked by ``transfer_to``.

The verbs, by what they write: :mod:`.helpers` (帮扶责任人), :mod:`.households` (结对帮扶),
:mod:`.places` (包村, 包乡镇, 百企联百村, 强村带弱村, 县际结对 and its funds), :mod:`.teams` (驻村工作队, members,
attendance), :mod:`.setting` (结对帮扶设置); what they share (the refusal, audited fields, the audit row)
in :mod:`.common`. Callers use this package: ``from fupin.pairing import services``.
"""

from __future__ import annotations

from fupin.registry.services import VersionConflict  # a stale ``expected_version`` (409), as before the split

from .common import HELPER_FIELDS, MEMBER_FIELDS, NOT_FOUND, PAIRING_FIELDS, TEAM_FIELDS, PairingError
from .helpers import create_helper, helper_leaves, update_helper
from .households import end_household_pairing, pair_household, transfer_household
from .places import (
    PLACE_KINDS,
    PlaceKind,
    end_place_pairing,
    set_county_funds,
    start_place_pairing,
    transfer_place_pairing,
)
from .setting import add_pairing_setting
from .teams import add_team_member, create_team, end_team, record_attendance, team_member_leaves

__all__ = [
    "HELPER_FIELDS", "MEMBER_FIELDS", "NOT_FOUND", "PAIRING_FIELDS", "PLACE_KINDS", "TEAM_FIELDS", "PairingError",
    "PlaceKind", "VersionConflict", "add_pairing_setting", "add_team_member", "create_helper", "create_team",
    "end_household_pairing", "end_place_pairing", "end_team", "helper_leaves", "pair_household", "record_attendance",
    "set_county_funds", "start_place_pairing", "team_member_leaves", "transfer_household", "transfer_place_pairing",
    "update_helper",
]
