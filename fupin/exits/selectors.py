"""Reads of the household exit (精准退出), always through :func:`fupin.core.scoping.visible_to`.

Cases are registry data: whoever may see the household (``registry.view`` in scope) sees its exit case,
events, objections and decisions; the rest get 404. The candidate lists judge a whole region in Polars
(:func:`fupin.exits.evaluation.evaluate_region`) after checking that the region is in the user's scope.

:func:`exits_in_year` is the contract with the yearly review (动态调整): the households whose exit was
completed (销号) in a year, unscoped (the caller scopes).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.db.models import Q, QuerySet

from fupin.core.scoping import get_visible_or_404, region_in_scope, visible_to
from fupin.policy import roles
from fupin.policy.exit_rules import ExitRules
from fupin.policy.procedure import allowed_actions
from fupin.policy.regions import LEVEL_FIELD, RegionCodeError, level_of, normalize_code
from fupin.regions.models import Region
from fupin.registry.models import Household

from .choices import ExitStatus
from .evaluation import CountyBasis, evaluate_region
from .models import ExitCase, ExitEvent, ExitObjection


@dataclass(frozen=True)
class CaseFilters:
    """Filters of the case list (page and API alike)."""

    region: str = ""  # any region code (12 digits or its prefix form)
    step: str = ""  # current step id
    status: str = ExitStatus.IN_PROGRESS  # a status, or "all"
    year: int | None = None
    q: str = ""  # household number or head's name


def _region_filter(qs: QuerySet[Any], code: str) -> QuerySet[Any]:
    try:
        full = normalize_code(code)
        return qs.filter(**{LEVEL_FIELD[level_of(full)]: full})
    except RegionCodeError:
        return qs.none()


def cases(user: Any, filters: CaseFilters | None = None) -> QuerySet[ExitCase]:
    """The exit cases the user may see, filtered, ordered by village and household number."""
    f = filters or CaseFilters()
    qs = visible_to(user, ExitCase.objects.select_related("household", "household__village"))
    if f.status and f.status != "all":
        qs = qs.filter(status=f.status)
    if f.region:
        qs = _region_filter(qs, f.region)
    if f.step:
        qs = qs.filter(step=f.step)
    if f.year:
        qs = qs.filter(year=f.year)
    term = f.q.strip()
    if term:
        qs = qs.filter(Q(household__household_number=term) | Q(household__head_name__contains=term))
    return qs.order_by("village_code", "household__household_number", "-id")


def case_detail(user: Any, case_id: int) -> ExitCase:
    """One exit case the user may see, or 404."""
    return get_visible_or_404(user, ExitCase.objects.select_related("household", "household__village"), pk=case_id)


def events(case: ExitCase) -> list[ExitEvent]:
    """The case's event log, oldest first (the case was read through the scoping function)."""
    return list(ExitEvent.objects.filter(case=case).select_related("objection").order_by("id"))


def objections(case: ExitCase) -> list[ExitObjection]:
    return list(ExitObjection.objects.filter(case=case).order_by("id"))


def decisions(case: ExitCase) -> list[Any]:
    """The exit decisions made for the case (newest first): kind ``exit``, at its decision steps, since it
    started — including one that refused a step."""
    from fupin.rules.models import HouseholdDecision

    steps = [s.id for s in case.get_procedure().steps if s.runs_decision]
    return list(HouseholdDecision.objects.filter(household_id=case.household_id, kind="exit", context__in=steps,
                                                 made_at__gte=case.created_at).order_by("-made_at", "-id"))


def may_act(user: Any, case: ExitCase) -> bool:
    """Whether the user takes part in the exit procedure in the case's village."""
    return region_in_scope(user, case.village_code, roles.PERFORM_EXIT)


def actions_for(user: Any, case: ExitCase) -> list[str]:
    """The actions the user may try on the case now (which forms to show)."""
    if not may_act(user, case):
        return []
    return allowed_actions(case.get_procedure(), case.state(), str(user.role))


def village_batch(user: Any, village_code: str, step: str, year: int | None = None) -> QuerySet[ExitCase]:
    """The open exit cases of one village at one step (the village batch page)."""
    return cases(user, CaseFilters(region=village_code, step=step, year=year))


def household_cases(user: Any, household: Household) -> list[ExitCase]:
    """A household's exit cases, newest first (the household was read through the scoping function)."""
    return list(visible_to(user, ExitCase.objects.filter(household=household)).order_by("-id"))


# ------------------------------------------------------------------------------------ candidate lists


