"""Writes (and the checks they run) of village exit (贫困村出列) and county exit (贫困县摘帽).

Each verb: scope check (the capability in the village's or county's region, else 404) → lock → the pure
check or transition (:mod:`fupin.policy.area_exit`, :func:`fupin.policy.procedure.transition`) → save →
append an event → the audit trail — in one transaction. Refusals are :class:`RegionExitError` (a
:class:`~fupin.registry.services.RegistryError`: 422 in the API) with Chinese and English messages.

**四个不摘**: an exit sets ``Region.exit_year`` (and writes the audit trail for the region); nothing here
changes a household, its 脱贫状态 or what it is eligible for — households still poor in an exited village
or county stay on the registry as they are, keep their pairing, measures and monitoring, and are still
counted as poor (tested).

The incidence a check uses counts the registry as it is now (persons of households on the registry
whose 脱贫状态 is one of the policy's numerator statuses), over the population the policy names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum

from fupin.core import audit
from fupin.core.models import ChangeAction
from fupin.core.scoping import ScopeError, require_in_scope
from fupin.policy import clock, roles
from fupin.policy.area_exit import (
    FIRST_STEP,
    AreaExitError,
    AreaExitPolicy,
    CountyFacts,
    CountyReadiness,
    ExitCheck,
    VillageFacts,
    apply_overrides,
    check_county,
    check_village,
    load_default_policy,
    village_exit_procedure,
)
from fupin.policy.procedure import (
    Action,
    ActionKind,
    CaseState,
    ProcedureError,
    Transition,
    initial_state,
    transition,
)
from fupin.policy.regions import LEVEL_COUNTY, LEVEL_FIELD, LEVEL_VILLAGE, ancestor_codes
from fupin.regions.models import Region
from fupin.registry.choices import RecordStatus
from fupin.registry.models import Household
from fupin.registry.services import RegistryError, VersionConflict

from .choices import VillageExitStatus
from .models import (
    AreaExitSetting,
    CountyExit,
    VillageCondition,
    VillageExitCase,
    VillageExitEvent,
    VillageExitObjection,
)

NOT_FOUND = "不存在或无权操作 / not found"
CONDITION_FIELDS = ("road", "water", "power", "clinic", "broadband", "collective_income", "evidence")


class RegionExitError(RegistryError):
    """A refused exit action; ``code`` is the procedure's error code when the procedure refused it."""

    code: str = ""

    @classmethod
    def of(cls, err: ProcedureError | AreaExitError, *, prefix: str = "") -> RegionExitError:
        if isinstance(err, ProcedureError):
            out = cls(prefix + err.message, dict(err.field_errors))
            out.code = err.code
            return out
        return cls(prefix + str(err), {"policy": [str(err)]})


today = clock.today  # 今天 in China Standard Time (fupin.policy.clock); callers use this module's today()


def _check_date(on: dt.date | None) -> dt.date:
    day = on or today()
    if day > today():
        raise RegionExitError(f"办理日期{day.isoformat()}晚于今天 / the date is in the future",
                              {"on": ["不能晚于今天 / cannot be in the future"]})
    return day


# --- policy --------------------------------------------------------------------------------------------


def effective_area_policy(region_code: str, on: dt.date | None = None) -> AreaExitPolicy:
    """The exit policy of a region on a day: the setting of the deepest region above it valid that day
    (overrides applied), else the shipped national policy."""
    on = on or today()
    ancestors = list(ancestor_codes(region_code).values())
    settings = list(AreaExitSetting.objects.filter(region_code__in=ancestors, valid_from__lte=on))
    base = load_default_policy()
    if not settings:
        return base
    best = max(settings, key=lambda s: (ancestors.index(s.region_code), s.valid_from, s.pk))
    try:
        return apply_overrides(base, best.overrides, version=best.version, valid_from=best.valid_from)
    except AreaExitError as err:
        raise RegionExitError.of(err, prefix=f"退出政策设置 {best.version} 有误 / invalid setting: ") from err


# --- figures and checks --------------------------------------------------------------------------------


def poor_figures(region: Region, policy: AreaExitPolicy) -> tuple[int, int]:
    """(households, persons) on the registry in the region whose 脱贫状态 is a numerator status."""
    row = (Household.objects.filter(**{LEVEL_FIELD[region.level]: region.code}, status=RecordStatus.ACTIVE,
                                     poverty_status__in=sorted(policy.numerator_statuses))
           .aggregate(h=Count("id"), p=Sum("size")))
    return row["h"] or 0, row["p"] or 0


def _region(code: str, level: int) -> Region:
    region = Region.objects.filter(code=code, level=level).first()
    if region is None:
        raise ScopeError(NOT_FOUND)
    return region


