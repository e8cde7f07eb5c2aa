"""Policy sets (政策集): versioned, dated policy data — lines, lag, standard, income settings, rules, schemes.

A :class:`PolicySet` is a frozen value: a released set is never edited. A county changes policy by
:func:`apply_override`, which returns a NEW set with a new version (``based_on`` the old one); the
override is a plain mapping (a TOML file, or the JSON an admin page stores) that may replace the
standard, the year lag, the line series, the counted transfers, add or replace poverty lines, add,
replace, disable or enable rules by id, and add, replace or remove schemes. Every rule text is checked
when a set is built, so a bad override fails at once with :class:`RuleError` naming the rule.

:func:`load_default_policy` reads the shipped files in ``fupin/policy/data`` (``policy.toml``,
``poverty_lines.toml``, ``scheme_*.toml``). ``to_dict``/``from_dict`` round-trip through JSON.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from typing import Any

from .codes import IDENTIFICATION_STANDARD
from .data import read_toml
from .income import DEFAULT_INCOME_SETTINGS, TRANSFER_LINES, IncomeSettings
from .poverty_lines import DEFAULT_SERIES, PovertyLine, PovertyLineMissing, PovertyLineTable
from .rules import UNIT_COLUMNS, CompiledRule, RuleError, compile_for_unit

INCOME_RULE_ID = "income_below_line"
RULE_KINDS = ("eligibility", "exclusion")
UNITS = ("household", "person")
OVERLAPS = ("all", "first")
MAX_LAG = 5
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class PolicyError(ValueError):
    """A policy file or override that cannot be used (the message is Chinese, then English)."""


def _check_id(value: str, what: str) -> None:
    if not _ID.match(value):
        raise PolicyError(f"{what}编号只能用小写字母、数字和下划线 {what} id must be lower-case letters, digits and _: "
                          f"{value!r}")


def _only(data: Mapping[str, Any], allowed: Iterable[str], what: str) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise PolicyError(f"{what}的未知字段 unknown keys in {what}: {', '.join(unknown)}")


def _date(value: object) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


@dataclass(frozen=True)
class RuleDef:
    """A named, labelled rule (规则): an id, Chinese and English labels, the text, its unit."""

    id: str
    label_zh: str
    label_en: str
    text: str
    unit: str = "household"
    enabled: bool = True
    description: str = ""

    def __post_init__(self) -> None:
        _check_id(self.id, "规则 rule")
        if self.unit not in UNIT_COLUMNS:
            raise PolicyError(f"规则 {self.id}: 对象应为 household 或 person / unit must be household or person")
        self.compiled()

    def compiled(self) -> CompiledRule:
        """The compiled rule (cached by text and unit); raises RuleError naming this rule."""
        try:
            return compile_for_unit(self.text, self.unit)
        except RuleError as e:
            raise e.for_rule(self.id) from None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "label_zh": self.label_zh, "label_en": self.label_en,
                               "text": self.text, "unit": self.unit, "enabled": self.enabled}
        if self.description:
            out["description"] = self.description
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleDef:
        _only(data, ("id", "label_zh", "label_en", "text", "unit", "enabled", "description", "kind"), "规则 rule")
        return cls(id=str(data["id"]), label_zh=str(data.get("label_zh", data["id"])),
                   label_en=str(data.get("label_en", data["id"])), text=str(data["text"]),
                   unit=str(data.get("unit", "household")), enabled=bool(data.get("enabled", True)),
                   description=str(data.get("description", "")))


@dataclass(frozen=True)
class Pathway:
    """A pathway of a scheme (…一批) with its rule text.

    ``overlapping``: in a scheme whose overlap is ``first``, this pathway is assigned whenever its rule
    holds, beside the first matching one (Xianning's 移民安置 is drawn from among the others).
    """

    id: str
    label_zh: str
    label_en: str
    rule: str
    overlapping: bool = False
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "label_zh": self.label_zh, "label_en": self.label_en, "rule": self.rule}
        if self.overlapping:
            out["overlapping"] = True
        if self.description:
            out["description"] = self.description
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Pathway:
        _only(data, ("id", "label_zh", "label_en", "rule", "overlapping", "description"), "路径 pathway")
        return cls(id=str(data["id"]), label_zh=str(data.get("label_zh", data["id"])),
                   label_en=str(data.get("label_en", data["id"])), rule=str(data["rule"]),
                   overlapping=bool(data.get("overlapping", False)), description=str(data.get("description", "")))


@dataclass(frozen=True)
class Scheme:
    """A pathway scheme (N个一批): classifies households or persons (``unit``) into pathways.

    ``overlap``: ``all`` — a unit is in every pathway whose rule holds; ``first`` — in the first one in
    order (plus any ``overlapping`` pathway whose rule holds).
    """

    id: str
    label_zh: str
    label_en: str
    unit: str
    overlap: str
    pathways: tuple[Pathway, ...]
    source: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        _check_id(self.id, "方案 scheme")
        if self.unit not in UNITS:
            raise PolicyError(f"方案 {self.id}: 对象应为 household 或 person / unit must be household or person")
        if self.overlap not in OVERLAPS:
            raise PolicyError(f"方案 {self.id}: overlap 应为 all 或 first / overlap must be all or first")
        ids = [p.id for p in self.pathways]
        if not ids:
            raise PolicyError(f"方案 {self.id}: 没有路径 no pathways")
        if len(set(ids)) != len(ids):
            raise PolicyError(f"方案 {self.id}: 路径编号重复 duplicate pathway ids")
        for pathway in self.pathways:
            _check_id(pathway.id, "路径 pathway")
            self.compiled(pathway)

    def rule_id(self, pathway: Pathway) -> str:
        """The id of a pathway's rule, as reasons and results name it: ``scheme.pathway``."""
        return f"{self.id}.{pathway.id}"

    def compiled(self, pathway: Pathway) -> CompiledRule:
        try:
            return compile_for_unit(pathway.rule, self.unit)
        except RuleError as e:
            raise e.for_rule(self.rule_id(pathway)) from None

    def pathway(self, pathway_id: str) -> Pathway:
        for p in self.pathways:
            if p.id == pathway_id:
                return p
        raise KeyError(f"方案 {self.id} 没有路径 has no pathway {pathway_id!r}")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "label_zh": self.label_zh, "label_en": self.label_en, "unit": self.unit,
                               "overlap": self.overlap, "pathways": [p.to_dict() for p in self.pathways]}
        if self.source:
            out["source"] = self.source
        if self.description:
            out["description"] = self.description
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scheme:
        _only(data, ("id", "label_zh", "label_en", "unit", "overlap", "pathways", "source", "description"),
              "方案 scheme")
        return cls(id=str(data["id"]), label_zh=str(data.get("label_zh", data["id"])),
                   label_en=str(data.get("label_en", data["id"])), unit=str(data.get("unit", "household")),
                   overlap=str(data.get("overlap", "all")),
                   pathways=tuple(Pathway.from_dict(p) for p in data.get("pathways") or ()),
                   source=str(data.get("source", "")), description=str(data.get("description", "")))


