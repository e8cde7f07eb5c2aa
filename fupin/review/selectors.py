"""Reads of the yearly review: cycles, snapshots, and the flow report of a region and year.

Every read starts from :func:`fupin.core.scoping.visible_to` with ``review.view``. The flow report of
region R and year Y (:func:`flow_view`) compares, for each county in R, the snapshot of Y−1 (the start)
with the snapshot of Y (the end) — or, while Y has no snapshot yet, with the live registry (the report is
then *provisional*: the year so far). It reads the snapshot rows inside R that the user may see, plus
— by household id, for classification only — the other end of households that moved across R's border
(so a move is a transfer, not a new identification or an untracked loss). Return causes come from the
audit trail (:func:`return_causes`), exit dates from the exits app (:func:`exit_changes`).

A region above county level needs every county's snapshots: counties without them are listed in
``missing`` and left out of the figures (the page says so).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import polars as pl
from django.db.models import QuerySet

from fupin.core.models import ChangeRecord
from fupin.core.scoping import get_visible_or_404, pairing_rule, visible_to
from fupin.policy import flows, roles
from fupin.policy.regions import LEVEL_COUNTY, prefix_of
from fupin.regions.models import Region

from . import frames, store
from .choices import CycleStatus
from .models import HouseholdSnapshot, PersonSnapshot, ReviewCycle, Snapshot

CAP = roles.VIEW_REVIEW


def cycles(user: Any) -> QuerySet[ReviewCycle]:
    return visible_to(user, ReviewCycle.objects.select_related("snapshot"), CAP).order_by("region_code", "-year")


def cycle_detail(user: Any, pk: int) -> ReviewCycle:
    return get_visible_or_404(user, ReviewCycle.objects.select_related("snapshot"), CAP, pk=pk)


def snapshots(user: Any) -> QuerySet[Snapshot]:
    return visible_to(user, Snapshot.objects.all(), CAP).order_by("region_code", "-year")


def region_for(user: Any, code: str) -> Region:
    """A region the user may see (404 otherwise)."""
    return get_visible_or_404(user, Region.objects.all(), CAP, code=code)


def counties_of(region: Region) -> list[str]:
    """The county codes a region's report is made of."""
    if region.level >= LEVEL_COUNTY:
        return [region.code[:6] + "000000"]
    return list(Region.objects.filter(level=LEVEL_COUNTY, code__startswith=region.prefix)
                .order_by("code").values_list("code", flat=True))


# --- changes ---------------------------------------------------------------------------------------------


def return_causes(household_ids: Sequence[int], since: dt.datetime) -> pl.DataFrame:
    """返贫 causes, from the audit trail: for each household, the comment of the latest change since
    ``since`` that moved its 脱贫状态 from exited (1, 4) into the stock (0, 2, 3) — or, when a change
    carries a ``return_cause`` field, that value. Rows: household_id, kind ``return``, reason, on."""
    rows: list[dict[str, Any]] = []
    exited = {"1", "4"}
    for chunk in frames.in_chunks(list(household_ids)):
        records = (ChangeRecord.objects.filter(model="registry.household", household_id__in=chunk, at__gte=since)
                   .filter(changes__has_key="poverty_status").order_by("at", "id")
                   .values_list("household_id", "changes", "comment", "at"))
        for hid, changes, comment, at in records:
            old, new = (changes.get("poverty_status") or [None, None])[:2]
            if old in exited and new in flows.DEFAULT_RULES.stock_statuses:
                cause = (changes.get("return_cause") or [None, None])[1] or comment or ""
                rows.append({"household_id": hid, "kind": "return", "reason": cause, "on": at.date()})
    return pl.DataFrame(rows, schema=flows.CHANGE_SCHEMA)


def exit_changes(region_code: str, year: int) -> pl.DataFrame:
    """销号 of the year from the exits app (``fupin.exits.selectors.exits_in_year``) as change rows;
    empty when that app does not provide it."""
    try:
        from fupin.exits.selectors import exits_in_year
    except ImportError:
        return flows.empty_changes()
    frame = exits_in_year(region_code, year)
    if frame is None or frame.height == 0:
        return flows.empty_changes()
    return frame.select(pl.col("household_id").cast(pl.Int64), pl.lit("exit").alias("kind"), pl.lit("").alias("reason"),
                        pl.col("exited_on").cast(pl.Date).alias("on"))


