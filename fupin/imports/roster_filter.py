"""Which households a roster export takes (导出筛选) — pure, no Django.

A county exports its whole roster to check it, and part of it to work from: the households not yet
out of poverty (未脱贫户花名册) for the year's assistance plan, those identified in a given year, those
that left poverty in a given year for the post-exit checks (脱贫户回头看). :class:`RosterFilter` says
which, by household columns:

- 脱贫状态 (``poverty_status``, :data:`fupin.policy.codes.POVERTY_STATUS`): any of the codes given,
  written as codes (``0,3``) or labels (``未脱贫、返贫``); ``not-exited`` (未脱贫口径) stands for the codes
  that count as not yet out of poverty (:data:`~fupin.policy.codes.POVERTY_STATUS_NOT_EXITED`);
- 识别年度 (``identification_year``): one year (``2014``) or a range (``2014-2016``, both ends included);
- 脱贫年度 (``exit_year``): likewise; a household with no exit year is never in a 脱贫年度 filter;
- 计划脱贫年度 (``planned_exit_year``): likewise (the year's plan: 年度计划脱贫户);
- 致贫原因 (``causes``): any of the causes given (codes or labels), as the main cause or one of the
  other two — as the household list's filter reads it;
- 贫困户属性 (``categories``): any of the categories given, each as ``version:code`` (``2016:2``) or a
  label; the same code means different things on the 2014 and 2016 forms (属性版本), so a bare code is
  refused, and a label on both forms (``低保贫困户``) takes both;
- 两不愁三保障未达标 (``shortfall``): households that fall short on any of the guarantees given — 不愁吃,
  不愁穿, 义务教育有保障, 基本医疗有保障, 住房安全有保障 and 饮水安全, the six the exit criteria check
  (:data:`fupin.policy.exit_rules.GUARANTEE_FIELDS`): a guarantee's field is false on the registry.
  Written as keys (``housing,water``), labels (``住房安全有保障``) or short words (``住房、饮水``);
  ``any`` (``两不愁三保障``, ``全部``) stands for all six. It is the county's working list of households
  with a 突出问题 (the "清零" ledger of the last years of the campaign), one per guarantee or all at once;
- 危房户 (``dilapidated``): households whose house is graded C or D (危房等级), either or both, as
  grades (``C,D``) or labels (``D级危房``); ``是`` / ``yes`` / ``危房户`` stands for both — the list a county
  works from for 危房改造.

Besides these household columns, a filter may name the members (人员筛选), by the person columns of
the roster — 性别 (``sex``; from the ID number), 民族 (``ethnicity``; ``少数民族`` stands for every
one but 汉族), 文化程度 (``education``), 在校生状况 (``schooling``; ``在校生`` stands for every grade, all
but 非在校生), 健康状况 (``health``), 劳动技能 (``labour_skill``; ``劳动力`` stands for 普通劳动力 and
技能劳动力) and 务工状况 (``migrant_work``; ``未务工`` stands for no migrant work, the empty value, and
``务工`` for every kind) — each as codes or labels, and by age (``age``: ``16-60``, ``60以上``, ``18以下``,
in whole years (周岁) on the day of the export, both ends included, as 民法典 第1259条 reads 以上 and
以下). These are the sector lists a county hands out: 在校生 for 教育资助 (雨露计划), 患大病/长期慢性病 for
健康帮扶, 劳动力 not working away for 就业帮扶. In the person roster only the members who match are
written (a working list: it holds part of each household, and imported again, the members it lacks
would show as persons leaving); the household roster takes the households with at least one such
member, written whole.

Parts given together must all hold.

An empty filter takes every active household, as before. The filter is kept with the export's record
(:meth:`RosterFilter.as_record`), named in words on the export records page (:meth:`describe`) and in
the file's name (:meth:`file_suffix`), so an auditor can tell what a file was meant to hold.
Values that cannot be valid raise :class:`FilterError` naming the field and the reason.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from fupin.policy import clock, codes

#: 识别年度 and 脱贫年度 a filter may name (the registry's years are within these).
FIRST_YEAR, LAST_YEAR = 1980, 2100
#: The word for "not yet out of poverty" (未脱贫口径) in a 脱贫状态 filter.
NOT_EXITED_WORDS = ("not-exited", "not_exited", "未脱贫口径")
#: The year filters, in the order they are recorded and named, with their words.
YEAR_FIELDS = {"identification_year": "识别年度", "exit_year": "脱贫年度", "planned_exit_year": "计划脱贫年度"}
FIELD_LABELS = {"poverty_status": "脱贫状态 / poverty status", "identification_year": "识别年度 / identified in",
                "exit_year": "脱贫年度 / exited in", "planned_exit_year": "计划脱贫年度 / planned exit",
                "causes": "致贫原因 / cause of poverty",
                "categories": "贫困户属性 / household category",
                "shortfall": "两不愁三保障未达标 / falls short on",
                "dilapidated": "危房户 / dilapidated housing",
                "sex": "性别 / sex", "ethnicity": "民族 / ethnicity",
                "education": "文化程度 / education", "schooling": "在校生状况 / schooling",
                "health": "健康状况 / health", "labour_skill": "劳动技能 / labour skill",
                "migrant_work": "务工状况 / migrant work", "age": "年龄 / age"}
#: The words for "graded C or D" in a 危房户 filter.
DILAPIDATED_WORDS = ("是", "yes", "危房户", "危房")


@dataclass(frozen=True)
class Guarantee:
    """One of 两不愁三保障 and 饮水安全: its key, the registry field that holds it, its label and the short
    words a filter may give for it."""

    key: str
    field: str
    zh: str
    en: str
    words: tuple[str, ...]


#: The guarantees, in the order of 两不愁三保障 then 饮水安全 (the fields of the exit criteria).
GUARANTEES = (
    Guarantee("food", "food_secure", "不愁吃", "enough food", ("吃",)),
    Guarantee("clothing", "clothing_secure", "不愁穿", "enough clothing", ("穿",)),
    Guarantee("education", "education_secure", "义务教育有保障", "compulsory education", ("义务教育", "教育")),
    Guarantee("medical", "medical_secure", "基本医疗有保障", "basic medical care", ("基本医疗", "医疗")),
    Guarantee("housing", "housing_secure", "住房安全有保障", "safe housing", ("住房安全", "住房")),
    Guarantee("water", "drinking_water_safe", "饮水安全", "safe drinking water", ("饮水",)),
)
#: The words for "any of the six" in a 两不愁三保障 filter.
ALL_GUARANTEES_WORDS = ("any", "all", "全部", "两不愁三保障")


@dataclass(frozen=True)
class PersonField:
    """A coded member column a 人员筛选 may name: the member field (and its code list, of the same
    name), its label, its short name for the file's name, and words standing for several codes."""

    field: str
    zh: str
    short: str
    groups: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()  # (words, the codes they stand for)

    def code_list(self) -> codes.CodeList:
        return codes.ALL_LISTS[self.field]

    def label(self, code: str) -> str:
        """A code's label; the empty value is named by the group that stands for it (未务工)."""
        if code == "":
            return next((words[0] for words, chosen in self.groups if chosen == ("",)), "空")
        return next((item.zh for item in self.code_list().items if item.code == code), code)

    def group_word(self, chosen: Iterable[str]) -> str | None:
        """The word of the group whose codes are exactly ``chosen`` (``在校生``, ``未务工``), if any."""
        chosen = tuple(chosen)
        return next((words[0] for words, codes_ in self.groups if codes_ == chosen), None)

    def describe(self, chosen: Iterable[str]) -> str:
        """``chosen`` in words: their group's word, else each code's label."""
        chosen = tuple(chosen)
        return self.group_word(chosen) or "、".join(self.label(code) for code in chosen)

    def file_part(self, chosen: Iterable[str]) -> str:
        """For a file's name: the group's word, else the short name and the codes (``健康2+3``)."""
        chosen = tuple(chosen)
        return self.group_word(chosen) or self.short + "+".join(code or "无" for code in chosen)


