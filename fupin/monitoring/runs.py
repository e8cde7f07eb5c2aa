"""Whole-registry monitoring runs (批量运行): the flag run (风险识别) and the elimination run (风险消除).

Both read the region's monitoring view (:func:`fupin.monitoring.frames.monitoring_view`: the active
registry and the 监测户, with the imported department data, the income checks and the measures given),
evaluate the rules of each county's monitoring policy in Polars (:func:`fupin.policy.monitoring.flag_frame`,
:func:`~fupin.policy.monitoring.elimination_frame`) and write their results in bulk
(:func:`fupin.core.bulk.copy_frame`: COPY on PostgreSQL) in one transaction, with one audit row per run.

- **Flag run** — every monitoring candidate (an exited registered household, or a 监测户) for which a
  flag rule holds becomes a :class:`~fupin.monitoring.models.MonitoringObject` ``flagged`` by
  ``department`` (部门预警), with its type, risk causes, the line used (amount, year, region, policy
  version), one :class:`~fupin.monitoring.models.MonitoringFlag` per rule that held (text, version and
  the figures it saw) and a ``flag`` event. Not flagged again: a household with an open object, or whose
  last object closed (dismissed or risk eliminated) within the policy's ``quiet_days``. The counts say
  how many were read, flagged (by type and by rule), skipped, and how many department records matched
  no registry member (线索: people not on the registry, to be checked by hand).
- **Elimination run** — every object ``monitored`` in the region is assessed: one
  :class:`~fupin.monitoring.models.EliminationDecision` each, eliminable or not, the conditions that
  failed, and the facts. The run changes no status: an officer confirms each elimination
  (:func:`fupin.monitoring.services.eliminate`), which assesses again on the day.

Runs need ``monitoring.run`` in their region (404 otherwise). A run that fails is kept ``failed`` with
the reason; nothing of it is written.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from typing import Any

import polars as pl
from django.db import connection, transaction
from django.utils import timezone

from fupin.core import audit
from fupin.core.bulk import copy_frame, reserve_ids
from fupin.core.models import ChangeAction
from fupin.core.scoping import require_in_scope
from fupin.policy import clock, roles
from fupin.policy.monitoring import (
    MonitoringPolicy,
    elimination_frame,
    flag_frame,
)
from fupin.policy.regions import LEVEL_FIELD, RegionCodeError, level_of, normalize_code
from fupin.regions.models import Region

from .choices import OPEN_STATUSES, Channel, EventAction, MonitoringStatus, RunKind, RunStatus
from .errors import MonitoringError
from .frames import MonitoringView, monitoring_view
from .models import EliminationDecision, MonitoringEvent, MonitoringFlag, MonitoringObject, MonitoringRun

log = logging.getLogger(__name__)

#: The figures kept with each flag and each decision (columns of the monitoring view).
FLAG_FIGURES = ("income_per_capita", "income_net", "monitoring_line", "medical_spending", "disaster_loss",
                "main_earner_died", "n_members", "n_labour")
DECISION_FIGURES = ("income_per_capita", "income_net", "monitoring_line", "months_above_line", "measures_received",
                    "medical_spending", "n_members", "n_labour", "food_secure", "clothing_secure",
                    "education_secure", "medical_secure", "housing_secure", "drinking_water_safe")


def _region(actor: Any, region_code: str | None) -> str:
    try:
        code = normalize_code(region_code or getattr(actor, "region_id", "") or "")
    except RegionCodeError as exc:
        raise MonitoringError.on("region_code", str(exc)) from exc
    if actor is not None:
        require_in_scope(actor, code, roles.RUN_MONITORING)
    if not Region.objects.filter(code=code).exists():
        raise MonitoringError.on("region_code", "未知区划 / unknown region")
    return code


def _date(on: dt.date | None) -> dt.date:
    day = on or clock.today()
    if day > clock.today():
        raise MonitoringError.on("on", "评估日期不能晚于今天 / the date cannot be in the future")
    return day


def _start(kind: str, actor: Any, region_code: str, on: dt.date, source: str) -> MonitoringRun:
    return MonitoringRun.objects.create(kind=kind, region_code=region_code, on=on, source=source,
                                        actor=actor if getattr(actor, "pk", None) else None,
                                        actor_name=audit.actor_name(actor))


def _finish(run: MonitoringRun, work: Any, started: float) -> MonitoringRun:
    try:
        work(run)
    except Exception as exc:
        log.exception("monitoring run %s failed", run.pk)
        MonitoringRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, finished_at=timezone.now(),
                                                       error=f"{type(exc).__name__}: {exc}"[:2000],
                                                       seconds=time.perf_counter() - started)
    else:
        MonitoringRun.objects.filter(pk=run.pk).update(seconds=time.perf_counter() - started)
    return MonitoringRun.objects.get(pk=run.pk)


def _ancestors(village: pl.Expr) -> list[pl.Expr]:
    return [
        (village.str.slice(0, 2) + pl.lit("0" * 10)).alias("province_code"),
        (village.str.slice(0, 4) + pl.lit("0" * 8)).alias("city_code"),
        (village.str.slice(0, 6) + pl.lit("0" * 6)).alias("county_code"),
        (village.str.slice(0, 9) + pl.lit("0" * 3)).alias("township_code"),
        village.alias("village_code"),
    ]


def _bracketed(expr: pl.Expr) -> pl.Expr:
    """A JSON array from the comma-joined JSON items of ``expr``."""
    return pl.concat_str([pl.lit("["), expr, pl.lit("]")])


def _figures(names: tuple[str, ...]) -> pl.Expr:
    return pl.struct([pl.col(n) for n in names]).struct.json_encode()


def _lock_objects() -> None:
    """Keep other writers of monitoring objects out until the transaction ends (SQLite's write lock does)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {MonitoringObject._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")


def _blocked(region_code: str, on: dt.date, quiet: pl.DataFrame) -> pl.DataFrame:
    """``household_id`` of the households not to flag again: an open object, or one closed within the
    county's quiet days (``quiet``: county_code, quiet_days)."""
    rows = list(MonitoringObject.objects.filter(**{LEVEL_FIELD[level_of(region_code)]: region_code})
                .values_list("household_id", "status", "closed_on", "county_code"))
    frame = pl.DataFrame(rows, schema={"household_id": pl.Int64, "status": pl.Utf8, "closed_on": pl.Date,
                                       "county_code": pl.Utf8}, orient="row")
    frame = frame.join(quiet, on="county_code", how="left")
    recent = pl.col("closed_on") >= (pl.lit(on) - pl.duration(days=pl.col("quiet_days").fill_null(0)))
    return frame.filter(pl.col("status").is_in([str(s) for s in OPEN_STATUSES]) | recent.fill_null(False)).select(
        "household_id").unique()


# ------------------------------------------------------------------------------------------ flag run


def run_flags(*, actor: Any, region_code: str | None = None, on: dt.date | None = None,
              source: str = "web") -> MonitoringRun:
    """风险识别 — flag the region's households at risk on ``on`` (default today); see the module doc."""
    started = time.perf_counter()
    code, day = _region(actor, region_code), _date(on)
    run = _start(RunKind.FLAG, actor, code, day, source)
    return _finish(run, _flag, started)


def _group_flags(mv: MonitoringView, policy: MonitoringPolicy, counties: list[str]) -> pl.DataFrame:
    view = mv.view.filter(pl.col("county_code").is_in(counties))
    flagged = flag_frame(view, policy)
    reasons = {r.id: json.dumps(r.reason(), ensure_ascii=False) for r in policy.flag_rules}
    return flagged.join(view, on="household_id", how="inner").with_columns(
        pl.lit(policy.version).alias("policy_version"),
        pl.col("rule_ids").list.eval(pl.element().replace_strict(reasons, return_dtype=pl.Utf8))
        .list.join(",").pipe(_bracketed).alias("risk_causes"),
    )


def _flag(run: MonitoringRun) -> None:
    mv = monitoring_view(run.region_code, run.on)
    groups = mv.policy_groups()
    parts = [_group_flags(mv, policy, counties) for policy, counties in groups]
    flagged = pl.concat(parts, how="vertical_relaxed") if parts else pl.DataFrame()
    line_info = pl.DataFrame(
        [(c, cp.line.amount, cp.line.year, cp.line.region, cp.line.describe()[:200], cp.policy.quiet_days)
         for c, cp in mv.counties.items()],
        schema={"county_code": pl.Utf8, "line_amount": pl.Float64, "line_year": pl.Int64, "line_region": pl.Utf8,
                "line_note": pl.Utf8, "quiet_days": pl.Int64}, orient="row")
    with transaction.atomic():
        _lock_objects()
        blocked = _blocked(run.region_code, run.on, line_info.select("county_code", "quiet_days"))
        new = (flagged.join(blocked, on="household_id", how="anti").join(line_info, on="county_code", how="left")
               .sort("village_code", "household_id")) if flagged.height else flagged
        counts: dict[str, Any] = {
            "households": mv.view.height, "candidates_flagged": flagged.height, "new": new.height,
            "skipped": flagged.height - new.height, "records_read": mv.records_read,
            "records_unmatched": mv.records_unmatched,
            "by_type": dict(new.group_by("type").len().iter_rows()) if new.height else {},
            "by_rule": dict(new.select(pl.col("rule_ids").explode(empty_as_null=True)).group_by("rule_ids").len().iter_rows())
            if new.height else {},
        }
        if new.height:
            _write_flags(run, new, mv)
        run.status, run.finished_at, run.counts = RunStatus.DONE, timezone.now(), counts
        run.policy_versions = [policy.version for policy, _ in groups]
        run.data_lists = mv.data_lists
        run.save()
        audit.record(actor=run.actor, action=ChangeAction.CREATE, obj=run, household_id=None,
                     region_code=run.region_code, source=run.source,
                     changes=audit.diff({}, {"kind": run.kind, "on": run.on.isoformat(), "new": new.height,
                                             "policy_versions": run.policy_versions, "data_lists": run.data_lists}))


def _write_flags(run: MonitoringRun, new: pl.DataFrame, mv: MonitoringView) -> None:
    ids = reserve_ids(MonitoringObject, new.height)
    rows = new.with_columns(pl.Series("id", ids, dtype=pl.Int64))
    copy_frame(MonitoringObject, rows.select(
        "id", "household_id", "type", pl.lit(MonitoringStatus.FLAGGED.value).alias("status"),
        pl.lit(Channel.DEPARTMENT.value).alias("channel"), "risk_causes", pl.lit("").alias("cause_note"),
        pl.col("line_amount").round(2), "line_year", "line_region", "line_note", "policy_version",
        pl.lit(run.pk, pl.Int64).alias("run_id"), pl.lit(run.on).alias("flagged_on"),
        pl.lit("").alias("procedure_version"), pl.lit("").alias("step"), *_ancestors(pl.col("village_code")),
    ))
    flags = rows.select("id", "rule_ids", "policy_version", _figures(FLAG_FIGURES).alias("values")).explode("rule_ids", empty_as_null=True)
    labels = {(policy.version, r.id): r for policy, _ in mv.policy_groups() for r in policy.flag_rules}
    keys = [f"{v}\x00{i}" for v, i in labels]

    def pick(attr: str, dtype: Any) -> pl.Expr:
        return (pl.col("policy_version") + pl.lit("\x00") + pl.col("rule_ids")).replace_strict(
            keys, [getattr(r, attr) for r in labels.values()], return_dtype=dtype).alias(attr)

    copy_frame(MonitoringFlag, flags.select(
        pl.col("id").alias("object_id"), pl.lit(run.pk, pl.Int64).alias("run_id"), pl.col("rule_ids").alias("rule_id"),
        pick("label_zh", pl.Utf8), pick("label_en", pl.Utf8), pick("text", pl.Utf8).alias("rule_text"),
        pick("sudden", pl.Boolean), "policy_version", "values", pl.lit(run.on).alias("raised_on"),
    ))
    copy_frame(MonitoringEvent, rows.select(
        pl.col("id").alias("object_id"), pl.lit("").alias("step"), pl.lit(EventAction.FLAG.value).alias("action"),
        pl.lit(run.on).alias("on"), pl.lit(run.actor_id, pl.Int64).alias("actor_id"),
        pl.lit(run.actor_name).alias("actor_name"), pl.lit(str(getattr(run.actor, "role", "") or "")).alias("actor_role"),
        pl.concat_str([pl.lit('{"rules": '), pl.col("rule_ids").list.eval(pl.lit('"') + pl.element() + pl.lit('"'))
                       .list.join(",").pipe(_bracketed), pl.lit("}")]).alias("evidence"),
        pl.lit(f"部门预警 flag run #{run.pk}").alias("comment"), pl.lit(run.source).alias("source"),
    ))


# ------------------------------------------------------------------------------------- elimination run


def run_elimination(*, actor: Any, region_code: str | None = None, on: dt.date | None = None,
                    source: str = "web") -> MonitoringRun:
    """风险消除 — assess every monitored object of the region on ``on``; see the module docstring."""
    started = time.perf_counter()
    code, day = _region(actor, region_code), _date(on)
    run = _start(RunKind.ELIMINATION, actor, code, day, source)
    return _finish(run, _eliminate, started)


def decisions_frame(mv: MonitoringView, objects: pl.DataFrame) -> pl.DataFrame:
    """``object_id, eliminable, stays_monitored, failed (JSON), facts (JSON), policy_version`` for the
    objects (object_id, household_id) whose household is in the view."""
    parts: list[pl.DataFrame] = []
    for policy, counties in mv.policy_groups():
        view = mv.view.filter(pl.col("county_code").is_in(counties)).join(
            objects.select("household_id"), on="household_id", how="semi")
        if view.height == 0:
            continue
        decided = elimination_frame(view, policy)
        reasons = {r.id: json.dumps(r.reason(), ensure_ascii=False) for r in policy.elimination_rules}
        parts.append(decided.join(view.select("household_id", _figures(DECISION_FIGURES).alias("facts")),
                                  on="household_id").with_columns(
            pl.col("failed").list.eval(pl.element().replace_strict(reasons, return_dtype=pl.Utf8)).list.join(",")
            .pipe(_bracketed).alias("failed"),
            pl.lit(policy.version).alias("policy_version")))
    if not parts:
        return pl.DataFrame(schema={"object_id": pl.Int64, "eliminable": pl.Boolean, "stays_monitored": pl.Boolean,
                                    "failed": pl.Utf8, "facts": pl.Utf8, "policy_version": pl.Utf8})
    return pl.concat(parts, how="vertical_relaxed").join(objects, on="household_id").select(
        "object_id", "eliminable", "stays_monitored", "failed", "facts", "policy_version")


def _eliminate(run: MonitoringRun) -> None:
    rows = list(MonitoringObject.objects.filter(**{LEVEL_FIELD[level_of(run.region_code)]: run.region_code},
                                                status=MonitoringStatus.MONITORED).values_list("pk", "household_id"))
    objects = pl.DataFrame(rows, schema={"object_id": pl.Int64, "household_id": pl.Int64}, orient="row")
    mv = monitoring_view(run.region_code, run.on)
    decided = decisions_frame(mv, objects)
    counts: dict[str, Any] = {
        "monitored": objects.height, "assessed": decided.height, "not_assessed": objects.height - decided.height,
        "eliminable": int(decided["eliminable"].sum()) if decided.height else 0,
        "stays_monitored": int(decided["stays_monitored"].sum()) if decided.height else 0,
    }
    with transaction.atomic():
        copy_frame(EliminationDecision, decided.select(
            "object_id", pl.lit(run.pk, pl.Int64).alias("run_id"), pl.lit(run.on).alias("made_on"), "eliminable",
            "stays_monitored", "failed", "facts", "policy_version", pl.lit(run.actor_name).alias("made_by_name")))
        run.status, run.finished_at, run.counts = RunStatus.DONE, timezone.now(), counts
        run.policy_versions = [policy.version for policy, _ in mv.policy_groups()]
        run.data_lists = mv.data_lists
        run.save()
        audit.record(actor=run.actor, action=ChangeAction.CREATE, obj=run, household_id=None,
                     region_code=run.region_code, source=run.source,
                     changes=audit.diff({}, {"kind": run.kind, "on": run.on.isoformat(), **counts}))


__all__ = ["decisions_frame", "run_elimination", "run_flags"]
