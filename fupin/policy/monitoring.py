"""Return-to-poverty monitoring (防止返贫动态监测, domain.md §6): types, lines, flag and elimination rules.

Pure: no Django. The data is in ``fupin/policy/data/monitoring.toml`` (rules, settings, the procedure)
and ``monitoring_lines.toml`` (the monitoring line by region and year); :func:`load_default_monitoring`
reads them, :func:`apply_override` gives a province's or county's version (a NEW policy with a new
version; the released default is never edited).

- **Types** (监测对象类型, :data:`MONITORING_TYPES`): 脱贫不稳定户 ``unstable_exited`` (an exited registered
  household at risk), 边缘易致贫户 ``edge`` (a household not registered as poor, income near the line),
  突发严重困难户 ``sudden_hardship`` (a household not registered as poor hit by a sudden hardship: large
  medical spending, disaster, death of the main earner). :func:`monitoring_type` decides it from the
  household's record status, its 脱贫状态 and whether a *sudden* rule flagged it. Registered households
  not yet exited (未脱贫, 预脱贫, 返贫) are helped as poor households, not monitored: no type.
- **Monitoring line** (监测范围): :class:`MonitoringLineTable` — a line is an amount, or a multiple of the
  year's poverty line (2020: ~1.5 ×); the latest year up to the asked one wins, then the most
  specific region prefix (:meth:`MonitoringLineTable.resolve`). The result says which year and region
  it came from and whether it was carried forward from an earlier year.
- **Flag rules** (风险识别) and **elimination rules** (风险消除) are rule-language texts
  (:mod:`fupin.policy.rules`) over :data:`MONITORING_COLUMNS` — the household view's columns plus the
  monitoring columns (:data:`EXTRA_COLUMNS`): ``monitoring_line``, ``medical_spending``,
  ``disaster_loss``, ``main_earner_died``, ``months_above_line``, ``measures_received``. The same
  text runs on one household (:func:`flags_for`, :func:`assess_elimination`) and on a whole registry
  in Polars (:func:`flag_frame`, :func:`elimination_frame`).
- **Risk elimination**: every enabled condition must hold; conditions marked ``required`` (the
  no-labour rule: a household with no labour at all stays monitored) cannot be disabled or removed.
- **Procedure** (识别程序 of monitoring objects, :attr:`MonitoringPolicy.procedure`): built with the
  identification machinery (:mod:`fupin.policy.procedure`); a publicity step shorter than
  :data:`MIN_PUBLICITY_DAYS` (5) is refused.
- **Income stability**: :func:`months_above_line` (one household) and :func:`months_above_frame`
  (many) count whole months since the start of the trailing run of income checks at or above the line.
- **Main earner's death**: :func:`main_earner_died_frame` (see its docstring for the definition).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import polars as pl

from .data import read_toml
from .procedure import Procedure, ProcedureError, Step, apply_overrides, validate_procedure
from .rules import HOUSEHOLD_COLUMNS, Column, CompiledRule, RuleError, compile_rule

# ------------------------------------------------------------------------------------------- types

UNSTABLE_EXITED = "unstable_exited"
EDGE = "edge"
SUDDEN_HARDSHIP = "sudden_hardship"
#: 监测对象类型: id → (Chinese, English).
MONITORING_TYPES: dict[str, tuple[str, str]] = {
    UNSTABLE_EXITED: ("脱贫不稳定户", "unstable exited household"),
    EDGE: ("边缘易致贫户", "edge household at risk of poverty"),
    SUDDEN_HARDSHIP: ("突发严重困难户", "household in sudden severe hardship"),
}
#: 脱贫状态 codes of an exited household (1 已脱贫(享受政策), 4 已脱贫(不再享受政策)).
EXITED_STATUSES = frozenset({"1", "4"})
#: Record status (在册状态) of a household recorded for monitoring only (监测户: not registered as poor).
MONITORED_RECORD_STATUS = "monitored"
ACTIVE_RECORD_STATUS = "active"

MIN_PUBLICITY_DAYS = 5


class MonitoringPolicyError(ValueError):
    """A monitoring policy file or override that cannot be used (Chinese, then English)."""


def type_label(type_id: str, lang: str = "zh") -> str:
    zh, en = MONITORING_TYPES.get(type_id, (type_id, type_id))
    return en if lang.startswith("en") else zh


def monitoring_type(record_status: str, poverty_status: str, *, sudden: bool) -> str | None:
    """The type of a flagged household, or None when it is not a monitoring candidate.

    An exited registered household (在册, 脱贫状态 1 or 4) is 脱贫不稳定户 whatever flagged it; a household
    recorded for monitoring only (``monitored``) is 突发严重困难户 when a sudden rule flagged it, else
    边缘易致贫户. Registered households not yet exited, applicants and households that left: None."""
    if record_status == ACTIVE_RECORD_STATUS and poverty_status in EXITED_STATUSES:
        return UNSTABLE_EXITED
    if record_status == MONITORED_RECORD_STATUS:
        return SUDDEN_HARDSHIP if sudden else EDGE
    return None


def type_expr(sudden: pl.Expr) -> pl.Expr:
    """:func:`monitoring_type` as a Polars expression over the view's ``status`` and ``poverty_status``."""
    exited = (pl.col("status") == ACTIVE_RECORD_STATUS) & pl.col("poverty_status").is_in(sorted(EXITED_STATUSES))
    monitored = pl.col("status") == MONITORED_RECORD_STATUS
    return (pl.when(exited.fill_null(False)).then(pl.lit(UNSTABLE_EXITED))
            .when(monitored.fill_null(False) & sudden).then(pl.lit(SUDDEN_HARDSHIP))
            .when(monitored.fill_null(False)).then(pl.lit(EDGE))
            .otherwise(pl.lit(None, dtype=pl.String)))


