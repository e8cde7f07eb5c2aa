"""Reads of import batches (导入批次) and export records (导出记录), scoped by the one scoping function."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from fupin.core.scoping import get_visible_or_404, visible_to
from fupin.policy import roles
from fupin.policy.regions import prefix_of

from .models import AbsentHousehold, ExportRecord, ImportBatch, ImportRejection


@dataclass(frozen=True)
class BatchFilter:
    """The import list's filters: ``status`` (a :class:`~.choices.BatchStatus` value), ``region``
    (12-digit code: the batches imported into it or into a region within it) and ``q`` (a 64-digit
    SHA-256: the batch of that file; other text: part of the file name)."""

    status: str = ""
    region: str = ""
    q: str = ""

    def apply(self, batches: QuerySet[ImportBatch]) -> QuerySet[ImportBatch]:
        if self.status:
            batches = batches.filter(status=self.status)
        if self.region:
            batches = batches.filter(region_code__startswith=prefix_of(self.region))
        q = self.q.strip()
        if re.fullmatch(r"[0-9a-fA-F]{64}", q):
            batches = batches.filter(file_sha256=q.lower())
        elif q:
            batches = batches.filter(file_name__icontains=q)
        return batches


def batches(user: Any, where: BatchFilter | None = None) -> QuerySet[ImportBatch]:
    """The batches of the user's region (newest first), filtered by ``where``."""
    found = visible_to(user, ImportBatch.objects.all(), roles.VIEW_REGISTRY)
    return where.apply(found) if where is not None else found


def batch_detail(user: Any, batch_id: int) -> ImportBatch:
    """One batch the user may see, or 404."""
    return get_visible_or_404(user, ImportBatch.objects.all(), roles.VIEW_REGISTRY, pk=batch_id)


def batch_rejections(user: Any, batch_id: int) -> QuerySet[ImportRejection]:
    """The rejected rows of a batch the user may see (404 otherwise)."""
    batch = batch_detail(user, batch_id)
    return ImportRejection.objects.filter(batch=batch).order_by("row_number", "id")


def batch_absent_households(user: Any, batch_id: int) -> QuerySet[AbsentHousehold]:
    """在册但文件中没有的户 of a batch the user may see (404 otherwise), by village and 户编号."""
    batch = batch_detail(user, batch_id)
    return AbsentHousehold.objects.filter(batch=batch).order_by("village_code", "household_number")


def export_records(user: Any) -> QuerySet[ExportRecord]:
    """导出记录 of the regions in the user's scope, newest first — for roles that read the audit trail
    (``audit.view``): who took whose data out of the system is an audit question."""
    return visible_to(user, ExportRecord.objects.all(), roles.VIEW_AUDIT)
