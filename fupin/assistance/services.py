"""Writes of the assistance app (精准帮扶): the only way plans, measures and visits change.

Each verb: find the household (or plan, measure) and lock it → who may act (:mod:`.access`: its current
helper, or an editor of its region; else 404 like any write out of scope) → the version check (409) →
the policy (:mod:`fupin.policy.measures`: catalogue, limits, the state machines) → save → the audit
trail (:mod:`fupin.core.audit`) — in one transaction. A refusal is :class:`AssistanceError` (a
:class:`~fupin.registry.services.RegistryError`: pages show it, the API answers 422) with a Chinese and
English message and the field it is about; nothing is half-written. Nothing is deleted: measures are
dropped with a reason, measures given are cancelled with a reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from fupin.core import audit
from fupin.core.models import ChangeAction
from fupin.core.scoping import ScopeError
from fupin.pairing.models import Helper
from fupin.policy import clock
from fupin.policy.measures import (
    MeasureCatalogue,
    MeasureError,
    MeasureStatus,
    PlanStatus,
    check_amount,
    check_measure_transition,
    check_plan_transition,
    expected_amount,
    plan_accepts_measures,
)
from fupin.registry.choices import RecordStatus
from fupin.registry.models import Household
from fupin.registry.services import RegistryError, VersionConflict

from . import photos as photo_rules
from .access import helper_of, is_current_helper, may_approve_plan, may_assist
from .catalogue import effective_catalogue
from .models import HouseholdPlan, MeasureGiven, PlannedMeasure, Visit, VisitPhoto

NOT_FOUND = "不存在或无权操作 / not found"
#: The earliest plan year accepted (the 建档立卡 registry began in 2014).
FIRST_PLAN_YEAR = 2014


class AssistanceError(RegistryError):
    """A refused assistance write; ``code`` names the rule (``illegal_transition``, ``reason_required`` …)."""

    code: str = ""

    @classmethod
    def of(cls, err: MeasureError) -> AssistanceError:
        out = cls(err.message, {err.field or "": [err.message]})
        out.code = err.code
        return out


today = clock.today  # 今天 in China Standard Time (fupin.policy.clock); callers use this module's today()


def _refuse(message: str, field: str = "", code: str = "") -> AssistanceError:
    err = AssistanceError(message, {field: [message]})
    err.code = code
    return err


def _not_future(day: dt.date, field: str) -> dt.date:
    if day > today():
        raise _refuse(f"日期{day.isoformat()}晚于今天 / the date {day.isoformat()} is in the future", field, "future_date")
    return day


def _decimal(value: Any, field: str, *, required: bool = False) -> Decimal | None:
    if value is None or value == "":
        if required:
            raise _refuse("必填 / required", field, "required")
        return None
    try:
        out = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise _refuse(f"应为数字 / must be a number: {value!r}", field, "not_a_number") from None
    if not out.is_finite() or out < 0:
        raise _refuse("不能为负数 / cannot be negative", field, "negative")
    if out >= Decimal("1e10"):
        raise _refuse("数值过大 / too large", field, "too_large")
    return out.quantize(Decimal("0.01"))


def _check_version(obj: Any, expected_version: int | None, what: str) -> None:
    if expected_version is not None and int(expected_version) != obj.version:
        raise VersionConflict(
            f"该{what}已被他人修改,请刷新后重试 / someone else changed this {what} after you opened it; reload",
            {"version": [f"您打开的是第{expected_version}版,当前是第{obj.version}版 / you opened version "
                         f"{expected_version}, the current one is {obj.version}"]})


def _household(actor: Any, household_id: int, *, lock: bool = False) -> Household:
    """The household ``actor`` may assist (404 otherwise), locked when asked."""
    qs = Household.objects.select_related("village")
    if lock:
        qs = qs.select_for_update()
    household = qs.filter(pk=household_id).first()
    if household is None or not may_assist(actor, household):
        raise ScopeError(NOT_FOUND)
    return household


def _require_active(household: Household) -> None:
    if household.status != RecordStatus.ACTIVE:
        raise _refuse("该户不在册,不能再登记帮扶 / the household is not on the registry: no help can be recorded for it",
                      "household", "household_not_active")


def _record(actor: Any, action: str, obj: Any, changes: dict[str, list[Any]], household: Household, source: str,
            comment: str = "") -> None:
    audit.record(actor=actor, action=action, obj=obj, changes=changes, household_id=household.pk,
                 region_code=household.village_code, source=source, comment=comment)


def _created(obj: Any, fields: Sequence[str]) -> dict[str, list[Any]]:
    return {k: [None, v] for k, v in audit.field_values(obj, fields).items() if v not in (None, "", [], {})}


def _measure_type(catalogue: MeasureCatalogue, measure_type: str) -> Any:
    try:
        measure = catalogue.get(measure_type)
    except MeasureError as err:
        raise AssistanceError.of(err) from None
    if not measure.enabled:
        raise _refuse(f"措施类型“{measure.label_zh}”已停用 / the measure type {measure.label_en} is switched off",
                      "measure_type", "measure_disabled")
    return measure


def _helper_for_measure(actor: Any, household: Household, helper_id: int | None) -> Helper | None:
    """The responsible helper of a new measure: the one named (a current helper of the household), or
    the acting helper, or none."""
    if helper_id is not None:
        helper = Helper.objects.filter(pk=helper_id).first()
        if helper is None or not is_current_helper(helper, household.pk):
            raise _refuse("责任人须是该户当前的帮扶责任人 / the responsible helper must be a current helper of the "
                          "household", "helper", "not_a_current_helper")
        return helper
    own = helper_of(actor)
    return own if is_current_helper(own, household.pk) else None


# ------------------------------------------------------------------------------------------ plans


def create_plan(*, actor: Any, household_id: int, year: int, goal: str = "", source: str = "web") -> HouseholdPlan:
    """一户一策 — start the household's plan for ``year`` (one per household and year)."""
    with transaction.atomic():
        household = _household(actor, household_id, lock=True)
        _require_active(household)
        if not FIRST_PLAN_YEAR <= int(year) <= today().year + 1:
            raise _refuse(f"年度应在{FIRST_PLAN_YEAR}–{today().year + 1}之间 / the year must be {FIRST_PLAN_YEAR} to "
                          f"{today().year + 1}", "year", "bad_year")
        if HouseholdPlan.objects.filter(household=household, year=year).exists():
            raise _refuse(f"该户{year}年已有帮扶计划 / the household already has a plan for {year}", "year",
                          "plan_exists")
        catalogue = effective_catalogue(household.village_code)
        plan = HouseholdPlan.objects.create(
            household=household, year=year, goal=goal.strip(), catalogue_version=catalogue.version,
            created_by=actor if getattr(actor, "pk", None) else None, created_by_name=audit.actor_name(actor))
        _record(actor, ChangeAction.CREATE, plan, _created(plan, ("year", "status", "goal", "catalogue_version")),
                household, source)
    return plan