# ----------------------------------------------------------------------------------------- columns

#: The monitoring columns added to the household view (户分析视图) for monitoring rules.
EXTRA_COLUMNS: tuple[Column, ...] = (
    Column("monitoring_line", "float", "监测范围(元)", "monitoring line (yuan/person/year)",
           "该户所在省份当年的防返贫监测范围 the line of the household's province for the year "
           "(MonitoringLineTable.resolve)."),
    Column("medical_spending", "float", "医疗自付支出(元)", "out-of-pocket medical spending (yuan)",
           "回看期内部门数据中家庭成员的自付医疗费用合计, 无记录为0 the household's out-of-pocket medical "
           "costs in the look-back period from the imported department data; 0 when none."),
    Column("disaster_loss", "float", "受灾损失(元)", "disaster loss (yuan)",
           "回看期内部门数据中的受灾损失合计, 无记录为0 disaster losses in the look-back period; 0 when none."),
    Column("main_earner_died", "bool", "主要劳动力死亡", "the main earner died",
           "回看期内有劳动能力的成员死亡, 且其为户主或家中再无其他劳动力 a member with labour died in the "
           "look-back period and was the head or the last member with labour."),
    Column("months_above_line", "int", "收入稳定超过监测范围月数", "months with income above the line",
           "自最近一段连续不低于监测范围的收入核查起至评估日的整月数; 最近一次核查低于监测范围或无核查为0 whole "
           "months since the first of the latest unbroken run of income checks at or above the line; 0 when "
           "the latest check is below it or there is none."),
    Column("measures_received", "int", "落实帮扶措施数", "assistance measures received",
           "纳入监测(发现)以来落实且未作废的帮扶措施数 measures given (not cancelled) since the household was "
           "flagged."),
)
EXTRA_DTYPES: dict[str, Any] = {"monitoring_line": pl.Float64, "medical_spending": pl.Float64,
                                "disaster_loss": pl.Float64, "main_earner_died": pl.Boolean,
                                "months_above_line": pl.Int64, "measures_received": pl.Int64}


def _catalogue(*columns: Column) -> dict[str, Column]:
    out: dict[str, Column] = {}
    for column in columns:
        if column.name in out:
            raise ValueError(f"duplicate column {column.name}")
        out[column.name] = column
    return out


MONITORING_COLUMNS: Mapping[str, Column] = _catalogue(*HOUSEHOLD_COLUMNS.values(), *EXTRA_COLUMNS)
"""Columns monitoring rules may name: the household view (docs/rules.md), then :data:`EXTRA_COLUMNS`."""


# ------------------------------------------------------------------------------------------- lines

_PREFIX_LENGTHS = (0, 2, 4, 6, 9, 12)


@dataclass(frozen=True)
class MonitoringLine:
    """One monitoring line (监测范围): an ``amount``, or a ``multiple`` of the year's poverty line."""

    region: str
    year: int
    amount: float | None = None
    multiple: float | None = None
    unconfirmed: bool = False
    note: str = ""

    def __post_init__(self) -> None:
        if not (self.region == "" or self.region.isdigit()) or len(self.region) not in _PREFIX_LENGTHS:
            raise MonitoringPolicyError(f"区划前缀应为 0/2/4/6/9/12 位数字 region prefix must have 0, 2, 4, 6, 9 "
                                        f"or 12 digits: {self.region!r}")
        if (self.amount is None) == (self.multiple is None):
            raise MonitoringPolicyError(f"监测范围 {self.region or '全国'} {self.year}: amount 与 multiple 二选一 "
                                        "give either an amount or a multiple of the poverty line")
        value = self.amount if self.amount is not None else self.multiple
        if value is None or not value > 0:
            raise MonitoringPolicyError(f"监测范围应为正数 the line must be positive: {value!r}")

    @property
    def key(self) -> tuple[str, int]:
        return (self.region, self.year)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"region": self.region, "year": self.year}
        if self.amount is not None:
            out["amount"] = self.amount
        if self.multiple is not None:
            out["multiple"] = self.multiple
        if self.unconfirmed:
            out["unconfirmed"] = True
        if self.note:
            out["note"] = self.note
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MonitoringLine:
        unknown = set(data) - {"region", "year", "amount", "multiple", "unconfirmed", "note"}
        if unknown:
            raise MonitoringPolicyError(f"监测范围的未知字段 unknown line keys: {', '.join(sorted(unknown))}")
        try:
            year = int(data["year"])
        except (KeyError, TypeError, ValueError) as exc:
            raise MonitoringPolicyError("监测范围须有年度 a line needs a year") from exc
        return cls(region=str(data.get("region", "")), year=year,
                   amount=None if data.get("amount") is None else float(data["amount"]),
                   multiple=None if data.get("multiple") is None else float(data["multiple"]),
                   unconfirmed=bool(data.get("unconfirmed", False)), note=str(data.get("note", "")))


