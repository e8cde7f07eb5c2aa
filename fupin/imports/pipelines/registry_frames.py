"""The registry as Polars frames, for the roster import (登记库 → 数据框).

Extract only: the villages an importer may write to, the active members (for 一人一户), and the
registry households and members the file names, with the fields the roster carries, in their
canonical text forms (:mod:`.diff_roster` compares them to the file's). Reads go through
:func:`fupin.core.bulk.read_frame` (``COPY … TO STDOUT`` on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl
from django.db import connection

from fupin.core.bulk import read_frame
from fupin.core.scoping import visible_to
from fupin.policy import roles
from fupin.policy.regions import LEVEL_VILLAGE, prefix_of
from fupin.regions.models import Region
from fupin.registry.models import Household, Member

from .diff_roster import HOUSEHOLD_COMPARED, HOUSEHOLD_DERIVED_COMPARED, MEMBER_COMPARED, canonical

_CHUNK = 500


def villages_frame(actor: Any, region_code: str | None = None) -> pl.DataFrame:
    """``code, township_name, village_name, county_name`` of the villages ``actor`` may edit
    (``None``: the system, every village), limited to ``region_code`` when given."""
    villages = Region.objects.filter(level=LEVEL_VILLAGE)
    if actor is not None:
        villages = visible_to(actor, villages, roles.EDIT_REGISTRY)
    if region_code:
        villages = villages.filter(code__startswith=prefix_of(region_code))
    rows = list(villages.values_list("code", "name"))
    county_codes = {c[:6].ljust(12, "0") for c, _ in rows}
    township_codes = {c[:9] + "000" for c, _ in rows}
    names = dict(Region.objects.filter(code__in=county_codes | township_codes).values_list("code", "name"))
    township_names = {c: n for c, n in names.items() if c in township_codes}
    return pl.DataFrame(
        {
            "code": [c for c, _ in rows],
            "township_name": [township_names.get(c[:9] + "000", "") for c, _ in rows],
            "village_name": [n for _, n in rows],
            "county_name": [names.get(c[:6].ljust(12, "0"), "") for c, _ in rows],
        },
        schema={"code": pl.Utf8, "township_name": pl.Utf8, "village_name": pl.Utf8, "county_name": pl.Utf8},
    )


def active_members_frame() -> pl.DataFrame:
    """``id_number, household_number`` of every active member (one person, one household)."""
    m, h = Member._meta.db_table, Household._meta.db_table
    return read_frame(
        f"SELECT m.id_number, h.household_number FROM {m} m JOIN {h} h ON h.id = m.household_id "
        "WHERE m.status = 'active'"
    )


def _where_numbers(numbers: Sequence[str]) -> list[tuple[str, list[Any]]]:
    """``household_number`` conditions for ``numbers`` (one ANY(array) on PostgreSQL, chunks elsewhere)."""
    if connection.vendor == "postgresql":
        return [("h.household_number = ANY(%s)", [list(numbers)])]
    return [(f"h.household_number IN ({', '.join(['%s'] * len(chunk))})", list(chunk))
            for chunk in (numbers[i:i + _CHUNK] for i in range(0, len(numbers), _CHUNK))]


def _read_chunks(select: str, numbers: Sequence[str]) -> pl.DataFrame:
    frames = [read_frame(f"{select} AND {cond}", params) for cond, params in _where_numbers(numbers)]
    frames = [f for f in frames if f.height] or frames[:1]
    if not frames:
        return read_frame(f"{select} AND 1 = 0")
    return pl.concat(frames) if len(frames) > 1 else frames[0]


def registry_households(numbers: Sequence[str]) -> pl.DataFrame:
    """The registry's households whose 户编号 is in ``numbers`` (any status): ``id, household_number,
    status, version, reg_village_code`` and the compared fields, canonical."""
    cols = [*HOUSEHOLD_COMPARED, *HOUSEHOLD_DERIVED_COMPARED]
    select = (f"SELECT h.id, h.household_number, h.status, h.version, h.village_id AS reg_village_code, "
              f"{', '.join('h.' + c for c in cols)} FROM {Household._meta.db_table} h WHERE 1 = 1")
    frame = _read_chunks(select, list(numbers)) if numbers else read_frame(f"{select} AND 1 = 0")
    return frame.with_columns(
        pl.col("id").cast(pl.Int64), pl.col("version").cast(pl.Int64),
        *[canonical(pl.col(c), Household, c).alias(c) for c in cols],
    )


def registry_members(numbers: Sequence[str]) -> pl.DataFrame:
    """Active members of those households: ``id, household_id, household_number, version`` and the
    member fields, canonical."""
    select = (f"SELECT m.id, m.household_id, h.household_number, m.version, "
              f"{', '.join('m.' + c for c in MEMBER_COMPARED)} FROM {Member._meta.db_table} m "
              f"JOIN {Household._meta.db_table} h ON h.id = m.household_id WHERE m.status = 'active'")
    frame = _read_chunks(select, list(numbers)) if numbers else read_frame(f"{select} AND 1 = 0")
    return frame.with_columns(
        pl.col("id").cast(pl.Int64), pl.col("household_id").cast(pl.Int64), pl.col("version").cast(pl.Int64),
        *[canonical(pl.col(c), Member, c).alias(c) for c in MEMBER_COMPARED],
    )


__all__ = ["active_members_frame", "registry_households", "registry_members", "villages_frame"]
