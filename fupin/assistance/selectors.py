"""Reads of the assistance app (精准帮扶), always through :func:`fupin.core.scoping.visible_to`.

- :func:`qiqing` — the household's 七清 at a glance (现状, 贫困程度, 致贫原因, 帮扶措施, 扶持项目, 包保单位,
  脱贫年限) for its page;
- :func:`suggestions_for` — the measures its pathways, causes and conditions suggest;
- :func:`helper_home` — a helper's households and to-do (overdue visits, measures due or overdue);
- :func:`overdue_visits` — every current pairing of a region with its last visit, as a Polars frame, and
  :func:`overdue_by_helper` — the per-helper summary of the township/county page (gaps first).

Plans, measures and visits are registry data: whoever may see the household sees them (the pairing
rule of the scoping function shows a helper their own households); the rest get 404.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import polars as pl
from django.db.models import Count, Max, Q, QuerySet, Sum

from fupin.core.scoping import get_visible_or_404, visible_to
from fupin.pairing.models import Helper, HouseholdPairing
from fupin.policy import clock, codes
from fupin.policy.measures import (
    DEADLINE_DUE_SOON,
    DEADLINE_OVERDUE,
    OPEN_MEASURE_STATUSES,
    PathwayRef,
    PlanStatus,
    Suggestion,
    days_overdue,
    deadline_state,
    load_default_catalogue,
    overdue,
    overdue_expr,
    suggest,
    visit_due_on,
)
from fupin.policy.regions import LEVEL_FIELD, RegionCodeError, level_of, normalize_code
from fupin.registry.choices import RecordStatus
from fupin.registry.models import Household

from .access import helper_of, may_approve_plan, may_assist
from .catalogue import effective_catalogue, interval_expr
from .models import HouseholdPlan, MeasureGiven, PlannedMeasure, Visit, VisitPhoto

today = clock.today  # 今天 in China Standard Time (fupin.policy.clock); callers use this module's today()


# ------------------------------------------------------------------------------------------ lists


@dataclass(frozen=True)
class PlanFilters:
    """Filters of the plan list (page and API alike)."""

    region: str = ""
    year: int | None = None
    status: str = ""
    household_id: int | None = None


def _in_region(qs: QuerySet[Any], region: str, prefix: str = "household__") -> QuerySet[Any]:
    if not region:
        return qs
    try:
        code = normalize_code(region)
    except RegionCodeError:
        return qs.none()
    return qs.filter(**{f"{prefix}{LEVEL_FIELD[level_of(code)]}": code})


def plans(user: Any, filters: PlanFilters | None = None) -> QuerySet[HouseholdPlan]:
    f = filters or PlanFilters()
    qs = visible_to(user, HouseholdPlan.objects.select_related("household", "household__village"))
    qs = _in_region(qs, f.region)
    if f.year:
        qs = qs.filter(year=f.year)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.household_id:
        qs = qs.filter(household_id=f.household_id)
    return qs.order_by("household__village_code", "household__household_number", "-year")


def plan_detail(user: Any, plan_id: int) -> HouseholdPlan:
    return get_visible_or_404(user, HouseholdPlan.objects.select_related("household", "household__village"),
                              pk=plan_id)


def household(user: Any, household_id: int) -> Household:
    """A household the user may see, or 404."""
    return get_visible_or_404(user, Household.objects.select_related("village"), pk=household_id)


def plan_of(user: Any, household_id: int, year: int) -> HouseholdPlan | None:
    return visible_to(user, HouseholdPlan.objects.filter(household_id=household_id, year=year)).first()


def plan_years(user: Any, household_id: int) -> list[int]:
    return list(visible_to(user, HouseholdPlan.objects.filter(household_id=household_id))
                .order_by("-year").values_list("year", flat=True))


def planned_measures(plan: HouseholdPlan) -> list[PlannedMeasure]:
    """The plan's measures (the plan was read through the scoping function), by target date."""
    return list(PlannedMeasure.objects.filter(plan=plan).select_related("helper").order_by("target_date", "id"))


def measure_detail(user: Any, measure_id: int) -> PlannedMeasure:
    return get_visible_or_404(user, PlannedMeasure.objects.select_related("plan", "household", "helper"),
                              pk=measure_id)


