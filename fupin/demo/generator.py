"""The demo registry generator (演示数据生成): a realistic 建档立卡 registry for real Sanming counties.

Pure Python (no database): :func:`generate_county` turns a county's row of seed 003 (:mod:`.plan`)
and its real villages (from the shipped division list) into households with members, deterministic
for a given ``random.Random``. :mod:`.writer` stores the result.

What is exact and what is drawn:

- exact: persons per county (建档立卡贫困人口总数; the last household's size is adjusted) and persons
  exited in 2014 (2014年已减贫, 脱贫状态 "1" 已脱贫(享受政策), exit year 2014; the exited households are
  chosen so that their sizes sum to the figure);
- to one household: the share of each 贫困户属性 (2014 form) and of each main 致贫原因 (quota picks);
- drawn: sizes (mean = the seed's persons/households per category), 计划脱贫年度 (persons per
  year follow the county's 2015–2018 tasks), incomes, land, housing and the rest.

Incomes (yuan, 2014 line 2800/person): not exited mostly 1800–2800 per person (国家标准) and
2800–3300 for the households planned for 2018 (省定标准, above the national line); exited 3000–6000.
The lines (工资性, 生产经营性, 财产性, 转移性: 低保金/五保金/养老金/生态补偿/其他, 生产经营性支出) add up
to the net income exactly; the per-capita figure is computed by
:func:`fupin.policy.income.compute_income_per_capita`, as the services do.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from fupin.policy.idnumber import make_id_number
from fupin.policy.income import IncomeLines, compute_income_per_capita

from . import names, people, plan

#: 贫困村 are more often picked for a household than other villages (weight ratio, demo choice).
POOR_VILLAGE_WEIGHT = 2.5


@dataclass(frozen=True)
class Village:
    """A real village (行政村) of the division list, with its township's name."""

    code: str
    name: str
    township_name: str

    @property
    def short_name(self) -> str:
        """``城东村委会`` → ``城东村``, ``官坊回族村民委员会`` → ``官坊回族村``."""
        for suffix, short in (("村民委员会", "村"), ("村委会", "村"), ("居民委员会", ""), ("居委会", "")):
            if self.name.endswith(suffix):
                return self.name[: -len(suffix)] + short
        return self.name


@dataclass
class HouseholdPlan:
    """One generated household: model field values and its members' field values."""

    village_code: str
    fields: dict[str, Any]
    members: list[dict[str, Any]]


@dataclass
class CountyData:
    target: plan.CountyTarget
    households: list[HouseholdPlan]
    poor_villages: set[str]
    villages: list[Village] = field(default_factory=list)


class IdAllocator:
    """Unique, valid ID numbers (公民身份号码) of one county: address code + birth date + sequence."""

    def __init__(self, address6: str, taken: set[str]) -> None:
        self.address6 = address6
        self.taken = taken
        self.next: dict[tuple[Any, str], int] = {}

    def make(self, rng: random.Random, birth: Any, sex: str) -> str:
        key = (birth, sex)
        seq = self.next.get(key)
        if seq is None:
            seq = rng.randrange(10, 300)
        if (seq % 2 == 1) != (sex == "1"):
            seq += 1
        while True:
            if seq > 999:
                raise ValueError(f"顺序码用尽 / no sequence numbers left for {self.address6} {birth}")
            number = make_id_number(self.address6, birth, seq, sex=sex)
            seq += 2
            if number not in self.taken:
                break
        self.next[key] = seq
        self.taken.add(number)
        return number


def rural_villages(villages: Sequence[Village]) -> list[Village]:
    """村委会 (village committees, codes …2xx–3xx); 居委会 (…0xx–1xx) are towns' neighbourhoods."""
    rural = [v for v in villages if v.code[9] in "23"]
    return rural or list(villages)


