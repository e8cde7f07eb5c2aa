"""Roster import (花名册导入) in stages, the HOPE pattern: land → validate → review → merge or refuse.

- :func:`land_file` keeps a copy of the file in the data folder with its SHA-256 (status ``landed``),
  copied block by block (:mod:`fupin.core.landing`); an empty file or one over ``FUPIN_IMPORT_MAX_MB``
  is refused.
- :func:`validate_batch` (writing a heartbeat while it works, :mod:`fupin.core.heartbeat`) reads,
  normalises and checks every row (``check_roster``), compares the
  accepted rows with the registry (:mod:`.pipelines.diff_roster`; for a batch of mode ``members``,
  只更新所列成员, :mod:`.pipelines.diff_members`; of mode ``household_columns``, 只更新户信息,
  :mod:`.pipelines.diff_household_columns`), stores every rejected row and the
  counts — new / changed / unchanged households and persons, per village — and waits for review
  (``review``). Rows read = rows imported + rows rejected, always.
- :func:`merge_batch` writes it in **one** transaction: it writes the reviewed diff when nothing in
  the registry that diff depends on has changed (:func:`registry_fingerprint`); otherwise it checks
  the landed file again against the registry as it is now and refuses a stale batch (the outcome
  differs from what was reviewed). Then it writes new and
  changed households and members in bulk (COPY on PostgreSQL), the leaves and the audit rows, and
  the batch's final counts. Any failure rolls everything back: the registry is exactly as before
  and the batch is ``failed`` (or, when killed, still ``review``).
- :func:`refuse_batch` ends a batch at review (or landed, failed, or stopped); nothing is written.
- :func:`claim_revalidation` takes a failed batch, or one whose validation stopped with its process
  (no heartbeat: :meth:`.models.ImportBatch.stalled`), back to ``validating`` for a new check.

Scope: ``actor=None`` is the system (the CLI without ``--as``): every village, full IDs. A user may
import only into villages of their own region (``registry.edit``); rows for other villages are
rejected by ``check_roster`` (the context's villages), never written.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import polars as pl
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from fupin.core import bilingual, heartbeat, landing, sqlite_stage
from fupin.core.audit import actor_name
from fupin.core.bulk import copy_frame
from fupin.core.frames import rows_in
from fupin.core.scoping import ScopeError, require_in_scope
from fupin.core.xlsx_sheet import xlsx_bytes
from fupin.policy import codes, roles
from fupin.policy.masking import mask_account, mask_id_number, masked_accounts, masked_id_numbers
from fupin.policy.regions import RegionCodeError, normalize_code
from fupin.registry.models import Household, Member

from . import roster, roster_help
from .choices import BatchStatus, ImportMode
from .models import AbsentHousehold, ImportBatch, ImportRejection, heartbeat_seconds, stall_seconds
from .pipelines import change_list, registry_frames, zip_rosters
from .pipelines.diff_household_columns import diff_household_columns
from .pipelines.diff_members import diff_members
from .pipelines.diff_roster import REJECTION_SCHEMA, RosterDiff, diff_roster
from .pipelines.leave_reasons import FILE_SILENT, GIVEN_SCHEMA, with_given_reasons
from .pipelines.merge_roster import merge_roster

if TYPE_CHECKING:
    from .pipelines.check_roster import CheckedRoster, RosterContext

log = logging.getLogger(__name__)
Progress = Callable[[int, str], None]
_COMPARED_COUNTS = ("households_new", "households_changed", "households_unchanged", "persons_new",
                    "persons_changed", "persons_unchanged", "persons_left", "persons_moved", "rows_imported")


class ImportRefused(Exception):
    """An import step that cannot proceed (wrong status, stale batch, failed merge); ``field`` names
    the input at fault when there is one (``file``: empty or too large)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def imports_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


_DIFF_FRAMES = ("households", "members", "leaving", "old_households", "old_members")


def _diff_path(batch: ImportBatch, part: str) -> Path:
    return imports_dir() / f"batch-{batch.pk:06d}-diff-{part}"


#: Bumped when :func:`registry_fingerprint` changes how it hashes (an old batch's marker then simply
#: differs, and the merge checks the landed file again).
FINGERPRINT_VERSION = "2"


def registry_fingerprint(registry: registry_frames.RegistryRows, context: RosterContext) -> str:
    """SHA-256 of everything in the registry the diff of the accepted rows depends on: ``registry``
    read for (or cut down to, :meth:`~.registry_frames.RegistryRows.for_rows`) those rows — the
    registry households with their 户编号 and their active members (every compared field, canonical,
    plus id, version and status), the active members holding one of their ID numbers — and the
    villages the importer may write to. Equal fingerprints at review and at merge mean the diff made
    at review is still exactly right, whoever wrote what in between (a version bump is not relied on).

    Column work: each row is hashed by Polars (``hash_rows``, 64 bits, fixed seeds) and the sorted row
    hashes of each frame, with its column names and Polars' version, go into the SHA-256 — the order
    of the rows does not matter and no text is written. Polars promises the row hashes are stable
    within one version only, so a batch reviewed before an upgrade is checked again at merge (never
    wrongly taken as unchanged). Measured on a re-import of 961k members: the earlier way (sort every
    frame by all its columns and hash it as CSV) took 5.4 s."""
    digest = hashlib.sha256(f"fingerprint {FINGERPRINT_VERSION} polars {pl.__version__}".encode())
    for frame in (registry.households, registry.members, registry.holders, context.villages.select("code")):
        columns = sorted(frame.columns)
        digest.update(("\x1f".join(columns) + f"\x1e{frame.height}\x1e").encode())
        if frame.height:
            hashes = frame.select(columns).hash_rows(seed=20161, seed_1=1, seed_2=2, seed_3=3).sort()
            digest.update(hashes.cast(pl.Utf8).str.join(",").item().encode())
        digest.update(b"\x1e")
    return digest.hexdigest()


def _write_work_file(frame: pl.DataFrame, path: Path) -> None:
    """A batch's working frame (read once by the merge, deleted after it): LZ4 and no column
    statistics, which nothing reads (measured, 961k accepted rows: 1.24 s with the defaults, 0.8 s so)."""
    frame.write_parquet(path, compression="lz4", statistics=False)


