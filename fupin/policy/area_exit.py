"""Village exit (贫困村出列) and county exit (贫困县摘帽): incidence, thresholds, conditions, procedure.

Policy as data (``fupin/policy/data/area_exit.toml``, :class:`AreaExitPolicy`, with a version and a
date; a province or county changes it by :func:`apply_overrides`):

- **Poverty incidence** (贫困发生率) = persons of registered households whose 脱贫状态 is one of
  ``numerator_statuses`` (default 0 未脱贫, 2 预脱贫, 3 返贫) ÷ the region's ``denominator`` population:
  ``rural`` (农村人口) or ``agricultural`` (户籍农业人口). Both are settings.
- **Thresholds**: a village or county may exit when its incidence is *below* 2 %, or 3 % in the western
  region (the region's 西部地区 flag). Compared exactly in whole numbers, never on a rounded rate.
- **Village conditions** (出列条件), recorded per village and year: hardened road (通硬化路), safe water
  (安全饮水), power (通动力电), a standard clinic (标准化卫生室), broadband (通宽带), and collective income
  (村集体经济收入) reaching the year's target (seed 003: above zero from 2016, ≥ 5万 from 2018, ≥ 10万 from
  2020). Which conditions count is data.
- **The village exit procedure** (:func:`village_exit_procedure`), on the identification machinery
  (:mod:`fupin.policy.procedure`: steps, roles, evidence, publicity, objections, the automatic
  decision): 乡镇提出 (the township proposes; the exit check runs) → 乡镇公示 (township publicity, minimum
  days, objections block) → 县级审批 (county approval; the check runs again) → 公告出列 (the county
  announces; the village's status changes).
- **County readiness** (摘帽): incidence against the threshold, with the poor villages exited and
  remaining and the households remaining as information (:func:`check_county`).

Exit changes a region's status only (四个不摘: 不摘责任、不摘政策、不摘帮扶、不摘监管): nothing here reads or
changes a household. No Django here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

import polars as pl

from . import roles as role_policy
from .codes import POVERTY_STATUS
from .data import read_toml
from .incidence import IncidenceResult, compute_incidence
from .procedure import (
    EVIDENCE_KINDS,
    LEVEL_COUNTY,
    LEVEL_LABELS,
    LEVEL_TOWNSHIP,
    Decision,
    Procedure,
    ProcedureError,
    Step,
)

RURAL = "rural"
AGRICULTURAL = "agricultural"
DENOMINATORS: dict[str, tuple[str, str]] = {
    RURAL: ("农村人口", "rural population"),
    AGRICULTURAL: ("户籍农业人口", "registered agricultural population"),
}
VILLAGE = "village"
COUNTY = "county"

#: Village conditions (出列条件): id → (Chinese, English). ``collective_income`` is checked against the target.
CONDITIONS: dict[str, tuple[str, str]] = {
    "road": ("通硬化路", "hardened road"),
    "water": ("安全饮水", "safe drinking water"),
    "power": ("通动力电", "power supply"),
    "clinic": ("标准化卫生室", "standard village clinic"),
    "broadband": ("通宽带", "broadband"),
    "collective_income": ("村集体经济收入达标", "collective income on target"),
}
BOOLEAN_CONDITIONS: tuple[str, ...] = ("road", "water", "power", "clinic", "broadband")


class AreaExitError(ValueError):
    """Invalid area-exit policy data or override."""


def _decimal(value: Any, what: str) -> Decimal:
    try:
        out = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise AreaExitError(f"{what} 应为数值 / {what} must be a number: {value!r}") from exc
    if out < 0:
        raise AreaExitError(f"{what} 不能为负 / {what} cannot be negative: {value!r}")
    return out


@dataclass(frozen=True)
class CollectiveIncomeTarget:
    """村集体经济收入目标 from a year: ``minimum`` yuan, reached when income ≥ it (or > it, not inclusive)."""

    from_year: int
    minimum: Decimal
    inclusive: bool = True
    label_zh: str = ""
    label_en: str = ""

    def reached_by(self, income: Decimal) -> bool:
        return income >= self.minimum if self.inclusive else income > self.minimum

    @property
    def text(self) -> str:
        return f"{'≥' if self.inclusive else '>'} {self.minimum} 元"

    def to_dict(self) -> dict[str, Any]:
        return {"from_year": self.from_year, "minimum": str(self.minimum), "inclusive": self.inclusive,
                "label_zh": self.label_zh, "label_en": self.label_en}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CollectiveIncomeTarget:
        return cls(from_year=int(d["from_year"]), minimum=_decimal(d["minimum"], "minimum"),
                   inclusive=bool(d.get("inclusive", True)), label_zh=str(d.get("label_zh", "")),
                   label_en=str(d.get("label_en", "")))


@dataclass(frozen=True)
class AreaExitPolicy:
    """贫困退出机制 — one version of the village/county exit policy."""

    id: str
    version: str
    valid_from: date
    numerator_statuses: frozenset[str] = frozenset({"0", "2", "3"})
    denominator: str = RURAL
    village_threshold: Decimal = Decimal(2)
    village_threshold_western: Decimal = Decimal(3)
    county_threshold: Decimal = Decimal(2)
    county_threshold_western: Decimal = Decimal(3)
    publicity_days: int = 7
    conditions: tuple[str, ...] = tuple(CONDITIONS)
    income_targets: tuple[CollectiveIncomeTarget, ...] = ()
    label_zh: str = ""
    label_en: str = ""
    source: str = ""
    based_on: str = ""

    def __post_init__(self) -> None:
        if not self.version:
            raise AreaExitError("版本号不能为空 / the version is required")
        if self.denominator not in DENOMINATORS:
            raise AreaExitError(f"分母应为 rural 或 agricultural / the denominator must be one of "
                                f"{', '.join(DENOMINATORS)}: {self.denominator!r}")
        unknown = sorted(self.numerator_statuses - set(POVERTY_STATUS.codes()))
        if unknown or not self.numerator_statuses:
            raise AreaExitError(f"分子的脱贫状态无效 / invalid numerator statuses: {unknown or '(none)'}")
        bad = [c for c in self.conditions if c not in CONDITIONS]
        if bad:
            raise AreaExitError(f"未知的出列条件 / unknown conditions: {bad}")
        if self.publicity_days < 1:
            raise AreaExitError("公示天数至少1天 / publicity lasts at least 1 day")
        for t in (self.village_threshold, self.village_threshold_western, self.county_threshold,
                  self.county_threshold_western):
            if not Decimal(0) < t <= Decimal(100):
                raise AreaExitError(f"退出标准应在0到100之间 / thresholds are percentages in (0, 100]: {t}")
        years = [t.from_year for t in self.income_targets]
        if years != sorted(set(years)):
            raise AreaExitError("集体收入目标年度应递增且不重复 / income targets by increasing year")

    # --- lookups -------------------------------------------------------------------------------------

    def threshold(self, level: str, western: bool) -> Decimal:
        """The exit threshold in percent for a village or a county."""
        if level == VILLAGE:
            return self.village_threshold_western if western else self.village_threshold
        if level == COUNTY:
            return self.county_threshold_western if western else self.county_threshold
        raise AreaExitError(f"级别应为 village 或 county / level must be village or county: {level!r}")

    def income_target(self, year: int) -> CollectiveIncomeTarget | None:
        """The collective-income target that applies in ``year`` (the latest not after it)."""
        applicable = [t for t in self.income_targets if t.from_year <= year]
        return applicable[-1] if applicable else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "version": self.version, "valid_from": self.valid_from.isoformat(),
            "label_zh": self.label_zh, "label_en": self.label_en, "source": self.source, "based_on": self.based_on,
            "incidence": {"numerator_statuses": sorted(self.numerator_statuses), "denominator": self.denominator},
            "thresholds": {"village": str(self.village_threshold), "village_western": str(self.village_threshold_western),
                           "county": str(self.county_threshold), "county_western": str(self.county_threshold_western)},
            "village": {"publicity_days": self.publicity_days, "conditions": list(self.conditions)},
            "collective_income_targets": [t.to_dict() for t in self.income_targets],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> AreaExitPolicy:
        incidence = d.get("incidence") or {}
        thresholds = d.get("thresholds") or {}
        village = d.get("village") or {}
        valid_from = d["valid_from"]
        return cls(
            id=str(d["id"]), version=str(d["version"]),
            valid_from=valid_from if isinstance(valid_from, date) else date.fromisoformat(str(valid_from)),
            numerator_statuses=frozenset(str(s) for s in incidence.get("numerator_statuses", ("0", "2", "3"))),
            denominator=str(incidence.get("denominator", RURAL)),
            village_threshold=_decimal(thresholds.get("village", 2), "village"),
            village_threshold_western=_decimal(thresholds.get("village_western", 3), "village_western"),
            county_threshold=_decimal(thresholds.get("county", 2), "county"),
            county_threshold_western=_decimal(thresholds.get("county_western", 3), "county_western"),
            publicity_days=int(village.get("publicity_days", 7)),
            conditions=tuple(str(c) for c in village.get("conditions", tuple(CONDITIONS))),
            income_targets=tuple(CollectiveIncomeTarget.from_dict(t) for t in d.get("collective_income_targets") or ()),
            label_zh=str(d.get("label_zh", "")), label_en=str(d.get("label_en", "")),
            source=str(d.get("source", "")), based_on=str(d.get("based_on", "")),
        )


@lru_cache(maxsize=1)
def load_default_policy() -> AreaExitPolicy:
    """The shipped national policy (``fupin/policy/data/area_exit.toml``)."""
    return AreaExitPolicy.from_dict(read_toml("area_exit.toml"))


OVERRIDE_KEYS = ("numerator_statuses", "denominator", "publicity_days", "conditions", "collective_income_targets")


def apply_overrides(base: AreaExitPolicy, overrides: Mapping[str, Any], *, version: str,
                    valid_from: date | None = None) -> AreaExitPolicy:
    """A province's or county's version: the incidence settings (numerator statuses, denominator),
    publicity days, the conditions checked and the collective-income targets. The thresholds are the
    national rule and cannot be overridden. Unknown keys are refused; the result carries ``version``."""
    unknown = sorted(set(overrides) - set(OVERRIDE_KEYS))
    if unknown:
        raise AreaExitError(f"不能覆盖的设置 / cannot override: {unknown}; allowed: {', '.join(OVERRIDE_KEYS)}")
    changes: dict[str, Any] = {"version": version, "based_on": base.version}
    if valid_from is not None:
        changes["valid_from"] = valid_from
    if "numerator_statuses" in overrides:
        changes["numerator_statuses"] = frozenset(str(s) for s in overrides["numerator_statuses"])
    if "denominator" in overrides:
        changes["denominator"] = str(overrides["denominator"])
    if "publicity_days" in overrides:
        changes["publicity_days"] = int(overrides["publicity_days"])
    if "conditions" in overrides:
        changes["conditions"] = tuple(str(c) for c in overrides["conditions"])
    if "collective_income_targets" in overrides:
        changes["income_targets"] = tuple(CollectiveIncomeTarget.from_dict(t)
                                          for t in overrides["collective_income_targets"])
    return replace(base, **changes)


# --- incidence ------------------------------------------------------------------------------------------


def population_for(denominator: str, *, rural: int | None, agricultural: int | None) -> int | None:
    """The denominator population of a region (None when that figure is unknown)."""
    if denominator == RURAL:
        return rural
    if denominator == AGRICULTURAL:
        return agricultural
    raise AreaExitError(f"分母无效 / invalid denominator: {denominator!r}")


def area_incidence(poor_persons: int, *, rural: int | None, agricultural: int | None,
                   denominator: str) -> IncidenceResult:
    """贫困发生率 over the chosen denominator (:func:`fupin.policy.incidence.compute_incidence`)."""
    return compute_incidence(poor_persons, population_for(denominator, rural=rural, agricultural=agricultural))


def below(poor_persons: int, population: int | None, threshold: Decimal) -> bool | None:
    """Whether poor ÷ population is below ``threshold`` percent, exactly (None without a population)."""
    if not population:
        return None
    return Decimal(poor_persons) * 100 < threshold * Decimal(population)


# --- checks ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckItem:
    """One item of an exit check: passed or not, and why."""

    id: str
    label_zh: str
    label_en: str
    passed: bool
    detail_zh: str = ""
    detail_en: str = ""

    @property
    def reason(self) -> str:
        return f"{self.label_zh}: {self.detail_zh}" if self.detail_zh else self.label_zh


@dataclass(frozen=True)
class ExitCheck:
    """The result of checking a village or county against the policy."""

    level: str
    code: str
    year: int
    incidence: IncidenceResult
    threshold: Decimal
    denominator: str
    items: tuple[CheckItem, ...]
    policy_version: str

    @property
    def passed(self) -> bool:
        return all(i.passed for i in self.items)

    @property
    def failures(self) -> tuple[CheckItem, ...]:
        return tuple(i for i in self.items if not i.passed)

    def decision(self) -> Decision:
        """The procedure's view of this check (the automatic decision of a step that runs it)."""
        return Decision(eligible=self.passed, reasons=tuple(i.reason for i in self.failures),
                        policy_version=self.policy_version,
                        outcome_label="符合出列条件 meets the exit conditions" if self.passed
                        else "不符合出列条件 does not meet the exit conditions")


