"""Writes of the identification procedure (识别程序): the only way a case moves.

Each verb: scope check (``identification.perform`` in the case's village, else 404) → lock the case →
the pure transition (:func:`fupin.policy.procedure.transition`: current step, role, evidence, quorum,
publicity period, objections) → save the case → append a :class:`ProcedureEvent` → the audit trail
(:mod:`fupin.core.audit`) — in one transaction. A refusal is :class:`IdentificationError` (a
:class:`~fupin.registry.services.RegistryError`, so pages and the API show it as any refused write,
422 in the API) with the procedure's Chinese and English message; nothing is half-written.

The registry is touched only through :mod:`fupin.registry.services`: an application creates the
household with status ``applicant``; 建档 (the last step) admits it (status ``active``, 脱贫状态 0, a
handbook number); a rejection or a withdrawal declines it (``declined``, with the reason).

The automatic decision (income test and 八不入 exclusions, :func:`fupin.rules.services.decide_household`)
runs when a step with ``runs_decision`` (民主评议, 县级复审) is completed, after every other check has
passed and in its own transaction, so the stored decision stays visible on the case page even when it
refuses the step (a household the rules find not eligible cannot pass: check the data, or reject).

Decisions where the issue was silent are in docs/identification.md.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from django.db import transaction
from django.utils import timezone

from fupin.core import audit
from fupin.core.models import ChangeAction
from fupin.core.scoping import ScopeError, require_in_scope
from fupin.policy import roles
from fupin.policy.procedure import (
    DEFAULT_PROCEDURE,
    Action,
    ActionKind,
    CaseState,
    Decision,
    Procedure,
    ProcedureError,
    Transition,
    apply_overrides,
    get_procedure,
    initial_state,
    transition,
)
from fupin.policy.regions import ancestor_codes
from fupin.registry import services as registry_services
from fupin.registry.choices import RecordStatus
from fupin.registry.models import Household
from fupin.registry.services import RegistryError, VersionConflict

from .choices import IdentificationStatus
from .models import IdentificationCase, Objection, ProcedureEvent, ProcedureSetting

NOT_FOUND = "不存在或无权操作 / not found"


class IdentificationError(RegistryError):
    """A refused procedure action; ``code`` is the procedure's error code (``publicity_too_short`` …)."""

    code: str = ""

    @classmethod
    def of(cls, err: ProcedureError, *, prefix: str = "") -> IdentificationError:
        out = cls(prefix + err.message, dict(err.field_errors))
        out.code = err.code
        return out


def today() -> dt.date:
    return timezone.localdate()


def _check_date(on: dt.date | None) -> dt.date:
    day = on or today()
    if day > today():
        raise IdentificationError(f"办理日期{day.isoformat()}晚于今天 / the date {day.isoformat()} is in the future",
                                  {"on": ["不能晚于今天 / cannot be in the future"]})
    return day


def _role(actor: Any) -> str:
    return str(getattr(actor, "role", ""))


# ------------------------------------------------------------------------------------ procedures


def effective_procedure(village_code: str, on: dt.date) -> Procedure:
    """The procedure a new case in ``village_code`` follows on ``on``: the setting of the deepest region
    above the village valid that day (county overrides applied), else the national default."""
    ancestors = list(ancestor_codes(village_code).values())
    settings = list(ProcedureSetting.objects.filter(region_code__in=ancestors, valid_from__lte=on))
    if not settings:
        return get_procedure(DEFAULT_PROCEDURE)
    best = max(settings, key=lambda s: (ancestors.index(s.region_code), s.valid_from, s.pk))
    try:
        base = get_procedure(best.procedure_id)
        return apply_overrides(base, best.overrides, version=best.version) if best.overrides else base
    except ProcedureError as err:
        raise IdentificationError.of(err, prefix=f"识别程序设置 {best.version} 有误 / invalid setting: ") from err


# ------------------------------------------------------------------------------------ the machinery


def _lock_case(actor: Any, case_id: int) -> IdentificationCase:
    case = (IdentificationCase.objects.select_for_update().select_related("household")
            .filter(pk=case_id).first())
    if case is None:
        raise ScopeError(NOT_FOUND)
    require_in_scope(actor, case.village_code, roles.PERFORM_IDENTIFICATION)
    return case