class MonitoringLineMissing(LookupError):
    """No monitoring line for the region in or before the year (or a multiple without a poverty line)."""


@dataclass(frozen=True)
class ResolvedLine:
    """The line that applies: its amount, the line it came from, and the year that was asked."""

    amount: float
    line: MonitoringLine
    asked_year: int
    poverty_line: float | None = None

    @property
    def year(self) -> int:
        return self.line.year

    @property
    def region(self) -> str:
        return self.line.region

    @property
    def carried(self) -> bool:
        """The line is an earlier year's (no newer line was set)."""
        return self.line.year < self.asked_year

    def describe(self) -> str:
        where = f"区划{self.line.region}" if self.line.region else "全国"
        basis = (f"{self.line.multiple:g}×扶贫标准{self.poverty_line:g}" if self.line.multiple is not None
                 and self.poverty_line is not None else f"{self.amount:g}元")
        carried = f", 沿用{self.line.year}年" if self.carried else ""
        flag = ", 待核实 unconfirmed" if self.line.unconfirmed else ""
        return f"{where} {self.line.year}年 {basis}{carried}{flag}"


@dataclass(frozen=True)
class MonitoringLineTable:
    """The monitoring lines. Immutable; :meth:`with_lines` returns a new table."""

    lines: tuple[MonitoringLine, ...]

    def __post_init__(self) -> None:
        keys = [line.key for line in self.lines]
        if len(set(keys)) != len(keys):
            dupes = sorted({k for k in keys if keys.count(k) > 1})
            raise MonitoringPolicyError(f"监测范围重复 duplicate lines: {dupes}")

    def find(self, *, year: int, region_code: str = "") -> MonitoringLine:
        """The line in force: the latest year ≤ ``year`` with a line whose region prefixes
        ``region_code``, and of that year the most specific region."""
        matching = [line for line in self.lines if line.year <= year and region_code.startswith(line.region)]
        if not matching:
            raise MonitoringLineMissing(f"未找到监测范围 no monitoring line: 区划 region {region_code or '全国'}, "
                                        f"{year}年及以前 in or before {year}")
        return max(matching, key=lambda line: (line.year, len(line.region)))

    def resolve(self, *, year: int, region_code: str = "", poverty_line: float | None = None) -> ResolvedLine:
        """The amount that applies (a multiple needs ``poverty_line``: the poverty line of the line's year)."""
        line = self.find(year=year, region_code=region_code)
        if line.amount is not None:
            return ResolvedLine(amount=float(line.amount), line=line, asked_year=year)
        if poverty_line is None or not poverty_line > 0:
            raise MonitoringLineMissing(f"监测范围 {line.year} 为扶贫标准的倍数, 但没有扶贫标准 / the {line.year} line is "
                                        "a multiple of the poverty line, and no poverty line was given")
        assert line.multiple is not None
        return ResolvedLine(amount=round(float(line.multiple) * poverty_line, 2), line=line, asked_year=year,
                            poverty_line=poverty_line)

    def with_lines(self, lines: Iterable[MonitoringLine]) -> MonitoringLineTable:
        new = list(lines)
        replaced = {line.key for line in new}
        return MonitoringLineTable(tuple(line for line in self.lines if line.key not in replaced) + tuple(new))

    def sorted_lines(self) -> list[MonitoringLine]:
        return sorted(self.lines, key=lambda line: (line.year, line.region))

    def to_list(self) -> list[dict[str, Any]]:
        return [line.to_dict() for line in self.lines]


# ------------------------------------------------------------------------------------------- rules


def _compile(rule_id: str, text: str) -> CompiledRule:
    try:
        return compile_rule(text, MONITORING_COLUMNS)
    except RuleError as e:
        raise e.for_rule(rule_id) from None


