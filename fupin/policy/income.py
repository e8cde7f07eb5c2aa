"""Per-capita net income (年人均纯收入), domain.md §1.

年人均纯收入 = (工资性 + 生产经营性 + 财产性 + 转移性 − 生产经营性支出) ÷ 家庭人口.

Which transfer incomes count differs by province (some leave out 低保金/五保金 or pensions when
judging exit); :class:`IncomeSettings` says which do. The default counts them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

TRANSFER_LINES = ("transfer_dibao", "transfer_wubao", "transfer_pension", "transfer_eco", "transfer_other")


@dataclass(frozen=True)
class IncomeSettings:
    """Which income lines count (a policy setting with a version)."""

    version: str = "national-default-2016"
    counted_transfers: frozenset[str] = field(default_factory=lambda: frozenset(TRANSFER_LINES))


DEFAULT_INCOME_SETTINGS = IncomeSettings()


@dataclass(frozen=True)
class IncomeLines:
    """A household's yearly income lines, yuan."""

    wage: Decimal = Decimal(0)
    business: Decimal = Decimal(0)
    property: Decimal = Decimal(0)
    transfer_dibao: Decimal = Decimal(0)
    transfer_wubao: Decimal = Decimal(0)
    transfer_pension: Decimal = Decimal(0)
    transfer_eco: Decimal = Decimal(0)
    transfer_other: Decimal = Decimal(0)
    business_expense: Decimal = Decimal(0)


@dataclass(frozen=True)
class IncomeResult:
    net_income: Decimal
    per_capita: Decimal | None
    household_size: int
    settings_version: str
    reasons: tuple[str, ...]


def compute_income_per_capita(
    lines: IncomeLines, household_size: int, settings: IncomeSettings = DEFAULT_INCOME_SETTINGS
) -> IncomeResult:
    """Net household income and its per-capita figure (rounded to 0.01 yuan)."""
    transfers = sum((getattr(lines, name) for name in TRANSFER_LINES if name in settings.counted_transfers),
                    Decimal(0))
    net = lines.wage + lines.business + lines.property + transfers - lines.business_expense
    reasons = [
        f"纯收入 = 工资性 {lines.wage} + 生产经营性 {lines.business} + 财产性 {lines.property}"
        f" + 转移性 {transfers} − 生产经营性支出 {lines.business_expense} = {net}",
    ]
    if household_size <= 0:
        reasons.append("家庭人口为0,无法计算人均 / household has no members")
        return IncomeResult(net, None, 0, settings.version, tuple(reasons))
    per_capita = (Decimal(net) / household_size).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    reasons.append(f"人均 = {net} ÷ {household_size} = {per_capita}")
    return IncomeResult(net, per_capita, household_size, settings.version, tuple(reasons))