def _read_case(actor: Any, case_id: int) -> IdentificationCase:
    case = IdentificationCase.objects.select_related("household").filter(pk=case_id).first()
    if case is None:
        raise ScopeError(NOT_FOUND)
    require_in_scope(actor, case.village_code, roles.PERFORM_IDENTIFICATION)
    return case


def _check_version(case: IdentificationCase, expected_version: int | None) -> None:
    if expected_version is not None and int(expected_version) != case.version:
        raise VersionConflict(
            "该申请已被他人办理,请刷新后重试 / someone else acted on this case after you opened it; reload",
            {"version": [f"您打开的是第{expected_version}版,当前是第{case.version}版 / you opened version "
                         f"{expected_version}, the current one is {case.version}"]})


def _try(procedure: Procedure, state: CaseState, action: Action, *, prefix: str = "") -> Transition:
    try:
        return transition(procedure, state, action)
    except ProcedureError as err:
        raise IdentificationError.of(err, prefix=prefix) from err


def _decision_of(stored: Any) -> Decision:
    """The procedure's view of a stored :class:`fupin.rules.models.HouseholdDecision`."""
    reasons = tuple(str(r.get("label_zh") or r.get("rule_id")) for r in (stored.reasons or [])
                    if isinstance(r, Mapping))
    return Decision(eligible=stored.outcome == "eligible", reasons=reasons, policy_version=stored.policy_version,
                    outcome_label=str(getattr(stored, "outcome_label", stored.outcome)))


def _decide(household: Household, *, actor: Any, step_id: str) -> Any:
    """Run and store the automatic decision (contract B) in its own transaction."""
    from fupin.rules import services as rule_services

    try:
        return rule_services.decide_household(household, actor=actor, context=step_id)
    except rule_services.RulesRefused as err:
        raise IdentificationError(f"自动判定未能进行: {err} / the automatic decision could not be made",
                                  {"decision": [str(err)]}) from err


def _audit_case(case: IdentificationCase, before: dict[str, Any], *, actor: Any, source: str, comment: str,
                created: bool = False) -> None:
    fields = ("step", "status", "open_objections", "upheld_objections", "procedure_version")
    changes = audit.diff(before, audit.field_values(case, fields))
    audit.record(actor=actor, action=ChangeAction.CREATE if created else ChangeAction.STATUS, obj=case,
                 changes=changes, household_id=case.household_id, region_code=case.village_code, source=source,
                 comment=comment)


def _apply(case: IdentificationCase, result: Transition, *, actor: Any, source: str, decision_id: int | None = None,
           objection: Objection | None = None, batch: str = "", created: bool = False) -> ProcedureEvent:
    """Store a transition: the case, one event, the audit row, and the registry status at the end."""
    action = result.action
    before = {} if created else audit.field_values(
        case, ("step", "status", "open_objections", "upheld_objections", "procedure_version"))
    case.set_state(result.state)
    if result.closed:
        case.closed_on = action.on
        if action.kind in (ActionKind.REJECT, ActionKind.WITHDRAW):
            case.outcome_comment = action.comment.strip()
    case.version += 0 if created else 1
    case.save()
    event = ProcedureEvent.objects.create(
        case=case, step=action.step_id, action=action.kind, on=action.on, actor=actor if getattr(actor, "pk", None)
        else None, actor_name=audit.actor_name(actor), actor_role=_role(actor), evidence=result.evidence,
        comment=action.comment.strip(), objection=objection, decision_id=decision_id, batch=batch, source=source)
    label = f"识别程序 {case.get_procedure().step(action.step_id).label_zh}: {action.kind}"
    _audit_case(case, before, actor=actor, source=source, comment=label, created=created)
    if result.registered:
        registry_services.admit_household(actor=actor, household_id=case.household_id, year=action.on.year,
                                          comment=f"识别程序建档 / registered by case #{case.pk}", source=source)
    elif action.kind in (ActionKind.REJECT, ActionKind.WITHDRAW):
        verb = "驳回" if action.kind == ActionKind.REJECT else "撤回"
        registry_services.decline_household(actor=actor, household_id=case.household_id,
                                            reason=f"识别程序{verb}: {action.comment.strip()}", source=source)
    return event


# ------------------------------------------------------------------------------------ starting a case