def _discard_work_files(batch: ImportBatch) -> None:
    """Delete a decided batch's working files (the landed file and the rejections stay)."""
    for part in (*(f"{p}.parquet" for p in _DIFF_FRAMES), "fingerprint.txt"):
        _diff_path(batch, part).unlink(missing_ok=True)


def _save_diff(batch: ImportBatch, diff: RosterDiff, fingerprint: str) -> None:
    """Keep the reviewed diff for the merge (used only if the registry fingerprint is unchanged; the
    accepted rows are not kept apart: the diff's members carry every 户编号 and ID number the
    fingerprint needs, and a changed registry has the landed file checked again)."""
    for part in _DIFF_FRAMES:
        _write_work_file(getattr(diff, part), _diff_path(batch, f"{part}.parquet"))
    _diff_path(batch, "fingerprint.txt").write_text(fingerprint)


def changes_path(batch: ImportBatch) -> Path:
    """The batch's list of changes (变更明细), kept with the batch like its rejected rows."""
    return imports_dir() / f"batch-{batch.pk:06d}-changes.parquet"


def _save_changes(batch: ImportBatch, diff: RosterDiff) -> list[dict[str, Any]]:
    """Write the batch's list of changes (:func:`.pipelines.change_list.change_list`); returns its
    summary by field for the batch record. Written to a temporary name and renamed, so a reader never
    meets half a file."""
    changes = change_list.change_list(diff)
    path = changes_path(batch)
    part = path.with_name(path.name + ".part")
    changes.write_parquet(part, compression="zstd")
    part.replace(path)
    return change_list.by_field(changes)


def _diff_to_merge(batch: ImportBatch, context: RosterContext) -> tuple[RosterDiff, bool]:
    """What the merge writes, the registry being locked: the reviewed diff when everything in the
    registry it depends on is unchanged (same :func:`registry_fingerprint`); otherwise the landed
    file checked and compared again, refused when the outcome is not the one reviewed (counts of new,
    changed, unchanged and leaving households and persons, rows imported and rejected). The flag is
    true for a diff made again (its values may differ from the reviewed ones)."""
    members_path, marker = _diff_path(batch, "members.parquet"), _diff_path(batch, "fingerprint.txt")
    if members_path.exists() and marker.exists():
        members = pl.read_parquet(members_path)
        with registry_frames.read_once():
            registry = registry_frames.registry_rows(members.select("household_number", "id_number"),
                                                     persons_only=context.members_only)
        if registry_fingerprint(registry, context) == marker.read_text():
            frames = {part: members if part == "members" else pl.read_parquet(_diff_path(batch, f"{part}.parquet"))
                      for part in _DIFF_FRAMES}
            return RosterDiff(**frames, rejections=pl.DataFrame(schema=REJECTION_SCHEMA),
                              counts={k: getattr(batch, k) for k in _COMPARED_COUNTS}), False
    with registry_frames.read_once():
        checked = check_file(Path(batch.stored_path), context)
        diff = diff_checked(checked.valid, context, checked.rejections, holders=checked.holders,
                            rejected_persons=checked.rejected_persons, present=checked.present)
    now = {k: v for k, v in _counts(checked, diff).items() if k in (*_COMPARED_COUNTS, "rows_rejected")}
    reviewed = {k: getattr(batch, k) for k in now}
    if now != reviewed:
        raise ImportRefused("审核后登记库已变化,请重新校验该批次 / the registry changed after the review; "
                            f"validate the batch again (reviewed {reviewed}, now {now})")
    return diff, True


# --- context and analysis (no writes) ---------------------------------------------------------------

def build_context(actor: Any, region_code: str | None = None, held: Iterable[str] = (),
                  mode: str = ImportMode.HOUSEHOLDS) -> RosterContext:
    """The villages ``actor`` may write to (within ``region_code``); the active members holding the
    file's ID numbers are read once the file is (``RosterContext.members_holding``); ``held``: the
    villages held back at review (:mod:`.holding`), whose rows are rejected; ``mode``: the
    :class:`~.choices.ImportMode` (只更新所列成员: :mod:`.pipelines.diff_members`)."""
    from .pipelines.check_roster import RosterContext

    if mode not in ImportMode.values:
        raise ImportRefused(f"导入方式只能是 {'、'.join(ImportMode.values)} / unknown import mode {mode!r}",
                            field="mode")
    holding = registry_frames.member_holders if mode == ImportMode.MEMBERS else registry_frames.active_members_frame
    return RosterContext(villages=registry_frames.villages_frame(actor, region_code),
                         members_holding=holding, held_villages=frozenset(held),
                         members_only=mode == ImportMode.MEMBERS,
                         household_columns_only=mode == ImportMode.HOUSEHOLD_COLUMNS)


def batch_context(batch: ImportBatch) -> RosterContext:
    """:func:`build_context` for a landed batch: its importer, region, held villages and mode."""
    return build_context(batch.actor, batch.region_code, batch.held_villages or (), batch.mode)


def check_file(path: Path, context: RosterContext) -> CheckedRoster:
    from .pipelines.check_roster import check_roster

    return check_roster(path, context)


def diff_checked(valid: pl.DataFrame, context: RosterContext, prior: pl.DataFrame | None = None, *,
                 registry: registry_frames.RegistryRows | None = None,
                 holders: pl.DataFrame | None = None, rejected_persons: pl.DataFrame | None = None,
                 present: Iterable[str] | None = None) -> RosterDiff:
    """Diff accepted rows against the registry as it is now (``registry`` when already read for
    ``valid``; ``holders``: the active members holding its ID numbers, when the check read them;
    ``rejected_persons``: 户编号 and 证件号码 of the rows the check rejected, ``CheckedRoster.rejected_persons``;
    ``present``: the fields the file has columns for, ``CheckedRoster.present``, read when only the
    listed persons are updated)."""
    registry = registry or registry_frames.registry_rows(valid, holders, persons_only=context.members_only)
    names = {r["code"]: f"{r['township_name']}{r['village_name']}" for r in context.villages.iter_rows(named=True)}
    if context.household_columns_only:
        return diff_household_columns(
            valid, registry_households=registry.households, registry_members=registry.members,
            allowed_villages=context.villages["code"].to_list(),
            present=present if present is not None else roster.BY_FIELD, prior_rejections=_prior(prior),
            village_names=names, held_villages=context.held_villages,
        )
    if context.members_only:
        return diff_members(
            valid, registry_households=registry.households, registry_members=registry.members,
            active_members=registry.holders, allowed_villages=context.villages["code"].to_list(),
            present=present if present is not None else roster.BY_FIELD, prior_rejections=_prior(prior),
            village_names=names, held_villages=context.held_villages,
        )
    return diff_roster(
        valid, registry_households=registry.households, registry_members=registry.members,
        active_members=registry.holders, allowed_villages=context.villages["code"].to_list(),
        prior_rejections=_prior(prior), village_names=names, prior_persons=rejected_persons,
    )