@dataclass
class CandidateLists:
    """名单 — a region's households judged for exit in a year (Polars frames; :meth:`named` joins the
    head's name and size onto the rows shown):

    - ``candidates``: meet the criteria but are not proposed (no open exit case);
    - ``failing``: proposed (an open case of the year) but fail, with the reasons (``failed`` ids);
    - ``proposed``: every household with an open case of the year and whether it meets the criteria.
    """

    region: Region
    year: int
    on: dt.date
    candidates: pl.DataFrame
    failing: pl.DataFrame
    proposed: pl.DataFrame
    bases: dict[str, CountyBasis] = field(default_factory=dict)

    def rules(self) -> ExitRules | None:
        return next(iter(self.bases.values())).rules if self.bases else None

    def named(self, frame: pl.DataFrame, limit: int) -> pl.DataFrame:
        """The first ``limit`` rows of one of the lists with the head's name and the household size."""
        return _with_names(frame.head(limit))

    def reason_labels(self, ids: list[str], *, lang: str = "zh") -> list[str]:
        out = []
        for rule_id in ids:
            basis = next(iter(self.bases.values()), None)
            r = basis.rules.reason(rule_id) if basis else None
            out.append(rule_id if r is None else (r.label_en if lang.startswith("en") else r.label_zh))
        return out


OPEN_SCHEMA = {"household_id": pl.Int64, "case_id": pl.Int64, "case_year": pl.Int64, "step": pl.String}


def _open_cases(region: Region) -> pl.DataFrame:
    rows = list(ExitCase.objects.filter(status=ExitStatus.IN_PROGRESS, **{LEVEL_FIELD[region.level]: region.code})
                .values_list("household_id", "pk", "year", "step"))
    return pl.DataFrame(rows, schema=OPEN_SCHEMA, orient="row")


def _with_names(frame: pl.DataFrame) -> pl.DataFrame:
    """The head's name and the household size joined on (one query over the listed households)."""
    ids = frame["household_id"].to_list()
    rows = list(Household.objects.filter(pk__in=ids).values_list("pk", "head_name", "size")) if ids else []
    names = pl.DataFrame(rows, schema={"household_id": pl.Int64, "head_name": pl.String, "size": pl.Int64},
                         orient="row")
    return frame.join(names, on="household_id", how="left")


def candidate_lists(user: Any, region_code: str, *, year: int, on: dt.date) -> CandidateLists:
    """The candidate lists of a region the user may see (else 404), judged for ``year`` on ``on``."""
    region = get_visible_or_404(user, Region.objects.all(), code=normalize_code(region_code))
    if not region_in_scope(user, region.code, roles.VIEW_REGISTRY):
        from fupin.core.scoping import ScopeError

        raise ScopeError("不存在或无权查看 / not found")
    evaluated, bases = evaluate_region(region.code, year=year, on=on)
    open_cases = _open_cases(region)
    joined = evaluated.join(open_cases, on="household_id", how="left")
    proposed = joined.filter(pl.col("case_id").is_not_null() & (pl.col("case_year") == year))
    candidates = joined.filter(pl.col("case_id").is_null() & pl.col("meets"))
    failing = proposed.filter(~pl.col("meets"))
    order = ["village_code", "household_number"]
    return CandidateLists(region=region, year=year, on=on, candidates=candidates.sort(order),
                          failing=failing.sort(order), proposed=proposed.sort(order), bases=bases)


def village_overview(user: Any, village: Region, *, year: int, on: dt.date) -> pl.DataFrame:
    """Every poor household of a village not yet proposed (脱贫状态 0 or 3, no open case), judged for
    ``year``: ``meets`` and ``failed`` — the village page's proposal list. The village was read through
    the scoping function."""
    evaluated, _ = evaluate_region(village.code, year=year, on=on)
    open_cases = _open_cases(village)
    rows = (evaluated.join(open_cases, on="household_id", how="anti")
            .filter(pl.col("poverty_status").is_in(["0", "3"]))
            .sort(["meets", "household_number"], descending=[True, False]))
    return _with_names(rows)


# ------------------------------------------------------------------------------------ contract (review)


def exits_in_year(region_code: str, year: int) -> pl.DataFrame:
    """Households under ``region_code`` whose exit was completed (销号) in ``year``:
    ``household_id`` (Int64), ``exited_on`` (Date), ordered by household. Unscoped: the caller scopes."""
    code = normalize_code(region_code)
    rows = list(ExitCase.objects.filter(status=ExitStatus.EXITED, exited_on__gte=dt.date(year, 1, 1),
                                        exited_on__lte=dt.date(year, 12, 31), **{LEVEL_FIELD[level_of(code)]: code})
                .order_by("household_id").values_list("household_id", "exited_on"))
    return pl.DataFrame(rows, schema={"household_id": pl.Int64, "exited_on": pl.Date}, orient="row")


__all__ = ["CandidateLists", "CaseFilters", "actions_for", "candidate_lists", "case_detail", "cases", "decisions",
           "events", "exits_in_year", "household_cases", "may_act", "objections", "village_batch",
           "village_overview"]