# --- the flow report -------------------------------------------------------------------------------------


@dataclass
class ChildRow:
    code: str
    name: str
    households: flows.FlowTotals
    persons: flows.FlowTotals

    @property
    def balanced(self) -> bool:
        return self.households.balanced and self.persons.balanced


@dataclass
class FlowView:
    """The flow report of one region and year, ready for a page or the API."""

    region: Region
    year: int
    provisional: bool
    counties: list[str]
    missing: list[tuple[str, str]]
    start_snapshots: list[Snapshot]
    end_snapshots: list[Snapshot]
    report: flows.FlowReport | None
    households: flows.FlowTotals
    persons: flows.FlowTotals
    children: list[ChildRow] = field(default_factory=list)
    reasons: list[dict[str, Any]] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return self.households.balanced and self.persons.balanced

    @property
    def available(self) -> bool:
        return self.report is not None

    @property
    def versions(self) -> list[dict[str, Any]]:
        return [{"county": s.region_code, "year": s.year, "as_of": s.as_of, **s.versions}
                for s in (*self.start_snapshots, *self.end_snapshots)]


ZERO = flows.FlowTotals(0, 0, 0, 0, 0, 0, 0, 0)


def _scoped(user: Any, model: type, snapshot_ids: list[int], prefix: str) -> QuerySet:
    return visible_to(user, model.objects.filter(snapshot_id__in=snapshot_ids), CAP).filter(
        village_code__startswith=prefix)


def _other_side_snapshot(ids: list[int], year: int, unit: str) -> pl.DataFrame:
    """Rows of ``year``'s snapshots (any county) for households ``ids`` (classification only)."""
    model = HouseholdSnapshot if unit == "households" else PersonSnapshot
    columns = frames.FLOW_HOUSEHOLD_COLUMNS if unit == "households" else frames.FLOW_PERSON_COLUMNS
    parts = [frames.snapshot_frame(model.objects.filter(snapshot__year=year, household_id__in=chunk), unit, columns)
             for chunk in frames.in_chunks(ids)]
    return pl.concat(parts) if parts else frames.snapshot_frame(model.objects.none(), unit, columns)


def _other_side_live(ids: list[int], since: dt.datetime, unit: str) -> pl.DataFrame:
    parts = []
    for chunk in frames.in_chunks(ids):
        if unit == "households":
            parts.append(frames.household_frame(frames.registry_households(since).filter(id__in=chunk),
                                                frames.FLOW_HOUSEHOLD_COLUMNS))
        else:
            parts.append(frames.member_frame(frames.registry_members(since).filter(household_id__in=chunk),
                                             frames.FLOW_PERSON_COLUMNS))
    if parts:
        return pl.concat(parts)
    if unit == "households":
        return frames.household_frame(frames.registry_households(since).none(), frames.FLOW_HOUSEHOLD_COLUMNS)
    return frames.member_frame(frames.registry_members(since).none(), frames.FLOW_PERSON_COLUMNS)


def rows_scope_is_prefix(user: Any, prefix: str) -> bool:
    """Whether the snapshot rows ``user`` may see inside ``prefix`` are exactly those whose village code
    starts with ``prefix`` (``visible_to`` adds nothing): a user whose role sees its region, with
    ``review.view``, whose region contains ``prefix``. Then the Parquet copies may be read filtered by
    ``prefix`` alone; otherwise (e.g. a paired-only role) the rows are read through ``visible_to``."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.has_capability(CAP):
        return False
    region = getattr(user, "region", None)
    if region is None or not roles.sees_region(user.role):
        return False
    if any(pairing_rule(m) is not None for m in (HouseholdSnapshot, PersonSnapshot)):
        return False
    return prefix.startswith(prefix_of(region.code, region.level))


def snapshot_rows(user: Any, snaps: Sequence[Snapshot], unit: str, prefix: str) -> pl.DataFrame:
    """The flow columns of the rows of ``snaps`` in ``prefix`` that ``user`` may see: from each
    snapshot's Parquet copy when it matches its header (:mod:`.store`), else from the database."""
    model = HouseholdSnapshot if unit == "households" else PersonSnapshot
    columns = frames.FLOW_HOUSEHOLD_COLUMNS if unit == "households" else frames.FLOW_PERSON_COLUMNS
    parts: list[pl.DataFrame] = []
    from_db: list[int] = []
    by_file = rows_scope_is_prefix(user, prefix)
    for snap in snaps:
        frame = store.read_rows(snap, unit, columns, prefix) if by_file else None
        if frame is None:
            from_db.append(snap.pk)
        else:
            parts.append(frame)
    if from_db or not parts:
        parts.append(frames.snapshot_frame(_scoped(user, model, from_db, prefix), unit, columns))
    return pl.concat(parts) if len(parts) > 1 else parts[0]