def _application_evidence(evidence: Mapping[str, Any] | None, members: Sequence[Mapping[str, Any]],
                          on: dt.date) -> dict[str, Any]:
    """申请书: the applicant defaults to the head of household (户主), the date to the day of the action."""
    out = dict(evidence or {})
    if not str(out.get("applicant") or "").strip():
        head = next((m for m in members if str(m.get("relation")) == "01"), members[0] if members else {})
        out["applicant"] = str(head.get("name") or "")
    out.setdefault("applied_on", on.isoformat())
    if not out.get("applied_on"):
        out["applied_on"] = on.isoformat()
    return out


def start_case(
    *, actor: Any, village_code: str, data: Mapping[str, Any], members: list[Mapping[str, Any]],
    evidence: Mapping[str, Any] | None = None, comment: str = "", on: dt.date | None = None,
    procedure_id: str | None = None, source: str = "web",
) -> IdentificationCase:
    """农户申请 — a new application: the household (status applicant) with its members, and its case at
    the step after the application. ``procedure_id`` picks a shipped procedure instead of the region's."""
    day = _check_date(on)
    require_in_scope(actor, village_code, roles.PERFORM_IDENTIFICATION)
    procedure = get_procedure(procedure_id) if procedure_id else effective_procedure(village_code, day)
    first = procedure.steps[0]
    action = Action(kind=ActionKind.COMPLETE, step_id=first.id, role=_role(actor), on=day,
                    evidence=_application_evidence(evidence, members, day), comment=comment)
    result = _try(procedure, initial_state(procedure, day), action)  # role and evidence, before anything is written
    with transaction.atomic():
        household = registry_services.create_household(actor=actor, village_code=village_code, data=data,
                                                       members=members, source=source,
                                                       status=RecordStatus.APPLICANT)
        case = _new_case(household, procedure, day)
        _apply(case, result, actor=actor, source=source, created=True)
    return case


def _new_case(household: Household, procedure: Procedure, day: dt.date) -> IdentificationCase:
    case = IdentificationCase(
        household=household, procedure_id=procedure.id, procedure_version=procedure.version,
        procedure=procedure.to_dict(), started_on=day, **{
            f: getattr(household, f) for f in ("province_code", "city_code", "county_code", "township_code",
                                               "village_code")})
    case.set_state(initial_state(procedure, day))
    return case


def reapply(*, actor: Any, household_id: int, evidence: Mapping[str, Any] | None = None, comment: str = "",
            on: dt.date | None = None, procedure_id: str | None = None, source: str = "web") -> IdentificationCase:
    """再次申请 — a household not admitted before (declined) applies again: a new case."""
    day = _check_date(on)
    household = Household.objects.filter(pk=household_id).first()
    if household is None:
        raise ScopeError(NOT_FOUND)
    require_in_scope(actor, household.village_code, roles.PERFORM_IDENTIFICATION)
    if household.status != RecordStatus.DECLINED:
        raise IdentificationError("只有未纳入的户可以再次申请 / only a household not admitted can apply again",
                                  {"household": [str(RecordStatus(household.status).label)]})
    procedure = get_procedure(procedure_id) if procedure_id else effective_procedure(household.village_code, day)
    members = list(household.members.filter(status=RecordStatus.ACTIVE).values("name", "relation"))
    action = Action(kind=ActionKind.COMPLETE, step_id=procedure.steps[0].id, role=_role(actor), on=day,
                    evidence=_application_evidence(evidence, members, day), comment=comment)
    result = _try(procedure, initial_state(procedure, day), action)
    with transaction.atomic():
        household = registry_services.reopen_application(actor=actor, household_id=household.pk,
                                                          comment="再次申请 / applies again", source=source)
        case = _new_case(household, procedure, day)
        _apply(case, result, actor=actor, source=source, created=True)
    return case


# ------------------------------------------------------------------------------------ one case


