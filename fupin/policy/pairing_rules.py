"""Limits of pairing and work teams (结对帮扶、驻村工作队的政策参数): policy data and pure checks.

The seeds fix no per-helper household limit; fupin ships these defaults (county settings, each
marked where it comes from) and a county changes them without code (:func:`apply_overrides`; the
pairing app stores overrides as dated ``PairingSetting`` rows):

- ``max_households_per_helper`` — at most **5** households per helper (帮扶责任人), every unit level
  (fupin's default, unconfirmed: the common practice of "每名干部结对帮扶不超过5户"); a county may set
  another number, and a number per unit level (``max_households_by_unit_level``, e.g. village cadres 10);
- ``max_helpers_per_household`` — **1** current helper per household (the registration form names one
  帮扶责任人; fupin's default), a county may allow more (一户多人);
- ``min_attendance_days`` — a work-team member is present at least **20** days a month (驻村时间;
  fupin's default, unconfirmed), below it the month is flagged;
- ``min_county_funds_per_township`` — a county pairing (北三县↔南三县) commits at least **500,000** yuan
  a year per paired township (seed 000: "每年向对口乡镇捐赠发展资金不少于50万元");
- ``first_secretary_required`` — every poor village (贫困村) has a current team with a 第一书记 (seeds
  000 and 002: all poor villages / all 111 villages covered).

:func:`check_helper_load` and :func:`check_household_helpers` raise :class:`PairingLimitError` with a
Chinese and English message; services call them inside their transaction. No Django here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from types import MappingProxyType
from typing import Any

#: 单位层级 — mirrored by the Django choices of the pairing app (``UnitLevel``).
UNIT_LEVELS: tuple[str, ...] = ("province", "city", "county", "township", "village", "enterprise")
UNIT_LEVEL_LABELS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "province": ("省直", "province"), "city": ("市直", "city"), "county": ("县直", "county"),
    "township": ("乡镇", "township"), "village": ("村级", "village"), "enterprise": ("企业", "enterprise"),
})

OVERRIDE_KEYS: tuple[str, ...] = (
    "max_households_per_helper", "max_households_by_unit_level", "max_helpers_per_household",
    "min_attendance_days", "min_county_funds_per_township", "first_secretary_required",
)


class PairingLimitError(ValueError):
    """A refused pairing (or a bad setting): a code, a Chinese and an English message, the field."""

    def __init__(self, code: str, zh: str, en: str, *, field_name: str = "helper") -> None:
        self.code, self.zh, self.en, self.field_name = code, zh, en, field_name
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return f"{self.zh} / {self.en}"


@dataclass(frozen=True)
class PairingLimits:
    """The pairing limits in force for a region on a day (see the module docstring for defaults)."""

    version: str = "default-2015.1"
    max_households_per_helper: int = 5
    max_households_by_unit_level: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    max_helpers_per_household: int = 1
    min_attendance_days: int = 20
    min_county_funds_per_township: Decimal = Decimal(500_000)
    first_secretary_required: bool = True

    def household_limit(self, unit_level: str) -> int:
        """At most how many current households a helper of ``unit_level`` may have."""
        return self.max_households_by_unit_level.get(unit_level, self.max_households_per_helper)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version, "max_households_per_helper": self.max_households_per_helper,
            "max_households_by_unit_level": dict(self.max_households_by_unit_level),
            "max_helpers_per_household": self.max_helpers_per_household,
            "min_attendance_days": self.min_attendance_days,
            "min_county_funds_per_township": str(self.min_county_funds_per_township),
            "first_secretary_required": self.first_secretary_required,
        }


DEFAULT_LIMITS = PairingLimits()


def _positive_int(key: str, value: object, *, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise PairingLimitError("invalid_setting", f"{key} 应为整数", f"{key} must be an integer", field_name=key)
    try:
        number = int(value)
    except ValueError as exc:
        raise PairingLimitError("invalid_setting", f"{key} 应为整数", f"{key} must be an integer",
                                field_name=key) from exc
    if number < (0 if allow_zero else 1):
        raise PairingLimitError("invalid_setting", f"{key} 应为正整数", f"{key} must be positive", field_name=key)
    return number


def apply_overrides(base: PairingLimits, overrides: Mapping[str, Any], *, version: str) -> PairingLimits:
    """A region's limits: ``base`` with ``overrides`` (keys of :data:`OVERRIDE_KEYS`) and a new version.
    Unknown keys, unknown unit levels and non-positive numbers are refused."""
    unknown = sorted(set(overrides) - set(OVERRIDE_KEYS))
    if unknown:
        raise PairingLimitError("invalid_setting", f"不能覆盖的设置: {unknown}",
                                f"cannot override {unknown}; allowed: {', '.join(OVERRIDE_KEYS)}",
                                field_name="overrides")
    limits = replace(base, version=version)
    for key, value in overrides.items():
        if key == "max_households_by_unit_level":
            if not isinstance(value, Mapping):
                raise PairingLimitError("invalid_setting", f"{key} 应为 单位层级→户数 的映射",
                                        f"{key} must map unit levels to numbers", field_name=key)
            bad = sorted(set(value) - set(UNIT_LEVELS))
            if bad:
                raise PairingLimitError("invalid_setting", f"未知单位层级: {bad}", f"unknown unit levels: {bad}",
                                        field_name=key)
            merged = {**limits.max_households_by_unit_level, **{k: _positive_int(key, v) for k, v in value.items()}}
            limits = replace(limits, max_households_by_unit_level=MappingProxyType(merged))
        elif key == "first_secretary_required":
            if not isinstance(value, bool):
                raise PairingLimitError("invalid_setting", f"{key} 应为 true/false", f"{key} must be true or false",
                                        field_name=key)
            limits = replace(limits, first_secretary_required=value)
        elif key == "min_county_funds_per_township":
            limits = replace(limits, min_county_funds_per_township=Decimal(_positive_int(key, value, allow_zero=True)))
        elif key == "min_attendance_days":
            days = _positive_int(key, value, allow_zero=True)
            if days > 31:
                raise PairingLimitError("invalid_setting", f"{key} 不能超过31天", f"{key} cannot exceed 31",
                                        field_name=key)
            limits = replace(limits, min_attendance_days=days)
        elif key == "max_helpers_per_household":
            limits = replace(limits, max_helpers_per_household=_positive_int(key, value))
        else:
            limits = replace(limits, max_households_per_helper=_positive_int(key, value))
    return limits


def check_helper_load(limits: PairingLimits, *, unit_level: str, current: int, adding: int = 1,
                      helper_name: str = "") -> None:
    """Refuse when a helper with ``current`` households would exceed the limit by taking ``adding`` more."""
    limit = limits.household_limit(unit_level)
    if current + adding > limit:
        who = f"「{helper_name}」" if helper_name else ""
        raise PairingLimitError(
            "helper_over_limit",
            f"帮扶责任人{who}已结对{current}户,每人最多{limit}户(政策版本 {limits.version})",
            f"the helper {helper_name} already has {current} households; at most {limit} per helper "
            f"(policy {limits.version})")


def check_household_helpers(limits: PairingLimits, *, current: int, household_number: str = "") -> None:
    """Refuse a new helper for a household that already has the allowed number of current helpers."""
    if current + 1 > limits.max_helpers_per_household:
        raise PairingLimitError(
            "household_has_helper",
            f"该户{household_number}已有{current}名帮扶责任人,每户最多{limits.max_helpers_per_household}名;"
            "请用「调整帮扶人」",
            f"household {household_number} already has {current} current helper(s), at most "
            f"{limits.max_helpers_per_household}; use a transfer instead", field_name="household")


def check_period(started_on: dt.date, ended_on: dt.date | None, *, today: dt.date | None = None) -> None:
    """A period ends on or after its start, and does not start in the future."""
    if today is not None and started_on > today:
        raise PairingLimitError("future_start", "开始日期不能晚于今天", "the start date cannot be in the future",
                                field_name="started_on")
    if ended_on is not None and ended_on < started_on:
        raise PairingLimitError("end_before_start", f"结束日期不能早于开始日期 {started_on.isoformat()}",
                                f"the end date cannot be before the start ({started_on.isoformat()})",
                                field_name="ended_on")


def month_start(day: dt.date) -> dt.date:
    """The first day of ``day``'s month (attendance is kept per month)."""
    return day.replace(day=1)


def days_in_month(month: dt.date) -> int:
    nxt = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return (nxt - month.replace(day=1)).days


def check_attendance(days_present: int, month: dt.date) -> None:
    """Days present lie between 0 and the days of the month."""
    if days_present < 0 or days_present > days_in_month(month):
        raise PairingLimitError("invalid_days", f"在岗天数应在0到{days_in_month(month)}之间",
                                f"days present must be between 0 and {days_in_month(month)}",
                                field_name="days_present")


def attendance_short(limits: PairingLimits, days_present: int) -> bool:
    """Whether a month's attendance is below the minimum (驻村时间不足)."""
    return days_present < limits.min_attendance_days


def funds_short(limits: PairingLimits, committed: Decimal, townships: int = 1) -> bool:
    """Whether a county pairing's yearly commitment is below the minimum for ``townships`` townships."""
    return committed < limits.min_county_funds_per_township * max(townships, 1)
