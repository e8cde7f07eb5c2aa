"""Poverty lines (扶贫标准) by series, standard, region and year — data, never constants.

A line is keyed by (series, standard, region prefix, year): the series names a family of lines
(``current`` — the current-price national line the registry uses; ``exit_projected`` — the +6 %/year
line many provinces used for exit); the standard is 识别标准 (1 国家标准, 2 省定标准, 3 市定标准); the
region is the significant prefix of a division code (``""`` for national, ``"35"`` for a province,
``"350421"`` for a county). :meth:`PovertyLineTable.lookup` takes the most specific region prefix that
has a line for (series, standard, year); there is no silent fallback to another standard or year.
Values that could not be checked against a primary text are marked ``unconfirmed`` (domain.md §1).

The year lag (judge year N by the line of N − lag) is a setting of the policy set
(:meth:`fupin.policy.policy_sets.PolicySet.poverty_line`), not of the table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .codes import IDENTIFICATION_STANDARD

DEFAULT_SERIES = "current"
_PREFIX_LENGTHS = (0, 2, 4, 6, 9, 12)


class PovertyLineMissing(LookupError):
    """No line in the table for the asked series, standard, region and year."""


@dataclass(frozen=True)
class PovertyLine:
    """One poverty line, yuan per person per year."""

    series: str
    standard: str
    region: str
    year: int
    amount: float
    unconfirmed: bool = False
    note: str = ""

    def __post_init__(self) -> None:
        if self.standard not in IDENTIFICATION_STANDARD:
            raise ValueError(f"识别标准应为 1/2/3 standard must be 1, 2 or 3: {self.standard!r}")
        if not (self.region == "" or self.region.isdigit()) or len(self.region) not in _PREFIX_LENGTHS:
            raise ValueError(f"区划前缀应为 0/2/4/6/9/12 位数字 region prefix must have 0, 2, 4, 6, 9 or 12 digits: "
                             f"{self.region!r}")
        if not self.amount > 0:
            raise ValueError(f"扶贫标准应为正数 the amount must be positive: {self.amount!r}")

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.series, self.standard, self.region, self.year)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"series": self.series, "standard": self.standard, "region": self.region,
                               "year": self.year, "amount": self.amount}
        if self.unconfirmed:
            out["unconfirmed"] = True
        if self.note:
            out["note"] = self.note
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PovertyLine:
        unknown = set(data) - {"series", "standard", "region", "year", "amount", "unconfirmed", "note"}
        if unknown:
            raise ValueError(f"扶贫标准的未知字段 unknown poverty-line keys: {', '.join(sorted(unknown))}")
        return cls(series=str(data.get("series", DEFAULT_SERIES)), standard=str(data.get("standard", "1")),
                   region=str(data.get("region", "")), year=int(data["year"]), amount=float(data["amount"]),
                   unconfirmed=bool(data.get("unconfirmed", False)), note=str(data.get("note", "")))


@dataclass(frozen=True)
class LineSeries:
    """A named family of lines (e.g. the current-price line, the projected exit line)."""

    id: str
    label_zh: str
    label_en: str
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"label_zh": self.label_zh, "label_en": self.label_en, "description": self.description}


@dataclass(frozen=True)
class PovertyLineTable:
    """The table of lines. Immutable; :meth:`with_lines` returns a new table."""

    lines: tuple[PovertyLine, ...]
    series: tuple[LineSeries, ...] = ()
    _index: dict[tuple[str, str, int], tuple[PovertyLine, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        keys = [line.key for line in self.lines]
        if len(set(keys)) != len(keys):
            dupes = sorted({k for k in keys if keys.count(k) > 1})
            raise ValueError(f"扶贫标准重复 duplicate poverty lines: {dupes}")
        index: dict[tuple[str, str, int], list[PovertyLine]] = {}
        for line in self.lines:
            index.setdefault((line.series, line.standard, line.year), []).append(line)
        object.__setattr__(self, "_index", {
            k: tuple(sorted(v, key=lambda line: len(line.region), reverse=True)) for k, v in index.items()
        })

    def lookup(self, *, year: int, standard: str = "1", region_code: str = "",
               series: str = DEFAULT_SERIES) -> PovertyLine:
        """The line of the most specific region prefix of ``region_code`` for (series, standard, year)."""
        for line in self._index.get((series, standard, year), ()):
            if region_code.startswith(line.region):
                return line
        label = IDENTIFICATION_STANDARD.label(standard)
        raise PovertyLineMissing(
            f"未找到扶贫标准 no poverty line: 系列 series {series}, 标准 standard {standard} {label}, "
            f"区划 region {region_code or '全国 national'}, 年度 year {year}"
        )

    def amount(self, *, year: int, standard: str = "1", region_code: str = "", series: str = DEFAULT_SERIES) -> float:
        return self.lookup(year=year, standard=standard, region_code=region_code, series=series).amount

    def with_lines(self, lines: Iterable[PovertyLine]) -> PovertyLineTable:
        """A new table where ``lines`` are added, replacing lines with the same key."""
        new = list(lines)
        replaced = {line.key for line in new}
        return PovertyLineTable(tuple(line for line in self.lines if line.key not in replaced) + tuple(new),
                                self.series)

    def series_label(self, series: str) -> str:
        for s in self.series:
            if s.id == series:
                return s.label_zh
        return series

    def to_dict(self) -> dict[str, Any]:
        return {"series": {s.id: s.to_dict() for s in self.series}, "lines": [line.to_dict() for line in self.lines]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PovertyLineTable:
        series = data.get("series") or {}
        return cls(
            lines=tuple(PovertyLine.from_dict(line) for line in data.get("lines") or ()),
            series=tuple(LineSeries(id=str(k), label_zh=str(v.get("label_zh", k)), label_en=str(v.get("label_en", k)),
                                    description=str(v.get("description", ""))) for k, v in series.items()),
        )
