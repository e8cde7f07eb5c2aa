"""驻村工作队 — village work teams: create and end a team, its members joining and leaving, their
monthly attendance (在岗考勤)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from fupin.core import audit
from fupin.core.models import ChangeAction
from fupin.core.scoping import ScopeError, region_in_scope, require_in_scope
from fupin.policy import clock, roles
from fupin.policy.pairing_rules import (
    PairingLimitError,
    check_attendance,
    month_start,
)
from fupin.policy.regions import LEVEL_VILLAGE
from fupin.registry.services import INVALID

from ..choices import EndReason, UnitLevel
from ..models import (
    AttendanceRecord,
    TeamMember,
    WorkTeam,
)
from .common import MEMBER_FIELDS, NOT_FOUND, TEAM_FIELDS, PairingError, _check_period, _created, _record, _region


def create_team(*, actor: Any, village_code: str, sending_unit: str, unit_level: str, name: str = "",
                started_on: dt.date | None = None, source: str = "web") -> WorkTeam:
    """Send a work team to a village (驻村): its members are added with :func:`add_team_member`."""
    village = _region(village_code, levels=(LEVEL_VILLAGE,), field_name="village")
    errors: dict[str, list[str]] = {}
    if not sending_unit.strip():
        errors["sending_unit"] = ["必填 / required"]
    if unit_level not in UnitLevel.values:
        errors["unit_level"] = ["未知单位层级 / unknown unit level"]
    if errors:
        raise PairingError(INVALID, errors)
    on = started_on or clock.today()
    _check_period(on, None)
    require_in_scope(actor, village.code, roles.MANAGE_PAIRING)
    with transaction.atomic():
        team = WorkTeam.objects.create(village=village, sending_unit=sending_unit.strip(), unit_level=unit_level,
                                       name=name.strip(), started_on=on)
        _record(actor, ChangeAction.CREATE, team, _created(team, TEAM_FIELDS), region_code=village.code,
                source=source)
    return team


def _lock_team(actor: Any, team_id: Any, capability: str = roles.MANAGE_PAIRING) -> WorkTeam:
    team = WorkTeam.objects.select_for_update().filter(pk=team_id).first()
    if team is None or not region_in_scope(actor, team.village_id, capability):
        raise ScopeError(NOT_FOUND)
    return team


def end_team(*, actor: Any, team_id: int, ended_on: dt.date | None = None, reason: str = EndReason.PERIOD_OVER,
             comment: str = "", source: str = "web") -> WorkTeam:
    """A team's period ends (轮换): its current members leave on the same day."""
    on = ended_on or clock.today()
    with transaction.atomic():
        team = _lock_team(actor, team_id)
        if team.ended_on is not None:
            raise PairingError(INVALID, {"team": [f"该工作队已于{team.ended_on}撤离 / the team has left"]})
        _check_period(team.started_on, on)
        for member in TeamMember.objects.select_for_update().filter(team=team, left_on__isnull=True):
            _member_leaves(actor, team, member, max(on, member.joined_on), comment, source)
        before = audit.field_values(team, TEAM_FIELDS)
        team.ended_on, team.end_reason, team.end_comment = on, reason, comment
        team.save()
        _record(actor, ChangeAction.STATUS, team, audit.diff(before, audit.field_values(team, TEAM_FIELDS)),
                region_code=team.village_id, source=source, comment=comment)
    return team


