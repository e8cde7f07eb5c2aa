"""The identification procedure of a monitoring object (监测对象识别程序): 发现核实 → 村级评议 → 村内公示
(≥ 5 days) → 乡镇审核 → 县级确定, on the machinery the case procedures share
(:class:`fupin.core.procedure_services.CaseProcedure`, :data:`CASES`).

- :func:`start_identification` — 发现核实: the household check (the first step) of a flagged object; the
  procedure in force that day is kept on the object (monitoring's own: the case exists before its procedure).
- :func:`perform_step`, :func:`reject` (不予纳入), :func:`withdraw` (撤回), :func:`record_objection`,
  :func:`resolve_objection` — the shared verbs, with the object's id.

What monitoring's cases say their own way: the statuses (建档 makes the object ``monitored``; 驳回 and
撤回 close it ``dismissed`` with the reason in ``close_reason``: :func:`settle`), a status check before
every action but 处理异议 (:func:`require_status`), and the wording of a few refusals
(:class:`MonitoringCases`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from fupin.core import audit
from fupin.core.procedure_services import CaseProcedure, role, today
from fupin.policy import roles
from fupin.policy.procedure import Action, ActionKind, ProcedureError, Transition, initial_state, transition

from .choices import MonitoringStatus
from .errors import MonitoringError
from .models import MonitoringEvent, MonitoringObject, MonitoringObjection
from .policies import effective_monitoring

#: The object's fields every audit row compares (识别程序, 排除, 风险消除).
OBJECT_FIELDS = ("type", "status", "step", "open_objections", "upheld_objections", "procedure_version",
                 "monitored_on", "closed_on", "close_reason", "risk_causes")


class MonitoringCases(CaseProcedure):
    """监测对象 as cases of the shared machinery; only the texts of two refusals are monitoring's own."""

    def check_date(self, on: dt.date | None) -> dt.date:
        """办理日期: ``on`` (default today); never in the future (the message repeated on ``on``)."""
        day = on or today()
        if day > today():
            raise MonitoringError.on("on", f"办理日期{day.isoformat()}晚于今天 / the date is in the future")
        return day

    def check_resolvable(self, case: Any, objection: Any, day: dt.date) -> None:
        """处理异议 is possible (each message repeated on its field)."""
        if not objection.is_open:
            raise MonitoringError.on("objection", "该异议已处理 / the objection is already resolved")
        if objection.step != case.step:
            raise MonitoringError.on("objection", "该异议不属于当前环节 / the objection belongs to another step")
        if day < objection.raised_on:
            raise MonitoringError.on("on", f"处理日期早于异议提出日期{objection.raised_on} / resolved before raised")


def require_status(obj: MonitoringObject, *statuses: str) -> None:
    """The object is in one of ``statuses`` (监测状态), else refused."""
    if obj.status not in statuses:
        label = MonitoringStatus(obj.status).label
        raise MonitoringError.on("status", f"该监测对象状态为「{label}」,不能办理 / not possible while the object is "
                                           f"{obj.status}")


def _try(obj: MonitoringObject, action: Action, state: Any = None) -> Transition:
    procedure = obj.get_procedure()
    if procedure is None:
        raise MonitoringError.on("status", "尚未开始识别程序 / the procedure has not started")
    try:
        return transition(procedure, state or obj.state(), action)
    except ProcedureError as err:
        raise MonitoringError.of(err) from err


def _transition(obj: MonitoringObject, action: Action) -> Transition:
    """The pure transition, for an object under identification (处理异议 checks the objection instead)."""
    if action.kind != ActionKind.RESOLVE:
        require_status(obj, MonitoringStatus.IDENTIFYING)
    return _try(obj, action)


def settle(obj: MonitoringObject, result: Transition) -> None:
    """县级确定 (建档) makes the object ``monitored`` from that day; 不予纳入 and 撤回 close it ``dismissed``."""
    action = result.action
    if result.registered:
        obj.status, obj.monitored_on = MonitoringStatus.MONITORED, action.on
    elif action.kind in (ActionKind.REJECT, ActionKind.WITHDRAW):
        obj.status, obj.closed_on, obj.close_reason = MonitoringStatus.DISMISSED, action.on, action.comment.strip()