def _skeleton(rng: random.Random, target: plan.CountyTarget) -> list[tuple[str, int, str]]:
    """(category, size, main cause) per household; sizes sum to exactly ``target.persons``."""
    categories = plan.Quota({k: float(v) for k, v in plan.CATEGORY_HOUSEHOLDS.items()})
    causes = {cat: plan.Quota(dict(row)) for cat, row in plan.CAUSE_GIVEN_CATEGORY.items()}
    out: list[tuple[str, int, str]] = []
    total = 0
    while total < target.persons:
        cat = categories.pick(rng)
        size = plan.draw_size(rng, cat)
        out.append((cat, size, causes[cat].pick(rng)))
        total += size
    if total > target.persons:
        cat, size, cause = out[-1]
        out[-1] = (cat, size - (total - target.persons), cause)
    return out


def _other_causes(rng: random.Random, category: str, main: str) -> tuple[str, str]:
    roll = rng.random()
    if roll < 0.45:
        return "", ""
    row = plan.CAUSE_GIVEN_CATEGORY[category]
    pool = [c for c in row if c != main]
    picks: list[str] = []
    for _ in range(1 if roll < 0.8 else 2):
        choice = rng.choices(pool, weights=[row[c] + 0.02 for c in pool])[0]
        picks.append(choice)
        pool.remove(choice)
    padded = [*picks, "", ""]
    return padded[0], padded[1]


def _per_capita(rng: random.Random, exited: bool, planned: int | None) -> int:
    if exited:
        return round(rng.triangular(3000, 6000, 3600))
    if planned == 2018:
        return rng.randint(2800, 3300)
    if rng.random() < 0.05:
        return rng.randint(1200, 1800)
    return round(rng.triangular(1800, 2800, 2400))


def _incomes(rng: random.Random, net: int, category: str, members: list[people.Person],
             land: dict[str, Decimal]) -> dict[str, Decimal]:
    """Income lines (yuan) that add up to ``net`` exactly."""
    size = len(members)
    wubao = min(round(net * 0.85), size * rng.randint(3000, 3600)) if category == "4" else 0
    dibao = min(round(net * 0.6), size * rng.randint(700, 1500)) if category in ("2", "3") else 0
    elderly = sum(1 for p in members if p.age >= 60)
    pension = min(elderly * rng.randint(1000, 1300), max(0, round(net * 0.9) - wubao - dibao))
    eco = min(round(float(land["forest_mu"]) * rng.uniform(12, 20)), max(0, round(net * 0.95) - wubao - dibao - pension))
    other = min(round(float(land["arable_mu"]) * rng.uniform(60, 110)),
                max(0, net - wubao - dibao - pension - eco))
    prop = rng.randint(100, 800) if rng.random() < 0.05 else 0
    prop = min(prop, net - wubao - dibao - pension - eco - other)
    rest = net - wubao - dibao - pension - eco - other - prop
    migrant = any(p.attrs["migrant_work"] for p in members)
    wage = round(rest * (rng.uniform(0.55, 0.9) if migrant else rng.uniform(0.0, 0.35)))
    business_net = rest - wage
    expense = round(business_net * rng.uniform(0.15, 0.35))
    values = {
        "income_wage": wage, "income_business": business_net + expense, "income_property": prop,
        "transfer_dibao": dibao, "transfer_wubao": wubao, "transfer_pension": pension, "transfer_eco": eco,
        "transfer_other": other, "business_expense": expense,
    }
    return {k: Decimal(v).quantize(Decimal("0.01")) for k, v in values.items()}


