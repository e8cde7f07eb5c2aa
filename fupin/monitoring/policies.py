"""Which monitoring policy applies where and when (监测政策).

:func:`effective_monitoring` — the national default (:func:`fupin.policy.monitoring.load_default_monitoring`)
with the settings (:class:`~fupin.monitoring.models.MonitoringSetting`) of the region's province, city,
county, township and village applied in that order: for each of those regions the setting valid on the
day with the latest ``valid_from`` (so a province sets its lines each year, and a county that changes a
rule keeps them). The resulting policy carries the version of the deepest setting applied (versions are
unique), or the default's. A setting that cannot be applied is refused with its version named.

:func:`line_for` — the monitoring line of a county for a year (a multiple of the poverty line takes the
line of the policy set in force, :mod:`fupin.rules.versions`).
"""

from __future__ import annotations

import datetime as dt

from fupin.policy.monitoring import (
    MonitoringLineMissing,
    MonitoringPolicy,
    MonitoringPolicyError,
    ResolvedLine,
    apply_override,
    load_default_monitoring,
)
from fupin.policy.poverty_lines import PovertyLineMissing
from fupin.policy.regions import ancestor_codes

from .errors import MonitoringError
from .models import MonitoringSetting

_CACHE: dict[tuple[int, ...], MonitoringPolicy] = {}


def settings_for(region_code: str, on: dt.date) -> list[MonitoringSetting]:
    """The settings applied to ``region_code`` on ``on``, from the province down."""
    ancestors = ancestor_codes(region_code)
    rows = list(MonitoringSetting.objects.filter(region_code__in=list(ancestors.values()), valid_from__lte=on))
    chosen: dict[str, MonitoringSetting] = {}
    for row in sorted(rows, key=lambda s: (s.valid_from, s.pk)):
        chosen[row.region_code] = row
    return [chosen[code] for _level, code in sorted(ancestors.items()) if code in chosen]


def effective_monitoring(region_code: str, on: dt.date) -> MonitoringPolicy:
    """The monitoring policy of a region on a day (see the module docstring)."""
    chain = settings_for(region_code, on) if region_code else []
    key = tuple(s.pk for s in chain)
    if key in _CACHE:
        return _CACHE[key]
    policy = load_default_monitoring()
    for setting in chain:
        try:
            policy = apply_override(policy, setting.overrides or {}, version=setting.version)
        except (MonitoringPolicyError, ValueError, KeyError, TypeError) as err:
            raise MonitoringError(f"监测政策设置 {setting.version} 有误 / invalid monitoring setting: {err}",
                                  {"setting": [str(err)]}) from err
    _CACHE[key] = policy
    return policy


def line_for(policy: MonitoringPolicy, county_code: str, year: int, on: dt.date) -> ResolvedLine:
    """The monitoring line of ``county_code`` for ``year`` (a multiple of a poverty line takes the line of
    that year from the policy set in force there on ``on``)."""
    try:
        line = policy.lines.find(year=year, region_code=county_code)
    except MonitoringLineMissing as err:
        raise MonitoringError(str(err), {"line": [str(err)]}) from err
    poverty_line: float | None = None
    if line.multiple is not None:
        from fupin.rules.versions import effective_policy

        try:
            poverty_line = effective_policy(county_code, on).poverty_line(year=line.year, region_code=county_code)
        except PovertyLineMissing as err:
            raise MonitoringError(str(err), {"line": [str(err)]}) from err
    try:
        return policy.lines.resolve(year=year, region_code=county_code, poverty_line=poverty_line)
    except MonitoringLineMissing as err:
        raise MonitoringError(str(err), {"line": [str(err)]}) from err


def clear_cache() -> None:
    _CACHE.clear()
