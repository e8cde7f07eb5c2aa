"""Writes of the identification procedure (识别程序): the only way a case moves.

Each verb: scope check (``identification.perform`` in the case's village, else 404) → lock the case →
the pure transition (:func:`fupin.policy.procedure.transition`: current step, role, evidence, quorum,
publicity period, objections) → save the case → append a :class:`ProcedureEvent` → the audit trail
(:mod:`fupin.core.audit`) — in one transaction (the machinery the exit shares:
:class:`fupin.core.procedure_services.CaseProcedure`, :data:`CASES`). A refusal is :class:`IdentificationError` (a
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
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from fupin.core.procedure_services import NOT_FOUND, CaseProcedure, ProcedureRefusal, decision_reasons, today
from fupin.core.procedure_services import role as _role
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

from .models import IdentificationCase, Objection, ProcedureEvent, ProcedureSetting


class IdentificationError(ProcedureRefusal):
    """A refused procedure action; ``code`` is the procedure's error code (``publicity_too_short`` …)."""


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


def _try(procedure: Procedure, state: CaseState, action: Action, *, prefix: str = "") -> Transition:
    try:
        return transition(procedure, state, action)
    except ProcedureError as err:
        raise IdentificationError.of(err, prefix=prefix) from err


def _try_case(case: IdentificationCase, action: Action) -> Transition:
    return _try(case.get_procedure(), case.state(), action)


def _decision_of(stored: Any) -> Decision:
    """The procedure's view of a stored :class:`fupin.rules.models.HouseholdDecision`."""
    return Decision(eligible=stored.outcome == "eligible", reasons=decision_reasons(stored),
                    policy_version=stored.policy_version,
                    outcome_label=str(getattr(stored, "outcome_label", stored.outcome)))


def _decide(case: IdentificationCase, *, actor: Any, step_id: str, on: dt.date, source: str) -> Any:
    """Run and store the automatic decision (contract B) in its own transaction."""
    from fupin.rules import services as rule_services

    try:
        return rule_services.decide_household(case.household, actor=actor, context=step_id)
    except rule_services.RulesRefused as err:
        raise IdentificationError(f"自动判定未能进行: {err} / the automatic decision could not be made",
                                  {"decision": [str(err)]}) from err


def _registry(case: IdentificationCase, result: Transition, *, actor: Any, source: str) -> None:
    """建档 admits the household; a rejection or a withdrawal declines it (未纳入, with the reason)."""
    action = result.action
    if result.registered:
        registry_services.admit_household(actor=actor, household_id=case.household_id, year=action.on.year,
                                          comment=f"识别程序建档 / registered by case #{case.pk}", source=source)
    elif action.kind in (ActionKind.REJECT, ActionKind.WITHDRAW):
        verb = "驳回" if action.kind == ActionKind.REJECT else "撤回"
        registry_services.decline_household(actor=actor, household_id=case.household_id,
                                            reason=f"识别程序{verb}: {action.comment.strip()}", source=source)


#: The identification's cases for the shared verbs (:mod:`fupin.core.procedure_services`).
CASES = CaseProcedure(
    audit_label="识别程序", noun_zh="申请", noun_en="case", case_model=IdentificationCase,
    event_model=ProcedureEvent, objection_model=Objection, error=IdentificationError,
    capability=roles.PERFORM_IDENTIFICATION,
    audit_fields=("step", "status", "open_objections", "upheld_objections", "procedure_version"),
    transition=_try_case, decide=_decide, decision_of=_decision_of, registry=_registry,
)
_check_date = CASES.check_date
_apply = CASES.apply


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
    """完成环节 — complete the case's current step ``step`` (on ``on``, default today) with its evidence.
    At 民主评议 and 县级复审 the automatic decision runs (and is stored) once every other check has passed."""
    return CASES.perform_step(actor=actor, case_id=case_id, step=step, evidence=evidence, comment=comment, on=on,
                              expected_version=expected_version, source=source)


def reject(*, actor: Any, case_id: int, reason: str, on: dt.date | None = None,
           expected_version: int | None = None, source: str = "web") -> IdentificationCase:
    """驳回 — the application is refused at the current step, with the reason (the household: 未纳入)."""
    return CASES.end(ActionKind.REJECT, actor=actor, case_id=case_id, reason=reason, on=on,
                     expected_version=expected_version, source=source)


def withdraw(*, actor: Any, case_id: int, reason: str, on: dt.date | None = None,
             expected_version: int | None = None, source: str = "web") -> IdentificationCase:
    """撤回 — the household withdraws its application (recorded by a cadre or officer), with the reason."""
    return CASES.end(ActionKind.WITHDRAW, actor=actor, case_id=case_id, reason=reason, on=on,
                     expected_version=expected_version, source=source)


#: 登记异议 and 处理异议 (:meth:`~fupin.core.procedure_services.CaseProcedure.record_objection`,
#: :meth:`~fupin.core.procedure_services.CaseProcedure.resolve_objection`).
record_objection = CASES.record_objection
resolve_objection = CASES.resolve_objection


# ------------------------------------------------------------------------------------ a village at once


def advance_village(
    *, actor: Any, village_code: str, step: str, evidence: Mapping[str, Any] | None = None, comment: str = "",
    on: dt.date | None = None, source: str = "web",
) -> list[IdentificationCase]:
    """整村办理 — every open case of the village at ``step`` completes it together, or none does
    (:meth:`~fupin.core.procedure_services.CaseProcedure.advance_village`: the error names each blocking
    household; at 民主评议 and 县级复审 the decisions are made, and kept, before the batch is written)."""
    return CASES.advance_village(actor=actor, village_code=village_code, step=step, evidence=evidence,
                                 comment=comment, on=on, source=source)


__all__ = [
    "IdentificationError", "advance_village", "effective_procedure", "perform_step", "reapply", "record_objection",
    "reject", "resolve_objection", "start_case", "today", "withdraw",
]
