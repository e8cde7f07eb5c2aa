"""Writes of the household exit (精准退出): the only way an exit case moves and a household exits.

Each verb: scope check (``exits.perform`` in the household's village, else 404) → lock the case → the
pure transition (:func:`fupin.policy.exit_procedure.exit_transition`: current step, role, evidence,
quorum, publicity period, objections, the exit decision) → save the case → append an
:class:`~fupin.exits.models.ExitEvent` → the audit trail (:mod:`fupin.core.audit`) — in one transaction
(the machinery the identification shares: :class:`fupin.core.procedure_services.CaseProcedure`, :data:`CASES`).
A refusal is :class:`ExitError` (a :class:`~fupin.registry.services.RegistryError`: pages and the API
show it as any refused write, 422 in the API) with the procedure's Chinese and English message.

The registry is touched only through :func:`fupin.registry.services.update_household`:

- 拟退出 (:func:`propose`, :func:`propose_village`): 脱贫状态 → 2 预脱贫 (the status before is kept on the case);
- 销号 (the last step): 脱贫状态 → 1 已脱贫(享受政策) and 脱贫年度 → the case's year;
- a case that ends otherwise (未通过 — including the household not agreeing — or 撤回): the status goes
  back to what it was before, if it is still 2 预脱贫 (a status someone changed meanwhile is left alone).

The exit decision (:func:`decide_exit`) runs at the verification step (核实), after every other check
has passed, and is stored as a :class:`fupin.rules.models.HouseholdDecision` of kind ``exit`` with the
criteria version, the reasons and what it saw (lines, incomes, the guarantees), in its own transaction,
so it stays visible on the case page even when it refuses the step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction

from fupin.core import audit
from fupin.core.models import ChangeAction
from fupin.core.procedure_services import (
    NOT_FOUND,
    CaseProcedure,
    ProcedureRefusal,
    decision_reasons,
    describe,
    today,
    user_or_none,
    village_batch_id,
)
from fupin.core.procedure_services import role as _role
from fupin.core.scoping import ScopeError, require_in_scope
from fupin.policy import roles
from fupin.policy.exit_procedure import CONSENT_STEP, FIRST_STEP, LAST_STEP, ExitProcedure, exit_transition
from fupin.policy.exit_rules import IN_POVERTY, ExitRules
from fupin.policy.procedure import Action, ActionKind, CaseState, Decision, ProcedureError, Transition, initial_state
from fupin.registry import services as registry_services
from fupin.registry.choices import RecordStatus
from fupin.registry.models import Household
from fupin.registry.services import RegistryError

from .choices import EXIT_MET, ExitStatus
from .evaluation import evaluate_household, procedure_for, rules_for
from .models import ExitCase, ExitEvent, ExitObjection

PROPOSED = "2"
EXITED = "1"


class ExitError(ProcedureRefusal):
    """A refused exit action; ``code`` is the procedure's error code (``publicity_too_short`` …)."""


# ------------------------------------------------------------------------------------ the machinery


def _try(procedure: ExitProcedure, state: CaseState, action: Action, rules: ExitRules) -> Transition:
    try:
        return exit_transition(procedure, state, action, criteria=rules.evidence_criteria)
    except ProcedureError as err:
        raise ExitError.of(err) from err


def _try_case(case: ExitCase, action: Action) -> Transition:
    return _try(case.get_procedure(), case.state(), action, case.get_rules())


def _check_household(case: ExitCase, action: Action) -> None:
    """What the registry must say for the action: at 贫困户认可 the signer is the head or an active member
    (by name); at 销号 the household is still on the registry and still 预脱贫 (a status changed meanwhile
    — e.g. marked 返贫 by the monitoring — is not overwritten: stop the case instead)."""
    if action.kind != ActionKind.COMPLETE:
        return
    if action.step_id == LAST_STEP:
        h = Household.objects.filter(pk=case.household_id).values("status", "poverty_status").first() or {}
        if h.get("status") != RecordStatus.ACTIVE or h.get("poverty_status") != PROPOSED:
            raise ExitError.coded(
                "household_changed", f"该户已不在册或脱贫状态已不是预脱贫(现为{h.get('poverty_status')}),不能销号,请终止本次退出 "
                                     f"/ the household is no longer on the registry as 预脱贫; stop the case instead",
                {"household": [str(h.get("poverty_status"))]})
        return
    if action.step_id != CONSENT_STEP:
        return
    signer = str(action.evidence.get("signed_by") or "").strip()
    names = set(case.household.members.filter(status=RecordStatus.ACTIVE).values_list("name", flat=True))
    if signer and signer not in names:
        raise ExitError.coded("invalid_evidence", f"签字人「{signer}」不是该户在册成员 / the signer is not a member "
                                                  f"of the household",
                              {"evidence.signed_by": ["应为户主或在册家庭成员 / the head or an active member"]})