def measures(user: Any, *, household_id: int | None = None, region: str = "", status: str = "",
             helper_id: int | None = None) -> QuerySet[PlannedMeasure]:
    qs = _in_region(visible_to(user, PlannedMeasure.objects.select_related("plan", "household", "helper")), region)
    if household_id:
        qs = qs.filter(household_id=household_id)
    if status:
        qs = qs.filter(status=status)
    if helper_id:
        qs = qs.filter(helper_id=helper_id)
    return qs.order_by("target_date", "id")


def measures_given(user: Any, *, household_id: int | None = None, region: str = "",
                   include_cancelled: bool = True) -> QuerySet[MeasureGiven]:
    qs = _in_region(visible_to(user, MeasureGiven.objects.select_related("household", "planned_measure")), region)
    if household_id:
        qs = qs.filter(household_id=household_id)
    if not include_cancelled:
        qs = qs.filter(cancelled_at__isnull=True)
    return qs.order_by("-given_on", "-id")


def given_detail(user: Any, given_id: int) -> MeasureGiven:
    return get_visible_or_404(user, MeasureGiven.objects.select_related("household"), pk=given_id)


def visits(user: Any, *, household_id: int | None = None, helper_id: int | None = None,
           region: str = "") -> QuerySet[Visit]:
    qs = _in_region(visible_to(user, Visit.objects.select_related("helper", "household")), region)
    if household_id:
        qs = qs.filter(household_id=household_id)
    if helper_id:
        qs = qs.filter(helper_id=helper_id)
    return qs.prefetch_related("photos").order_by("-visited_on", "-id")


def visit_detail(user: Any, visit_id: int) -> Visit:
    return get_visible_or_404(user, Visit.objects.select_related("helper", "household"), pk=visit_id)


def photo_detail(user: Any, photo_id: int) -> VisitPhoto:
    return get_visible_or_404(user, VisitPhoto.objects.select_related("visit", "visit__household"), pk=photo_id)


def current_helpers(household_id: int) -> list[Helper]:
    from fupin.pairing.selectors import current_helpers as pairing_current_helpers

    return list(pairing_current_helpers(household_id).order_by("name", "id"))


# ------------------------------------------------------------------------------------------ suggestions


def pathways_of(household_obj: Household, *, on: dt.date | None = None) -> tuple[list[PathwayRef], dict[str, Any] | None]:
    """The household's pathways in every scheme of its policy (N个一批), and its household-view row
    (None when it has no active member, or the policy has no poverty line to build the view with)."""
    from fupin.policy.pathways import classify_one
    from fupin.rules.decisions import household_views
    from fupin.rules.errors import RulesRefused
    from fupin.rules.services import effective_policy

    on = on or today()
    policy = effective_policy(household_obj.village_code, on)
    try:
        views = household_views(household_obj, on=on, policy=policy)
    except RulesRefused:
        return [], None
    if views.household is None:
        return [], None
    refs = [PathwayRef(scheme.id, hit.pathway_id, hit.label_zh, hit.label_en)
            for scheme in policy.scheme_list for hit in classify_one(scheme, views.household, views.persons)]
    return refs, views.household


def suggestions_for(household_obj: Household, *, on: dt.date | None = None,
                    exclude: Iterable[str] = ()) -> tuple[Suggestion, ...]:
    """建议措施 — the measure types the household's pathways, causes of poverty and conditions suggest
    (the catalogue's table), minus ``exclude``."""
    refs, row = pathways_of(household_obj, on=on)
    catalogue = effective_catalogue(household_obj.village_code, on)
    causes = [household_obj.main_cause, *household_obj.other_causes]
    return suggest(catalogue, pathways=refs, causes=causes, household=row, exclude=exclude)


def open_measure_types(plan: HouseholdPlan | None) -> set[str]:
    """Measure types already in the plan and not dropped (not suggested again)."""
    if plan is None:
        return set()
    return set(PlannedMeasure.objects.filter(plan=plan).exclude(status="dropped")
               .values_list("measure_type", flat=True))


# ------------------------------------------------------------------------------------------ 七清


