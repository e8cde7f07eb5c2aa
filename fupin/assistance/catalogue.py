"""Which measure catalogue (帮扶措施目录) and visit interval apply where: the shipped default, or a region's
:class:`~fupin.assistance.models.AssistanceSetting` (the deepest region above a village with a setting valid
on the day; within a region, the latest ``valid_from``).

:func:`interval_expr` gives the visit interval for a whole frame of villages as one Polars expression (a
``when … then`` per setting, a handful of rows), so an overdue list of a county is column work.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from fupin.policy import clock
from fupin.policy.measures import MeasureCatalogue, MeasureError, apply_override, load_default_catalogue
from fupin.policy.regions import ancestor_codes, level_of, prefix_of
from fupin.registry.services import RegistryError

from .models import AssistanceSetting

_CACHE: dict[tuple[int, str], MeasureCatalogue] = {}


class CatalogueError(RegistryError):
    """A stored setting that cannot be applied (shown like any refused write)."""


def catalogue_of(setting: AssistanceSetting | None) -> MeasureCatalogue:
    """The catalogue a setting gives (the default for None); settings never change, so they are cached."""
    if setting is None:
        return load_default_catalogue()
    key = (setting.pk, setting.version)
    if key not in _CACHE:
        try:
            _CACHE[key] = apply_override(load_default_catalogue(), {"version": setting.version, **setting.overrides})
        except (MeasureError, ValueError) as exc:
            raise CatalogueError(f"帮扶设置 {setting.version} 有误 / invalid assistance setting: "
                                 f"{getattr(exc, 'message', str(exc))}") from exc
    return _CACHE[key]


def effective_setting(region_code: str, on: dt.date | None = None) -> AssistanceSetting | None:
    """The setting that applies to ``region_code`` (any level) on ``on`` (default today), or None."""
    on = on or clock.today()
    ancestors = list(ancestor_codes(region_code).values())
    rows = list(AssistanceSetting.objects.filter(region_code__in=ancestors, valid_from__lte=on))
    if not rows:
        return None
    return max(rows, key=lambda s: (level_of(s.region_code), s.valid_from, s.pk))


def effective_catalogue(region_code: str, on: dt.date | None = None) -> MeasureCatalogue:
    """The measure catalogue that applies to a region (a village, usually) on a day."""
    return catalogue_of(effective_setting(region_code, on))


def interval_expr(region_code: str, on: dt.date, village_column: str = "village_code") -> pl.Expr:
    """The visit interval (days) for each village of a frame inside ``region_code``: the default, then
    each setting valid on ``on`` of a region above or inside ``region_code`` — shallow regions first, so
    the deepest wins, as :func:`effective_setting` picks for one village."""
    default = load_default_catalogue().visit_interval_days
    level = level_of(region_code)
    inside = prefix_of(region_code, level)
    above = set(ancestor_codes(region_code).values())
    rows = [s for s in AssistanceSetting.objects.filter(valid_from__lte=on).order_by("valid_from", "pk")
            if s.region_code in above or s.region_code.startswith(inside)]
    latest: dict[str, AssistanceSetting] = {}
    for s in rows:
        latest[s.region_code] = s  # ordered by valid_from: the last one is the latest
    expr: pl.Expr = pl.lit(default, dtype=pl.Int64)
    for code in sorted(latest, key=level_of):
        n = catalogue_of(latest[code]).visit_interval_days
        prefix = prefix_of(code, level_of(code))
        expr = pl.when(pl.col(village_column).str.starts_with(prefix)).then(pl.lit(n, dtype=pl.Int64)).otherwise(expr)
    return expr


__all__ = ["CatalogueError", "catalogue_of", "effective_catalogue", "effective_setting", "interval_expr"]