def _prior(rejections: pl.DataFrame | None) -> pl.DataFrame:
    if rejections is None or rejections.height == 0:
        return pl.DataFrame(schema=REJECTION_SCHEMA)
    cols = [pl.col(c).cast(t) if c in rejections.columns else pl.lit(None, t).alias(c)
            for c, t in REJECTION_SCHEMA.items()]
    return rejections.select(cols)


def preview_file(path: Path, *, actor: Any, region_code: str | None = None, progress: Progress | None = None,
                 held: Iterable[str] = (), mode: str = ImportMode.HOUSEHOLDS,
                 ) -> tuple[CheckedRoster, RosterDiff, dict[str, Any]]:
    """Check and diff a file without landing it or writing anything (``fupin import --dry-run``);
    ``held``: villages held back (their rows rejected, as at review); ``mode``: the import mode."""
    if region_code:
        try:  # a short code (3504) as the import takes it; before, the dry run failed on it
            region_code = normalize_code(region_code)
        except RegionCodeError as exc:
            raise ImportRefused(str(exc)) from exc
    progress = progress or (lambda p, label: None)
    progress(5, "读取与校验 / reading and checking")
    context = build_context(actor, region_code, held, mode)
    with registry_frames.read_once():
        checked = check_file(path, context)
        progress(60, "比对 / comparing")
        diff = diff_checked(checked.valid, context, checked.rejections, holders=checked.holders,
                            rejected_persons=checked.rejected_persons, present=checked.present)
    progress(100, "完成 / done")
    counts = _counts(checked, diff)
    if region_code and not (context.members_only or context.household_columns_only):
        counts, _absent = _with_absent(counts, region_code, checked, diff, context)
    return checked, diff, counts


def _counts(checked: CheckedRoster, diff: RosterDiff) -> dict[str, Any]:
    counts = {k: diff.counts[k] for k in _COMPARED_COUNTS}
    counts["rows_read"] = checked.rows_read
    counts["rows_rejected"] = checked.rows_rejected + diff.counts["rows_rejected_extra"]
    counts["rows_hidden"] = checked.hidden_rows
    counts["by_village"] = diff.by_village
    if counts["rows_read"] != counts["rows_imported"] + counts["rows_rejected"]:
        raise AssertionError(f"accounting broken: {counts}")
    return counts


def _with_absent(counts: dict[str, Any], region_code: str, checked: CheckedRoster, diff: RosterDiff,
                 context: RosterContext) -> tuple[dict[str, Any], pl.DataFrame]:
    """``counts`` with 在册但文件中没有的户, and those households (``village_code, household_number``): the active households of the villages the file covers (that
    the importer may write to) whose 户编号 the file does not list, in all (``households_absent``) and
    per village (``absent`` in ``by_village``). Shown at review so that a county re-importing its
    roster sees a village or township missing from the file; the merge leaves them as they are."""
    rejected = pl.concat([_prior(checked.rejections), diff.rejections.cast(REJECTION_SCHEMA)])
    villages = pl.concat([checked.valid.select(pl.col("village_code").cast(pl.Utf8)),
                          rejected.select("village_code")]).get_column("village_code")
    villages = rows_in(villages.to_frame(), "village_code", context.villages.get_column("code"))["village_code"]
    numbers = pl.concat([checked.valid.select(pl.col("household_number").cast(pl.Utf8)),
                         rejected.select("household_number")]).get_column("household_number")
    absent = registry_frames.absent_households(region_code, villages, numbers)
    per_village = dict(absent.group_by("village_code").len().iter_rows())
    by_village = [{**v, "absent": int(per_village.pop(v["village_code"], 0))} for v in counts["by_village"]]
    by_village += [{"village_code": code, "name": "", "new": 0, "changed": 0, "unchanged": 0, "rejected": 0,
                    "absent": int(n)} for code, n in sorted(per_village.items())]
    return {**counts, "households_absent": absent.height, "by_village": by_village}, absent


def all_rejections(checked: CheckedRoster, diff: RosterDiff) -> pl.DataFrame:
    return pl.concat([_prior(checked.rejections), diff.rejections.cast(REJECTION_SCHEMA)]).sort("_row")


# --- the stages -------------------------------------------------------------------------------------

def max_file_bytes() -> int:
    """The largest roster file landed (``FUPIN_IMPORT_MAX_MB``, default 1024 MB)."""
    return int(getattr(settings, "FUPIN_IMPORT_MAX_BYTES", 1024 << 20))


