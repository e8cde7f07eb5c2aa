"""Demo household members (家庭成员): who lives together, and their ages, schooling, health and work.

Pure Python. Everything describes the registry as recorded at the end of 2014 (:data:`AS_OF`, the
seed's "2014年底"): ages, 在校生状况 and 劳动技能 are those of that date.

- Composition (与户主关系): head (户主 01) + spouse (配偶 02) + children (之子/之女 03/04); older heads
  often live with a married son (之儿媳 05) and grandchildren (之孙子/之孙女 07/08); young heads
  sometimes with their parents (之父母 11); 五保户 are mostly one old person, sometimes with a
  spouse or sibling (之兄弟姐妹 15). Ages follow the relation.
- 文化程度 and 在校生状况 follow age (older cohorts had less schooling); 因学 households have a child
  in senior secondary or college.
- 健康状况 and 劳动技能 follow the main cause: 因病 → one adult 长期慢性病/患有大病, 因残 → one
  member 残疾; 低保户 heads have lost their labour; 五保户 heads are old and without labour.
- 务工状况: some working-age adults work away (乡镇内 … 省外) for 3–12 months.
- 低保 flags for every member of 低保贫困户/低保户, 特困供养 for 五保户.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from . import names

AS_OF = date(2014, 12, 31)

_MIGRANT_PLACES = ("1", "2", "3", "4")
_MIGRANT_WEIGHTS = (0.2, 0.25, 0.35, 0.2)


@dataclass
class Person:
    relation: str
    sex: str
    age: int
    attrs: dict[str, Any] = field(default_factory=dict)


def _opposite(sex: str) -> str:
    return "2" if sex == "1" else "1"


def _clip(value: int, lo: int, hi: int) -> int:
    return max(lo, min(hi, value))


def _head_age(rng: random.Random, category: str) -> int:
    if category == "4":
        return rng.randint(40, 59) if rng.random() < 0.1 else rng.randint(60, 88)
    if category == "3":
        return rng.randint(65, 85) if rng.random() < 0.4 else rng.randint(40, 64)
    return round(rng.triangular(26, 78, 48))


def _child(rng: random.Random, parent_age: int, relation_son: str = "03", relation_daughter: str = "04",
           age: int | None = None) -> Person:
    sex = "1" if rng.random() < 0.53 else "2"
    if age is None:
        age = max(0, parent_age - rng.randint(20, 36))
    return Person(relation_son if sex == "1" else relation_daughter, sex, age)


def compose(rng: random.Random, *, category: str, size: int, main_cause: str) -> list[Person]:
    """The members of one household: relation, sex and age (the head first)."""
    head_age = _head_age(rng, category)
    head_sex = "1" if rng.random() < (0.75 if category == "4" else 0.85) else "2"
    people = [Person("01", head_sex, head_age)]
    if size >= 2:
        if category == "4" and rng.random() < 0.4:
            people.append(Person("15", rng.choice("12"), _clip(head_age + rng.randint(-6, 6), 40, 95)))
        elif rng.random() < 0.85:
            offset = rng.randint(-1, 6) if head_sex == "1" else rng.randint(-6, 1)
            people.append(Person("02", _opposite(head_sex), _clip(head_age - offset, 18, 95)))
    mother_age = next((p.age for p in people if p.sex == "2" and p.relation in ("01", "02")), head_age)
    slots = size - len(people)
    if slots and head_age >= 55 and rng.random() < 0.6:
        son = Person("03", "1", _clip(head_age - rng.randint(22, 32), 18, 70))
        people.append(son)
        slots -= 1
        if slots:
            people.append(Person("05", "2", _clip(son.age + rng.randint(-4, 2), 18, 70)))
            slots -= 1
        for _ in range(slots):
            people.append(_child(rng, son.age, "07", "08", age=max(0, son.age - rng.randint(20, 32))))
        slots = 0
    school_child = main_cause == "3" and mother_age >= 36
    while slots > (1 if head_age < 45 and size >= 5 else 0):
        age = rng.randint(15, 21) if school_child else None
        people.append(_child(rng, mother_age, age=age))
        school_child = False
        slots -= 1
    while slots:
        people.append(Person("11", rng.choice("12"), _clip(head_age + rng.randint(22, 32), 45, 98)))
        slots -= 1
    if main_cause == "3":
        for p in people:
            if p.relation in ("03", "04", "07", "08") and 6 <= p.age <= 21:
                p.attrs["force_school"] = True
                break
    return people


def _education(rng: random.Random, person: Person) -> tuple[str, str]:
    """(文化程度, 在校生状况) for an age."""
    age, force = person.age, person.attrs.get("force_school", False)
    if age < 3:
        return "6", "1"
    if age < 6:
        return "6", "2"
    if age < 12:
        return "2", "3"
    if age < 15:
        return "3", str(4 + age - 12)
    if age < 18:
        if force or rng.random() < 0.75:
            return ("4", str(7 + age - 15)) if rng.random() < 0.6 else ("4", str(10 + age - 15))
        return "3", "1"
    if age < 22:
        if force or rng.random() < 0.25:
            return ("5", str(13 + min(age - 18, 2))) if rng.random() < 0.5 else ("5", "16")
        return ("3" if rng.random() < 0.6 else "4"), "1"
    if age >= 65:
        weights = (0.5, 0.4, 0.1, 0, 0)
    elif age >= 45:
        weights = (0.15, 0.45, 0.35, 0.05, 0)
    else:
        weights = (0.03, 0.25, 0.55, 0.13, 0.04)
    return rng.choices(("1", "2", "3", "4", "5"), weights=weights)[0], "1"


def _pick_patient(rng: random.Random, people: list[Person], adults_only: bool) -> Person:
    pool = [p for p in people if p.age >= 18] if adults_only else people
    pool = pool or people
    return rng.choice(pool[:2]) if rng.random() < 0.7 else rng.choice(pool)


def _health(rng: random.Random, people: list[Person], category: str, main_cause: str) -> None:
    for p in people:
        chronic = 0.25 if p.age >= 60 else 0.08 if p.age >= 40 else 0.01
        p.attrs["health"] = "2" if rng.random() < chronic else "1"
    if category == "4":
        head = people[0]
        head.attrs["health"] = rng.choices(("1", "2", "4"), weights=(0.3, 0.5, 0.2))[0]
    if main_cause == "1":
        _pick_patient(rng, people, True).attrs["health"] = "3" if rng.random() < 0.4 else "2"
    elif main_cause == "2":
        _pick_patient(rng, people, False).attrs["health"] = "4"


def _labour(rng: random.Random, p: Person, category: str) -> str:
    """劳动技能: 1 普通劳动力, 2 技能劳动力, 3 丧失劳动力, 4 无劳动力."""
    health = p.attrs["health"]
    if p.age < 16 or p.attrs["schooling"] != "1":
        return "4"
    if category in ("3", "4") and p.relation in ("01", "02", "15"):
        return "4" if p.age >= 60 else "3"
    if p.age >= 65:
        return "1" if p.age <= 70 and health == "1" and rng.random() < 0.2 else "4"
    if health in ("3", "4"):
        return "3" if rng.random() < 0.7 else "1"
    if health == "2" and rng.random() < 0.3:
        return "3"
    return "2" if rng.random() < 0.1 else "1"


def fill(rng: random.Random, people: list[Person], *, category: str, main_cause: str) -> None:
    """Schooling, health, labour, work, insurance and benefit flags of each member."""
    _health(rng, people, category, main_cause)
    migrant_rate = 0.4 if category in ("1", "2") else 0.15
    for p in people:
        a = p.attrs
        a["education"], a["schooling"] = _education(rng, p)
        a["labour_skill"] = _labour(rng, p, category)
        a["migrant_work"], a["migrant_months"] = "", 0
        a["is_active_soldier"] = p.sex == "1" and 18 <= p.age <= 24 and rng.random() < 0.01
        working = a["labour_skill"] in ("1", "2") and 16 <= p.age <= 59 and not a["is_active_soldier"]
        if working and rng.random() < migrant_rate:
            a["migrant_work"] = rng.choices(_MIGRANT_PLACES, weights=_MIGRANT_WEIGHTS)[0]
            a["migrant_months"] = rng.choice((3, 4, 6, 8, 9, 10, 10, 11, 12, 12, 12))
        a["has_medical_insurance"] = rng.random() < 0.97
        a["has_serious_illness_insurance"] = a["has_medical_insurance"]
        adult = p.age >= 16 and a["schooling"] == "1"
        a["has_pension_insurance"] = adult and rng.random() < (0.95 if p.age >= 60 else 0.7)
        a["is_dibao"] = category in ("2", "3")
        a["is_tekun"] = category == "4"


def birth_date(rng: random.Random, age: int) -> date:
    """A birth date giving ``age`` whole years on :data:`AS_OF` (31 December)."""
    year = AS_OF.year - age
    start = date(year, 1, 1)
    return start + timedelta(days=rng.randrange((date(year, 12, 31) - start).days + 1))


def name_people(rng: random.Random, people: list[Person], dominant: tuple[str, ...]) -> None:
    """Chinese names: children and grandchildren carry the family's (father's) surname."""
    head = people[0]
    head_surname = names.surname(rng, dominant)
    spouse = next((p for p in people if p.relation == "02"), None)
    spouse_surname = names.surname(rng, ())
    family = head_surname if head.sex == "1" or spouse is None else spouse_surname
    for p in people:
        if p.relation == "01":
            s = head_surname
        elif p.relation == "02":
            s = spouse_surname
        elif p.relation in ("03", "04", "07", "08"):
            s = family
        elif p.relation in ("11", "15"):
            s = head_surname if p.sex == "1" or p.relation == "15" else names.surname(rng, ())
        else:
            s = names.surname(rng, ())
        p.attrs["name"] = s + names.given_name(rng, p.sex, AS_OF.year - p.age)
