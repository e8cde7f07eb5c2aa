"""Runs over a region (批量运行): rules, the eligibility set, pathway schemes — Polars, stored in bulk.

``create_*`` makes the run row (checked: region in scope, rule text compiles, scheme exists;
``queued``), ``execute_*`` does the work over the region's analytic views, county group by county
group (each county's own policy), stores the results in bulk (COPY on PostgreSQL) and the counts for
every region level, with progress on the run row for htmx polling; ``run_*`` does both now. The pages
start ``execute_*`` with :mod:`fupin.rules.jobs`. Runs need ``registry.view`` in their region: they
read what the user may read and change nothing in the registry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import polars as pl
from django.db import transaction
from django.utils import timezone

from fupin.core import audit, heartbeat
from fupin.core.bulk import copy_frame
from fupin.core.scoping import require_in_scope
from fupin.policy import clock, roles
from fupin.policy.eligibility import decide
from fupin.policy.pathways import TOTAL, classify, count_by_region
from fupin.policy.policy_sets import INCOME_RULE_ID, PolicySet, Scheme
from fupin.policy.regions import PREFIX_LENGTH, RegionCodeError, level_of, normalize_code
from fupin.policy.rules import compile_for_unit

from . import frames
from .choices import Outcome, RunKind, RunStatus
from .errors import RulesRefused
from .models import PathwayAssignment, PathwayRun, RuleMatch, RuleRun
from .versions import effective_policy, rule_error

log = logging.getLogger(__name__)
Progress = Callable[[int, str], None]
ADHOC_RULE_ID = "adhoc"

def _check_region(actor: Any, region_code: str) -> str:
    try:
        code = normalize_code(region_code)
    except RegionCodeError as exc:
        raise RulesRefused(str(exc), "region_code") from exc
    if actor is not None:
        require_in_scope(actor, code, roles.VIEW_REGISTRY)
    return code


def _set_progress(model: type[RuleRun] | type[PathwayRun], pk: int, percent: int, label: str,
                  progress: Progress | None) -> None:
    model.objects.filter(pk=pk).update(progress=percent, progress_label=label[:100])
    if progress:
        progress(percent, label)


def _beat(model: type[RuleRun] | type[PathwayRun], pk: int) -> None:
    """The run's heartbeat (:mod:`fupin.core.heartbeat`), while it is running."""
    model.objects.filter(pk=pk, status=RunStatus.RUNNING).update(heartbeat_at=timezone.now())


def _with_levels(frame: pl.DataFrame) -> pl.DataFrame:
    """Add the region code of every level (``l1`` … ``l5``) from ``village_code``."""
    return frame.with_columns(
        pl.col("village_code").str.slice(0, PREFIX_LENGTH[lv]).str.pad_end(12, "0").alias(f"l{lv}")
        for lv in range(1, 6)
    )


def region_counts(frame: pl.DataFrame, key: str, from_level: int) -> list[dict[str, Any]]:
    """Distinct households per ``key`` for every region from ``from_level`` down to the villages:
    ``[{"level", "code", key, "households"}]``; ``frame`` has ``household_id, village_code, key``."""
    if frame.height == 0:
        return []
    leveled = _with_levels(frame)
    out: list[dict[str, Any]] = []
    for lv in range(from_level, 6):
        grouped = (leveled.group_by(pl.col(f"l{lv}").alias("code"), key)
                   .agg(pl.col("household_id").n_unique().alias("households"))
                   .with_columns(pl.lit(lv).alias("level")).sort("code", key))
        out.extend(grouped.to_dicts())
    return out


def _versions_label(groups: Sequence[frames.ViewGroup]) -> str:
    return ", ".join(dict.fromkeys(g.policy.version for g in groups))[:60]