def village_facts(village: Region, year: int, policy: AreaExitPolicy) -> VillageFacts:
    _households, persons = poor_figures(village, policy)
    condition = VillageCondition.objects.filter(village_code=village.code, year=year).first()
    return VillageFacts(
        code=village.code, year=year, poor_persons=persons, rural_population=village.rural_population,
        agricultural_population=village.agricultural_population, is_western=_western(village),
        conditions=condition.as_mapping() if condition else None,
        collective_income=condition.collective_income if condition else None)


def _western(region: Region) -> bool:
    """西部地区: the flag on the region or any region above it."""
    if region.is_western:
        return True
    codes = [c for lv, c in ancestor_codes(region.code).items() if lv < region.level]
    return Region.objects.filter(code__in=codes, is_western=True).exists()


def check_village_exit(village_code: str, year: int, on: dt.date | None = None) -> ExitCheck:
    """出列 check of a village for ``year`` against the policy in force on ``on``."""
    village = _region(village_code, LEVEL_VILLAGE)
    policy = effective_area_policy(village.code, on)
    return check_village(policy, village_facts(village, year, policy))


def check_as_json(check: ExitCheck) -> dict[str, Any]:
    """An exit check as stored with an event (JSON-safe)."""
    return {"level": check.level, "code": check.code, "year": check.year, "passed": check.passed,
            "policy_version": check.policy_version, "denominator": check.denominator,
            "threshold": str(check.threshold), "poor_persons": check.incidence.poor_persons,
            "population": check.incidence.population,
            "rate": None if check.incidence.rate is None else str(check.incidence.rate),
            "items": [asdict(i) for i in check.items]}


def county_readiness(county_code: str, year: int, on: dt.date | None = None) -> CountyReadiness:
    """摘帽 readiness of a county: incidence, poor villages exited and remaining, poor households remaining."""
    county = _region(county_code, LEVEL_COUNTY)
    policy = effective_area_policy(county.code, on)
    households, persons = poor_figures(county, policy)
    villages = Region.objects.filter(level=LEVEL_VILLAGE, code__startswith=county.prefix, is_poor_village=True)
    counts = villages.aggregate(n=Count("code"), exited=Count("code", filter=Q(exit_year__isnull=False)))
    return check_county(policy, CountyFacts(
        code=county.code, year=year, poor_persons=persons, poor_households=households,
        rural_population=county.rural_population, agricultural_population=county.agricultural_population,
        is_western=_western(county), poor_villages=counts["n"] or 0, poor_villages_exited=counts["exited"] or 0))


# --- village conditions --------------------------------------------------------------------------------


