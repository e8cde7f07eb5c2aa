"""Writes of the yearly review (动态调整): open and close a county's cycle, take a frozen snapshot.

Each verb: scope check (``review.manage`` for the county, else 404) → lock → checks → write → the audit
trail (:mod:`fupin.core.audit`), in one transaction. A refusal is :class:`ReviewError` (a
:class:`~fupin.registry.services.RegistryError`: 422 in the API, a message on the pages).

A snapshot (:func:`take_snapshot`) reads one county's registry as frames (:mod:`.frames`) and writes them
with ``COPY`` (:func:`fupin.core.bulk.copy_frame`) — never a ``save()`` per row. On PostgreSQL the
registry tables are locked in SHARE mode while they are read (writers wait a few seconds; the
households and members read are one consistent state). ``actor=None`` is the system (the ``fupin
snapshot`` command).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from fupin.core import audit
from fupin.core.bulk import copy_frame, reserve_ids
from fupin.core.models import ChangeAction
from fupin.core.scoping import require_in_scope
from fupin.policy import clock, flows, roles
from fupin.policy.regions import LEVEL_COUNTY, RegionCodeError, level_of, normalize_code
from fupin.regions.models import Region
from fupin.registry.services import RegistryError, VersionConflict

from . import frames, store
from .choices import CycleStatus, SnapshotSource
from .models import HouseholdSnapshot, PersonSnapshot, ReviewCycle, Snapshot


class ReviewError(RegistryError):
    """A refused review action (year, order, state)."""


#: Earliest year a review or snapshot may name (建档立卡 began in 2014; a baseline of 2013 is allowed).
FIRST_YEAR = 2013


def _county(code: str) -> Region:
    try:
        code = normalize_code(code)
    except RegionCodeError as exc:
        raise ReviewError(str(exc), {"county": [str(exc)]}) from exc
    if level_of(code) != LEVEL_COUNTY:
        raise ReviewError("应为县级区划 / a county code is required", {"county": [f"不是县: {code} / not a county"]})
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise ReviewError("没有该区划 / no such region", {"county": [code]})
    return region


def _check_year(year: int) -> int:
    year = int(year)
    now = clock.today().year
    if not FIRST_YEAR <= year <= now:
        raise ReviewError(f"年度应在{FIRST_YEAR}—{now}之间 / the year must lie between {FIRST_YEAR} and {now}",
                          {"year": [str(year)]})
    return year


def _require(actor: Any, region_code: str) -> None:
    if actor is not None:
        require_in_scope(actor, region_code, roles.MANAGE_REVIEW)


def _audit(obj: Any, *, actor: Any, action: str, changes: dict[str, list[Any]], region_code: str, source: str,
           comment: str = "") -> None:
    audit.record(actor=actor, action=action, obj=obj, changes=changes, household_id=None, region_code=region_code,
                 source=source, comment=comment)


# --- versions ----------------------------------------------------------------------------------------


def versions_for(county_code: str, year: int, income_rule_versions: tuple[str, ...]) -> dict[str, Any]:
    """The rule and policy versions a snapshot records: the flow rules, the policy set in force at the
    end of the year (fupin.rules), the income rules the households' figures were computed with, the
    area-exit policy (fupin.region_exit) and the code lists."""
    from fupin.policy import codes

    end = dt.date(year, 12, 31)
    out: dict[str, Any] = {"flow_rules": flows.DEFAULT_RULES.to_dict(), "income_rules": list(income_rule_versions),
                           "code_lists": {c.id: c.version for c in (codes.POVERTY_STATUS, codes.HOUSEHOLD_LEAVE_REASON,
                                                                     codes.MEMBER_LEAVE_REASON)}}
    try:
        from fupin.rules.services import effective_policy

        out["policy_set"] = effective_policy(county_code, end).version
    except Exception as exc:
        out["policy_set"] = f"unavailable: {exc}"
    from fupin.region_exit.services import effective_area_policy

    out["area_exit"] = effective_area_policy(county_code, end).version
    return out


# --- snapshots ---------------------------------------------------------------------------------------


def _lock_registry() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE registry_household, registry_member IN SHARE MODE")
            # The members' read hashes the county's households: with the default 4 MB it spills to disk in
            # batches (measured, 1M persons: 1.5 s → 1.1 s on the server). For this transaction only.
            cursor.execute("SET LOCAL work_mem = '64MB'")


def included_since(county_code: str, year: int) -> dt.datetime:
    """Records that left since then go into the snapshot of ``year``: the previous snapshot's as_of, or
    the start of the year (local time)."""
    previous = Snapshot.objects.filter(region_code=county_code, year__lt=year).order_by("-year").first()
    if previous is not None:
        return previous.as_of
    return timezone.make_aware(dt.datetime(year, 1, 1))


def take_snapshot(*, actor: Any, county_code: str, year: int, source: str = SnapshotSource.WEB, comment: str = "",
                  stages: dict[str, float] | None = None) -> Snapshot:
    """Freeze one county's registry as the snapshot of ``year`` (年度快照). Refused when the year already
    has one, or a later year does (the registry is read as it is now)."""
    import time

    county = _county(county_code)
    year = _check_year(year)
    _require(actor, county.code)
    clock = time.perf_counter()
    with transaction.atomic():
        if Snapshot.objects.filter(region_code=county.code, year=year).exists():
            raise ReviewError(f"{county.name}{year}年的快照已生成,快照不可修改 / the {year} snapshot exists and "
                              "cannot be changed", {"year": [str(year)]})
        later = Snapshot.objects.filter(region_code=county.code, year__gt=year).order_by("year").first()
        if later is not None:
            raise ReviewError(f"已有{later.year}年的快照,不能再生成更早年度的快照 / a later snapshot ({later.year}) "
                              "exists", {"year": [str(year)]})
        _lock_registry()
        since = included_since(county.code, year)
        as_of = timezone.now()
        registry = frames.registry_frames(county.code, since)
        households, persons = registry.households, registry.persons
        t_read = time.perf_counter()
        stock = (households["status"] == "active") & households["poverty_status"].is_in(
            sorted(flows.DEFAULT_RULES.stock_statuses))
        poor_ids = households.filter(stock)["household_id"]
        poor_persons = persons.filter(pl.col("household_id").is_in(poor_ids.implode()) & (pl.col("status") == "active"))
        # The header is written last, with the checksums of the Parquet copies (it is immutable): its id
        # is reserved first, the files are written in a thread while the rows are COPYed.
        [snapshot_id] = reserve_ids(Snapshot, 1)
        files = store.BackgroundWrite(snapshot_id, households, persons)
        try:
            sid = pl.lit(snapshot_id, dtype=pl.Int64).alias("snapshot_id")
            copy_frame(HouseholdSnapshot, households.with_columns(sid))
            copy_frame(PersonSnapshot, persons.with_columns(sid))
            written = files.result()
            try:
                with transaction.atomic():
                    snapshot = Snapshot.objects.create(
                        pk=snapshot_id, region_code=county.code, year=year, as_of=as_of, included_since=since,
                        taken_by=actor if getattr(actor, "pk", None) else None,
                        taken_by_name=audit.actor_name(actor), source=source, households=households.height,
                        persons=persons.height, poor_households=poor_ids.len(), poor_persons=poor_persons.height,
                        versions=versions_for(county.code, year, registry.income_rule_versions), comment=comment,
                        files=written)
            except IntegrityError as exc:
                raise ReviewError(f"{year}年的快照已生成 / the {year} snapshot exists", {"year": [str(year)]}) from exc
        except BaseException:
            files.result()
            store.remove(snapshot_id)
            raise
        _audit(snapshot, actor=actor, action=ChangeAction.CREATE, region_code=county.code, source=source,
               changes={"year": [None, year], "households": [None, households.height],
                        "persons": [None, persons.height]},
               comment=f"年度快照 snapshot {county.name} {year}")
    if stages is not None:
        stages.update(read=t_read - clock, write=time.perf_counter() - t_read)
    return snapshot


# --- cycles ------------------------------------------------------------------------------------------


def open_cycle(*, actor: Any, county_code: str, year: int, comment: str = "", source: str = "web") -> ReviewCycle:
    """Open a county's yearly review (年度动态调整) of ``year``. One per county and year; the previous
    year must be closed (or have a snapshot) so the year's flows have a start."""
    county = _county(county_code)
    year = _check_year(year)
    _require(actor, county.code)
    with transaction.atomic():
        if ReviewCycle.objects.filter(region_code=county.code, year=year).exists():
            raise ReviewError(f"{year}年的动态调整已存在 / the {year} review exists", {"year": [str(year)]})
        if Snapshot.objects.filter(region_code=county.code, year=year).exists():
            raise ReviewError(f"{year}年的快照已生成,该年度已结束 / the {year} snapshot exists: the year is closed",
                              {"year": [str(year)]})
        open_other = ReviewCycle.objects.filter(region_code=county.code, status=CycleStatus.OPEN).first()
        if open_other is not None:
            raise ReviewError(f"{open_other.year}年的动态调整尚未结束 / the {open_other.year} review is still open",
                              {"year": [str(open_other.year)]})
        if not Snapshot.objects.filter(region_code=county.code, year=year - 1).exists():
            raise ReviewError(
                f"缺少{year - 1}年的快照(期初数): 请先结束{year - 1}年的动态调整,或生成{year - 1}年的基期快照 / no "
                f"snapshot of {year - 1} (the start): close {year - 1} or take a baseline snapshot first",
                {"year": [f"{year - 1}年快照缺失 / no {year - 1} snapshot"]})
        cycle = ReviewCycle.objects.create(region_code=county.code, year=year, comment=comment,
                                           opened_by=actor if getattr(actor, "pk", None) else None,
                                           opened_by_name=audit.actor_name(actor))
        _audit(cycle, actor=actor, action=ChangeAction.CREATE, region_code=county.code, source=source,
               changes={"year": [None, year], "status": [None, CycleStatus.OPEN]}, comment=comment)
    return cycle