def add_team_member(*, actor: Any, team_id: int, helper_id: int | None = None, name: str = "", unit: str = "",
                    phone: str = "", is_first_secretary: bool = False, is_leader: bool = False,
                    joined_on: dt.date | None = None, source: str = "web") -> TeamMember:
    """A member joins a team: a registered helper, or a name and unit. One current 第一书记 per team
    (a new one is appointed after the current one has left)."""
    on = joined_on or clock.today()
    with transaction.atomic():
        team = _lock_team(actor, team_id)
        if team.ended_on is not None:
            raise PairingError(INVALID, {"team": ["该工作队已撤离 / the team has left"]})
        _check_period(team.started_on, on)
        helper = None
        if helper_id:
            from ..selectors import helpers_visible_to

            helper = helpers_visible_to(actor).filter(pk=helper_id).first()
            if helper is None:
                raise PairingError(INVALID, {"helper": ["帮扶责任人不存在或不在您的范围内 / no such helper"]})
            name, unit, phone = name or helper.name, unit or helper.unit, phone or helper.phone
        if not name.strip():
            raise PairingError(INVALID, {"name": ["必填 / required"]})
        if is_first_secretary:
            current = TeamMember.objects.filter(team=team, is_first_secretary=True, left_on__isnull=True).first()
            if current is not None:
                raise PairingError(INVALID, {"is_first_secretary": [
                    f"该队已有第一书记「{current.name}」,请先办理其离岗 / the team already has a first secretary "
                    f"({current.name}); record their leaving first"]})
        member = TeamMember.objects.create(team=team, helper=helper, name=name.strip(), unit=unit.strip(),
                                           phone=phone.strip(), is_first_secretary=is_first_secretary,
                                           is_leader=is_leader, joined_on=on)
        _record(actor, ChangeAction.CREATE, member, _created(member, MEMBER_FIELDS), region_code=team.village_id,
                source=source)
    return member


def _member_leaves(actor: Any, team: WorkTeam, member: TeamMember, on: dt.date, comment: str, source: str) -> None:
    _check_period(member.joined_on, on)
    before = audit.field_values(member, MEMBER_FIELDS)
    member.left_on, member.left_comment = on, comment
    member.save()
    _record(actor, ChangeAction.STATUS, member, audit.diff(before, audit.field_values(member, MEMBER_FIELDS)),
            region_code=team.village_id, source=source, comment=comment)


def team_member_leaves(*, actor: Any, member_id: int, left_on: dt.date | None = None, comment: str = "",
                       source: str = "web") -> TeamMember:
    """A member leaves the team (离岗, 轮换); kept in the team's history."""
    with transaction.atomic():
        team_id = TeamMember.objects.filter(pk=member_id).values_list("team_id", flat=True).first()
        if team_id is None:
            raise ScopeError(NOT_FOUND)
        team = _lock_team(actor, team_id)
        member = TeamMember.objects.select_for_update().get(pk=member_id)
        if member.left_on is not None:
            raise PairingError(INVALID, {"member": [f"已于{member.left_on}离岗 / already left"]})
        _member_leaves(actor, team, member, left_on or clock.today(), comment, source)
    return member


def record_attendance(*, actor: Any, member_id: int, month: dt.date, days_present: int, comment: str = "",
                      source: str = "web") -> AttendanceRecord:
    """驻村考勤: the days a member was present in a month (one row per member and month; a correction
    changes it, with its audit row)."""
    month = month_start(month)
    try:
        days = int(days_present)
        check_attendance(days, month)
    except (TypeError, ValueError) as exc:
        message = exc.message if isinstance(exc, PairingLimitError) else "应为整数 / must be a number"
        raise PairingError(INVALID, {"days_present": [message]}) from exc
    with transaction.atomic():
        member = TeamMember.objects.select_related("team").filter(pk=member_id).first()
        if member is None or not region_in_scope(actor, member.team.village_id, roles.RECORD_ATTENDANCE):
            raise ScopeError(NOT_FOUND)
        if month < month_start(member.joined_on) or (member.left_on and month > member.left_on):
            raise PairingError(INVALID, {"month": ["该月不在队员驻村期间 / the month is outside the member's period"]})
        if month > month_start(clock.today()):
            raise PairingError(INVALID, {"month": ["不能登记将来的月份 / the month is in the future"]})
        row = AttendanceRecord.objects.select_for_update().filter(member=member, month=month).first()
        if row is None:
            row = AttendanceRecord.objects.create(member=member, month=month, days_present=days, comment=comment)
            _record(actor, ChangeAction.CREATE, row, {"month": [None, month.isoformat()], "days_present": [None, days]},
                    region_code=member.team.village_id, source=source, comment=comment)
        elif row.days_present != days or row.comment != comment:
            changes = audit.diff({"days_present": row.days_present}, {"days_present": days})
            row.days_present, row.comment = days, comment
            row.save()
            _record(actor, ChangeAction.UPDATE, row, changes, region_code=member.team.village_id, source=source,
                    comment=comment)
    return row
