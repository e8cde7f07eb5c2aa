"""The writes every case procedure shares (案件办理): 识别 :mod:`fupin.identification.services`, 退出
:mod:`fupin.exits.services` and the identification of a 监测对象 :mod:`fupin.monitoring.procedure`.

An app describes its cases once, as a :class:`CaseProcedure` (its case, event and objection models, its
refusal class, the capability its writes need, the audited fields, its transition and what it writes
to the registry), and its verbs call the ones here:

- :meth:`CaseProcedure.perform_step` — 完成环节 (with the automatic decision where the step runs one);
- :meth:`CaseProcedure.end` — 驳回/未通过 or 撤回, with the reason;
- :meth:`CaseProcedure.record_objection`, :meth:`CaseProcedure.resolve_objection` — 登记异议, 处理异议;
- :meth:`CaseProcedure.advance_village` — 整村办理, every case of a village at one step or none.

Each verb: scope check (the capability in the case's village, else 404) → lock the case → the pure
transition → save the case → append one event → the audit trail (:mod:`fupin.core.audit`) → the
registry — in one transaction. A refusal is the app's :class:`ProcedureRefusal` subclass (a
:class:`~fupin.registry.services.RegistryError`: 422 in the API); nothing is half-written.

What differs in substance (the identification's application and reapplication, the exit's proposal,
consent and criteria, monitoring's flags, income checks and risk elimination) stays in the apps; those
use :meth:`CaseProcedure.record_event`, :meth:`CaseProcedure.audit_case` and the lock for their own writes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from django.db import transaction

from fupin.core import audit
from fupin.core.models import ChangeAction
from fupin.core.scoping import ScopeError, require_in_scope
from fupin.policy import clock
from fupin.policy.procedure import Action, ActionKind, CaseStatus, Decision, ProcedureError, Transition
from fupin.registry.services import RegistryError, VersionConflict

NOT_FOUND = "不存在或无权操作 / not found"


class ProcedureRefusal(RegistryError):
    """A refused procedure action (拒绝办理); ``code`` is the procedure's error code (``publicity_too_short`` …)."""

    code: str = ""

    @classmethod
    def of(cls, err: ProcedureError, *, prefix: str = "") -> Any:
        out = cls(prefix + err.message, dict(err.field_errors))
        out.code = err.code
        return out

    @classmethod
    def coded(cls, code: str, message: str, field_errors: dict[str, list[str]] | None = None) -> Any:
        out = cls(message, field_errors or {})
        out.code = code
        return out


today = clock.today  # 今天 in China Standard Time (fupin.policy.clock); callers use this module's today()


def role(actor: Any) -> str:
    """The actor's role (角色) as the procedure checks it."""
    return str(getattr(actor, "role", ""))


def user_or_none(actor: Any) -> Any:
    """The actor as a user foreign key (None for an actor that is not a saved user)."""
    return actor if getattr(actor, "pk", None) else None


def describe(household: Any) -> str:
    """户编号 and head, as a blocking household is named in a village batch's refusal."""
    return f"户编号 {household.household_number}({household.head_name or '—'})"


def village_batch_id(village_code: str) -> str:
    """整村批次: the id shared by the events of one village batch."""
    return f"village-{village_code}-{uuid.uuid4().hex[:8]}"


def decision_reasons(stored: Any) -> tuple[str, ...]:
    """The reasons of a stored :class:`fupin.rules.models.HouseholdDecision`, as the procedure shows them."""
    return tuple(str(r.get("label_zh") or r.get("rule_id")) for r in (stored.reasons or []) if isinstance(r, Mapping))


def _nothing(*args: Any, **kwargs: Any) -> None:
    return None


