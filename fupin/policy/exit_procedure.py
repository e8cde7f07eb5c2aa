"""The household exit procedure (贫困户退出程序, 精准退出): steps as data, on the identification machinery.

The steps (``fupin/policy/data/exit_procedure.toml``, domain.md §5): 拟退出 (the village proposes the
household; done when the case opens) → 村两委民主评议 (meeting: quorum ≥ 2/3, more than half in favour)
→ 村两委和驻村工作队核实 (verification: who verified, when, and the evidence of **each** exit criterion;
the exit criteria of :mod:`fupin.policy.exit_rules` run here) → 贫困户认可 (the household's signature:
who signed and when; a refusal — 不认可 — rejects the case) → 村内公示 (≥ 7 days, objections block) →
公告退出 (county) → 销号 (county).

This module reuses the pure machinery of :mod:`fupin.policy.procedure` — :class:`Step`, the shared
evidence kinds, roles, publicity periods, objections, quorum, the automatic decision and
:func:`~fupin.policy.procedure.transition` — and adds only what exit needs:

- :class:`ExitProcedure`, a :class:`~fupin.policy.procedure.Procedure` whose first step is ``proposal``
  and last ``deregistration`` (the identification procedure's are ``application`` and ``registration``),
  with per-step **exit evidence** (:data:`EXIT_EVIDENCE_KINDS`: ``verification`` and ``consent``);
- :func:`exit_transition`: the shared transition, then the exit evidence of the step (refused with
  ``missing_evidence`` naming every missing field, like the shared evidence).

A county changes publicity days, quorum, majority, roles or the shared evidence of a step with
:func:`fupin.policy.procedure.apply_overrides` (a new version), as for identification.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from .data import read_toml
from .exit_rules import Criterion
from .procedure import (
    Action,
    ActionKind,
    CaseState,
    CaseStatus,
    EvidenceField,
    EvidenceKind,
    Procedure,
    ProcedureError,
    Step,
    Transition,
    clean_fields,
    missing_evidence,
    step_problems,
    transition,
)

FIRST_STEP = "proposal"
LAST_STEP = "deregistration"
VERIFICATION_STEP = "verification"
CONSENT_STEP = "consent"
#: The evidence field of a criterion at verification: ``criterion_<id>`` (e.g. ``criterion_food_secure``).
CRITERION_PREFIX = "criterion_"

#: The exit's own evidence kinds. ``verification`` also asks for one field per exit criterion that
#: records evidence (:attr:`fupin.policy.exit_rules.ExitRules.evidence_criteria`).
EXIT_EVIDENCE_KINDS: dict[str, EvidenceKind] = {
    "verification": EvidenceKind("verification", "入户核实记录", "verification record", (
        EvidenceField("verified_on", "核实日期", "date of the verification", "date"),
        EvidenceField("committee_verifier", "村两委核实人", "verified by (village committees)", "text"),
        EvidenceField("workteam_verifier", "驻村工作队核实人", "verified by (work team)", "text"),
    )),
    "consent": EvidenceKind("consent", "贫困户认可签字", "the household's signature", (
        EvidenceField("signed_by", "签字人(户主或家庭成员)", "signed by (the head or a member)", "text"),
        EvidenceField("signed_on", "签字日期", "date signed", "date"),
    )),
}

#: 退出案件状态 labels (the shared :class:`CaseStatus` values; "registered" is 已销号 here).
STATUS_LABELS: dict[str, tuple[str, str]] = {
    CaseStatus.IN_PROGRESS: ("办理中", "in progress"),
    CaseStatus.REGISTERED: ("已销号(已脱贫)", "exited"),
    CaseStatus.REJECTED: ("未通过", "not passed"),
    CaseStatus.WITHDRAWN: ("已撤回", "withdrawn"),
}
#: The label of a rejection at the consent step (the household does not agree).
REFUSED_LABEL = ("贫困户不认可", "the household does not agree")


def criterion_field(criterion: Criterion) -> EvidenceField:
    """The verification evidence field of one criterion."""
    return EvidenceField(f"{CRITERION_PREFIX}{criterion.id}", f"{criterion.label_zh}核实情况",
                         f"{criterion.label_en}: evidence", "text")


@dataclass(frozen=True)
class ExitProcedure(Procedure):
    """退出程序 — a :class:`Procedure` from ``proposal`` to ``deregistration`` with per-step exit evidence
    (``exit_evidence``: pairs of step id and exit evidence kinds)."""

    exit_evidence: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __post_init__(self) -> None:
        validate_exit_procedure(self)

    def exit_evidence_of(self, step_id: str) -> tuple[str, ...]:
        return dict(self.exit_evidence).get(step_id, ())

    def evidence_fields(self, step_id: str, criteria: Sequence[Criterion] = ()) -> tuple[EvidenceField, ...]:
        """Every evidence field completing ``step_id`` needs: the shared kinds', then the exit kinds'
        (at verification: the verifiers, then one field per criterion in ``criteria``)."""
        fields = list(self.step(step_id).evidence_fields())
        for kind in self.exit_evidence_of(step_id):
            fields.extend(EXIT_EVIDENCE_KINDS[kind].fields)
            if kind == "verification":
                fields.extend(criterion_field(c) for c in criteria)
        return tuple(fields)

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        extra = dict(self.exit_evidence)
        for step in out["steps"]:
            if step["id"] in extra:
                step["exit_evidence"] = list(extra[step["id"]])
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ExitProcedure:
        steps = [dict(s) for s in d["steps"]]
        extra = tuple((str(s["id"]), tuple(str(k) for k in s.pop("exit_evidence"))) for s in steps
                      if s.get("exit_evidence"))
        return cls(id=str(d["id"]), version=str(d["version"]), label_zh=str(d["label_zh"]),
                   label_en=str(d["label_en"]), source=str(d.get("source", "")),
                   steps=tuple(Step.from_dict(s) for s in steps), exit_evidence=extra)


def validate_exit_procedure(procedure: ExitProcedure) -> None:
    """Refuse a procedure the exit cannot run (ProcedureError ``invalid_procedure``): first step
    ``proposal``, last ``deregistration``, a verification step that runs the decision, known roles,
    levels and evidence kinds, publicity of at least a day (:func:`~fupin.policy.procedure.step_problems`)."""
    problems = step_problems(procedure, first=FIRST_STEP, last=LAST_STEP)
    ids = [s.id for s in procedure.steps]
    for step_id, kinds in procedure.exit_evidence:
        if step_id not in ids:
            problems.append(f"{step_id}: 没有该环节 / exit evidence for a step that is not there")
        problems.extend(f"{step_id}: 未知的退出材料 / unknown exit evidence kind {k!r}" for k in kinds
                        if k not in EXIT_EVIDENCE_KINDS)
    if VERIFICATION_STEP in ids and not procedure.step(VERIFICATION_STEP).runs_decision:
        problems.append(f"{VERIFICATION_STEP}: 核实环节须运行退出标准判定 / verification must run the exit decision")
    if problems:
        raise ProcedureError("invalid_procedure", "退出程序定义有误: " + "; ".join(problems),
                             f"invalid exit procedure {procedure.id} {procedure.version}")


@lru_cache(maxsize=1)
def load_exit_procedure() -> ExitProcedure:
    """The shipped exit procedure (``fupin/policy/data/exit_procedure.toml``)."""
    return ExitProcedure.from_dict(read_toml("exit_procedure.toml"))


# ---------------------------------------------------------------------------------------- evidence


def clean_exit_evidence(procedure: ExitProcedure, step_id: str, evidence: Mapping[str, Any], *, on: dt.date,
                        criteria: Sequence[Criterion] = ()) -> dict[str, Any]:
    """The exit evidence of ``step_id`` (not the shared kinds: :func:`transition` cleans those), typed,
    or ProcedureError ``missing_evidence`` naming every missing or malformed field. Dates may not lie
    after the action's date ``on``."""
    fields = [f for kind in procedure.exit_evidence_of(step_id) for f in EXIT_EVIDENCE_KINDS[kind].fields]
    if "verification" in procedure.exit_evidence_of(step_id):
        fields.extend(criterion_field(c) for c in criteria)
    out, errors = clean_fields(fields, evidence, on=on)
    if errors:
        labels = {f.name: f.label_zh for f in fields}
        raise missing_evidence(procedure.step(step_id), [labels[k.split(".", 1)[1]] for k in errors], errors)
    return out


