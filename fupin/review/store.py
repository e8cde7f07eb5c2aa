"""Parquet copies of the snapshot rows (快照数据文件): a snapshot is immutable, so its two frames are also
written once as Parquet files in the data folder, and the flow report reads them instead of the rows.

- Where: ``settings.DATA_DIR / "snapshots" / "<snapshot id>-households.parquet"`` and
  ``…-persons.parquet``: the frames exactly as :func:`fupin.review.services.take_snapshot` COPYs them
  into :class:`~fupin.review.models.HouseholdSnapshot` and :class:`~fupin.review.models.PersonSnapshot`
  (snapshot columns, typed; without the snapshot id).
- What the database keeps about them: ``Snapshot.files`` = ``{"households": {"name", "sha256", "rows"},
  "persons": {…}}``, written with the header in the snapshot's transaction (the header is immutable, so
  the checksum cannot drift).
- **The database stays the record.** A file is used only when it exists, its SHA-256 equals the one on
  the header and its row count equals the header's; anything else (no data folder after a restore, a
  file altered or cut short, a snapshot taken before the files existed, a read error) and the reader
  returns ``None``: the caller reads the rows from the database as before. A file that fails the check
  is not repaired (the header and its checksum are immutable): the database read serves that snapshot.
- Files are written under a temporary name and renamed into place, so a reader never sees half a file.
  A snapshot whose transaction rolls back may leave its files behind under an id that no header has:
  they are never read (no header points at them; on SQLite, where an id can be reused, the next
  snapshot of that id overwrites them and its own checksum decides).
- Scope is the caller's business: :func:`read_rows` filters by village-code prefix only (see
  ``fupin.review.selectors.load_frames``, which uses it only when the user's row scope is that prefix).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl
from django.conf import settings

log = logging.getLogger(__name__)

UNITS = ("households", "persons")


def folder() -> Path:
    return Path(settings.DATA_DIR) / "snapshots"


def path_for(snapshot_id: int, unit: str) -> Path:
    if unit not in UNITS:
        raise ValueError(unit)
    return folder() / f"{int(snapshot_id)}-{unit}.parquet"


def _write_one(frame: pl.DataFrame, path: Path) -> dict[str, Any]:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="zstd", statistics=True)
    data = buffer.getvalue()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return {"name": path.name, "sha256": hashlib.sha256(data).hexdigest(), "rows": frame.height}


def write_frames(snapshot_id: int, households: pl.DataFrame, persons: pl.DataFrame) -> dict[str, Any]:
    """Write both frames; returns what ``Snapshot.files`` records."""
    return {"households": _write_one(households, path_for(snapshot_id, "households")),
            "persons": _write_one(persons, path_for(snapshot_id, "persons"))}


class BackgroundWrite:
    """:func:`write_frames` in a thread (Polars and the file system release the GIL), so the files are
    written while PostgreSQL loads the rows. :meth:`result` waits; ``None`` when the write failed (the
    snapshot is then taken without files: the flow report reads its rows from the database)."""

    def __init__(self, snapshot_id: int, households: pl.DataFrame, persons: pl.DataFrame) -> None:
        self.snapshot_id = snapshot_id
        self._result: dict[str, Any] | None = None
        self._thread = threading.Thread(target=self._run, args=(households, persons), daemon=True,
                                        name=f"snapshot-files-{snapshot_id}")
        self._thread.start()

    def _run(self, households: pl.DataFrame, persons: pl.DataFrame) -> None:
        try:
            self._result = write_frames(self.snapshot_id, households, persons)
        except Exception:  # a cache: the snapshot is the rows in the database
            log.exception("snapshot %s: Parquet copies not written", self.snapshot_id)
            remove(self.snapshot_id)

    def result(self) -> dict[str, Any] | None:
        self._thread.join()
        return self._result


def remove(snapshot_id: int) -> None:
    """Remove a snapshot's files (its transaction failed)."""
    for unit in UNITS:
        try:
            path_for(snapshot_id, unit).unlink(missing_ok=True)
        except OSError:
            log.warning("snapshot %s: could not remove its %s file", snapshot_id, unit)


def read_rows(snapshot: Any, unit: str, columns: Sequence[str], prefix: str) -> pl.DataFrame | None:
    """The rows of ``snapshot`` (households or persons) whose village code starts with ``prefix``, as
    ``columns``, from its Parquet file — or ``None`` when the file is missing or does not match the
    header (checksum, row count), or cannot be read: then read the database."""
    meta = (getattr(snapshot, "files", None) or {}).get(unit)
    if not isinstance(meta, dict) or not meta.get("sha256"):
        return None
    expected_rows = snapshot.households if unit == "households" else snapshot.persons
    path = path_for(snapshot.pk, unit)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if hashlib.sha256(data).hexdigest() != meta["sha256"]:
        log.warning("snapshot %s: %s file does not match its checksum; reading the database", snapshot.pk, unit)
        return None
    wanted = list(dict.fromkeys([*columns, "village_code"]))
    try:
        frame = pl.read_parquet(io.BytesIO(data), columns=wanted)
    except Exception:
        log.warning("snapshot %s: %s file unreadable; reading the database", snapshot.pk, unit, exc_info=True)
        return None
    if frame.height != expected_rows or meta.get("rows") != expected_rows:
        return None
    if prefix:
        frame = frame.filter(pl.col("village_code").str.starts_with(prefix))
    return frame.select(list(columns))
