"""SQLite bulk loads through a staging file (暂存库): a whole Polars frame into SQLite without a
Python object per value.

Python's ``sqlite3`` binds every value of ``executemany`` from a Python object: measured on this
2-core machine, 1M rows × 29 columns took 11.4 s, most of it making and binding the objects. Here
ADBC's SQLite driver (C, reading the frame's Arrow buffers) writes the frame into a new file, the
file is ``ATTACH``-ed to Django's own connection, and one ``INSERT … SELECT`` (or ``UPDATE … FROM``)
copies the rows inside the caller's transaction: 2.6–3.0 s + 2.3 s for the same rows. The staging
file is never written inside the caller's transaction, so the transaction stays one database's: a
rollback or a crash leaves the registry as it was, and the staging file is only a leftover.

SQLite refuses to ``DETACH`` a file that the open transaction holds (one it read, or one attached
before its ``BEGIN IMMEDIATE``), so a staging file stays attached until the transaction has ended:
it is detached after the commit (``on_commit``), by the next load outside a transaction, or when the
connection closes; after a rollback, by the caller's failure path (:func:`release_after_failure`,
called by the import's services) or one of these. Its directory entry is removed as
soon as it is attached (POSIX keeps the data while the connection has it open). At most
:data:`MAX_STAGES` files are attached at once; beyond that the caller falls back to
``executemany``. A process killed between writing a staging file and attaching it leaves the file
behind; the next write removes such files once they are an hour old (:data:`LEFTOVER_SECONDS`).
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import tempfile
import time
from collections.abc import Iterator

import polars as pl
from django.db import OperationalError, connection, transaction

#: Schema names of the staging files attached to a connection: ``fupin_stage_<n>``.
PREFIX = "fupin_stage_"
#: Staging files attached at once (SQLite's own limit is 10 databases besides main and temp).
MAX_STAGES = 8
#: The staged table's name inside each staging file.
TABLE = "staged"
_numbers = itertools.count(1)


def stage_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every column in a type the staging writer stores as Django's SQLite backend
    would: booleans 0/1, dates and times as ISO text, decimals and categories as text, unsigned
    integers as signed."""
    exprs = []
    for name, dtype in frame.schema.items():
        if dtype == pl.Boolean:
            exprs.append(pl.col(name).cast(pl.Int8))
        elif dtype.is_integer():
            exprs.append(pl.col(name).cast(pl.Int64) if dtype.is_unsigned_integer() else pl.col(name))
        elif dtype.is_float() or dtype in (pl.Utf8, pl.Binary):
            exprs.append(pl.col(name))
        else:  # dates, datetimes, times, decimals, categoricals, enums, all-null
            exprs.append(pl.col(name).cast(pl.Utf8))
    return frame.select(exprs)


def _attached() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA database_list")
        return [row[1] for row in cursor.fetchall() if row[1].startswith(PREFIX)]


def release_after_failure() -> None:
    """After a transaction that loaded through staging files has rolled back (no ``on_commit``
    runs then): detach them now, when the caller is outside any transaction — otherwise they stay
    attached until the next load outside one, and after :data:`MAX_STAGES` failed loads on one
    connection its large loads would fall back to ``executemany``. A no-op elsewhere."""
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        detach_idle()


def detach_idle() -> None:
    """Detach every staging file that no open transaction holds."""
    for name in _attached():
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"DETACH DATABASE {name}")
        except OperationalError:  # held by the open transaction: detached after it
            pass


def _write(frame: pl.DataFrame, path: str) -> None:
    """``frame`` into table :data:`TABLE` of a new SQLite file at ``path`` (no journal, no sync: the
    file is thrown away if anything fails)."""
    import adbc_driver_sqlite.dbapi as adbc  # only the SQLite bulk path needs it

    with adbc.connect(path, autocommit=True) as conn, conn.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=OFF")
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.adbc_ingest(TABLE, frame, mode="create")


#: A staging file still in the temporary directory after this many seconds was left by a killed
#: process (a live one is attached, and so unlinked, within seconds of being written).
LEFTOVER_SECONDS = 3600


def _remove_leftovers() -> None:
    cutoff = time.time() - LEFTOVER_SECONDS
    for path in glob.glob(os.path.join(tempfile.gettempdir(), "fupin-stage-*.sqlite3")):
        with contextlib.suppress(OSError):
            if os.path.getmtime(path) < cutoff:
                os.unlink(path)


def write_file(frame: pl.DataFrame) -> str:
    """``frame`` (already :func:`stage_frame`-d) written into a new staging file; returns its path.
    Uses no Django connection, so a helper thread may write the next frame's file while the caller's
    connection loads the current one."""
    _remove_leftovers()
    handle, path = tempfile.mkstemp(prefix="fupin-stage-", suffix=".sqlite3")
    os.close(handle)
    try:
        _write(frame, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    return path


@contextlib.contextmanager
def attached(path: str) -> Iterator[str | None]:
    """Attach the staging file at ``path`` to Django's SQLite connection; yields its quoted table name
    (``fupin_stage_<n>."staged"``), or None when :data:`MAX_STAGES` files are already attached (the
    caller then loads another way). The file's directory entry goes either way."""
    try:
        detach_idle()
        if len(_attached()) >= MAX_STAGES:
            yield None
            return
        name = f"{PREFIX}{os.getpid()}_{next(_numbers)}"
        with connection.cursor() as cursor:
            cursor.execute(f"ATTACH DATABASE %s AS {name}", [path])
    finally:
        with contextlib.suppress(OSError):  # attached: the connection keeps the data until it detaches
            os.unlink(path)
    yield f'{name}."{TABLE}"'
    if connection.in_atomic_block:
        transaction.on_commit(detach_idle)
    else:
        detach_idle()


@contextlib.contextmanager
def staged(frame: pl.DataFrame) -> Iterator[str | None]:
    """:func:`write_file` then :func:`attached`."""
    with attached(write_file(frame)) as source:
        yield source
