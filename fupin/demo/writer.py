"""Storing the demo registry (演示数据入库): one transaction, bulk inserts, one audit row per household.

Rows go in through :mod:`.bulk` (COPY on PostgreSQL, multi-row INSERT on SQLite; ``bulk_create``
was too slow for the 30-second budget). That skips the registry services, so this module sets what
they would: the ancestor code columns (province_code … village_code), 户编号 (village code + 5-digit sequence, the scheme of
``fupin.registry.services._next_household_number``), head name, size, income figures, version 1,
and writes one :class:`~fupin.core.models.ChangeRecord` per household (action create, source
"demo", actor_name "demo").

Region figures, all demo assumptions (演示假设), not official statistics:

- 明溪县 and 宁化县 are marked 重点县 (both were provincial key counties, 省级扶贫开发工作重点县);
- about 35 villages of 明溪 and 60 of 宁化 are marked 贫困村 (Sanming had 380 in 12 counties);
- rural populations (农村人口, ``population_source`` = "演示数据 demo figure"): villages from their
  poor persons (incidence mostly 2–15 %), townships = the sum of their villages, counties =
  明溪 95,000 and 宁化 280,000 (or the sum of their townships when larger).
"""

from __future__ import annotations

import gc
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import DecimalField, Max

from fupin.core.models import ChangeAction, ChangeRecord
from fupin.policy.regions import LEVEL_FIELD, LEVEL_TOWNSHIP, LEVEL_VILLAGE, ancestor_codes, prefix_of
from fupin.regions.models import Region
from fupin.registry.choices import RecordStatus
from fupin.registry.models import Household, Member
from fupin.registry.services import HOUSEHOLD_DERIVED, HOUSEHOLD_FIELDS

from . import plan
from .bulk import insert_rows, reserve_ids
from .generator import CountyData, Village, generate_county, village_populations

POPULATION_SOURCE = "演示数据 demo figure"
BATCH = 2000
_AUDIT_FIELDS = (*HOUSEHOLD_FIELDS, *HOUSEHOLD_DERIVED, "household_number")
_DECIMAL_FIELDS = frozenset(f.name for f in Household._meta.concrete_fields if isinstance(f, DecimalField))


@dataclass(frozen=True)
class CountyResult:
    code: str
    name: str
    households: int
    persons: int
    exited_persons: int
    poor_villages: int


def demo_present(targets: Sequence[plan.CountyTarget] = plan.DEFAULT_TARGETS) -> int:
    """How many households the demo counties already have (0: the demo may generate)."""
    return Household.objects.filter(county_code__in=[t.code for t in targets]).count()


def county_villages(county_code: str) -> list[Village]:
    """The county's real villages (行政村/居委会) from the loaded division list."""
    prefix = prefix_of(county_code)
    townships = dict(Region.objects.filter(level=LEVEL_TOWNSHIP, code__startswith=prefix).values_list("code", "name"))
    rows = Region.objects.filter(level=LEVEL_VILLAGE, code__startswith=prefix).order_by("code").values_list("code", "name")
    return [Village(code, name, townships.get(code[:9] + "000", "")) for code, name in rows]


def _changes(row: dict) -> dict:
    """The audit diff of a new household (``{field: [None, value]}``), as the services write it."""
    out = {}
    for name in _AUDIT_FIELDS:
        value = row["village_id"] if name == "village" else row.get(name)
        if value is not None:
            out[name] = [None, str(value) if name in _DECIMAL_FIELDS else value]
    return out


def _save_county(data: CountyData) -> CountyResult:
    last = dict(Household.objects.filter(county_code=data.target.code).values("village_code")
                .annotate(m=Max("household_number")).values_list("village_code", "m"))
    sequence = {code: int(number[12:]) for code, number in last.items() if number and number[12:].isdigit()}
    ids = reserve_ids(Household, len(data.households))
    households, members = [], []
    for pk, plan_ in zip(ids, data.households, strict=True):
        code = plan_.village_code
        sequence[code] = sequence.get(code, 0) + 1
        row = {"id": pk, "household_number": f"{code}{sequence[code]:05d}", "village_id": code, "version": 1,
               "status": RecordStatus.ACTIVE, **{LEVEL_FIELD[lv]: c for lv, c in ancestor_codes(code).items()},
               **plan_.fields}
        households.append(row)
        members.extend({"household_id": pk, "version": 1, "status": RecordStatus.ACTIVE, **m} for m in plan_.members)
    insert_rows(Household, households)
    insert_rows(Member, members)
    label = Household._meta.label_lower
    insert_rows(ChangeRecord, [
        {"actor_id": None, "actor_name": "demo", "action": ChangeAction.CREATE, "model": label,
         "object_id": str(h["id"]), "household_id": h["id"], "region_code": h["village_code"],
         "changes": _changes(h), "source": "demo",
         "comment": f"演示数据:建档,{h['size']}名成员 / demo data: registered with {h['size']} members"}
        for h in households
    ])
    return CountyResult(
        code=data.target.code, name=data.target.name, households=len(households),
        persons=sum(h["size"] for h in households),
        exited_persons=sum(h["size"] for h in households if h["poverty_status"] == "1"),
        poor_villages=len(data.poor_villages),
    )


def _save_regions(rng: random.Random, data: CountyData) -> None:
    """贫困村 and 重点县 flags, and the demo rural populations of villages, townships and the county."""
    Region.objects.filter(code__in=data.poor_villages).update(is_poor_village=True)
    villages = village_populations(rng, data)
    townships: dict[str, int] = defaultdict(int)
    for code, population in villages.items():
        townships[code[:9] + "000"] += population
    county = max(data.target.rural_population, sum(townships.values()))
    figures = {**villages, **townships, data.target.code: county}
    regions = list(Region.objects.filter(code__in=list(figures)))
    for region in regions:
        region.rural_population = figures[region.code]
        region.population_source = POPULATION_SOURCE
        if region.code == data.target.code:
            region.is_key_county = True
    Region.objects.bulk_update(regions, ["rural_population", "population_source", "is_key_county"], batch_size=BATCH)


def generate_demo(*, seed: int = 2014, targets: Sequence[plan.CountyTarget] = plan.DEFAULT_TARGETS) -> list[CountyResult]:
    """Generate and store the demo registry for ``targets`` in one transaction.

    The cyclic garbage collector is paused meanwhile: the run creates ~10⁶ small objects and no
    cycles, and the collector's repeated full passes cost about a third of the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _generate(random.Random(seed), targets)
    finally:
        if enabled:
            gc.enable()


def _generate(rng: random.Random, targets: Sequence[plan.CountyTarget]) -> list[CountyResult]:
    results = []
    with transaction.atomic():
        for target in targets:
            villages = county_villages(target.code)
            if not villages:
                raise LookupError(f"{target.name}({target.code})没有村级区划,请先加载区划代码表 / "
                                  "no villages loaded for the county; load the division list first")
            taken = set(Member.objects.filter(id_number__startswith=target.code[:6])
                        .values_list("id_number", flat=True))
            data = generate_county(rng, target, villages, taken)
            results.append(_save_county(data))
            _save_regions(rng, data)
    return results