@dataclass(frozen=True)
class FlagRule:
    """风险识别规则 — a rule that flags a household at risk. ``sudden``: a sudden hardship (突发)."""

    id: str
    label_zh: str
    label_en: str
    text: str
    sudden: bool = False
    enabled: bool = True
    description: str = ""

    def __post_init__(self) -> None:
        _check_id(self.id)
        self.compiled()

    def compiled(self) -> CompiledRule:
        return _compile(self.id, self.text)

    def reason(self) -> dict[str, Any]:
        """The reason as stored (``rule_id``, labels, text, sudden)."""
        return {"rule_id": self.id, "label_zh": self.label_zh, "label_en": self.label_en, "text": self.text,
                "sudden": self.sudden}

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label_zh": self.label_zh, "label_en": self.label_en, "text": self.text,
                "sudden": self.sudden, "enabled": self.enabled, "description": self.description}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FlagRule:
        _only(data, ("id", "label_zh", "label_en", "text", "sudden", "enabled", "description"), "风险识别规则 flag rule")
        return cls(id=str(data["id"]), label_zh=str(data.get("label_zh", data["id"])),
                   label_en=str(data.get("label_en", data["id"])), text=str(data["text"]),
                   sudden=bool(data.get("sudden", False)), enabled=bool(data.get("enabled", True)),
                   description=str(data.get("description", "")))


@dataclass(frozen=True)
class EliminationRule:
    """风险消除条件 — a condition that must hold for the risk to be eliminated. ``required``: an override
    cannot disable or remove it."""

    id: str
    label_zh: str
    label_en: str
    text: str
    required: bool = False
    enabled: bool = True
    description: str = ""

    def __post_init__(self) -> None:
        _check_id(self.id)
        self.compiled()

    def compiled(self) -> CompiledRule:
        return _compile(self.id, self.text)

    def reason(self) -> dict[str, Any]:
        return {"rule_id": self.id, "label_zh": self.label_zh, "label_en": self.label_en, "text": self.text,
                "required": self.required}

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label_zh": self.label_zh, "label_en": self.label_en, "text": self.text,
                "required": self.required, "enabled": self.enabled, "description": self.description}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EliminationRule:
        _only(data, ("id", "label_zh", "label_en", "text", "required", "enabled", "description"),
              "风险消除条件 elimination rule")
        return cls(id=str(data["id"]), label_zh=str(data.get("label_zh", data["id"])),
                   label_en=str(data.get("label_en", data["id"])), text=str(data["text"]),
                   required=bool(data.get("required", False)), enabled=bool(data.get("enabled", True)),
                   description=str(data.get("description", "")))


def _check_id(value: str) -> None:
    if not value or not all(c.islower() or c.isdigit() or c == "_" for c in value) or not value[0].isalpha():
        raise MonitoringPolicyError(f"规则编号只能用小写字母、数字和下划线 rule ids are lower-case letters, digits "
                                    f"and _: {value!r}")


def _only(data: Mapping[str, Any], allowed: Iterable[str], what: str) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise MonitoringPolicyError(f"{what}的未知字段 unknown keys in {what}: {', '.join(unknown)}")


# ---------------------------------------------------------------------------------------- procedure


def check_publicity(procedure: Procedure) -> Procedure:
    """Refuse a monitoring procedure with a publicity step shorter than :data:`MIN_PUBLICITY_DAYS`."""
    validate_procedure(procedure)
    short = [s for s in procedure.steps if s.publicity_days is not None and s.publicity_days < MIN_PUBLICITY_DAYS]
    if not any(s.is_publicity for s in procedure.steps):
        raise MonitoringPolicyError("监测对象识别程序须有村内公示环节 / the procedure needs a village notice step")
    if short:
        names = "、".join(f"{s.label_zh}{s.publicity_days}天" for s in short)
        raise MonitoringPolicyError(f"监测对象公示不少于{MIN_PUBLICITY_DAYS}天: {names} / a monitoring notice lasts at "
                                    f"least {MIN_PUBLICITY_DAYS} days")
    return procedure


def build_procedure(data: Mapping[str, Any]) -> Procedure:
    """The monitoring procedure from its data (``[procedure]`` of monitoring.toml)."""
    try:
        procedure = Procedure(id=str(data.get("id", "monitoring")), version=str(data["version"]),
                              label_zh=str(data.get("label_zh", "")), label_en=str(data.get("label_en", "")),
                              source=str(data.get("source", "")),
                              steps=tuple(Step.from_dict(s) for s in data.get("steps") or ()))
    except ProcedureError as err:
        raise MonitoringPolicyError(err.message) from err
    return check_publicity(procedure)


# ------------------------------------------------------------------------------------------- policy


