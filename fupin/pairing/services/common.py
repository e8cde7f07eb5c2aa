"""What every pairing write shares (结对帮扶写入的共用部分): the refusal :class:`PairingError`, the audited
fields of helpers, pairings, teams and team members, the audit row, the period check and the region
lookup."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models

from fupin.core import audit
from fupin.policy import clock
from fupin.policy.pairing_rules import (
    PairingLimitError,
    check_period,
)
from fupin.policy.regions import LEVEL_COUNTY, LEVEL_TOWNSHIP, LEVEL_VILLAGE, RegionCodeError, normalize_code
from fupin.regions.models import Region
from fupin.registry.services import INVALID, RegistryError

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