def _lock_plan(actor: Any, plan_id: int) -> HouseholdPlan:
    plan = HouseholdPlan.objects.select_for_update().select_related("household").filter(pk=plan_id).first()
    if plan is None or not may_assist(actor, plan.household):
        raise ScopeError(NOT_FOUND)
    return plan


def _move_plan(*, actor: Any, plan_id: int, target: str, expected_version: int | None, source: str,
               comment: str = "") -> HouseholdPlan:
    with transaction.atomic():
        plan = _lock_plan(actor, plan_id)
        household = plan.household
        if not may_approve_plan(actor, household, effective_catalogue(household.village_code)):
            raise ScopeError(NOT_FOUND)
        _check_version(plan, expected_version, "计划 plan")
        try:
            check_plan_transition(plan.status, target)
        except MeasureError as err:
            raise AssistanceError.of(err) from None
        old = plan.status
        plan.status = target
        now = timezone.now()
        if target == PlanStatus.APPROVED:
            plan.approved_by = actor if getattr(actor, "pk", None) else None
            plan.approved_by_name, plan.approved_at = audit.actor_name(actor), now
        if target == PlanStatus.CLOSED:
            plan.closed_at = now
        plan.version += 1
        plan.save()
        _record(actor, ChangeAction.STATUS, plan, {"status": [old, target]}, household, source, comment)
    return plan


def approve_plan(*, actor: Any, plan_id: int, expected_version: int | None = None, comment: str = "",
                 source: str = "web") -> HouseholdPlan:
    """审定 — a township or county officer approves the plan (draft → approved)."""
    return _move_plan(actor=actor, plan_id=plan_id, target=PlanStatus.APPROVED, expected_version=expected_version,
                      source=source, comment=comment)