def create_rule_run(*, actor: Any, region_code: str, rule_text: str = "", rule_ids: Sequence[str] = (),
                    eligibility: bool = False, on: date | None = None, source: str = "web") -> RuleRun:
    """A queued rule run, checked: the region is in scope, the text compiles, the rule ids exist."""
    code = _check_region(actor, region_code)
    on = on or clock.today()
    policy = effective_policy(code, on)
    text = (rule_text or "").strip()
    ids = list(dict.fromkeys(str(i).strip() for i in rule_ids if str(i).strip()))
    if eligibility:
        kind, text, ids = RunKind.ELIGIBILITY, "", []
    else:
        kind = RunKind.RULE
        if not text and not ids:
            raise RulesRefused("请填写规则或选择规则 / give a rule text or choose rules", "rule_text")
        if text:
            message = rule_error(text)
            if message:
                raise RulesRefused(message, "rule_text")
        known = {r.id for r in (*policy.eligibility, *policy.exclusions)}
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise RulesRefused(f"未知规则 unknown rules: {', '.join(unknown)}", "rule_ids")
    return RuleRun.objects.create(
        kind=kind, region_code=code, as_of=on, rule_text=text, rule_ids=ids, policy_version=policy.version[:60],
        actor=actor if getattr(actor, "pk", None) else None, actor_name=audit.actor_name(actor), source=source,
    )


HITS_SCHEMA = {"household_id": pl.Int64, "rule_id": pl.String}


def _rule_hits(run: RuleRun, group: frames.ViewGroup) -> pl.DataFrame:
    """``household_id, rule_id`` for every (household, rule) of the run that held in one view group.

    The eligibility set gives, per household, its outcome (``eligible`` / ``excluded`` /
    ``not_eligible``), ``income_below_line`` when the income test held, and every exclusion rule that
    held; a rule run gives the households each rule held for (``adhoc`` for the typed text)."""
    policy, hv = group.policy, group.households
    parts: list[pl.DataFrame] = []
    if run.kind == RunKind.ELIGIBILITY:
        decided = decide(hv, policy)
        outcome = (pl.when(pl.col("eligible")).then(pl.lit(Outcome.ELIGIBLE.value))
                   .when(pl.col("excluded")).then(pl.lit(Outcome.EXCLUDED.value))
                   .otherwise(pl.lit(Outcome.NOT_ELIGIBLE.value)))
        exclusion_ids = [r.id for r in policy.active_exclusions]
        parts = [
            decided.select("household_id", outcome.alias("rule_id")),
            decided.filter(pl.col("income_below_line")).select("household_id",
                                                               pl.lit(INCOME_RULE_ID).alias("rule_id")),
            decided.select("household_id", pl.col("reasons").alias("rule_id")).explode("rule_id", empty_as_null=True)
            .filter(pl.col("rule_id").is_in(exclusion_ids)),
        ]
    else:
        rules: list[tuple[str, str]] = [(ADHOC_RULE_ID, run.rule_text)] if run.rule_text else []
        by_id = {r.id: r for r in (*policy.eligibility, *policy.exclusions)}
        rules.extend((i, by_id[i].text) for i in run.rule_ids if i in by_id)
        for rule_id, text in rules:
            hit = hv.filter(compile_for_unit(text, "household").to_polars()).select("household_id")
            parts.append(hit.with_columns(pl.lit(rule_id).alias("rule_id")))
    if not parts:
        return pl.DataFrame(schema=HITS_SCHEMA)
    return pl.concat([p.select(pl.col("household_id").cast(pl.Int64), pl.col("rule_id").cast(pl.String))
                      for p in parts], how="vertical")