def perform_step(
    *, actor: Any, case_id: int, step: str, evidence: Mapping[str, Any] | None = None, comment: str = "",
    on: dt.date | None = None, expected_version: int | None = None, source: str = "web",
) -> IdentificationCase:
    """完成环节 — complete the case's current step ``step`` (on ``on``, default today) with its evidence."""
    day = _check_date(on)
    case = _read_case(actor, case_id)
    action = Action(kind=ActionKind.COMPLETE, step_id=step, role=_role(actor), on=day, evidence=dict(evidence or {}),
                    comment=comment)
    procedure = case.get_procedure()
    stored = None
    if procedure.has_step(step) and procedure.step(step).runs_decision:
        # every other check first (a provisional "eligible"), so a refused step makes no decision
        _try(procedure, case.state(), replace(action, decision=Decision(eligible=True)))
        stored = _decide(case.household, actor=actor, step_id=step)
        action = replace(action, decision=_decision_of(stored))
    with transaction.atomic():
        case = _lock_case(actor, case_id)
        _check_version(case, expected_version)
        result = _try(case.get_procedure(), case.state(), action)
        _apply(case, result, actor=actor, source=source, decision_id=getattr(stored, "pk", None))
    return case


def reject(*, actor: Any, case_id: int, reason: str, on: dt.date | None = None,
           expected_version: int | None = None, source: str = "web") -> IdentificationCase:
    """驳回 — the application is refused at the current step, with the reason (the household: 未纳入)."""
    day = _check_date(on)
    with transaction.atomic():
        case = _lock_case(actor, case_id)
        _check_version(case, expected_version)
        action = Action(kind=ActionKind.REJECT, step_id=case.step, role=_role(actor), on=day, comment=reason)
        _apply(case, _try(case.get_procedure(), case.state(), action), actor=actor, source=source)
    return case


def withdraw(*, actor: Any, case_id: int, reason: str, on: dt.date | None = None,
             expected_version: int | None = None, source: str = "web") -> IdentificationCase:
    """撤回 — the household withdraws its application (recorded by a cadre or officer), with the reason."""
    day = _check_date(on)
    with transaction.atomic():
        case = _lock_case(actor, case_id)
        _check_version(case, expected_version)
        action = Action(kind=ActionKind.WITHDRAW, step_id=case.step, role=_role(actor), on=day, comment=reason)
        _apply(case, _try(case.get_procedure(), case.state(), action), actor=actor, source=source)
    return case


def record_objection(*, actor: Any, case_id: int, raised_by: str, text: str, on: dt.date | None = None,
                     source: str = "web") -> Objection:
    """登记异议 — an objection raised during the current publicity step; it blocks the step until resolved."""
    day = _check_date(on)
    with transaction.atomic():
        case = _lock_case(actor, case_id)
        action = Action(kind=ActionKind.OBJECT, step_id=case.step, role=_role(actor), on=day, comment=text)
        result = _try(case.get_procedure(), case.state(), action)
        objection = Objection.objects.create(
            case=case, step=case.step, raised_by=raised_by.strip() or "匿名", text=text.strip(), raised_on=day,
            recorded_by=actor if getattr(actor, "pk", None) else None, recorded_by_name=audit.actor_name(actor))
        _apply(case, result, actor=actor, source=source, objection=objection)
    return objection


def resolve_objection(*, actor: Any, objection_id: int, resolution: str, upheld: bool = False,
                      on: dt.date | None = None, source: str = "web") -> Objection:
    """处理异议 — record the finding; an upheld objection (异议成立) means the case must be rejected."""
    day = _check_date(on)
    case_id = Objection.objects.filter(pk=objection_id).values_list("case_id", flat=True).first()
    if case_id is None:
        raise ScopeError(NOT_FOUND)
    with transaction.atomic():
        case = _lock_case(actor, case_id)
        objection = Objection.objects.select_for_update().get(pk=objection_id)
        if not objection.is_open:
            raise IdentificationError("该异议已处理 / the objection is already resolved", {"objection": ["resolved"]})
        if objection.step != case.step:
            raise IdentificationError("该异议不属于当前环节 / the objection belongs to another step",
                                      {"objection": [objection.step]})
        if day < objection.raised_on:
            raise IdentificationError(f"处理日期早于异议提出日期{objection.raised_on} / resolved before it was raised",
                                      {"on": [objection.raised_on.isoformat()]})
        action = Action(kind=ActionKind.RESOLVE, step_id=case.step, role=_role(actor), on=day, comment=resolution,
                        upheld=upheld)
        result = _try(case.get_procedure(), case.state(), action)
        objection.resolved_on, objection.resolution, objection.upheld = day, resolution.strip(), upheld
        objection.resolved_by = actor if getattr(actor, "pk", None) else None
        objection.resolved_by_name = audit.actor_name(actor)
        objection.save()
        _apply(case, result, actor=actor, source=source, objection=objection)
    return objection