def close_plan(*, actor: Any, plan_id: int, expected_version: int | None = None, comment: str = "",
               source: str = "web") -> HouseholdPlan:
    """结束 — the plan's year is over (its open measures stay as they are, readable)."""
    return _move_plan(actor=actor, plan_id=plan_id, target=PlanStatus.CLOSED, expected_version=expected_version,
                      source=source, comment=comment)


# ------------------------------------------------------------------------------------------ planned measures

MEASURE_FIELDS = ("measure_type", "description", "quantity", "planned_amount", "target_date", "helper",
                  "expected_income", "status")


def add_measure(*, actor: Any, plan_id: int, measure_type: str, target_date: dt.date, description: str = "",
                helper_id: int | None = None, expected_income: Any = 0, quantity: Any = None,
                planned_amount: Any = None, source: str = "web") -> PlannedMeasure:
    """倒排工期 — add a measure to a plan, with its target date and responsible helper. The reasons it is
    suggested (pathways, causes, conditions) are stored with it."""
    from .selectors import suggestions_for

    with transaction.atomic():
        plan = _lock_plan(actor, plan_id)
        household = plan.household
        _require_active(household)
        if not plan_accepts_measures(plan.status):
            raise _refuse("该计划已结束,不能再添加措施 / the plan is closed: no measure can be added", "plan",
                          "plan_closed")
        catalogue = effective_catalogue(household.village_code)
        measure = _measure_type(catalogue, measure_type)
        if target_date is None:
            raise _refuse("必填 / required", "target_date", "required")
        if target_date.year < plan.year:
            raise _refuse(f"完成时限不能早于{plan.year}年 / the target date cannot be before {plan.year}", "target_date",
                          "target_before_plan_year")
        amount = _decimal(planned_amount, "planned_amount")
        qty = _decimal(quantity, "quantity")
        income = _decimal(expected_income, "expected_income") or Decimal(0)
        try:
            check_amount(measure, amount)
        except MeasureError as err:
            raise AssistanceError.of(
                MeasureError(err.message, "planned_amount" if err.field == "amount" else err.field, err.code)) from None
        helper = _helper_for_measure(actor, household, helper_id)
        reasons = next((list(r.to_dict() for r in s.reasons) for s in suggestions_for(household)
                        if s.measure.id == measure.id), [])
        row = PlannedMeasure.objects.create(
            plan=plan, household=household, measure_type=measure.id, description=description.strip(), quantity=qty,
            planned_amount=amount if amount is not None else expected_amount(measure, qty), target_date=target_date,
            helper=helper, expected_income=income, reasons=reasons,
            created_by=actor if getattr(actor, "pk", None) else None, created_by_name=audit.actor_name(actor))
        _record(actor, ChangeAction.CREATE, row, _created(row, (*MEASURE_FIELDS, "plan")), household, source)
    return row


def change_measure_status(*, actor: Any, measure_id: int, status: str, reason: str = "", on: dt.date | None = None,
                          expected_version: int | None = None, source: str = "web") -> PlannedMeasure:
    """Move a planned measure: planned → in progress → done; planned or in progress → dropped (a reason
    is required). Illegal moves are refused with the allowed ones named."""
    with transaction.atomic():
        row = (PlannedMeasure.objects.select_for_update().select_related("household", "plan")
               .filter(pk=measure_id).first())
        if row is None or not may_assist(actor, row.household):
            raise ScopeError(NOT_FOUND)
        _check_version(row, expected_version, "措施 measure")
        if row.plan.status == PlanStatus.CLOSED:
            raise _refuse("该计划已结束 / the plan is closed", "plan", "plan_closed")
        try:
            check_measure_transition(row.status, status, reason=reason)
        except MeasureError as err:
            raise AssistanceError.of(err) from None
        day = _not_future(on or today(), "on")
        before = audit.field_values(row, ("status", "started_on", "done_on", "dropped_on", "drop_reason"))
        row.status = status
        if status == MeasureStatus.IN_PROGRESS:
            row.started_on = day
        elif status == MeasureStatus.DONE:
            row.done_on = day
            row.started_on = row.started_on or day
        elif status == MeasureStatus.DROPPED:
            row.dropped_on, row.drop_reason = day, reason.strip()
        row.version += 1
        row.save()
        after = audit.field_values(row, ("status", "started_on", "done_on", "dropped_on", "drop_reason"))
        _record(actor, ChangeAction.STATUS, row, audit.diff(before, after), row.household, source, reason.strip())
    return row


