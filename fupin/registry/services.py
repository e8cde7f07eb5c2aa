"""Writes to the registry (建档立卡): the only way households and members change.

Each verb: scope check → lock and version check → policy checks → save → audit rows, all in one
transaction. Errors are :class:`RegistryError` with per-field messages; nothing is half-written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from fupin.core import audit
from fupin.core.models import ChangeAction
from fupin.core.scoping import ScopeError, require_in_scope
from fupin.policy import codes, roles
from fupin.policy.idnumber import validate_id_number
from fupin.policy.income import IncomeLines, compute_income_per_capita
from fupin.policy.regions import LEVEL_FIELD, LEVEL_VILLAGE, ancestor_codes
from fupin.policy.registry_checks import FieldError, check_household, check_member, check_one_head
from fupin.regions.models import Region

from .choices import RecordStatus
from .models import Household, Member

#: Household fields a user may set (the rest are derived or governed by workflows).
HOUSEHOLD_FIELDS = (
    "group_name", "address", "phone", "bank_name", "bank_account", "identification_standard", "category",
    "category_form_version", "main_cause", "other_cause_1", "other_cause_2", "is_military_family",
    "is_only_child", "is_two_daughters", "arable_mu", "irrigated_mu", "forest_mu", "grain_to_green_mu",
    "fruit_forest_mu", "pasture_mu", "water_surface_mu", "is_coop_member", "has_electricity",
    "has_production_power", "road_distance_km", "road_type", "housing_area_m2", "dilapidated_grade",
    "drinking_water_safe", "drinking_water_difficult", "fuel_type", "has_sanitary_toilet", "income_wage",
    "income_business", "income_property", "transfer_dibao", "transfer_wubao", "transfer_pension",
    "transfer_eco", "transfer_other", "business_expense", "food_secure", "clothing_secure",
    "education_secure", "medical_secure", "housing_secure", "poverty_status", "identification_year",
    "planned_exit_year", "exit_year",
)
#: Fields computed by the services; changes to them are audited too.
HOUSEHOLD_DERIVED = ("head_name", "size", "income_net", "income_per_capita", "income_rule_version",
                     "village", "province_code", "city_code", "county_code", "township_code", "village_code")
MEMBER_FIELDS = (
    "name", "id_number", "relation", "ethnicity", "education", "schooling", "health", "labour_skill",
    "migrant_work", "migrant_months", "is_active_soldier", "has_medical_insurance",
    "has_serious_illness_insurance", "has_pension_insurance", "is_dibao", "is_tekun",
)
MEMBER_DERIVED = ("id_kind", "sex", "birth_date")


@dataclass
class RegistryError(Exception):
    """A refused write, with the reasons per field (``""`` for the whole record)."""

    message: str
    field_errors: dict[str, list[str]] = field(default_factory=dict)

    def __str__(self) -> str:
        parts = [self.message] + [f"{k}: {'; '.join(v)}" for k, v in self.field_errors.items()]
        return " | ".join(parts)

    @classmethod
    def from_errors(cls, message: str, errors: list[FieldError], prefix: str = "") -> RegistryError:
        out: dict[str, list[str]] = {}
        for err in errors:
            out.setdefault(prefix + err.field, []).append(err.message)
        return cls(message, out)


class VersionConflict(RegistryError):
    """Someone else saved the record after this user opened it (并发修改)."""


class DuplicatePerson(RegistryError):
    """The person is already a member of another household (一人一户)."""


INVALID = "数据有误,未保存 / invalid data, nothing was saved"
#: Households whose data may still change: on the registry, applying (识别程序 under way), or recorded for
#: return-to-poverty monitoring (监测户, fupin.monitoring).
OPEN_STATUSES = (RecordStatus.ACTIVE, RecordStatus.APPLICANT, RecordStatus.MONITORED)


def _clean_member(data: Mapping[str, Any], *, prefix: str = "") -> dict[str, Any]:
    """Validated member values with the ID number normalised and sex/birth date derived from it."""
    errors = check_member(data)
    result = validate_id_number(str(data.get("id_number") or ""))
    if not result.ok:
        errors.append(FieldError("id_number", result.reason))
    if errors:
        raise RegistryError.from_errors(INVALID, errors, prefix)
    values = {k: data[k] for k in MEMBER_FIELDS if k in data}
    values["name"] = str(values["name"]).strip()
    values["id_number"] = result.number
    values["id_kind"] = result.kind
    values["sex"] = result.sex
    values["birth_date"] = result.birth_date
    for flag in ("education", "migrant_work"):
        values[flag] = values.get(flag) or ""
    values["migrant_months"] = int(values.get("migrant_months") or 0)
    return _coerce(Member, values)


def _describe_household(h: Household) -> str:
    return f"户编号 {h.household_number}({h.village.name})"


def _check_one_household(id_number: str, *, target: Household | None, exclude_member_id: int | None,
                         field_name: str) -> None:
    """One person, one household (一人一户): the error names both households."""
    clash = (
        Member.objects.select_related("household__village")
        .filter(id_number=id_number, status=RecordStatus.ACTIVE)
        .exclude(pk=exclude_member_id)
        .first()
    )
    if clash is None:
        return
    here = _describe_household(target) if target is not None else "新建户 / the new household"
    raise DuplicatePerson(
        "一人不能在两户登记 / one person cannot be in two households",
        {field_name: [f"证件号码 {id_number} 已在{_describe_household(clash.household)}登记,"
                      f"不能再登记到{here} / already a member of household {clash.household.household_number}"]},
    )


def _village(code: str) -> Region:
    village = Region.objects.filter(code=code, level=LEVEL_VILLAGE).first()
    if village is None:
        raise RegistryError(INVALID, {"village_code": [f"不是村级区划: {code} / not a village code"]})
    return village


def _set_location(household: Household, village: Region) -> None:
    household.village = village
    for level, code in ancestor_codes(village.code).items():
        setattr(household, LEVEL_FIELD[level], code)


def _refresh_derived(household: Household) -> None:
    """Head name, size and per-capita income from the active members and income lines."""
    active = list(household.members.filter(status=RecordStatus.ACTIVE).values_list("relation", "name"))
    household.size = len(active)
    household.head_name = next((n for r, n in active if r == codes.HEAD_RELATION), "")
    lines = IncomeLines(
        wage=Decimal(household.income_wage), business=Decimal(household.income_business),
        property=Decimal(household.income_property), transfer_dibao=Decimal(household.transfer_dibao),
        transfer_wubao=Decimal(household.transfer_wubao), transfer_pension=Decimal(household.transfer_pension),
        transfer_eco=Decimal(household.transfer_eco), transfer_other=Decimal(household.transfer_other),
        business_expense=Decimal(household.business_expense),
    )
    result = compute_income_per_capita(lines, household.size)
    household.income_net = result.net_income
    household.income_per_capita = result.per_capita
    household.income_rule_version = result.settings_version


def _next_household_number(village_code: str) -> str:
    """户编号 = village code + 5-digit sequence within the village."""
    last = Household.objects.filter(village_code=village_code).aggregate(m=Max("household_number"))["m"]
    seq = int(last[12:]) + 1 if last and last[12:].isdigit() else 1
    return f"{village_code}{seq:05d}"


def _coerce(model: type[Household] | type[Member], values: dict[str, Any]) -> dict[str, Any]:
    """Values as the model stores them (Decimal with the field's places, ints, bools), so that audit
    rows compare like with like. Call after the policy checks have refused malformed input."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        f = model._meta.get_field(name)
        if value is None or value == "":
            out[name] = value
            continue
        try:
            coerced = f.to_python(value)
            f.run_validators(coerced)
        except ValidationError as exc:
            raise RegistryError(INVALID, {name: [f"无效的值: {value}({'; '.join(exc.messages)}) / invalid value"]}) from exc
        if isinstance(coerced, Decimal):
            places = getattr(f, "decimal_places", 2)
            coerced = coerced.quantize(Decimal(1).scaleb(-places))
        out[name] = coerced
    return out


def _household_values(data: Mapping[str, Any]) -> dict[str, Any]:
    values = {k: data[k] for k in HOUSEHOLD_FIELDS if k in data}
    for name in ("other_cause_1", "other_cause_2", "road_type", "fuel_type", "dilapidated_grade", "group_name",
                 "address", "phone", "bank_name", "bank_account"):
        if name in values and values[name] is None:
            values[name] = ""
    for name in ("planned_exit_year", "exit_year"):
        if values.get(name) == "":
            values[name] = None
    return values


def create_household(
    *, actor: Any, village_code: str, data: Mapping[str, Any], members: list[Mapping[str, Any]],
    source: str = "web", status: str = RecordStatus.ACTIVE,
) -> Household:
    """Register a household with its members (建档). Exactly one member is the head.

    ``status=RecordStatus.APPLICANT`` records an application instead (农户申请, by the identification
    procedure): the same checks, but the household is not on the registry until :func:`admit_household`.
    ``status=RecordStatus.MONITORED`` records a household for return-to-poverty monitoring only (监测户,
    by fupin.monitoring: 边缘易致贫户 / 突发严重困难户 not registered as poor): the same checks, counted
    nowhere as a registered household."""
    require_in_scope(actor, village_code, roles.EDIT_REGISTRY)
    if status not in OPEN_STATUSES:
        raise RegistryError(INVALID, {"status": [f"新建户的状态应为在册、申请中或监测户: {status} / invalid status"]})
    village = _village(village_code)
    values = _household_values(data)
    defaults = {f: Household._meta.get_field(f).get_default() for f in HOUSEHOLD_FIELDS}
    errors = check_household({**defaults, **values})
    if errors:
        raise RegistryError.from_errors(INVALID, errors)
    values = _coerce(Household, values)
    if not members:
        raise RegistryError(INVALID, {"members": ["至少登记一名成员(户主) / at least one member (the head)"]})
    cleaned = [_clean_member(m, prefix=f"members.{i}.") for i, m in enumerate(members)]
    head_errors = check_one_head([m["relation"] for m in cleaned])
    if head_errors:
        raise RegistryError.from_errors(INVALID, head_errors, "members.")
    seen: dict[str, int] = {}
    for i, m in enumerate(cleaned):
        if m["id_number"] in seen:
            raise DuplicatePerson(INVALID, {f"members.{i}.id_number": [
                f"与第{seen[m['id_number']] + 1}名成员证件号码重复 / same ID as member {seen[m['id_number']] + 1}"]})
        seen[m["id_number"]] = i
    try:
        with transaction.atomic():
            for i, m in enumerate(cleaned):
                _check_one_household(m["id_number"], target=None, exclude_member_id=None,
                                     field_name=f"members.{i}.id_number")
            household = Household(**values, status=status)
            _set_location(household, village)
            household.household_number = _next_household_number(village.code)
            household.save()
            created = [Member.objects.create(household=household, **m) for m in cleaned]
            _refresh_derived(household)
            household.save()
            all_fields = (*HOUSEHOLD_FIELDS, *HOUSEHOLD_DERIVED, "household_number",
                          *(("status",) if status != RecordStatus.ACTIVE else ()))
            audit.record(actor=actor, action=ChangeAction.CREATE, obj=household,
                         changes=audit.diff({}, audit.field_values(household, all_fields)),
                         household_id=household.pk, region_code=household.village_code, source=source)
            for member in created:
                audit.record(actor=actor, action=ChangeAction.CREATE, obj=member,
                             changes=audit.diff({}, audit.field_values(member, (*MEMBER_FIELDS, *MEMBER_DERIVED))),
                             household_id=household.pk, region_code=household.village_code, source=source)
    except IntegrityError as exc:
        raise DuplicatePerson("一人不能在两户登记 / one person cannot be in two households",
                              {"members": [str(exc)]}) from exc
    return household


def _lock_household(actor: Any, household_id: int, capability: str = roles.EDIT_REGISTRY) -> Household:
    household = (Household.objects.select_for_update().select_related("village")
                 .filter(pk=household_id).first())
    if household is None:
        raise ScopeError("不存在或无权操作 / not found")
    require_in_scope(actor, household.village_code, capability)
    return household


def _lock_member(actor: Any, member_id: int) -> tuple[Household, Member]:
    """Lock a member's household (scope-checked) and the member; call inside a transaction."""
    household_id = Member.objects.filter(pk=member_id).values_list("household_id", flat=True).first()
    if household_id is None:
        raise ScopeError("不存在或无权操作 / not found")
    household = _lock_household(actor, household_id)
    return household, Member.objects.select_for_update().get(pk=member_id)


def _check_version(obj: Household | Member, expected_version: int | None) -> None:
    if expected_version is not None and int(expected_version) != obj.version:
        raise VersionConflict(
            "该记录已被他人修改,请刷新后重新编辑 / someone else saved this record after you opened it; "
            "reload and edit again",
            {"version": [f"您打开的是第{expected_version}版,当前是第{obj.version}版 / you opened version "
                         f"{expected_version}, the current one is {obj.version}"]},
        )


def _save_with_audit(obj: Household | Member, before: dict[str, Any], fields: tuple[str, ...], *, actor: Any,
                     household: Household, source: str, comment: str = "",
                     action: str = ChangeAction.UPDATE) -> dict[str, list[Any]]:
    changes = audit.diff(before, audit.field_values(obj, fields))
    if changes:
        obj.version += 1
        obj.save()
        audit.record(actor=actor, action=action, obj=obj, changes=changes, household_id=household.pk,
                     region_code=household.village_code, source=source, comment=comment)
    return changes


def update_household(
    *, actor: Any, household_id: int, expected_version: int | None, data: Mapping[str, Any],
    village_code: str | None = None, source: str = "web",
) -> Household:
    """Change a household's registration data. A stale ``expected_version`` is refused."""
    values = _household_values(data)
    with transaction.atomic():
        household = _lock_household(actor, household_id)
        _check_version(household, expected_version)
        if household.status not in OPEN_STATUSES:
            raise RegistryError("该户已注销,不能修改 / the household has left the registry")
        fields = (*HOUSEHOLD_FIELDS, *HOUSEHOLD_DERIVED)
        before = audit.field_values(household, fields)
        merged = {**{k: getattr(household, k) for k in HOUSEHOLD_FIELDS}, **values}
        errors = check_household(merged)
        if errors:
            raise RegistryError.from_errors(INVALID, errors)
        for k, v in _coerce(Household, values).items():
            setattr(household, k, v)
        if village_code and village_code != household.village_code:
            require_in_scope(actor, village_code, roles.EDIT_REGISTRY)
            _set_location(household, _village(village_code))
        _refresh_derived(household)
        _save_with_audit(household, before, fields, actor=actor, household=household, source=source)
    return household


def add_member(*, actor: Any, household_id: int, data: Mapping[str, Any], source: str = "web") -> Member:
    """Add a person to a household (births, marriage in …)."""
    with transaction.atomic():
        household = _lock_household(actor, household_id)
        cleaned = _clean_member(data)
        if household.status not in OPEN_STATUSES:
            raise RegistryError("该户已注销,不能添加成员 / the household has left the registry")
        _check_one_household(cleaned["id_number"], target=household, exclude_member_id=None, field_name="id_number")
        relations = [*household.members.filter(status=RecordStatus.ACTIVE).values_list("relation", flat=True),
                     cleaned["relation"]]
        if cleaned["relation"] == codes.HEAD_RELATION and check_one_head(relations):
            raise RegistryError.from_errors(INVALID, check_one_head(relations))
        try:
            with transaction.atomic():
                member = Member.objects.create(household=household, **cleaned)
        except IntegrityError as exc:
            raise DuplicatePerson("一人不能在两户登记 / one person cannot be in two households",
                                  {"id_number": [str(exc)]}) from exc
        audit.record(actor=actor, action=ChangeAction.CREATE, obj=member,
                     changes=audit.diff({}, audit.field_values(member, (*MEMBER_FIELDS, *MEMBER_DERIVED))),
                     household_id=household.pk, region_code=household.village_code, source=source)
        _refresh_household(actor, household, source)
    return member


def _refresh_household(actor: Any, household: Household, source: str) -> None:
    before = audit.field_values(household, HOUSEHOLD_DERIVED)
    _refresh_derived(household)
    _save_with_audit(household, before, HOUSEHOLD_DERIVED, actor=actor, household=household, source=source)


def update_member(
    *, actor: Any, member_id: int, expected_version: int | None, data: Mapping[str, Any], source: str = "web",
) -> Member:
    with transaction.atomic():
        household, member = _lock_member(actor, member_id)
        _check_version(member, expected_version)
        if member.status != RecordStatus.ACTIVE:
            raise RegistryError("该成员已减少,不能修改 / the member has left the household")
        current = {k: getattr(member, k) for k in MEMBER_FIELDS}
        cleaned = _clean_member({**current, **{k: v for k, v in data.items() if k in MEMBER_FIELDS}})
        if cleaned["id_number"] != member.id_number:
            _check_one_household(cleaned["id_number"], target=household, exclude_member_id=member.pk,
                                 field_name="id_number")
        relations = [r for pk, r in household.members.filter(status=RecordStatus.ACTIVE)
                     .values_list("pk", "relation") if pk != member.pk] + [cleaned["relation"]]
        head_errors = check_one_head(relations)
        if head_errors:
            raise RegistryError.from_errors(INVALID, head_errors)
        fields = (*MEMBER_FIELDS, *MEMBER_DERIVED)
        before = audit.field_values(member, fields)
        for k, v in cleaned.items():
            setattr(member, k, v)
        _save_with_audit(member, before, fields, actor=actor, household=household, source=source)
        _refresh_household(actor, household, source)
    return member


def member_leaves(*, actor: Any, member_id: int, reason: str, comment: str = "", source: str = "web") -> Member:
    """A member leaves the household (死亡, 婚出 …): a status with a reason, never a deletion."""
    if reason not in codes.MEMBER_LEAVE_REASON or not reason:
        raise RegistryError(INVALID, {"reason": [f"无效的减少原因: {reason} / invalid reason"]})
    with transaction.atomic():
        household, member = _lock_member(actor, member_id)
        if member.status != RecordStatus.ACTIVE:
            raise RegistryError("该成员已减少 / the member has already left")
        if member.relation == codes.HEAD_RELATION and household.members.filter(status=RecordStatus.ACTIVE).count() > 1:
            raise RegistryError("户主减少前请先变更户主 / name a new head before the head leaves",
                                {"relation": ["户主 / head"]})
        fields = ("status", "left_reason", "left_comment")
        before = audit.field_values(member, fields)
        member.status, member.left_reason, member.left_comment = RecordStatus.LEFT, reason, comment
        member.left_at = timezone.now()
        _save_with_audit(member, before, fields, actor=actor, household=household, source=source,
                         comment=comment, action=ChangeAction.STATUS)
        _refresh_household(actor, household, source)
    return member


def household_leaves(*, actor: Any, household_id: int, reason: str, comment: str, source: str = "web",
                     expected_version: int | None = None) -> Household:
    """A household leaves the registry (清退, 消亡 …) with a reason; its members leave with it. A household
    recorded for monitoring only (监测户) may leave the same way (迁出, 录入错误 …)."""
    if reason not in codes.HOUSEHOLD_LEAVE_REASON or not reason:
        raise RegistryError(INVALID, {"reason": [f"无效的注销原因: {reason} / invalid reason"]})
    if not comment.strip():
        raise RegistryError(INVALID, {"comment": ["请说明注销理由 / explain why"]})
    with transaction.atomic():
        household = _lock_household(actor, household_id)
        _check_version(household, expected_version)
        if household.status not in (RecordStatus.ACTIVE, RecordStatus.MONITORED):
            raise RegistryError("该户已注销 / the household has already left")
        now = timezone.now()
        for member in household.members.select_for_update().filter(status=RecordStatus.ACTIVE):
            before = audit.field_values(member, ("status", "left_reason"))
            member.status, member.left_reason, member.left_at = RecordStatus.LEFT, "other", now
            member.left_comment = f"随户注销 / left with the household: {comment}"
            _save_with_audit(member, before, ("status", "left_reason"), actor=actor, household=household,
                             source=source, comment=comment, action=ChangeAction.STATUS)
        fields = ("status", "left_reason", "left_comment")
        before = audit.field_values(household, fields)
        household.status, household.left_reason, household.left_comment = RecordStatus.LEFT, reason, comment
        household.left_at = now
        _save_with_audit(household, before, fields, actor=actor, household=household, source=source,
                         comment=comment, action=ChangeAction.STATUS)
    return household


# --- applicants (识别程序): the identification procedure's only writes to the registry -----------------


def handbook_number_for(county_code: str, year: int) -> str:
    """扶贫手册编号 = the 6-digit county code + the 4-digit year + a 5-digit sequence in the county and
    year (15 digits, e.g. ``350421202400001``). Call inside the transaction that stores it; the unique
    index refuses a number taken meanwhile."""
    prefix = f"{county_code[:6]}{year:04d}"
    last = (Household.objects.filter(handbook_number__startswith=prefix)
            .aggregate(m=Max("handbook_number"))["m"])
    seq = int(last[len(prefix):]) + 1 if last and last[len(prefix):].isdigit() else 1
    return f"{prefix}{seq:05d}"


def _set_applicant_status(actor: Any, household_id: int, *, expected: tuple[str, ...], values: dict[str, Any],
                          comment: str, source: str, handbook_year: int | None = None) -> Household:
    """Change an applicant's status (and with ``handbook_year`` give it a handbook number), audited."""
    with transaction.atomic():
        household = _lock_household(actor, household_id)
        if household.status not in expected:
            raise RegistryError(f"该户状态为「{RecordStatus(household.status).label}」,不能办理 / the household's "
                                f"status is {household.status}", {"status": [household.status]})
        fields = (*values, *(("handbook_number",) if handbook_year is not None else ()))
        before = audit.field_values(household, fields)
        for k, v in values.items():
            setattr(household, k, v)
        for _attempt in range(3):
            if handbook_year is not None:
                household.handbook_number = handbook_number_for(household.county_code, handbook_year)
            version = household.version
            try:
                with transaction.atomic():
                    _save_with_audit(household, before, fields, actor=actor, household=household, source=source,
                                     comment=comment, action=ChangeAction.STATUS)
                break
            except IntegrityError:
                if handbook_year is None:
                    raise
                household.version = version  # the number was taken meanwhile: number again
        else:
            raise RegistryError("扶贫手册编号冲突,请重试 / the handbook number was taken, try again")
    return household


def admit_household(*, actor: Any, household_id: int, year: int, comment: str = "", source: str = "web") -> Household:
    """纳入 — at 建档 an applicant goes on the registry: status active, 脱贫状态 0 未脱贫, identified in
    ``year``, and its handbook number (:func:`handbook_number_for`)."""
    return _set_applicant_status(actor, household_id, expected=(RecordStatus.APPLICANT,), values={
        "status": RecordStatus.ACTIVE, "poverty_status": "0", "identification_year": year,
    }, comment=comment, source=source, handbook_year=year)


def decline_household(*, actor: Any, household_id: int, reason: str, source: str = "web") -> Household:
    """未纳入 — the procedure did not admit the applicant (驳回 or 撤回); the reason goes into the audit
    trail. The household and its members are kept (an applicant may apply again)."""
    if not reason.strip():
        raise RegistryError(INVALID, {"comment": ["请说明理由 / give the reason"]})
    return _set_applicant_status(actor, household_id, expected=(RecordStatus.APPLICANT,),
                                 values={"status": RecordStatus.DECLINED}, comment=reason, source=source)


def reopen_application(*, actor: Any, household_id: int, comment: str = "", source: str = "web") -> Household:
    """再次申请 — a household not admitted earlier applies again: status back to applicant."""
    return _set_applicant_status(actor, household_id, expected=(RecordStatus.DECLINED,),
                                 values={"status": RecordStatus.APPLICANT}, comment=comment, source=source)