def _land_and_living(rng: random.Random, size: int, exited: bool) -> dict[str, Any]:
    """耕地/林地 …, housing (a few C/D 危房 among the not exited), water, fuel, toilet, road."""
    arable = round(rng.uniform(0.3, 1.3) * size, 1)
    grade = ""
    if not exited:
        roll = rng.random()
        grade = "D" if roll < 0.03 else "C" if roll < 0.08 else ""
    return {
        "arable_mu": Decimal(str(arable)),
        "irrigated_mu": Decimal(str(round(arable * rng.uniform(0.6, 1.0), 1))),
        "forest_mu": Decimal(str(round(rng.uniform(0, 30), 1) if rng.random() < 0.7 else 0)),
        "grain_to_green_mu": Decimal(str(round(rng.uniform(0.5, 3), 1) if rng.random() < 0.1 else 0)),
        "fruit_forest_mu": Decimal(str(round(rng.uniform(0.5, 4), 1) if rng.random() < 0.2 else 0)),
        "water_surface_mu": Decimal(str(round(rng.uniform(0.2, 2), 1) if rng.random() < 0.03 else 0)),
        "is_coop_member": rng.random() < 0.15,
        "has_electricity": rng.random() < 0.998,
        "has_production_power": rng.random() < 0.4,
        "road_distance_km": Decimal(str(round(rng.expovariate(1.5), 1))).min(Decimal("15.0")),
        "road_type": rng.choices(("3", "2", "1"), weights=(0.7, 0.2, 0.1))[0],
        "housing_area_m2": Decimal(rng.randint(40, 150)).quantize(Decimal("0.01")),
        "dilapidated_grade": grade,
        "drinking_water_safe": exited or rng.random() < 0.9,
        "drinking_water_difficult": not exited and rng.random() < 0.05,
        "fuel_type": rng.choices(("1", "4", "3"), weights=(0.6, 0.35, 0.05))[0],
        "has_sanitary_toilet": rng.random() < (0.7 if exited else 0.45),
        "food_secure": exited or rng.random() < 0.98,
        "clothing_secure": exited or rng.random() < 0.99,
        "medical_secure": exited or rng.random() < 0.97,
        "housing_secure": grade == "",
    }


def _phone(rng: random.Random) -> str:
    if rng.random() < 0.15:
        return ""
    return rng.choice(("133", "135", "137", "138", "139", "150", "151", "152", "158", "159", "182", "187", "189")) \
        + f"{rng.randrange(10**8):08d}"


def _household(rng: random.Random, *, target: plan.CountyTarget, village: Village, category: str, size: int,
               main_cause: str, exited: bool, planned: int | None, ids: IdAllocator,
               clans: tuple[str, ...], she_share: float, hui_share: float) -> HouseholdPlan:
    persons = people.compose(rng, category=category, size=size, main_cause=main_cause)
    people.fill(rng, persons, category=category, main_cause=main_cause)
    roll = rng.random()
    ethnicity = "22" if roll < she_share else "03" if roll < she_share + hui_share else "01"
    people.name_people(rng, persons, names.village_surnames(rng, she=True) if ethnicity == "22" else clans)
    land = _land_and_living(rng, size, exited)
    net = _per_capita(rng, exited, planned) * size
    lines = _incomes(rng, net, category, persons, land)
    result = compute_income_per_capita(IncomeLines(
        wage=lines["income_wage"], business=lines["income_business"], property=lines["income_property"],
        transfer_dibao=lines["transfer_dibao"], transfer_wubao=lines["transfer_wubao"],
        transfer_pension=lines["transfer_pension"], transfer_eco=lines["transfer_eco"],
        transfer_other=lines["transfer_other"], business_expense=lines["business_expense"]), size)
    members = []
    for p in persons:
        birth = people.birth_date(rng, p.age)
        a = p.attrs
        members.append({
            "name": a["name"], "id_number": ids.make(rng, birth, p.sex), "id_kind": "resident", "sex": p.sex,
            "birth_date": birth, "relation": p.relation,
            "ethnicity": ethnicity if p.relation not in ("02", "05") or rng.random() < 0.6 else "01",
            **{k: a[k] for k in ("education", "schooling", "health", "labour_skill", "migrant_work", "migrant_months",
                                 "is_active_soldier", "has_medical_insurance", "has_serious_illness_insurance",
                                 "has_pension_insurance", "is_dibao", "is_tekun")},
        })
    sons = sum(1 for p in persons if p.relation == "03")
    daughters = sum(1 for p in persons if p.relation == "04")
    other_1, other_2 = _other_causes(rng, category, main_cause)
    group = f"第{rng.randint(1, 12)}组"
    fields = {
        "group_name": group,
        "address": f"福建省三明市{target.name}{village.township_name}{village.short_name}{group}",
        "head_name": members[0]["name"], "phone": _phone(rng),
        "bank_name": rng.choice((f"{target.name}农村信用合作联社", "中国邮政储蓄银行")),
        "bank_account": "6230" + "".join(str(rng.randrange(10)) for _ in range(15)),
        "identification_standard": "2" if planned == 2018 else "1",
        "category": category, "category_form_version": "2014",
        "main_cause": main_cause, "other_cause_1": other_1, "other_cause_2": other_2,
        "is_military_family": rng.random() < 0.01,
        "is_only_child": sons + daughters == 1 and persons[0].age < 55 and rng.random() < 0.6,
        "is_two_daughters": daughters == 2 and sons == 0 and rng.random() < 0.6,
        **land, **lines,
        "education_secure": exited or rng.random() < 0.98,
        "income_net": result.net_income, "income_per_capita": result.per_capita,
        "income_rule_version": result.settings_version,
        "poverty_status": "1" if exited else "0", "identification_year": 2014,
        "planned_exit_year": 2014 if exited else planned, "exit_year": 2014 if exited else None,
        "size": size,
    }
    return HouseholdPlan(village.code, fields, members)