def _codes_of(name: str, *, but: tuple[str, ...] = ()) -> tuple[str, ...]:
    return tuple(item.code for item in codes.ALL_LISTS[name].items if item.code and item.code not in but)


#: The member columns of 人员筛选, in the roster's order.
PERSON_FIELDS = (
    PersonField("sex", "性别", "性别", ((("女性",), ("2",)), (("男性",), ("1",)))),
    PersonField("ethnicity", "民族", "民族", ((("少数民族", "minorities"), _codes_of("ethnicity", but=("01",))),)),
    PersonField("education", "文化程度", "文化"),
    PersonField("schooling", "在校生状况", "在校",
                ((("在校生", "在校", "students", "student"), _codes_of("schooling", but=("1",))),)),
    PersonField("health", "健康状况", "健康"),
    PersonField("labour_skill", "劳动技能", "劳动",
                ((("劳动力", "有劳动力", "labour", "able"), ("1", "2")),)),
    PersonField("migrant_work", "务工状况", "务工",
                ((("未务工", "none", "无"), ("",)), (("务工", "working", "外出务工"), _codes_of("migrant_work")))),
)
PERSON_BY_FIELD = {f.field: f for f in PERSON_FIELDS}
#: Ages (周岁) a filter may name.
MAX_AGE = 150


