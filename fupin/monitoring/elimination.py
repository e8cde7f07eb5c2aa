"""收入核查 and 风险消除 of one monitoring object (monitoring's own: the procedure's shared machinery has no
counterpart). Whole-region elimination runs are in :mod:`.runs`.

- :func:`record_income_check` — 收入核查: a dated per-capita income; the months above the line are
  counted from them.
- :func:`assess` — 风险消除评估 of one monitored object now (stored as a decision);
  :func:`eliminate` — 风险消除: assesses again and closes the object ``eliminated`` only when every
  condition holds (a household with no labour at all never: it stays monitored). Needs
  ``monitoring.run`` as well.

The lock, version check, event and audit row are the shared case machinery's (:data:`.procedure.CASES`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from fupin.core import audit
from fupin.core.models import ChangeAction
from fupin.core.procedure_services import user_or_none
from fupin.core.scoping import require_in_scope
from fupin.policy import roles
from fupin.policy.monitoring import EliminationRule, assess_elimination

from .choices import EventAction, MonitoringStatus
from .errors import MonitoringError
from .frames import monitoring_view
from .models import EliminationDecision, IncomeCheck, MonitoringObject
from .procedure import CASES, OBJECT_FIELDS, require_status
from .runs import DECISION_FIGURES


def record_income_check(*, actor: Any, object_id: int, income_per_capita: Any, checked_on: dt.date | None = None,
                        note: str = "", source: str = "web") -> IncomeCheck:
    """收入核查 — the household's net income per person (yuan a year) as checked on ``checked_on``."""
    day = CASES.check_date(checked_on)
    try:
        amount = Decimal(str(income_per_capita)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise MonitoringError.on("income_per_capita", "收入应为数字 / the income must be a number") from exc
    if amount < 0:
        raise MonitoringError.on("income_per_capita", "收入不能为负数 / the income cannot be negative")
    with transaction.atomic():
        obj = CASES.lock_case(actor, object_id)
        require_status(obj, MonitoringStatus.IDENTIFYING, MonitoringStatus.MONITORED)
        if day < obj.flagged_on:
            raise MonitoringError.on("checked_on", f"核查日期早于发现日期{obj.flagged_on} / before the object was flagged")
        check = IncomeCheck.objects.create(object=obj, checked_on=day, income_per_capita=amount, note=note.strip(),
                                           recorded_by=user_or_none(actor), recorded_by_name=audit.actor_name(actor),
                                           source=source)
        CASES.record_event(obj, EventAction.INCOME_CHECK, day, actor=actor, source=source, comment=note,
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
    CASES.record_event(obj, EventAction.ASSESS, day, actor=actor, source=source,
           evidence={"eliminable": decision.eliminable, "failed": [r.id for r in decision.failed]})
    return stored


def assess(*, actor: Any, object_id: int, on: dt.date | None = None, source: str = "web") -> EliminationDecision:
    """风险消除评估 — assess one monitored object now; the decision is stored with its facts."""
    day = CASES.check_date(on)
    with transaction.atomic():
        obj = CASES.lock_case(actor, object_id)
        require_status(obj, MonitoringStatus.MONITORED)
        return _assess_now(obj, day, actor=actor, source=source)


def eliminate(*, actor: Any, object_id: int, comment: str = "", on: dt.date | None = None,
              expected_version: int | None = None, source: str = "web") -> MonitoringObject:
    """风险消除 — close a monitored object ``eliminated`` when every condition holds on ``on`` (assessed
    again, the decision stored); refused with the conditions not met otherwise."""
    day = CASES.check_date(on)
    with transaction.atomic():
        obj = CASES.lock_case(actor, object_id)
        require_in_scope(actor, obj.village_code, roles.RUN_MONITORING)
        CASES.check_version(obj, expected_version)
        require_status(obj, MonitoringStatus.MONITORED)
        decision = _assess_now(obj, day, actor=actor, source=source)
    if not decision.eliminable:
        names = "、".join(str(r.get("label_zh")) for r in decision.failed)
        stays = "; 无劳动能力户持续监测 / a household with no labour stays monitored" if decision.stays_monitored else ""
        raise MonitoringError(f"风险消除条件未满足: {names}{stays} / the conditions are not met",
                              {"conditions": [f"{r.get('label_zh')} / {r.get('label_en')}" for r in decision.failed]})
    with transaction.atomic():
        obj = CASES.lock_case(actor, object_id)
        require_status(obj, MonitoringStatus.MONITORED)
        before = audit.field_values(obj, OBJECT_FIELDS)
        obj.status, obj.closed_on = MonitoringStatus.ELIMINATED, day
        obj.close_reason = (comment or "").strip() or "风险消除条件均已满足 / every condition is met"
        obj.version += 1
        obj.save()
        CASES.record_event(obj, EventAction.ELIMINATE, day, actor=actor, source=source, comment=obj.close_reason,
               evidence={"decision": decision.pk})
        CASES.audit_case(obj, before, actor=actor, source=source, comment=f"防返贫监测: 风险消除 / risk eliminated "
                                                                f"(decision #{decision.pk})")
    return obj


__all__ = ["assess", "eliminate", "record_income_check"]