def execute_rule_run(run_id: int, *, progress: Progress | None = None) -> RuleRun:
    """Run a queued rule run over its region in Polars; store the matches (bulk) and the counts."""
    run = RuleRun.objects.get(pk=run_id)
    RuleRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, error="", heartbeat_at=timezone.now())
    try:
        with heartbeat.beating(lambda: _beat(RuleRun, run.pk), every=heartbeat.beat_seconds()):
            _set_progress(RuleRun, run.pk, 5, "读取登记数据 / reading the registry", progress)
            groups = frames.view_groups(run.region_code, as_of=run.as_of)
            _set_progress(RuleRun, run.pk, 50, "运行规则 / running the rules", progress)
            hits = pl.concat([_rule_hits(run, g) for g in groups] or [pl.DataFrame(schema=HITS_SCHEMA)], how="vertical")
            places = pl.concat([g.households.select("household_id", "village_code") for g in groups]
                               or [pl.DataFrame(schema={"household_id": pl.Int64, "village_code": pl.String})])
            located = hits.join(places, on="household_id")
            counts = {
                "households": places.height,
                "line_years": sorted({g.line_year for g in groups}),
                "by_rule": {r["rule_id"]: r["households"] for r in
                            located.group_by("rule_id").agg(pl.col("household_id").n_unique().alias("households"))
                            .sort("rule_id").to_dicts()},
                "regions": region_counts(located, "rule_id", level_of(run.region_code)),
            }
            _set_progress(RuleRun, run.pk, 80, "保存结果 / storing the results", progress)
            with transaction.atomic():
                RuleMatch.objects.filter(run_id=run.pk).delete()
                copy_frame(RuleMatch, hits.select(pl.lit(run.pk, pl.Int64).alias("run_id"), "household_id", "rule_id"))
                RuleRun.objects.filter(pk=run.pk).update(
                    status=RunStatus.DONE, counts=counts, policy_version=_versions_label(groups) or run.policy_version,
                    progress=100, progress_label="完成 / done", finished_at=timezone.now())
    except Exception as exc:
        log.exception("rule run %s failed", run.pk)
        message = exc.message if isinstance(exc, RulesRefused) else f"{type(exc).__name__}: {exc}"
        RuleRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, error=message[:2000],
                                                 finished_at=timezone.now())
    return RuleRun.objects.get(pk=run.pk)


def run_rule(actor: Any, region_code: str, *, rule_text: str = "", rule_ids: Sequence[str] = (),
             on: date | None = None, source: str = "cli") -> RuleRun:
    """A rule (text) or named rules of the policy over a region, run now (synchronously)."""
    run = create_rule_run(actor=actor, region_code=region_code, rule_text=rule_text, rule_ids=rule_ids, on=on,
                          source=source)
    return execute_rule_run(run.pk)


def run_eligibility(actor: Any, region_code: str, *, on: date | None = None, source: str = "cli") -> RuleRun:
    """The eligibility set (income test + exclusions) over a region, run now."""
    run = create_rule_run(actor=actor, region_code=region_code, eligibility=True, on=on, source=source)
    return execute_rule_run(run.pk)


def create_pathway_run(*, actor: Any, region_code: str, scheme_id: str, on: date | None = None,
                       source: str = "web") -> PathwayRun:
    """A queued pathway run, checked: the region is in scope, the scheme exists in its policy."""
    code = _check_region(actor, region_code)
    on = on or clock.today()
    policy = effective_policy(code, on)
    scheme = policy.schemes.get(scheme_id)
    if scheme is None:
        raise RulesRefused(f"未知方案 unknown scheme: {scheme_id}", "scheme_id")
    return PathwayRun.objects.create(
        scheme_id=scheme_id, unit=scheme.unit, region_code=code, as_of=on, policy_version=policy.version[:60],
        actor=actor if getattr(actor, "pk", None) else None, actor_name=audit.actor_name(actor), source=source,
    )


def pathway_counts(scheme: Scheme, assigned: pl.DataFrame, households: pl.DataFrame, from_level: int
                   ) -> dict[str, Any]:
    """The stored counts of a classification: totals, per pathway, and per pathway (and ``*``, any
    pathway) for every region level from ``from_level`` down (:func:`fupin.policy.pathways.count_by_region`)."""
    table = count_by_region(scheme, assigned, households, levels=range(from_level, 6), with_total=True)
    regions = [{"level": int(r["level"]), "code": r["region_code"], "pathway_id": r["pathway_id"],
                "households": int(r["n_households"]), "persons": int(r["n_persons"])} for r in table.to_dicts()]
    top = [r for r in regions if r["level"] == from_level]
    by_pathway: dict[str, dict[str, int]] = {}
    for r in top:
        entry = by_pathway.setdefault(r["pathway_id"], {"households": 0, "persons": 0})
        entry["households"] += r["households"]
        entry["persons"] += r["persons"]
    classified = by_pathway.pop(TOTAL, {"households": 0, "persons": 0})
    persons_total = int(households["n_members"].sum() or 0) if households.height else 0
    return {
        "households": households.height, "persons": persons_total,
        "classified_households": classified["households"], "classified_persons": classified["persons"],
        "unclassified_households": households.height - classified["households"],
        "by_pathway": by_pathway, "regions": regions,
    }