class FilterError(ValueError):
    """A filter value that cannot be valid: ``field`` is the filter's field, ``reason`` says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{FIELD_LABELS.get(field, field)}: {reason}")
        self.field, self.reason = field, reason


@dataclass(frozen=True)
class YearRange:
    """``first``–``last``, both included (one year: ``first == last``)."""

    first: int
    last: int

    def text(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first}-{self.last}"


@dataclass(frozen=True)
class AgeRange:
    """Whole years of age (周岁) ``first``–``last`` on the day ``on``, both included; ``last`` None: no
    upper end (``60以上``)."""

    first: int
    last: int | None
    on: date

    def text(self) -> str:
        if self.last is None:
            return f"{self.first}以上"
        return str(self.first) if self.first == self.last else f"{self.first}-{self.last}"

    def birth_dates(self) -> tuple[date | None, date]:
        """``(after, until)``: a person is in the range when born after ``after`` (None: no bound) and on
        or before ``until`` — the same persons :func:`fupin.policy.idnumber.age_on` puts in it."""
        after = None if self.last is None else years_before(self.on, self.last + 1)
        return after, years_before(self.on, self.first)


def years_before(day: date, years: int) -> date:
    """The same day ``years`` years before; 29 February, where that year has none, is 28 February (a
    person born on 29 February has a birthday each year from 1 March, or 29 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True)