# ------------------------------------------------------------------------------------------ measures given

GIVEN_FIELDS = ("measure_type", "given_on", "amount", "unit", "quantity", "term_months", "description",
                "planned_measure", "project_ref", "fund_ref", "loan_ref")


def record_measure_given(*, actor: Any, household_id: int, measure_type: str, given_on: dt.date,
                         amount: Any = None, quantity: Any = None, unit: str = "", term_months: int | None = None,
                         description: str = "", planned_measure_id: int | None = None, project_ref: str = "",
                         fund_ref: str = "", loan_ref: str = "", variant: str = "standard",
                         source: str = "web") -> MeasureGiven:
    """帮扶措施落实 — record help given. Without an amount, the catalogue's default for the quantity is
    used (e.g. 3 mu of tea × 1500 yuan); limits are checked (小额信贷 ≤ 5万元, ≤ 36 months)."""
    with transaction.atomic():
        household = _household(actor, household_id, lock=True)
        _require_active(household)
        catalogue = effective_catalogue(household.village_code)
        measure = _measure_type(catalogue, measure_type)
        unit = unit or measure.unit
        if unit not in {u.id for u in catalogue.units}:
            raise _refuse(f"未知单位 / unknown unit: {unit!r}", "unit", "unknown_unit")
        if given_on is None:
            raise _refuse("必填 / required", "given_on", "required")
        _not_future(given_on, "given_on")
        qty = _decimal(quantity, "quantity")
        value = _decimal(amount, "amount")
        if value is None:
            value = expected_amount(measure, qty, variant) if unit == measure.unit else None
        value = value if value is not None else Decimal(0)
        if term_months is not None and int(term_months) < 0:
            raise _refuse("不能为负数 / cannot be negative", "term_months", "negative")
        try:
            check_amount(measure, value, term_months=term_months)
        except MeasureError as err:
            raise AssistanceError.of(err) from None
        planned = None
        if planned_measure_id is not None:
            planned = PlannedMeasure.objects.filter(pk=planned_measure_id, household=household).first()
            if planned is None:
                raise _refuse("计划措施不属于该户 / the planned measure is not this household's", "planned_measure",
                              "not_this_household")
        row = MeasureGiven.objects.create(
            household=household, measure_type=measure.id, given_on=given_on, amount=value, unit=unit, quantity=qty,
            term_months=term_months, description=description.strip(), planned_measure=planned,
            project_ref=project_ref.strip(), fund_ref=fund_ref.strip(), loan_ref=loan_ref.strip(),
            recorded_by=actor if getattr(actor, "pk", None) else None, recorded_by_name=audit.actor_name(actor),
            source=source)
        _record(actor, ChangeAction.CREATE, row, _created(row, GIVEN_FIELDS), household, source)
    return row


def cancel_measure_given(*, actor: Any, given_id: int, reason: str, source: str = "web") -> MeasureGiven:
    """作废 — a measure given recorded by mistake stays, marked cancelled with the reason."""
    with transaction.atomic():
        row = MeasureGiven.objects.select_for_update().select_related("household").filter(pk=given_id).first()
        if row is None or not may_assist(actor, row.household):
            raise ScopeError(NOT_FOUND)
        if row.is_cancelled:
            raise _refuse("该记录已作废 / already cancelled", "", "already_cancelled")
        if not reason.strip():
            raise _refuse("作废须说明理由 / cancelling needs a reason", "reason", "reason_required")
        row.cancelled_at = timezone.now()
        row.cancelled_by_name = audit.actor_name(actor)
        row.cancel_reason = reason.strip()
        row.save(update_fields=["cancelled_at", "cancelled_by_name", "cancel_reason", "updated_at"])
        _record(actor, ChangeAction.STATUS, row, {"cancelled": [False, True], "cancel_reason": [None, row.cancel_reason]},
                row.household, source, row.cancel_reason)
    return row


# ------------------------------------------------------------------------------------------ visits