def _money(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        out = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise RegionExitError("数据有误,未保存 / invalid data", {"collective_income": [
            f"应为金额(元): {value} / must be an amount in yuan"]}) from exc
    if out < 0:
        raise RegionExitError("数据有误,未保存 / invalid data", {"collective_income": ["不能为负 / cannot be negative"]})
    return out


def record_conditions(*, actor: Any, village_code: str, year: int, data: Mapping[str, Any],
                      expected_version: int | None = None, source: str = "web") -> VillageCondition:
    """Record (or correct) a village's conditions for a year. Audited field by field."""
    village = _region(village_code, LEVEL_VILLAGE)
    require_in_scope(actor, village.code, roles.RECORD_VILLAGE_CONDITIONS)
    year = int(year)
    if not 2013 <= year <= today().year + 1:
        raise RegionExitError("年度无效 / invalid year", {"year": [str(year)]})
    values: dict[str, Any] = {k: bool(data[k]) for k in ("road", "water", "power", "clinic", "broadband") if k in data}
    if "collective_income" in data:
        values["collective_income"] = _money(data["collective_income"])
    if "evidence" in data:
        values["evidence"] = str(data["evidence"] or "").strip()
    with transaction.atomic():
        row = VillageCondition.objects.select_for_update().filter(village_code=village.code, year=year).first()
        created = row is None
        if row is None:
            row = VillageCondition(village_code=village.code, year=year)
        elif expected_version is not None and int(expected_version) != row.version:
            raise VersionConflict("该记录已被他人修改,请刷新后重新编辑 / someone else saved this record; reload",
                                  {"version": [f"{expected_version} ≠ {row.version}"]})
        before = {} if created else audit.field_values(row, CONDITION_FIELDS)
        for k, v in values.items():
            setattr(row, k, v)
        row.recorded_by = actor if getattr(actor, "pk", None) else None
        row.recorded_by_name = audit.actor_name(actor)
        changes = audit.diff(before, audit.field_values(row, CONDITION_FIELDS))
        if created or changes:
            row.version += 0 if created else 1
            try:
                with transaction.atomic():
                    row.save()
            except IntegrityError as exc:
                raise VersionConflict("该记录已被他人填报,请刷新 / recorded meanwhile by someone else; reload") from exc
            audit.record(actor=actor, action=ChangeAction.CREATE if created else ChangeAction.UPDATE, obj=row,
                         changes=changes, household_id=None, region_code=village.code, source=source,
                         comment=f"出列条件 {year}")
    return row


# --- the village exit procedure ------------------------------------------------------------------------


def _lock_case(actor: Any, case_id: int) -> VillageExitCase:
    case = VillageExitCase.objects.select_for_update().filter(pk=case_id).first()
    if case is None:
        raise ScopeError(NOT_FOUND)
    require_in_scope(actor, case.village_code, roles.PERFORM_VILLAGE_EXIT)
    return case


def _try(procedure: Any, state: CaseState, action: Action) -> Transition:
    try:
        return transition(procedure, state, action)
    except ProcedureError as err:
        raise RegionExitError.of(err) from err


def _role(actor: Any) -> str:
    return str(getattr(actor, "role", ""))


def _set_region_exit(actor: Any, region: Region, year: int | None, *, source: str, comment: str) -> None:
    before = audit.field_values(region, ("exit_year",))
    region.exit_year = year
    region.save(update_fields=["exit_year"])
    audit.record(actor=actor, action=ChangeAction.STATUS, obj=region,
                 changes=audit.diff(before, audit.field_values(region, ("exit_year",))), household_id=None,
                 region_code=region.code, source=source, comment=comment)


def _store(case: VillageExitCase, result: Transition, *, actor: Any, source: str, check: ExitCheck | None = None,
           objection: VillageExitObjection | None = None, created: bool = False) -> VillageExitEvent:
    action = result.action
    fields = ("step", "status", "open_objections", "upheld_objections")
    before = {} if created else audit.field_values(case, fields)
    case.set_state(result.state)
    if result.closed:
        case.closed_on = action.on
        if action.kind in (ActionKind.REJECT, ActionKind.WITHDRAW):
            case.outcome_comment = action.comment.strip()
    case.version += 0 if created else 1
    case.save()
    event = VillageExitEvent.objects.create(
        case=case, step=action.step_id, action=action.kind, on=action.on,
        actor=actor if getattr(actor, "pk", None) else None, actor_name=audit.actor_name(actor),
        actor_role=_role(actor), evidence=result.evidence, comment=action.comment.strip(),
        exit_check=check_as_json(check) if check is not None else {}, objection=objection, source=source)
    step = case.get_procedure().step(action.step_id)
    audit.record(actor=actor, action=ChangeAction.CREATE if created else ChangeAction.STATUS, obj=case,
                 changes=audit.diff(before, audit.field_values(case, fields)), household_id=None,
                 region_code=case.village_code, source=source, comment=f"贫困村退出 {step.label_zh}: {action.kind}")
    if result.registered:
        village = Region.objects.select_for_update().get(code=case.village_code)
        _set_region_exit(actor, village, case.year, source=source,
                         comment=f"贫困村出列 / village exited by case #{case.pk}")
    return event


def propose_village_exit(*, actor: Any, village_code: str, year: int, evidence: Mapping[str, Any],
                         on: dt.date | None = None, comment: str = "", source: str = "web") -> VillageExitCase:
    """乡镇提出 — open a village's exit case and complete its first step; the exit check runs and must pass."""
    village = _region(village_code, LEVEL_VILLAGE)
    require_in_scope(actor, village.code, roles.PERFORM_VILLAGE_EXIT)
    day = _check_date(on)
    year = int(year)
    if not village.is_poor_village:
        raise RegionExitError("只有贫困村办理出列 / only poor villages exit", {"village": [village.code]})
    if village.exit_year is not None:
        raise RegionExitError(f"该村已于{village.exit_year}年出列 / the village exited in {village.exit_year}",
                              {"village": [village.code]})
    if year < day.year - 1 or year > day.year + 1:
        raise RegionExitError("退出年度应为当年(或前后一年) / the exit year must be this year (±1)", {"year": [str(year)]})
    policy = effective_area_policy(village.code, day)
    procedure = village_exit_procedure(policy)
    check = check_village(policy, village_facts(village, year, policy))
    codes = ancestor_codes(village.code)
    with transaction.atomic():
        Region.objects.select_for_update().filter(code=village.code).first()
        if VillageExitCase.objects.filter(village_code=village.code, status=VillageExitStatus.IN_PROGRESS).exists():
            raise RegionExitError("该村已有办理中的出列申请 / the village already has an open exit case",
                                  {"village": [village.code]})
        state = initial_state(procedure, day)
        result = _try(procedure, state, Action(kind=ActionKind.COMPLETE, step_id=FIRST_STEP, role=_role(actor), on=day,
                                               evidence=evidence, comment=comment, decision=check.decision()))
        case = VillageExitCase(
            village_code=village.code, township_code=codes[4], county_code=codes[3], year=year,
            policy_version=policy.version, procedure_version=procedure.version, procedure=procedure.to_dict(),
            step=state.step_id, step_started_on=day, last_action_on=day, started_on=day)
        _store(case, result, actor=actor, source=source, check=check, created=True)
    return case


def act_on_village_exit(*, actor: Any, case_id: int, kind: str, step_id: str, on: dt.date | None = None,
                        evidence: Mapping[str, Any] | None = None, comment: str = "", raised_by: str = "",
                        objection_id: int | None = None, upheld: bool = False, expected_version: int | None = None,
                        source: str = "web") -> VillageExitEvent:
    """One action on a village exit case: complete a step (publicity: after the minimum days and with no
    open or upheld objection; county approval: the exit check runs again), reject, record or resolve an
    objection, withdraw."""
    day = _check_date(on)
    with transaction.atomic():
        case = _lock_case(actor, case_id)
        if expected_version is not None and int(expected_version) != case.version:
            raise VersionConflict("该申请已被他人办理,请刷新后重试 / someone else acted on this case; reload",
                                  {"version": [f"{expected_version} ≠ {case.version}"]})
        procedure = case.get_procedure()
        check: ExitCheck | None = None
        decision = None
        if kind == ActionKind.COMPLETE and procedure.step(case.step).runs_decision:
            check = check_village_exit(case.village_code, case.year, day)
            decision = check.decision()
        action = Action(kind=kind, step_id=step_id, role=_role(actor), on=day, evidence=evidence or {},
                        comment=comment, upheld=upheld, decision=decision)
        objection: VillageExitObjection | None = None
        if kind == ActionKind.RESOLVE:
            objection = case.objections.select_for_update().filter(pk=objection_id, resolved_on__isnull=True).first()
            if objection is None:
                raise RegionExitError("没有这条未处理的异议 / no such open objection", {"objection": [str(objection_id)]})
        result = _try(procedure, case.state(), action)
        if kind == ActionKind.OBJECT:
            if not raised_by.strip():
                raise RegionExitError("请填写异议人 / who raised the objection?", {"raised_by": ["必填 / required"]})
            objection = VillageExitObjection.objects.create(
                case=case, step=step_id, raised_by=raised_by.strip(), text=comment.strip(), raised_on=day,
                recorded_by=actor if getattr(actor, "pk", None) else None, recorded_by_name=audit.actor_name(actor))
        elif kind == ActionKind.RESOLVE:
            assert objection is not None
            objection.resolved_on, objection.resolution, objection.upheld = day, comment.strip(), upheld
            objection.resolved_by = actor if getattr(actor, "pk", None) else None
            objection.resolved_by_name = audit.actor_name(actor)
            objection.save()
        return _store(case, result, actor=actor, source=source, check=check, objection=objection)


# --- county exit ---------------------------------------------------------------------------------------


def record_county_exit(*, actor: Any, county_code: str, year: int, approved_on: dt.date, document: str,
                       comment: str = "", source: str = "web") -> CountyExit:
    """摘帽 — record the province's approval of a county's exit; refused unless the county is ready (its
    incidence below the threshold). The county's status changes; its households do not (四个不摘)."""
    county = _region(county_code, LEVEL_COUNTY)
    require_in_scope(actor, county.code, roles.RECORD_COUNTY_EXIT)
    approved_on = _check_date(approved_on)
    if not document.strip():
        raise RegionExitError("请填写批准文件 / the approval document is required", {"document": ["必填 / required"]})
    readiness = county_readiness(county.code, int(year), approved_on)
    if not readiness.ready:
        reasons = "; ".join(i.reason for i in readiness.check.failures)
        raise RegionExitError(f"未达到摘帽条件: {reasons} / the county does not meet the exit threshold",
                              {"county": [reasons]})
    with transaction.atomic():
        region = Region.objects.select_for_update().get(code=county.code)
        if region.exit_year is not None or CountyExit.objects.filter(county_code=county.code).exists():
            raise RegionExitError("该县已摘帽 / the county has already exited", {"county": [county.code]})
        row = CountyExit.objects.create(
            county_code=county.code, year=int(year), approved_on=approved_on, document=document.strip(),
            readiness={**check_as_json(readiness.check), "poor_households": readiness.poor_households,
                       "poor_villages": readiness.poor_villages, "poor_villages_exited": readiness.poor_villages_exited},
            recorded_by=actor if getattr(actor, "pk", None) else None, recorded_by_name=audit.actor_name(actor),
            comment=comment)
        audit.record(actor=actor, action=ChangeAction.CREATE, obj=row, changes={"year": [None, int(year)]},
                     household_id=None, region_code=county.code, source=source, comment=document)
        _set_region_exit(actor, region, int(year), source=source, comment=f"贫困县摘帽 / county exited: {document}")
    return row
