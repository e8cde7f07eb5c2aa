"""The identification procedure (识别程序, 精准识别): steps as data, and one pure transition function.

A procedure is an ordered list of :class:`Step` s with a version (domain.md §2). Each step says who may
perform it (roles), what evidence completing it needs (survey form, meeting attendance and votes,
signatures, review opinion …), whether it is a publicity step (公示) with a minimum duration in days,
whether a meeting needs a quorum, and whether the automatic decision (income test and exclusions,
:mod:`fupin.rules`) runs when it is completed. Three procedures ship (:data:`PROCEDURES`):

- ``national`` — 两公示一公告 (2014): 农户申请 → 民主评议 → 第一次公示 → 乡镇审核 → 第二次公示 → 县级复审 →
  公告 → 建档.
- ``kaizhou`` — 开州区 "八步二公示一公告" (seed 004 names the procedure but not its steps; the order here is
  fupin's reading, marked unconfirmed): the national steps plus 入户调查 (household survey, before the
  village's review) and 信息比对 (comparison with other departments' data, by the township before its
  review). Eight working steps (申请, 调查, 评议, 比对, 乡镇审核, 县级复审, 公告, 建档) and two publicity steps.
- ``jingyu`` — 靖宇县 (seed 002: "入户核实、公示公告、村书记和第一书记签字确认"): the national steps plus
  入户核实 (household verification), and the first publicity closes only with the signatures of the
  村书记 (village party secretary) and the 第一书记 (first secretary) confirming the list sent to the
  township.

A county changes a procedure without code through :func:`apply_overrides` (publicity days, quorum,
roles, evidence of a step), which gives a new version; a released version is never edited.

:func:`transition` takes a case's state and a requested :class:`Action` (complete a step, reject,
record or resolve an objection, withdraw) and returns the new state, or raises
:class:`ProcedureError` with a Chinese and English message (illegal transition, publicity period not
over — naming the earliest date —, an unresolved objection, missing evidence, quorum not met, wrong
role …). No Django here: the identification app stores the states and the event log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from . import roles as role_policy

# ---------------------------------------------------------------------------------------------- errors


class ProcedureError(ValueError):
    """A refused action, with a code, a Chinese and an English message, and the field it concerns."""

    def __init__(self, code: str, zh: str, en: str, *, field_name: str = "step",
                 errors: Mapping[str, list[str]] | None = None) -> None:
        self.code, self.zh, self.en, self.field_name = code, zh, en, field_name
        self.errors: dict[str, list[str]] = dict(errors or {})
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return f"{self.zh} / {self.en}"

    @property
    def field_errors(self) -> dict[str, list[str]]:
        """``{field: [messages]}`` (evidence errors per evidence field, else the error's own field)."""
        return self.errors or {self.field_name: [self.message]}


# -------------------------------------------------------------------------------------- evidence kinds


@dataclass(frozen=True)
class EvidenceField:
    """One field of an evidence record. ``kind``: ``text`` (one line), ``longtext``, ``int``, ``date``."""

    name: str
    label_zh: str
    label_en: str
    kind: str = "text"


@dataclass(frozen=True)
class EvidenceKind:
    """A kind of evidence a step may require (申请书, 入户调查表, 评议记录, 签字 …)."""

    id: str
    label_zh: str
    label_en: str
    fields: tuple[EvidenceField, ...]


def _ev(id: str, zh: str, en: str, *fields: tuple[str, str, str, str]) -> EvidenceKind:
    return EvidenceKind(id, zh, en, tuple(EvidenceField(*f) for f in fields))


#: Evidence kinds by id. Field names are unique across kinds (a step's evidence is one flat mapping).
EVIDENCE_KINDS: dict[str, EvidenceKind] = {
    k.id: k
    for k in (
        _ev("application_form", "申请书", "application form",
            ("applicant", "申请人", "applicant", "text"),
            ("applied_on", "申请日期", "date of application", "date")),
        _ev("survey_form", "入户调查表", "household survey form",
            ("surveyor", "调查人", "surveyed by", "text"),
            ("surveyed_on", "调查日期", "date of the survey", "date"),
            ("findings", "调查情况", "findings", "longtext")),
        _ev("meeting", "评议会议记录(参会与表决)", "meeting record (attendance and votes)",
            ("held_on", "会议日期", "date of the meeting", "date"),
            ("representatives_total", "应到代表人数", "representatives in total", "int"),
            ("representatives_present", "实到代表人数", "representatives present", "int"),
            ("votes_for", "赞成票", "votes for", "int"),
            ("votes_against", "反对票", "votes against", "int")),
        _ev("signatures", "村书记和第一书记签字", "signatures of the village and first secretaries",
            ("village_secretary", "村书记签字", "village party secretary (signed)", "text"),
            ("first_secretary", "第一书记签字", "first secretary (signed)", "text")),
        _ev("comparison", "信息比对结果", "data comparison result",
            ("compared_on", "比对日期", "date of the comparison", "date"),
            ("comparison_result", "比对结果", "result of the comparison", "longtext")),
        _ev("opinion", "审核意见", "review opinion",
            ("reviewer", "审核人", "reviewed by", "text"),
            ("opinion", "审核意见", "opinion", "longtext")),
    )
}


def _field_of(name: str) -> EvidenceField:
    for kind in EVIDENCE_KINDS.values():
        for f in kind.fields:
            if f.name == name:
                return f
    raise KeyError(name)


# ------------------------------------------------------------------------------------ steps, procedures

LEVEL_VILLAGE = "village"
LEVEL_TOWNSHIP = "township"
LEVEL_COUNTY = "county"
LEVEL_LABELS = {LEVEL_VILLAGE: ("村", "village"), LEVEL_TOWNSHIP: ("乡镇", "township"), LEVEL_COUNTY: ("县", "county")}

#: Who may perform a step of each level by default. A township officer may record a village step on the
#: village's behalf (townships often enter the village's results); county steps are the county's only.
DEFAULT_ROLES: dict[str, frozenset[str]] = {
    LEVEL_VILLAGE: frozenset({"village", "workteam", "township"}),
    LEVEL_TOWNSHIP: frozenset({"township"}),
    LEVEL_COUNTY: frozenset({"county"}),
}
#: Who may record or resolve an objection during a publicity step, and record a withdrawal.
OBJECTION_ROLES = frozenset({"village", "workteam", "township", "county"})
WITHDRAW_ROLES = frozenset({"village", "workteam", "township", "county"})
#: Every role that takes part in the procedure (the capability ``identification.perform``).
PROCEDURE_ROLES = OBJECTION_ROLES

FIRST_STEP = "application"
LAST_STEP = "registration"
DEFAULT_PUBLICITY_DAYS = 7
DEFAULT_QUORUM = "2/3"
#: A meeting approves when the votes for are more than this share of the representatives present.
DEFAULT_MAJORITY = "1/2"


@dataclass(frozen=True)
class Share:
    """A share such as a quorum (``2/3``), compared in whole numbers (no floating point)."""

    numerator: int
    denominator: int

    def __str__(self) -> str:
        return f"{self.numerator}/{self.denominator}"

    @classmethod
    def parse(cls, value: Any) -> Share | None:
        """``"2/3"``, ``"0.75"`` or a :class:`Share`; ``None``/``""`` is no share. It must lie in (0, 1]."""
        if value is None or value == "":
            return None
        if isinstance(value, Share):
            return value
        text = str(value).strip()
        try:
            if "/" in text:
                num, den = (int(part) for part in text.split("/", 1))
            else:
                num, den = Decimal(text).as_integer_ratio()
        except (ValueError, ArithmeticError) as exc:
            raise ProcedureError("invalid_procedure", f"比例无效: {value!r}", f"not a share: {value!r}") from exc
        if den <= 0 or not 0 < num <= den:
            raise ProcedureError("invalid_procedure", f"比例应在0到1之间: {value}", f"a share must lie in (0, 1]: {value}")
        return cls(num, den)

    def reached_by(self, part: int, whole: int) -> bool:
        """``part / whole >= self``."""
        return part * self.denominator >= whole * self.numerator

    def exceeded_by(self, part: int, whole: int) -> bool:
        """``part / whole > self``."""
        return part * self.denominator > whole * self.numerator

    def needed_of(self, whole: int) -> int:
        """The least whole number that reaches the share of ``whole``."""
        return -(-self.numerator * whole // self.denominator)


@dataclass(frozen=True)
class Step:
    """One step (环节) of a procedure."""

    id: str
    label_zh: str
    label_en: str
    level: str
    roles: frozenset[str]
    evidence: tuple[str, ...] = ()
    publicity_days: int | None = None
    runs_decision: bool = False
    quorum: Share | None = None
    majority: Share | None = None
    may_reject: bool = True
    description: str = ""

    @property
    def is_publicity(self) -> bool:
        return self.publicity_days is not None

    @property
    def label(self) -> str:
        return f"{self.label_zh} {self.label_en}"

    def evidence_fields(self) -> tuple[EvidenceField, ...]:
        return tuple(f for kind in self.evidence for f in EVIDENCE_KINDS[kind].fields)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "label_zh": self.label_zh, "label_en": self.label_en, "level": self.level,
            "roles": sorted(self.roles), "evidence": list(self.evidence), "publicity_days": self.publicity_days,
            "runs_decision": self.runs_decision, "quorum": _share_text(self.quorum),
            "majority": _share_text(self.majority), "may_reject": self.may_reject,
            "description": self.description,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Step:
        level = str(d.get("level", LEVEL_VILLAGE))
        roles = d.get("roles")
        return cls(
            id=str(d["id"]), label_zh=str(d["label_zh"]), label_en=str(d["label_en"]), level=level,
            roles=frozenset(str(r) for r in roles) if roles is not None else DEFAULT_ROLES.get(level, frozenset()),
            evidence=tuple(str(e) for e in d.get("evidence", ())),
            publicity_days=None if d.get("publicity_days") is None else int(d["publicity_days"]),
            runs_decision=bool(d.get("runs_decision", False)),
            quorum=Share.parse(d.get("quorum")), majority=Share.parse(d.get("majority")),
            may_reject=bool(d.get("may_reject", True)), description=str(d.get("description", "")),
        )


def _share_text(value: Share | None) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class Procedure:
    """识别程序 — an ordered list of steps with an id, a version and where it comes from."""

    id: str
    version: str
    label_zh: str
    label_en: str
    steps: tuple[Step, ...]
    source: str = ""

    def __post_init__(self) -> None:
        validate_procedure(self)

    @property
    def label(self) -> str:
        return f"{self.label_zh} {self.label_en}"

    def step(self, step_id: str) -> Step:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise ProcedureError("unknown_step", f"本程序没有环节「{step_id}」",
                             f"the procedure {self.id} has no step {step_id!r}")

    def has_step(self, step_id: str) -> bool:
        return any(s.id == step_id for s in self.steps)

    def index(self, step_id: str) -> int:
        return self.steps.index(self.step(step_id))

    def next_step(self, step_id: str) -> Step | None:
        i = self.index(step_id)
        return self.steps[i + 1] if i + 1 < len(self.steps) else None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "version": self.version, "label_zh": self.label_zh, "label_en": self.label_en,
                "source": self.source, "steps": [s.to_dict() for s in self.steps]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Procedure:
        return cls(id=str(d["id"]), version=str(d["version"]), label_zh=str(d["label_zh"]),
                   label_en=str(d["label_en"]), source=str(d.get("source", "")),
                   steps=tuple(Step.from_dict(s) for s in d["steps"]))


def step_problems(procedure: Procedure, *, first: str, last: str) -> list[str]:
    """What makes the steps of a procedure unusable (识别 and 退出 alike): the first and last step ids,
    a step twice, unknown roles, levels or evidence kinds, a publicity under a day, a quorum without a
    meeting, a publicity step that runs the decision."""
    problems: list[str] = []
    ids = [s.id for s in procedure.steps]
    if len(ids) < 2 or ids[0] != first or ids[-1] != last:
        problems.append(f"首环节应为 {first}、末环节应为 {last} / the first step must be {first} and the last {last}")
    if len(set(ids)) != len(ids):
        problems.append(f"环节重复 / a step appears twice: {ids}")
    for s in procedure.steps:
        unknown_roles = s.roles - set(role_policy.ROLES)
        if unknown_roles or not s.roles:
            problems.append(f"{s.id}: 角色无效 / invalid roles {sorted(unknown_roles) or '(none)'}")
        if s.level not in LEVEL_LABELS:
            problems.append(f"{s.id}: 级别无效 / invalid level {s.level!r}")
        problems.extend(f"{s.id}: 未知的材料类型 / unknown evidence kind {k!r}" for k in s.evidence
                        if k not in EVIDENCE_KINDS)
        if s.publicity_days is not None and s.publicity_days < 1:
            problems.append(f"{s.id}: 公示天数至少1天 / publicity lasts at least 1 day")
        if s.quorum is not None and "meeting" not in s.evidence:
            problems.append(f"{s.id}: 法定人数需要会议记录 / a quorum needs the meeting evidence")
        if s.is_publicity and s.runs_decision:
            problems.append(f"{s.id}: 公示环节不做自动判定 / a publicity step does not run the decision")
    return problems


def validate_procedure(procedure: Procedure) -> None:
    """Refuse a procedure the transition function cannot run (ProcedureError ``invalid_procedure``)."""
    problems = step_problems(procedure, first=FIRST_STEP, last=LAST_STEP)
    if problems:
        raise ProcedureError("invalid_procedure", "识别程序定义有误: " + "; ".join(problems),
                             f"invalid procedure {procedure.id} {procedure.version}")


# ------------------------------------------------------------------------------- the shipped procedures

#: The step library: each shipped procedure lists step ids from here (and may change a step's fields).
STEP_LIBRARY: dict[str, dict[str, Any]] = {
    "application": {
        "label_zh": "农户申请", "label_en": "household application", "level": LEVEL_VILLAGE,
        "evidence": ["application_form"], "may_reject": False,
        "description": "农户提出书面申请,村里登记 / the household applies in writing; the village records it",
    },
    "household_survey": {
        "label_zh": "入户调查", "label_en": "household survey", "level": LEVEL_VILLAGE,
        "evidence": ["survey_form"],
        "description": "村干部和驻村工作队入户调查,核实收入和家庭情况 / cadres and the work team visit and "
                       "check income and circumstances",
    },
    "democratic_review": {
        "label_zh": "民主评议", "label_en": "democratic review", "level": LEVEL_VILLAGE,
        "evidence": ["meeting"], "quorum": "2/3", "majority": "1/2", "runs_decision": True,
        "description": "村民代表大会评议,到会代表不少于三分之二,赞成票过半 / the assembly of village "
                       "representatives reviews; at least two thirds present, more than half in favour",
    },
    "first_publicity": {
        "label_zh": "第一次公示", "label_en": "first publicity", "level": LEVEL_VILLAGE,
        "publicity_days": DEFAULT_PUBLICITY_DAYS,
        "description": "在村内公示评议结果,受理异议 / the review's result is posted in the village; "
                       "objections are heard",
    },
    "data_comparison": {
        "label_zh": "信息比对", "label_en": "data comparison", "level": LEVEL_TOWNSHIP,
        "evidence": ["comparison"],
        "description": "与车辆、房产、工商、财政供养等部门数据比对 / checked against other departments' "
                       "lists (vehicles, real estate, businesses, payrolls …)",
    },
    "township_review": {
        "label_zh": "乡镇审核", "label_en": "township review", "level": LEVEL_TOWNSHIP,
        "evidence": ["opinion"],
        "description": "乡镇人民政府审核 / the township government reviews",
    },
    "second_publicity": {
        "label_zh": "第二次公示", "label_en": "second publicity", "level": LEVEL_VILLAGE,
        "publicity_days": DEFAULT_PUBLICITY_DAYS,
        "description": "乡镇审核结果在村内公示 / the township's result is posted in the village",
    },
    "county_review": {
        "label_zh": "县级复审", "label_en": "county review", "level": LEVEL_COUNTY,
        "evidence": ["opinion"], "runs_decision": True,
        "description": "县扶贫办复审 / the county poverty alleviation office reviews",
    },
    "announcement": {
        "label_zh": "公告", "label_en": "announcement", "level": LEVEL_COUNTY, "may_reject": False,
        "description": "县级公告 / the county announces the list",
    },
    "registration": {
        "label_zh": "建档", "label_en": "registration", "level": LEVEL_COUNTY, "may_reject": False,
        "roles": ["village", "workteam", "township", "county"],
        "description": "建档立卡,发放扶贫手册 / the household is registered and gets its handbook",
    },
}

_NATIONAL_STEPS = ["application", "democratic_review", "first_publicity", "township_review", "second_publicity",
                   "county_review", "announcement", "registration"]

#: Procedure definitions as data: the step ids in order, and per-step changes to the library entry.
PROCEDURE_DATA: dict[str, dict[str, Any]] = {
    "national": {
        "version": "national-2014.1", "label_zh": "全国识别程序(两公示一公告)",
        "label_en": "national procedure (two publicities, one announcement)",
        "source": "国务院扶贫办《扶贫开发建档立卡工作方案》(2014); domain.md §2",
        "steps": _NATIONAL_STEPS, "changes": {},
    },
    "kaizhou": {
        "version": "kaizhou-2015.1", "label_zh": "开州区八步二公示一公告",
        "label_en": "Kaizhou: eight steps, two publicities, one announcement",
        "source": "seed 004 (开州区调研报告): names the procedure; the step order is fupin's reading (unconfirmed)",
        "steps": ["application", "household_survey", "democratic_review", "first_publicity", "data_comparison",
                  "township_review", "second_publicity", "county_review", "announcement", "registration"],
        "changes": {},
    },
    "jingyu": {
        "version": "jingyu-2016.1", "label_zh": "靖宇县识别程序(入户核实、公示公告、签字确认)",
        "label_en": "Jingyu: household verification, publicity, signatures of both secretaries",
        "source": "seed 002 (靖宇县): 入户核实、公示公告、村书记和第一书记签字确认",
        "steps": ["application", "household_survey", "democratic_review", "first_publicity", "township_review",
                  "second_publicity", "county_review", "announcement", "registration"],
        "changes": {
            "household_survey": {"label_zh": "入户核实", "label_en": "household verification"},
            "first_publicity": {"evidence": ["signatures"],
                                "description": "公示无异议后,村书记和第一书记签字确认上报乡镇 / after the "
                                               "publicity the village party secretary and the first "
                                               "secretary sign the list sent to the township"},
        },
    },
}


def build_procedure(procedure_id: str, data: Mapping[str, Any]) -> Procedure:
    """A :class:`Procedure` from its data (:data:`PROCEDURE_DATA` entry)."""
    steps = []
    changes: Mapping[str, Mapping[str, Any]] = data.get("changes", {})
    for step_id in data["steps"]:
        spec = {**STEP_LIBRARY[step_id], **changes.get(step_id, {}), "id": step_id}
        steps.append(Step.from_dict(spec))
    return Procedure(id=procedure_id, version=str(data["version"]), label_zh=str(data["label_zh"]),
                     label_en=str(data["label_en"]), source=str(data.get("source", "")), steps=tuple(steps))


PROCEDURES: dict[str, Procedure] = {pid: build_procedure(pid, d) for pid, d in PROCEDURE_DATA.items()}
DEFAULT_PROCEDURE = "national"


def get_procedure(procedure_id: str) -> Procedure:
    try:
        return PROCEDURES[procedure_id]
    except KeyError as exc:
        raise ProcedureError("unknown_procedure", f"没有识别程序「{procedure_id}」",
                             f"no procedure {procedure_id!r}; known: {', '.join(PROCEDURES)}",
                             field_name="procedure") from exc


OVERRIDE_KEYS = ("publicity_days", "quorum", "majority", "roles", "evidence")


def apply_overrides(procedure: Procedure, overrides: Mapping[str, Any], *, version: str) -> Procedure:
    """A county's version of ``procedure``: ``{"publicity_days": {"first_publicity": 5}, "quorum":
    {"democratic_review": "3/4"}, "roles": {...}, "evidence": {"township_review": ["opinion",
    "signatures"]}}``. Unknown keys or steps are refused; the result is validated and carries ``version``."""
    unknown = set(overrides) - set(OVERRIDE_KEYS)
    if unknown:
        raise ProcedureError("invalid_override", f"不能覆盖的设置: {sorted(unknown)}",
                             f"cannot override {sorted(unknown)}; allowed: {', '.join(OVERRIDE_KEYS)}",
                             field_name="overrides")
    steps = {s.id: s for s in procedure.steps}
    for key, per_step in overrides.items():
        if not isinstance(per_step, Mapping):
            raise ProcedureError("invalid_override", f"{key} 应为 环节→值 的映射", f"{key} must map step ids to values",
                                 field_name="overrides")
        for step_id, value in per_step.items():
            if step_id not in steps:
                raise ProcedureError("invalid_override", f"本程序没有环节「{step_id}」",
                                     f"the procedure has no step {step_id!r}", field_name="overrides")
            s = steps[step_id]
            if key == "publicity_days":
                if not s.is_publicity:
                    raise ProcedureError("invalid_override", f"「{s.label_zh}」不是公示环节",
                                         f"{step_id} is not a publicity step", field_name="overrides")
                steps[step_id] = replace(s, publicity_days=int(value))
            elif key == "quorum":
                steps[step_id] = replace(s, quorum=Share.parse(value))
            elif key == "majority":
                steps[step_id] = replace(s, majority=Share.parse(value))
            elif key == "roles":
                steps[step_id] = replace(s, roles=frozenset(str(r) for r in value))
            else:
                steps[step_id] = replace(s, evidence=tuple(str(e) for e in value))
    return replace(procedure, version=version, steps=tuple(steps[s.id] for s in procedure.steps))


# --------------------------------------------------------------------------------- states and actions


class CaseStatus:
    """案件状态 — mirrored by the Django choices of the identification app."""

    IN_PROGRESS = "in_progress"
    REGISTERED = "registered"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    LABELS = {IN_PROGRESS: ("办理中", "in progress"), REGISTERED: ("已建档", "registered"),
              REJECTED: ("已驳回", "rejected"), WITHDRAWN: ("已撤回", "withdrawn")}


class ActionKind:
    """What a user asks the procedure to do."""

    COMPLETE = "complete"
    REJECT = "reject"
    OBJECT = "object"
    RESOLVE = "resolve"
    WITHDRAW = "withdraw"
    LABELS = {COMPLETE: ("完成环节", "step completed"), REJECT: ("驳回", "rejected"),
              OBJECT: ("登记异议", "objection recorded"), RESOLVE: ("处理异议", "objection resolved"),
              WITHDRAW: ("撤回申请", "application withdrawn")}


@dataclass(frozen=True)
class CaseState:
    """Where a case stands: the current step (the next to be done), when the case entered it (a
    publicity period starts then), the date of its last event, and the objections at this step."""

    step_id: str
    status: str = CaseStatus.IN_PROGRESS
    step_started_on: dt.date = dt.date.min
    last_action_on: dt.date = dt.date.min
    open_objections: int = 0
    upheld_objections: int = 0


@dataclass(frozen=True)
class Decision:
    """The automatic decision as the procedure sees it (made by :mod:`fupin.rules`)."""

    eligible: bool
    reasons: tuple[str, ...] = ()
    policy_version: str = ""
    outcome_label: str = ""


@dataclass(frozen=True)
class Action:
    """A requested action on one step, by a user of ``role``, dated ``on``."""

    kind: str
    step_id: str
    role: str
    on: dt.date
    evidence: Mapping[str, Any] = field(default_factory=dict)
    comment: str = ""
    upheld: bool = False
    decision: Decision | None = None


@dataclass(frozen=True)
class Transition:
    """The result of an action: the new state, the step completed (if any), the step entered (if
    any), and the evidence as stored (typed, JSON-safe)."""

    state: CaseState
    action: Action
    completed: Step | None = None
    entered: Step | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def registered(self) -> bool:
        return self.state.status == CaseStatus.REGISTERED

    @property
    def closed(self) -> bool:
        return self.state.status != CaseStatus.IN_PROGRESS


def initial_state(procedure: Procedure, on: dt.date) -> CaseState:
    """A new case, at the first step (农户申请), on ``on``."""
    return CaseState(step_id=procedure.steps[0].id, step_started_on=on, last_action_on=on)


def earliest_end(step: Step, started_on: dt.date) -> dt.date | None:
    """The first day a publicity step may be completed: the start plus the minimum days (a notice
    posted on 1 March for 7 days may be closed on 8 March)."""
    return None if step.publicity_days is None else started_on + dt.timedelta(days=step.publicity_days)


# ---------------------------------------------------------------------------------------- evidence


def _date_value(raw: Any) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    return dt.date.fromisoformat(str(raw).strip())


def clean_fields(fields: Iterable[EvidenceField], evidence: Mapping[str, Any], *,
                 on: dt.date) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The values of ``fields`` in ``evidence``, typed (ints, ISO dates, stripped text), and the errors by
    ``evidence.<name>`` (missing, malformed, a negative number, a date after the action's date ``on``)."""
    out: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for f in fields:
        raw = evidence.get(f.name)
        key = f"evidence.{f.name}"
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            errors.setdefault(key, []).append(f"请填写{f.label_zh} / {f.label_en} is required")
            continue
        if f.kind == "int":
            try:
                value: Any = int(str(raw).strip())
            except ValueError:
                errors.setdefault(key, []).append(f"{f.label_zh}应为整数 / {f.label_en} must be a whole number")
                continue
            if value < 0:
                errors.setdefault(key, []).append(f"{f.label_zh}不能为负数 / {f.label_en} cannot be negative")
                continue
            out[f.name] = value
        elif f.kind == "date":
            try:
                day = _date_value(raw)
            except ValueError:
                errors.setdefault(key, []).append(f"{f.label_zh}应为日期(YYYY-MM-DD) / {f.label_en} must be a date")
                continue
            if day > on:
                errors.setdefault(key, []).append(f"{f.label_zh} {day} 晚于办理日期 {on} / {f.label_en} {day} is "
                                                  f"after the date of the action {on}")
                continue
            out[f.name] = day.isoformat()
        else:
            out[f.name] = str(raw).strip()
    return out, errors


def missing_evidence(step: Step, labels: Iterable[str], errors: dict[str, list[str]]) -> ProcedureError:
    """缺少或填错材料 — the refusal naming (``labels``, in Chinese) every missing or malformed field of ``step``."""
    return ProcedureError("missing_evidence", f"「{step.label_zh}」缺少或填错材料: {'、'.join(labels)}",
                          f"{step.label_en}: evidence missing or invalid", errors=errors)


def clean_evidence(step: Step, evidence: Mapping[str, Any], *, on: dt.date) -> dict[str, Any]:
    """The evidence ``step`` requires, typed (ints, ISO dates, stripped text), or ProcedureError
    ``missing_evidence`` naming every missing or malformed field. Fields the step does not ask for are
    dropped; a date may not lie after the action's date ``on``."""
    out, errors = clean_fields(step.evidence_fields(), evidence, on=on)
    if errors:
        raise missing_evidence(step, [_field_of(k.split(".", 1)[1]).label_zh for k in errors], errors)
    return out


def check_meeting(step: Step, meeting: Mapping[str, Any]) -> None:
    """民主评议: present ≤ total, votes ≤ present, the quorum (default ≥ 2/3 present) and the majority
    (more than half of those present in favour)."""
    total, present = int(meeting["representatives_total"]), int(meeting["representatives_present"])
    votes_for, votes_against = int(meeting["votes_for"]), int(meeting["votes_against"])
    if total == 0:
        raise ProcedureError("invalid_evidence", "应到代表人数不能为0", "there must be representatives",
                             errors={"evidence.representatives_total": ["应到代表人数不能为0 / cannot be 0"]})
    if present > total:
        raise ProcedureError("invalid_evidence", f"实到代表{present}人多于应到{total}人",
                             f"{present} present is more than the {total} representatives",
                             errors={"evidence.representatives_present": [
                                 f"实到{present}人多于应到{total}人 / more present than in total"]})
    if votes_for + votes_against > present:
        raise ProcedureError("invalid_evidence", f"赞成{votes_for}票加反对{votes_against}票多于实到{present}人",
                             f"{votes_for} for + {votes_against} against is more than the {present} present",
                             errors={"evidence.votes_for": ["票数多于实到人数 / more votes than present"]})
    if step.quorum is not None and not step.quorum.reached_by(present, total):
        need = step.quorum.needed_of(total)
        raise ProcedureError(
            "quorum_not_met",
            f"到会代表不足法定人数: 应到{total}人,实到{present}人,至少需{need}人({step.quorum})",
            f"quorum not met: {present} of {total} representatives present, at least {need} needed "
            f"({step.quorum})",
            errors={"evidence.representatives_present": [
                f"至少需{need}人到会 / at least {need} must be present"]})
    if step.majority is not None and not step.majority.exceeded_by(votes_for, present):
        raise ProcedureError(
            "not_approved",
            f"评议未获通过: 实到{present}人,赞成{votes_for}票,未超过{step.majority};应驳回申请",
            f"the assembly did not approve: {votes_for} for of {present} present is not more than "
            f"{step.majority}; reject the application instead",
            errors={"evidence.votes_for": [f"赞成票未过半 / not more than {step.majority} in favour"]})


# ------------------------------------------------------------------------------------- the transition


def _require_role(step: Step, role: str, allowed: Iterable[str] | None = None, *, doing: str = "办理") -> None:
    allowed_set = frozenset(allowed) if allowed is not None else step.roles
    if role not in allowed_set:
        names = "、".join(role_policy.ROLES[r].zh for r in sorted(allowed_set) if r in role_policy.ROLES)
        role_zh = role_policy.ROLES[role].zh if role in role_policy.ROLES else role
        raise ProcedureError("wrong_role", f"{role_zh}不能{doing}「{step.label_zh}」,应由{names}办理",
                             f"a {role} user cannot act on {step.label_en}; it is for: "
                             f"{', '.join(sorted(allowed_set))}", field_name="role")


def _require_comment(action: Action, zh: str, en: str) -> str:
    text = action.comment.strip()
    if not text:
        raise ProcedureError("reason_required", zh, en, field_name="comment")
    return text


def _at_current_step(procedure: Procedure, state: CaseState, action: Action) -> Step:
    step = procedure.step(action.step_id)
    current = procedure.step(state.step_id)
    if step.id != current.id:
        done = procedure.index(step.id) < procedure.index(current.id)
        why_zh = "该环节已完成" if done else "前面的环节尚未完成"
        why_en = "that step is done" if done else "the steps before it are not done"
        raise ProcedureError(
            "illegal_transition",
            f"不能办理「{step.label_zh}」: 当前环节是「{current.label_zh}」({why_zh})",
            f"cannot act on {step.label_en}: the case is at {current.label_en} ({why_en})")
    return step


def _check_publicity_over(step: Step, state: CaseState, on: dt.date) -> None:
    if state.open_objections:
        raise ProcedureError(
            "objection_open",
            f"「{step.label_zh}」有{state.open_objections}条异议未处理,处理后才能结束公示",
            f"{state.open_objections} objection(s) at {step.label_en} are not resolved; resolve them first",
            field_name="objections")
    if state.upheld_objections:
        raise ProcedureError(
            "objection_upheld", f"「{step.label_zh}」有{state.upheld_objections}条异议成立,应驳回申请",
            f"{state.upheld_objections} objection(s) at {step.label_en} were upheld; reject the application",
            field_name="objections")
    end = earliest_end(step, state.step_started_on)
    if end is not None and on < end:
        raise ProcedureError(
            "publicity_too_short",
            f"公示期未满{step.publicity_days}天: 自{state.step_started_on.isoformat()}起公示,"
            f"最早{end.isoformat()}可结束",
            f"the publicity period of {step.publicity_days} days is not over: it began on "
            f"{state.step_started_on.isoformat()} and may end on {end.isoformat()} at the earliest",
            field_name="on")


def transition(procedure: Procedure, state: CaseState, action: Action) -> Transition:
    """The state after ``action``, or :class:`ProcedureError`. Pure: no clock, no database."""
    if state.status != CaseStatus.IN_PROGRESS:
        zh, en = CaseStatus.LABELS.get(state.status, (state.status, state.status))
        raise ProcedureError("case_closed", f"本申请已结束({zh}),不能再办理", f"the case is closed ({en})")
    if action.on < state.last_action_on:
        raise ProcedureError(
            "date_order", f"办理日期{action.on.isoformat()}早于上一次办理日期{state.last_action_on.isoformat()}",
            f"the date {action.on.isoformat()} is before the last action on {state.last_action_on.isoformat()}",
            field_name="on")
    kind = action.kind
    if kind == ActionKind.COMPLETE:
        return _complete(procedure, state, action)
    if kind == ActionKind.REJECT:
        step = _at_current_step(procedure, state, action)
        if not step.may_reject:
            raise ProcedureError("cannot_reject", f"「{step.label_zh}」环节不能驳回", f"{step.label_en} cannot reject")
        _require_role(step, action.role, doing="驳回")
        _require_comment(action, "驳回须说明理由", "a rejection needs a reason")
        return Transition(replace(state, status=CaseStatus.REJECTED, last_action_on=action.on), action)
    if kind == ActionKind.OBJECT:
        step = _at_current_step(procedure, state, action)
        if not step.is_publicity:
            raise ProcedureError("not_publicity", f"「{step.label_zh}」不是公示环节,不能登记异议",
                                 f"{step.label_en} is not a publicity step: objections are recorded during publicity")
        _require_role(step, action.role, OBJECTION_ROLES, doing="登记异议于")
        _require_comment(action, "请填写异议内容", "the objection needs its text")
        return Transition(replace(state, open_objections=state.open_objections + 1, last_action_on=action.on), action)
    if kind == ActionKind.RESOLVE:
        step = _at_current_step(procedure, state, action)
        if state.open_objections < 1:
            raise ProcedureError("no_open_objection", "没有未处理的异议", "there is no open objection",
                                 field_name="objections")
        _require_role(step, action.role, OBJECTION_ROLES, doing="处理异议于")
        _require_comment(action, "请填写处理结果", "the resolution needs its text")
        return Transition(replace(state, open_objections=state.open_objections - 1,
                                  upheld_objections=state.upheld_objections + (1 if action.upheld else 0),
                                  last_action_on=action.on), action)
    if kind == ActionKind.WITHDRAW:
        step = procedure.step(state.step_id)
        _require_role(step, action.role, WITHDRAW_ROLES, doing="撤回")
        _require_comment(action, "撤回须说明理由", "a withdrawal needs a reason")
        return Transition(replace(state, status=CaseStatus.WITHDRAWN, last_action_on=action.on), action)
    raise ProcedureError("unknown_action", f"未知的操作「{kind}」", f"unknown action {kind!r}", field_name="action")


def _complete(procedure: Procedure, state: CaseState, action: Action) -> Transition:
    step = _at_current_step(procedure, state, action)
    _require_role(step, action.role)
    if step.is_publicity:
        _check_publicity_over(step, state, action.on)
    evidence = clean_evidence(step, action.evidence, on=action.on)
    if "meeting" in step.evidence:
        check_meeting(step, evidence)
    if step.runs_decision:
        decision = action.decision
        if decision is None:
            raise ProcedureError("decision_missing", f"「{step.label_zh}」需要自动判定结果",
                                 f"{step.label_en} needs the automatic decision", field_name="decision")
        if not decision.eligible:
            reasons = "、".join(decision.reasons) or "无 none"
            outcome = decision.outcome_label or "不符合识别条件 not eligible"
            raise ProcedureError(
                "decision_negative",
                f"自动判定为「{outcome}」(理由: {reasons};政策版本 {decision.policy_version}),"
                f"不能通过「{step.label_zh}」;请核实数据或驳回申请",
                f"the automatic decision is {outcome} (reasons: {reasons}; policy {decision.policy_version}); "
                "check the data or reject the application", field_name="decision")
    following = procedure.next_step(step.id)
    if following is None:
        new_state = replace(state, status=CaseStatus.REGISTERED, last_action_on=action.on,
                            open_objections=0, upheld_objections=0)
    else:
        new_state = CaseState(step_id=following.id, step_started_on=action.on, last_action_on=action.on)
    return Transition(new_state, action, completed=step, entered=following, evidence=evidence)


def allowed_actions(procedure: Procedure, state: CaseState, role: str) -> list[str]:
    """The actions a user of ``role`` may try now (for the pages: which buttons to show)."""
    if state.status != CaseStatus.IN_PROGRESS:
        return []
    step = procedure.step(state.step_id)
    out: list[str] = []
    if role in step.roles:
        out.append(ActionKind.COMPLETE)
        if step.may_reject:
            out.append(ActionKind.REJECT)
    if step.is_publicity and role in OBJECTION_ROLES:
        out.append(ActionKind.OBJECT)
        if state.open_objections:
            out.append(ActionKind.RESOLVE)
    if role in WITHDRAW_ROLES:
        out.append(ActionKind.WITHDRAW)
    return out


__all__ = [
    "DEFAULT_PROCEDURE", "EVIDENCE_KINDS", "PROCEDURES", "PROCEDURE_DATA", "STEP_LIBRARY", "Action", "ActionKind",
    "CaseState", "CaseStatus", "Decision", "EvidenceField", "EvidenceKind", "Procedure", "ProcedureError", "Share", "Step",
    "Transition", "allowed_actions", "apply_overrides", "build_procedure", "check_meeting", "clean_evidence",
    "clean_fields", "earliest_end", "get_procedure", "initial_state", "missing_evidence", "step_problems", "transition",
    "validate_procedure",
]