def land_file(*, actor: Any, file_name: str, content: bytes | BinaryIO | None = None,
              path: Path | None = None, region_code: str, source: str,
              mode: str = ImportMode.HOUSEHOLDS, expire_stale: bool = True) -> ImportBatch:
    """Keep a copy of the file (data folder), its SHA-256 and size; status ``landed``.

    ``content``: the bytes, or an open binary file (an upload, read block by block: never held whole
    in memory); ``path``: a file on disk. An empty file and one over :func:`max_file_bytes` are
    refused before any batch exists (:mod:`fupin.core.landing`).

    ``expire_stale``: once the file is kept, the batches left undecided past the limit are refused
    (:func:`expire_undecided`), so the rule the batch page states holds where no daily
    ``fupin expire_imports`` runs; a failure there is logged and leaves the new batch as it is."""
    try:
        region_code = normalize_code(region_code)
    except RegionCodeError as exc:
        raise ImportRefused(str(exc)) from exc
    if actor is not None:
        require_in_scope(actor, region_code, roles.EDIT_REGISTRY)
    if (content is None) == (path is None):
        raise ValueError("give content or path")
    if mode not in ImportMode.values:
        raise ImportRefused(f"导入方式只能是 {'、'.join(ImportMode.values)} / unknown import mode {mode!r}",
                            field="mode")
    try:
        landed = landing.land(content if content is not None else Path(str(path)), imports_dir(),
                              max_bytes=max_file_bytes(), prefix="batch-landing-")
    except landing.LandingRefused as exc:
        raise ImportRefused(exc.message, field="file") from exc
    try:
        batch = ImportBatch.objects.create(
            file_name=Path(file_name).name[:255], file_sha256=landed.sha256, file_size=landed.size,
            actor=actor if actor else None, actor_name=actor_name(actor), region_code=region_code,
            source=source, status=BatchStatus.LANDED, mode=mode,
        )
    except BaseException:
        landed.discard()
        raise
    suffix = Path(file_name).suffix.lower()[:10]
    stored = landed.keep_as(imports_dir() / f"batch-{batch.pk:06d}-{landed.sha256[:12]}{suffix}")
    batch.stored_path = str(stored)
    batch.save(update_fields=["stored_path"])
    if expire_stale:
        try:
            expire_undecided(trigger=f"批次 #{batch.pk} 上传时 / when batch #{batch.pk} was uploaded")
        except Exception:  # housekeeping: never the upload's failure
            log.exception("expiring undecided batches after landing batch %s failed", batch.pk)
    return batch


def _set_progress(batch: ImportBatch, percent: int, label: str, progress: Progress | None) -> None:
    ImportBatch.objects.filter(pk=batch.pk).update(progress=percent, progress_label=label[:100])
    if progress:
        progress(percent, label)


def validate_batch(batch_id: int, *, actor: Any = None, progress: Progress | None = None) -> ImportBatch:
    """Check every row and compare with the registry; store rejections and counts; status ``review``.
    An unexpected error leaves the batch ``failed`` with the reason (nothing in the registry changes)."""
    batch = ImportBatch.objects.get(pk=batch_id)
    if actor is not None:
        require_in_scope(actor, batch.region_code, roles.EDIT_REGISTRY)
    if batch.status not in (BatchStatus.LANDED, BatchStatus.VALIDATING, BatchStatus.REVIEW, BatchStatus.FAILED):
        raise ImportRefused(f"批次状态为{batch.get_status_display()},不能校验 / batch is {batch.status}")
    ImportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.VALIDATING, error="",
                                                   heartbeat_at=timezone.now())
    try:
        with heartbeat.beating(lambda: _beat(batch.pk), every=heartbeat_seconds()):
            _set_progress(batch, 5, "读取与校验 / reading and checking", progress)
            context = batch_context(batch)
            with registry_frames.read_once():
                checked = check_file(Path(batch.stored_path), context)
                _set_progress(batch, 60, "比对登记库 / comparing with the registry", progress)
                registry = registry_frames.registry_rows(checked.valid, checked.holders,
                                                         persons_only=context.members_only)
            diff = diff_checked(checked.valid, context, checked.rejections, registry=registry,
                                rejected_persons=checked.rejected_persons, present=checked.present)
            counts = _counts(checked, diff)
            if context.members_only or context.household_columns_only:  # a list: what it does not name is not missing
                absent = pl.DataFrame(schema={"village_code": pl.Utf8, "household_number": pl.Utf8})
                counts["households_absent"] = 0
            else:
                counts, absent = _with_absent(counts, batch.region_code, checked, diff, context)
            _set_progress(batch, 85, "保存错误行 / storing rejected rows", progress)
            if context.household_columns_only:  # the file holds no ID numbers: read as the merge will
                depends = registry_frames.registry_rows(diff.members.select("household_number", "id_number"))
            else:
                depends = _depends_on(registry, checked, diff)
            _save_diff(batch, diff, registry_fingerprint(depends, context))
            counts["changes_by_field"] = _save_changes(batch, diff)
            del registry
            rejections = all_rejections(checked, diff)
            encoding = (checked.encoding or "")[:20]
            parts = list(checked.parts)
            del checked, diff, context  # the frames are large; free them before storing
            with transaction.atomic():
                ImportRejection.objects.filter(batch_id=batch.pk).delete()
                copy_frame(ImportRejection, rejections.select(
                    pl.lit(batch.pk, pl.Int64).alias("batch_id"), pl.col("_row").alias("row_number"),
                    pl.col("column").fill_null("").str.slice(0, 60).alias("column"),
                    pl.col("value").fill_null("").str.slice(0, 200).alias("value"),
                    (zip_rosters.reason_rows(pl.col("reason"), sheets=encoding != "zip") if parts else pl.col("reason"))
                    .fill_null("").str.slice(0, 300).alias("reason"),
                    pl.col("household_number").fill_null("").str.slice(0, 32).alias("household_number"),
                    pl.col("village_code").fill_null("").str.slice(0, 12).alias("village_code"),
                ))
                AbsentHousehold.objects.filter(batch_id=batch.pk).delete()
                copy_frame(AbsentHousehold, absent.select(pl.lit(batch.pk, pl.Int64).alias("batch_id"), "village_code",
                                                          "household_number"))
                ImportBatch.objects.filter(pk=batch.pk).update(
                    status=BatchStatus.REVIEW, validated_at=timezone.now(), encoding=encoding, source_files=parts,
                    progress=100, progress_label="待确认 / awaiting review", **counts,
                )
    except Exception as exc:
        log.exception("import batch %s failed validation", batch.pk)
        sqlite_stage.release_after_failure()
        ImportBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000])
    return ImportBatch.objects.get(pk=batch.pk)


def _beat(batch_id: int) -> None:
    ImportBatch.objects.filter(pk=batch_id, status=BatchStatus.VALIDATING).update(heartbeat_at=timezone.now())