# ------------------------------------------------------------------------------------ a village at once


def _describe(case: IdentificationCase) -> str:
    h = case.household
    return f"户编号 {h.household_number}({h.head_name or '—'})"


def advance_village(
    *, actor: Any, village_code: str, step: str, evidence: Mapping[str, Any] | None = None, comment: str = "",
    on: dt.date | None = None, source: str = "web",
) -> list[IdentificationCase]:
    """整村办理 — every open case of the village at ``step`` completes it together, or none does.

    The same evidence (one assembly's attendance and votes, one review opinion …) is recorded on each
    case. Every case is checked first; if any is refused the batch stops and the error names each
    blocking household (户编号 and head) with its reason. At a decision step the decisions are made (and
    kept) before the batch is written; a negative one blocks the batch like any other refusal."""
    day = _check_date(on)
    require_in_scope(actor, village_code, roles.PERFORM_IDENTIFICATION)
    cases = list(IdentificationCase.objects.select_related("household")
                 .filter(village_code=village_code, step=step, status=IdentificationStatus.IN_PROGRESS)
                 .order_by("household__household_number"))
    if not cases:
        raise IdentificationError(f"该村没有处于「{step}」环节的申请 / no case of the village is at {step}",
                                  {"step": [step]})
    base = Action(kind=ActionKind.COMPLETE, step_id=step, role=_role(actor), on=day, evidence=dict(evidence or {}),
                  comment=comment)

    def blocked(plans: list[tuple[IdentificationCase, Action]]) -> list[str]:
        problems = []
        for case, action in plans:
            try:
                transition(case.get_procedure(), case.state(), action)
            except ProcedureError as err:
                problems.append(f"{_describe(case)}: {err.message}")
        return problems

    provisional = replace(base, decision=Decision(eligible=True))
    runs_decision = any(c.get_procedure().has_step(step) and c.get_procedure().step(step).runs_decision for c in cases)
    problems = blocked([(c, provisional if runs_decision else base) for c in cases])
    label = cases[0].get_procedure().step(step).label_zh
    if problems:
        raise _batch_error(label, cases, problems)
    stored: dict[int, Any] = {}
    actions: dict[int, Action] = {c.pk: base for c in cases}
    if runs_decision:
        for case in cases:  # one decision per household: a village's list is tens of households
            stored[case.pk] = _decide(case.household, actor=actor, step_id=step)
            actions[case.pk] = replace(base, decision=_decision_of(stored[case.pk]))
        problems = blocked([(c, actions[c.pk]) for c in cases])
        if problems:
            raise _batch_error(label, cases, problems)
    batch = f"village-{village_code}-{uuid.uuid4().hex[:8]}"
    with transaction.atomic():
        locked = list(IdentificationCase.objects.select_for_update().select_related("household")
                      .filter(pk__in=[c.pk for c in cases]).order_by("household__household_number"))
        problems = []
        results = []
        for case in locked:
            require_in_scope(actor, case.village_code, roles.PERFORM_IDENTIFICATION)
            try:
                results.append((case, transition(case.get_procedure(), case.state(), actions[case.pk])))
            except ProcedureError as err:
                problems.append(f"{_describe(case)}: {err.message}")
        if problems:
            raise _batch_error(label, locked, problems)
        for case, result in results:
            _apply(case, result, actor=actor, source=source, decision_id=getattr(stored.get(case.pk), "pk", None),
                   batch=batch)
    return locked


def _batch_error(label: str, cases: list[IdentificationCase], problems: list[str]) -> IdentificationError:
    err = IdentificationError(
        f"本村{len(cases)}户中有{len(problems)}户不能办理「{label}」,整批未办理 / {len(problems)} of {len(cases)} "
        f"households cannot complete the step; nothing was done", {"households": problems})
    err.code = "batch_blocked"
    return err


__all__ = [
    "IdentificationError", "advance_village", "effective_procedure", "perform_step", "reapply", "record_objection",
    "reject", "resolve_objection", "start_case", "withdraw",
]