@dataclass(frozen=True)
class VillageFacts:
    """What a village's exit check reads: the poor persons, populations, the western flag, and the
    year's recorded conditions (``None``: nothing recorded for the year)."""

    code: str
    year: int
    poor_persons: int
    rural_population: int | None
    agricultural_population: int | None
    is_western: bool = False
    conditions: Mapping[str, bool] | None = None
    collective_income: Decimal | None = None


def _incidence_item(level: str, incidence: IncidenceResult, threshold: Decimal, denominator: str,
                    poor_persons: int) -> CheckItem:
    label_zh, label_en = DENOMINATORS[denominator]
    ok = below(poor_persons, incidence.population, threshold)
    if ok is None:
        return CheckItem("incidence", "贫困发生率", "poverty incidence", False,
                         f"缺少{label_zh}数,无法计算", f"no {label_en} figure: the incidence cannot be computed")
    what = "贫困村" if level == VILLAGE else "贫困县"
    return CheckItem(
        "incidence", "贫困发生率", "poverty incidence", ok,
        f"{incidence.display}({poor_persons}÷{label_zh}{incidence.population}),{what}标准低于{threshold}%",
        f"{incidence.display} ({poor_persons} ÷ {label_en} {incidence.population}); must be below {threshold}%")


def check_village(policy: AreaExitPolicy, facts: VillageFacts) -> ExitCheck:
    """出列 check of one village in one year: incidence below the threshold and every condition met."""
    threshold = policy.threshold(VILLAGE, facts.is_western)
    incidence = area_incidence(facts.poor_persons, rural=facts.rural_population,
                               agricultural=facts.agricultural_population, denominator=policy.denominator)
    items = [_incidence_item(VILLAGE, incidence, threshold, policy.denominator, facts.poor_persons)]
    recorded = facts.conditions
    for cid in policy.conditions:
        zh, en = CONDITIONS[cid]
        if cid == "collective_income":
            target = policy.income_target(facts.year)
            if target is None:
                items.append(CheckItem(cid, zh, en, True, f"{facts.year}年无目标", f"no target in {facts.year}"))
            elif facts.collective_income is None:
                items.append(CheckItem(cid, zh, en, False, f"{facts.year}年未填报", f"not recorded for {facts.year}"))
            else:
                ok = target.reached_by(facts.collective_income)
                items.append(CheckItem(cid, zh, en, ok, f"{facts.collective_income}元,目标{target.text}",
                                       f"{facts.collective_income} yuan, target {target.text}"))
            continue
        if recorded is None or cid not in recorded:
            items.append(CheckItem(cid, zh, en, False, f"{facts.year}年未填报", f"not recorded for {facts.year}"))
        else:
            ok = bool(recorded[cid])
            items.append(CheckItem(cid, zh, en, ok, "" if ok else "未达到", "" if ok else "not met"))
    return ExitCheck(level=VILLAGE, code=facts.code, year=facts.year, incidence=incidence, threshold=threshold,
                     denominator=policy.denominator, items=tuple(items), policy_version=policy.version)


