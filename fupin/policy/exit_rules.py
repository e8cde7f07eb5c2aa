"""Household exit criteria (贫困户退出标准, 精准退出) as versioned rules: one household, or a whole region.

A household exits (脱贫) when its net income per person is **stably above** the poverty line and
两不愁三保障 (+ safe drinking water) hold (domain.md §5). :class:`ExitRules` is a frozen, dated,
versioned value read from ``fupin/policy/data/exit.toml``; a county changes it through
:func:`apply_exit_override` (a new version). The poverty line itself is the policy set's
(:meth:`fupin.policy.policy_sets.PolicySet.poverty_line`), so a county's own lines, standard and lag
(its policy version) apply to exit too; :func:`exit_line` picks the line for a year.

The checks, each failing alone with its own reason (:class:`ExitReason`):

- ``on_registry`` — the household is on the registry (record status ``active``);
- ``in_poverty`` — its 脱贫状态 is 0 未脱贫, 2 预脱贫 or 3 返贫 (an exited household is not an exit case);
- the **criteria** (rule language over the household view, county-editable): ``income_above_line``
  (``income_per_capita > poverty_line``: equal to the line is not above) and one per guarantee
  (``food_secure``, ``clothing_secure``, ``education_secure``, ``medical_secure``, ``housing_secure``,
  ``drinking_water_safe``);
- ``income_stable`` (with ``stable_years = 2``) — "stably above": the income on record at the start of
  the year being judged (what the last yearly assessment left on the registry,
  ``previous_income_per_capita``) was also above the previous year's line (``previous_poverty_line``).
  Unknown counts as not above;
- ``identified_this_year`` — a household identified in the year being judged does not exit that year;
- ``returned_this_year`` — nor does one that returned to poverty (返贫) that year
  (``returned_this_year``: the Django side reads it from the audit trail).

:func:`decide_one` judges one row (a mapping: the household-view columns plus the three inputs
above); :func:`decide` judges a whole frame column-wise (Polars). Both run the same compiled rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from typing import Any

import polars as pl

from .codes import IDENTIFICATION_STANDARD
from .data import read_toml
from .poverty_lines import PovertyLineMissing
from .rules import CompiledRule, RuleError, compile_for_unit

#: The registry fields of 两不愁三保障 + safe drinking water (the guarantee criteria read them).
GUARANTEE_FIELDS = ("food_secure", "clothing_secure", "education_secure", "medical_secure", "housing_secure",
                    "drinking_water_safe")
#: 脱贫状态 codes of a household that may be judged for exit (未脱贫, 预脱贫, 返贫).
IN_POVERTY = ("0", "2", "3")
EXITED = ("1", "4")
LINE_STANDARDS = ("household", "policy", *IDENTIFICATION_STANDARD.codes())
GROUPS = ("income", "guarantee", "other")
MAX_LAG = 5
#: How far back :func:`exit_line` looks for a year that has a line (the shipped table ends in 2020).
LINE_LOOKBACK = 30
#: Extra inputs a row carries besides the household view.
EXTRA_INPUTS = ("previous_income_per_capita", "previous_poverty_line", "returned_this_year")


class ExitRulesError(ValueError):
    """Exit rules or an override that cannot be used, or a year without a line (Chinese, then English)."""


def _only(data: Mapping[str, Any], allowed: Iterable[str], what: str) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ExitRulesError(f"{what}的未知字段 unknown keys in {what}: {', '.join(unknown)}")


def _date(value: object) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


# ------------------------------------------------------------------------------------------- reasons


@dataclass(frozen=True)
class ExitReason:
    """A check that passed or failed, with its label. ``kind``: status, criterion, stability, timing."""

    rule_id: str
    label_zh: str
    label_en: str
    kind: str = "criterion"

    def to_dict(self) -> dict[str, str]:
        return {"rule_id": self.rule_id, "label_zh": self.label_zh, "label_en": self.label_en}

    @property
    def label(self) -> str:
        return f"{self.label_zh} {self.label_en}"


#: The built-in checks: id → (kind, passed zh, passed en, failed zh, failed en).
BUILT_IN: dict[str, tuple[str, str, str, str, str]] = {
    "on_registry": ("status", "在册", "on the registry",
                    "该户不在册(已注销或未纳入)", "the household is not on the registry"),
    "in_poverty": ("status", "贫困户(未脱贫、预脱贫或返贫)", "a poor household (not exited, proposed or returned)",
                   "该户已脱贫,不是退出对象", "the household has already exited"),
    "income_stable": ("stability", "上年度收入也超过扶贫标准(收入稳定)", "last year's income was above the line too",
                      "上年度年人均纯收入未超过上年扶贫标准(或未知),收入不稳定",
                      "last year's income was not above last year's line (or is unknown): not stable"),
    "identified_this_year": ("timing", "非当年识别", "not identified this year",
                             "当年识别的贫困户当年不退出", "a household identified this year does not exit this year"),
    "returned_this_year": ("timing", "非当年返贫", "did not return to poverty this year",
                           "当年返贫的户当年不退出", "a household that returned to poverty this year does not exit "
                                                  "this year"),
}


def _built_in(rule_id: str, passed: bool) -> ExitReason:
    kind, pzh, pen, fzh, fen = BUILT_IN[rule_id]
    return ExitReason(rule_id, pzh, pen, kind) if passed else ExitReason(rule_id, fzh, fen, kind)


# ------------------------------------------------------------------------------------------- criteria


@dataclass(frozen=True)
class Criterion:
    """One exit criterion (退出标准): a rule that must hold, its labels (and its failure's), its group,
    and whether the verification step records evidence for it."""

    id: str
    label_zh: str
    label_en: str
    text: str
    group: str = "guarantee"
    fail_zh: str = ""
    fail_en: str = ""
    evidence: bool = True
    enabled: bool = True
    description: str = ""

    def __post_init__(self) -> None:
        if not self.id.replace("_", "").isalnum() or not self.id[:1].isalpha() or self.id != self.id.lower():
            raise ExitRulesError(f"标准编号只能用小写字母、数字和下划线 criterion ids are lower-case: {self.id!r}")
        if self.id in BUILT_IN:
            raise ExitRulesError(f"标准编号 {self.id} 是内置检查 / {self.id} is a built-in check")
        if self.group not in GROUPS:
            raise ExitRulesError(f"标准 {self.id}: group 应为 {'/'.join(GROUPS)} / invalid group {self.group!r}")
        self.compiled()

    def compiled(self) -> CompiledRule:
        try:
            return compile_for_unit(self.text, "household")
        except RuleError as e:
            raise e.for_rule(self.id) from None

    def passed_reason(self) -> ExitReason:
        return ExitReason(self.id, self.label_zh, self.label_en, "criterion")

    def failed_reason(self) -> ExitReason:
        return ExitReason(self.id, self.fail_zh or f"未达到: {self.label_zh}",
                          self.fail_en or f"not met: {self.label_en}", "criterion")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "label_zh": self.label_zh, "label_en": self.label_en,
                               "text": self.text, "group": self.group, "fail_zh": self.fail_zh,
                               "fail_en": self.fail_en, "evidence": self.evidence, "enabled": self.enabled}
        if self.description:
            out["description"] = self.description
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Criterion:
        _only(data, ("id", "label_zh", "label_en", "text", "group", "fail_zh", "fail_en", "evidence", "enabled",
                     "description"), "标准 criterion")
        return cls(id=str(data["id"]), label_zh=str(data.get("label_zh", data["id"])),
                   label_en=str(data.get("label_en", data["id"])), text=str(data["text"]),
                   group=str(data.get("group", "guarantee")), fail_zh=str(data.get("fail_zh", "")),
                   fail_en=str(data.get("fail_en", "")), evidence=bool(data.get("evidence", True)),
                   enabled=bool(data.get("enabled", True)), description=str(data.get("description", "")))


@dataclass(frozen=True)
class ExitRules:
    """One version of the exit criteria (frozen; a released version is never edited)."""

    id: str
    version: str
    valid_from: date
    criteria: tuple[Criterion, ...]
    valid_to: date | None = None
    label_zh: str = ""
    label_en: str = ""
    source: str = ""
    based_on: str = ""
    line_series: str = ""
    line_standard: str = "household"
    lag: int | None = None
    stable_years: int = 2
    no_exit_in_identification_year: bool = True
    no_exit_in_return_year: bool = True

    def __post_init__(self) -> None:
        if not self.version:
            raise ExitRulesError("退出标准版本号不能为空 the version is required")
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ExitRulesError("失效日期早于生效日期 valid_to is before valid_from")
        if self.line_standard not in LINE_STANDARDS:
            raise ExitRulesError(f"line_standard 应为 {'/'.join(LINE_STANDARDS)} / invalid: {self.line_standard!r}")
        if self.lag is not None and not 0 <= self.lag <= MAX_LAG:
            raise ExitRulesError(f"年度滞后应在 0–{MAX_LAG} 之间 year lag must be 0 to {MAX_LAG}: {self.lag}")
        if self.stable_years not in (1, 2):
            raise ExitRulesError(f"stable_years 应为 1 或 2 / must be 1 or 2: {self.stable_years}")
        ids = [c.id for c in self.criteria]
        if len(set(ids)) != len(ids):
            raise ExitRulesError("标准编号重复 duplicate criterion ids: "
                                 + ", ".join(sorted({i for i in ids if ids.count(i) > 1})))
        if not any(c.enabled and c.group == "income" for c in self.criteria):
            raise ExitRulesError("退出标准须含启用的收入标准 / the criteria must include an enabled income criterion")

    @property
    def active(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.enabled)

    @property
    def evidence_criteria(self) -> tuple[Criterion, ...]:
        """The criteria whose evidence the verification step records, in order."""
        return tuple(c for c in self.active if c.evidence)

    @property
    def label(self) -> str:
        return f"{self.label_zh} {self.label_en}"

    def check_ids(self) -> tuple[str, ...]:
        """Every check in the order :func:`decide_one` runs them."""
        return ("on_registry", "in_poverty", *(c.id for c in self.active), *self._extra_checks())

    def _extra_checks(self) -> tuple[str, ...]:
        out: list[str] = []
        if self.stable_years >= 2:
            out.append("income_stable")
        if self.no_exit_in_identification_year:
            out.append("identified_this_year")
        if self.no_exit_in_return_year:
            out.append("returned_this_year")
        return tuple(out)

    def reason(self, rule_id: str, *, passed: bool = False) -> ExitReason:
        """The reason of a check by id (its failure's label unless ``passed``)."""
        if rule_id in BUILT_IN:
            return _built_in(rule_id, passed)
        for c in self.criteria:
            if c.id == rule_id:
                return c.passed_reason() if passed else c.failed_reason()
        return ExitReason(rule_id, rule_id, rule_id)

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "version": self.version, "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat() if self.valid_to else None, "label_zh": self.label_zh,
            "label_en": self.label_en, "source": self.source, "based_on": self.based_on,
            "line_series": self.line_series, "line_standard": self.line_standard, "lag": self.lag,
            "stable_years": self.stable_years, "no_exit_in_identification_year": self.no_exit_in_identification_year,
            "no_exit_in_return_year": self.no_exit_in_return_year,
            "criteria": [c.to_dict() for c in self.criteria],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExitRules:
        _only(data, ("id", "version", "valid_from", "valid_to", "label_zh", "label_en", "source", "based_on",
                     "line_series", "line_standard", "lag", "stable_years", "no_exit_in_identification_year",
                     "no_exit_in_return_year", "criteria"), "退出标准 exit rules")
        valid_from = _date(data.get("valid_from"))
        if valid_from is None:
            raise ExitRulesError("缺少生效日期 valid_from is required")
        lag = data.get("lag")
        return cls(
            id=str(data.get("id", "")), version=str(data.get("version", "")), valid_from=valid_from,
            valid_to=_date(data.get("valid_to")), label_zh=str(data.get("label_zh", "")),
            label_en=str(data.get("label_en", "")), source=str(data.get("source", "")),
            based_on=str(data.get("based_on", "")), line_series=str(data.get("line_series", "") or ""),
            line_standard=str(data.get("line_standard", "household")),
            lag=None if lag is None or lag == "" else int(lag), stable_years=int(data.get("stable_years", 2)),
            no_exit_in_identification_year=bool(data.get("no_exit_in_identification_year", True)),
            no_exit_in_return_year=bool(data.get("no_exit_in_return_year", True)),
            criteria=tuple(Criterion.from_dict(c) for c in data.get("criteria") or ()),
        )


@lru_cache(maxsize=1)
def load_default_exit_rules() -> ExitRules:
    """The national exit criteria shipped in ``fupin/policy/data/exit.toml``."""
    return ExitRules.from_dict(read_toml("exit.toml"))


OVERRIDE_KEYS = ("label_zh", "label_en", "valid_from", "valid_to", "source", "line_series", "line_standard", "lag",
                 "stable_years", "no_exit_in_identification_year", "no_exit_in_return_year", "criteria",
                 "disable_criteria", "enable_criteria")


def apply_exit_override(base: ExitRules, override: Mapping[str, Any], *, version: str,
                        valid_from: date | None = None) -> ExitRules:
    """A NEW version: ``base`` with a county's ``override`` (keys :data:`OVERRIDE_KEYS`) applied.

    ``criteria`` is a list: an entry with an existing id replaces the fields it gives, a new id is
    appended; ``disable_criteria`` / ``enable_criteria`` list ids. The result is validated (every
    rule text compiled) and carries ``version`` (≠ the base's) and ``based_on`` = the base's version."""
    _only(override, OVERRIDE_KEYS, "覆盖 override")
    if not version or version == base.version:
        raise ExitRulesError(f"新版本号须不同于 {base.version} / the new version must differ from the base version")
    criteria = list(base.criteria)
    for raw in override.get("criteria") or ():
        if not isinstance(raw, Mapping) or "id" not in raw:
            raise ExitRulesError("criteria 的每一项须有 id / every criterion needs an id")
        old = next((c for c in criteria if c.id == str(raw["id"])), None)
        merged = Criterion.from_dict({**old.to_dict(), **raw} if old is not None else dict(raw))
        if old is not None:
            criteria[criteria.index(old)] = merged
        else:
            criteria.append(merged)
    ids = {c.id for c in criteria}
    for key, enabled in (("disable_criteria", False), ("enable_criteria", True)):
        wanted = {str(i) for i in override.get(key) or ()}
        missing = sorted(wanted - ids)
        if missing:
            raise ExitRulesError(f"没有这些标准 no such criteria ({key}): {', '.join(missing)}")
        criteria = [replace(c, enabled=enabled) if c.id in wanted else c for c in criteria]
    data = {**base.to_dict(), **{k: v for k, v in override.items() if k not in ("criteria", "disable_criteria",
                                                                                  "enable_criteria")}}
    data.update(version=version, based_on=base.version, criteria=[c.to_dict() for c in criteria])
    if valid_from is not None:
        data["valid_from"] = valid_from
    return ExitRules.from_dict(data)


# ------------------------------------------------------------------------------------------- the line


@dataclass(frozen=True)
class ExitLine:
    """The poverty line that judges exit in one year: by 识别标准 (the standards that have one), the year
    whose line it is (a year without a line takes the latest earlier one), and the series."""

    year: int
    line_year: int
    series: str
    by_standard: Mapping[str, float] = field(default_factory=dict)
    policy_version: str = ""

    def amount(self, standard: str) -> float | None:
        return self.by_standard.get(standard)

    def to_dict(self) -> dict[str, Any]:
        return {"year": self.year, "line_year": self.line_year, "series": self.series,
                "by_standard": dict(self.by_standard), "policy_version": self.policy_version}


def exit_line(rules: ExitRules, policy: Any, *, year: int, region_code: str = "") -> ExitLine:
    """The exit line of ``year`` in ``region_code`` from ``policy`` (a :class:`PolicySet`).

    The series is the rules' (else the policy's); the lag is the rules' (else the policy's, which
    :meth:`PolicySet.poverty_line` applies); with ``line_standard = "household"`` each 识别标准 keeps its
    own line, otherwise every household is judged by one standard's line. A year without a line is
    judged by the latest earlier year that has one (at most :data:`LINE_LOOKBACK` back); none at all
    raises :class:`ExitRulesError`."""
    series = rules.line_series or str(policy.line_series)
    shift = 0 if rules.lag is None else rules.lag - int(policy.lag)
    if rules.line_standard == "household":
        wanted = {code: code for code in IDENTIFICATION_STANDARD.codes()}
    else:
        one = str(policy.standard) if rules.line_standard == "policy" else rules.line_standard
        wanted = {code: one for code in IDENTIFICATION_STANDARD.codes()}
    for y in range(year, year - LINE_LOOKBACK, -1):
        found: dict[str, float] = {}
        for code, standard in wanted.items():
            try:
                found[code] = float(policy.poverty_line(year=y - shift, standard=standard, region_code=region_code,
                                                        series=series))
            except PovertyLineMissing:
                continue
        if found:
            lag = int(policy.lag) if rules.lag is None else rules.lag
            return ExitLine(year=year, line_year=y - lag, series=series, by_standard=found,
                            policy_version=str(policy.version))
    raise ExitRulesError(f"政策 {policy.version} 没有 {year} 年及以前的扶贫标准(系列 {series}) / no poverty line for "
                         f"{year} or before (series {series})")


# ------------------------------------------------------------------------------------------- deciding


@dataclass(frozen=True)
class ExitDecision:
    """The exit decision about one household under one version of the rules."""

    meets: bool
    failed: tuple[ExitReason, ...]
    passed: tuple[ExitReason, ...]
    rules_version: str
    year: int

    @property
    def outcome(self) -> str:
        """``exit_met`` or ``exit_not_met``."""
        return "exit_met" if self.meets else "exit_not_met"

    @property
    def outcome_label(self) -> str:
        return "达到退出标准 meets the exit criteria" if self.meets else "未达到退出标准 does not meet the exit criteria"

    @property
    def reasons(self) -> tuple[ExitReason, ...]:
        """Why: the failed checks, or (when it meets the criteria) the checks passed."""
        return self.failed if not self.meets else self.passed


def _number(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(str(value))
    except ValueError:
        return None


def _checks_one(row: Mapping[str, object], rules: ExitRules, year: int) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = [
        ("on_registry", str(row.get("status") or "active") == "active"),
        ("in_poverty", str(row.get("poverty_status") or "") in IN_POVERTY),
    ]
    out.extend((c.id, bool(c.compiled().evaluate(row))) for c in rules.active)
    if rules.stable_years >= 2:
        before, line = _number(row.get("previous_income_per_capita")), _number(row.get("previous_poverty_line"))
        out.append(("income_stable", before is not None and line is not None and before > line))
    if rules.no_exit_in_identification_year:
        identified = row.get("identification_year")
        out.append(("identified_this_year", identified is None or int(str(identified)) != year))
    if rules.no_exit_in_return_year:
        out.append(("returned_this_year", not bool(row.get("returned_this_year"))))
    return out


def decide_one(row: Mapping[str, object], rules: ExitRules, *, year: int) -> ExitDecision:
    """The exit decision for one row: household-view columns (``poverty_line`` = the exit line of
    ``year``) plus :data:`EXTRA_INPUTS`. Every check runs; the failed ones are the reasons."""
    passed: list[ExitReason] = []
    failed: list[ExitReason] = []
    for rule_id, ok in _checks_one(row, rules, year):
        (passed if ok else failed).append(rules.reason(rule_id, passed=ok))
    return ExitDecision(meets=not failed, failed=tuple(failed), passed=tuple(passed), rules_version=rules.version,
                        year=year)


def _check_exprs(rules: ExitRules, year: int, columns: Iterable[str]) -> list[tuple[str, pl.Expr]]:
    present = set(columns)

    def col(name: str, dtype: Any) -> pl.Expr:
        return pl.col(name) if name in present else pl.lit(None, dtype=dtype)

    exprs: list[tuple[str, pl.Expr]] = [
        ("on_registry", col("status", pl.String).fill_null("active") == "active"),
        ("in_poverty", col("poverty_status", pl.String).is_in(list(IN_POVERTY)).fill_null(False)),
    ]
    exprs.extend((c.id, c.compiled().to_polars().fill_null(False)) for c in rules.active)
    if rules.stable_years >= 2:
        before = col("previous_income_per_capita", pl.Float64).cast(pl.Float64)
        line = col("previous_poverty_line", pl.Float64).cast(pl.Float64)
        exprs.append(("income_stable", (before > line).fill_null(False)))
    if rules.no_exit_in_identification_year:
        exprs.append(("identified_this_year",
                      (col("identification_year", pl.Int64).cast(pl.Int64) != year).fill_null(True)))
    if rules.no_exit_in_return_year:
        exprs.append(("returned_this_year", ~col("returned_this_year", pl.Boolean).cast(pl.Boolean).fill_null(False)))
    return exprs


def decide(frame: pl.DataFrame, rules: ExitRules, *, year: int) -> pl.DataFrame:
    """Exit decisions for every row of a frame (household-view columns with ``poverty_line`` = the exit
    line, plus :data:`EXTRA_INPUTS`; missing extra columns count as unknown / false).

    Columns: ``household_id``, ``meets`` (bool), ``failed`` (list of check ids that failed, in check
    order), ``rules_version``."""
    checks = _check_exprs(rules, year, frame.columns)
    names = [f"_c{i}" for i in range(len(checks))]
    flags = frame.select(pl.col("household_id"), *(expr.alias(n) for (_, expr), n in zip(checks, names, strict=True)))
    failed = pl.concat_list([pl.when(~pl.col(n)).then(pl.lit(rule_id)).otherwise(pl.lit(None, pl.String))
                             for (rule_id, _), n in zip(checks, names, strict=True)]).list.drop_nulls()
    return flags.select(
        pl.col("household_id"),
        pl.all_horizontal([pl.col(n) for n in names]).alias("meets"),
        failed.alias("failed"),
        pl.lit(rules.version, dtype=pl.String).alias("rules_version"),
    )


def reason_labels(rules: ExitRules, ids: Iterable[str], *, lang: str = "zh") -> list[str]:
    """The failure labels of check ids (``lang`` ``zh`` or ``en``)."""
    out = []
    for rule_id in ids:
        r = rules.reason(rule_id)
        out.append(r.label_en if lang.startswith("en") else r.label_zh)
    return out


__all__ = [
    "BUILT_IN", "EXTRA_INPUTS", "GUARANTEE_FIELDS", "IN_POVERTY", "Criterion", "ExitDecision", "ExitLine",
    "ExitReason", "ExitRules", "ExitRulesError", "apply_exit_override", "decide", "decide_one", "exit_line",
    "load_default_exit_rules", "reason_labels",
]