class RosterFilter:
    """导出筛选: the households an export takes (see the module docstring). Empty: all of them."""

    poverty_status: tuple[str, ...] = ()
    identification_year: YearRange | None = None
    exit_year: YearRange | None = None
    planned_exit_year: YearRange | None = None
    causes: tuple[str, ...] = ()
    categories: tuple[tuple[str, str], ...] = ()  # (form version, code)
    shortfall: tuple[str, ...] = ()  # keys of GUARANTEES, in their order
    dilapidated: tuple[str, ...] = ()  # 危房等级 codes: C, D
    # 人员筛选: member columns (codes; "" is 未务工) and age
    sex: tuple[str, ...] = ()
    ethnicity: tuple[str, ...] = ()
    education: tuple[str, ...] = ()
    schooling: tuple[str, ...] = ()
    health: tuple[str, ...] = ()
    labour_skill: tuple[str, ...] = ()
    migrant_work: tuple[str, ...] = ()
    age: AgeRange | None = None

    def is_empty(self) -> bool:
        return (not self.poverty_status and self.identification_year is None and self.exit_year is None
                and self.planned_exit_year is None and not self.causes and not self.categories
                and not self.shortfall and not self.dilapidated and not self.names_persons())

    def person_codes(self) -> dict[str, tuple[str, ...]]:
        """The member columns the filter names, with their codes (人员筛选)."""
        return {f.field: getattr(self, f.field) for f in PERSON_FIELDS if getattr(self, f.field)}

    def names_persons(self) -> bool:
        """Whether the filter names members (人员筛选), not only households."""
        return bool(self.person_codes()) or self.age is not None

    def shortfall_fields(self) -> tuple[str, ...]:
        """The registry fields of the guarantees in :attr:`shortfall` (a household is taken when any is false)."""
        return tuple(g.field for g in GUARANTEES if g.key in self.shortfall)

    def as_record(self) -> dict[str, Any]:
        """What the export record keeps: only the parts given, years as ``[first, last]``."""
        record: dict[str, Any] = {}
        if self.poverty_status:
            record["poverty_status"] = list(self.poverty_status)
        for name in YEAR_FIELDS:
            years = getattr(self, name)
            if years is not None:
                record[name] = [years.first, years.last]
        if self.causes:
            record["causes"] = list(self.causes)
        if self.categories:
            record["categories"] = [f"{version}:{code}" for version, code in self.categories]
        if self.shortfall:
            record["shortfall"] = list(self.shortfall)
        if self.dilapidated:
            record["dilapidated"] = list(self.dilapidated)
        for field, chosen in self.person_codes().items():
            record[field] = list(chosen)
        if self.age is not None:
            record["age"] = [self.age.first, self.age.last]
            record["age_on"] = self.age.on.isoformat()
        return record

    def describe(self) -> str:
        """In words, Chinese first: ``脱贫状态:未脱贫、返贫;识别年度:2014-2016`` ("" when empty)."""
        return describe_record(self.as_record())

    def file_suffix(self) -> str:
        """For the file's name: ``-状态0+3-识别2014-2016-脱贫2019`` ("" when empty)."""
        parts = []
        if self.poverty_status:
            parts.append("状态" + "+".join(self.poverty_status))
        if self.identification_year is not None:
            parts.append("识别" + self.identification_year.text())
        if self.exit_year is not None:
            parts.append("脱贫" + self.exit_year.text())
        if self.planned_exit_year is not None:
            parts.append("计划" + self.planned_exit_year.text())
        if self.causes:
            parts.append("原因" + "+".join(self.causes))
        if self.categories:
            parts.append("属性" + "+".join(f"{v}.{c}" for v, c in self.categories))
        if self.shortfall:
            words = {g.key: g.words[0] for g in GUARANTEES}
            parts.append("未达标" + ("全部" if len(self.shortfall) == len(GUARANTEES)
                                    else "+".join(words[k] for k in self.shortfall)))
        if self.dilapidated:
            parts.append("危房" + "+".join(self.dilapidated))
        for field, chosen in self.person_codes().items():
            parts.append(PERSON_BY_FIELD[field].file_part(chosen))
        if self.age is not None:
            parts.append("年龄" + self.age.text())
        return "".join(f"-{p}" for p in parts)


def describe_record(record: dict[str, Any] | None) -> str:
    """:meth:`RosterFilter.describe` of a stored record (``ExportRecord.filters``), its parts in the
    filter's order whatever order the record gives them in; unknown keys are named as they are rather
    than dropped."""
    if not record:
        return ""
    labels = {item.code: item.zh for item in codes.POVERTY_STATUS.items}
    parts = []
    # in the order the filter records its parts: PostgreSQL's jsonb gives the keys back in its own order
    order = [*FIELD_LABELS, "age_on"]
    for key, value in sorted(record.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)):
        if key == "poverty_status":
            parts.append("脱贫状态:" + "、".join(labels.get(str(c), str(c)) for c in value))
        elif key in YEAR_FIELDS and isinstance(value, list | tuple) and len(value) == 2:
            parts.append(f"{YEAR_FIELDS[key]}:" + YearRange(int(value[0]), int(value[1])).text())
        elif key == "causes":
            causes = {item.code: item.zh for item in codes.POVERTY_CAUSE.items}
            parts.append("致贫原因:" + "、".join(causes.get(str(c), str(c)) for c in value))
        elif key == "categories":
            parts.append("贫困户属性:" + "、".join(_category_words(str(c)) for c in value))
        elif key == "shortfall":
            labels_of = {g.key: g.zh for g in GUARANTEES}
            parts.append("两不愁三保障未达标:" + "、".join(labels_of.get(str(k), str(k)) for k in value))
        elif key == "dilapidated":
            grades = {item.code: item.zh for item in codes.DILAPIDATED_GRADE.items}
            parts.append("危房户:" + "、".join(grades.get(str(g), str(g)) for g in value))
        elif key in PERSON_BY_FIELD and isinstance(value, list | tuple):
            field = PERSON_BY_FIELD[key]
            parts.append(f"{field.zh}:" + field.describe(str(c) for c in value))
        elif key == "age" and isinstance(value, list | tuple) and len(value) == 2:
            first, last = int(value[0]), None if value[1] is None else int(value[1])
            on = record.get("age_on")
            text = (f"{first}周岁以上" if last is None else f"{first}周岁" if first == last
                    else f"{first}-{last}周岁")
            parts.append(f"年龄:{text}" + (f"(按{on}计)" if on else ""))
        elif key == "age_on":
            continue
        else:
            parts.append(f"{key}:{value}")
    return ";".join(parts)