@dataclass(frozen=True)
class MonitoringPolicy:
    """One version of a jurisdiction's monitoring policy (frozen)."""

    id: str
    version: str
    valid_from: dt.date
    procedure: Procedure
    label_zh: str = ""
    label_en: str = ""
    source: str = ""
    based_on: str = ""
    lookback_months: int = 12
    quiet_days: int = 180
    lines: MonitoringLineTable = field(default_factory=lambda: MonitoringLineTable(()))
    flag_rules: tuple[FlagRule, ...] = ()
    elimination_rules: tuple[EliminationRule, ...] = ()

    def __post_init__(self) -> None:
        if not self.version:
            raise MonitoringPolicyError("监测政策版本号不能为空 the version is required")
        for what, rules in (("风险识别规则 flag rule", self.flag_rules),
                            ("风险消除条件 elimination rule", self.elimination_rules)):
            ids = [r.id for r in rules]
            if len(set(ids)) != len(ids):
                raise MonitoringPolicyError(f"{what}编号重复 duplicate ids: {sorted({i for i in ids if ids.count(i) > 1})}")
        if not 1 <= self.lookback_months <= 60:
            raise MonitoringPolicyError(f"回看期应为1–60个月 look-back must be 1 to 60 months: {self.lookback_months}")
        if not 0 <= self.quiet_days <= 3650:
            raise MonitoringPolicyError(f"quiet_days 应为0–3650: {self.quiet_days}")
        check_publicity(self.procedure)

    @property
    def active_flag_rules(self) -> tuple[FlagRule, ...]:
        return tuple(r for r in self.flag_rules if r.enabled)

    @property
    def active_elimination_rules(self) -> tuple[EliminationRule, ...]:
        return tuple(r for r in self.elimination_rules if r.enabled or r.required)

    def flag_rule(self, rule_id: str) -> FlagRule:
        for r in self.flag_rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def line(self, *, year: int, region_code: str, poverty_line: float | None = None) -> ResolvedLine:
        return self.lines.resolve(year=year, region_code=region_code, poverty_line=poverty_line)

    def lookback_start(self, on: dt.date) -> dt.date:
        """The first day of the look-back period ending on ``on``."""
        return add_months(on, -self.lookback_months)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "version": self.version, "valid_from": self.valid_from.isoformat(),
            "label_zh": self.label_zh, "label_en": self.label_en, "source": self.source, "based_on": self.based_on,
            "lookback_months": self.lookback_months, "quiet_days": self.quiet_days, "lines": self.lines.to_list(),
            "flag_rules": [r.to_dict() for r in self.flag_rules],
            "elimination_rules": [r.to_dict() for r in self.elimination_rules],
            "procedure": self.procedure.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MonitoringPolicy:
        _only(data, ("id", "version", "valid_from", "label_zh", "label_en", "source", "based_on", "lookback_months",
                     "quiet_days", "lines", "flag_rules", "elimination_rules", "procedure"), "监测政策 policy")
        valid_from = data.get("valid_from")
        procedure = build_procedure(data.get("procedure") or {})
        return cls(
            id=str(data.get("id", "national")), version=str(data.get("version", "")),
            valid_from=valid_from if isinstance(valid_from, dt.date) else dt.date.fromisoformat(str(valid_from)),
            label_zh=str(data.get("label_zh", "")), label_en=str(data.get("label_en", "")),
            source=str(data.get("source", "")), based_on=str(data.get("based_on", "")),
            lookback_months=int(data.get("lookback_months", 12)), quiet_days=int(data.get("quiet_days", 180)),
            lines=MonitoringLineTable(tuple(MonitoringLine.from_dict(x) for x in data.get("lines") or ())),
            flag_rules=tuple(FlagRule.from_dict(r) for r in data.get("flag_rules") or ()),
            elimination_rules=tuple(EliminationRule.from_dict(r) for r in data.get("elimination_rules") or ()),
            procedure=procedure,
        )


@lru_cache(maxsize=1)
def load_default_monitoring() -> MonitoringPolicy:
    """The national default monitoring policy from the shipped files."""
    data = read_toml("monitoring.toml")
    data["lines"] = read_toml("monitoring_lines.toml").get("lines", [])
    return MonitoringPolicy.from_dict(data)


OVERRIDE_KEYS = ("label_zh", "label_en", "valid_from", "lookback_months", "quiet_days", "lines", "flag_rules",
                 "elimination_rules", "disable_rules", "enable_rules", "procedure", "source")


def _merge(rules: Sequence[Any], raw_rules: Iterable[Mapping[str, Any]], cls: Any) -> list[Any]:
    out = list(rules)
    for raw in raw_rules:
        rule_id = str(raw.get("id", ""))
        old = next((r for r in out if r.id == rule_id), None)
        merged = {**old.to_dict(), **raw} if old is not None else dict(raw)
        rule = cls.from_dict(merged)
        if old is not None:
            if getattr(old, "required", False) and (rule.text != old.text or not getattr(rule, "required", True)):
                raise MonitoringPolicyError(f"条件 {rule_id} 为必备条件, 不能改写 / {rule_id} is required and cannot be "
                                            "changed")
            out[out.index(old)] = rule
        else:
            out.append(rule)
    return out


