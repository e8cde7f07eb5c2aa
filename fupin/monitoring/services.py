"""Writes of the monitoring app (防返贫监测) for one household: flags by hand, the procedure, income
checks, risk elimination. Whole-region runs are in :mod:`.runs`, department data in :mod:`.data_import`.

Each verb: scope check (``monitoring.perform`` in the household's village, else 404) → lock the object →
the pure check (:mod:`fupin.policy.procedure` for the procedure, :mod:`fupin.policy.monitoring` for
types, lines and rules) → save → append a :class:`~fupin.monitoring.models.MonitoringEvent` → the audit
trail — in one transaction. A refusal is :class:`~fupin.monitoring.errors.MonitoringError` (422 in
the API) with a Chinese and English message; nothing is half-written.

- :func:`flag_household` — 发现: an officer flags a household (self-report 农户自主申报, or cadre
  screening 干部排查) with its risk causes (flag rule ids) and a note. The type follows from the
  household (:func:`fupin.policy.monitoring.monitoring_type`); a registered household not yet exited is
  refused (it is helped as a poor household). :func:`record_edge_household` first records a household
  not on the registry as a 监测户 (record status ``monitored``) through
  :func:`fupin.registry.services.create_household` — members, ID numbers and one-person-one-household
  apply — then flags it.
- The identification procedure (发现核实 → 村级评议 → 村内公示 ≥ 5 days → 乡镇审核 → 县级确定):
  :func:`start_identification` completes the first step (the household check) and keeps the procedure
  as it is that day on the object; :func:`perform_step`, :func:`record_objection`,
  :func:`resolve_objection`; the last step makes the object ``monitored``; :func:`reject` (不予纳入)
  and :func:`withdraw` close it ``dismissed``; :func:`dismiss` closes a flagged object before the
  procedure (排除: the check found no risk).
- :func:`record_income_check` — 收入核查: a dated per-capita income; the months above the line are
  counted from them.
- :func:`assess` — 风险消除评估 of one monitored object now (stored as a decision);
  :func:`eliminate` — 风险消除: assesses again and closes the object ``eliminated`` only when every
  condition holds (a household with no labour at all never: it stays monitored). Needs
  ``monitoring.run`` as well.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction

from fupin.core import audit
from fupin.core.models import ChangeAction
from fupin.core.scoping import ScopeError, require_in_scope
from fupin.policy import clock, roles
from fupin.policy.monitoring import EliminationRule, MonitoringPolicy, assess_elimination, monitoring_type
from fupin.policy.procedure import Action, ActionKind, ProcedureError, Transition, initial_state, transition
from fupin.registry import services as registry_services
from fupin.registry.choices import RecordStatus
from fupin.registry.models import Household
from fupin.registry.services import VersionConflict

from .choices import OPEN_STATUSES, Channel, EventAction, MonitoringStatus
from .errors import MonitoringError
from .frames import monitoring_view
from .models import (
    EliminationDecision,
    IncomeCheck,
    MonitoringEvent,
    MonitoringFlag,
    MonitoringObject,
    MonitoringObjection,
)
from .policies import effective_monitoring, line_for
from .runs import DECISION_FIGURES

NOT_FOUND = "不存在或无权操作 / not found"
OBJECT_FIELDS = ("type", "status", "step", "open_objections", "upheld_objections", "procedure_version",
                 "monitored_on", "closed_on", "close_reason", "risk_causes")


today = clock.today  # 今天 in China Standard Time (fupin.policy.clock); callers use this module's today()


def _check_date(on: dt.date | None) -> dt.date:
    day = on or today()
    if day > today():
        raise MonitoringError.on("on", f"办理日期{day.isoformat()}晚于今天 / the date is in the future")
    return day


def _role(actor: Any) -> str:
    return str(getattr(actor, "role", ""))


def _actor(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _event(obj: MonitoringObject, action: str, on: dt.date, *, actor: Any, source: str, step: str = "",
           evidence: Mapping[str, Any] | None = None, comment: str = "",
           objection: MonitoringObjection | None = None) -> MonitoringEvent:
    return MonitoringEvent.objects.create(
        object=obj, step=step, action=action, on=on, actor=_actor(actor), actor_name=audit.actor_name(actor),
        actor_role=_role(actor), evidence=dict(evidence or {}), comment=comment.strip(), objection=objection,
        source=source)


def _audit(obj: MonitoringObject, before: dict[str, Any], *, actor: Any, source: str, comment: str,
           created: bool = False) -> None:
    changes = audit.diff(before, audit.field_values(obj, OBJECT_FIELDS))
    audit.record(actor=actor, action=ChangeAction.CREATE if created else ChangeAction.STATUS, obj=obj,
                 changes=changes, household_id=obj.household_id, region_code=obj.village_code, source=source,
                 comment=comment)


def _lock(actor: Any, object_id: int, capability: str = roles.PERFORM_MONITORING) -> MonitoringObject:
    obj = MonitoringObject.objects.select_for_update().select_related("household").filter(pk=object_id).first()
    if obj is None:
        raise ScopeError(NOT_FOUND)
    require_in_scope(actor, obj.village_code, capability)
    return obj


def _check_version(obj: MonitoringObject, expected_version: int | None) -> None:
    if expected_version is not None and int(expected_version) != obj.version:
        raise VersionConflict(
            "该监测对象已被他人办理,请刷新后重试 / someone else acted on this object after you opened it; reload",
            {"version": [f"您打开的是第{expected_version}版,当前是第{obj.version}版 / you opened version "
                         f"{expected_version}, the current one is {obj.version}"]})


def _require_status(obj: MonitoringObject, *statuses: str) -> None:
    if obj.status not in statuses:
        label = MonitoringStatus(obj.status).label
        raise MonitoringError.on("status", f"该监测对象状态为「{label}」,不能办理 / not possible while the object is "
                                           f"{obj.status}")


# ------------------------------------------------------------------------------------------ flagging


def _household(actor: Any, household_id: int) -> Household:
    household = Household.objects.select_related("village").filter(pk=household_id).first()
    if household is None:
        raise ScopeError(NOT_FOUND)
    require_in_scope(actor, household.village_code, roles.PERFORM_MONITORING)
    return household


def _causes(policy: MonitoringPolicy, causes: Sequence[str]) -> list[Any]:
    known = {r.id: r for r in policy.flag_rules}
    unknown = [c for c in causes if c not in known]
    if unknown:
        raise MonitoringError.on("causes", f"未知的风险类型: {', '.join(unknown)} / unknown risk causes")
    return [known[c] for c in dict.fromkeys(causes)]


def flag_household(*, actor: Any, household_id: int, causes: Sequence[str] = (), note: str = "",
                   channel: str = Channel.CADRE, on: dt.date | None = None, source: str = "web") -> MonitoringObject:
    """发现 — flag one household by hand (see the module docstring). ``causes``: flag rule ids."""
    day = _check_date(on)
    household = _household(actor, household_id)
    if channel not in Channel.values:
        raise MonitoringError.on("channel", f"未知的发现渠道: {channel} / unknown channel")
    note = (note or "").strip()
    policy = effective_monitoring(household.county_code, day)
    rules = _causes(policy, causes)
    if not rules and not note:
        raise MonitoringError.on("causes", "请选择风险类型或说明风险情况 / choose a risk cause or describe the risk")
    kind = monitoring_type(household.status, household.poverty_status, sudden=any(r.sudden for r in rules))
    if kind is None:
        message = ("该户为未脱贫的建档立卡贫困户,按贫困户帮扶,不纳入防返贫监测 / a registered household not yet "
                   "exited is helped as a poor household, not monitored"
                   if household.status == RecordStatus.ACTIVE else
                   f"该户状态为「{RecordStatus(household.status).label}」,不能纳入监测 / this household cannot be monitored")
        raise MonitoringError.on("household", message)
    line = line_for(policy, household.county_code, day.year, day)
    figures = {"income_per_capita": None if household.income_per_capita is None else float(household.income_per_capita),
               "income_net": float(household.income_net), "monitoring_line": line.amount,
               "n_members": household.size}
    try:
        with transaction.atomic():
            Household.objects.select_for_update().filter(pk=household.pk).first()
            _refuse_open(household)
            obj = MonitoringObject.objects.create(
                household=household, type=kind, status=MonitoringStatus.FLAGGED, channel=channel,
                risk_causes=[r.reason() for r in rules], cause_note=note, line_amount=Decimal(str(line.amount)),
                line_year=line.year, line_region=line.region, line_note=line.describe()[:200],
                policy_version=policy.version, flagged_on=day,
                **{f: getattr(household, f) for f in ("province_code", "city_code", "county_code", "township_code",
                                                      "village_code")})
            for r in rules:
                MonitoringFlag.objects.create(object=obj, rule_id=r.id, label_zh=r.label_zh, label_en=r.label_en,
                                              rule_text=r.text, sudden=r.sudden, policy_version=policy.version,
                                              values=figures, raised_on=day)
            _event(obj, EventAction.FLAG, day, actor=actor, source=source, comment=note,
                   evidence={"rules": [r.id for r in rules], "channel": channel})
            _audit(obj, {}, actor=actor, source=source, comment="防返贫监测: 发现 / flagged", created=True)
    except IntegrityError as exc:  # a concurrent flag won the race
        _refuse_open(household)
        raise MonitoringError.on("household", "该户已是监测对象 / the household is already being monitored") from exc
    return obj


def _refuse_open(household: Household) -> None:
    existing = MonitoringObject.objects.filter(household=household, status__in=OPEN_STATUSES).first()
    if existing is not None:
        raise MonitoringError.on("household", f"该户已是监测对象(#{existing.pk},{existing.get_status_display()}) / "
                                              f"the household is already a monitoring object (#{existing.pk})")


def record_edge_household(*, actor: Any, village_code: str, data: Mapping[str, Any], members: list[Mapping[str, Any]],
                          causes: Sequence[str] = (), note: str = "", channel: str = Channel.CADRE,
                          on: dt.date | None = None, source: str = "web") -> MonitoringObject:
    """A household not on the registry (边缘易致贫户 / 突发严重困难户): recorded as a 监测户 (record status
    ``monitored``) with its members through the registry services, then flagged — one transaction."""
    require_in_scope(actor, village_code, roles.PERFORM_MONITORING)
    _check_date(on)
    with transaction.atomic():
        household = registry_services.create_household(actor=actor, village_code=village_code, data=data,
                                                       members=members, source=source,
                                                       status=RecordStatus.MONITORED)
        return flag_household(actor=actor, household_id=household.pk, causes=causes, note=note, channel=channel,
                              on=on, source=source)


def dismiss(*, actor: Any, object_id: int, reason: str, on: dt.date | None = None,
            expected_version: int | None = None, source: str = "web") -> MonitoringObject:
    """排除 — a flagged object the household check found not at risk: closed ``dismissed`` with the reason."""
    day = _check_date(on)
    reason = (reason or "").strip()
    if not reason:
        raise MonitoringError.on("reason", "请说明排除理由 / give the reason")
    with transaction.atomic():
        obj = _lock(actor, object_id)
        _check_version(obj, expected_version)
        _require_status(obj, MonitoringStatus.FLAGGED)
        if day < obj.flagged_on:
            raise MonitoringError.on("on", f"日期早于发现日期{obj.flagged_on} / before the object was flagged")
        before = audit.field_values(obj, OBJECT_FIELDS)
        obj.status, obj.closed_on, obj.close_reason = MonitoringStatus.DISMISSED, day, reason
        obj.version += 1
        obj.save()
        _event(obj, EventAction.DISMISS, day, actor=actor, source=source, comment=reason)
        _audit(obj, before, actor=actor, source=source, comment=f"防返贫监测: 排除 / dismissed: {reason}")
    return obj


# ------------------------------------------------------------------------------------------ the procedure


def _try(obj: MonitoringObject, action: Action, state: Any = None) -> Transition:
    procedure = obj.get_procedure()
    if procedure is None:
        raise MonitoringError.on("status", "尚未开始识别程序 / the procedure has not started")
    try:
        return transition(procedure, state or obj.state(), action)
    except ProcedureError as err:
        raise MonitoringError.of(err) from err


def _apply(obj: MonitoringObject, result: Transition, *, actor: Any, source: str,
           objection: MonitoringObjection | None = None) -> MonitoringEvent:
    action = result.action
    before = audit.field_values(obj, OBJECT_FIELDS)
    obj.set_state(result.state)
    if result.registered:
        obj.status, obj.monitored_on = MonitoringStatus.MONITORED, action.on
    elif action.kind in (ActionKind.REJECT, ActionKind.WITHDRAW):
        obj.status, obj.closed_on, obj.close_reason = MonitoringStatus.DISMISSED, action.on, action.comment.strip()
    obj.version += 1
    obj.save()
    event = _event(obj, action.kind, action.on, actor=actor, source=source, step=action.step_id,
                   evidence=result.evidence, comment=action.comment, objection=objection)
    label = obj.get_procedure().step(action.step_id).label_zh if obj.get_procedure() else action.step_id
    _audit(obj, before, actor=actor, source=source, comment=f"监测对象识别程序 {label}: {action.kind}")
    return event


def start_identification(*, actor: Any, object_id: int, evidence: Mapping[str, Any] | None = None, comment: str = "",
                         on: dt.date | None = None, expected_version: int | None = None,
                         source: str = "web") -> MonitoringObject:
    """发现核实 — begin the procedure of a flagged object: the household check (the first step) is done
    with its evidence; the procedure in force that day is kept on the object."""
    day = _check_date(on)
    with transaction.atomic():
        obj = _lock(actor, object_id)
        _check_version(obj, expected_version)
        _require_status(obj, MonitoringStatus.FLAGGED)
        if day < obj.flagged_on:
            raise MonitoringError.on("on", f"日期早于发现日期{obj.flagged_on} / before the object was flagged")
        procedure = effective_monitoring(obj.county_code, day).procedure
        before = audit.field_values(obj, OBJECT_FIELDS)
        obj.procedure, obj.procedure_version = procedure.to_dict(), procedure.version
        action = Action(kind=ActionKind.COMPLETE, step_id=procedure.steps[0].id, role=_role(actor), on=day,
                        evidence=dict(evidence or {}), comment=comment)
        result = _try(obj, action, initial_state(procedure, day))
        obj.status = MonitoringStatus.IDENTIFYING
        obj.set_state(result.state)
        obj.version += 1
        obj.save()
        _event(obj, action.kind, day, actor=actor, source=source, step=action.step_id, evidence=result.evidence,
               comment=comment)
        _audit(obj, before, actor=actor, source=source, comment="监测对象识别程序: 发现核实 / identification began")
    return obj


def perform_step(*, actor: Any, object_id: int, step: str, evidence: Mapping[str, Any] | None = None,
                 comment: str = "", on: dt.date | None = None, expected_version: int | None = None,
                 source: str = "web") -> MonitoringObject:
    """完成环节 — complete the object's current step (on ``on``, default today) with its evidence."""
    day = _check_date(on)
    with transaction.atomic():
        obj = _lock(actor, object_id)
        _check_version(obj, expected_version)
        _require_status(obj, MonitoringStatus.IDENTIFYING)
        action = Action(kind=ActionKind.COMPLETE, step_id=step, role=_role(actor), on=day,
                        evidence=dict(evidence or {}), comment=comment)
        _apply(obj, _try(obj, action), actor=actor, source=source)
    return obj


