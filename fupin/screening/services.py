"""Cross-department comparison (数据比对): the only writes of the screening app.

- :func:`import_list` — land a department list file (a copy in the data folder, its SHA-256), read it
  (:mod:`.pipelines.read_list`), check every row (:mod:`.pipelines.check_list`), then load the accepted
  records and the rejected rows in bulk (:func:`fupin.core.bulk.copy_frame`: COPY on PostgreSQL,
  multi-row inserts on SQLite) in **one** transaction: status ``loaded``, rows read = rows accepted +
  rows rejected. A file that cannot be read as a whole leaves the list ``failed`` with the reason and
  no records. **Re-importing** the same file (same SHA-256) as the same kind for the same region is
  **refused** with the number of the list it already is (a failed attempt does not count).
- :func:`run_screening` — compare the screened members under a region (:mod:`.frames`) with the
  chosen lists on the ID number (:mod:`.pipelines.screen`, Polars) and write the new hits in bulk. By
  default the run uses, for each kind, the newest list (by as-of date) usable for the region: a
  loaded list of the region, of a region above it, or of a region inside it. A (member, record)
  pair that already has a hit — open or decided — is not raised again. The hit writing holds the
  hits table's lock (PostgreSQL ``SHARE ROW EXCLUSIVE``; SQLite's write transaction) so two runs
  cannot raise the same hit.
- :func:`decide_hit` — a township officer (``screening.decide``) confirms a hit or dismisses it with a
  comment (required). A confirmed hit flags the household: the rule engine reads it back through
  :func:`fupin.screening.selectors.confirmed_matches`. Confirming a ``death`` hit also takes the
  member off the household (:func:`fupin.registry.services.member_leaves`, reason 死亡) in the same
  transaction — refused as a whole when the registry refuses (the head of a household with other
  members: name a new head first). Every decision writes the audit trail on the household.

Scope: ``actor=None`` is the system (CLI, bench). A user imports into, runs over, and decides in their
own region only (404 otherwise).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

import polars as pl
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from fupin.core import audit, landing
from fupin.core.bulk import copy_frame
from fupin.core.models import ChangeAction
from fupin.core.scoping import ScopeError, require_in_scope
from fupin.core.xlsx_sheet import xlsx_bytes
from fupin.imports.pipelines import zip_rosters
from fupin.policy import clock, department_lists, roles
from fupin.policy.regions import RegionCodeError, ancestor_codes, normalize_code, prefix_of
from fupin.regions.models import Region
from fupin.registry.choices import RecordStatus
from fupin.registry.services import RegistryError, member_leaves

from . import frames, rule_links
from .choices import Decision, HitStatus, ListStatus, RunStatus
from .models import DepartmentList, DepartmentRecord, DepartmentRejection, ScreeningHit, ScreeningRun
from .pipelines import screen
from .pipelines.check_list import check_list
from .pipelines.read_list import ListReadError, read_list

log = logging.getLogger(__name__)
MAX_FILE_BYTES = 512 << 20


class ScreeningRefused(Exception):
    """A screening step that cannot proceed, with a message (Chinese first) and per-field errors."""

    def __init__(self, message: str, field_errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


def lists_dir() -> Path:
    path = Path(settings.DATA_DIR) / "screening"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _region(raw: str | None, field: str = "region_code") -> str:
    try:
        code = normalize_code(raw or "")
    except RegionCodeError as exc:
        raise ScreeningRefused(str(exc), {field: [str(exc)]}) from exc
    return code


def _kind(kind: str) -> department_lists.ListKind:
    try:
        return department_lists.get_kind(kind)
    except department_lists.UnknownKind as exc:
        raise ScreeningRefused(str(exc), {"kind": [str(exc)]}) from exc


# --- department lists -------------------------------------------------------------------------------

def import_list(*, actor: Any, kind: str, region_code: str, as_of: date, file_name: str,
                content: bytes | BinaryIO | None = None, path: Path | None = None, source_department: str = "",
                source: str = "web", today: date | None = None) -> DepartmentList:
    """Land, check and load one department list file (see the module docstring). Returns the list,
    ``loaded`` or ``failed``; raises :class:`ScreeningRefused` before landing (unknown kind, bad
    region or date, the same file again) and :class:`~fupin.core.scoping.ScopeError` out of scope."""
    kind_def = _kind(kind)
    region_code = _region(region_code)
    if actor is not None:
        require_in_scope(actor, region_code, roles.IMPORT_SCREENING_LIST)
    today = today or clock.today()
    if not isinstance(as_of, date) or as_of > today:
        message = "数据截止日期不能晚于今天 / the as-of date cannot be in the future"
        raise ScreeningRefused(message, {"as_of": [message]})
    if (content is None) == (path is None):
        raise ValueError("give content or path")
    try:
        landed = landing.land(content if content is not None else Path(str(path)), lists_dir(),
                              max_bytes=MAX_FILE_BYTES, prefix="list-landing-")
    except landing.LandingRefused as exc:
        raise ScreeningRefused(exc.message, {"file": [exc.message]}) from exc
    sha, size = landed.sha256, landed.size
    try:
        _refuse_duplicate(kind, sha, region_code)
        try:
            with transaction.atomic():
                dept_list = DepartmentList.objects.create(
                    kind=kind, source_department=(source_department.strip() or kind_def.department_zh)[:100],
                    as_of=as_of, region_code=region_code, file_name=Path(file_name).name[:255] or "list",
                    file_sha256=sha, file_size=size, actor=actor if getattr(actor, "pk", None) else None,
                    actor_name=audit.actor_name(actor), source=source, status=ListStatus.LANDED,
                )
        except IntegrityError:  # a concurrent upload of the same file won the race
            _refuse_duplicate(kind, sha, region_code)
            raise
    except BaseException:
        landed.discard()
        raise
    suffix = Path(file_name).suffix.lower()[:10]
    stored = landed.keep_as(lists_dir() / f"list-{dept_list.pk:06d}-{sha[:12]}{suffix}")
    DepartmentList.objects.filter(pk=dept_list.pk).update(stored_path=str(stored))
    _load(dept_list.pk, kind_def, stored, actor=actor, source=source)
    return DepartmentList.objects.get(pk=dept_list.pk)


def _refuse_duplicate(kind: str, sha: str, region_code: str) -> None:
    same = (DepartmentList.objects.filter(kind=kind, file_sha256=sha, region_code=region_code,
                                          status__in=[ListStatus.LANDED, ListStatus.LOADED]).order_by("pk").first())
    if same is not None:
        message = (f"该文件已作为第{same.pk}号名单导入({same.created_at:%Y-%m-%d}),不再重复导入 / this file was "
                   f"already imported as list #{same.pk}; it is not imported twice")
        raise ScreeningRefused(message, {"file": [message]})


def _load(list_id: int, kind_def: department_lists.ListKind, path: Path, *, actor: Any, source: str) -> None:
    try:
        raw = read_list(path, kind_def)
        checked = check_list(raw, kind_def)
        if checked.rows_read != checked.records.height + checked.rejections.height:
            raise AssertionError("accounting broken")
        with transaction.atomic():
            dept_list = DepartmentList.objects.select_for_update().get(pk=list_id)
            copy_frame(DepartmentRecord, checked.records.select(
                pl.lit(list_id, pl.Int64).alias("department_list_id"), "row_number", "id_number", "name", "detail"))
            copy_frame(DepartmentRejection, checked.rejections.select(
                pl.lit(list_id, pl.Int64).alias("department_list_id"), "row_number",
                pl.col("column").str.slice(0, 60), pl.col("value").str.slice(0, 200),
                pl.col("reason").str.slice(0, 300)))
            dept_list.status = ListStatus.LOADED
            dept_list.loaded_at = timezone.now()
            dept_list.encoding = checked.encoding[:20]
            dept_list.headers = checked.headers
            dept_list.unknown_headers = checked.unknown_headers
            dept_list.source_sheets = list(raw.parts)
            dept_list.rows_read = checked.rows_read
            dept_list.rows_accepted = checked.records.height
            dept_list.rows_rejected = checked.rejections.height
            dept_list.save()
            audit.record(actor=actor, action=ChangeAction.CREATE, obj=dept_list, household_id=None,
                         region_code=dept_list.region_code, source=source,
                         changes=audit.diff({}, audit.field_values(dept_list, (
                             "kind", "source_department", "as_of", "file_name", "file_sha256", "rows_read",
                             "rows_accepted", "rows_rejected"))))
    except ListReadError as exc:
        DepartmentList.objects.filter(pk=list_id).update(status=ListStatus.FAILED, error=str(exc)[:2000])
    except Exception as exc:
        log.exception("department list %s failed to load", list_id)
        DepartmentList.objects.filter(pk=list_id).update(status=ListStatus.FAILED,
                                                         error=f"{type(exc).__name__}: {exc}"[:2000])


REJECTION_HEADERS = {"row_number": "行号 row", "column": "列 column", "value": "值 value", "reason": "原因 reason"}


def rejections_xlsx(list_id: int, *, mask: bool) -> bytes:
    """The rejected rows of a list as xlsx (row, column, value, reason); ``mask`` masks the values
    (they are ID numbers) for roles that do not see full IDs."""
    from fupin.policy.idnumber import mask_id_number

    rows = list(DepartmentRejection.objects.filter(department_list_id=list_id).order_by("row_number", "id")
                .values_list(*REJECTION_HEADERS))
    if mask:
        rows = [(r, c, mask_id_number(v), why) for r, c, v, why in rows]
    frame = pl.DataFrame(rows, schema={k: pl.Int64 if k == "row_number" else pl.Utf8 for k in REJECTION_HEADERS},
                         orient="row")
    sheets = DepartmentList.objects.values_list("source_sheets", flat=True).get(pk=list_id) or []
    if sheets:  # a workbook's sheets read together: the sheet, then its own row
        name, own = zip_rosters.file_and_row(pl.col("row_number"), sheets)
        frame = frame.select(name.alias("sheet"), own.alias("row_number"), pl.exclude("row_number"))
    return xlsx_bytes(frame.rename({"sheet": "工作表 sheet", **REJECTION_HEADERS}, strict=False), sheet="错误行",
                      split=True)


# --- screening runs ---------------------------------------------------------------------------------

def usable_lists_q(region_code: str) -> Q:
    """Lists usable for a run over ``region_code``: loaded, of the region, above it or inside it."""
    above = [c for c in ancestor_codes(region_code).values()]
    return Q(status=ListStatus.LOADED) & (Q(region_code__in=above)
                                          | Q(region_code__startswith=prefix_of(region_code)))


def default_lists(lists: Iterable[DepartmentList]) -> list[DepartmentList]:
    """The newest list of each kind (as-of date, then upload order)."""
    newest: dict[str, DepartmentList] = {}
    for item in sorted(lists, key=lambda x: (x.as_of, x.pk)):
        newest[item.kind] = item
    return [newest[k] for k in department_lists.KIND_IDS if k in newest]


def run_screening(*, actor: Any, region_code: str | None = None, list_ids: Sequence[int] | None = None,
                  source: str = "web", stages: dict[str, float] | None = None) -> ScreeningRun:
    """Screen the registry under ``region_code`` (default: the actor's region) against the chosen lists
    (default: the newest of each kind). Returns the run, ``done`` or ``failed`` (with the reason);
    ``stages`` receives the seconds of each stage (read_members, read_records, join, write)."""
    started = time.perf_counter()
    stages = stages if stages is not None else {}
    region_code = _region(region_code or getattr(actor, "region_id", None))
    if actor is not None:
        require_in_scope(actor, region_code, roles.RUN_SCREENING)
    if not Region.objects.filter(code=region_code).exists():
        raise ScreeningRefused("未知区划 / unknown region", {"region_code": ["未知区划 / unknown region"]})
    usable = list(DepartmentList.objects.filter(usable_lists_q(region_code)))
    if list_ids:
        wanted = {int(i) for i in list_ids}
        chosen = [d for d in usable if d.pk in wanted]
        missing = sorted(wanted - {d.pk for d in chosen})
        if missing:
            message = (f"名单{', '.join(f'#{i}' for i in missing)}不能用于该区域(未入库或不属于该区域) / list(s) "
                       f"{missing} cannot be used for this region (not loaded, or of another region)")
            raise ScreeningRefused(message, {"list_ids": [message]})
    else:
        chosen = default_lists(usable)
    if not chosen:
        message = "没有可用的部门名单,请先导入 / no department list can be used here; import one first"
        raise ScreeningRefused(message, {"list_ids": [message]})
    run = ScreeningRun.objects.create(region_code=region_code, actor=actor if getattr(actor, "pk", None) else None,
                                      actor_name=audit.actor_name(actor), source=source, status=RunStatus.RUNNING)
    run.lists.set(chosen)
    try:
        _screen(run, chosen, stages)
    except Exception as exc:
        log.exception("screening run %s failed", run.pk)
        ScreeningRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, finished_at=timezone.now(),
                                                      error=f"{type(exc).__name__}: {exc}"[:2000],
                                                      seconds=time.perf_counter() - started)
    else:
        ScreeningRun.objects.filter(pk=run.pk).update(seconds=time.perf_counter() - started)
    return ScreeningRun.objects.get(pk=run.pk)


def _lock_hits() -> None:
    """Keep other runs out of the hits table until the transaction ends (SQLite's write lock does)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {ScreeningHit._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")


def _screen(run: ScreeningRun, chosen: list[DepartmentList], stages: dict[str, float]) -> None:
    t0 = time.perf_counter()
    members = frames.region_members(run.region_code)
    t1 = time.perf_counter()
    records = pl.concat([frames.list_records(d.pk, d.rows_accepted) for d in chosen])
    t2 = time.perf_counter()
    matches = screen.match(members, records, {d.pk: d.kind for d in chosen})
    t3 = time.perf_counter()
    rules = rule_links.rules_for_region(run.region_code)
    records_by_kind: dict[str, int] = {}
    for d in chosen:
        records_by_kind[d.kind] = records_by_kind.get(d.kind, 0) + d.rows_accepted
    with transaction.atomic():
        _lock_hits()
        known = frames.known_hits([d.pk for d in chosen])
        new = screen.new_hits(matches, known)
        copy_frame(ScreeningHit, screen.hit_rows(new, run_id=run.pk, rules=rules))
        by_kind = screen.counts_by_kind(matches, new)
        counts = {k: {"records": n, **by_kind.get(k, {"matched": 0, "new": 0})} for k, n in records_by_kind.items()}
        run.status = RunStatus.DONE
        run.finished_at = timezone.now()
        run.persons_screened = members.height
        run.hits_matched = matches.height
        run.hits_new = new.height
        run.counts = counts
        run.rules = {k: rules[k] for k in records_by_kind}
        run.save()
        audit.record(actor=run.actor, action=ChangeAction.CREATE, obj=run, household_id=None,
                     region_code=run.region_code, source=run.source,
                     changes=audit.diff({}, {"lists": [d.pk for d in chosen], "persons_screened": members.height,
                                             "hits_matched": matches.height, "hits_new": new.height}))
    t4 = time.perf_counter()
    stages.update(read_members=t1 - t0, read_records=t2 - t1, join=t3 - t2, write=t4 - t3)


# --- decisions --------------------------------------------------------------------------------------

def decide_hit(*, actor: Any, hit_id: int, decision: str, comment: str = "", source: str = "web") -> ScreeningHit:
    """Confirm (确认) or dismiss (排除, with a comment) an open hit (see the module docstring)."""
    if decision not in Decision.values:
        message = f"无效的核实结论: {decision} / decision must be confirm or dismiss"
        raise ScreeningRefused(message, {"decision": [message]})
    comment = (comment or "").strip()
    if decision == Decision.DISMISS and not comment:
        message = "排除疑点须填写核实意见 / dismissing a hit needs a comment"
        raise ScreeningRefused(message, {"comment": [message]})
    with transaction.atomic():
        hit = (ScreeningHit.objects.select_for_update(of=("self",)).select_related("record__department_list", "member")
               .filter(pk=hit_id).first())
        if hit is None:
            raise ScopeError("不存在或无权操作 / not found")
        if actor is not None:
            require_in_scope(actor, hit.village_code, roles.DECIDE_SCREENING)
        if hit.status != HitStatus.OPEN:
            message = f"该疑点已处理({hit.get_status_display()}) / this hit was already decided"
            raise ScreeningRefused(message, {"decision": [message]})
        fields = ("status", "comment", "decided_by_name")
        before = audit.field_values(hit, fields)
        hit.status = HitStatus.CONFIRMED if decision == Decision.CONFIRM else HitStatus.DISMISSED
        hit.comment = comment
        hit.decided_by = actor if getattr(actor, "pk", None) else None
        hit.decided_by_name = audit.actor_name(actor)
        hit.decided_at = timezone.now()
        hit.save()
        changes = audit.diff(before, audit.field_values(hit, fields))
        audit.record(actor=actor, action=ChangeAction.STATUS, obj=hit, changes=changes,
                     household_id=hit.household_id, region_code=hit.village_code, source=source, comment=comment)
        leave_reason = department_lists.get_kind(hit.kind).member_leave_reason
        if hit.status == HitStatus.CONFIRMED and leave_reason and hit.member.status == RecordStatus.ACTIVE:
            _member_leaves(actor, hit, leave_reason, source)
    return hit


def _member_leaves(actor: Any, hit: ScreeningHit, reason: str, source: str) -> None:
    record = hit.record
    dept = record.department_list
    died_on = (record.detail or {}).get("died_on") or ""
    note = (f"数据比对确认(第{dept.pk}号名单 {dept.source_department} {dept.as_of:%Y-%m-%d}"
            f"{',死亡日期' + str(died_on) if died_on else ''}) / confirmed by screening hit #{hit.pk}")
    if hit.comment:
        note += f": {hit.comment}"
    try:
        member_leaves(actor=actor, member_id=hit.member_id, reason=reason, comment=note, source=source)
    except RegistryError as exc:
        details = [m for msgs in exc.field_errors.values() for m in msgs]
        raise ScreeningRefused(f"{exc.message}{' (' + '; '.join(details) + ')' if details else ''}",
                               {"decision": [exc.message]}) from exc