@dataclass(frozen=True)
class CountyFacts:
    """What a county's readiness report reads."""

    code: str
    year: int
    poor_persons: int
    poor_households: int
    rural_population: int | None
    agricultural_population: int | None
    is_western: bool = False
    poor_villages: int = 0
    poor_villages_exited: int = 0


@dataclass(frozen=True)
class CountyReadiness:
    """摘帽 readiness: the check (incidence) and the figures around it."""

    check: ExitCheck
    poor_households: int
    poor_persons: int
    poor_villages: int
    poor_villages_exited: int

    @property
    def ready(self) -> bool:
        return self.check.passed

    @property
    def poor_villages_remaining(self) -> int:
        return self.poor_villages - self.poor_villages_exited


def check_county(policy: AreaExitPolicy, facts: CountyFacts) -> CountyReadiness:
    """摘帽 readiness of a county: incidence below the county threshold (2 %, western 3 %)."""
    threshold = policy.threshold(COUNTY, facts.is_western)
    incidence = area_incidence(facts.poor_persons, rural=facts.rural_population,
                               agricultural=facts.agricultural_population, denominator=policy.denominator)
    item = _incidence_item(COUNTY, incidence, threshold, policy.denominator, facts.poor_persons)
    check = ExitCheck(level=COUNTY, code=facts.code, year=facts.year, incidence=incidence, threshold=threshold,
                      denominator=policy.denominator, items=(item,), policy_version=policy.version)
    return CountyReadiness(check=check, poor_households=facts.poor_households, poor_persons=facts.poor_persons,
                           poor_villages=facts.poor_villages, poor_villages_exited=facts.poor_villages_exited)