def close_cycle(*, actor: Any, cycle_id: int, expected_version: int | None = None, comment: str = "",
                source: str = "web", stages: dict[str, float] | None = None) -> ReviewCycle:
    """Close a county's yearly review: take the year's frozen snapshot and close the cycle."""
    with transaction.atomic():
        cycle = ReviewCycle.objects.select_for_update().filter(pk=cycle_id).first()
        if cycle is None:
            from fupin.core.scoping import ScopeError

            raise ScopeError("不存在或无权操作 / not found")
        _require(actor, cycle.region_code)
        if expected_version is not None and int(expected_version) != cycle.version:
            raise VersionConflict("该年度调整已被他人修改,请刷新 / someone else changed this review; reload",
                                  {"version": [f"{expected_version} ≠ {cycle.version}"]})
        if cycle.status != CycleStatus.OPEN:
            raise ReviewError("该年度调整已结束 / the review is already closed", {"status": [cycle.status]})
        snapshot = take_snapshot(actor=actor, county_code=cycle.region_code, year=cycle.year,
                                 source=SnapshotSource.CYCLE, comment=comment, stages=stages)
        before = audit.field_values(cycle, ("status",))
        cycle.status, cycle.snapshot, cycle.closed_at = CycleStatus.CLOSED, snapshot, timezone.now()
        cycle.closed_by = actor if getattr(actor, "pk", None) else None
        cycle.closed_by_name = audit.actor_name(actor)
        if comment:
            cycle.comment = f"{cycle.comment}\n{comment}".strip()
        cycle.version += 1
        cycle.save()
        _audit(cycle, actor=actor, action=ChangeAction.STATUS, region_code=cycle.region_code, source=source,
               changes={**audit.diff(before, audit.field_values(cycle, ("status",))),
                        "snapshot": [None, snapshot.pk]}, comment=comment)
    return cycle


def snapshot_year_end(*, actor: Any, county_code: str, year: int, source: str = SnapshotSource.CLI,
                      comment: str = "") -> Snapshot:
    """The ``fupin snapshot`` command: close the county's open review of ``year`` if there is one (which
    takes the snapshot), else take the snapshot alone (e.g. a baseline year before the first review)."""
    county = _county(county_code)
    cycle = ReviewCycle.objects.filter(region_code=county.code, year=int(year), status=CycleStatus.OPEN).first()
    if cycle is not None:
        closed = close_cycle(actor=actor, cycle_id=cycle.pk, comment=comment, source=source)
        assert closed.snapshot is not None
        return closed.snapshot
    return take_snapshot(actor=actor, county_code=county.code, year=year, source=source, comment=comment)
