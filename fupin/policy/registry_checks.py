"""Checks of registration-form data (登记表校验), pure: each returns the field errors it finds.

Used by the services (web, API, CLI all pass through them) and later by the roster import, so a
rule is written once. Messages are Chinese first, then English.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from . import codes

MAX_OTHER_CAUSES = 2
FIRST_YEAR = 2013  # 建档立卡 began in 2014 (pilots 2013)
LAST_YEAR = 2035


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


def _code(errors: list[FieldError], data: Mapping[str, Any], name: str, code_list: codes.CodeList,
          *, required: bool) -> None:
    value = data.get(name)
    if value in (None, ""):
        if required:
            errors.append(FieldError(name, f"必填 / required ({code_list.zh})"))
        return
    if str(value) not in code_list:
        errors.append(FieldError(name, f"不是有效的{code_list.zh}代码: {value} / not a valid {code_list.en} code"))


def check_causes(main: str | None, others: Sequence[str]) -> list[FieldError]:
    """One main cause, at most two others, all distinct and valid (致贫原因)."""
    errors: list[FieldError] = []
    _code(errors, {"main_cause": main}, "main_cause", codes.POVERTY_CAUSE, required=True)
    given = [o for o in others if o]
    for i, other in enumerate(given, start=1):
        _code(errors, {f"other_cause_{i}": other}, f"other_cause_{i}", codes.POVERTY_CAUSE, required=False)
    if len(given) > MAX_OTHER_CAUSES:
        errors.append(FieldError("other_cause_1", "其他致贫原因最多两项 / at most two other causes"))
    if main and main in given:
        errors.append(FieldError("other_cause_1", "其他致贫原因不能与主要致贫原因相同 / other cause repeats the main cause"))
    if len(set(given)) != len(given):
        errors.append(FieldError("other_cause_2", "其他致贫原因重复 / other causes repeat"))
    return errors


def check_household(data: Mapping[str, Any]) -> list[FieldError]:
    """Codes, years and amounts of a household's registration data."""
    errors = check_causes(data.get("main_cause"), [data.get("other_cause_1") or "", data.get("other_cause_2") or ""])
    _code(errors, data, "identification_standard", codes.IDENTIFICATION_STANDARD, required=True)
    version = str(data.get("category_form_version") or "")
    category_list = codes.HOUSEHOLD_CATEGORY_BY_VERSION.get(version)
    if category_list is None:
        errors.append(FieldError("category_form_version", f"未知的贫困户属性版本: {version} / unknown form version"))
    else:
        _code(errors, data, "category", category_list, required=True)
    _code(errors, data, "poverty_status", codes.POVERTY_STATUS, required=True)
    for name, cl in (("road_type", codes.ROAD_TYPE), ("fuel_type", codes.FUEL_TYPE),
                     ("dilapidated_grade", codes.DILAPIDATED_GRADE)):
        _code(errors, data, name, cl, required=False)
    year = data.get("identification_year")
    if year in (None, ""):
        errors.append(FieldError("identification_year", "必填 / required"))
    elif not FIRST_YEAR <= int(year) <= LAST_YEAR:
        errors.append(FieldError("identification_year", f"识别年度应在{FIRST_YEAR}–{LAST_YEAR}之间 / out of range"))
    planned = data.get("planned_exit_year")
    if planned not in (None, ""):
        if not FIRST_YEAR <= int(planned) <= LAST_YEAR:
            errors.append(FieldError("planned_exit_year", f"计划脱贫年度应在{FIRST_YEAR}–{LAST_YEAR}之间 / out of range"))
        elif year not in (None, "") and int(planned) < int(year):
            errors.append(FieldError("planned_exit_year", "计划脱贫年度早于识别年度 / planned exit before identification"))
    exit_year = data.get("exit_year")
    if exit_year not in (None, "") and not FIRST_YEAR <= int(exit_year) <= LAST_YEAR:
        errors.append(FieldError("exit_year", f"脱贫年度应在{FIRST_YEAR}–{LAST_YEAR}之间 / out of range"))
    for name in ("income_wage", "income_business", "income_property", "transfer_dibao", "transfer_wubao",
                 "transfer_pension", "transfer_eco", "transfer_other", "business_expense", "arable_mu",
                 "irrigated_mu", "forest_mu", "grain_to_green_mu", "fruit_forest_mu", "pasture_mu",
                 "water_surface_mu", "housing_area_m2", "road_distance_km"):
        value = data.get(name)
        if value in (None, ""):
            continue
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            errors.append(FieldError(name, f"不是数字: {value} / not a number"))
            continue
        if number < 0:
            errors.append(FieldError(name, "不能为负数 / must not be negative"))
    arable, irrigated = data.get("arable_mu"), data.get("irrigated_mu")
    if arable not in (None, "") and irrigated not in (None, ""):
        try:
            if Decimal(str(irrigated)) > Decimal(str(arable)):
                errors.append(FieldError("irrigated_mu", "有效灌溉面积大于耕地面积 / irrigated exceeds arable land"))
        except InvalidOperation:
            pass
    return errors


def check_member(data: Mapping[str, Any]) -> list[FieldError]:
    """Codes and numbers of one member (the ID number is checked by :mod:`.idnumber`)."""
    errors: list[FieldError] = []
    if not str(data.get("name") or "").strip():
        errors.append(FieldError("name", "必填 / required"))
    _code(errors, data, "relation", codes.RELATION, required=True)
    _code(errors, data, "ethnicity", codes.ETHNICITY, required=True)
    _code(errors, data, "education", codes.EDUCATION, required=False)
    _code(errors, data, "schooling", codes.SCHOOLING, required=True)
    _code(errors, data, "health", codes.HEALTH, required=True)
    _code(errors, data, "labour_skill", codes.LABOUR_SKILL, required=True)
    _code(errors, data, "migrant_work", codes.MIGRANT_WORK, required=False)
    months = data.get("migrant_months")
    if months not in (None, "") and not 0 <= int(months) <= 12:
        errors.append(FieldError("migrant_months", "务工时间应为0–12个月 / months must be 0–12"))
    if months not in (None, "", 0, "0") and not data.get("migrant_work"):
        errors.append(FieldError("migrant_work", "填写了务工时间但未填务工状况 / months given without migrant work"))
    return errors


def check_one_head(relations: Sequence[str]) -> list[FieldError]:
    """A household has exactly one head (户主)."""
    heads = sum(1 for r in relations if r == codes.HEAD_RELATION)
    if heads == 1:
        return []
    if heads == 0:
        return [FieldError("relation", "该户没有户主 / the household has no head")]
    return [FieldError("relation", f"该户有{heads}个户主 / the household has {heads} heads")]
