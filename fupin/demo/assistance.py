"""Demo help for the demo counties (演示帮扶数据): plans, measures, measures given and visits.

Runs after the pairing demo (:mod:`fupin.demo.pairing`), on the helpers and pairings it made: every
current pairing of an active household in the demo counties gets visits, a share of the not-exited
households get this year's plan (一户一策) with 1–3 measures chosen from the catalogue's suggestion table
for their causes of poverty (:func:`fupin.policy.measures.suggest`, pure, no per-household query), and
the done measures get a measure given. Demo assumptions (演示假设), not statistics:

- about 10 % of helpers are "late" (their last visit was 35–80 days ago: overdue under the 30-day
  rule), and about 3 % of pairings were never visited; the other helpers visit every 15–28 days
  (visits of the last 45 days are generated); the demo helper login has one overdue household;
- 45 % of the not-exited paired households have a plan, every household of a helper with a login (the
  demo helper) has one; 70 % of plans are approved;
- a measure whose target date has passed is done (80 %), still in progress or planned (overdue, 15 %),
  or dropped with a reason (5 %); later measures are planned or in progress;
- a done measure has its measure given, with the catalogue's amount (or a plausible one) and a fund,
  loan or project reference.

Bulk writes (:func:`fupin.core.bulk.insert_rows`) with one audit row per plan, measure given and visit
(source ``demo``), in the caller's transaction. Idempotent: nothing is written when the demo counties
already have plans or visits.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from fupin.assistance.models import HouseholdPlan, MeasureGiven, PlannedMeasure, Visit
from fupin.core.bulk import insert_rows, reserve_ids
from fupin.core.models import ChangeAction, ChangeRecord
from fupin.pairing.models import HouseholdPairing
from fupin.policy import clock, codes
from fupin.policy.measures import MeasureCatalogue, expected_amount, load_default_catalogue, suggest
from fupin.registry.choices import RecordStatus

from . import plan

LATE_HELPERS = 0.10
NEVER_VISITED = 0.03
PLAN_SHARE = 0.45
#: How far back the demo's visits go (the pages show the recent ones; older history adds rows, not insight).
VISIT_HISTORY_DAYS = 45
APPROVED_SHARE = 0.70
FINDINGS = ("家中生活正常, 两不愁有保障", "户主外出务工, 与家属面谈", "核实收入, 年内增收明显", "慢性病按时服药, 已办理门诊特殊病种",
            "住房已修缮, 无安全隐患", "子女在校就读, 已享受教育资助", "养殖规模扩大, 需技术指导", "茶园长势良好")
AGREED = ("下月再访", "协助申请小额信贷", "联系技术员上门指导", "落实医保代缴", "推荐到园区务工", "")
FUND_REFS = ("财政专项扶贫资金", "行业部门资金", "社会帮扶资金", "县级整合资金")
DROP_REASONS = ("户主外出务工, 改为转移就业", "已享受同类政策", "家庭意愿变化")
#: Fallback measures for a household whose causes suggest nothing (e.g. 因婚, 其他).
FALLBACK = ("industry_household", "employment_transfer")


@dataclass(frozen=True)
class AssistanceResult:
    pairings: int
    visits: int
    overdue_pairings: int
    plans: int
    measures: int
    measures_overdue: int
    given: int


def assistance_present(targets: Sequence[plan.CountyTarget] = plan.DEFAULT_TARGETS) -> bool:
    codes_ = [t.code for t in targets]
    return (HouseholdPlan.objects.filter(household__county_code__in=codes_).exists()
            or Visit.objects.filter(household__county_code__in=codes_).exists())


def _measures_for(rng: random.Random, catalogue: MeasureCatalogue, causes: list[str]) -> list[tuple[str, list]]:
    """1–3 measure types for a household from its causes (the suggestion table), with the reasons."""
    found = [s for s in suggest(catalogue, causes=causes) if s.measure.level == "household"]
    picks = [(s.measure.id, [r.to_dict() for r in s.reasons]) for s in found[:3]]
    if not picks or rng.random() < 0.3:
        extra = rng.choice(FALLBACK)
        if extra not in {p[0] for p in picks}:
            picks.append((extra, []))
    return picks[: rng.randint(1, 3)] or [(FALLBACK[0], [])]


def _quantity(rng: random.Random, unit: str) -> Decimal | None:
    if unit == "mu":
        return Decimal(rng.choice((1, 2, 3, 5)))
    if unit in ("person", "household"):
        return Decimal(rng.randint(1, 3) if unit == "person" else 1)
    if unit == "head":
        return Decimal(rng.choice((2, 5, 10, 50)))
    return None


def _amount(rng: random.Random, catalogue: MeasureCatalogue, measure_id: str, qty: Decimal | None) -> Decimal:
    m = catalogue.get(measure_id)
    value = expected_amount(m, qty)
    if value is None or m.unit == "yuan":
        value = Decimal(rng.choice((800, 1200, 2000, 3000, 5000)))
    if m.max_amount is not None:
        value = min(m.max_amount, Decimal(rng.choice((10000, 20000, 30000, 50000))))
    return value.quantize(Decimal("0.01"))


def _audit(model: str, pk: int, household_id: int, village: str, changes: dict, comment: str) -> dict:
    return {"actor_id": None, "actor_name": "demo", "action": ChangeAction.CREATE, "model": model,
            "object_id": str(pk), "household_id": household_id, "region_code": village, "changes": changes,
            "source": "demo", "comment": comment}


def generate_assistance(*, seed: int = 2014, today: dt.date | None = None,
                        targets: Sequence[plan.CountyTarget] = plan.DEFAULT_TARGETS) -> AssistanceResult:
    """Write the demo plans, measures, measures given and visits (see the module docstring)."""
    rng = random.Random(seed * 7 + 5)
    today = today or clock.today()
    catalogue = load_default_catalogue()
    if assistance_present(targets):
        return AssistanceResult(0, 0, 0, 0, 0, 0, 0)
    rows = list(HouseholdPairing.objects.filter(
        ended_on__isnull=True, household__status=RecordStatus.ACTIVE,
        household__county_code__in=[t.code for t in targets],
    ).order_by("id").values_list("helper_id", "household_id", "started_on", "household__village_code",
                                 "household__main_cause", "household__other_cause_1", "household__other_cause_2",
                                 "household__poverty_status", "helper__user_id"))
    if not rows:
        return AssistanceResult(0, 0, 0, 0, 0, 0, 0)
    helpers = sorted({r[0] for r in rows})
    late = {h for h in helpers if rng.random() < LATE_HELPERS}
    with_login = {r[0] for r in rows if r[8] is not None}
    late -= with_login  # the demo helper's own list shows one planted overdue visit below, not all
    first_of_login: set[int] = set()

    # ---- visits
    visits: list[dict] = []
    overdue_pairings = 0
    for helper_id, household_id, started_on, village, *_rest, user_id in rows:
        earliest = max(started_on, today - dt.timedelta(days=VISIT_HISTORY_DAYS))
        if user_id is not None and helper_id not in first_of_login:
            first_of_login.add(helper_id)
            last = today - dt.timedelta(days=rng.randint(35, 50))  # one planted overdue household
        elif helper_id in late:
            last = today - dt.timedelta(days=rng.randint(35, 80))
        elif rng.random() < NEVER_VISITED and user_id is None:
            last = None
        else:
            last = today - dt.timedelta(days=rng.randint(0, 25))
        if last is None or last < started_on:  # never visited
            if (today - started_on).days > 30:
                overdue_pairings += 1
            continue
        if (today - last).days > 30:
            overdue_pairings += 1
        day = last  # the last visit always; earlier ones within the history window
        while day == last or day >= earliest:
            visits.append({"helper_id": helper_id, "household_id": household_id, "visited_on": day,
                           "village": village, "found": rng.choice(FINDINGS), "agreed": rng.choice(AGREED)})
            day -= dt.timedelta(days=rng.randint(15, 28))

    # ---- plans and measures
    year = today.year
    start_of_year = dt.date(year, 1, 1)
    by_household: dict[int, tuple] = {}
    for r in rows:
        by_household.setdefault(r[1], r)
    plans: list[dict] = []
    measures: list[dict] = []
    given: list[dict] = []
    overdue_measures = 0
    for household_id, (helper_id, _hh, _start, village, main, other1, other2, status, user_id) in by_household.items():
        exited = status not in codes.POVERTY_STATUS_NOT_EXITED
        if user_id is None and (exited or rng.random() >= PLAN_SHARE):
            continue
        approved = rng.random() < APPROVED_SHARE
        plans.append({"household_id": household_id, "village": village, "year": year,
                      "status": "approved" if approved else "draft", "goal": "稳定增收, 巩固两不愁三保障",
                      "catalogue_version": catalogue.version, "created_by_name": "demo",
                      "approved_by_name": "demo" if approved else "",
                      "approved_at": timezone.now() if approved else None, "version": 2 if approved else 1})
        for measure_id, reasons in _measures_for(rng, catalogue, [c for c in (main, other1, other2) if c]):
            m = catalogue.get(measure_id)
            target = start_of_year + dt.timedelta(days=rng.randint(30, 364))
            qty = _quantity(rng, m.unit)
            row = {"household_id": household_id, "plan": len(plans) - 1, "measure_type": measure_id,
                   "description": m.label_zh, "quantity": qty, "planned_amount": expected_amount(m, qty),
                   "target_date": target, "helper_id": helper_id,
                   "expected_income": Decimal(rng.choice((300, 500, 800, 1200, 2000))), "status": "planned",
                   "started_on": None, "done_on": None, "dropped_on": None, "drop_reason": "", "reasons": reasons,
                   "created_by_name": "demo", "version": 1}
            roll = rng.random()
            if target < today:
                if roll < 0.80:
                    done_on = min(target, today)
                    row.update(status="done", started_on=target - dt.timedelta(days=30), done_on=done_on, version=3)
                    given.append({"household_id": household_id, "measure": len(measures), "village": village,
                                  "measure_type": measure_id, "given_on": done_on, "unit": m.unit, "quantity": qty,
                                  "amount": _amount(rng, catalogue, measure_id, qty)})
                elif roll < 0.95:
                    overdue_measures += 1
                    if roll < 0.90:
                        row.update(status="in_progress", started_on=target - dt.timedelta(days=20), version=2)
                else:
                    row.update(status="dropped", dropped_on=target, drop_reason=rng.choice(DROP_REASONS), version=2)
            elif roll < 0.45:
                row.update(status="in_progress", started_on=max(start_of_year, today - dt.timedelta(days=20)),
                           version=2)
            measures.append(row)
    return _store(visits, plans, measures, given, catalogue, len(rows), overdue_pairings, overdue_measures)


def _store(visits: list[dict], plans: list[dict], measures: list[dict], given: list[dict],
           catalogue: MeasureCatalogue, n_pairings: int, overdue_pairings: int,
           overdue_measures: int) -> AssistanceResult:
    audit: list[dict] = []
    visit_ids = reserve_ids(Visit, len(visits))
    for pk, v in zip(visit_ids, visits, strict=True):
        v["id"] = pk
        audit.append(_audit("assistance.visit", pk, v["household_id"], v["village"],
                            {"helper": [None, v["helper_id"]], "visited_on": [None, v["visited_on"].isoformat()]},
                            "演示数据:走访 / demo data: visit"))
    plan_ids = reserve_ids(HouseholdPlan, len(plans))
    measure_ids = reserve_ids(PlannedMeasure, len(measures))
    per_plan: dict[int, int] = defaultdict(int)
    for pk, m in zip(measure_ids, measures, strict=True):
        m["id"] = pk
        m["plan_id"] = plan_ids[m.pop("plan")]
        per_plan[m["plan_id"]] += 1
    for pk, p in zip(plan_ids, plans, strict=True):
        p["id"] = pk
        audit.append(_audit("assistance.householdplan", pk, p["household_id"], p["village"],
                            {"year": [None, p["year"]], "status": [None, p["status"]]},
                            f"演示数据:帮扶计划,{per_plan[pk]}项措施 / demo data: plan with {per_plan[pk]} measures"))
    given_ids = reserve_ids(MeasureGiven, len(given))
    rng = random.Random(len(given))
    for pk, g in zip(given_ids, given, strict=True):
        g["id"] = pk
        g["planned_measure_id"] = measure_ids[g.pop("measure")]
        loan = g["measure_type"] == "finance_microloan"
        g.update(term_months=36 if loan else None, loan_ref=f"扶贫小额信贷-{pk:06d}" if loan else "",
                 fund_ref="" if loan else rng.choice(FUND_REFS), project_ref="", description="",
                 recorded_by_name="demo", source="demo")
        audit.append(_audit("assistance.measuregiven", pk, g["household_id"], g["village"],
                            {"measure_type": [None, g["measure_type"]], "amount": [None, str(g["amount"])]},
                            "演示数据:措施落实 / demo data: measure given"))
    insert_rows(Visit, [{k: v for k, v in row.items() if k != "village"} | {"recorded_by_name": "demo",
                                                                           "source": "demo"} for row in visits])
    insert_rows(HouseholdPlan, [{k: v for k, v in row.items() if k != "village"} for row in plans])
    insert_rows(PlannedMeasure, measures)
    insert_rows(MeasureGiven, [{k: v for k, v in row.items() if k != "village"} for row in given])
    insert_rows(ChangeRecord, audit)
    return AssistanceResult(pairings=n_pairings, visits=len(visits), overdue_pairings=overdue_pairings,
                            plans=len(plans), measures=len(measures), measures_overdue=overdue_measures,
                            given=len(given))


def ensure_demo_assistance(*, seed: int = 2014, write: Callable[[str], Any] | None = None,
                           targets: Sequence[plan.CountyTarget] = plan.DEFAULT_TARGETS) -> AssistanceResult:
    """The demo command's step (after the pairing step): generate unless present, in one transaction,
    and say what was done through ``write``."""
    with transaction.atomic():
        if assistance_present(targets):
            if write:
                write("    帮扶数据已存在 / assistance data present")
            return AssistanceResult(0, 0, 0, 0, 0, 0, 0)
        result = generate_assistance(seed=seed, targets=targets)
    if write:
        write(f"    精准帮扶 / assistance: {result.plans} 户帮扶计划 plans, {result.measures} 项措施 measures "
              f"({result.measures_overdue} 项超期 overdue), {result.given} 条措施落实 given, {result.visits} 次走访 "
              f"visits ({result.overdue_pairings} 户走访超期 overdue)")
    return result


__all__ = ["AssistanceResult", "assistance_present", "ensure_demo_assistance", "generate_assistance"]