ASSIGNED_SCHEMA = {"household_id": pl.Int64, "member_id": pl.Int64, "pathway_id": pl.String, "rule_id": pl.String}


def execute_pathway_run(run_id: int, *, progress: Progress | None = None) -> PathwayRun:
    """Classify the region's households (or persons) by the run's scheme; store the assignments in bulk
    and the counts for every region level. Counties whose policy lacks the scheme are left out (and
    named in the counts)."""
    run = PathwayRun.objects.get(pk=run_id)
    PathwayRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, error="", heartbeat_at=timezone.now())
    try:
        with heartbeat.beating(lambda: _beat(PathwayRun, run.pk), every=heartbeat.beat_seconds()):
            _set_progress(PathwayRun, run.pk, 5, "读取登记数据 / reading the registry", progress)
            groups = frames.view_groups(run.region_code, as_of=run.as_of)
            _set_progress(PathwayRun, run.pk, 50, "分类 / classifying", progress)
            parts: list[pl.DataFrame] = []
            views: list[pl.DataFrame] = []
            skipped: list[str] = []
            scheme = None
            for g in groups:
                found = g.policy.schemes.get(run.scheme_id)
                if found is None:
                    skipped.extend(g.county_codes)
                    continue
                scheme = scheme or found
                parts.append(classify(found, g.households, g.persons).select(list(ASSIGNED_SCHEMA)))
                views.append(g.households.select("household_id", "village_code", "n_members"))
            if scheme is None:
                raise RulesRefused(f"本区域的政策没有方案 {run.scheme_id} / no policy here has the scheme")
            assigned = pl.concat(parts, how="vertical").cast(ASSIGNED_SCHEMA)
            households = pl.concat(views, how="vertical")
            counts = pathway_counts(scheme, assigned, households, level_of(run.region_code))
            counts["pathways"] = [{"id": p.id, "label_zh": p.label_zh, "label_en": p.label_en} for p in scheme.pathways]
            counts["line_years"] = sorted({g.line_year for g in groups})
            counts["skipped_counties"] = skipped
            _set_progress(PathwayRun, run.pk, 80, "保存结果 / storing the results", progress)
            with transaction.atomic():
                PathwayAssignment.objects.filter(run_id=run.pk).delete()
                copy_frame(PathwayAssignment, assigned.with_columns(pl.lit(run.pk, pl.Int64).alias("run_id")))
                PathwayRun.objects.filter(pk=run.pk).update(
                    status=RunStatus.DONE, counts=counts, unit=scheme.unit,
                    policy_version=_versions_label(groups) or run.policy_version, progress=100,
                    progress_label="完成 / done", finished_at=timezone.now())
    except Exception as exc:
        log.exception("pathway run %s failed", run.pk)
        message = exc.message if isinstance(exc, RulesRefused) else f"{type(exc).__name__}: {exc}"
        PathwayRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, error=message[:2000],
                                                    finished_at=timezone.now())
    return PathwayRun.objects.get(pk=run.pk)


def run_scheme(actor: Any, region_code: str, scheme_id: str, *, on: date | None = None,
               source: str = "cli") -> PathwayRun:
    """A pathway scheme (N个一批) over a region, run now (synchronously)."""
    run = create_pathway_run(actor=actor, region_code=region_code, scheme_id=scheme_id, on=on, source=source)
    return execute_pathway_run(run.pk)


def rule_labels(policy: PolicySet, *, english: bool = False) -> dict[str, str]:
    """rule id → label: the policy's rules (Chinese, or English with ``english`` where the rule has
    one), the outcome codes and the ad-hoc rule (both languages: ``中文 English``)."""
    out = {r.id: (r.label_en or r.label_zh) if english else r.label_zh for r in (*policy.eligibility, *policy.exclusions)}
    out.update({o.value: o.label for o in Outcome})
    out[ADHOC_RULE_ID] = "试算规则 ad-hoc rule"
    return out
