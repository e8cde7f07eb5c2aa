"""Check a roster file (花名册): read → normalise → validate, with nothing written anywhere.

The entry point other parts of the import use (the DB load and the web review code against this
contract). Pure Polars column work: no loop over rows, so a million rows check in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from .normalise_roster import normalise_roster
from .read_roster import read_roster
from .validate_roster import validate_roster


@dataclass(frozen=True)
class RosterContext:
    """What the check needs from the registry, already scoped by the caller."""

    villages: pl.DataFrame  # code (12-digit), township_name, village_name, county_name
    existing_members: pl.DataFrame  # id_number, household_number — active members
    default_form_version: str = "2016"


@dataclass(frozen=True)
class CheckedRoster:
    """The outcome: typed valid rows and one rejection row per problem.

    ``rows_read == valid.height + rows_rejected`` always holds."""

    valid: pl.DataFrame
    rejections: pl.DataFrame  # _row, column, value, reason, household_number, village_code
    rows_read: int
    rows_rejected: int
    encoding: str  # "xlsx", "utf-8", "utf-8-sig", "gb18030"
    header_row: int  # 1-based (the upper row of a two-row header)
    unknown_headers: list[str]


def check_frame(raw: pl.DataFrame, context: RosterContext, *,
                today: date | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(valid, rejections) for an already read frame of strings (``_row`` + field columns)."""
    normalised = normalise_roster(raw, default_form_version=context.default_form_version, today=today)
    return validate_roster(normalised, villages=context.villages, existing_members=context.existing_members)


def check_roster(path: Path, context: RosterContext) -> CheckedRoster:
    """Read and check ``path`` (xlsx or CSV) against ``context``."""
    raw = read_roster(Path(path))
    valid, rejections = check_frame(raw.frame, context)
    rows_rejected = rejections.get_column("_row").n_unique()
    if raw.frame.height != valid.height + rows_rejected:  # pragma: no cover - guarded by construction
        raise AssertionError("roster accounting does not add up")
    return CheckedRoster(
        valid=valid, rejections=rejections, rows_read=raw.frame.height, rows_rejected=rows_rejected,
        encoding=raw.encoding, header_row=raw.header_row, unknown_headers=raw.unknown_headers,
    )
