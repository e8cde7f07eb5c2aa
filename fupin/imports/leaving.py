"""减员原因 at review — the persons a batch marks as left, and the reasons the reviewer gives for them.

A registered member whom the file's household does not list leaves it when the batch is merged. The
file names the reason only when it lists the person in another of its households (分户, 迁至户); for
anyone else it is 其他 unless the reviewer, while the batch waits at review, says why — died, married
out, moved away, imprisoned, never belonged (:mod:`.pipelines.leave_reasons`). The reasons are kept
with the batch (:class:`~.models.LeavingReason`, by ID number, so a batch checked again keeps them),
every change to them is in the audit trail, and the merge writes them to the members it marks as left.

The list is read from the batch's reviewed diff (its ``leaving`` frame, kept until the batch is
decided). The caller has read the batch through the region scope; giving reasons needs
``registry.edit`` in the batch's region, as the merge does.
"""

from __future__ import annotations

import io
import secrets
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from fupin.core import audit, landing
from fupin.core.models import ChangeAction
from fupin.core.scoping import require_in_scope
from fupin.core.xlsx_sheet import ChoiceList, ColumnHelp, write_xlsx
from fupin.policy import codes, roles
from fupin.policy.masking import masked_id_numbers
from fupin.screening.pipelines.read_list import ListReadError, read_list

from .choices import BatchStatus
from .models import ImportBatch, LeavingReason, ReceivedLeaveSheet, SheetOutcome
from .pipelines import leave_sheet
from .pipelines.leave_reasons import FILE_SILENT, GIVEN_REASONS
from .services import ImportRefused, _diff_path, imports_dir

COMMENT_MAX = 200
#: Columns of :func:`persons_leaving`.
LEAVING_COLUMNS = ("member_id", "household_id", "household_number", "name", "id_number", "relation",
                   "file_reason", "moved_to", "reason", "comment", "given")


def available(batch: ImportBatch) -> bool:
    """The list can be read and reasons given: the batch waits at review with its reviewed diff."""
    return batch.status == BatchStatus.REVIEW and _diff_path(batch, "leaving.parquet").exists()


def _leaving(batch: ImportBatch) -> pl.DataFrame:
    frame = pl.read_parquet(_diff_path(batch, "leaving.parquet"))
    if "leave_reason" not in frame.columns:  # a diff kept from before the reasons were read
        frame = frame.with_columns(pl.lit(None, dtype=pl.Utf8).alias("moved_to"),
                                   pl.lit(FILE_SILENT).alias("leave_reason"))
    return frame.select(pl.col("id").cast(pl.Int64).alias("member_id"), pl.col("household_id").cast(pl.Int64),
                        pl.col("household_number").cast(pl.Utf8), pl.col("name").cast(pl.Utf8),
                        pl.col("id_number").cast(pl.Utf8), pl.col("relation").cast(pl.Utf8),
                        pl.col("leave_reason").cast(pl.Utf8).alias("file_reason"), pl.col("moved_to").cast(pl.Utf8))


def persons_leaving(batch: ImportBatch, *, full: bool) -> pl.DataFrame:
    """减员名单 — the batch's persons leaving (:data:`LEAVING_COLUMNS`), by household and relation: the
    reason read from the file (``file_reason``), the one the merge will write (``reason``: the given
    one where the file is silent) and the reviewer's comment; ID numbers masked unless ``full``.
    Empty unless :func:`available`."""
    if not available(batch):
        return pl.DataFrame(schema=dict.fromkeys(LEAVING_COLUMNS, pl.Utf8))
    given = pl.DataFrame(list(batch.leaving_reasons.values_list("id_number", "reason", "comment")),
                         schema={"id_number": pl.Utf8, "_given": pl.Utf8, "comment": pl.Utf8}, orient="row")
    frame = (_leaving(batch).join(given, on="id_number", how="left", maintain_order="left")
             .with_columns((pl.col("_given").is_not_null() & (pl.col("file_reason") == FILE_SILENT)).alias("given"))
             .with_columns(pl.when(pl.col("given")).then(pl.col("_given")).otherwise(pl.col("file_reason"))
                           .alias("reason"),
                           pl.when(pl.col("given")).then(pl.col("comment").fill_null("")).otherwise(pl.lit(""))
                           .alias("comment"))
             .sort("household_number", "relation", "member_id"))
    if not full:
        frame = frame.with_columns(masked_id_numbers(pl.col("id_number")).alias("id_number"))
    return frame.select(LEAVING_COLUMNS)


