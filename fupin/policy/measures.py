"""Assistance measures (帮扶措施): the catalogue, suggestions, the plan's state machine, the visit policy.

- :class:`MeasureCatalogue` — the measure types (产业, 就业 incl. 公益岗位, 易地搬迁, 教育 incl. 雨露计划,
  健康, 危房改造, 金融, 资产收益, 生态, 兜底, 基础设施, 光伏, 电商, 旅游 …; domain.md §4) with labels,
  unit, level and the default amounts the seeds give (per-mu industry subsidies, 8000/16000 yuan per
  relocated person, micro-loans ≤ 5万 for ≤ 3 years), plus the suggestion table and the visit and plan
  settings. Versioned data: ``fupin/policy/data/measures.toml``; a county changes it by
  :func:`apply_override`, which returns a new catalogue with a new version.
- :func:`suggest` — from a household's pathways (N个一批, :mod:`fupin.policy.pathways`), its causes of
  poverty and its household-view row, the measure types the table suggests, each with its reasons.
  The mapping is data (``[[suggest]]`` rows), not code.
- :func:`check_measure_transition` / :func:`check_plan_transition` — the explicit state machines of a
  planned measure (planned → in_progress → done; planned/in_progress → dropped with a reason; done and
  dropped are final) and of a household plan (一户一策: draft → approved → closed).
- :func:`overdue` and :func:`overdue_expr` — the visit policy (走访: at least every N days) for one
  pairing and for a whole frame of them (Polars), which agree by construction and by test.
- :func:`deadline_state` — 倒排工期: a measure not finished by its target date is overdue; one due within
  the window is due soon.

Pure: no Django import; mypy --strict.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

import polars as pl

from .codes import POVERTY_CAUSE
from .data import read_toml
from .rules import RuleError, compile_for_unit

CATALOGUE_FILE = "measures.toml"
LEVELS = ("household", "village")
STANDARD = "standard"


class MeasureError(ValueError):
    """Refused measure data or a refused transition. ``message`` is Chinese, then English; ``field``
    names the input it is about (``""`` for the whole)."""

    def __init__(self, message: str, field: str = "", code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


def _only(data: Mapping[str, Any], allowed: Iterable[str], what: str) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise MeasureError(f"{what}的未知字段 unknown keys in {what}: {', '.join(unknown)}")


def _decimal(value: object, what: str) -> Decimal:
    try:
        out = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise MeasureError(f"{what}应为数字 {what} must be a number: {value!r}") from None
    if not out.is_finite() or out < 0:
        raise MeasureError(f"{what}应为非负数 {what} must not be negative: {value!r}")
    return out


# ------------------------------------------------------------------------------------------ the catalogue


@dataclass(frozen=True)
class Label:
    """An id with its Chinese and English label (units, groups)."""

    id: str
    label_zh: str
    label_en: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label_zh": self.label_zh, "label_en": self.label_en}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], what: str) -> Label:
        _only(data, ("id", "label_zh", "label_en"), what)
        return cls(str(data["id"]), str(data.get("label_zh", data["id"])), str(data.get("label_en", data["id"])))


@dataclass(frozen=True)
class MeasureType:
    """帮扶措施类型 — one kind of help, e.g. 楠竹种植补贴 (yuan per mu) or 扶贫小额信贷.

    ``amounts``: default yuan per ``unit`` by variant (``standard``; ``deep_poverty`` for 深度贫困户 where
    the seeds give one); empty when the amount is typed in. For ``unit == "yuan"`` the quantity is the
    amount. ``max_amount`` / ``max_term_months``: limits of one grant or loan (小额信贷 ≤ 5万, ≤ 3 years).
    ``level``: ``household``, or ``village`` for infrastructure (基础设施, given to the village)."""

    id: str
    group: str
    label_zh: str
    label_en: str
    unit: str
    level: str = "household"
    amounts: Mapping[str, Decimal] = field(default_factory=dict)
    max_amount: Decimal | None = None
    max_term_months: int | None = None
    enabled: bool = True
    description: str = ""
    source: str = ""

    def label(self, lang: str = "zh") -> str:
        return self.label_en if lang.startswith("en") else self.label_zh

    def default_amount(self, variant: str = STANDARD) -> Decimal | None:
        """Yuan per unit for ``variant`` (falls back to ``standard``); None when the seeds give none."""
        return self.amounts.get(variant, self.amounts.get(STANDARD))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "group": self.group, "label_zh": self.label_zh,
                               "label_en": self.label_en, "unit": self.unit, "level": self.level}
        if self.amounts:
            out["amounts"] = {k: str(v) for k, v in self.amounts.items()}
        if self.max_amount is not None:
            out["max_amount"] = str(self.max_amount)
        if self.max_term_months is not None:
            out["max_term_months"] = self.max_term_months
        if not self.enabled:
            out["enabled"] = False
        if self.description:
            out["description"] = self.description
        if self.source:
            out["source"] = self.source
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MeasureType:
        _only(data, ("id", "group", "label_zh", "label_en", "unit", "level", "amounts", "max_amount",
                     "max_term_months", "enabled", "description", "source"), "措施类型 measure type")
        mid = str(data["id"])
        amounts = {str(k): _decimal(v, f"{mid} 金额 amount") for k, v in (data.get("amounts") or {}).items()}
        max_amount = data.get("max_amount")
        term = data.get("max_term_months")
        return cls(id=mid, group=str(data["group"]), label_zh=str(data.get("label_zh", mid)),
                   label_en=str(data.get("label_en", mid)), unit=str(data["unit"]),
                   level=str(data.get("level", "household")), amounts=amounts,
                   max_amount=None if max_amount is None else _decimal(max_amount, f"{mid} max_amount"),
                   max_term_months=None if term is None else int(term), enabled=bool(data.get("enabled", True)),
                   description=str(data.get("description", "")), source=str(data.get("source", "")))


@dataclass(frozen=True)
class SuggestionRule:
    """One row of the suggestion table: a trigger (a scheme's pathway, a cause of poverty, or a household
    rule) and the measure types it suggests."""

    measures: tuple[str, ...]
    scheme: str = ""
    pathway: str = ""
    cause: str = ""
    rule: str = ""
    label_zh: str = ""
    label_en: str = ""

    @property
    def kind(self) -> str:
        return "pathway" if self.pathway else "cause" if self.cause else "condition"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: v for k, v in (("scheme", self.scheme), ("pathway", self.pathway),
                                                 ("cause", self.cause), ("rule", self.rule),
                                                 ("label_zh", self.label_zh), ("label_en", self.label_en)) if v}
        out["measures"] = list(self.measures)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SuggestionRule:
        _only(data, ("scheme", "pathway", "cause", "rule", "label_zh", "label_en", "measures"),
              "建议规则 suggestion row")
        row = cls(measures=tuple(str(m) for m in data.get("measures") or ()), scheme=str(data.get("scheme", "")),
                  pathway=str(data.get("pathway", "")), cause=str(data.get("cause", "")),
                  rule=str(data.get("rule", "")), label_zh=str(data.get("label_zh", "")),
                  label_en=str(data.get("label_en", "")))
        triggers = [bool(row.pathway), bool(row.cause), bool(row.rule)]
        if sum(triggers) != 1 or (row.pathway and not row.scheme):
            raise MeasureError("建议规则须且只须有一个条件: scheme+pathway、cause 或 rule / a suggestion row needs "
                               "exactly one trigger: scheme+pathway, cause or rule")
        if row.cause and row.cause not in POVERTY_CAUSE:
            raise MeasureError(f"未知的致贫原因代码 unknown cause code: {row.cause!r}")
        if row.rule:
            try:
                compile_for_unit(row.rule, "household")
            except RuleError as exc:
                raise MeasureError(f"建议规则有误 invalid suggestion rule {row.rule!r}: {exc.message}") from None
        if not row.measures:
            raise MeasureError("建议规则没有措施 a suggestion row names no measure")
        return row


@dataclass(frozen=True)
class MeasureCatalogue:
    """帮扶措施目录 — one version of the measure types, the suggestion table and the visit/plan settings."""

    version: str
    valid_from: date
    measures: tuple[MeasureType, ...]
    units: tuple[Label, ...]
    groups: tuple[Label, ...]
    suggestions: tuple[SuggestionRule, ...] = ()
    visit_interval_days: int = 30
    due_window_days: int = 14
    approver_roles: tuple[str, ...] = ("township", "county", "admin")
    label_zh: str = ""
    label_en: str = ""
    based_on: str = ""
    source: str = ""
    _index: dict[str, MeasureType] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.version:
            raise MeasureError("目录版本号不能为空 the catalogue version is required")
        index = {m.id: m for m in self.measures}
        if len(index) != len(self.measures):
            raise MeasureError("措施类型编号重复 duplicate measure type ids")
        units = {u.id for u in self.units}
        groups = {g.id for g in self.groups}
        for m in self.measures:
            if m.unit not in units:
                raise MeasureError(f"措施 {m.id}: 未知单位 unknown unit {m.unit!r}")
            if m.group not in groups:
                raise MeasureError(f"措施 {m.id}: 未知类别 unknown group {m.group!r}")
            if m.level not in LEVELS:
                raise MeasureError(f"措施 {m.id}: 层级应为 household 或 village / level must be household or village")
        for row in self.suggestions:
            unknown = [mid for mid in row.measures if mid not in index]
            if unknown:
                raise MeasureError(f"建议规则引用了未知措施 a suggestion row names unknown measures: {', '.join(unknown)}")
        if self.visit_interval_days < 1:
            raise MeasureError("走访间隔至少1天 the visit interval must be at least 1 day")
        if self.due_window_days < 0:
            raise MeasureError("到期提醒天数不能为负 the due window cannot be negative")
        object.__setattr__(self, "_index", index)

    def __contains__(self, measure_id: object) -> bool:
        return measure_id in self._index

    def get(self, measure_id: str) -> MeasureType:
        try:
            return self._index[measure_id]
        except KeyError:
            raise MeasureError(f"未知的措施类型 unknown measure type: {measure_id!r}", "measure_type") from None

    @property
    def enabled(self) -> tuple[MeasureType, ...]:
        return tuple(m for m in self.measures if m.enabled)

    def choices(self, lang: str = "zh", *, include: Iterable[str] = ()) -> list[tuple[str, str]]:
        """(id, label) of the enabled measure types, plus any in ``include`` (a stored value)."""
        keep = set(include)
        return [(m.id, m.label(lang)) for m in self.measures if m.enabled or m.id in keep]

    def grouped(self) -> list[tuple[Label, list[MeasureType]]]:
        """The enabled measure types by group, in catalogue order."""
        return [(g, [m for m in self.enabled if m.group == g.id]) for g in self.groups
                if any(m.group == g.id for m in self.enabled)]

    def unit(self, unit_id: str) -> Label:
        for u in self.units:
            if u.id == unit_id:
                return u
        return Label(unit_id, unit_id, unit_id)

    def group(self, group_id: str) -> Label:
        for g in self.groups:
            if g.id == group_id:
                return g
        return Label(group_id, group_id, group_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version, "valid_from": self.valid_from.isoformat(), "label_zh": self.label_zh,
            "label_en": self.label_en, "based_on": self.based_on, "source": self.source,
            "visits": {"interval_days": self.visit_interval_days, "due_window_days": self.due_window_days},
            "plans": {"approver_roles": list(self.approver_roles)},
            "units": [u.to_dict() for u in self.units], "groups": [g.to_dict() for g in self.groups],
            "measures": [m.to_dict() for m in self.measures],
            "suggest": [s.to_dict() for s in self.suggestions],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MeasureCatalogue:
        _only(data, ("version", "valid_from", "label_zh", "label_en", "based_on", "source", "visits", "plans",
                     "units", "groups", "measures", "suggest"), "措施目录 catalogue")
        visits = data.get("visits") or {}
        plans = data.get("plans") or {}
        _only(visits, ("interval_days", "due_window_days"), "走访设置 visits")
        _only(plans, ("approver_roles",), "计划设置 plans")
        valid_from = data.get("valid_from")
        return cls(
            version=str(data.get("version", "")),
            valid_from=valid_from if isinstance(valid_from, date) else date.fromisoformat(str(valid_from)),
            measures=tuple(MeasureType.from_dict(m) for m in data.get("measures") or ()),
            units=tuple(Label.from_dict(u, "单位 unit") for u in data.get("units") or ()),
            groups=tuple(Label.from_dict(g, "类别 group") for g in data.get("groups") or ()),
            suggestions=tuple(SuggestionRule.from_dict(s) for s in data.get("suggest") or ()),
            visit_interval_days=int(visits.get("interval_days", 30)),
            due_window_days=int(visits.get("due_window_days", 14)),
            approver_roles=tuple(str(r) for r in plans.get("approver_roles", ("township", "county", "admin"))),
            label_zh=str(data.get("label_zh", "")), label_en=str(data.get("label_en", "")),
            based_on=str(data.get("based_on", "")), source=str(data.get("source", "")),
        )


@lru_cache(maxsize=1)
def load_default_catalogue() -> MeasureCatalogue:
    """The shipped catalogue (``fupin/policy/data/measures.toml``)."""
    return MeasureCatalogue.from_dict(read_toml(CATALOGUE_FILE))


OVERRIDE_KEYS = ("version", "valid_from", "label_zh", "label_en", "visits", "plans", "amounts", "disable", "enable",
                 "measures", "suggest", "replace_suggest")


def apply_override(base: MeasureCatalogue, override: Mapping[str, Any]) -> MeasureCatalogue:
    """A county's catalogue: ``base`` with ``override`` applied, under the override's ``version``.

    Keys: ``version`` (required), ``valid_from``; ``visits`` (``interval_days``, ``due_window_days``);
    ``plans`` (``approver_roles``); ``amounts`` (``{measure_id: {variant: yuan}}``, replaces that
    measure's amounts); ``disable`` / ``enable`` (lists of measure ids); ``measures`` (measure types
    added, or replaced by id); ``suggest`` (rows added to the table); ``replace_suggest`` (true: the
    override's rows replace the whole table). Refused with :class:`MeasureError` naming the key."""
    _only(override, OVERRIDE_KEYS, "覆盖 override")
    version = str(override.get("version") or "")
    if not version:
        raise MeasureError("覆盖须有版本号 an override needs a version", "version")
    measures = {m.id: m for m in base.measures}
    for raw in override.get("measures") or ():
        m = MeasureType.from_dict(raw)
        measures[m.id] = m
    for mid, amounts in (override.get("amounts") or {}).items():
        if mid not in measures:
            raise MeasureError(f"未知的措施类型 unknown measure type: {mid!r}", "amounts")
        measures[mid] = replace(measures[mid], amounts={str(k): _decimal(v, f"{mid} 金额 amount")
                                                        for k, v in dict(amounts).items()})
    for key, flag in (("disable", False), ("enable", True)):
        for mid in override.get(key) or ():
            if mid not in measures:
                raise MeasureError(f"未知的措施类型 unknown measure type: {mid!r}", key)
            measures[str(mid)] = replace(measures[str(mid)], enabled=flag)
    rows = tuple(SuggestionRule.from_dict(s) for s in override.get("suggest") or ())
    suggestions = rows if override.get("replace_suggest") else (*base.suggestions, *rows)
    visits = dict(override.get("visits") or {})
    plans = dict(override.get("plans") or {})
    _only(visits, ("interval_days", "due_window_days"), "走访设置 visits")
    _only(plans, ("approver_roles",), "计划设置 plans")
    valid_from = override.get("valid_from")
    return replace(
        base, version=version, based_on=base.version,
        valid_from=base.valid_from if valid_from is None else (
            valid_from if isinstance(valid_from, date) else date.fromisoformat(str(valid_from))),
        label_zh=str(override.get("label_zh", base.label_zh)), label_en=str(override.get("label_en", base.label_en)),
        measures=tuple(measures.values()), suggestions=suggestions,
        visit_interval_days=int(visits.get("interval_days", base.visit_interval_days)),
        due_window_days=int(visits.get("due_window_days", base.due_window_days)),
        approver_roles=tuple(str(r) for r in plans.get("approver_roles", base.approver_roles)),
    )


def check_amount(measure: MeasureType, amount: Decimal | None, *, term_months: int | None = None) -> None:
    """Refuse an amount or a term above the measure type's limit (小额信贷 ≤ 5万元, ≤ 36 months)."""
    if amount is not None and amount < 0:
        raise MeasureError("金额不能为负 the amount cannot be negative", "amount")
    if measure.max_amount is not None and amount is not None and amount > measure.max_amount:
        raise MeasureError(f"{measure.label_zh}单笔不超过{measure.max_amount}元 / {measure.label_en}: at most "
                           f"{measure.max_amount} yuan", "amount", "amount_above_limit")
    if measure.max_term_months is not None and term_months is not None and term_months > measure.max_term_months:
        raise MeasureError(f"{measure.label_zh}期限不超过{measure.max_term_months}个月 / {measure.label_en}: at most "
                           f"{measure.max_term_months} months", "term_months", "term_above_limit")


def expected_amount(measure: MeasureType, quantity: Decimal | None, variant: str = STANDARD) -> Decimal | None:
    """The default amount in yuan for ``quantity`` units (yuan-unit measures: the quantity itself);
    None when the catalogue gives no amount."""
    if quantity is None:
        return None
    if measure.unit == "yuan":
        return quantity
    per_unit = measure.default_amount(variant)
    return None if per_unit is None else (per_unit * quantity).quantize(Decimal("0.01"))


# ------------------------------------------------------------------------------------------ suggestions


@dataclass(frozen=True)
class PathwayRef:
    """A household's pathway in one scheme (from :func:`fupin.policy.pathways.classify_one`)."""

    scheme_id: str
    pathway_id: str
    label_zh: str = ""
    label_en: str = ""


@dataclass(frozen=True)
class Reason:
    """Why a measure is suggested: a pathway (``scheme_id``, ``pathway_id``), a cause (``cause``) or a
    household condition (``rule``), with a label in both languages."""

    kind: str
    label_zh: str
    label_en: str
    scheme_id: str = ""
    pathway_id: str = ""
    cause: str = ""
    rule: str = ""

    def label(self, lang: str = "zh") -> str:
        return self.label_en if lang.startswith("en") else self.label_zh

    def to_dict(self) -> dict[str, str]:
        return {k: v for k, v in (("kind", self.kind), ("label_zh", self.label_zh), ("label_en", self.label_en),
                                  ("scheme_id", self.scheme_id), ("pathway_id", self.pathway_id),
                                  ("cause", self.cause), ("rule", self.rule)) if v}


@dataclass(frozen=True)
class Suggestion:
    """建议措施 — a measure type with every reason that suggests it."""

    measure: MeasureType
    reasons: tuple[Reason, ...]


def _reason(row: SuggestionRule, pathway: PathwayRef | None) -> Reason:
    if pathway is not None:
        zh = pathway.label_zh or pathway.pathway_id
        en = pathway.label_en or pathway.pathway_id
        return Reason("pathway", f"{zh}({pathway.scheme_id})", f"{en} ({pathway.scheme_id})",
                      scheme_id=pathway.scheme_id, pathway_id=pathway.pathway_id)
    if row.cause:
        return Reason("cause", f"致贫原因: {POVERTY_CAUSE.label(row.cause)}",
                      f"Cause of poverty: {POVERTY_CAUSE.label(row.cause, 'en')}", cause=row.cause)
    return Reason("condition", row.label_zh or row.rule, row.label_en or row.rule, rule=row.rule)


def suggest(catalogue: MeasureCatalogue, *, pathways: Iterable[PathwayRef] = (), causes: Iterable[str] = (),
            household: Mapping[str, object] | None = None, exclude: Iterable[str] = ()) -> tuple[Suggestion, ...]:
    """The measure types the suggestion table gives a household, each with its reasons.

    ``pathways``: the household's pathways (any schemes); ``causes``: its cause codes (main and others);
    ``household``: its household-view row, for the condition rows (left out when None); ``exclude``:
    measure ids not to suggest (already planned). Disabled measure types are never suggested. Order:
    more reasons first, then catalogue order."""
    held = {(p.scheme_id, p.pathway_id): p for p in pathways}
    cause_set = {c for c in causes if c}
    skip = set(exclude)
    found: dict[str, list[Reason]] = {}
    for row in catalogue.suggestions:
        if row.pathway:
            ref = held.get((row.scheme, row.pathway))
            if ref is None:
                continue
            reason = _reason(row, ref)
        elif row.cause:
            if row.cause not in cause_set:
                continue
            reason = _reason(row, None)
        else:
            if household is None or not compile_for_unit(row.rule, "household").evaluate(household):
                continue
            reason = _reason(row, None)
        for mid in row.measures:
            if mid in skip or not catalogue.get(mid).enabled:
                continue
            reasons = found.setdefault(mid, [])
            if reason not in reasons:
                reasons.append(reason)
    order = {m.id: i for i, m in enumerate(catalogue.measures)}
    ranked = sorted(found, key=lambda mid: (-len(found[mid]), order[mid]))
    return tuple(Suggestion(catalogue.get(mid), tuple(found[mid])) for mid in ranked)


# ------------------------------------------------------------------------------------------ state machines


class MeasureStatus:
    """措施状态 — planned (计划), in progress (实施中), done (已完成), dropped (已放弃)."""

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"


MEASURE_STATUS_LABELS: dict[str, tuple[str, str]] = {
    MeasureStatus.PLANNED: ("计划", "planned"),
    MeasureStatus.IN_PROGRESS: ("实施中", "in progress"),
    MeasureStatus.DONE: ("已完成", "done"),
    MeasureStatus.DROPPED: ("已放弃", "dropped"),
}
#: The allowed moves of a planned measure. Done and dropped are final (a dropped measure is planned anew).
MEASURE_TRANSITIONS: dict[str, frozenset[str]] = {
    MeasureStatus.PLANNED: frozenset({MeasureStatus.IN_PROGRESS, MeasureStatus.DROPPED}),
    MeasureStatus.IN_PROGRESS: frozenset({MeasureStatus.DONE, MeasureStatus.DROPPED}),
    MeasureStatus.DONE: frozenset(),
    MeasureStatus.DROPPED: frozenset(),
}
OPEN_MEASURE_STATUSES = frozenset({MeasureStatus.PLANNED, MeasureStatus.IN_PROGRESS})


def _status_text(status: str, table: Mapping[str, tuple[str, str]]) -> tuple[str, str]:
    return table.get(status, (status, status))


def check_measure_transition(current: str, target: str, *, reason: str = "") -> None:
    """Refuse an illegal move of a planned measure (clear Chinese/English message), or a drop without a reason."""
    if current not in MEASURE_TRANSITIONS:
        raise MeasureError(f"未知状态 unknown status: {current!r}", "status", "unknown_status")
    if target not in MEASURE_TRANSITIONS:
        raise MeasureError(f"未知状态 unknown status: {target!r}", "status", "unknown_status")
    if target not in MEASURE_TRANSITIONS[current]:
        zh_from, en_from = _status_text(current, MEASURE_STATUS_LABELS)
        zh_to, en_to = _status_text(target, MEASURE_STATUS_LABELS)
        if not MEASURE_TRANSITIONS[current]:
            detail_zh, detail_en = f"“{zh_from}”是最终状态", f"{en_from} is final"
        else:
            allowed = sorted(MEASURE_TRANSITIONS[current])
            detail_zh = "只能改为" + "、".join(f"“{_status_text(s, MEASURE_STATUS_LABELS)[0]}”" for s in allowed)
            detail_en = "it can only become " + " or ".join(_status_text(s, MEASURE_STATUS_LABELS)[1] for s in allowed)
        raise MeasureError(f"措施不能从“{zh_from}”改为“{zh_to}”: {detail_zh} / a measure cannot go from {en_from} "
                           f"to {en_to}: {detail_en}", "status", "illegal_transition")
    if target == MeasureStatus.DROPPED and not reason.strip():
        raise MeasureError("放弃措施须说明理由 / dropping a measure needs a reason", "reason", "reason_required")


class PlanStatus:
    """计划状态 — draft (编制中), approved (已审定), closed (已结束)."""

    DRAFT = "draft"
    APPROVED = "approved"
    CLOSED = "closed"


PLAN_STATUS_LABELS: dict[str, tuple[str, str]] = {
    PlanStatus.DRAFT: ("编制中", "draft"),
    PlanStatus.APPROVED: ("已审定", "approved"),
    PlanStatus.CLOSED: ("已结束", "closed"),
}
PLAN_TRANSITIONS: dict[str, frozenset[str]] = {
    PlanStatus.DRAFT: frozenset({PlanStatus.APPROVED, PlanStatus.CLOSED}),
    PlanStatus.APPROVED: frozenset({PlanStatus.CLOSED}),
    PlanStatus.CLOSED: frozenset(),
}


def check_plan_transition(current: str, target: str) -> None:
    """Refuse an illegal move of a household plan."""
    if current not in PLAN_TRANSITIONS or target not in PLAN_TRANSITIONS:
        raise MeasureError(f"未知状态 unknown status: {target!r}", "status", "unknown_status")
    if target not in PLAN_TRANSITIONS[current]:
        zh_from, en_from = _status_text(current, PLAN_STATUS_LABELS)
        zh_to, en_to = _status_text(target, PLAN_STATUS_LABELS)
        raise MeasureError(f"帮扶计划不能从“{zh_from}”改为“{zh_to}” / a plan cannot go from {en_from} to {en_to}",
                           "status", "illegal_transition")


def plan_accepts_measures(status: str) -> bool:
    """A closed plan is history: measures are added to a draft or approved plan only."""
    return status in (PlanStatus.DRAFT, PlanStatus.APPROVED)


def may_approve(role_id: str, catalogue: MeasureCatalogue) -> bool:
    """Whether a role approves (审定) household plans under the catalogue's plan settings."""
    return role_id in catalogue.approver_roles


# ------------------------------------------------------------------------------------------ visits and deadlines


def visit_due_on(last_visit: date | None, n: int, *, since: date | None = None) -> date | None:
    """The last day the next visit is on time: ``n`` days after the last visit (or after ``since``, the
    start of the pairing, when there was none); None when neither is known (due at once)."""
    start = last_visit or since
    return None if start is None else start + timedelta(days=n)


def overdue(last_visit: date | None, today: date, n: int, *, since: date | None = None) -> bool:
    """走访超期: more than ``n`` days since the last visit (or since the pairing began, when there was no
    visit yet; with neither date, overdue). A visit exactly ``n`` days ago is on time."""
    if n < 1:
        raise MeasureError("走访间隔至少1天 the visit interval must be at least 1 day")
    due = visit_due_on(last_visit, n, since=since)
    return due is None or today > due


def days_overdue(last_visit: date | None, today: date, n: int, *, since: date | None = None) -> int | None:
    """Days past the due day (0 or less: on time); None when no date is known."""
    due = visit_due_on(last_visit, n, since=since)
    return None if due is None else (today - due).days


def overdue_expr(today: date, *, last_visit: str = "last_visit", since: str = "since", n: str | int = "n") -> pl.Expr:
    """:func:`overdue` as a Polars expression over a frame of pairings (date columns ``last_visit`` and
    ``since``, interval ``n`` as a column name or one number): the whole county in one pass."""
    days = pl.lit(n) if isinstance(n, int) else pl.col(n)
    start = pl.coalesce(pl.col(last_visit), pl.col(since))
    due = start + pl.duration(days=days)
    return (pl.lit(today) > due).fill_null(True)


DEADLINE_OVERDUE = "overdue"
DEADLINE_DUE_SOON = "due_soon"


def deadline_state(target: date | None, today: date, status: str, window_days: int = 14) -> str:
    """倒排工期: ``overdue`` when an open measure's target date has passed, ``due_soon`` when it falls within
    ``window_days``, ``""`` otherwise (no date, or done or dropped)."""
    if target is None or status not in OPEN_MEASURE_STATUSES:
        return ""
    if target < today:
        return DEADLINE_OVERDUE
    if target <= today + timedelta(days=window_days):
        return DEADLINE_DUE_SOON
    return ""


def status_labels(statuses: Sequence[str], lang: str = "zh") -> list[str]:
    """Labels of measure statuses in a language (for exports and the API)."""
    i = 1 if lang.startswith("en") else 0
    return [_status_text(s, MEASURE_STATUS_LABELS)[i] for s in statuses]


__all__ = [
    "DEADLINE_DUE_SOON", "DEADLINE_OVERDUE", "MEASURE_STATUS_LABELS", "MEASURE_TRANSITIONS", "OPEN_MEASURE_STATUSES",
    "PLAN_STATUS_LABELS", "PLAN_TRANSITIONS", "Label", "MeasureCatalogue", "MeasureError", "MeasureStatus",
    "MeasureType", "PathwayRef", "PlanStatus", "Reason", "Suggestion", "SuggestionRule", "apply_override",
    "check_amount", "check_measure_transition", "check_plan_transition", "days_overdue", "deadline_state",
    "expected_amount", "load_default_catalogue", "may_approve", "overdue", "overdue_expr", "plan_accepts_measures",
    "status_labels", "suggest", "visit_due_on",
]