def _close(kind: str, *, actor: Any, object_id: int, reason: str, on: dt.date | None, expected_version: int | None,
           source: str) -> MonitoringObject:
    day = _check_date(on)
    with transaction.atomic():
        obj = _lock(actor, object_id)
        _check_version(obj, expected_version)
        _require_status(obj, MonitoringStatus.IDENTIFYING)
        action = Action(kind=kind, step_id=obj.step, role=_role(actor), on=day, comment=reason or "")
        _apply(obj, _try(obj, action), actor=actor, source=source)
    return obj


def reject(*, actor: Any, object_id: int, reason: str, on: dt.date | None = None,
           expected_version: int | None = None, source: str = "web") -> MonitoringObject:
    """不予纳入 — the procedure does not confirm the object (at the current step, with the reason)."""
    return _close(ActionKind.REJECT, actor=actor, object_id=object_id, reason=reason, on=on,
                  expected_version=expected_version, source=source)


def withdraw(*, actor: Any, object_id: int, reason: str, on: dt.date | None = None,
             expected_version: int | None = None, source: str = "web") -> MonitoringObject:
    """撤回 — the household withdraws (recorded by a cadre), with the reason."""
    return _close(ActionKind.WITHDRAW, actor=actor, object_id=object_id, reason=reason, on=on,
                  expected_version=expected_version, source=source)