def _no_decision(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError("this procedure runs no automatic decision")


@dataclass(frozen=True)
class CaseProcedure:
    """一种程序的案件 — what the shared verbs need to know of one procedure's cases.

    ``transition(case, action)``: the pure transition of the case, a refusal raised as ``error``;
    ``decide(case, actor=, step_id=, on=, source=)``: run and store the automatic decision;
    ``decision_of(stored)``: the procedure's view of it; ``check(case, action)``: what the registry must
    say for the action (after the transition); ``close(case, result)``: the case's own fields when it
    closes; ``registry(case, result, actor=, source=)``: the registry write the stored transition implies;
    ``check_batchable(step)``: refuse a step a village may not do at once.

    Hooks for a case whose model names things its own way (监测对象): ``case_field``, the foreign key of its
    event and objection models to the case (``case``; ``object``); ``this_case_en``, the case in the English
    text of a version conflict; ``settle(case, result)``, set the case's own fields after the transition
    *instead of* the default (a closed case's ``closed_on``, ``outcome_comment`` on 驳回/撤回, then
    ``close``) — for statuses the procedure does not name (监测: 建档 → ``monitored``, 驳回/撤回 →
    ``dismissed`` with ``close_reason``). An event model without ``decision_id`` / ``batch`` columns is
    fine for a procedure that runs no decision and no village batch. The texts of :meth:`check_date` and
    :meth:`check_resolvable` are the identification's; a subclass may word them otherwise."""

    audit_label: str  #: the audit comment's prefix: 识别程序, 退出程序
    noun_zh: str  #: the case in messages: 申请, 退出案件
    noun_en: str  #: case, exit case
    case_model: Any
    event_model: Any
    objection_model: Any
    error: Any  #: a ProcedureRefusal subclass
    capability: str
    audit_fields: tuple[str, ...]
    transition: Callable[[Any, Action], Transition]
    decide: Callable[..., Any] = _no_decision
    decision_of: Callable[[Any], Decision] = _no_decision
    registry: Callable[..., None] = _nothing
    check: Callable[[Any, Action], None] = _nothing
    close: Callable[[Any, Transition], None] = _nothing
    check_batchable: Callable[[str], None] = _nothing
    nothing_to_do_code: str = ""  #: the code of "no case of the village is at the step"
    case_field: str = "case"  #: the foreign key of the event and objection models to the case
    this_case_en: str = "this case"  #: the case in a version conflict's English text
    settle: Callable[[Any, Transition], None] | None = None  #: replaces the default closing (see above)

    # ------------------------------------------------------------------------------------ the machinery

    def check_date(self, on: dt.date | None) -> dt.date:
        """办理日期: ``on`` (default today); never in the future."""
        day = on or today()
        if day > today():
            raise self.error(f"办理日期{day.isoformat()}晚于今天 / the date {day.isoformat()} is in the future",
                             {"on": ["不能晚于今天 / cannot be in the future"]})
        return day

    def read_case(self, actor: Any, case_id: int) -> Any:
        """The case with its household, if in the actor's scope for the capability (else 404)."""
        case = self.case_model.objects.select_related("household").filter(pk=case_id).first()
        return self._in_scope(actor, case)

    def lock_case(self, actor: Any, case_id: int) -> Any:
        """:meth:`read_case`, the row locked (select for update) until the transaction ends."""
        case = self.case_model.objects.select_for_update().select_related("household").filter(pk=case_id).first()
        return self._in_scope(actor, case)

    def _in_scope(self, actor: Any, case: Any) -> Any:
        if case is None:
            raise ScopeError(NOT_FOUND)
        require_in_scope(actor, case.village_code, self.capability)
        return case

    def check_version(self, case: Any, expected_version: int | None) -> None:
        """并发控制: the case is still the version the user opened (else :class:`VersionConflict`, 409)."""
        if expected_version is not None and int(expected_version) != case.version:
            raise VersionConflict(
                f"该{self.noun_zh}已被他人办理,请刷新后重试 / someone else acted on {self.this_case_en} after you opened "
                "it; reload",
                {"version": [f"您打开的是第{expected_version}版,当前是第{case.version}版 / you opened version "
                             f"{expected_version}, the current one is {case.version}"]})

    def audit_case(self, case: Any, before: dict[str, Any], *, actor: Any, source: str, comment: str,
                   created: bool = False) -> None:
        """The audit row of the case (create, or a status change with the audited fields' differences)."""
        changes = audit.diff(before, audit.field_values(case, self.audit_fields))
        audit.record(actor=actor, action=ChangeAction.CREATE if created else ChangeAction.STATUS, obj=case,
                     changes=changes, household_id=case.household_id, region_code=case.village_code, source=source,
                     comment=comment)

    def record_event(self, case: Any, kind: str, on: dt.date, *, actor: Any, source: str, step: str = "",
                     evidence: Mapping[str, Any] | None = None, comment: str = "", objection: Any = None,
                     decision_id: int | None = None, batch: str = "") -> Any:
        """Append one event (程序事件) to the case's log: ``kind`` (the event's ``action``) at ``step``."""
        extra = {name: value for name, value in (("decision_id", decision_id), ("batch", batch)) if value}
        return self.event_model.objects.create(
            **{self.case_field: case}, step=step, action=kind, on=on, actor=user_or_none(actor),
            actor_name=audit.actor_name(actor), actor_role=role(actor), evidence=dict(evidence or {}),
            comment=comment.strip(), objection=objection, source=source, **extra)

    def apply(self, case: Any, result: Transition, *, actor: Any, source: str, decision_id: int | None = None,
              objection: Any = None, batch: str = "", created: bool = False) -> Any:
        """Store a transition: the case, one event, the audit row, and the registry write it implies."""
        action = result.action
        before = {} if created else audit.field_values(case, self.audit_fields)
        case.set_state(result.state)
        if self.settle is not None:
            self.settle(case, result)
        elif result.closed:
            case.closed_on = action.on
            if action.kind in (ActionKind.REJECT, ActionKind.WITHDRAW):
                case.outcome_comment = action.comment.strip()
            self.close(case, result)
        case.version += 0 if created else 1
        case.save()
        event = self.record_event(case, action.kind, action.on, actor=actor, source=source, step=action.step_id,
                                  evidence=result.evidence, comment=action.comment, objection=objection,
                                  decision_id=decision_id, batch=batch)
        label = f"{self.audit_label} {case.get_procedure().step(action.step_id).label_zh}: {action.kind}"
        self.audit_case(case, before, actor=actor, source=source, comment=label, created=created)
        self.registry(case, result, actor=actor, source=source)
        return event

    # ------------------------------------------------------------------------------------ one case

    def perform_step(self, *, actor: Any, case_id: int, step: str, evidence: Mapping[str, Any] | None = None,
                     comment: str = "", on: dt.date | None = None, expected_version: int | None = None,
                     source: str = "web") -> Any:
        """完成环节 — complete the case's current step ``step`` with its evidence. Where the step runs the
        automatic decision, it runs (and is stored, in its own transaction) once every other check has passed."""
        day = self.check_date(on)
        case = self.read_case(actor, case_id)
        action = Action(kind=ActionKind.COMPLETE, step_id=step, role=role(actor), on=day,
                        evidence=dict(evidence or {}), comment=comment)
        stored = None
        if self.runs_decision(case, step):
            # every other check first (a provisional "eligible"), so a refused step makes no decision
            self.transition(case, replace(action, decision=Decision(eligible=True)))
            stored = self.decide(case, actor=actor, step_id=step, on=day, source=source)
            action = replace(action, decision=self.decision_of(stored))
        with transaction.atomic():
            case = self.lock_case(actor, case_id)
            self.check_version(case, expected_version)
            result = self.transition(case, action)
            self.check(case, action)
            self.apply(case, result, actor=actor, source=source, decision_id=getattr(stored, "pk", None))
        return case

    def end(self, kind: str, *, actor: Any, case_id: int, reason: str, on: dt.date | None = None,
            expected_version: int | None = None, source: str = "web") -> Any:
        """驳回 (``reject``) or 撤回 (``withdraw``) the case at its current step, with the reason."""
        day = self.check_date(on)
        with transaction.atomic():
            case = self.lock_case(actor, case_id)
            self.check_version(case, expected_version)
            action = Action(kind=kind, step_id=case.step, role=role(actor), on=day, comment=reason or "")
            self.apply(case, self.transition(case, action), actor=actor, source=source)
        return case

    def record_objection(self, *, actor: Any, case_id: int, raised_by: str, text: str, on: dt.date | None = None,
                         source: str = "web") -> Any:
        """登记异议 — an objection raised during the current publicity step; it blocks the step until resolved."""
        day = self.check_date(on)
        with transaction.atomic():
            case = self.lock_case(actor, case_id)
            action = Action(kind=ActionKind.OBJECT, step_id=case.step, role=role(actor), on=day, comment=text)
            result = self.transition(case, action)
            objection = self.objection_model.objects.create(
                **{self.case_field: case}, step=case.step, raised_by=(raised_by or "").strip() or "匿名",
                text=text.strip(), raised_on=day,
                recorded_by=user_or_none(actor), recorded_by_name=audit.actor_name(actor))
            self.apply(case, result, actor=actor, source=source, objection=objection)
        return objection

    def resolve_objection(self, *, actor: Any, objection_id: int, resolution: str, upheld: bool = False,
                          on: dt.date | None = None, source: str = "web") -> Any:
        """处理异议 — the finding; an upheld objection (异议成立) means the case must then be rejected."""
        day = self.check_date(on)
        case_id = (self.objection_model.objects.filter(pk=objection_id)
                   .values_list(f"{self.case_field}_id", flat=True).first())
        if case_id is None:
            raise ScopeError(NOT_FOUND)
        with transaction.atomic():
            case = self.lock_case(actor, case_id)
            objection = self.objection_model.objects.select_for_update().get(pk=objection_id)
            self.check_resolvable(case, objection, day)
            action = Action(kind=ActionKind.RESOLVE, step_id=case.step, role=role(actor), on=day, comment=resolution,
                            upheld=upheld)
            result = self.transition(case, action)
            objection.resolved_on, objection.resolution, objection.upheld = day, resolution.strip(), upheld
            objection.resolved_by = user_or_none(actor)
            objection.resolved_by_name = audit.actor_name(actor)
            objection.save()
            self.apply(case, result, actor=actor, source=source, objection=objection)
        return objection

    def check_resolvable(self, case: Any, objection: Any, day: dt.date) -> None:
        """处理异议 is possible: the objection is still open, of the case's current step, and ``day`` is not
        before it was raised."""
        if not objection.is_open:
            raise self.error("该异议已处理 / the objection is already resolved", {"objection": ["resolved"]})
        if objection.step != case.step:
            raise self.error("该异议不属于当前环节 / the objection belongs to another step",
                             {"objection": [objection.step]})
        if day < objection.raised_on:
            raise self.error(f"处理日期早于异议提出日期{objection.raised_on} / resolved before it was raised",
                             {"on": [objection.raised_on.isoformat()]})

    @staticmethod
    def runs_decision(case: Any, step: str) -> bool:
        """Whether ``step`` of the case's procedure runs the automatic decision (no: a case whose procedure
        has not begun yet, ``get_procedure()`` None — a 监测对象 before 发现核实)."""
        procedure = case.get_procedure()
        return procedure is not None and procedure.has_step(step) and procedure.step(step).runs_decision

    # ------------------------------------------------------------------------------------ a village at once

    def advance_village(self, *, actor: Any, village_code: str, step: str, evidence: Mapping[str, Any] | None = None,
                        comment: str = "", on: dt.date | None = None, source: str = "web",
                        filters: Mapping[str, Any] | None = None) -> list[Any]:
        """整村办理 — every open case of the village at ``step`` (and ``filters``) completes it together, or
        none does.

        The same evidence (one assembly's attendance and votes, one verification record …) goes on each
        case. Every case is checked first; if any is refused the batch stops and the error names each
        blocking household (户编号 and head) with its reason. At a decision step the decisions are made
        (and kept) before the batch is written; a negative one blocks the batch like any other refusal."""
        day = self.check_date(on)
        require_in_scope(actor, village_code, self.capability)
        self.check_batchable(step)
        cases = list(self.case_model.objects.select_related("household")
                     .filter(village_code=village_code, step=step, status=CaseStatus.IN_PROGRESS, **(filters or {}))
                     .order_by("household__household_number"))
        if not cases:
            raise self.error.coded(self.nothing_to_do_code, f"该村没有处于「{step}」环节的{self.noun_zh} / no "
                                                            f"{self.noun_en} of the village is at {step}",
                                   {"step": [step]})
        base = Action(kind=ActionKind.COMPLETE, step_id=step, role=role(actor), on=day,
                      evidence=dict(evidence or {}), comment=comment)
        runs_decision = any(self.runs_decision(c, step) for c in cases)
        provisional = replace(base, decision=Decision(eligible=True))
        label = cases[0].get_procedure().step(step).label_zh
        problems = self._blocked([(c, provisional if runs_decision else base) for c in cases])
        if problems:
            raise self.batch_error(label, len(cases), problems)
        stored: dict[int, Any] = {}
        actions = {c.pk: base for c in cases}
        if runs_decision:
            for case in cases:  # one decision per household: a village's list is tens of households
                stored[case.pk] = self.decide(case, actor=actor, step_id=step, on=day, source=source)
                actions[case.pk] = replace(base, decision=self.decision_of(stored[case.pk]))
            problems = self._blocked([(c, actions[c.pk]) for c in cases])
            if problems:
                raise self.batch_error(label, len(cases), problems)
        batch = village_batch_id(village_code)
        with transaction.atomic():
            locked = list(self.case_model.objects.select_for_update().select_related("household")
                          .filter(pk__in=[c.pk for c in cases]).order_by("household__household_number"))
            results = []
            problems = []
            for case in locked:
                require_in_scope(actor, case.village_code, self.capability)
                try:
                    results.append((case, self.transition(case, actions[case.pk])))
                    self.check(case, actions[case.pk])
                except self.error as err:
                    problems.append(f"{describe(case.household)}: {err.message}")
            if problems:
                raise self.batch_error(label, len(locked), problems)
            for case, result in results:
                self.apply(case, result, actor=actor, source=source,
                           decision_id=getattr(stored.get(case.pk), "pk", None), batch=batch)
        return locked

    def _blocked(self, plans: list[tuple[Any, Action]]) -> list[str]:
        problems = []
        for case, action in plans:
            try:
                self.transition(case, action)
                self.check(case, action)
            except self.error as err:
                problems.append(f"{describe(case.household)}: {err.message}")
        return problems

    def batch_error(self, label: str, total: int, problems: list[str]) -> Any:
        """整批未办理: ``problems`` (one line per blocking household) of ``total`` households at step ``label``."""
        return self.error.coded(
            "batch_blocked", f"本村{total}户中有{len(problems)}户不能办理「{label}」,整批未办理 / {len(problems)} of "
                             f"{total} households cannot complete the step; nothing was done", {"households": problems})


__all__ = [
    "NOT_FOUND", "CaseProcedure", "ProcedureRefusal", "decision_reasons", "describe", "role", "today", "user_or_none",
    "village_batch_id",
]
