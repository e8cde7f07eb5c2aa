"""暂缓导入 — hold back some villages of a batch at review, and merge the rest.

A county checks a county-wide roster and finds one village's part wrong (half its households missing,
a township's file from last year): refusing the whole batch would hold back every other village too.
The reviewer ticks the villages to hold back; the batch is checked again with those villages' rows
rejected ("该村在审核时暂缓导入"), so the counts, the persons leaving, the list of changes and the
fingerprint the merge relies on are those of what remains, and rows read = rows imported + rows
rejected still holds. Ticking none releases them. A later import of the village's corrected file (or of
the same file) brings it in. Moves across the line are held with the village, both ways
(:mod:`.pipelines.diff_roster`): a person the file moves from a held village's household into another
household holds that household back (the person is still registered in a household that stays as it
is: one person, one household), and a person the file moves into a held village's household holds
back the household they are registered in, when the file brings it (else they would leave it as 其他
for a household that is not imported). The later import writes the move as a move (迁出).

Holding needs ``registry.edit`` in the batch's region, as the merge does; it is an audit row on the
batch (``imports.importbatch``, ``held_villages`` old and new).

The command line is its own reviewer: ``fupin import FILE --hold CODE`` holds the villages before the
first check (:func:`hold_before_check`), so the file is read once; a code that is not a village of the
import's region is refused before anything is read, and the command reports a held village the file
turns out not to hold, and stops (the batch left at review) when every village of the file is held.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from fupin.core import audit
from fupin.core.models import ChangeAction
from fupin.core.scoping import require_in_scope
from fupin.policy import roles
from fupin.policy.regions import LEVEL_VILLAGE, RegionCodeError, contains, level_of, normalize_code
from fupin.regions.models import Region

from .choices import BatchStatus
from .models import ImportBatch
from .services import ImportRefused

log = logging.getLogger(__name__)


def hold_villages(*, actor: Any, batch_id: int, villages: Iterable[str], source: str = "web") -> ImportBatch:
    """Hold back ``villages`` (12-digit codes of the batch's villages; they replace those held before,
    none releases them) and take the batch back to ``validating``; the caller then runs
    :func:`.services.validate_batch` (in the background on the web). Refused unless the batch awaits
    review, for a code that is not one of its villages, when nothing changes, and when every village
    with rows would be held (refuse the batch instead)."""
    wanted = sorted({str(v).strip() for v in villages if str(v).strip()})
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
        require_in_scope(actor, batch.region_code, roles.EDIT_REGISTRY)
        if batch.status != BatchStatus.REVIEW:
            raise ImportRefused("只有待确认的批次可以暂缓部分村 / villages can be held back only while the batch "
                                f"awaits review (this one is {batch.status})", field="villages")
        held_before = sorted(batch.held_villages or [])
        with_rows = villages_with_rows(batch)
        unknown = [v for v in wanted if v not in with_rows and v not in held_before]
        if unknown:
            raise ImportRefused(f"村 {', '.join(unknown)} 不在本批次的文件中 / not a village of this batch's file: "
                                f"{', '.join(unknown)}", field="villages")
        if wanted == held_before:
            raise ImportRefused("暂缓的村没有变化 / the villages held back are the same as before", field="villages")
        if with_rows and with_rows <= set(wanted):
            raise ImportRefused("不能暂缓全部的村:整批不入库请拒绝该批次 / every village would be held back: refuse "
                                "the batch instead", field="villages")
        batch.held_villages = wanted
        batch.status, batch.error, batch.progress = BatchStatus.VALIDATING, "", 0
        batch.progress_label = "暂缓部分村,等待重新校验 / villages held back, waiting to be checked again"
        batch.heartbeat_at = timezone.now()
        batch.save(update_fields=["held_villages", "status", "error", "progress", "progress_label", "heartbeat_at"])
        _record_hold(actor, batch, held_before, wanted, source)
    log.info("import batch %s: villages held back %s by %s", batch.pk, wanted, audit.actor_name(actor))
    return batch


def _record_hold(actor: Any, batch: ImportBatch, before: list[str], after: list[str], source: str) -> None:
    """The audit row of a change to the villages held back: ``held_villages`` old and new, on the batch."""
    audit.record(actor=actor, action=ChangeAction.UPDATE, obj=batch, changes={"held_villages": [before, after]},
                 household_id=None, region_code=batch.region_code, source=source,
                 comment=f"导入批次 #{batch.pk} 暂缓导入的村 / villages held back in import batch #{batch.pk}")


def villages_to_hold(villages: Iterable[str], region_code: str | None) -> list[str]:
    """The 12-digit codes of ``villages`` (sorted, once each), each a village on the region list within
    ``region_code`` (None: anywhere). Refused naming the first code that is not."""
    if region_code:
        try:
            region_code = normalize_code(region_code)
        except RegionCodeError as exc:
            raise ImportRefused(str(exc)) from exc
    wanted: set[str] = set()
    for raw in villages:
        text = str(raw).strip()
        if not text:
            continue
        try:
            code = normalize_code(text)
            if level_of(code) != LEVEL_VILLAGE:
                raise RegionCodeError(text)
        except RegionCodeError as exc:
            raise ImportRefused(f"暂缓导入须给出村级(12位)区划代码: {text} / a village to hold back is a 12-digit "
                                f"village code: {text}", field="villages") from exc
        if region_code and not contains(region_code, code):
            raise ImportRefused(f"村 {code} 不在导入区域 {region_code} 内 / village {code} is not in the import's "
                                f"region {region_code}", field="villages")
        wanted.add(code)
    known = set(Region.objects.filter(code__in=wanted).values_list("code", flat=True))
    if wanted - known:
        unknown = ", ".join(sorted(wanted - known))
        raise ImportRefused(f"区划代码表中没有村 {unknown} / no such village on the region list: {unknown}",
                            field="villages")
    return sorted(wanted)


def hold_before_check(*, actor: Any, batch_id: int, villages: Iterable[str], source: str = "cli") -> ImportBatch:
    """Hold back ``villages`` of a batch that has just landed, before its first check (the command
    line's ``--hold``). The codes are checked by :func:`villages_to_hold` against the batch's region;
    an audit row on the batch names them, as :func:`hold_villages` does."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
        if actor is not None:
            require_in_scope(actor, batch.region_code, roles.EDIT_REGISTRY)
        if batch.status != BatchStatus.LANDED:
            raise ImportRefused(f"批次状态为{batch.get_status_display()},不能在校验前暂缓 / villages are held back "
                                f"before the check only while the batch has just landed (this one is {batch.status})",
                                field="villages")
        wanted = villages_to_hold(villages, batch.region_code)
        if not wanted:
            return batch
        held_before = sorted(batch.held_villages or [])
        batch.held_villages = wanted
        batch.save(update_fields=["held_villages"])
        _record_hold(actor, batch, held_before, wanted, source)
    log.info("import batch %s: villages held back %s before the check by %s", batch.pk, wanted, audit.actor_name(actor))
    return batch


def villages_with_rows(batch: ImportBatch) -> set[str]:
    """The villages of a checked batch's file (any row: new, changed, unchanged or rejected)."""
    return {v["village_code"] for v in batch.by_village or []
            if v.get("new", 0) or v.get("changed", 0) or v.get("unchanged", 0) or v.get("rejected", 0)}