def exit_transition(procedure: ExitProcedure, state: CaseState, action: Action, *,
                    criteria: Sequence[Criterion] = ()) -> Transition:
    """The state after ``action`` (:func:`fupin.policy.procedure.transition`: order, role, shared evidence,
    quorum, publicity, objections, the decision), with the exit evidence of a completed step checked
    and stored beside the shared evidence. Pure."""
    result = transition(procedure, state, action)
    if action.kind == ActionKind.COMPLETE and procedure.exit_evidence_of(action.step_id):
        extra = clean_exit_evidence(procedure, action.step_id, action.evidence, on=action.on, criteria=criteria)
        result = replace(result, evidence={**result.evidence, **extra})
    return result


def status_label(status: str, step_id: str = "") -> tuple[str, str]:
    """(Chinese, English) label of a case status; a rejection at the consent step is 贫困户不认可."""
    if status == CaseStatus.REJECTED and step_id == CONSENT_STEP:
        return REFUSED_LABEL
    return STATUS_LABELS.get(status, (status, status))


def evidence_labels(procedure: ExitProcedure, criteria: Iterable[Criterion] = ()) -> dict[str, tuple[str, str]]:
    """Evidence field name → (Chinese, English) label over every step (for the event log)."""
    crit = list(criteria)
    return {f.name: (f.label_zh, f.label_en) for s in procedure.steps for f in procedure.evidence_fields(s.id, crit)}


__all__ = [
    "CONSENT_STEP", "CRITERION_PREFIX", "EXIT_EVIDENCE_KINDS", "FIRST_STEP", "LAST_STEP", "REFUSED_LABEL",
    "STATUS_LABELS", "VERIFICATION_STEP", "ExitProcedure", "clean_exit_evidence", "criterion_field",
    "evidence_labels", "exit_transition", "load_exit_procedure", "status_label", "validate_exit_procedure",
]