def claim_revalidation(*, actor: Any, batch_id: int) -> ImportBatch:
    """重新校验: take a batch whose validation failed, or stopped with its process
    (:meth:`~.models.ImportBatch.stalled`), back to ``validating`` — atomically, so two requests never
    start two validations and a validation at work is never started twice. The caller then runs
    :func:`validate_batch` (in the background on the web). The landed file is checked from the start."""
    batch = ImportBatch.objects.get(pk=batch_id)
    if actor is not None:
        require_in_scope(actor, batch.region_code, roles.EDIT_REGISTRY)
    now = timezone.now()
    cutoff = now - timedelta(seconds=stall_seconds())
    silent = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, created_at__lt=cutoff)
    claimed = ImportBatch.objects.filter(pk=batch.pk).filter(
        Q(status=BatchStatus.FAILED) | (Q(status__in=[BatchStatus.LANDED, BatchStatus.VALIDATING]) & silent),
    ).update(status=BatchStatus.VALIDATING, error="", progress=0, heartbeat_at=now,
             progress_label="等待重新校验 / waiting to be checked again")
    if not claimed:
        raise ImportRefused("只有校验失败或校验中断的批次可以重新校验 / only a batch whose check failed or stopped "
                            f"can be checked again (this one is {batch.status})")
    log.info("import batch %s taken back to validation by %s", batch.pk, actor_name(actor))
    return ImportBatch.objects.get(pk=batch.pk)


def _depends_on(registry: registry_frames.RegistryRows, checked: CheckedRoster,
                diff: RosterDiff) -> registry_frames.RegistryRows:
    """``registry`` (read for the file's rows) cut down to the diff's rows, as the merge reads it.
    When the diff kept every accepted row, its households and members need no cutting, and neither
    do the holders when the check rejected no row (measured on a re-import of 961k persons: 2.9 s
    for the cut)."""
    if diff.members.height != checked.valid.height:
        return registry.for_rows(diff.members)
    if checked.rows_rejected == 0:
        return registry
    ids = diff.members.get_column("id_number").cast(pl.Utf8).unique()
    return dataclasses.replace(registry, holders=rows_in(registry.holders, "id_number", ids))


def _lock_registry() -> None:
    """Keep other writers out of the registry for the merge (SQLite's write transaction already does)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {Household._meta.db_table}, {Member._meta.db_table} "
                           "IN SHARE ROW EXCLUSIVE MODE")


def merge_batch(*, actor: Any, batch_id: int, comment: str = "", progress: Progress | None = None,
                step: Callable[[str], None] | None = None, persons_left_confirmed: int | None = None) -> ImportBatch:
    """Write a reviewed batch into the registry in one transaction (see the module docstring).

    A batch that marks registered persons as left (``persons_left``: members of a file household the
    file does not list) is merged only when the reviewer confirms that number
    (``persons_left_confirmed``, 核对减员): an import never ends a person's registration unseen."""
    try:
        with transaction.atomic():
            batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
            if actor is not None:
                require_in_scope(actor, batch.region_code, roles.EDIT_REGISTRY)
            if batch.status != BatchStatus.REVIEW:
                raise ImportRefused(f"批次状态为{batch.get_status_display()},不能入库 / only a batch awaiting "
                                    f"review can be merged (this one is {batch.status})")
            if batch.persons_left and persons_left_confirmed != batch.persons_left:
                raise ImportRefused(
                    f"入库将注销 {batch.persons_left} 名成员(文件中该户无此人),请核对变更明细后确认 / the merge marks "
                    f"{batch.persons_left} registered persons as left (not in their household in the file): check "
                    "them in the list of changes and confirm that number", field="persons_left_confirmed")
            _lock_registry()
            if progress:
                progress(5, "比对登记库 / comparing with the registry")
            diff, fresh = _diff_to_merge(batch, batch_context(batch))
            given = given_reasons(batch)
            if given.height:
                _mark_applied(batch, diff.leaving, given)
                diff = dataclasses.replace(diff, leaving=with_given_reasons(diff.leaving, given))
            if progress:
                progress(30, "写入登记库 / writing the registry")
            merge_roster(diff, batch_id=batch.pk, actor=actor, step=step)
            if fresh:  # the values written are the fresh diff's: the batch's list says what was written
                batch.changes_by_field = _save_changes(batch, diff)
            batch.status = BatchStatus.MERGED
            batch.decided_at = timezone.now()
            batch.decided_by_name = actor_name(actor)
            batch.decision_comment = comment
            batch.progress, batch.progress_label = 100, "已入库 / merged"
            batch.save()
    except (ImportRefused, ScopeError, ImportBatch.DoesNotExist):
        raise
    except Exception as exc:
        log.exception("import batch %s failed to merge", batch_id)
        sqlite_stage.release_after_failure()
        ImportBatch.objects.filter(pk=batch_id).update(status=BatchStatus.FAILED,
                                                       error=f"{type(exc).__name__}: {exc}"[:2000])
        raise ImportRefused(f"入库失败,登记库未改变 / the merge failed and nothing was written: {exc}") from exc
    _discard_work_files(batch)  # merged: the accepted rows and the reviewed diff are spent
    if progress:
        progress(100, "已入库 / merged")
    return batch


def given_reasons(batch: ImportBatch) -> pl.DataFrame:
    """The reasons for leaving the reviewer gave (减员原因, :mod:`.leaving`) as the merge applies them."""
    return pl.DataFrame(list(batch.leaving_reasons.values_list("id_number", "reason", "comment")),
                        schema=GIVEN_SCHEMA, orient="row")


def _mark_applied(batch: ImportBatch, leaving: pl.DataFrame, given: pl.DataFrame) -> None:
    """Record on each given reason whether the merge writes it (the person leaves without a reason from
    the file) or not (no longer leaving: checked again, a village held back). Given reasons are few."""
    silent = leaving.filter(pl.col("leave_reason") == FILE_SILENT) if "leave_reason" in leaving.columns else leaving
    applied = given.filter(pl.col("id_number").is_in(silent.get_column("id_number").cast(pl.Utf8).implode()))
    numbers = applied.get_column("id_number").to_list()
    batch.leaving_reasons.filter(id_number__in=numbers).update(applied=True)
    batch.leaving_reasons.exclude(id_number__in=numbers).update(applied=False)


