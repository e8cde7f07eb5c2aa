"""Roster exports that leave a record (导出记录) — the one way the page, the API and the command export.

A roster export takes people's data out of the system: names, ID numbers (full for roles that may
see them), bank accounts, incomes. :func:`export_roster_to` writes the file (:func:`~fupin.imports.
pipelines.export_roster.write_roster`, scoped and masked by the actor) and records it as an
:class:`~fupin.imports.models.ExportRecord`: who, when, through which channel, which region and
roster, which households (导出筛选, :mod:`.roster_filter`), how many rows, whether numbers were full,
the file's name, size and SHA-256. An export refused
for its size (an xlsx past one worksheet) is recorded as refused, with the reason; an export that fails
otherwise leaves no file and no record.

A batch's reports — its rejected rows and the registered households its file does not list — are
recorded as they are handed out (:func:`record_report`). The file a batch was imported from
(原始文件, :func:`landed_file`) leaves the same way: it holds every
number as written, so only roles that read the audit trail and see full numbers may take it, and the
download is recorded (kind ``landed``). Its SHA-256 is checked against the one taken when it landed;
a file changed on disk since is refused, not handed out.

Decisions: the record is written once the file is whole, before it is handed over (a download that
breaks off is still an export: the file was made for that user). The SHA-256 is read back from the
written file (hashlib, outside the GIL; about 1 s for a 1M-person CSV of 450 MB) — an xlsx is written
through ``zipfile``, which seeks back, so it cannot be hashed on the way out. Records are read with
``audit.view`` in their region (:func:`fupin.imports.selectors.export_records`), never changed.
"""

from __future__ import annotations

import hashlib
import io
import logging
import tempfile
from pathlib import Path
from typing import IO, Any

from fupin.core.audit import actor_name
from fupin.core.scoping import ScopeError
from fupin.core.xlsx_sheet import TooManyRows
from fupin.policy import roles
from fupin.policy.regions import normalize_code

from .choices import ExportChannel, ExportOutcome
from .models import ExportRecord
from .pipelines.export_roster import FORMATS, KINDS, SPLITS, archive_format, spool_dir, write_roster
from .pipelines.export_roster import file_name as default_file_name
from .roster_filter import RosterFilter
from .selectors import batch_detail
from .services import ImportRefused, may_see_full_numbers

log = logging.getLogger(__name__)
#: ``ExportRecord.kind`` of a batch's landed file.
LANDED = "landed"


def _record(actor: Any, code: str, fmt: str, kind: str, channel: str, **values: Any) -> ExportRecord:
    return ExportRecord.objects.create(
        actor=actor if getattr(actor, "pk", None) else None, actor_name=actor_name(actor),
        channel=ExportChannel(channel), region_code=code, kind=kind, format=fmt,
        full_numbers=may_see_full_numbers(actor), **values)


