"""Check a roster file (花名册): read → normalise → validate, with nothing written anywhere.

The entry point other parts of the import use (the DB load and the web review code against this
contract). Pure Polars column work: no loop over rows, so a million rows check in seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from fupin.core.frames import rows_in
from fupin.imports import roster

from .normalise_roster import normalise_roster
from .read_roster import read_roster
from .validate_roster import validate_roster


@dataclass(frozen=True)
class RosterContext:
    """What the check needs from the registry, already scoped by the caller.

    The active members (一人一户) come either as a frame (``existing_members``: all of them, or at least
    those holding the file's ID numbers) or as ``members_holding``, called once with the file's ID
    numbers after they are read — so a national registry is never read whole for one file."""

    villages: pl.DataFrame  # code (12-digit), township_name, village_name, county_name
    existing_members: pl.DataFrame | None = None  # id_number, household_number — active members
    default_form_version: str = "2016"
    members_holding: Callable[[pl.Series], pl.DataFrame] | None = None
    #: Villages the reviewer held back (暂缓): their rows are rejected, the rest can be merged.
    held_villages: frozenset[str] = frozenset()
    #: 只更新所列成员 (:mod:`.diff_members`): only the listed persons' own columns are checked and updated.
    members_only: bool = False
    #: 只更新户信息 (:mod:`.diff_household_columns`): only the listed households' own columns.
    household_columns_only: bool = False

    def holders_of(self, ids: pl.Series) -> pl.DataFrame:
        """``id_number, household_number`` of the active members holding (at least) ``ids``."""
        if self.members_holding is not None:
            return self.members_holding(ids)
        if self.existing_members is None:
            return pl.DataFrame(schema={"id_number": pl.Utf8, "household_number": pl.Utf8})
        return self.existing_members


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
    #: A ZIP of rosters: its files' names, in order (rows carried by file, :mod:`.zip_rosters`).
    parts: tuple[str, ...] = ()
    #: Data rows hidden in the sheet (a filter): read and checked like the others (:class:`.read_roster.RawRoster`).
    hidden_rows: int = 0
    #: The active members holding the file's ID numbers, as the check saw them (the diff reuses them).
    holders: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(
        schema={"id_number": pl.Utf8, "household_number": pl.Utf8}))
    #: 户编号 and 证件号码 of the rows rejected here (the diff holds back the registered household of a
    #: person the file moves into a rejected household, :func:`.diff_roster.diff_roster`).
    rejected_persons: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(
        schema={"household_number": pl.Utf8, "id_number": pl.Utf8}))
    #: The fields the file has a column for (only the listed persons updated: an absent column keeps
    #: the registry's values).
    present: frozenset[str] = frozenset(roster.BY_FIELD)


def check_frame(raw: pl.DataFrame, context: RosterContext, *,
                today: date | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(valid, rejections) for an already read frame of strings (``_row`` + field columns)."""
    valid, rejections, _, _ = _check(raw, context, today=today)
    return valid, rejections


def _check(raw: pl.DataFrame, context: RosterContext, *,
           today: date | None = None) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(valid, rejections, holders, rejected persons: 户编号 and 证件号码 of the rejected rows)."""
    normalised = normalise_roster(raw, default_form_version=context.default_form_version, today=today)
    holders = context.holders_of(normalised.get_column("id_number").drop_nulls().unique())
    valid, rejections = validate_roster(normalised, villages=context.villages, existing_members=holders,
                                        held=context.held_villages, members_only=context.members_only,
                                        household_columns_only=context.household_columns_only,
                                        present=fields_present(raw))
    rejected_persons = rows_in(normalised.select("_row", pl.col("household_number").cast(pl.Utf8),
                                                 pl.col("id_number").cast(pl.Utf8)),
                               "_row", rejections.get_column("_row").unique()).drop("_row").drop_nulls()
    return valid, rejections, holders, rejected_persons


def fields_present(raw: pl.DataFrame) -> frozenset[str]:
    """The roster fields a read file has columns for (the reader adds no column it did not find)."""
    return frozenset(c for c in raw.columns if c in roster.BY_FIELD)


def check_roster(path: Path, context: RosterContext) -> CheckedRoster:
    """Read and check ``path`` (xlsx, xls or CSV) against ``context``."""
    raw = read_roster(Path(path), persons=not context.household_columns_only)
    valid, rejections, holders, rejected_persons = _check(raw.frame, context)
    rows_rejected = rejections.get_column("_row").n_unique()
    if raw.frame.height != valid.height + rows_rejected:  # pragma: no cover - guarded by construction
        raise AssertionError("roster accounting does not add up")
    return CheckedRoster(
        valid=valid, rejections=rejections, rows_read=raw.frame.height, rows_rejected=rows_rejected,
        encoding=raw.encoding, header_row=raw.header_row, unknown_headers=raw.unknown_headers, holders=holders,
        parts=raw.parts, rejected_persons=rejected_persons, present=fields_present(raw.frame),
        hidden_rows=raw.hidden_rows,
    )
