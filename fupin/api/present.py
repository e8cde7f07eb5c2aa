"""Registry records as API data (接口数据): code labels in Chinese, personal numbers masked by role.

Pure presentation over objects the caller has already fetched through the scoping function. ID
numbers (证件号码) and bank accounts (银行账号) are shown in full only to users whose role may see
them (``user.may_see_full_id``); everyone else gets them masked by :mod:`fupin.policy.masking` (an ID
number keeps its first four and last four characters, ``3504**********1234``; an account its last
four, ``***************5678``), as the pages and the roster export show them.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fupin.policy import codes
from fupin.policy.masking import mask_account, mask_id_number
from fupin.policy.regions import LEVEL_FIELD, LEVEL_NAMES
from fupin.regions.models import Region
from fupin.registry.choices import RecordStatus
from fupin.registry.models import Household, Member
from fupin.registry.selectors import MemberElsewhere, RegionFigures
from fupin.registry.services import HOUSEHOLD_FIELDS, MEMBER_FIELDS

#: Household code fields and their code lists (贫困户属性 depends on the form version, see below).
HOUSEHOLD_CODES = {
    "identification_standard": codes.IDENTIFICATION_STANDARD, "main_cause": codes.POVERTY_CAUSE,
    "poverty_status": codes.POVERTY_STATUS, "road_type": codes.ROAD_TYPE, "fuel_type": codes.FUEL_TYPE,
    "dilapidated_grade": codes.DILAPIDATED_GRADE, "left_reason": codes.HOUSEHOLD_LEAVE_REASON,
}
MEMBER_CODES = {
    "sex": codes.SEX, "relation": codes.RELATION, "ethnicity": codes.ETHNICITY, "education": codes.EDUCATION,
    "schooling": codes.SCHOOLING, "health": codes.HEALTH, "labour_skill": codes.LABOUR_SKILL,
    "migrant_work": codes.MIGRANT_WORK, "left_reason": codes.MEMBER_LEAVE_REASON,
}
STATUS_LABELS = dict(RecordStatus.choices)


def _masked(value: str, full: bool) -> str:
    return value if full else mask_id_number(value)


def _category_label(h: Household) -> str:
    code_list = codes.HOUSEHOLD_CATEGORY_BY_VERSION.get(h.category_form_version)
    return code_list.label(h.category) if code_list else h.category


def household_item(h: Household) -> dict[str, Any]:
    """One row of the household list (``village`` must be select_related)."""
    return {
        "id": h.pk, "household_number": h.household_number, "village_code": h.village_code,
        "village_name": h.village.name, "head_name": h.head_name, "size": h.size,
        "category": h.category, "category_label": _category_label(h),
        "category_form_version": h.category_form_version,
        "main_cause": h.main_cause, "main_cause_label": codes.POVERTY_CAUSE.label(h.main_cause),
        "other_causes": h.other_causes, "other_cause_labels": [codes.POVERTY_CAUSE.label(c) for c in h.other_causes],
        "poverty_status": h.poverty_status, "poverty_status_label": codes.POVERTY_STATUS.label(h.poverty_status),
        "income_per_capita": h.income_per_capita, "status": h.status,
        "status_label": STATUS_LABELS.get(h.status, h.status), "version": h.version,
    }


def member(m: Member, *, full_id: bool, elsewhere: MemberElsewhere | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(m, name) for name in MEMBER_FIELDS}
    data.update({
        "id": m.pk, "household_id": m.household_id, "version": m.version,
        "id_number": _masked(m.id_number, full_id), "id_kind": m.id_kind, "sex": m.sex,
        "birth_date": m.birth_date, "status": m.status, "status_label": STATUS_LABELS.get(m.status, m.status),
        "left_reason": m.left_reason, "left_comment": m.left_comment, "left_at": m.left_at,
    })
    for name, code_list in MEMBER_CODES.items():
        data[f"{name}_label"] = code_list.label(getattr(m, name))
    data["elsewhere"] = None if elsewhere is None else {
        **asdict(elsewhere), "left_reason_label": codes.MEMBER_LEAVE_REASON.label(elsewhere.left_reason)}
    return data


def household_detail(h: Household, *, full_id: bool, members: list[Member], ancestors: list[Region],
                     elsewhere: dict[int, MemberElsewhere] | None = None) -> dict[str, Any]:
    """Every registration field, the derived figures, the region path and the members."""
    data = household_item(h)
    data.update({name: getattr(h, name) for name in HOUSEHOLD_FIELDS})
    data.update({LEVEL_FIELD[lv]: getattr(h, LEVEL_FIELD[lv]) for lv in LEVEL_FIELD})
    data.update({
        "bank_account": h.bank_account if full_id else mask_account(h.bank_account), "id_numbers_masked": not full_id,
        "income_net": h.income_net, "income_rule_version": h.income_rule_version,
        "left_reason": h.left_reason, "left_comment": h.left_comment, "left_at": h.left_at,
        "created_at": h.created_at, "updated_at": h.updated_at,
        "regions": [region_ref(r) for r in [*ancestors, h.village]],
        "members": [member(m, full_id=full_id, elsewhere=(elsewhere or {}).get(m.pk)) for m in members],
    })
    for name, code_list in HOUSEHOLD_CODES.items():
        data[f"{name}_label"] = code_list.label(getattr(h, name))
    return data


def region_ref(r: Region) -> dict[str, Any]:
    return {"code": r.code, "name": r.name, "level": r.level, "level_label": LEVEL_NAMES[r.level][0]}


def region(r: Region) -> dict[str, Any]:
    return {
        **region_ref(r), "parent_code": r.parent_id, "is_poor_village": r.is_poor_village,
        "is_deep_poverty": r.is_deep_poverty, "is_key_county": r.is_key_county,
        "rural_population": r.rural_population,
    }


def figures(f: RegionFigures) -> dict[str, Any]:
    return {
        "code": f.code, "name": f.name, "level": f.level, "households": f.households, "persons": f.persons,
        "poor_households": f.poor_households, "poor_persons": f.poor_persons,
        "rural_population": f.incidence.population, "incidence_rate": f.incidence.rate,
        "is_poor_village": f.is_poor_village,
    }


def region_tree(root: Region, nodes: list[Region]) -> dict[str, Any]:
    """Nest ``nodes`` (all below ``root``, any order) under ``root`` by their parent code."""
    by_code: dict[str, dict[str, Any]] = {}
    for r in sorted([root, *nodes], key=lambda r: r.code):
        by_code.setdefault(r.code, {**region_ref(r), "is_poor_village": r.is_poor_village, "children": []})
    for r in sorted(nodes, key=lambda r: r.code):
        parent = by_code.get(r.parent_id or "")
        if parent is not None and r.code != root.code:
            parent["children"].append(by_code[r.code])
    return by_code[root.code]