def apply_override(base: MonitoringPolicy, override: Mapping[str, Any], *, version: str) -> MonitoringPolicy:
    """A NEW policy: ``base`` with a province's or county's ``override`` applied, under ``version``.

    Keys (all optional): ``label_zh``, ``label_en``, ``valid_from``, ``source``; ``lookback_months``,
    ``quiet_days``; ``lines`` (added, or replacing the line of the same region and year);
    ``flag_rules`` / ``elimination_rules`` (a rule with an existing id replaces the given fields, a new
    id is appended); ``disable_rules`` / ``enable_rules`` (ids of either kind; a required elimination
    condition cannot be disabled); ``procedure`` (:func:`fupin.policy.procedure.apply_overrides` keys:
    ``publicity_days``, ``quorum``, ``majority``, ``roles``, ``evidence`` — a notice stays ≥ 5 days)."""
    _only(override, OVERRIDE_KEYS, "覆盖 override")
    if not version or version == base.version:
        raise MonitoringPolicyError(f"新版本号须不同于 {base.version} / the new version must differ from the base")
    flags = _merge(base.flag_rules, override.get("flag_rules") or (), FlagRule)
    elims = _merge(base.elimination_rules, override.get("elimination_rules") or (), EliminationRule)
    ids = {r.id for r in (*flags, *elims)}
    disable, enable = set(override.get("disable_rules") or ()), set(override.get("enable_rules") or ())
    missing = sorted((disable | enable) - ids)
    if missing:
        raise MonitoringPolicyError(f"没有这些规则 no such rules: {', '.join(missing)}")
    required = sorted(r.id for r in elims if r.required and r.id in disable)
    if required:
        raise MonitoringPolicyError(f"必备条件不能停用 required conditions cannot be disabled: {', '.join(required)}")

    def switched(rule: Any) -> Any:
        if rule.id in disable:
            return replace(rule, enabled=False)
        if rule.id in enable:
            return replace(rule, enabled=True)
        return rule

    procedure = base.procedure
    if override.get("procedure"):
        try:
            procedure = apply_overrides(base.procedure, override["procedure"], version=f"{base.procedure.version}+{version}")
        except ProcedureError as err:
            raise MonitoringPolicyError(err.message) from err
    valid_from = override.get("valid_from", base.valid_from)
    return MonitoringPolicy(
        id=base.id, version=version, based_on=base.version,
        valid_from=valid_from if isinstance(valid_from, dt.date) else dt.date.fromisoformat(str(valid_from)),
        label_zh=str(override.get("label_zh", base.label_zh)), label_en=str(override.get("label_en", base.label_en)),
        source=str(override.get("source", base.source)),
        lookback_months=int(override.get("lookback_months", base.lookback_months)),
        quiet_days=int(override.get("quiet_days", base.quiet_days)),
        lines=base.lines.with_lines(MonitoringLine.from_dict(x) for x in override.get("lines") or ()),
        flag_rules=tuple(switched(r) for r in flags), elimination_rules=tuple(switched(r) for r in elims),
        procedure=check_publicity(procedure),
    )


# ------------------------------------------------------------------------------- one household (a form)


def flags_for(row: Mapping[str, object], policy: MonitoringPolicy) -> list[FlagRule]:
    """The enabled flag rules that hold for one household (a mapping of :data:`MONITORING_COLUMNS`)."""
    return [r for r in policy.active_flag_rules if r.compiled().evaluate(row)]


@dataclass(frozen=True)
class EliminationDecision:
    """风险消除判定 — whether the risk can be eliminated, the conditions that failed and those that held."""

    eliminable: bool
    failed: tuple[EliminationRule, ...]
    passed: tuple[EliminationRule, ...]
    policy_version: str

    @property
    def stays_monitored(self) -> bool:
        """A required condition failed (no labour at all): the household stays monitored."""
        return any(r.required for r in self.failed)

    def reasons(self) -> list[dict[str, Any]]:
        return [r.reason() for r in self.failed]


def assess_elimination(row: Mapping[str, object], policy: MonitoringPolicy) -> EliminationDecision:
    """风险消除 for one household: eliminable when every enabled (and every required) condition holds."""
    failed: list[EliminationRule] = []
    passed: list[EliminationRule] = []
    for rule in policy.active_elimination_rules:
        (passed if rule.compiled().evaluate(row) else failed).append(rule)
    return EliminationDecision(eliminable=not failed, failed=tuple(failed), passed=tuple(passed),
                               policy_version=policy.version)


# --------------------------------------------------------------------------------- whole registry