def record_objection(*, actor: Any, object_id: int, raised_by: str, text: str, on: dt.date | None = None,
                     source: str = "web") -> MonitoringObjection:
    """登记异议 — during the village notice; it blocks the notice until resolved."""
    day = _check_date(on)
    with transaction.atomic():
        obj = _lock(actor, object_id)
        _require_status(obj, MonitoringStatus.IDENTIFYING)
        result = _try(obj, Action(kind=ActionKind.OBJECT, step_id=obj.step, role=_role(actor), on=day, comment=text))
        objection = MonitoringObjection.objects.create(
            object=obj, step=obj.step, raised_by=(raised_by or "").strip() or "匿名", text=text.strip(), raised_on=day,
            recorded_by=_actor(actor), recorded_by_name=audit.actor_name(actor))
        _apply(obj, result, actor=actor, source=source, objection=objection)
    return objection


def resolve_objection(*, actor: Any, objection_id: int, resolution: str, upheld: bool = False,
                      on: dt.date | None = None, source: str = "web") -> MonitoringObjection:
    """处理异议 — the finding; an upheld objection (异议成立) means the object must be rejected."""
    day = _check_date(on)
    object_id = MonitoringObjection.objects.filter(pk=objection_id).values_list("object_id", flat=True).first()
    if object_id is None:
        raise ScopeError(NOT_FOUND)
    with transaction.atomic():
        obj = _lock(actor, object_id)
        objection = MonitoringObjection.objects.select_for_update().get(pk=objection_id)
        if not objection.is_open:
            raise MonitoringError.on("objection", "该异议已处理 / the objection is already resolved")
        if objection.step != obj.step:
            raise MonitoringError.on("objection", "该异议不属于当前环节 / the objection belongs to another step")
        if day < objection.raised_on:
            raise MonitoringError.on("on", f"处理日期早于异议提出日期{objection.raised_on} / resolved before raised")
        result = _try(obj, Action(kind=ActionKind.RESOLVE, step_id=obj.step, role=_role(actor), on=day,
                                  comment=resolution, upheld=upheld))
        objection.resolved_on, objection.resolution, objection.upheld = day, resolution.strip(), upheld
        objection.resolved_by, objection.resolved_by_name = _actor(actor), audit.actor_name(actor)
        objection.save()
        _apply(obj, result, actor=actor, source=source, objection=objection)
    return objection