def _set_registry(actor: Any, household_id: int, values: dict[str, Any], source: str) -> None:
    registry_services.update_household(actor=actor, household_id=household_id, expected_version=None, data=values,
                                       source=source)


def _close(case: ExitCase, result: Transition) -> None:
    """销号: the day the household exited."""
    if result.registered:
        case.exited_on = result.action.on


def _registry(case: ExitCase, result: Transition, *, actor: Any, source: str) -> None:
    """销号: 脱贫状态 → 1 and 脱贫年度; 未通过 or 撤回: the 脱贫状态 back to what it was, if it is still 2 预脱贫."""
    action = result.action
    if result.registered:
        _set_registry(actor, case.household_id, {"poverty_status": EXITED, "exit_year": case.year}, source)
    elif action.kind in (ActionKind.REJECT, ActionKind.WITHDRAW):
        current = Household.objects.filter(pk=case.household_id).values_list("poverty_status", flat=True).first()
        if current == PROPOSED and case.previous_poverty_status != PROPOSED:
            _set_registry(actor, case.household_id, {"poverty_status": case.previous_poverty_status}, source)


def _check_batchable(step: str) -> None:
    if step == CONSENT_STEP:
        raise ExitError.coded("not_batchable", "贫困户认可须逐户签字,不能整村办理 / each household signs its own consent",
                              {"step": [step]})


# ------------------------------------------------------------------------------------ the exit decision


def _decision_of(stored: Any) -> Decision:
    """The procedure's view of a stored exit decision."""
    label = "达到退出标准" if stored.outcome == EXIT_MET else "未达到退出标准"
    return Decision(eligible=stored.outcome == EXIT_MET, reasons=decision_reasons(stored),
                    policy_version=stored.policy_version,
                    outcome_label=label)


def decide_exit(household: Household, *, actor: Any, year: int, on: dt.date | None = None, context: str = "",
                source: str = "web") -> Any:
    """退出判定 — judge one household against the exit criteria for ``year`` and store the decision as a
    :class:`fupin.rules.models.HouseholdDecision` (kind ``exit``): outcome ``exit_met`` / ``exit_not_met``,
    ``policy_version`` = the criteria version, ``reasons`` = the failed checks (or, when met, the checks
    passed), ``details`` = lines, incomes, guarantees, policy version. Audited. Needs ``exits.perform``."""
    from fupin.rules.choices import DecisionKind
    from fupin.rules.models import HouseholdDecision

    on = on or today()
    with transaction.atomic():
        household = Household.objects.select_related("village").get(pk=household.pk)
        if actor is not None:
            require_in_scope(actor, household.village_code, roles.PERFORM_EXIT)
        evaluation = evaluate_household(household, year=year, on=on)
        decision = evaluation.decision
        reasons = [r.to_dict() for r in decision.reasons]
        made = HouseholdDecision.objects.create(
            household=household, province_code=household.province_code, city_code=household.city_code,
            county_code=household.county_code, township_code=household.township_code,
            village_code=household.village_code, kind=DecisionKind.EXIT, outcome=decision.outcome,
            policy_version=decision.rules_version, policy_record=evaluation.basis.policy_record, reasons=reasons,
            details={**evaluation.details(), "as_of": on.isoformat()}, context=context,
            made_by=user_or_none(actor), made_by_name=audit.actor_name(actor))
        audit.record(actor=actor, action=ChangeAction.CREATE, obj=made,
                     changes={"kind": [None, made.kind], "outcome": [None, made.outcome],
                              "policy_version": [None, made.policy_version],
                              "reasons": [None, [r["rule_id"] for r in reasons]]},
                     household_id=household.pk, region_code=household.village_code, source=source,
                     comment=context or "退出判定 / exit decision")
    return made


def _decide(case: ExitCase, *, actor: Any, step_id: str, on: dt.date, source: str) -> Any:
    try:
        return decide_exit(case.household, actor=actor, year=case.year, on=on, context=step_id, source=source)
    except RegistryError as err:
        raise ExitError(f"退出判定未能进行: {err.message} / the exit decision could not be made",
                        {"decision": [err.message]}) from err