@dataclass
class Qiqing:
    """七清 — 贫困人口现况、贫困程度、致贫原因、帮扶措施、扶持项目、包保单位、脱贫年限 (seed 002)."""

    household: Household
    year: int
    # 现况
    poverty_status: str
    category: str
    record_status: str
    size: int
    # 贫困程度
    income_per_capita: Decimal | None
    poverty_line: Decimal | None
    line_year: int | None
    policy_version: str
    gap: Decimal | None  # line − income (positive: below the line)
    ratio: Decimal | None  # income ÷ line, in %
    # 致贫原因
    causes: list[tuple[str, str]]
    # 帮扶措施
    plan: HouseholdPlan | None
    planned: list[PlannedMeasure]
    given: list[MeasureGiven]
    given_total: Decimal
    # 扶持项目 (references on measures given until the finance issue brings projects)
    projects: list[dict[str, str]]
    # 包保单位
    helpers: list[Helper]
    units: list[str]
    # 脱贫年限
    planned_exit_year: int | None
    exit_year: int | None
    last_visit: Visit | None = None
    n_open: int = 0
    n_done: int = 0
    n_overdue: int = 0
    may_assist: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def below_line(self) -> bool | None:
        return None if self.gap is None else self.gap > 0


def _depth(h: Household, on: dt.date) -> tuple[Decimal | None, int | None, str]:
    """The poverty line that judges ``on``'s year for the household (its 识别标准, the policy in force)."""
    from fupin.rules.errors import RulesRefused
    from fupin.rules.services import effective_policy
    from fupin.rules.versions import line_year

    policy = effective_policy(h.village_code, on)
    try:
        year = line_year(policy, h.county_code, on.year)
    except RulesRefused:
        return None, None, policy.version
    lines = policy.poverty_lines_by_standard(year=year, region_code=h.county_code)
    line = lines.get(h.identification_standard) or lines.get(policy.standard)
    return (None if line is None else Decimal(str(line)).quantize(Decimal("0.01"))), year, policy.version


def qiqing(user: Any, household_obj: Household, *, on: dt.date | None = None, year: int | None = None) -> Qiqing:
    """The 七清 of a household the user may see (the caller read it through the scoping function; it is
    checked again here: 404 otherwise). ``year``: the plan year (default: this year)."""
    on = on or today()
    year = year or on.year
    h = household(user, household_obj.pk)
    line, judged_year, version = _depth(h, on)
    income = h.income_per_capita
    gap = ratio = None
    if income is not None and line:
        gap = (line - income).quantize(Decimal("0.01"))
        ratio = (income * 100 / line).quantize(Decimal("0.1"))
    plan = plan_of(user, h.pk, year)
    planned = planned_measures(plan) if plan else []
    given_qs = measures_given(user, household_id=h.pk, include_cancelled=False)
    given = list(given_qs[:20])
    total = given_qs.aggregate(s=Sum("amount"))["s"] or Decimal(0)
    refs: dict[tuple[str, str], dict[str, str]] = {}
    for kind, label, column in (("project", "项目 project", "project_ref"), ("fund", "资金 fund", "fund_ref"),
                                ("loan", "贷款 loan", "loan_ref")):
        for value in given_qs.exclude(**{column: ""}).order_by().values_list(column, flat=True).distinct():
            refs[(kind, value)] = {"kind": kind, "label": label, "ref": value}
    helpers = current_helpers(h.pk)
    causes = [(c, codes.POVERTY_CAUSE.label(c)) for c in (h.main_cause, *h.other_causes) if c]
    states = [deadline_state(m.target_date, on, m.status) for m in planned]
    return Qiqing(
        household=h, year=year, poverty_status=codes.POVERTY_STATUS.label(h.poverty_status),
        category=h.category_list.label(h.category), record_status=h.get_status_display(), size=h.size,
        income_per_capita=income, poverty_line=line, line_year=judged_year, policy_version=version, gap=gap,
        ratio=ratio, causes=causes, plan=plan, planned=planned, given=given, given_total=total,
        projects=list(refs.values()), helpers=helpers, units=sorted({x.unit for x in helpers if x.unit}),
        planned_exit_year=h.planned_exit_year, exit_year=h.exit_year,
        last_visit=visits(user, household_id=h.pk).first(),
        n_open=sum(1 for m in planned if m.status in OPEN_MEASURE_STATUSES),
        n_done=sum(1 for m in planned if m.status == "done"),
        n_overdue=states.count(DEADLINE_OVERDUE), may_assist=may_assist(user, h),
    )


