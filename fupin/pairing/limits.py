"""Which pairing limits apply where (结对限额): the defaults of :mod:`fupin.policy.pairing_rules`
with the overrides of the regions above a place, read from :class:`~fupin.pairing.models.PairingSetting`.

For a place on a day, the latest setting valid that day of each region above it (province, city,
county, township) is applied in that order, so a county's override wins over its province's.
"""

from __future__ import annotations

import datetime as dt

from fupin.policy import clock
from fupin.policy.pairing_rules import DEFAULT_LIMITS, PairingLimits, apply_overrides
from fupin.policy.regions import ancestor_codes

from .models import PairingSetting


def region_chain(region_code: str) -> list[str]:
    """The codes of the regions at or above ``region_code`` down to the township, outermost first."""
    if not region_code:
        return []
    codes = ancestor_codes(region_code)
    return [codes[lv] for lv in sorted(codes) if lv <= 4]


def effective_limits(region_code: str, on: dt.date | None = None) -> PairingLimits:
    """The limits in force at ``region_code`` on ``on`` (today by default)."""
    on = on or clock.today()
    chain = region_chain(region_code)
    rows = list(PairingSetting.objects.filter(region_code__in=chain, valid_from__lte=on)
                .order_by("region_code", "-valid_from", "-id"))
    latest: dict[str, PairingSetting] = {}
    for row in rows:
        latest.setdefault(row.region_code, row)
    limits = DEFAULT_LIMITS
    for code in chain:
        row = latest.get(code)
        if row is not None:
            limits = apply_overrides(limits, row.overrides, version=row.version)
    return limits


def limits_for_regions(region_codes: set[str] | list[str], on: dt.date | None = None) -> dict[str, PairingLimits]:
    """:func:`effective_limits` for many regions at once (one query), e.g. every helper's region."""
    on = on or clock.today()
    chains = {code: region_chain(code) for code in set(region_codes)}
    wanted = {c for chain in chains.values() for c in chain}
    latest: dict[str, PairingSetting] = {}
    for row in (PairingSetting.objects.filter(region_code__in=wanted, valid_from__lte=on)
                .order_by("region_code", "-valid_from", "-id")):
        latest.setdefault(row.region_code, row)
    out: dict[str, PairingLimits] = {}
    folded: dict[tuple[str, ...], PairingLimits] = {}
    for code, chain in chains.items():
        key = tuple(c for c in chain if c in latest)
        if key not in folded:
            limits = DEFAULT_LIMITS
            for c in key:
                limits = apply_overrides(limits, latest[c].overrides, version=latest[c].version)
            folded[key] = limits
        out[code] = folded[key]
    return out