#: The exit's cases for the shared verbs (:mod:`fupin.core.procedure_services`).
CASES = CaseProcedure(
    audit_label="退出程序", noun_zh="退出案件", noun_en="exit case", case_model=ExitCase, event_model=ExitEvent,
    objection_model=ExitObjection, error=ExitError, capability=roles.PERFORM_EXIT,
    audit_fields=("step", "status", "open_objections", "upheld_objections", "year", "exited_on"),
    transition=_try_case, decide=_decide, decision_of=_decision_of, registry=_registry, check=_check_household,
    close=_close, check_batchable=_check_batchable, nothing_to_do_code="nothing_to_do",
)
_check_date = CASES.check_date
_apply = CASES.apply


# ------------------------------------------------------------------------------------ proposing


def _check_proposable(household: Household) -> str:
    """Why ``household`` cannot be proposed for exit ("" when it can)."""
    if household.status != RecordStatus.ACTIVE:
        return "该户不在册 / the household is not on the registry"
    if household.poverty_status not in IN_POVERTY:
        return f"该户脱贫状态为「{household.get_poverty_status_display()}」,不是退出对象 / already exited"
    if ExitCase.objects.filter(household=household, status=ExitStatus.IN_PROGRESS).exists():
        return "该户已有办理中的退出案件 / the household already has an open exit case"
    return ""


def _new_case(household: Household, procedure: ExitProcedure, rules: ExitRules, day: dt.date, year: int) -> ExitCase:
    case = ExitCase(
        household=household, year=year, procedure_version=procedure.version, procedure=procedure.to_dict(),
        rules_version=rules.version, rules=rules.to_dict(), previous_poverty_status=household.poverty_status,
        started_on=day, **{f: getattr(household, f) for f in ("province_code", "city_code", "county_code",
                                                              "township_code", "village_code")})
    case.set_state(initial_state(procedure, day))
    return case


def _check_year(year: int | None, day: dt.date) -> int:
    value = int(year) if year is not None else day.year
    if not 2013 <= value <= day.year + 1:
        raise ExitError(f"退出年度{value}无效 / invalid exit year", {"year": [f"2013–{day.year + 1}"]})
    return value


def _propose(actor: Any, household: Household, *, day: dt.date, year: int, comment: str, source: str,
             batch: str = "") -> ExitCase:
    procedure = procedure_for(household.village_code, day)
    rules = rules_for(household.village_code, day)
    action = Action(kind=ActionKind.COMPLETE, step_id=FIRST_STEP, role=_role(actor), on=day, comment=comment)
    result = _try(procedure, initial_state(procedure, day), action, rules)
    case = _new_case(household, procedure, rules, day, year)
    _apply(case, result, actor=actor, source=source, created=True, batch=batch)
    _set_registry(actor, household.pk, {"poverty_status": PROPOSED}, source)
    return case


def propose(*, actor: Any, household_id: int, on: dt.date | None = None, year: int | None = None,
            comment: str = "", source: str = "web") -> ExitCase:
    """拟退出 — propose one household for exit in ``year`` (default: the year of ``on``): a case at
    村两委民主评议, the household's 脱贫状态 → 2 预脱贫. Refused for a household off the registry, already
    exited, or with an open exit case. A household that fails the criteria may be proposed (it then
    shows on the list of proposed households that fail, and the verification will refuse it)."""
    day = _check_date(on)
    exit_year = _check_year(year, day)
    household = Household.objects.filter(pk=household_id).first()
    if household is None:
        raise ScopeError(NOT_FOUND)
    require_in_scope(actor, household.village_code, roles.PERFORM_EXIT)
    try:
        with transaction.atomic():
            household = Household.objects.select_for_update().get(pk=household.pk)
            why = _check_proposable(household)
            if why:
                raise ExitError.coded("not_proposable", why, {"household": [why]})
            return _propose(actor, household, day=day, year=exit_year, comment=comment, source=source)
    except IntegrityError as exc:  # a concurrent proposal won the one-open-case index
        raise ExitError.coded("not_proposable", "该户已有办理中的退出案件 / the household already has an open exit case",
                              {"household": [str(exc)]}) from exc