def incidence_frame(regions: pl.DataFrame, policy: AreaExitPolicy, level: str) -> pl.DataFrame:
    """Column work for a list of regions: ``regions`` has ``code``, ``poor_persons``,
    ``rural_population``, ``agricultural_population``, ``is_western``; adds ``population``, ``rate``
    (percent, 2 decimals, null without a population), ``threshold`` and ``below`` (exact; null without a
    population)."""
    population = pl.col("rural_population" if policy.denominator == RURAL else "agricultural_population")
    normal = policy.threshold(level, False)
    western = policy.threshold(level, True)
    threshold_bp = pl.when(pl.col("is_western")).then(pl.lit(int(western * 100))).otherwise(pl.lit(int(normal * 100)))
    pop = population.cast(pl.Int64)
    return regions.with_columns(
        pop.alias("population"),
        pl.when(pop > 0).then((pl.col("poor_persons").cast(pl.Float64) * 100 / pop).round(2)).alias("rate"),
        (threshold_bp.cast(pl.Float64) / 100).alias("threshold"),
        pl.when(pop > 0).then(pl.col("poor_persons").cast(pl.Int64) * 10_000 < threshold_bp * pop).alias("below"),
    )


# --- the village exit procedure -------------------------------------------------------------------------

FIRST_STEP = "proposal"
PUBLICITY_STEP = "township_publicity"
APPROVAL_STEP = "county_approval"
LAST_STEP = "announcement"

