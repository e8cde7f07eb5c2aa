"""The figures the demo registry reproduces (演示数据的目标数字), from seed 003 (三明市, end of 2014).

Pure Python, no Django. Everything here is taken from 《三明市深化精准扶贫2015-2018年行动计划》:

- per county, the attached table 《三明市2015-2018年减贫任务安排表》: 建档立卡贫困人口总数,
  2014年已减贫人数 and the 2015–2018 reduction tasks (减贫任务) — reproduced **exactly** in persons;
- the city's four household categories (贫困户属性, 2014 form) with households and persons —
  reproduced as household proportions and mean household sizes;
- the "九个一批" causes of poverty (致贫原因) with households — reproduced as proportions of the
  main cause.

The category × cause table is not in the seed; it is fitted (iterative proportional fitting, 迭代比例
拟合) from an affinity matrix that says e.g. 五保户 are mostly 缺劳力/因残 and 一般贫困户 mostly
缺技术/缺资金, so both published margins hold.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace

#: 贫困户属性 (2014 form): households and persons in Sanming at the end of 2014 (seed 003).
CATEGORY_HOUSEHOLDS = {"1": 12452, "2": 4829, "3": 9997, "4": 2892}
CATEGORY_PERSONS = {"1": 40929, "2": 15213, "3": 22855, "4": 3146}
#: 主要致贫原因 (codes of domain.md §3): households per cause ("九个一批", seed 003).
CAUSE_HOUSEHOLDS = {"1": 10945, "2": 5531, "3": 1141, "4": 540, "7": 2426, "9": 3060, "8": 6566, "11": 810}
#: Mean household size of the whole registry (82143 persons / 30170 households).
MEAN_SIZE = sum(CATEGORY_PERSONS.values()) / sum(CATEGORY_HOUSEHOLDS.values())
TASK_YEARS = (2015, 2016, 2017, 2018)


@dataclass(frozen=True)
class CountyTarget:
    """One county's row of the seed's table, plus its demo rural population (演示数字, not official)."""

    code: str
    name: str
    persons: int  # 建档立卡贫困人口总数
    exited_2014: int  # 2014年已减贫人数
    tasks: tuple[int, ...]  # 2015–2018年减贫任务 (persons)
    rural_population: int  # demo figure for poverty incidence (贫困发生率)
    poor_villages: int  # how many of its villages the demo marks as 贫困村 (demo choice)

    @property
    def not_exited(self) -> int:
        return self.persons - self.exited_2014


# Rural populations 95,000 / 280,000 and the poor-village counts are demo figures (演示数字), chosen
# to be plausible for the two counties; they are not official statistics.
MINGXI = CountyTarget("350421000000", "明溪县", 8451, 1753, (2038, 1956, 1956, 748), 95_000, 35)
NINGHUA = CountyTarget("350424000000", "宁化县", 22713, 5513, (5234, 5025, 5025, 1916), 280_000, 60)
DEFAULT_TARGETS = (MINGXI, NINGHUA)
#: About how many households the default targets give (persons ÷ the seed's mean size): ~11,446.
DEFAULT_HOUSEHOLDS = round(sum(t.persons for t in DEFAULT_TARGETS) / MEAN_SIZE)


def scaled_targets(households: int | None, targets: Sequence[CountyTarget] = DEFAULT_TARGETS) -> tuple[CountyTarget, ...]:
    """The targets scaled to about ``households`` households in all (None: the seed's real figures)."""
    if households is None:
        return tuple(targets)
    if households < 1:
        raise ValueError("户数至少为1 / households must be at least 1")
    factor = households / round(sum(t.persons for t in targets) / MEAN_SIZE)
    out = []
    for t in targets:
        persons = max(1, round(t.persons * factor))
        exited = min(persons, round(t.exited_2014 * factor))
        out.append(replace(t, persons=persons, exited_2014=exited,
                           tasks=apportion(persons - exited, t.tasks),
                           rural_population=max(persons * 3, round(t.rural_population * factor))))
    return tuple(out)


def apportion(total: int, weights: Sequence[float]) -> tuple[int, ...]:
    """Split ``total`` into integers in proportion to ``weights`` (largest remainder)."""
    whole = sum(weights)
    raw = [total * w / whole for w in weights]
    out = [math.floor(x) for x in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)
    for i in by_remainder[: total - sum(out)]:
        out[i] += 1
    return tuple(out)


# --- household sizes -------------------------------------------------------------------------------

#: Shapes of the size distributions (sizes 1, 2, 3 …), tilted below to the seed's mean per category.
_SIZE_SHAPES = {
    "1": (0.6, 2.0, 3.0, 2.6, 1.4, 0.5, 0.15),
    "2": (0.6, 2.0, 3.0, 2.6, 1.4, 0.5, 0.15),
    "3": (2.0, 2.4, 1.6, 1.0, 0.5, 0.2),
    "4": (1.0, 0.12, 0.02),
}


def tilted(shape: Sequence[float], mean: float) -> list[float]:
    """Probabilities of sizes 1…n proportional to ``shape[k] · e^(θk)`` with θ chosen to give ``mean``."""
    def dist(theta: float) -> list[float]:
        w = [s * math.exp(theta * (k + 1)) for k, s in enumerate(shape)]
        total = sum(w)
        return [x / total for x in w]

    lo, hi = -20.0, 20.0
    for _ in range(100):
        mid = (lo + hi) / 2
        if sum((k + 1) * p for k, p in enumerate(dist(mid))) < mean:
            lo = mid
        else:
            hi = mid
    return dist((lo + hi) / 2)


SIZE_DISTRIBUTIONS = {
    cat: tilted(shape, CATEGORY_PERSONS[cat] / CATEGORY_HOUSEHOLDS[cat]) for cat, shape in _SIZE_SHAPES.items()
}


def draw_size(rng: random.Random, category: str) -> int:
    probs = SIZE_DISTRIBUTIONS[category]
    return rng.choices(range(1, len(probs) + 1), weights=probs)[0]


# --- categories × causes ---------------------------------------------------------------------------

CAUSES = tuple(CAUSE_HOUSEHOLDS)
CATEGORIES = tuple(CATEGORY_HOUSEHOLDS)
#: How likely each main cause is per category before fitting (rows: 1 一般, 2 低保贫困户, 3 低保户, 4 五保户;
#: columns: 因病 因残 因学 因灾 缺技术 缺资金 缺劳力 缺动力).
_AFFINITY = {
    "1": (1.0, 0.5, 1.5, 1.5, 2.0, 2.0, 0.6, 1.5),
    "2": (1.5, 1.0, 1.2, 1.0, 1.2, 1.2, 1.0, 1.0),
    "3": (2.0, 2.0, 0.3, 0.5, 0.2, 0.3, 2.5, 0.5),
    "4": (1.0, 1.5, 0.01, 0.2, 0.05, 0.1, 3.0, 0.3),
}


def fit_joint(row_margin: dict[str, float], col_margin: dict[str, float],
              affinity: dict[str, Sequence[float]], rounds: int = 200) -> dict[str, dict[str, float]]:
    """Iterative proportional fitting: a table close to ``affinity`` whose margins are the given ones."""
    rows_total = sum(row_margin.values())
    cols_total = sum(col_margin.values())
    rows = {r: v / rows_total for r, v in row_margin.items()}
    cols = {c: v / cols_total for c, v in col_margin.items()}
    table = {r: dict(zip(cols, affinity[r], strict=True)) for r in rows}
    for _ in range(rounds):
        for r in rows:
            s = sum(table[r].values())
            table[r] = {c: v * rows[r] / s for c, v in table[r].items()}
        for c in cols:
            s = sum(table[r][c] for r in rows)
            for r in rows:
                table[r][c] *= cols[c] / s
    return table


JOINT = fit_joint(CATEGORY_HOUSEHOLDS, CAUSE_HOUSEHOLDS, _AFFINITY)
#: P(main cause | category)
CAUSE_GIVEN_CATEGORY = {r: {c: v / sum(row.values()) for c, v in row.items()} for r, row in JOINT.items()}


class Quota:
    """Picks keys so that after n picks each key has been picked ≈ share × n times (配额抽样).

    The key furthest behind its share wins, ties broken at random: proportions stay exact to one
    household at every scale, which a plain random draw does not give for a few hundred households.
    """

    def __init__(self, shares: dict[str, float]) -> None:
        total = sum(shares.values())
        self.shares = {k: v / total for k, v in shares.items()}
        self.counts = dict.fromkeys(shares, 0)
        self.n = 0

    def pick(self, rng: random.Random) -> str:
        self.n += 1
        best = max(self.shares, key=lambda k: (self.shares[k] * self.n - self.counts[k], rng.random()))
        self.counts[best] += 1
        return best


# --- who exited in 2014, who is planned for which year ----------------------------------------------

#: How much more likely a household of each category was to exit in 2014 (those with labour first).
EXIT_PREFERENCE = {"1": 1.0, "2": 0.8, "3": 0.15, "4": 0.02}


def choose_exact(rng: random.Random, sizes: Sequence[int], target: int, weights: Sequence[float]) -> set[int]:
    """Indexes of households whose sizes sum to exactly ``target``, favouring high ``weights``.

    Weighted random order (Efraimidis–Spirakis keys), greedy fill; then any household that still
    fits. Refuses when no subset is found (possible only for tiny registries).
    """
    order = sorted(range(len(sizes)), key=lambda i: rng.random() ** (1 / max(weights[i], 1e-9)), reverse=True)
    chosen: set[int] = set()
    remaining = target
    for i in order:
        if remaining == 0:
            break
        if sizes[i] <= remaining:
            chosen.add(i)
            remaining -= sizes[i]
    if remaining:
        raise ValueError(f"无法选出恰好{target}人的户 / cannot choose households with exactly {target} persons")
    return chosen


def planned_years(rng: random.Random, sizes: Sequence[int], indexes: Sequence[int],
                  tasks: Sequence[int]) -> dict[int, int]:
    """计划脱贫年度 for the not-exited households: persons per year follow the county's tasks."""
    order = list(indexes)
    rng.shuffle(order)
    bounds = []
    running = 0
    for task in tasks:
        running += task
        bounds.append(running)
    out: dict[int, int] = {}
    cumulative = 0
    year_index = 0
    for i in order:
        cumulative += sizes[i]
        while year_index < len(bounds) - 1 and cumulative > bounds[year_index]:
            year_index += 1
        out[i] = TASK_YEARS[year_index]
    return out