def refuse_batch(*, actor: Any, batch_id: int, comment: str, quiet_since: Any = None) -> ImportBatch:
    """Refuse the whole batch (拒绝): at review, or landed, failed or stalled; nothing is written.
    ``quiet_since``: refused only if nothing has happened to it since then (checked under its lock)."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
        if actor is not None:
            require_in_scope(actor, batch.region_code, roles.EDIT_REGISTRY)
        if quiet_since is not None and last_activity(batch) >= quiet_since:
            raise ImportRefused(f"批次 #{batch.pk} 近期有活动 / batch #{batch.pk} was active since {quiet_since}")
        if batch.status not in (BatchStatus.LANDED, BatchStatus.REVIEW, BatchStatus.FAILED) and not batch.stalled():
            raise ImportRefused(f"批次状态为{batch.get_status_display()},不能拒绝 / batch is {batch.status}")
        batch.status = BatchStatus.REFUSED
        batch.decided_at = timezone.now()
        batch.decided_by_name = actor_name(actor)
        batch.decision_comment = comment
        batch.save()
    _discard_work_files(batch)
    return batch


def undecided_days() -> int:
    """Days a batch may stay undecided (``FUPIN_IMPORT_UNDECIDED_DAYS``, 30)."""
    return int(getattr(settings, "FUPIN_IMPORT_UNDECIDED_DAYS", 30))


def last_activity(batch: ImportBatch) -> Any:
    """When anything last happened to ``batch``: landed, checked, or its check's last heartbeat."""
    return max(t for t in (batch.created_at, batch.validated_at, batch.heartbeat_at) if t is not None)


def expire_undecided(*, days: int | None = None, now: Any = None, dry_run: bool = False,
                     trigger: str = "fupin expire_imports") -> list[tuple[ImportBatch, str]]:
    """超期未审核的批次 — refuse, as the system, every batch left undecided for ``days``
    (:func:`undecided_days` by default): at review, failed, or landed/validating with its check
    stopped (a check at work is never touched), nothing having happened to it since the cutoff. The
    comment says why; the working files go as for any refusal (the landed file, its rejected rows
    and its list of changes stay with the batch). With ``dry_run`` nothing is changed. Returns the
    batches refused (or that would be), oldest first, each with the status it had. Meant to run daily (``fupin expire_imports``),
    and run when a file is landed (:func:`land_file`); ``trigger`` (what ran it) ends the comment.
    Undecided batches are few; they are taken one by one through :func:`refuse_batch`."""
    days = undecided_days() if days is None else days
    if days < 1:
        raise ValueError("days must be at least 1")
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    undecided = ImportBatch.objects.filter(
        status__in=[BatchStatus.LANDED, BatchStatus.VALIDATING, BatchStatus.REVIEW, BatchStatus.FAILED],
        created_at__lt=cutoff).order_by("created_at", "pk")
    due = [b for b in undecided if last_activity(b) < cutoff
           and (b.status in (BatchStatus.REVIEW, BatchStatus.FAILED) or b.stalled(now))]
    if dry_run:
        return [(b, b.status) for b in due]
    # the trigger in each language's part ("批次 #5 上传时 / when batch #5 was uploaded"), so a page shows
    # the comment in one language (fupin.core.bilingual.split_message)
    trigger_zh, trigger_en = bilingual.split_message(trigger) or (trigger, trigger)
    comment = (f"超过{days}天未处理，系统自动拒绝({trigger_zh}) / not decided within {days} days: refused by the "
               f"system ({trigger_en})")
    refused = []
    for batch in due:
        try:
            refused.append((refuse_batch(actor=None, batch_id=batch.pk, comment=comment, quiet_since=cutoff),
                            batch.status))
        except ImportRefused:  # decided or active meanwhile (merged, refused, checked again)
            log.info("import batch %s was decided while expiring; left as it is", batch.pk)
    return refused


REPORT_FILE_HEADER = "文件 file"
REPORT_HEADERS = {"row_number": "行号 row", "column": "列 column", "value": "值 value", "reason": "原因 reason",
                  "household_number": "户编号 household", "village_code": "行政区划代码 village"}


#: Rejected values that are personal numbers, by the column the rejection names: masked for a user
#: who may not see full numbers (:mod:`fupin.policy.masking`), on the page, in the API and the report.
MASKED_VALUES = {roster.BY_FIELD["id_number"].header: (mask_id_number, masked_id_numbers),
                 roster.BY_FIELD["bank_account"].header: (mask_account, masked_accounts)}


def may_see_full_numbers(actor: Any) -> bool:
    """The system (``None``) and roles that may see full ID numbers see rejected values as written."""
    return actor is None or bool(getattr(actor, "may_see_full_id", False))


def rejection_value(column: str, value: str, *, full: bool) -> str:
    """A rejected value as ``full`` or not lets it be seen (one rejection: a page, an API item)."""
    masks = MASKED_VALUES.get(column)
    return value if full or masks is None else masks[0](value or "")


def masked_rejections(frame: pl.DataFrame) -> pl.DataFrame:
    """:func:`rejection_value` (not full) over a frame of rejections (``column``, ``value``)."""
    value = pl.col("value")
    for column, (_plain, expr) in MASKED_VALUES.items():
        value = pl.when(pl.col("column") == column).then(expr(pl.col("value"))).otherwise(value)
    return frame.with_columns(value.alias("value"))


def rejections_frame_xlsx(rejections: pl.DataFrame, *, full: bool = True, parts: Sequence[str] = (),
                          sheets: bool = False) -> bytes:
    """The error report as xlsx: row, column, value, reason (and household, village); ID numbers and
    bank accounts among the values masked unless ``full``. A ZIP's (``parts``: its files' names): the
    file's name before its own row number, and the reasons' rows reworded (:mod:`.pipelines.zip_rosters`)."""
    frame = rejections.rename({"_row": "row_number"}) if "_row" in rejections.columns else rejections
    if not full:
        frame = masked_rejections(frame)
    columns = [pl.col(k).alias(v) for k, v in REPORT_HEADERS.items()]
    if parts:
        name, own = zip_rosters.file_and_row(pl.col("row_number"), parts)
        columns = [name.alias(REPORT_FILE_HEADER), own.alias(REPORT_HEADERS["row_number"]), *columns[1:3],
                   zip_rosters.reason_rows(pl.col("reason"), sheets=sheets).alias(REPORT_HEADERS["reason"]),
                   *columns[4:]]
    return xlsx_bytes(frame.select(columns), sheet="错误行", split=True)