def propose_village(*, actor: Any, village_code: str, household_ids: Sequence[int], on: dt.date | None = None,
                    year: int | None = None, comment: str = "", source: str = "web") -> list[ExitCase]:
    """整村拟退出 — propose several households of one village together, all or none: the error names each
    household that cannot be proposed (户编号, head, why)."""
    day = _check_date(on)
    exit_year = _check_year(year, day)
    require_in_scope(actor, village_code, roles.PERFORM_EXIT)
    ids = sorted({int(i) for i in household_ids})
    if not ids:
        raise ExitError.coded("nothing_selected", "请选择拟退出的户 / choose the households to propose",
                              {"households": ["至少选择一户 / choose at least one"]})
    batch = village_batch_id(village_code)
    with transaction.atomic():
        found = {h.pk: h for h in Household.objects.select_for_update().filter(pk__in=ids)}
        problems = []
        for pk in ids:
            h = found.get(pk)
            if h is None or h.village_code != village_code:
                problems.append(f"#{pk}: 不是本村的户 / not a household of this village")
                continue
            why = _check_proposable(h)
            if why:
                problems.append(f"{describe(h)}: {why}")
        if problems:
            raise CASES.batch_error("拟退出", len(ids), problems)
        return [_propose(actor, found[pk], day=day, year=exit_year, comment=comment, source=source, batch=batch)
                for pk in sorted(ids, key=lambda i: found[i].household_number)]


# ------------------------------------------------------------------------------------ one case


def perform_step(*, actor: Any, case_id: int, step: str, evidence: Mapping[str, Any] | None = None,
                 comment: str = "", on: dt.date | None = None, expected_version: int | None = None,
                 source: str = "web") -> ExitCase:
    """完成环节 — complete the case's current step ``step`` (on ``on``, default today) with its evidence.
    At the verification the exit decision runs (and is stored) once every other check has passed."""
    return CASES.perform_step(actor=actor, case_id=case_id, step=step, evidence=evidence, comment=comment, on=on,
                              expected_version=expected_version, source=source)


def reject(*, actor: Any, case_id: int, reason: str, on: dt.date | None = None,
           expected_version: int | None = None, source: str = "web") -> ExitCase:
    """未通过 — the exit stops at the current step with the reason (at 贫困户认可: the household does not
    agree); the household's 脱贫状态 goes back to what it was."""
    return CASES.end(ActionKind.REJECT, actor=actor, case_id=case_id, reason=reason, on=on,
                     expected_version=expected_version, source=source)


def refuse_consent(*, actor: Any, case_id: int, reason: str, on: dt.date | None = None,
                   expected_version: int | None = None, source: str = "web") -> ExitCase:
    """贫困户不认可 — the household does not agree to exit: the case ends (a rejection at the consent step)."""
    case = CASES.read_case(actor, case_id)
    if case.step != CONSENT_STEP or not case.is_open:
        raise ExitError.coded("illegal_transition", "当前环节不是「贫困户认可」/ the case is not at the consent step",
                              {"step": [case.step]})
    return reject(actor=actor, case_id=case_id, reason=reason, on=on, expected_version=expected_version, source=source)


def withdraw(*, actor: Any, case_id: int, reason: str, on: dt.date | None = None,
             expected_version: int | None = None, source: str = "web") -> ExitCase:
    """撤回 — the proposal is withdrawn, with the reason; the 脱贫状态 goes back to what it was."""
    return CASES.end(ActionKind.WITHDRAW, actor=actor, case_id=case_id, reason=reason, on=on,
                     expected_version=expected_version, source=source)


#: 登记异议 (during the village publicity) and 处理异议
#: (:meth:`~fupin.core.procedure_services.CaseProcedure.record_objection`, ``resolve_objection``).
record_objection = CASES.record_objection
resolve_objection = CASES.resolve_objection


# ------------------------------------------------------------------------------------ a village at once


def advance_village(*, actor: Any, village_code: str, step: str, evidence: Mapping[str, Any] | None = None,
                    comment: str = "", on: dt.date | None = None, year: int | None = None,
                    source: str = "web") -> list[ExitCase]:
    """整村办理 — every open exit case of the village at ``step`` (of ``year``, if given) completes it
    together, or none does; the error names each blocking household with its reason. The same evidence
    (one meeting, one verification record …) goes on every case. 贫困户认可 is household by household."""
    return CASES.advance_village(actor=actor, village_code=village_code, step=step, evidence=evidence,
                                 comment=comment, on=on, source=source,
                                 filters={"year": year} if year is not None else None)


__all__ = [
    "ExitError", "advance_village", "decide_exit", "perform_step", "propose", "propose_village", "record_objection",
    "refuse_consent", "reject", "resolve_objection", "today", "withdraw",
]