# ------------------------------------------------------------------------------------------ the helper's home


@dataclass
class MyHousehold:
    household: Household
    started_on: dt.date
    last_visit: dt.date | None
    due_on: dt.date | None
    overdue: bool
    days_overdue: int | None
    open_measures: int = 0


@dataclass
class HelperHome:
    """我的帮扶户 — a helper's households (visits due first) and to-do list."""

    helper: Helper | None
    households: list[MyHousehold]
    overdue_visits: list[MyHousehold]
    measures_overdue: list[PlannedMeasure]
    measures_due: list[PlannedMeasure]
    interval_days: int
    window_days: int


def helper_home(user: Any, *, on: dt.date | None = None) -> HelperHome:
    """The home page of a user linked to a helper: their current households (through the scoping
    function), the last visit of each by them, whether it is overdue (the household's visit interval),
    and the open measures of their households due within the window or overdue."""
    on = on or today()
    helper = helper_of(user)
    if helper is None:
        return HelperHome(None, [], [], [], [], 0, 0)
    pairings = list(HouseholdPairing.objects.filter(
        helper=helper, ended_on__isnull=True,
        household__in=visible_to(user, Household.objects.filter(status=RecordStatus.ACTIVE)),
    ).select_related("household", "household__village").order_by("household__village_code",
                                                                 "household__household_number"))
    ids = [p.household_id for p in pairings]
    last = dict(Visit.objects.filter(helper=helper, household_id__in=ids).values("household_id")
                .annotate(m=Max("visited_on")).values_list("household_id", "m"))
    open_counts = dict(PlannedMeasure.objects.filter(household_id__in=ids, status__in=sorted(OPEN_MEASURE_STATUSES))
                       .exclude(plan__status=PlanStatus.CLOSED).values("household_id")
                       .annotate(n=Count("id")).values_list("household_id", "n"))
    catalogues: dict[str, Any] = {}
    rows: list[MyHousehold] = []
    for p in pairings:
        village = p.household.village_code
        catalogue = catalogues.setdefault(village, effective_catalogue(village, on))
        n = catalogue.visit_interval_days
        lv = last.get(p.household_id)
        rows.append(MyHousehold(
            household=p.household, started_on=p.started_on, last_visit=lv,
            due_on=visit_due_on(lv, n, since=p.started_on), overdue=overdue(lv, on, n, since=p.started_on),
            days_overdue=days_overdue(lv, on, n, since=p.started_on), open_measures=open_counts.get(p.household_id, 0)))
    rows.sort(key=lambda r: (not r.overdue, r.due_on or dt.date.min, r.household.household_number))
    default = effective_catalogue(helper.region_code, on) if helper.region_code else load_default_catalogue()
    window = default.due_window_days
    todo = list(PlannedMeasure.objects.filter(
        household_id__in=ids, status__in=sorted(OPEN_MEASURE_STATUSES), target_date__lte=on + dt.timedelta(days=window),
    ).filter(Q(helper=helper) | Q(helper__isnull=True)).exclude(plan__status=PlanStatus.CLOSED)
        .select_related("household", "plan").order_by("target_date", "id"))
    return HelperHome(
        helper=helper, households=rows, overdue_visits=[r for r in rows if r.overdue],
        measures_overdue=[m for m in todo if deadline_state(m.target_date, on, m.status, window) == DEADLINE_OVERDUE],
        measures_due=[m for m in todo if deadline_state(m.target_date, on, m.status, window) == DEADLINE_DUE_SOON],
        interval_days=default.visit_interval_days, window_days=window)


# ------------------------------------------------------------------------------------------ overdue visits (region)

PAIRING_SCHEMA = {"helper_id": pl.Int64, "household_id": pl.Int64, "since": pl.Date, "village_code": pl.String}
VISIT_SCHEMA = {"helper_id": pl.Int64, "household_id": pl.Int64, "last_visit": pl.Date}