def give_reasons(*, actor: Any, batch_id: int, reasons: Mapping[int, tuple[str, str]], source: str = "web",
                 sheet: str = "") -> int:
    """Give (or, with reason ``""``, take back) the reason for persons leaving: ``{member_id: (reason,
    comment)}`` for members of the batch's list whom the file does not place elsewhere. All or
    nothing: an unknown member, a reason the file already gives, a reason outside
    :data:`~.pipelines.leave_reasons.GIVEN_REASONS` or a comment over 200 characters refuses the
    whole call (:class:`~.services.ImportRefused` naming the member). ``sheet``: the file the reasons
    came from (:func:`give_reasons_from_sheet`), named in the audit rows. Returns how many reasons changed."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
        if actor is not None:  # None: the system (the command line), every region
            require_in_scope(actor, batch.region_code, roles.EDIT_REGISTRY)
        if not available(batch):
            raise ImportRefused("只有待确认的批次可以填写减员原因 / reasons for leaving are given while the batch "
                                f"awaits review (this one is {batch.status})")
        rows = {r["member_id"]: r for r in _leaving(batch).iter_rows(named=True)}
        wanted: dict[str, tuple[dict[str, Any], str, str]] = {}
        for member_id, (reason, comment) in reasons.items():
            row = rows.get(member_id)
            if row is None:
                raise ImportRefused(f"成员 #{member_id} 不在本批次的减员名单中 / member #{member_id} is not among the "
                                    "persons this batch marks as left", field="reasons")
            who = f"{row['name']}(户 {row['household_number']})"
            reason, comment = (reason or "").strip(), (comment or "").strip()
            if row["file_reason"] != FILE_SILENT:
                raise ImportRefused(f"{who}的减少原因由文件决定({codes.MEMBER_LEAVE_REASON.label(row['file_reason'])})"
                                    f" / the file gives this person's reason ({row['file_reason']})", field="reasons")
            if reason and reason not in GIVEN_REASONS:
                raise ImportRefused(f"{who}:减少原因“{reason}”不可选 / not a reason that can be given: {reason}",
                                    field="reasons")
            if len(comment) > COMMENT_MAX:
                raise ImportRefused(f"{who}:说明超过{COMMENT_MAX}字 / the comment is longer than {COMMENT_MAX} "
                                    "characters", field="reasons")
            wanted[row["id_number"]] = (row, reason, comment if reason else "")
        existing = {r.id_number: r for r in batch.leaving_reasons.filter(id_number__in=list(wanted))}
        now, who_gave, changed = timezone.now(), audit.actor_name(actor), 0
        for id_number, (row, reason, comment) in wanted.items():
            old = existing.get(id_number)
            before = {"reason": old.reason, "comment": old.comment} if old else {"reason": "", "comment": ""}
            if before == {"reason": reason, "comment": comment}:
                continue
            if old is None:
                obj = LeavingReason.objects.create(batch=batch, id_number=id_number, reason=reason, comment=comment,
                                                   given_by_name=who_gave, given_at=now)
            elif reason:
                old.reason, old.comment, old.given_by_name, old.given_at = reason, comment, who_gave, now
                old.save(update_fields=["reason", "comment", "given_by_name", "given_at"])
                obj = old
            else:  # taken back: the merge writes 其他 again
                pk = old.pk
                old.delete()
                old.pk = pk  # the audit row names the record taken back
                obj = old
            audit.record(actor=actor, action=ChangeAction.CREATE if old is None else ChangeAction.UPDATE, obj=obj,
                         changes=audit.diff(before, {"reason": reason, "comment": comment}),
                         household_id=row["household_id"], region_code=batch.region_code, source=source,
                         comment=f"导入批次 #{batch.pk} 减员原因 / reason for leaving in import batch #{batch.pk}"
                         + (f"(减员原因表 / from the sheet {sheet})" if sheet else ""))
            changed += 1
    return changed


def given_counts(batch: ImportBatch) -> dict[str, int]:
    """How many reasons were given, by reason (the batch page's summary): at review, those of persons
    leaving now without a reason from the file; once merged, those the merge wrote."""
    reasons = batch.leaving_reasons.all()
    if batch.status == BatchStatus.MERGED:
        reasons = reasons.filter(applied=True)
    elif available(batch):
        silent = set(_leaving(batch).filter(pl.col("file_reason") == FILE_SILENT).get_column("id_number").to_list())
        reasons = reasons.filter(id_number__in=[n for n in reasons.values_list("id_number", flat=True) if n in silent])
    rows = reasons.values("reason").annotate(n=Count("id")).order_by("reason")
    return {r["reason"]: r["n"] for r in rows}


# 减员原因表: the list as a sheet to fill in away from the system, and the filled sheet read back ------

#: A filled sheet larger than this is refused before it is read (a county's list is a few hundred KB).
SHEET_MAX_BYTES = 20 * 1024 * 1024
REASON_LIST = ChoiceList("fupin_leave_reason", "减员原因", leave_sheet.REASON_LABELS)
REASON_HELP = ColumnHelp(
    column=leave_sheet.REASON_HEADER, title="减员原因", choices=REASON_LIST.name,
    prompt="从下拉列表选择:" + "、".join(leave_sheet.REASON_LABELS) + "。空着表示不填(入库记为其他)。"
           "“文件所定原因”一栏有内容的人,原因由文件决定,不必填。",
    error_title="不在下拉列表中", error="不是可填的减员原因;导入也接受代码(如 death)。")
COMMENT_HELP = ColumnHelp(column=leave_sheet.COMMENT_HEADER, title="说明",
                          prompt=f"可选,不超过{COMMENT_MAX}字,如死亡日期、婚入何处。")


def sheet_xlsx(batch: ImportBatch, *, full: bool) -> tuple[bytes, int]:
    """减员名单 as an xlsx to fill in (:func:`.pipelines.leave_sheet.sheet_frame`, sheet 减员名单, a
    drop-down on 减员原因) and its rows; ID numbers masked unless ``full`` (the 成员编号 column still
    names each person, so a masked sheet can be filled in and read back)."""
    frame = leave_sheet.sheet_frame(persons_leaving(batch, full=full))
    out = io.BytesIO()
    write_xlsx(frame, out, sheet="减员名单", helps=(REASON_HELP, COMMENT_HELP), choices=(REASON_LIST,),
               choices_sheet="下拉列表")
    return out.getvalue(), frame.height


class LeaveSheetRefused(ImportRefused):
    """A filled 减员原因表 with errors: nothing was saved. ``errors``: row, column, reason (every one) and
    the sheet of a workbook read whole (:func:`.pipelines.leave_sheet.by_sheet`)."""

    SHOWN = 10

    def __init__(self, errors: pl.DataFrame, file_name: str) -> None:
        lines = leave_sheet.error_lines(errors, self.SHOWN)
        more = errors.height - len(lines)
        message = (f"减员原因表“{file_name}”有 {errors.height} 处错误,未保存任何原因 / the sheet {file_name} has "
                   f"{errors.height} errors: no reason was saved. " + ";".join(lines)
                   + (f";另有 {more} 处 / and {more} more" if more > 0 else ""))
        super().__init__(message, field="file")
        self.errors = errors


@dataclass(frozen=True)
class SheetApplied:
    """What a filled sheet did: reasons in it, how many changed, rows read, left empty, ignored."""

    reasons: int
    changed: int
    rows: int
    empty: int
    ignored: int


def give_reasons_from_sheet(*, actor: Any, batch_id: int, path: Path, file_name: str,
                            source: str = "web") -> SheetApplied:
    """Give the reasons a filled 减员原因表 holds (xlsx, xls, ods or CSV; the download of
    :func:`sheet_xlsx` or a village's own list with 证件号码 and 减员原因 columns), all or nothing: a file
    that cannot be read, or any row in error (:func:`.pipelines.leave_sheet.read_filled`), refuses it
    whole (:class:`LeaveSheetRefused` lists every row, column and reason). Empty reasons change nothing.
    Same rights and audit as :func:`give_reasons`, whose rows name the sheet.

    Every sheet read is kept (:class:`~.models.ReceivedLeaveSheet`, landed in the data folder with its
    SHA-256), applied or refused; an empty or oversized file is refused before it is kept."""
    batch = ImportBatch.objects.get(pk=batch_id)
    if actor is not None:
        require_in_scope(actor, batch.region_code, roles.EDIT_REGISTRY)
    if not available(batch):
        raise ImportRefused("只有待确认的批次可以填写减员原因 / reasons for leaving are given while the batch "
                            f"awaits review (this one is {batch.status})")
    try:
        landed = landing.land(Path(path), imports_dir(), max_bytes=SHEET_MAX_BYTES, prefix="leave-sheet-")
    except landing.LandingRefused as exc:
        raise ImportRefused(f"减员原因表为空或超过{SHEET_MAX_BYTES // 1024 // 1024}MB / the sheet is empty or larger "
                            f"than {SHEET_MAX_BYTES // 1024 // 1024} MB", field="file") from exc
    suffix = Path(file_name).suffix.lower()[:10]
    stored = landed.keep_as(imports_dir() / f"batch-{batch.pk:06d}-leave-sheet-{landed.sha256[:12]}-"
                                           f"{secrets.token_hex(4)}{suffix}")
    kept = partial(ReceivedLeaveSheet.objects.create, batch=batch, file_name=Path(file_name).name[:255] or "sheet",
                   file_sha256=landed.sha256, file_size=landed.size, stored_path=str(stored),
                   actor=actor if getattr(actor, "pk", None) else None, actor_name=audit.actor_name(actor),
                   source=source[:20])
    recorded = False
    try:
        try:
            raw = read_list(stored, leave_sheet.LEAVE_SHEET)
        except ListReadError as exc:
            refused = ImportRefused(f"减员原因表“{file_name}”无法读取:{exc} / the sheet cannot be read", field="file")
            kept(outcome=SheetOutcome.REFUSED, refusal=refused.message[:500])
            recorded = True
            raise refused from exc
        filled = leave_sheet.read_filled(raw.frame, _leaving(batch))
        if filled.errors.height:
            sheet_refused = LeaveSheetRefused(leave_sheet.by_sheet(filled.errors, raw.parts), file_name)
            kept(outcome=SheetOutcome.REFUSED, rows=filled.rows, errors=filled.errors.height,
                 refusal=sheet_refused.message[:500])
            recorded = True
            raise sheet_refused
        with transaction.atomic():
            sheet = kept(outcome=SheetOutcome.APPLIED, rows=filled.rows, reasons=filled.reasons.height)
            changed = give_reasons(actor=actor, batch_id=batch.pk, reasons=filled.reason_map(), source=source,
                                   sheet=f"#{sheet.pk} {file_name}")
            sheet.changed = changed
            sheet.save(update_fields=["changed"])
        recorded = True
    finally:
        if not recorded:  # no record names the copy (an error, or give_reasons refused and rolled back)
            stored.unlink(missing_ok=True)
    return SheetApplied(reasons=filled.reasons.height, changed=changed, rows=filled.rows, empty=filled.empty,
                        ignored=filled.ignored)


def give_reasons_from_upload(*, actor: Any, batch_id: int, chunks: Iterable[bytes], file_name: str,
                             source: str = "web") -> SheetApplied:
    """:func:`give_reasons_from_sheet` for an uploaded sheet (its ``chunks``), copied to a temporary
    folder for the reader and removed afterwards whatever happens."""
    with tempfile.TemporaryDirectory(prefix="fupin-leave-sheet-") as folder:
        path = Path(folder) / "sheet"
        with path.open("wb") as out:
            for chunk in chunks:
                out.write(chunk)
        return give_reasons_from_sheet(actor=actor, batch_id=batch_id, path=path, file_name=file_name or "sheet",
                                       source=source)