def _category_words(value: str) -> str:
    version, _sep, code = value.partition(":")
    code_list = codes.HOUSEHOLD_CATEGORY_BY_VERSION.get(version)
    label = next((i.zh for i in code_list.items if i.code == code), code) if code_list else code
    return f"{label}({version}版)"


def _words(values: str | Iterable[str] | None) -> list[str]:
    if values is None:
        return []
    items = [values] if isinstance(values, str) else list(values)
    return [w.strip() for item in items for w in re.split(r"[,，、;；]+", unicodedata.normalize("NFKC", item))
            if w.strip()]


def parse_causes(values: str | Iterable[str] | None) -> tuple[str, ...]:
    """致贫原因 codes, in code order, each once, from codes or labels (``"1,2"``, ``"因病、因残"``)."""
    index = {}
    for item in codes.POVERTY_CAUSE.items:
        for spelling in (item.code, item.zh, item.en):
            index[_key(spelling)] = item.code
    found = set()
    for word in _words(values):
        code = index.get(_key(word))
        if code is None:
            raise FilterError("causes", f"不是有效的致贫原因: {word} / not a cause of poverty code or label")
        found.add(code)
    order = [item.code for item in codes.POVERTY_CAUSE.items]
    return tuple(sorted(found, key=order.index))


def parse_categories(values: str | Iterable[str] | None) -> tuple[tuple[str, str], ...]:
    """贫困户属性 as (form version, code) pairs, in version and code order, each once, from ``version:code``
    (``2016:2``) or a label (``低保贫困户``: every form that has it). A bare code is refused: it means
    different things on the two forms."""
    found: set[tuple[str, str]] = set()
    for word in _words(values):
        version, sep, code = _key(word).partition(":")
        if sep:
            code_list = codes.HOUSEHOLD_CATEGORY_BY_VERSION.get(version.removesuffix("版"))
            if code_list is None or code not in code_list.codes():
                raise FilterError("categories", f"不是有效的贫困户属性: {word}(应为 版本:代码,如 2016:2)/ not a "
                                                "form version and category code, such as 2016:2")
            found.add((version.removesuffix("版"), code))
            continue
        matched = {(v, i.code) for v, cl in codes.HOUSEHOLD_CATEGORY_BY_VERSION.items() for i in cl.items
                   if _key(word) in (_key(i.zh), _key(i.en))}
        if not matched:
            raise FilterError("categories", f"不是有效的贫困户属性: {word}(给名称,或 版本:代码,如 2016:2)/ give a "
                                            "category label, or form version and code such as 2016:2")
        found |= matched
    return tuple(sorted(found))