def _check_photos(uploads: Sequence[Any], already: int = 0) -> list[tuple[Any, str]]:
    if already + len(uploads) > photo_rules.max_photos():
        raise _refuse(f"每次走访最多{photo_rules.max_photos()}张照片 / at most {photo_rules.max_photos()} photos a "
                      "visit", "photos", "too_many_photos")
    accepted: list[tuple[Any, str]] = []
    problems: list[str] = []
    for upload in uploads:
        kind, problem = photo_rules.check(upload)
        if problem is not None:
            problems.append(problem.message)
        else:
            accepted.append((upload, str(kind)))
    if problems:
        err = AssistanceError(problems[0], {"photos": problems})
        err.code = "bad_photo"
        raise err
    return accepted


def _save_photos(visit: Visit, accepted: list[tuple[Any, str]]) -> list[VisitPhoto]:
    saved = []
    for upload, kind in accepted:
        photo = VisitPhoto(visit=visit, content_type=kind, size=int(upload.size),
                           original_name=str(getattr(upload, "name", ""))[:200])
        photo.file.save(str(getattr(upload, "name", "photo")), upload, save=True)
        saved.append(photo)
    return saved


def record_visit(*, actor: Any, household_id: int, visited_on: dt.date, found: str, agreed: str = "",
                 helper_id: int | None = None, photos: Sequence[Any] = (), source: str = "web") -> Visit:
    """走访 — record a helper's visit (what was found, what was agreed, optional photos). A helper records
    their own visits; an editor of the region records a visit for one of the household's current helpers."""
    with transaction.atomic():
        household = _household(actor, household_id)
        _require_active(household)
        own = helper_of(actor)
        if helper_id is None:
            if not is_current_helper(own, household.pk):
                raise _refuse("请选择帮扶责任人 / choose the helper who visited", "helper", "helper_required")
            helper = own
        else:
            helper = Helper.objects.filter(pk=helper_id).first()
            if helper is None or not is_current_helper(helper, household.pk):
                raise _refuse("走访人须是该户当前的帮扶责任人 / the visitor must be a current helper of the household",
                              "helper", "not_a_current_helper")
            if helper != own and not may_assist_as_editor(actor, household):
                raise ScopeError(NOT_FOUND)
        if visited_on is None:
            raise _refuse("必填 / required", "visited_on", "required")
        _not_future(visited_on, "visited_on")
        if not (found or "").strip():
            raise _refuse("请填写了解的情况 / say what was found", "found", "required")
        accepted = _check_photos(list(photos))
        visit = Visit.objects.create(helper=helper, household=household, visited_on=visited_on, found=found.strip(),
                                     agreed=(agreed or "").strip(),
                                     recorded_by=actor if getattr(actor, "pk", None) else None,
                                     recorded_by_name=audit.actor_name(actor), source=source)
        saved = _save_photos(visit, accepted)
        changes = _created(visit, ("helper", "visited_on", "found", "agreed"))
        if saved:
            changes["photos"] = [None, len(saved)]
        _record(actor, ChangeAction.CREATE, visit, changes, household, source)
    return visit


def may_assist_as_editor(actor: Any, household: Household) -> bool:
    from fupin.core.scoping import region_in_scope
    from fupin.policy import roles

    return region_in_scope(actor, household.village_code, roles.EDIT_REGISTRY)


def add_visit_photos(*, actor: Any, visit_id: int, photos: Sequence[Any], source: str = "web") -> list[VisitPhoto]:
    """Add photos to a recorded visit (the API sends them after the visit; at most the per-visit limit)."""
    with transaction.atomic():
        visit = Visit.objects.select_for_update().select_related("household", "helper").filter(pk=visit_id).first()
        if visit is None or not may_assist(actor, visit.household):
            raise ScopeError(NOT_FOUND)
        if visit.helper != helper_of(actor) and not may_assist_as_editor(actor, visit.household):
            raise ScopeError(NOT_FOUND)
        accepted = _check_photos(list(photos), already=visit.photos.count())
        saved = _save_photos(visit, accepted)
        _record(actor, ChangeAction.UPDATE, visit, {"photos": [visit.photos.count() - len(saved), visit.photos.count()]},
                visit.household, source)
    return saved


__all__ = ["AssistanceError", "add_measure", "add_visit_photos", "approve_plan", "cancel_measure_given",
           "change_measure_status", "close_plan", "create_plan", "record_measure_given", "record_visit", "today"]