# ------------------------------------------------------------------------------------ income, elimination


def record_income_check(*, actor: Any, object_id: int, income_per_capita: Any, checked_on: dt.date | None = None,
                        note: str = "", source: str = "web") -> IncomeCheck:
    """收入核查 — the household's net income per person (yuan a year) as checked on ``checked_on``."""
    day = _check_date(checked_on)
    try:
        amount = Decimal(str(income_per_capita)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise MonitoringError.on("income_per_capita", "收入应为数字 / the income must be a number") from exc
    if amount < 0:
        raise MonitoringError.on("income_per_capita", "收入不能为负数 / the income cannot be negative")
    with transaction.atomic():
        obj = _lock(actor, object_id)
        _require_status(obj, MonitoringStatus.IDENTIFYING, MonitoringStatus.MONITORED)
        if day < obj.flagged_on:
            raise MonitoringError.on("checked_on", f"核查日期早于发现日期{obj.flagged_on} / before the object was flagged")
        check = IncomeCheck.objects.create(object=obj, checked_on=day, income_per_capita=amount, note=note.strip(),
                                           recorded_by=_actor(actor), recorded_by_name=audit.actor_name(actor),
                                           source=source)
        _event(obj, EventAction.INCOME_CHECK, day, actor=actor, source=source, comment=note,
               evidence={"income_per_capita": str(amount)})
        audit.record(actor=actor, action=ChangeAction.CREATE, obj=check, household_id=obj.household_id,
                     region_code=obj.village_code, source=source,
                     changes=audit.diff({}, audit.field_values(check, ("checked_on", "income_per_capita", "note"))))
    return check


def _facts(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: row.get(k) for k in DECISION_FIGURES}


def _failed(rules: Sequence[EliminationRule]) -> list[dict[str, Any]]:
    return [r.reason() for r in rules]


def _assess_now(obj: MonitoringObject, day: dt.date, *, actor: Any, source: str) -> EliminationDecision:
    """Assess one object on ``day`` (the monitoring view of its household) and store the decision."""
    mv = monitoring_view(obj.county_code, day, household_ids=[obj.household_id])
    rows = mv.view.to_dicts()
    if not rows:
        raise MonitoringError.on("household", "该户无在册成员或不在登记库中,无法评估 / the household cannot be assessed")
    row = rows[0]
    policy = mv.counties[row["county_code"]].policy
    decision = assess_elimination(row, policy)
    stored = EliminationDecision.objects.create(
        object=obj, made_on=day, eliminable=decision.eliminable, stays_monitored=decision.stays_monitored,
        failed=_failed(decision.failed), facts=json.loads(json.dumps(_facts(row), default=str)),
        policy_version=policy.version, made_by_name=audit.actor_name(actor))
    _event(obj, EventAction.ASSESS, day, actor=actor, source=source,
           evidence={"eliminable": decision.eliminable, "failed": [r.id for r in decision.failed]})
    return stored


def assess(*, actor: Any, object_id: int, on: dt.date | None = None, source: str = "web") -> EliminationDecision:
    """风险消除评估 — assess one monitored object now; the decision is stored with its facts."""
    day = _check_date(on)
    with transaction.atomic():
        obj = _lock(actor, object_id)
        _require_status(obj, MonitoringStatus.MONITORED)
        return _assess_now(obj, day, actor=actor, source=source)


def eliminate(*, actor: Any, object_id: int, comment: str = "", on: dt.date | None = None,
              expected_version: int | None = None, source: str = "web") -> MonitoringObject:
    """风险消除 — close a monitored object ``eliminated`` when every condition holds on ``on`` (assessed
    again, the decision stored); refused with the conditions not met otherwise."""
    day = _check_date(on)
    with transaction.atomic():
        obj = _lock(actor, object_id)
        require_in_scope(actor, obj.village_code, roles.RUN_MONITORING)
        _check_version(obj, expected_version)
        _require_status(obj, MonitoringStatus.MONITORED)
        decision = _assess_now(obj, day, actor=actor, source=source)
    if not decision.eliminable:
        names = "、".join(str(r.get("label_zh")) for r in decision.failed)
        stays = "; 无劳动能力户持续监测 / a household with no labour stays monitored" if decision.stays_monitored else ""
        raise MonitoringError(f"风险消除条件未满足: {names}{stays} / the conditions are not met",
                              {"conditions": [f"{r.get('label_zh')} / {r.get('label_en')}" for r in decision.failed]})
    with transaction.atomic():
        obj = _lock(actor, object_id)
        _require_status(obj, MonitoringStatus.MONITORED)
        before = audit.field_values(obj, OBJECT_FIELDS)
        obj.status, obj.closed_on = MonitoringStatus.ELIMINATED, day
        obj.close_reason = (comment or "").strip() or "风险消除条件均已满足 / every condition is met"
        obj.version += 1
        obj.save()
        _event(obj, EventAction.ELIMINATE, day, actor=actor, source=source, comment=obj.close_reason,
               evidence={"decision": decision.pk})
        _audit(obj, before, actor=actor, source=source, comment=f"防返贫监测: 风险消除 / risk eliminated "
                                                                f"(decision #{decision.pk})")
    return obj


__all__ = [
    "assess", "dismiss", "eliminate", "flag_household", "perform_step", "record_edge_household",
    "record_income_check", "record_objection", "reject", "resolve_objection", "start_identification", "withdraw",
]