ABSENT_HEADERS = {"village_code": "行政区划代码 village code", "village_name": "行政村 village",
                  "household_number": "户编号 household", "head_name": "户主姓名 head", "status": "现状态 status now"}


def absent_xlsx(actor: Any, batch: ImportBatch) -> bytes:
    """在册但文件中没有的户 of ``batch`` as xlsx: village, 户编号, and — as the registry holds it now, for the
    households ``actor`` may see — the head's name and the status (the registry may have moved on since
    the review)."""
    from fupin.core.scoping import visible_to
    from fupin.regions.models import Region

    rows = list(AbsentHousehold.objects.filter(batch=batch).values_list("village_code", "household_number"))
    villages = {v for v, _n in rows}
    households = Household.objects.filter(village_code__in=villages)  # a few villages, not a list of numbers
    if actor is not None:
        households = visible_to(actor, households, roles.VIEW_REGISTRY)
    now = {n: (head, status) for n, head, status in households.values_list("household_number", "head_name", "status")}
    statuses = dict(Household._meta.get_field("status").flatchoices)
    names = dict(Region.objects.filter(code__in=villages).values_list("code", "name"))
    frame = pl.DataFrame([(v, names.get(v, ""), n, now.get(n, ("", ""))[0], str(statuses.get(now.get(n, ("", ""))[1], "")))
                          for v, n in rows], schema=list(ABSENT_HEADERS), orient="row")
    return xlsx_bytes(frame.rename(ABSENT_HEADERS), sheet="在册但文件中没有的户")


def rejections_xlsx(batch_id: int, *, full: bool = True) -> bytes:
    rows = list(ImportRejection.objects.filter(batch_id=batch_id).order_by("row_number", "id")
                .values_list(*REPORT_HEADERS))
    frame = pl.DataFrame(rows, schema={k: pl.Int64 if k == "row_number" else pl.Utf8 for k in REPORT_HEADERS},
                         orient="row")
    parts = ImportBatch.objects.values_list("source_files", flat=True).get(pk=batch_id) or []
    return rejections_frame_xlsx(frame, full=full, parts=parts)


# --- the list of changes (变更明细) -------------------------------------------------------------------

CHANGE_HEADERS = {"village_code": "行政区划代码 village code", "household_number": "户编号 household",
                  "name": "姓名 name", "id_number": "证件号码 ID number", "change": "变更类型 change",
                  "header": "项目 field", "old": "原值 old value", "new": "新值 new value"}


