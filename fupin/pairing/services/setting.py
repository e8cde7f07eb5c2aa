"""结对帮扶设置 — a region's pairing limits from a date (a new row; older ones stay as the history)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from fupin.core.models import ChangeAction
from fupin.core.scoping import require_in_scope
from fupin.policy import roles
from fupin.policy.pairing_rules import (
    PairingLimitError,
    apply_overrides,
)
from fupin.policy.regions import RegionCodeError, normalize_code
from fupin.registry.services import INVALID

from ..limits import effective_limits
from ..models import (
    PairingSetting,
)
from .common import PairingError, _record


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