def _key(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def parse_poverty_status(values: str | Iterable[str] | None) -> tuple[str, ...]:
    """脱贫状态 codes, in code order, each once, from codes or labels (``"0,3"``, ``"未脱贫、返贫"``,
    ``["0", "3"]``, ``"not-exited"``); "" or ``None``: no filter."""
    if values is None:
        return ()
    items = [values] if isinstance(values, str) else list(values)
    words = [w.strip() for item in items for w in re.split(r"[,，、;；]+", unicodedata.normalize("NFKC", item))
             if w.strip()]
    index: dict[str, str] = {}
    for item in codes.POVERTY_STATUS.items:
        for spelling in (item.code, item.zh, item.en):
            index[_key(spelling)] = item.code
    found: set[str] = set()
    for word in words:
        if _key(word) in NOT_EXITED_WORDS:
            found |= codes.POVERTY_STATUS_NOT_EXITED
            continue
        code = index.get(_key(word))
        if code is None:
            known = "、".join(f"{i.code} {i.zh}" for i in codes.POVERTY_STATUS.items)
            raise FilterError("poverty_status", f"不是有效的脱贫状态: {word}(可用: {known}、未脱贫口径 not-exited) / "
                                                f"not a poverty status code or label")
        found.add(code)
    order = [item.code for item in codes.POVERTY_STATUS.items]
    return tuple(sorted(found, key=order.index))


def parse_years(field: str, text: str | None) -> YearRange | None:
    """``"2014"`` or ``"2014-2016"`` (also ``2014–2016``, ``2014~2016``, ``2014至2016``) → :class:`YearRange`;
    "" or ``None``: no filter. Years outside 1980–2100 or a range running backwards are refused."""
    if text is None or not str(text).strip():
        return None
    value = _key(str(text)).removesuffix("年")
    match = re.fullmatch(r"(\d{4})年?(?:[-–—~至到](\d{4})年?)?", value)
    if not match:
        raise FilterError(field, f"应为年份或年份范围,如 2014 或 2014-2016: {text} / give a year or a range of "
                                 "years, such as 2014 or 2014-2016")
    first = int(match.group(1))
    last = int(match.group(2) or first)
    for year in (first, last):
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise FilterError(field, f"年份应在 {FIRST_YEAR}–{LAST_YEAR} 之间: {year} / a year between "
                                     f"{FIRST_YEAR} and {LAST_YEAR}")
    if first > last:
        raise FilterError(field, f"起始年份晚于结束年份: {text} / the first year is after the last")
    return YearRange(first, last)


def _chosen(field: str, values: str | Iterable[str] | None, index: dict[str, str],
            groups: dict[str, Iterable[str]], refusal: Callable[[str], str]) -> set[str]:
    """The codes ``values`` name: each word looked up in ``index`` (by :func:`_key`), a word of ``groups``
    standing for its codes; an unknown word refused with ``refusal(word)``."""
    by_key = {_key(word): tuple(chosen) for word, chosen in groups.items()}
    found: set[str] = set()
    for word in _words(values):
        if _key(word) in by_key:
            found |= set(by_key[_key(word)])
            continue
        code = index.get(_key(word))
        if code is None:
            raise FilterError(field, refusal(word))
        found.add(code)
    return found


def parse_shortfall(values: str | Iterable[str] | None) -> tuple[str, ...]:
    """两不愁三保障 guarantees as keys of :data:`GUARANTEES`, in their order, each once, from keys, labels
    or short words (``"housing,water"``, ``"住房安全有保障、饮水"``); ``any`` / ``两不愁三保障``: all six."""
    index = {_key(spelling): g.key for g in GUARANTEES for spelling in (g.key, g.zh, g.en, *g.words)}
    known = "、".join(f"{g.key} {g.zh}" for g in GUARANTEES)
    found = _chosen("shortfall", values, index, dict.fromkeys(ALL_GUARANTEES_WORDS, tuple(g.key for g in GUARANTEES)),
                    lambda word: f"不是两不愁三保障的一项: {word}(可用: {known}、两不愁三保障 any)/ not one of the guarantees")
    return tuple(g.key for g in GUARANTEES if g.key in found)


def parse_dilapidated(values: str | Iterable[str] | None) -> tuple[str, ...]:
    """危房等级 grades (``C``, ``D``), in order, each once, from grades or labels; ``是`` / ``yes`` / ``危房户``:
    both. A house that is not dilapidated is not a 危房户 filter (refused)."""
    graded = [item.code for item in codes.DILAPIDATED_GRADE.items if item.code]
    index = {_key(spelling): item.code for item in codes.DILAPIDATED_GRADE.items if item.code
             for spelling in (item.code, item.zh, item.en)}
    found = _chosen("dilapidated", values, index, dict.fromkeys(DILAPIDATED_WORDS, tuple(graded)),
                    lambda word: f"不是危房等级: {word}(可用: C、D、是)/ not a dilapidated-housing grade (C, D, or yes "
                                 "for both)")
    return tuple(code for code in graded if code in found)


def parse_person_codes(field: str, values: str | Iterable[str] | None) -> tuple[str, ...]:
    """A member column's codes (人员筛选: :data:`PERSON_FIELDS`), in code order, each once, from codes,
    labels or the field's group words (``在校生``, ``劳动力``, ``未务工``)."""
    person = PERSON_BY_FIELD[field]
    items = [item for item in person.code_list().items if item.code]
    index = {_key(spelling): item.code for item in items for spelling in (item.code, item.zh, item.en)}
    known = "、".join([f"{i.code} {i.zh}" for i in items] + [words[0] for words, _ in person.groups])
    found = _chosen(field, values, index, {word: chosen for words, chosen in person.groups for word in words},
                    lambda word: f"不是有效的{person.zh}: {word}(可用: {known})/ not a "
                                 f"{field.replace('_', ' ')} code or label")
    order = ["", *[item.code for item in items]]
    return tuple(sorted(found, key=order.index))


def parse_age(text: str | None, on: date | None = None) -> AgeRange | None:
    """``"16-60"``, ``"16"``, ``"60以上"`` (also ``60-``, ``60+``) or ``"18以下"`` (also ``-18``) in whole
    years (周岁, 岁 may follow) → :class:`AgeRange` on ``on`` (default: today); "" or ``None``: no filter.
    以上 and 以下 include the number (民法典 第1259条)."""
    if text is None or not str(text).strip():
        return None
    value = _key(str(text)).replace("周岁", "").replace("岁", "")
    match = re.fullmatch(r"(\d{1,3})(?:[-–—~至到](\d{1,3}))?", value)
    over = re.fullmatch(r"(\d{1,3})(?:以上|及以上|\+|[-–—~])", value)
    under = re.fullmatch(r"(?:(\d{1,3})(?:以下|及以下)|[-–—~](\d{1,3}))", value)
    if match:
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
    elif over:
        first, last = int(over.group(1)), None
    elif under:
        first, last = 0, int(under.group(1) or under.group(2))
    else:
        raise FilterError("age", f"应为周岁或其范围,如 16-60、60以上、18以下: {text} / give an age or a range of ages, "
                                 "such as 16-60, 60以上 (60 and over) or 18以下 (18 and under)")
    for years in (first, last):
        if years is not None and years > MAX_AGE:
            raise FilterError("age", f"年龄应在 0–{MAX_AGE} 周岁之间: {years} / an age between 0 and {MAX_AGE}")
    if last is not None and first > last:
        raise FilterError("age", f"起始年龄大于结束年龄: {text} / the first age is above the last")
    return AgeRange(first, last, on or clock.today())


def parse_filter(*, poverty_status: str | Iterable[str] | None = None, identification_year: str | None = None,
                 exit_year: str | None = None, causes: str | Iterable[str] | None = None,
                 categories: str | Iterable[str] | None = None, planned_exit_year: str | None = None,
                 shortfall: str | Iterable[str] | None = None,
                 dilapidated: str | Iterable[str] | None = None, sex: str | Iterable[str] | None = None,
                 ethnicity: str | Iterable[str] | None = None, education: str | Iterable[str] | None = None,
                 schooling: str | Iterable[str] | None = None, health: str | Iterable[str] | None = None,
                 labour_skill: str | Iterable[str] | None = None, migrant_work: str | Iterable[str] | None = None,
                 age: str | None = None, on: date | None = None) -> RosterFilter:
    """A :class:`RosterFilter` from what a form, the API or the command was given (each may be empty);
    ``on``: the day ages are counted on (default: today)."""
    return RosterFilter(poverty_status=parse_poverty_status(poverty_status),
                        identification_year=parse_years("identification_year", identification_year),
                        exit_year=parse_years("exit_year", exit_year),
                        planned_exit_year=parse_years("planned_exit_year", planned_exit_year),
                        causes=parse_causes(causes),
                        categories=parse_categories(categories),
                        shortfall=parse_shortfall(shortfall),
                        dilapidated=parse_dilapidated(dilapidated),
                        sex=parse_person_codes("sex", sex),
                        ethnicity=parse_person_codes("ethnicity", ethnicity),
                        education=parse_person_codes("education", education),
                        schooling=parse_person_codes("schooling", schooling),
                        health=parse_person_codes("health", health),
                        labour_skill=parse_person_codes("labour_skill", labour_skill),
                        migrant_work=parse_person_codes("migrant_work", migrant_work),
                        age=parse_age(age, on))