def conform_view(view: pl.DataFrame) -> pl.DataFrame:
    """``view`` (a household view with the extra columns, or some of them) with every monitoring column
    present and typed; missing extras are 0 / false (no department record, no check, no measure) except
    ``monitoring_line`` (NULL: a rule on it is then false)."""
    exprs: list[pl.Expr] = []
    for name, dtype in EXTRA_DTYPES.items():
        if name in view.columns:
            col = pl.col(name).cast(dtype)
        else:
            col = pl.lit(None, dtype=dtype)
        if name != "monitoring_line":
            col = col.fill_null(False if dtype == pl.Boolean else 0)
        exprs.append(col.alias(name))
    return view.with_columns(exprs)


FLAG_SCHEMA: dict[str, Any] = {"household_id": pl.Int64, "type": pl.String, "rule_ids": pl.List(pl.String)}


def flag_frame(view: pl.DataFrame, policy: MonitoringPolicy) -> pl.DataFrame:
    """风险识别 over a whole view: ``household_id, type, rule_ids`` of every monitoring candidate (a type,
    :func:`type_expr`) for which at least one enabled flag rule holds. Column work only."""
    rules = policy.active_flag_rules
    if view.height == 0 or not rules:
        return pl.DataFrame(schema=FLAG_SCHEMA)
    v = conform_view(view)
    fired = v.select(
        "household_id", "status", "poverty_status",
        *(r.compiled().to_polars().alias(f"_r_{r.id}") for r in rules),
    )
    sudden_cols = [pl.col(f"_r_{r.id}") for r in rules if r.sudden]
    sudden = pl.any_horizontal(sudden_cols) if sudden_cols else pl.lit(False)
    ids = pl.concat_list([pl.when(pl.col(f"_r_{r.id}")).then(pl.lit(r.id)).otherwise(pl.lit(None, dtype=pl.String))
                          for r in rules]).list.drop_nulls()
    out = fired.with_columns(type_expr(sudden).alias("type"), ids.alias("rule_ids"))
    return out.filter(pl.col("type").is_not_null() & (pl.col("rule_ids").list.len() > 0)).select(
        "household_id", "type", "rule_ids").cast(FLAG_SCHEMA)  # type: ignore[arg-type]


ELIMINATION_SCHEMA: dict[str, Any] = {"household_id": pl.Int64, "eliminable": pl.Boolean,
                                      "failed": pl.List(pl.String), "stays_monitored": pl.Boolean}


def elimination_frame(view: pl.DataFrame, policy: MonitoringPolicy) -> pl.DataFrame:
    """风险消除 over a whole view: ``household_id, eliminable, failed (rule ids), stays_monitored``."""
    rules = policy.active_elimination_rules
    if view.height == 0:
        return pl.DataFrame(schema=ELIMINATION_SCHEMA)
    v = conform_view(view)
    held = v.select("household_id", *(r.compiled().to_polars().alias(f"_e_{r.id}") for r in rules))
    failed = pl.concat_list([pl.when(pl.col(f"_e_{r.id}")).then(pl.lit(None, dtype=pl.String)).otherwise(pl.lit(r.id))
                             for r in rules]).list.drop_nulls() if rules else pl.lit([], dtype=pl.List(pl.String))
    required = [~pl.col(f"_e_{r.id}") for r in rules if r.required]
    return held.select(
        "household_id", failed.alias("failed"),
        (pl.any_horizontal(required) if required else pl.lit(False)).alias("stays_monitored"),
    ).with_columns((pl.col("failed").list.len() == 0).alias("eliminable")).select(
        "household_id", "eliminable", "failed", "stays_monitored").cast(ELIMINATION_SCHEMA)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------- income stability


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months (the 31st becomes the month's last day)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def whole_months(start: dt.date, end: dt.date) -> int:
    """Whole months from ``start`` to ``end`` (0 when ``end`` is not after ``start``)."""
    if end <= start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, months) > end:
        months -= 1
    return max(months, 0)


def months_above_line(checks: Sequence[tuple[dt.date, float]], line: float, on: dt.date) -> int:
    """Whole months from the first check of the latest unbroken run of income checks at or above
    ``line`` to ``on`` (checks after ``on`` are ignored); 0 when the latest check is below the line or
    there is none. A check is ``(checked_on, income per person per year)``."""
    run_start: dt.date | None = None
    for day, amount in sorted((c for c in checks if c[0] <= on), key=lambda c: c[0]):
        if amount >= line:
            run_start = run_start or day
        else:
            run_start = None
    return 0 if run_start is None else whole_months(run_start, on)


CHECKS_SCHEMA: dict[str, Any] = {"household_id": pl.Int64, "checked_on": pl.Date, "income_per_capita": pl.Float64}


