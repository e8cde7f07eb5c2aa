"""Reads of the monitoring app (防返贫监测), always through :func:`fupin.core.scoping.visible_to`.

Monitoring records are registry data: whoever has ``monitoring.view`` in the household's region sees
them; the rest get 404. Department data rows stay with the list's region (a township officer sees that
the county's list exists, not its rows), as in the screening app.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from fupin.core.scoping import get_visible_or_404, region_in_scope, visible_to
from fupin.policy import roles
from fupin.policy.procedure import allowed_actions
from fupin.policy.regions import LEVEL_FIELD, RegionCodeError, level_of, normalize_code, prefix_of
from fupin.registry.models import Household

from .choices import OPEN_STATUSES, MonitoringStatus
from .models import (
    EliminationDecision,
    IncomeCheck,
    MonitoringDataList,
    MonitoringDataRejection,
    MonitoringEvent,
    MonitoringFlag,
    MonitoringObject,
    MonitoringObjection,
    MonitoringRun,
)


@dataclass(frozen=True)
class ObjectFilters:
    """Filters of the monitoring list (page and API alike)."""

    region: str = ""  # any region code (12 digits or its prefix form)
    status: str = "open"  # a status, "open" (flagged, identifying, monitored) or "all"
    type: str = ""
    cause: str = ""  # a flag rule id among the risk causes
    q: str = ""  # household number or head's name


def _region_q(region: str) -> Q | None:
    try:
        code = normalize_code(region)
    except RegionCodeError:
        return None
    return Q(**{LEVEL_FIELD[level_of(code)]: code})


def objects(user: Any, filters: ObjectFilters | None = None) -> QuerySet[MonitoringObject]:
    """The monitoring objects the user may see, filtered, by village and household number."""
    f = filters or ObjectFilters()
    qs = visible_to(user, MonitoringObject.objects.select_related("household", "household__village"),
                    roles.VIEW_MONITORING)
    if f.status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif f.status and f.status != "all":
        qs = qs.filter(status=f.status)
    if f.region:
        where = _region_q(f.region)
        qs = qs.filter(where) if where is not None else qs.none()
    if f.type:
        qs = qs.filter(type=f.type)
    if f.cause:
        qs = qs.filter(flags__rule_id=f.cause).distinct()
    term = f.q.strip()
    if term:
        qs = qs.filter(Q(household__household_number=term) | Q(household__head_name__contains=term))
    return qs.order_by("village_code", "household__household_number", "-id")


def summary(user: Any, region: str = "") -> dict[str, dict[str, int]]:
    """Open objects by type and status in the user's scope (the list page's header)."""
    qs = objects(user, ObjectFilters(region=region, status="all"))
    out: dict[str, dict[str, int]] = {}
    for row in qs.order_by().values("type", "status").annotate(n=Count("id")):
        out.setdefault(row["type"], {})[row["status"]] = row["n"]
    return out


def object_detail(user: Any, object_id: int) -> MonitoringObject:
    """One object the user may see, or 404."""
    return get_visible_or_404(user, MonitoringObject.objects.select_related("household", "household__village", "run"),
                              roles.VIEW_MONITORING, pk=object_id)


def household_record(user: Any, household_id: int) -> tuple[Household, list[MonitoringObject]]:
    """一户的监测记录 — the household (404 unless the user may see it and monitoring) and its objects."""
    if not user.has_capability(roles.VIEW_MONITORING):
        from fupin.core.scoping import ScopeError

        raise ScopeError("不存在或无权查看 / not found")
    household = get_visible_or_404(user, Household.objects.select_related("village"), roles.VIEW_REGISTRY,
                                   pk=household_id)
    objs = list(visible_to(user, MonitoringObject.objects.filter(household=household), roles.VIEW_MONITORING)
                .order_by("-flagged_on", "-id"))
    return household, objs


def flags(obj: MonitoringObject) -> list[MonitoringFlag]:
    return list(MonitoringFlag.objects.filter(object=obj).order_by("id"))


def events(obj: MonitoringObject) -> list[MonitoringEvent]:
    return list(MonitoringEvent.objects.filter(object=obj).select_related("objection").order_by("id"))


def objections(obj: MonitoringObject) -> list[MonitoringObjection]:
    return list(MonitoringObjection.objects.filter(object=obj).order_by("id"))


def income_checks(obj: MonitoringObject) -> list[IncomeCheck]:
    return list(IncomeCheck.objects.filter(object=obj).order_by("checked_on", "id"))


def decisions(obj: MonitoringObject) -> list[EliminationDecision]:
    return list(EliminationDecision.objects.filter(object=obj).order_by("-made_on", "-id"))


def may_act(user: Any, obj: MonitoringObject) -> bool:
    return region_in_scope(user, obj.village_code, roles.PERFORM_MONITORING)


#: What a user may do on an object besides the procedure's actions.
START, DISMISS, INCOME_CHECK, ASSESS, ELIMINATE = "start", "dismiss", "income_check", "assess", "eliminate"


def actions_for(user: Any, obj: MonitoringObject) -> list[str]:
    """The actions the user may try on the object now (which forms to show)."""
    if not may_act(user, obj):
        return []
    role = str(user.role)
    out: list[str] = []
    if obj.status == MonitoringStatus.FLAGGED:
        from .policies import effective_monitoring
        from .services import today

        first_roles = effective_monitoring(obj.county_code, today()).procedure.steps[0].roles
        if role in first_roles:
            out.append(START)
        out.append(DISMISS)
    elif obj.status == MonitoringStatus.IDENTIFYING:
        procedure = obj.get_procedure()
        if procedure is not None:
            out.extend(allowed_actions(procedure, obj.state(), role))
        out.append(INCOME_CHECK)
    elif obj.status == MonitoringStatus.MONITORED:
        out.extend([INCOME_CHECK, ASSESS])
        if region_in_scope(user, obj.village_code, roles.RUN_MONITORING):
            out.append(ELIMINATE)
    return out


# ------------------------------------------------------------------------------------------ runs


def runs(user: Any, kind: str = "") -> QuerySet[MonitoringRun]:
    qs = visible_to(user, MonitoringRun.objects.all(), roles.VIEW_MONITORING)
    return qs.filter(kind=kind) if kind else qs


def run_detail(user: Any, run_id: int) -> MonitoringRun:
    return get_visible_or_404(user, MonitoringRun.objects.all(), roles.VIEW_MONITORING, pk=run_id)


def run_objects(user: Any, run: MonitoringRun) -> QuerySet[MonitoringObject]:
    """The objects a flag run raised (that the user may see)."""
    return objects(user, ObjectFilters(status="all")).filter(run=run)


def run_decisions(user: Any, run: MonitoringRun) -> QuerySet[EliminationDecision]:
    """The decisions of an elimination run (that the user may see), eliminable ones first."""
    return (visible_to(user, EliminationDecision.objects.select_related("object", "object__household"),
                       roles.VIEW_MONITORING).filter(run=run).order_by("-eliminable", "object__village_code", "id"))


# ------------------------------------------------------------------------------------------ data


def data_lists(user: Any) -> QuerySet[MonitoringDataList]:
    return visible_to(user, MonitoringDataList.objects.all(), roles.VIEW_MONITORING)


def data_list_detail(user: Any, list_id: int) -> MonitoringDataList:
    return get_visible_or_404(user, MonitoringDataList.objects.all(), roles.VIEW_MONITORING, pk=list_id)


def may_see_rows(user: Any, data_list: MonitoringDataList) -> bool:
    region = getattr(user, "region", None)
    return region is not None and data_list.region_code.startswith(prefix_of(region.code, region.level))


def rejections(user: Any, data_list: MonitoringDataList) -> QuerySet[MonitoringDataRejection]:
    if not may_see_rows(user, data_list):
        return MonitoringDataRejection.objects.none()
    return visible_to(user, MonitoringDataRejection.objects.filter(data_list=data_list), roles.VIEW_MONITORING)


__all__ = [
    "ObjectFilters", "actions_for", "data_list_detail", "data_lists", "decisions", "events", "flags",
    "household_record", "income_checks", "may_act", "object_detail", "objections", "objects", "rejections",
    "run_decisions", "run_detail", "run_objects", "runs", "summary",
]