#: Status labels of a village exit case (the shared CaseStatus values; "registered" is 已出列 here).
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "in_progress": ("办理中", "in progress"),
    "registered": ("已出列", "exited"),
    "rejected": ("未通过", "not approved"),
    "withdrawn": ("已撤回", "withdrawn"),
}


@dataclass(frozen=True)
class VillageExitProcedure(Procedure):
    """贫困村退出程序 — a :class:`Procedure` from ``proposal`` to ``announcement``."""

    kind: str = field(default="village_exit")

    def __post_init__(self) -> None:
        validate_village_procedure(self)


def validate_village_procedure(procedure: Procedure) -> None:
    problems: list[str] = []
    ids = [s.id for s in procedure.steps]
    if len(ids) < 2 or ids[0] != FIRST_STEP or ids[-1] != LAST_STEP:
        problems.append(f"首环节应为 {FIRST_STEP}、末环节应为 {LAST_STEP} / first step {FIRST_STEP}, last {LAST_STEP}")
    if len(set(ids)) != len(ids):
        problems.append(f"环节重复 / a step appears twice: {ids}")
    for s in procedure.steps:
        if not s.roles or s.roles - set(role_policy.ROLES):
            problems.append(f"{s.id}: 角色无效 / invalid roles")
        if s.level not in LEVEL_LABELS:
            problems.append(f"{s.id}: 级别无效 / invalid level {s.level!r}")
        problems.extend(f"{s.id}: 未知的材料类型 / unknown evidence kind {k!r}" for k in s.evidence
                        if k not in EVIDENCE_KINDS)
        if s.publicity_days is not None and s.publicity_days < 1:
            problems.append(f"{s.id}: 公示天数至少1天 / publicity lasts at least 1 day")
        if s.is_publicity and s.runs_decision:
            problems.append(f"{s.id}: 公示环节不做自动判定 / a publicity step does not run the decision")
    if problems:
        raise ProcedureError("invalid_procedure", "贫困村退出程序定义有误: " + "; ".join(problems),
                             f"invalid village exit procedure {procedure.version}")