def overdue_visits(user: Any, region_code: str = "", *, on: dt.date | None = None) -> pl.DataFrame:
    """Every current pairing of an active household the user may see in ``region_code`` (default: the
    user's region), with the helper's last visit to it, the visit interval that applies there (county
    settings), the due day and whether it is overdue — column work, two queries.

    Columns: helper_id, household_id, since, village_code, last_visit, n, due_on, overdue, days_overdue."""
    on = on or today()
    region = region_code or (user.region.code if getattr(user, "region", None) else "")
    households = visible_to(user, Household.objects.filter(status=RecordStatus.ACTIVE))
    households = _in_region(households, region, prefix="")
    pairs = pl.DataFrame(list(HouseholdPairing.objects.filter(ended_on__isnull=True, household__in=households)
                              .values_list("helper_id", "household_id", "started_on", "household__village_code")),
                         schema=PAIRING_SCHEMA, orient="row")
    seen = pl.DataFrame(list(Visit.objects.filter(household__in=households).values("helper_id", "household_id")
                             .annotate(m=Max("visited_on")).values_list("helper_id", "household_id", "m")),
                        schema=VISIT_SCHEMA, orient="row")
    frame = pairs.join(seen, on=["helper_id", "household_id"], how="left")
    n = interval_expr(region, on) if region else pl.lit(load_default_catalogue().visit_interval_days)
    due = pl.coalesce(pl.col("last_visit"), pl.col("since")) + pl.duration(days=pl.col("n"))
    return (frame.with_columns(n.cast(pl.Int64).alias("n"))
            .with_columns(due.alias("due_on"), overdue_expr(on).alias("overdue"))
            .with_columns((pl.lit(on) - pl.col("due_on")).dt.total_days().alias("days_overdue")))


@dataclass
class HelperWorkload:
    helper: Helper
    households: int
    overdue: int
    oldest_last_visit: dt.date | None
    max_days_overdue: int | None
    never_visited: int


def overdue_by_helper(user: Any, region_code: str = "", *, on: dt.date | None = None) -> list[HelperWorkload]:
    """Per helper: households, overdue visits, the oldest last visit, the worst delay — helpers with
    overdue visits first (most first), then the rest by name."""
    frame = overdue_visits(user, region_code, on=on)
    if frame.height == 0:
        return []
    summary = frame.group_by("helper_id").agg(
        pl.len().alias("households"), pl.col("overdue").sum().alias("overdue"),
        pl.col("last_visit").min().alias("oldest"), pl.col("days_overdue").filter(pl.col("overdue")).max().alias("worst"),
        pl.col("last_visit").is_null().sum().alias("never"),
    )
    helpers = {h.pk: h for h in Helper.objects.filter(pk__in=summary["helper_id"].to_list())}
    rows = [HelperWorkload(helpers[r["helper_id"]], r["households"], r["overdue"], r["oldest"], r["worst"], r["never"])
            for r in summary.iter_rows(named=True) if r["helper_id"] in helpers]
    rows.sort(key=lambda w: (-w.overdue, w.helper.name, w.helper.pk))
    return rows


def overdue_households(user: Any, helper_id: int, region_code: str = "", *, on: dt.date | None = None
                       ) -> list[dict[str, Any]]:
    """The overdue households of one helper in the region (for the page's detail rows)."""
    frame = overdue_visits(user, region_code, on=on).filter(pl.col("helper_id") == helper_id, pl.col("overdue"))
    by_id = Household.objects.in_bulk(frame["household_id"].to_list())
    return [{**r, "household": by_id.get(r["household_id"])} for r in frame.sort("due_on").iter_rows(named=True)]


def can_approve(user: Any, plan: HouseholdPlan) -> bool:
    return may_approve_plan(user, plan.household, effective_catalogue(plan.household.village_code))


__all__ = ["HelperHome", "HelperWorkload", "MyHousehold", "PlanFilters", "Qiqing", "can_approve", "current_helpers",
           "given_detail", "helper_home", "household", "measure_detail", "measures", "measures_given",
           "open_measure_types", "overdue_by_helper", "overdue_households", "overdue_visits", "pathways_of",
           "photo_detail", "plan_detail", "plan_of", "plan_years", "planned_measures", "plans", "qiqing",
           "suggestions_for", "visit_detail", "visits"]