@dataclasses.dataclass(frozen=True)
class ChangeFilter:
    """Which changes of a batch to show: a village (12 digits), a kind (:data:`.pipelines.change_list.KINDS`),
    a field (model field name); empty means all."""

    village: str = ""
    change: str = ""
    field: str = ""

    def apply(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        for column in ("village", "change", "field"):
            value = getattr(self, column)
            if value:
                frame = frame.filter(pl.col("village_code" if column == "village" else column) == value)
        return frame


def changes_available(batch: ImportBatch) -> bool:
    """Whether the batch has its list of changes (a batch checked before the list existed has none)."""
    return changes_path(batch).exists()


def changes_page(batch: ImportBatch, *, full: bool, offset: int = 0, limit: int | None = 50,
                 where: ChangeFilter | None = None) -> tuple[int, pl.DataFrame]:
    """``(total, rows)``: the batch's changes matching ``where``, ``limit`` of them from ``offset``
    (:data:`.pipelines.change_list.CHANGE_SCHEMA`, numbers masked unless ``full``). The caller has
    read ``batch`` through the region scope; every change lies in the batch's region. A batch without
    its list gives ``(0, empty)``."""
    if not changes_available(batch):
        return 0, pl.DataFrame(schema=change_list.CHANGE_SCHEMA)
    frame = (where or ChangeFilter()).apply(pl.scan_parquet(changes_path(batch)))
    total = int(frame.select(pl.len()).collect().item())
    rows = _given_reasons_shown(batch, frame.slice(max(offset, 0), None if limit is None else max(limit, 0)).collect())
    return total, rows if full else change_list.masked_changes(rows)


def _given_reasons_shown(batch: ImportBatch, rows: pl.DataFrame) -> pl.DataFrame:
    """A person leaving whom the file does not place elsewhere (new value empty) shows the reason the
    reviewer gave (减员原因, :mod:`.leaving`) as the new value: ``死亡``, or ``死亡:<note>``."""
    if rows.height == 0 or not (rows.get_column("change") == "member_left").any():
        return rows
    given = list(batch.leaving_reasons.values_list("id_number", "reason", "comment"))
    if not given:
        return rows
    labels = pl.DataFrame(given, schema={"id_number": pl.Utf8, "_reason": pl.Utf8, "_note": pl.Utf8},
                          orient="row").with_columns(
        pl.col("_reason").replace_strict(dict(codes.MEMBER_LEAVE_REASON.choices()), default=pl.col("_reason"))
        .alias("_label"))
    shown = pl.when(pl.col("_note") != "").then(pl.concat_str([pl.col("_label"), pl.lit(":"), pl.col("_note")])
                                                ).otherwise(pl.col("_label"))
    return (rows.join(labels, on="id_number", how="left", maintain_order="left")
            .with_columns(pl.when((pl.col("change") == "member_left") & (pl.col("new") == "")
                                  & pl.col("_label").is_not_null()).then(shown).otherwise(pl.col("new")).alias("new"))
            .drop("_reason", "_note", "_label"))


def changes_xlsx(batch: ImportBatch, *, full: bool, where: ChangeFilter | None = None) -> tuple[bytes, int]:
    """The batch's changes as xlsx (one row per change, further sheets past a sheet's rows) and the
    number of rows; numbers masked unless ``full``."""
    total, rows = changes_page(batch, full=True, limit=None, where=where)
    return changes_frame_xlsx(rows, full=full), total


def changes_frame_xlsx(changes: pl.DataFrame, *, full: bool) -> bytes:
    """A list of changes (:data:`.pipelines.change_list.CHANGE_SCHEMA`; a batch's, or a dry run's) as
    xlsx: one row per change, its kind in words, further sheets past a sheet's rows; numbers masked
    unless ``full``."""
    frame = changes if full else change_list.masked_changes(changes)
    frame = frame.with_columns(pl.col("change").replace_strict(change_list.KINDS, default=pl.col("change")))
    frame = frame.select([pl.col(k).alias(v) for k, v in CHANGE_HEADERS.items()])
    return xlsx_bytes(frame, sheet="变更明细", split=True)


# --- the rejected rows as a roster to correct (待改正的行) -------------------------------------------

FIX_ROW_HEADER, FIX_REASON_HEADER, FIX_FILE_HEADER = "原行号", "错误原因", "来源文件"


def rows_to_fix(batch: ImportBatch, *, full: bool) -> pl.DataFrame:
    """待改正的行 — the batch's rejected rows as the file held them, ready to be corrected and imported
    again: 原行号 (the row number in the file), 错误原因 (every reason for the row, ``列: 原因`` joined by
    ``；``), then the file's roster columns under the template's headers, in the template's order, the
    values as written (not normalised). A household is rejected whole, so the rows hold whole
    households; the two extra columns are ignored by the import. ID numbers and bank accounts are
    masked unless ``full`` (such a file cannot be imported again as it is: an import refuses a masked
    number). The landed file is read again; one missing or changed since it landed (SHA-256) is
    :class:`ImportRefused`. The caller has read ``batch`` through the region scope."""
    from .pipelines.read_roster import read_roster

    path = Path(batch.stored_path) if batch.stored_path else None
    if path is None or not path.is_file():
        raise ImportRefused("原始文件不在数据目录中 / the landed file is not in the data folder")
    with path.open("rb") as landed:
        if hashlib.file_digest(landed, "sha256").hexdigest() != batch.file_sha256:  # type: ignore[arg-type]
            log.error("import batch %s: landed file %s changed on disk", batch.pk, path)
            raise ImportRefused("原始文件与上传时不一致(SHA-256 不同) / the landed file has changed since it was "
                                "uploaded (its SHA-256 differs)")
    rejections = pl.DataFrame(
        list(ImportRejection.objects.filter(batch=batch).order_by("row_number", "id")
             .values_list("row_number", "column", "reason")),
        schema={"_row": pl.Int64, "column": pl.Utf8, "reason": pl.Utf8}, orient="row")
    raw = read_roster(path)
    return rows_to_fix_frame(raw.frame, rejections, full=full, parts=raw.parts, sheets=raw.encoding != "zip")


def rows_to_fix_frame(raw: pl.DataFrame, rejections: pl.DataFrame, *, full: bool,
                      parts: Sequence[str] = (), sheets: bool = False) -> pl.DataFrame:
    """:func:`rows_to_fix` from the file's rows as read (``read_roster``: ``_row`` and one text column
    per field) and the rejections (``_row``, ``column``, ``reason``) — a batch's, or a dry run's. A
    ZIP's rows (``parts``: its files' names) get 来源文件 (the file) before their own 原行号."""
    reasons = rejections.select(pl.col("_row").cast(pl.Int64), pl.col("column").fill_null(""),
                                pl.col("reason").fill_null("")).group_by("_row", maintain_order=True).agg(
        pl.when(pl.col("column") != "").then(pl.col("column") + pl.lit(": ") + pl.col("reason"))
        .otherwise(pl.col("reason")).str.join("；").alias(FIX_REASON_HEADER))
    rows = raw.join(reasons, on="_row", how="inner").sort("_row")
    masks = {} if full else {"id_number": masked_id_numbers, "bank_account": masked_accounts}
    present = [c for c in roster.COLUMNS if c.field in raw.columns]
    where: list[pl.Expr] = [pl.col("_row").alias(FIX_ROW_HEADER)]
    if parts:
        name, own = zip_rosters.file_and_row(pl.col("_row"), parts)
        where = [name.alias(FIX_FILE_HEADER), own.alias(FIX_ROW_HEADER)]
        rows = rows.with_columns(zip_rosters.reason_rows(pl.col(FIX_REASON_HEADER), sheets=sheets)
                                 .alias(FIX_REASON_HEADER))
    return rows.select(*where, FIX_REASON_HEADER,
                       *[(masks[c.field](pl.col(c.field)) if c.field in masks else pl.col(c.field).fill_null(""))
                         .alias(c.header) for c in present])


def rows_to_fix_xlsx(batch: ImportBatch, *, full: bool) -> tuple[bytes, int]:
    """:func:`rows_to_fix` as xlsx (sheet 花名册, so the import finds it) and its number of rows; more
    rows than one sheet holds are refused (:class:`fupin.core.xlsx_sheet.TooManyRows`): the import
    reads one sheet."""
    frame = rows_to_fix(batch, full=full)
    return rows_to_fix_frame_xlsx(frame, region_code=batch.region_code), frame.height


def rows_to_fix_frame_xlsx(frame: pl.DataFrame, *, region_code: str | None = None) -> bytes:
    """A frame of :func:`rows_to_fix_frame` as xlsx, on one sheet named 花名册 (the sheet the import
    reads), with the roster's drop-downs and prompts (:mod:`.roster_help`) for the correction — and
    the 乡镇/行政村 names of ``region_code`` (the batch's region); more rows than a sheet holds:
    :class:`fupin.core.xlsx_sheet.TooManyRows`."""
    places = (roster_help.place_choices(registry_frames.villages_frame(None, normalize_code(region_code)))
              if region_code else [])
    return xlsx_bytes(frame, sheet="花名册", helps=roster_help.roster_helps(frame.columns, places=places),
                      choices=roster_help.roster_choices(frame.columns, places=places),
                      choices_sheet=roster_help.CHOICES_SHEET)