def months_above_frame(checks: pl.DataFrame, lines: pl.DataFrame, on: dt.date) -> pl.DataFrame:
    """:func:`months_above_line` for many households: ``checks`` (household_id, checked_on,
    income_per_capita), ``lines`` (household_id, monitoring_line) → household_id, months_above_line
    (households without checks are absent: 0)."""
    schema = {"household_id": pl.Int64, "months_above_line": pl.Int64}
    if checks.height == 0 or lines.height == 0:
        return pl.DataFrame(schema=schema)
    c = (checks.filter(pl.col("checked_on") <= on)
         .join(lines.select("household_id", "monitoring_line"), on="household_id", how="inner")
         .with_columns((pl.col("income_per_capita") >= pl.col("monitoring_line")).fill_null(False).alias("_ok")))
    last_bad = c.filter(~pl.col("_ok")).group_by("household_id").agg(pl.col("checked_on").max().alias("_bad"))
    starts = (c.join(last_bad, on="household_id", how="left")
              .filter(pl.col("_ok") & (pl.col("_bad").is_null() | (pl.col("checked_on") > pl.col("_bad"))))
              .group_by("household_id").agg(pl.col("checked_on").min().alias("_start")))
    if starts.height == 0:
        return pl.DataFrame(schema=schema)
    y, m, d = (pl.col("_start").dt.year().cast(pl.Int64), pl.col("_start").dt.month().cast(pl.Int64),
               pl.col("_start").dt.day().cast(pl.Int64))
    raw = (on.year - y) * 12 + (on.month - m)
    # as whole_months: one month less when min(start day, days in on's month) is after on's day
    short = pl.min_horizontal(d, pl.lit(_month_len(on), dtype=pl.Int64)) > on.day
    return starts.select(
        "household_id",
        pl.max_horizontal(raw - short.cast(pl.Int64), pl.lit(0, dtype=pl.Int64)).alias("months_above_line"),
    )


def _month_len(day: dt.date) -> int:
    return (add_months(day.replace(day=1), 1) - dt.timedelta(days=1)).day


# ------------------------------------------------------------------------------- main earner's death


DEATHS_SCHEMA: dict[str, Any] = {"id_number": pl.String}


def main_earner_died_frame(members: pl.DataFrame, deaths: pl.DataFrame) -> pl.DataFrame:
    """``household_id, main_earner_died`` (true only) — a member who died (``deaths``: their ID numbers,
    already limited to the look-back period) had labour (劳动技能 1 普通 or 2 技能劳动力) and was the head
    (户主, relation 01) or no other member of the household has labour. ``members``: household_id,
    id_number, relation, labour_skill of the household's members (the active ones, and those who left
    by death in the period)."""
    schema = {"household_id": pl.Int64, "main_earner_died": pl.Boolean}
    if members.height == 0 or deaths.height == 0:
        return pl.DataFrame(schema=schema)
    dead_keys = deaths.select(pl.col("id_number").str.strip_chars().str.to_uppercase().str.slice(0, 17)
                              .alias("_key")).unique()
    m = members.with_columns(
        pl.col("id_number").str.strip_chars().str.to_uppercase().str.slice(0, 17).alias("_key"),
        pl.col("labour_skill").is_in(["1", "2"]).fill_null(False).alias("_labour"),
    ).join(dead_keys.with_columns(pl.lit(True).alias("_dead")), on="_key", how="left").with_columns(
        pl.col("_dead").fill_null(False))
    per = m.group_by("household_id").agg(
        (pl.col("_labour") & ~pl.col("_dead")).sum().alias("_living_labour"),
        (pl.col("_dead") & pl.col("_labour") & (pl.col("relation") == "01")).any().alias("_head_earner_died"),
        (pl.col("_dead") & pl.col("_labour")).any().alias("_earner_died"),
    )
    return per.filter(pl.col("_head_earner_died") | (pl.col("_earner_died") & (pl.col("_living_labour") == 0))
                      ).select(pl.col("household_id").cast(pl.Int64), pl.lit(True).alias("main_earner_died"))


__all__ = [
    "CHECKS_SCHEMA", "EDGE", "ELIMINATION_SCHEMA", "EXITED_STATUSES", "EXTRA_COLUMNS", "FLAG_SCHEMA",
    "MIN_PUBLICITY_DAYS", "MONITORED_RECORD_STATUS", "MONITORING_COLUMNS", "MONITORING_TYPES", "SUDDEN_HARDSHIP",
    "UNSTABLE_EXITED", "EliminationDecision", "EliminationRule", "FlagRule", "MonitoringLine", "MonitoringLineMissing",
    "MonitoringLineTable", "MonitoringPolicy", "MonitoringPolicyError", "ResolvedLine", "add_months",
    "apply_override", "assess_elimination", "build_procedure", "check_publicity", "conform_view", "elimination_frame",
    "flag_frame", "flags_for", "load_default_monitoring", "main_earner_died_frame", "monitoring_type",
    "months_above_frame", "months_above_line", "type_expr", "type_label", "whole_months",
]