def export_roster_to(actor: Any, region_code: str, fmt: str, kind: str, out: IO[bytes], *, channel: str,
                     file_name: str = "", roster_filter: RosterFilter | None = None, split: str = "") -> ExportRecord:
    """Write the roster of ``region_code`` as ``actor`` sees it into ``out`` (a binary file open for
    writing and reading, at its start) and record the export. Raises
    :class:`~fupin.policy.regions.RegionCodeError` for a malformed code (nothing recorded) and
    :class:`~fupin.core.xlsx_sheet.TooManyRows` for an xlsx past one worksheet (recorded as refused).
    ``roster_filter``: only the households it takes (导出筛选), kept with the record and named in the
    default file name. ``split`` (``township``/``village``): a ZIP of one file per place (分乡镇/分村导出),
    recorded as one export of format ``xlsx.zip``/``csv.zip``."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {tuple(KINDS)}")
    if split and split not in SPLITS:
        raise ValueError(f"split must be one of {tuple(SPLITS)}")
    code = normalize_code(region_code)
    name = file_name or default_file_name(code, fmt, kind, roster_filter, split)
    fmt_recorded = archive_format(fmt, split)
    filters = roster_filter.as_record() if roster_filter is not None else {}
    start = out.tell()
    try:
        rows = write_roster(actor, code, fmt, out, kind, roster_filter, split)
    except TooManyRows as exc:
        _record(actor, code, fmt_recorded, kind, channel, outcome=ExportOutcome.REFUSED, reason=str(exc)[:300],
                file_name=name, filters=filters)
        raise
    end = out.seek(0, io.SEEK_END)
    out.seek(start)
    digest = hashlib.file_digest(out, "sha256").hexdigest()  # type: ignore[arg-type]
    out.seek(start)
    return _record(actor, code, fmt_recorded, kind, channel, rows=rows, file_name=name, file_size=end - start,
                   file_sha256=digest, filters=filters)


def spooled_export(actor: Any, region_code: str, fmt: str, kind: str, *, channel: str,
                   roster_filter: RosterFilter | None = None, split: str = "") -> tuple[IO[bytes], ExportRecord]:
    """:func:`export_roster_to` into an unnamed temporary file in the data folder, read from its start
    (a page or API response streams it: a large region's file is not held in the web process's memory
    while it downloads — 1M persons: 450 MB as CSV, 300 MB as xlsx)."""
    out = tempfile.TemporaryFile(dir=spool_dir())
    try:
        record = export_roster_to(actor, region_code, fmt, kind, out, channel=channel, roster_filter=roster_filter,
                                  split=split)
    except BaseException:
        out.close()
        raise
    return out, record


def may_take_landed_files(actor: Any) -> bool:
    """The landed file holds every number as written: roles that read the audit trail and may see full
    numbers (village, work team, township, county, auditor, administrator) may take it."""
    return (actor is not None and actor.has_capability(roles.VIEW_AUDIT)
            and may_see_full_numbers(actor))


def landed_file(actor: Any, batch_id: int, *, channel: str) -> tuple[IO[bytes], ExportRecord]:
    """The file batch ``batch_id`` was imported from, open at its start, and the record of its download.
    A batch out of the actor's scope, or an actor who may not take it: :class:`ScopeError` (404). A
    file missing, or changed since it landed (its SHA-256 differs): :class:`ImportRefused`."""
    batch = batch_detail(actor, batch_id)
    if not may_take_landed_files(actor):
        raise ScopeError("不存在或无权查看 / not found")
    return _hand_out(actor, batch.region_code, batch.stored_path, batch.file_sha256, batch.file_name,
                     rows=batch.rows_read, channel=channel, what=f"import batch {batch.pk}")


def received_sheet_file(actor: Any, batch_id: int, sheet_id: int, *, channel: str) -> tuple[IO[bytes], ExportRecord]:
    """A 减员原因表 received for batch ``batch_id`` (:class:`~.models.ReceivedLeaveSheet`), as it was given,
    on the same terms as :func:`landed_file` (it may hold full ID numbers): 404 out of scope, for a
    sheet of another batch or a role that may not take landed files; recorded (kind ``landed``)."""
    batch = batch_detail(actor, batch_id)
    sheet = batch.leave_sheets.filter(pk=sheet_id).first()
    if sheet is None or not may_take_landed_files(actor):
        raise ScopeError("不存在或无权查看 / not found")
    return _hand_out(actor, batch.region_code, sheet.stored_path, sheet.file_sha256, sheet.file_name, rows=sheet.rows,
                     channel=channel, what=f"leave sheet {sheet.pk} of import batch {batch.pk}")


def _hand_out(actor: Any, region_code: str, stored_path: str, sha256: str, file_name: str, *, rows: int,
              channel: str, what: str) -> tuple[IO[bytes], ExportRecord]:
    """A landed file open at its start, checked against the SHA-256 taken when it landed, and the record
    of its download."""
    path = Path(stored_path) if stored_path else None
    if path is None or not path.is_file():
        raise ImportRefused("原始文件不在数据目录中 / the landed file is not in the data folder")
    out = path.open("rb")
    try:
        digest = hashlib.file_digest(out, "sha256").hexdigest()  # type: ignore[arg-type]
        if digest != sha256:
            log.error("%s: landed file %s changed on disk (sha256 %s, landed %s)", what, path, digest, sha256)
            raise ImportRefused("原始文件与上传时不一致(SHA-256 不同),不予下载 / the landed file has changed since "
                                "it was uploaded (its SHA-256 differs); it is not handed out")
        size = out.seek(0, io.SEEK_END)
        out.seek(0)
        suffix = Path(file_name).suffix.lstrip(".").lower()[:8]
        record = _record(actor, region_code, suffix, LANDED, channel, rows=rows, file_name=file_name,
                         file_size=size, file_sha256=digest)
    except BaseException:
        out.close()
        raise
    return out, record


#: ``ExportRecord.kind`` of a batch's reports (made in memory, small): its rejected rows, the
#: registered households its file does not list, its list of changes (变更明细), and its rejected rows
#: as a roster to correct and import again (待改正的行), and its persons leaving as a sheet to fill in
#: with their reasons (减员原因表).
REJECTIONS, ABSENT, CHANGES, ROWS_TO_FIX, LEAVING = "rejections", "absent", "changes", "rows_to_fix", "leaving"


def record_report(actor: Any, region_code: str, kind: str, content: bytes, *, rows: int, channel: str,
                  file_name: str) -> ExportRecord:
    """Record a batch's report handed out as ``content`` (the rejected rows, or the registered
    households not in the file, the list of changes): it holds people's names and numbers too (rejected values masked for
    roles without full numbers), so it is an export like the roster."""
    return _record(actor, normalize_code(region_code), Path(file_name).suffix.lstrip(".").lower()[:8], kind, channel, rows=rows,
                   file_name=file_name, file_size=len(content), file_sha256=hashlib.sha256(content).hexdigest())