def generate_county(rng: random.Random, target: plan.CountyTarget, villages: Sequence[Village],
                    taken_ids: set[str] | None = None) -> CountyData:
    """The demo households of one county (see the module docstring for what is exact)."""
    rural = rural_villages(villages)
    poor = set(v.code for v in rng.sample(rural, k=min(target.poor_villages, len(rural))))
    weights = [POOR_VILLAGE_WEIGHT * rng.uniform(0.7, 1.3) if v.code in poor else rng.uniform(0.4, 1.2)
               for v in rural]
    skeleton = _skeleton(rng, target)
    sizes = [s for _, s, _ in skeleton]
    exited = plan.choose_exact(rng, sizes, target.exited_2014, [plan.EXIT_PREFERENCE[c] for c, _, _ in skeleton])
    planned = plan.planned_years(rng, sizes, [i for i in range(len(sizes)) if i not in exited], target.tasks)
    places = rng.choices(rural, weights=weights, k=len(skeleton))
    clans = {v.code: names.village_surnames(rng, hui="回族" in v.name) for v in rural}
    ids = IdAllocator(target.code[:6], taken_ids if taken_ids is not None else set())
    households = []
    for i, (category, size, cause) in enumerate(skeleton):
        village = places[i]
        she = 0.7 if "畲族" in village.name or "畲族" in village.township_name else 0.015
        hui = 0.5 if "回族" in village.name else 0.0
        households.append(_household(
            rng, target=target, village=village, category=category, size=size, main_cause=cause,
            exited=i in exited, planned=planned.get(i), ids=ids, clans=clans[village.code],
            she_share=she, hui_share=hui,
        ))
    return CountyData(target, households, poor, list(villages))


def village_populations(rng: random.Random, data: CountyData) -> dict[str, int]:
    """Demo rural populations (演示数据) of the county's villages: poverty incidence (not exited ÷
    population) 7–15 % in 贫困村 and 2.5–8 % elsewhere (lower where a village has few poor
    persons: at least 3 × its registered persons, and 300); 居委会 get none."""
    poor_persons: dict[str, int] = {}
    remaining: dict[str, int] = {}
    for h in data.households:
        poor_persons[h.village_code] = poor_persons.get(h.village_code, 0) + h.fields["size"]
        if h.fields["poverty_status"] == "0":
            remaining[h.village_code] = remaining.get(h.village_code, 0) + h.fields["size"]
    out = {}
    for v in rural_villages(data.villages):
        rate = rng.uniform(0.07, 0.15) if v.code in data.poor_villages else rng.uniform(0.025, 0.08)
        estimate = round(remaining.get(v.code, 0) / rate) if remaining.get(v.code) else rng.randint(800, 2500)
        out[v.code] = max(estimate, poor_persons.get(v.code, 0) * 3, 300)
    return out
