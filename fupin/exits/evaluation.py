"""Evaluating the exit criteria (退出标准判定) over the registry: one household, or a region in Polars.

The criteria are pure (:mod:`fupin.policy.exit_rules`); this module gives them their inputs:

- the **rules** and the **procedure** of a region on a date (:func:`rules_for`, :func:`procedure_for`):
  the shipped ones, changed by the :class:`~fupin.exits.models.ExitSetting` of the deepest region
  (county → city → province) above the household valid that day;
- the **poverty line**: the policy set in force in the county (:func:`fupin.rules.services.effective_policy`,
  so a county's own lines, standard and lag apply) through :func:`fupin.policy.exit_rules.exit_line`;
- the **household view** (:func:`fupin.policy.analytic_view.household_view` over
  :func:`fupin.rules.frames.registry_frames`, income counted as the policy counts it, with the exit line
  as ``poverty_line``);
- from the **audit trail** (:class:`fupin.core.models.ChangeRecord`), two facts the registry keeps no
  date for:

  * ``previous_income_per_capita`` — the income on record at the start of the year (the last yearly
    assessment): the old value of the first change of ``income_per_capita`` since 1 January of the
    year; when it has not changed since, the registry's current figure. (A household loaded this year
    counts with the figure it was loaded with.) It is judged against the previous year's exit line
    (``previous_poverty_line``);
  * ``returned_this_year`` — the household's 脱贫状态 changed from exited (1 or 4) to 3 返贫 during the
    year. A status put back by a withdrawn exit (2 → 3) is not a return.

The whole region is one set of column operations: one read of the registry, one of the audit trail,
one Polars pass per county (a county's policy and exit setting apply to its households).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.db.models.fields.json import KT
from django.utils import timezone

from fupin.core.models import ChangeAction, ChangeRecord
from fupin.policy.analytic_view import household_view
from fupin.policy.exit_procedure import ExitProcedure, load_exit_procedure
from fupin.policy.exit_rules import (
    ExitDecision,
    ExitLine,
    ExitRules,
    ExitRulesError,
    apply_exit_override,
    decide,
    decide_one,
    exit_line,
    load_default_exit_rules,
)
from fupin.policy.procedure import ProcedureError, apply_overrides
from fupin.policy.regions import level_of, prefix_of
from fupin.registry.services import RegistryError
from fupin.rules import frames
from fupin.rules.services import effective_policy, effective_version, region_chain

from .models import ExitSetting


class SettingError(RegistryError):
    """An exit setting that cannot be applied (shown like any refused write)."""


# ------------------------------------------------------------------------------------ rules and procedure


def setting_for(region_code: str, on: dt.date) -> ExitSetting | None:
    """The exit setting of the deepest region (county → city → province) above ``region_code`` valid on ``on``."""
    chain = [c for c in region_chain(region_code) if c]
    rows = list(ExitSetting.objects.filter(region_code__in=chain, valid_from__lte=on))
    if not rows:
        return None
    return min(rows, key=lambda s: (chain.index(s.region_code), -s.valid_from.toordinal(), -s.pk))


def _apply_rules(setting: ExitSetting | None) -> ExitRules:
    base = load_default_exit_rules()
    if setting is None or not setting.rules_override:
        return base
    try:
        return apply_exit_override(base, setting.rules_override, version=setting.version,
                                   valid_from=setting.valid_from)
    except (ExitRulesError, ValueError) as err:
        raise SettingError(f"退出设置 {setting.version} 有误: {err} / invalid exit setting",
                           {"setting": [str(err)]}) from err


def _apply_procedure(setting: ExitSetting | None) -> ExitProcedure:
    base = load_exit_procedure()
    if setting is None or not setting.procedure_overrides:
        return base
    try:
        result = apply_overrides(base, setting.procedure_overrides, version=setting.version)
    except ProcedureError as err:
        raise SettingError(f"退出设置 {setting.version} 有误: {err.message} / invalid exit setting",
                           {"setting": [err.message]}) from err
    assert isinstance(result, ExitProcedure)
    return result


def rules_for(region_code: str, on: dt.date) -> ExitRules:
    """The exit criteria in force for ``region_code`` (a household's village, or a county) on ``on``."""
    return _apply_rules(setting_for(region_code, on))


def procedure_for(region_code: str, on: dt.date) -> ExitProcedure:
    """The exit procedure in force for ``region_code`` on ``on``."""
    return _apply_procedure(setting_for(region_code, on))


def check_setting(setting: ExitSetting) -> None:
    """Refuse (SettingError) a setting whose overrides do not apply (used by the admin before saving)."""
    if len(setting.region_code) != 12 or not setting.region_code.isdigit() or level_of(setting.region_code) > 3:
        raise SettingError("区划应为省、市或县的12位代码 / a province, city or county code",
                           {"region_code": ["省、市或县 / province, city or county"]})
    _apply_rules(setting)
    _apply_procedure(setting)


# ------------------------------------------------------------------------------------ the audit trail


def year_start(year: int) -> dt.datetime:
    """1 January of ``year``, 00:00 in the project's time zone."""
    return timezone.make_aware(dt.datetime(year, 1, 1))


AUDIT_SCHEMA = {"household_id": pl.Int64, "income_at_start": pl.Float64, "returned_this_year": pl.Boolean}


def audit_inputs(*, year: int, region_code: str = "", household_ids: Sequence[int] | None = None) -> pl.DataFrame:
    """``household_id, income_at_start, returned_this_year`` for the households with audit rows that
    matter (see the module doc); households without such rows are absent (unchanged, not returned)."""
    base = ChangeRecord.objects.filter(model="registry.household", at__gte=year_start(year)).exclude(
        action=ChangeAction.CREATE)
    if household_ids is not None:
        base = base.filter(household_id__in=list(household_ids))
    elif region_code:
        base = base.filter(region_code__startswith=prefix_of(region_code, level_of(region_code)))
    incomes = list(base.filter(changes__has_key="income_per_capita")
                   .annotate(old=KT("changes__income_per_capita__0")).order_by("household_id", "at", "id")
                   .values_list("household_id", "old"))
    statuses = list(base.filter(changes__has_key="poverty_status", at__lt=year_start(year + 1))
                    .annotate(old=KT("changes__poverty_status__0"), new=KT("changes__poverty_status__1"))
                    .values_list("household_id", "old", "new"))
    first = (pl.DataFrame(incomes, schema={"household_id": pl.Int64, "old": pl.String}, orient="row")
             .group_by("household_id", maintain_order=True).first()
             .select("household_id", pl.col("old").cast(pl.Float64, strict=False).alias("income_at_start")))
    back = (pl.DataFrame(statuses, schema={"household_id": pl.Int64, "old": pl.String, "new": pl.String}, orient="row")
            .filter((pl.col("new") == "3") & pl.col("old").is_in(["1", "4"]))
            .select("household_id").unique().with_columns(pl.lit(True).alias("returned_this_year")))
    return (first.join(back, on="household_id", how="full", coalesce=True)
            .with_columns(pl.col("returned_this_year").fill_null(False)).select(list(AUDIT_SCHEMA)))


# ------------------------------------------------------------------------------------ evaluating


@dataclass(frozen=True)
class CountyBasis:
    """What one county's households were judged by: the exit rules, the policy set (and its stored
    version, None for the built-in default), this year's and last year's exit lines."""

    county_code: str
    rules: ExitRules
    policy: Any
    policy_record: Any
    line: ExitLine
    previous_line: ExitLine

    def details(self) -> dict[str, Any]:
        return {"rules_version": self.rules.version, "policy_version": self.policy.version,
                "line": self.line.to_dict(), "previous_line": self.previous_line.to_dict()}


def basis_for(county_code: str, *, year: int, on: dt.date) -> CountyBasis:
    """The county's exit rules and policy on ``on``, and the exit lines of ``year`` and the year before."""
    rules = rules_for(county_code, on)
    policy = effective_policy(county_code, on)
    try:
        line = exit_line(rules, policy, year=year, region_code=county_code)
        previous = exit_line(rules, policy, year=year - 1, region_code=county_code)
    except ExitRulesError as err:
        raise SettingError(f"{err}", {"year": [str(err)]}) from err
    return CountyBasis(county_code, rules, policy, effective_version(county_code, on), line, previous)


EVALUATED_COLUMNS = ("household_id", "household_number", "village_code", "county_code", "poverty_status",
                     "identification_year", "income_per_capita", "poverty_line", "previous_income_per_capita",
                     "previous_poverty_line", "returned_this_year", "meets", "failed", "rules_version")


def _rows(households: pl.DataFrame, members: pl.DataFrame, audit: pl.DataFrame, basis: CountyBasis,
          on: dt.date) -> pl.DataFrame:
    """The household view with the exit line and the three extra inputs, for one county's households."""
    view = household_view(households, members, as_of=on, poverty_line=dict(basis.line.by_standard),
                          income_settings=basis.policy.income)
    stored = households.select(pl.col("id").alias("household_id"),
                               pl.col("income_per_capita").cast(pl.Float64).alias("_stored_income"))
    previous = dict(basis.previous_line.by_standard)
    return (view.join(stored, on="household_id", how="left").join(audit, on="household_id", how="left")
            .with_columns(
                pl.coalesce(pl.col("income_at_start"), pl.col("_stored_income")).alias("previous_income_per_capita"),
                pl.col("identification_standard").replace_strict(previous, default=None, return_dtype=pl.Float64)
                .alias("previous_poverty_line"),
                pl.col("returned_this_year").fill_null(False))
            .drop("_stored_income", "income_at_start"))


def evaluate_frames(households: pl.DataFrame, members: pl.DataFrame, audit: pl.DataFrame, *, year: int,
                    on: dt.date) -> tuple[pl.DataFrame, dict[str, CountyBasis]]:
    """Evaluate households already read (:func:`fupin.rules.frames.registry_frames`), county by county.
    Returns the frame (:data:`EVALUATED_COLUMNS`) and the basis of each county."""
    out: list[pl.DataFrame] = []
    bases: dict[str, CountyBasis] = {}
    counties = sorted(households["county_code"].unique().to_list()) if households.height else []
    for county in counties:
        basis = basis_for(county, year=year, on=on)
        bases[county] = basis
        h = households.filter(pl.col("county_code") == county)
        m = members.filter(pl.col("household_id").is_in(h["id"].implode()))
        rows = _rows(h, m, audit, basis, on)
        decided = decide(rows, basis.rules, year=year)
        out.append(rows.join(decided, on="household_id", how="left").select(EVALUATED_COLUMNS))
    if not out:
        return pl.DataFrame(schema=_EMPTY_SCHEMA), bases
    return pl.concat(out, how="vertical_relaxed"), bases


_EMPTY_SCHEMA = {"household_id": pl.Int64, "household_number": pl.String, "village_code": pl.String,
                 "county_code": pl.String, "poverty_status": pl.String, "identification_year": pl.Int64,
                 "income_per_capita": pl.Float64, "poverty_line": pl.Float64,
                 "previous_income_per_capita": pl.Float64, "previous_poverty_line": pl.Float64,
                 "returned_this_year": pl.Boolean, "meets": pl.Boolean, "failed": pl.List(pl.String),
                 "rules_version": pl.String}


def evaluate_region(region_code: str, *, year: int, on: dt.date) -> tuple[pl.DataFrame, dict[str, CountyBasis]]:
    """Every active household under ``region_code`` judged for exit in ``year`` (Polars). No scope
    check here: callers (selectors) check that the region lies in the user's scope first."""
    households, members = frames.registry_frames(region_code)
    audit = audit_inputs(year=year, region_code=region_code)
    return evaluate_frames(households, members, audit, year=year, on=on)


@dataclass(frozen=True)
class HouseholdEvaluation:
    """One household judged for exit: the decision (with every check passed or failed), the row it
    was made on, and its basis."""

    decision: ExitDecision
    row: dict[str, Any]
    basis: CountyBasis

    def details(self) -> dict[str, Any]:
        keep = ("income_per_capita", "poverty_line", "previous_income_per_capita", "previous_poverty_line",
                "returned_this_year", "identification_year", "poverty_status", "identification_standard", "status",
                "food_secure", "clothing_secure", "education_secure", "medical_secure", "housing_secure",
                "drinking_water_safe")
        values = {k: _json_safe(self.row.get(k)) for k in keep}
        return {**self.basis.details(), "year": self.decision.year, "values": values,
                "failed": [r.to_dict() for r in self.decision.failed],
                "passed": [r.to_dict() for r in self.decision.passed]}


def _json_safe(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 2)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def evaluate_household(household: Any, *, year: int, on: dt.date) -> HouseholdEvaluation:
    """One household (any record status) judged for exit in ``year`` by its county's rules on ``on``."""
    households, members = frames.registry_frames(household_ids=[household.pk])
    audit = audit_inputs(year=year, household_ids=[household.pk])
    basis = basis_for(household.county_code, year=year, on=on)
    rows = _rows(households, members, audit, basis, on)
    row = rows.row(0, named=True) if rows.height else {"household_id": household.pk, "status": household.status}
    return HouseholdEvaluation(decide_one(row, basis.rules, year=year), dict(row), basis)


__all__ = ["AUDIT_SCHEMA", "EVALUATED_COLUMNS", "CountyBasis", "HouseholdEvaluation", "SettingError", "audit_inputs",
           "basis_for", "check_setting", "evaluate_frames", "evaluate_household", "evaluate_region", "procedure_for",
           "rules_for", "setting_for", "year_start"]