#: Monitoring objects for the shared verbs (:mod:`fupin.core.procedure_services`).
CASES = MonitoringCases(
    audit_label="监测对象识别程序", noun_zh="监测对象", noun_en="monitoring object", case_model=MonitoringObject,
    event_model=MonitoringEvent, objection_model=MonitoringObjection, error=MonitoringError,
    capability=roles.PERFORM_MONITORING, audit_fields=OBJECT_FIELDS, transition=_transition, settle=settle,
    case_field="object", this_case_en="this object",
)


def lock_flagged(actor: Any, object_id: int, day: dt.date, expected_version: int | None) -> MonitoringObject:
    """The flagged object (待核实), locked, at the version the user opened, acted on no earlier than it was
    flagged — the start of 发现核实 and of 排除 (inside their transaction)."""
    obj = CASES.lock_case(actor, object_id)
    CASES.check_version(obj, expected_version)
    require_status(obj, MonitoringStatus.FLAGGED)
    if day < obj.flagged_on:
        raise MonitoringError.on("on", f"日期早于发现日期{obj.flagged_on} / before the object was flagged")
    return obj


def start_identification(*, actor: Any, object_id: int, evidence: Mapping[str, Any] | None = None, comment: str = "",
                         on: dt.date | None = None, expected_version: int | None = None,
                         source: str = "web") -> MonitoringObject:
    """发现核实 — begin the procedure of a flagged object: the household check (the first step) is done
    with its evidence; the procedure in force that day is kept on the object."""
    day = CASES.check_date(on)
    with transaction.atomic():
        obj = lock_flagged(actor, object_id, day, expected_version)
        procedure = effective_monitoring(obj.county_code, day).procedure
        before = audit.field_values(obj, OBJECT_FIELDS)
        obj.procedure, obj.procedure_version = procedure.to_dict(), procedure.version
        action = Action(kind=ActionKind.COMPLETE, step_id=procedure.steps[0].id, role=role(actor), on=day,
                        evidence=dict(evidence or {}), comment=comment)
        result = _try(obj, action, initial_state(procedure, day))
        obj.status = MonitoringStatus.IDENTIFYING
        obj.set_state(result.state)
        obj.version += 1
        obj.save()
        CASES.record_event(obj, action.kind, day, actor=actor, source=source, step=action.step_id,
                           evidence=result.evidence, comment=comment)
        CASES.audit_case(obj, before, actor=actor, source=source,
                         comment="监测对象识别程序: 发现核实 / identification began")
    return obj


def perform_step(*, actor: Any, object_id: int, step: str, evidence: Mapping[str, Any] | None = None,
                 comment: str = "", on: dt.date | None = None, expected_version: int | None = None,
                 source: str = "web") -> MonitoringObject:
    """完成环节 — complete the object's current step (on ``on``, default today) with its evidence."""
    return CASES.perform_step(actor=actor, case_id=object_id, step=step, evidence=evidence, comment=comment, on=on,
                              expected_version=expected_version, source=source)


def reject(*, actor: Any, object_id: int, reason: str, on: dt.date | None = None,
           expected_version: int | None = None, source: str = "web") -> MonitoringObject:
    """不予纳入 — the procedure does not confirm the object (at the current step, with the reason)."""
    return CASES.end(ActionKind.REJECT, actor=actor, case_id=object_id, reason=reason, on=on,
                     expected_version=expected_version, source=source)


def withdraw(*, actor: Any, object_id: int, reason: str, on: dt.date | None = None,
             expected_version: int | None = None, source: str = "web") -> MonitoringObject:
    """撤回 — the household withdraws (recorded by a cadre), with the reason."""
    return CASES.end(ActionKind.WITHDRAW, actor=actor, case_id=object_id, reason=reason, on=on,
                     expected_version=expected_version, source=source)


def record_objection(*, actor: Any, object_id: int, raised_by: str, text: str, on: dt.date | None = None,
                     source: str = "web") -> MonitoringObjection:
    """登记异议 — during the village notice; it blocks the notice until resolved."""
    return CASES.record_objection(actor=actor, case_id=object_id, raised_by=raised_by, text=text, on=on,
                                  source=source)


#: 处理异议 — the finding; an upheld objection (异议成立) means the object must be rejected
#: (:meth:`~fupin.core.procedure_services.CaseProcedure.resolve_objection`).
resolve_objection = CASES.resolve_objection


__all__ = [
    "CASES", "OBJECT_FIELDS", "MonitoringCases", "lock_flagged", "perform_step", "record_objection", "reject", "require_status",
    "resolve_objection", "settle", "start_identification", "withdraw",
]