@dataclass(frozen=True)
class PolicySet:
    """One version of a jurisdiction's policy (frozen; a released set is never edited)."""

    id: str
    version: str
    valid_from: date
    valid_to: date | None = None
    released: bool = False
    label_zh: str = ""
    label_en: str = ""
    based_on: str = ""
    standard: str = "1"
    lag: int = 0
    line_series: str = DEFAULT_SERIES
    income: IncomeSettings = DEFAULT_INCOME_SETTINGS
    lines: PovertyLineTable = field(default_factory=lambda: PovertyLineTable(()))
    eligibility: tuple[RuleDef, ...] = ()
    exclusions: tuple[RuleDef, ...] = ()
    scheme_list: tuple[Scheme, ...] = ()

    def __post_init__(self) -> None:
        if not self.version:
            raise PolicyError("政策版本号不能为空 the policy version is required")
        if self.standard not in IDENTIFICATION_STANDARD:
            raise PolicyError(f"识别标准应为 1/2/3 standard must be 1, 2 or 3: {self.standard!r}")
        if not 0 <= self.lag <= MAX_LAG:
            raise PolicyError(f"年度滞后应在 0–{MAX_LAG} 之间 year lag must be 0 to {MAX_LAG}: {self.lag}")
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise PolicyError("失效日期早于生效日期 valid_to is before valid_from")
        unknown = sorted(self.income.counted_transfers - set(TRANSFER_LINES))
        if unknown:
            raise PolicyError(f"未知的转移性收入项 unknown transfer lines: {', '.join(unknown)}")
        ids = [r.id for r in (*self.eligibility, *self.exclusions)]
        if len(set(ids)) != len(ids):
            raise PolicyError("规则编号重复 duplicate rule ids: " + ", ".join(sorted({i for i in ids if ids.count(i) > 1})))
        for rule in (*self.eligibility, *self.exclusions):
            if rule.unit != "household":
                raise PolicyError(f"规则 {rule.id}: 识别与排除规则以户为对象 eligibility and exclusion rules are "
                                  f"household rules")
        income = [r for r in self.eligibility if r.id == INCOME_RULE_ID]
        if not income or not income[0].enabled:
            raise PolicyError(f"识别条件须含启用的收入规则 {INCOME_RULE_ID} / the eligibility rules must include the "
                              f"enabled income rule {INCOME_RULE_ID}")
        scheme_ids = [s.id for s in self.scheme_list]
        if len(set(scheme_ids)) != len(scheme_ids):
            raise PolicyError("方案编号重复 duplicate scheme ids")

    # --- lookups -------------------------------------------------------------------------------------

    @property
    def schemes(self) -> dict[str, Scheme]:
        """The schemes by id (a fresh dict: the set itself cannot be changed through it)."""
        return {s.id: s for s in self.scheme_list}

    @property
    def active_eligibility(self) -> tuple[RuleDef, ...]:
        return tuple(r for r in self.eligibility if r.enabled)

    @property
    def active_exclusions(self) -> tuple[RuleDef, ...]:
        return tuple(r for r in self.exclusions if r.enabled)

    @property
    def income_rule(self) -> RuleDef:
        return next(r for r in self.eligibility if r.id == INCOME_RULE_ID)

    def rule(self, rule_id: str) -> RuleDef:
        for r in (*self.eligibility, *self.exclusions):
            if r.id == rule_id:
                return r
        raise KeyError(f"没有规则 no rule {rule_id!r} in policy {self.version}")

    def labels(self, rule_id: str) -> tuple[str, str]:
        """(Chinese, English) label of a rule id, including a scheme's pathway rule ``scheme.pathway``."""
        for r in (*self.eligibility, *self.exclusions):
            if r.id == rule_id:
                return r.label_zh, r.label_en
        scheme_id, _, pathway_id = rule_id.partition(".")
        for s in self.scheme_list:
            if s.id == scheme_id:
                p = s.pathway(pathway_id)
                return p.label_zh, p.label_en
        return rule_id, rule_id

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def poverty_line_entry(self, *, year: int, standard: str | None = None, region_code: str = "",
                           series: str | None = None) -> PovertyLine:
        """The line that judges ``year`` (year lag applied), with its ``unconfirmed`` flag."""
        return self.lines.lookup(year=year - self.lag, standard=standard or self.standard,
                                 region_code=region_code, series=series or self.line_series)

    def poverty_line(self, *, year: int, standard: str | None = None, region_code: str = "",
                     series: str | None = None) -> float:
        """扶贫标准 (yuan/person/year) for judging ``year`` in ``region_code``: the line of year − lag, of the
        most specific region prefix, of ``standard`` (default: the set's) and ``series`` (default: the
        set's). Raises :class:`PovertyLineMissing`."""
        return self.poverty_line_entry(year=year, standard=standard, region_code=region_code, series=series).amount

    def poverty_lines_by_standard(self, *, year: int, region_code: str = "", series: str | None = None
                                  ) -> dict[str, float]:
        """Every standard's line for judging ``year`` in the region (standards without a line left out) —
        the mapping ``household_view(poverty_line=...)`` applies by each household's 识别标准."""
        out: dict[str, float] = {}
        for code in IDENTIFICATION_STANDARD.codes():
            try:
                out[code] = self.poverty_line(year=year, standard=code, region_code=region_code, series=series)
            except PovertyLineMissing:
                continue
        return out

    # --- (de)serialisation ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable mapping; ``PolicySet.from_dict(p.to_dict()) == p``."""
        return {
            "id": self.id, "version": self.version, "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat() if self.valid_to else None, "released": self.released,
            "label_zh": self.label_zh, "label_en": self.label_en, "based_on": self.based_on,
            "standard": self.standard, "lag": self.lag, "line_series": self.line_series,
            "income": {"version": self.income.version, "counted_transfers": sorted(self.income.counted_transfers)},
            "poverty_lines": self.lines.to_dict(),
            "eligibility": [r.to_dict() for r in self.eligibility],
            "exclusions": [r.to_dict() for r in self.exclusions],
            "schemes": [s.to_dict() for s in self.scheme_list],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PolicySet:
        _only(data, ("id", "version", "valid_from", "valid_to", "released", "label_zh", "label_en", "based_on",
                     "standard", "lag", "line_series", "income", "poverty_lines", "eligibility", "exclusions",
                     "schemes"), "政策 policy")
        income = data.get("income") or {}
        _only(income, ("version", "counted_transfers"), "收入设置 income")
        schemes = data.get("schemes") or ()
        if isinstance(schemes, Mapping):
            schemes = [{"id": k, **v} for k, v in schemes.items()]
        valid_from = _date(data.get("valid_from"))
        if valid_from is None:
            raise PolicyError("缺少生效日期 valid_from is required")
        return cls(
            id=str(data.get("id", "")), version=str(data.get("version", "")), valid_from=valid_from,
            valid_to=_date(data.get("valid_to")), released=bool(data.get("released", False)),
            label_zh=str(data.get("label_zh", "")), label_en=str(data.get("label_en", "")),
            based_on=str(data.get("based_on", "")), standard=str(data.get("standard", "1")),
            lag=int(data.get("lag", 0)), line_series=str(data.get("line_series", DEFAULT_SERIES)),
            income=IncomeSettings(
                version=str(income.get("version", DEFAULT_INCOME_SETTINGS.version)),
                counted_transfers=frozenset(income.get("counted_transfers", TRANSFER_LINES)),
            ),
            lines=PovertyLineTable.from_dict(data.get("poverty_lines") or {}),
            eligibility=tuple(RuleDef.from_dict(r) for r in data.get("eligibility") or ()),
            exclusions=tuple(RuleDef.from_dict(r) for r in data.get("exclusions") or ()),
            scheme_list=tuple(Scheme.from_dict(s) for s in schemes),
        )


@lru_cache(maxsize=1)
def load_default_policy() -> PolicySet:
    """The national default policy set from the shipped files (``fupin/policy/data``)."""
    data = read_toml("policy.toml")
    data["poverty_lines"] = read_toml("poverty_lines.toml")
    data["schemes"] = [read_toml(f"scheme_{scheme_id}.toml") for scheme_id in data.get("schemes", ())]
    return PolicySet.from_dict(data)


OVERRIDE_KEYS = ("id", "version", "label_zh", "label_en", "valid_from", "valid_to", "standard", "lag",
                 "line_series", "counted_transfers", "income_version", "poverty_lines", "rules", "disable_rules",
                 "enable_rules", "schemes", "remove_schemes")


def _merge_rules(policy: PolicySet, rules: Iterable[Mapping[str, Any]]) -> tuple[tuple[RuleDef, ...], tuple[RuleDef, ...]]:
    lists: dict[str, list[RuleDef]] = {"eligibility": list(policy.eligibility), "exclusion": list(policy.exclusions)}
    for raw in rules:
        kind = str(raw.get("kind", ""))
        existing = {r.id: k for k, rs in lists.items() for r in rs}
        rule_id = str(raw.get("id", ""))
        if not kind:
            kind = existing.get(rule_id, "")
        if kind not in RULE_KINDS:
            raise PolicyError(f"规则 {rule_id}: kind 应为 eligibility 或 exclusion / kind must be eligibility or exclusion")
        if rule_id in existing and existing[rule_id] != kind:
            raise PolicyError(f"规则 {rule_id} 已是 {existing[rule_id]} 规则 / is already an {existing[rule_id]} rule")
        target = lists[kind]
        old = next((r for r in target if r.id == rule_id), None)
        merged = {**old.to_dict(), **raw} if old is not None else dict(raw)
        rule = RuleDef.from_dict(merged)
        if old is not None:
            target[target.index(old)] = rule
        else:
            target.append(rule)
    return tuple(lists["eligibility"]), tuple(lists["exclusion"])


def _set_enabled(rules: tuple[RuleDef, ...], ids: set[str], enabled: bool) -> tuple[RuleDef, ...]:
    return tuple(replace(r, enabled=enabled) if r.id in ids else r for r in rules)


def apply_override(base: PolicySet, override: Mapping[str, Any], *, version: str, valid_from: date | None = None,
                   valid_to: date | None = None, released: bool = False) -> PolicySet:
    """A NEW policy set: ``base`` with a county's ``override`` applied, under ``version`` (≠ base's).

    ``override`` keys (all optional): ``id``, ``label_zh``, ``label_en``, ``valid_from``, ``valid_to``;
    ``standard``, ``lag``, ``line_series``; ``counted_transfers`` (list of transfer lines) and
    ``income_version``; ``poverty_lines`` (list of lines, added or replacing the same key);
    ``rules`` (list of rules with ``kind`` eligibility/exclusion: a rule with an existing id replaces
    the given fields of it, a new id is appended); ``disable_rules`` / ``enable_rules`` (lists of ids);
    ``schemes`` (list or mapping of whole schemes, added or replacing by id); ``remove_schemes`` (ids).
    A ``version`` key, if present, must equal ``version``. ``base`` is left untouched.
    """
    _only(override, OVERRIDE_KEYS, "覆盖 override")
    if not version or version == base.version:
        raise PolicyError(f"新版本号须不同于 {base.version} / the new version must differ from the base version")
    if "version" in override and str(override["version"]) != version:
        raise PolicyError(f"覆盖文件的版本 {override['version']} 与 {version} 不一致 / the override's version differs")
    eligibility, exclusions = _merge_rules(base, override.get("rules") or ())
    ids = {r.id for r in (*eligibility, *exclusions)}
    for key in ("disable_rules", "enable_rules"):
        missing = sorted(set(override.get(key) or ()) - ids)
        if missing:
            raise PolicyError(f"没有这些规则 no such rules ({key}): {', '.join(missing)}")
    disable, enable = set(override.get("disable_rules") or ()), set(override.get("enable_rules") or ())
    eligibility = _set_enabled(_set_enabled(eligibility, disable, False), enable, True)
    exclusions = _set_enabled(_set_enabled(exclusions, disable, False), enable, True)

    schemes = {s.id: s for s in base.scheme_list}
    raw_schemes = override.get("schemes") or ()
    if isinstance(raw_schemes, Mapping):
        raw_schemes = [{"id": k, **v} for k, v in raw_schemes.items()]
    for raw in raw_schemes:
        scheme = Scheme.from_dict(raw)
        schemes[scheme.id] = scheme
    for scheme_id in override.get("remove_schemes") or ():
        if scheme_id not in schemes:
            raise PolicyError(f"没有方案 no scheme {scheme_id!r}")
        del schemes[scheme_id]

    income = base.income
    if "counted_transfers" in override or "income_version" in override:
        income = IncomeSettings(
            version=str(override.get("income_version", f"{version}-income")),
            counted_transfers=frozenset(override.get("counted_transfers", base.income.counted_transfers)),
        )
    lines = base.lines.with_lines(PovertyLine.from_dict(line) for line in override.get("poverty_lines") or ())
    return PolicySet(
        id=str(override.get("id", base.id)), version=version,
        valid_from=valid_from or _date(override.get("valid_from")) or base.valid_from,
        valid_to=valid_to or _date(override.get("valid_to")), released=released,
        label_zh=str(override.get("label_zh", base.label_zh)), label_en=str(override.get("label_en", base.label_en)),
        based_on=base.version, standard=str(override.get("standard", base.standard)),
        lag=int(override.get("lag", base.lag)), line_series=str(override.get("line_series", base.line_series)),
        income=income, lines=lines, eligibility=eligibility, exclusions=exclusions,
        scheme_list=tuple(schemes.values()),
    )


__all__ = [
    "INCOME_RULE_ID", "Pathway", "PolicyError", "PolicySet", "RuleDef", "Scheme", "apply_override",
    "load_default_policy",
]
