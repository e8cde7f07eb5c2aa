"""Writes of the monitoring app (防返贫监测) for one household: flags by hand, the procedure, income
checks, risk elimination. Whole-region runs are in :mod:`.runs`, department data in :mod:`.data_import`.

Each verb: scope check (``monitoring.perform`` in the household's village, else 404) → lock the object →
the pure check (:mod:`fupin.policy.procedure` for the procedure, :mod:`fupin.policy.monitoring` for
types, lines and rules) → save → append a :class:`~fupin.monitoring.models.MonitoringEvent` → the audit
trail — in one transaction. The lock, version check, event and audit row are the shared case machinery's
(:data:`fupin.monitoring.procedure.CASES`, a :class:`~fupin.core.procedure_services.CaseProcedure`). A
refusal is :class:`~fupin.monitoring.errors.MonitoringError` (422 in the API) with a Chinese and English
message; nothing is half-written.

- :func:`flag_household` — 发现: an officer flags a household (self-report 农户自主申报, or cadre
  screening 干部排查) with its risk causes (flag rule ids) and a note. The type follows from the
  household (:func:`fupin.policy.monitoring.monitoring_type`); a registered household not yet exited is
  refused (it is helped as a poor household). :func:`record_edge_household` first records a household
  not on the registry as a 监测户 (record status ``monitored``) through
  :func:`fupin.registry.services.create_household` — members, ID numbers and one-person-one-household
  apply — then flags it.
- The identification procedure (发现核实 → 村级评议 → 村内公示 ≥ 5 days → 乡镇审核 → 县级确定), in
  :mod:`.procedure` and re-exported here: :func:`start_identification` completes the first step (the
  household check) and keeps the procedure as it is that day on the object; :func:`perform_step`,
  :func:`record_objection`, :func:`resolve_objection`; the last step makes the object ``monitored``;
  :func:`reject` (不予纳入) and :func:`withdraw` close it ``dismissed``. :func:`dismiss` closes a
  flagged object before the procedure (排除: the check found no risk).
- In :mod:`.elimination`, re-exported here: :func:`record_income_check` — 收入核查: a dated per-capita
  income; the months above the line are counted from them. :func:`assess` — 风险消除评估 of one
  monitored object now (stored as a decision); :func:`eliminate` — 风险消除: assesses again and closes
  the object ``eliminated`` only when every condition holds (a household with no labour at all never: it
  stays monitored). Needs ``monitoring.run`` as well.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from fupin.core import audit
from fupin.core.procedure_services import NOT_FOUND, today
from fupin.core.scoping import ScopeError, require_in_scope
from fupin.policy import roles
from fupin.policy.monitoring import MonitoringPolicy, monitoring_type
from fupin.registry import services as registry_services
from fupin.registry.choices import RecordStatus
from fupin.registry.models import Household

from .choices import OPEN_STATUSES, Channel, EventAction, MonitoringStatus
from .elimination import assess, eliminate, record_income_check
from .errors import MonitoringError
from .models import MonitoringFlag, MonitoringObject
from .policies import effective_monitoring, line_for
from .procedure import (
    CASES,
    OBJECT_FIELDS,
    lock_flagged,
    perform_step,
    record_objection,
    reject,
    resolve_objection,
    start_identification,
    withdraw,
)

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
    day = CASES.check_date(on)
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
            CASES.record_event(obj, EventAction.FLAG, day, actor=actor, source=source, comment=note,
                   evidence={"rules": [r.id for r in rules], "channel": channel})
            CASES.audit_case(obj, {}, actor=actor, source=source, comment="防返贫监测: 发现 / flagged", created=True)
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
    CASES.check_date(on)
    with transaction.atomic():
        household = registry_services.create_household(actor=actor, village_code=village_code, data=data,
                                                       members=members, source=source,
                                                       status=RecordStatus.MONITORED)
        return flag_household(actor=actor, household_id=household.pk, causes=causes, note=note, channel=channel,
                              on=on, source=source)


def dismiss(*, actor: Any, object_id: int, reason: str, on: dt.date | None = None,
            expected_version: int | None = None, source: str = "web") -> MonitoringObject:
    """排除 — a flagged object the household check found not at risk: closed ``dismissed`` with the reason."""
    day = CASES.check_date(on)
    reason = (reason or "").strip()
    if not reason:
        raise MonitoringError.on("reason", "请说明排除理由 / give the reason")
    with transaction.atomic():
        obj = lock_flagged(actor, object_id, day, expected_version)
        before = audit.field_values(obj, OBJECT_FIELDS)
        obj.status, obj.closed_on, obj.close_reason = MonitoringStatus.DISMISSED, day, reason
        obj.version += 1
        obj.save()
        CASES.record_event(obj, EventAction.DISMISS, day, actor=actor, source=source, comment=reason)
        CASES.audit_case(obj, before, actor=actor, source=source, comment=f"防返贫监测: 排除 / dismissed: {reason}")
    return obj


__all__ = [
    "assess", "dismiss", "eliminate", "flag_household", "perform_step", "record_edge_household",
    "record_income_check", "record_objection", "reject", "resolve_objection", "start_identification", "today",
    "withdraw",
]
