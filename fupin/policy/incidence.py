"""Poverty incidence (贫困发生率) = registered poor not yet exited ÷ rural population (domain.md §5)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class IncidenceResult:
    poor_persons: int
    population: int | None
    rate: Decimal | None  # percent, two decimals; None without a population figure

    @property
    def display(self) -> str:
        return "—" if self.rate is None else f"{self.rate}%"


def compute_incidence(poor_persons: int, population: int | None) -> IncidenceResult:
    if not population:
        return IncidenceResult(poor_persons, population, None)
    rate = (Decimal(poor_persons) * 100 / Decimal(population)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return IncidenceResult(poor_persons, population, rate)