def _unique(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    return frame.unique(subset=key, keep="first", maintain_order=True)


def load_frames(user: Any, region: Region, year: int) -> dict[str, Any]:
    """The start and end frames of a region's report (see the module docstring)."""
    prefix = region.prefix
    counties = counties_of(region)
    starts = {s.region_code: s for s in Snapshot.objects.filter(region_code__in=counties, year=year - 1)}
    ends = {s.region_code: s for s in Snapshot.objects.filter(region_code__in=counties, year=year)}
    missing: list[tuple[str, str]] = []
    used: list[str] = []
    live: list[str] = []
    for county in counties:
        if county not in starts:
            missing.append((county, f"缺少{year - 1}年快照 / no {year - 1} snapshot"))
        elif county not in ends and Snapshot.objects.filter(region_code=county, year__gt=year).exists():
            missing.append((county, f"缺少{year}年快照 / no {year} snapshot"))
        else:
            used.append(county)
            if county not in ends:
                live.append(county)
    start_snaps = [starts[c] for c in used]
    end_snaps = [ends[c] for c in used if c in ends]
    sh = snapshot_rows(user, start_snaps, "households", prefix)
    sp = snapshot_rows(user, start_snaps, "persons", prefix)
    eh_parts = [snapshot_rows(user, end_snaps, "households", prefix)]
    ep_parts = [snapshot_rows(user, end_snaps, "persons", prefix)]
    for county in live:
        since = starts[county].as_of
        households = visible_to(user, frames.registry_households(since).filter(county_code=county), CAP)
        members = visible_to(user, frames.registry_members(since).filter(household__county_code=county), CAP)
        eh_parts.append(frames.household_frame(households.filter(village_code__startswith=prefix),
                                               frames.FLOW_HOUSEHOLD_COLUMNS))
        ep_parts.append(frames.member_frame(members.filter(household__village_code__startswith=prefix),
                                            frames.FLOW_PERSON_COLUMNS))
    eh, ep = pl.concat(eh_parts), pl.concat(ep_parts)
    # The other end of households that crossed the region's border (classification only).
    start_only = sorted(set(sh["household_id"].to_list()) - set(eh["household_id"].to_list()))
    end_only_moved = eh.filter(~pl.col("household_id").is_in(sh["household_id"].implode())
                               & (pl.col("identification_year").fill_null(0) < year))["household_id"].to_list()
    if start_only:
        since = min((starts[c].as_of for c in used), default=None)
        if live and since is not None:
            eh = _unique(pl.concat([eh, _other_side_live(start_only, since, "households")]), "household_id")
            ep = _unique(pl.concat([ep, _other_side_live(start_only, since, "persons")]), "member_id")
        eh = _unique(pl.concat([eh, _other_side_snapshot(start_only, year, "households")]), "household_id")
        ep = _unique(pl.concat([ep, _other_side_snapshot(start_only, year, "persons")]), "member_id")
    if end_only_moved:
        sh = _unique(pl.concat([sh, _other_side_snapshot(end_only_moved, year - 1, "households")]), "household_id")
        sp = _unique(pl.concat([sp, _other_side_snapshot(end_only_moved, year - 1, "persons")]), "member_id")
    return {"start_households": sh, "start_persons": sp, "end_households": eh, "end_persons": ep,
            "counties": used, "missing": missing, "live": bool(live),
            "start_snapshots": [starts[c] for c in used], "end_snapshots": [ends[c] for c in used if c in ends],
            "since": min((starts[c].as_of for c in used), default=None)}


def _changes(region: Region, year: int, households: pl.DataFrame, since: dt.datetime | None) -> pl.DataFrame:
    returned = households.filter(pl.col("flow") == flows.RETURNED)["household_id"].to_list()
    parts = [exit_changes(region.code, year)]
    if returned and since is not None:
        parts.append(return_causes(returned, since))
    return pl.concat(parts)


def flow_view(user: Any, region_code: str, year: int, *, children: bool = True) -> FlowView:
    """The flow report of a region the user may see, for ``year`` (404 out of scope)."""
    region = region_for(user, region_code)
    data = load_frames(user, region, year)
    prefix = region.prefix
    if not data["counties"]:
        return FlowView(region=region, year=year, provisional=False, counties=[], missing=data["missing"],
                        start_snapshots=[], end_snapshots=[], report=None, households=ZERO, persons=ZERO)
    sh, sp = frames.flow_frames(data["start_households"], data["start_persons"])
    eh, ep = frames.flow_frames(data["end_households"], data["end_persons"])
    key = flows.child_key_length(prefix) if children else None
    # The region and its children from one join of the two ends (flows.flow_reports).
    reports = flows.flow_reports(sh, sp, eh, ep, prefix=prefix, year=year,
                                 key_lengths=[len(prefix)] if key is None else [len(prefix), key])
    report = reports[0]
    changes = _changes(region, year, report.households, data["since"])
    report = replace(report, households=flows.attach_changes(report.households, changes))
    view = FlowView(region=region, year=year, provisional=data["live"], counties=data["counties"],
                    missing=data["missing"], start_snapshots=data["start_snapshots"],
                    end_snapshots=data["end_snapshots"], report=report,
                    households=flows.totals_of(report.summary("households")),
                    persons=flows.totals_of(report.summary("persons")))
    for unit, rows in (("households", report.households), ("persons", report.persons)):
        for r in flows.reasons(rows).iter_rows(named=True):
            view.reasons.append({"unit": unit, "flow": r["flow"], "reason": r["reason"], "count": r["count"],
                                 "label": flows.reason_label(r["reason"])})
    if key is not None:
        child = reports[1]
        hs, ps = child.summary("households"), child.summary("persons")
        kids = visible_to(user, Region.objects.filter(parent=region), CAP).order_by("code")
        for kid in kids:
            group = prefix_of(kid.code, kid.level)
            h, p = flows.totals_of(hs, group), flows.totals_of(ps, group)
            if h.start or h.end or p.start or p.end:
                view.children.append(ChildRow(code=kid.code, name=kid.name, households=h, persons=p))
    return view


def flow_households(view: FlowView, flow: str = "") -> pl.DataFrame:
    """The households of one flow (all flows when empty) of a report, for the drill-down lists."""
    if view.report is None:
        return pl.DataFrame(schema={"household_id": pl.Int64, "flow": pl.Utf8, "village_code": pl.Utf8,
                                    "household_number": pl.Utf8, "persons": pl.UInt32})
    rows = view.report.households.filter(pl.col("flow") != flows.CONTINUING)
    if flow:
        rows = rows.filter(pl.col("flow") == flow)
    persons = view.report.persons.group_by("household_id", "flow").len("persons")
    return rows.join(persons, on=["household_id", "flow"], how="left").with_columns(
        pl.col("persons").fill_null(0)).sort("village_code", "household_number")


def open_cycle_of(user: Any, county_code: str) -> ReviewCycle | None:
    return cycles(user).filter(region_code=county_code, status=CycleStatus.OPEN).first()


def years_with_snapshots(user: Any, region: Region) -> list[int]:
    """Years whose report can be made (a snapshot of the year before exists for a county in the region)."""
    counties = counties_of(region)
    years = set(Snapshot.objects.filter(region_code__in=counties).values_list("year", flat=True))
    return sorted({y + 1 for y in years}, reverse=True)



def village_names(codes: Sequence[str]) -> dict[str, str]:
    """Names of regions by code (public division names)."""
    return dict(Region.objects.filter(code__in=list(set(codes))).values_list("code", "name"))