def village_exit_procedure(policy: AreaExitPolicy) -> VillageExitProcedure:
    """The village exit procedure with the policy's publicity days; its version names the policy's."""
    township = frozenset({"township", "county"})
    steps = (
        Step(FIRST_STEP, "乡镇提出", "township proposal", LEVEL_TOWNSHIP, township, evidence=("opinion",),
             runs_decision=True, may_reject=False,
             description="乡镇审核村的贫困发生率和出列条件,提出出列 / the township checks incidence and "
                         "conditions and proposes the village"),
        Step(PUBLICITY_STEP, "乡镇公示", "township publicity", LEVEL_TOWNSHIP, township,
             publicity_days=policy.publicity_days,
             description="在乡镇范围内公示,受理异议 / posted within the township; objections are heard"),
        Step(APPROVAL_STEP, "县级审批", "county approval", LEVEL_COUNTY, frozenset({"county"}),
             evidence=("opinion",), runs_decision=True,
             description="县扶贫开发领导小组审批 / the county approves"),
        Step(LAST_STEP, "公告出列", "announcement: the village exits", LEVEL_COUNTY, frozenset({"county"}),
             may_reject=False, description="县级公告,贫困村出列 / the county announces the exit"),
    )
    return VillageExitProcedure(id="village_exit", version=f"village-exit-{policy.version}",
                                label_zh="贫困村退出程序", label_en="village exit procedure",
                                source=policy.source, steps=steps)


def condition_labels(ids: Iterable[str], lang: str = "zh") -> list[str]:
    i = 0 if lang == "zh" else 1
    return [CONDITIONS[c][i] for c in ids if c in CONDITIONS]
