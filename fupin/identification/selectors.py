"""Reads of the identification procedure (识别程序), always through :func:`fupin.core.scoping.visible_to`.

Cases are registry data: whoever may see the household (``registry.view`` in scope) sees its case,
events, objections and decisions; the rest get 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from fupin.core.scoping import get_visible_or_404, visible_to
from fupin.policy import roles
from fupin.policy.procedure import allowed_actions
from fupin.policy.regions import LEVEL_FIELD, RegionCodeError, level_of, normalize_code

from .choices import IdentificationStatus
from .models import IdentificationCase, Objection, ProcedureEvent


@dataclass(frozen=True)
class CaseFilters:
    """Filters of the case list (page and API alike)."""

    region: str = ""  # any region code (12 digits or its prefix form)
    step: str = ""  # current step id
    status: str = IdentificationStatus.IN_PROGRESS  # a status, or "all"
    q: str = ""  # household number or head's name


def cases(user: Any, filters: CaseFilters | None = None) -> QuerySet[IdentificationCase]:
    """The cases the user may see, filtered, ordered by village and household number."""
    f = filters or CaseFilters()
    qs = visible_to(user, IdentificationCase.objects.select_related("household", "household__village"))
    if f.status and f.status != "all":
        qs = qs.filter(status=f.status)
    if f.region:
        try:
            code = normalize_code(f.region)
            qs = qs.filter(**{LEVEL_FIELD[level_of(code)]: code})
        except RegionCodeError:
            qs = qs.none()
    if f.step:
        qs = qs.filter(step=f.step)
    term = f.q.strip()
    if term:
        qs = qs.filter(Q(household__household_number=term) | Q(household__head_name__contains=term))
    return qs.order_by("village_code", "household__household_number", "-id")


def case_detail(user: Any, case_id: int) -> IdentificationCase:
    """One case the user may see, or 404."""
    return get_visible_or_404(user, IdentificationCase.objects.select_related("household", "household__village"),
                              pk=case_id)


def events(case: IdentificationCase) -> list[ProcedureEvent]:
    """The case's event log, oldest first (the case was read through the scoping function)."""
    return list(ProcedureEvent.objects.filter(case=case).select_related("objection").order_by("id"))


def objections(case: IdentificationCase) -> list[Objection]:
    return list(Objection.objects.filter(case=case).order_by("id"))


def decisions(case: IdentificationCase) -> list[Any]:
    """The automatic decisions made for the case (newest first) as stored by fupin.rules: those made at
    its decision steps since it started, including one that refused a step (no event links it then)."""
    from fupin.rules.models import HouseholdDecision

    return list(HouseholdDecision.objects.filter(household_id=case.household_id, context__in=_decision_steps(case),
                                                 made_at__gte=case.created_at).order_by("-made_at", "-id"))


def _decision_steps(case: IdentificationCase) -> list[str]:
    return [s.id for s in case.get_procedure().steps if s.runs_decision]


def may_act(user: Any, case: IdentificationCase) -> bool:
    """Whether the user takes part in the procedure in the case's village."""
    from fupin.core.scoping import region_in_scope

    return region_in_scope(user, case.village_code, roles.PERFORM_IDENTIFICATION)


def actions_for(user: Any, case: IdentificationCase) -> list[str]:
    """The actions the user may try on the case now (which forms to show)."""
    if not may_act(user, case):
        return []
    return allowed_actions(case.get_procedure(), case.state(), str(user.role))


def village_batch(user: Any, village_code: str, step: str) -> QuerySet[IdentificationCase]:
    """The open cases of one village at one step (the village batch page)."""
    return cases(user, CaseFilters(region=village_code, step=step))


__all__ = ["CaseFilters", "actions_for", "case_detail", "cases", "decisions", "events", "may_act", "objections",
           "village_batch"]
