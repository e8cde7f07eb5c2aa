"""Reads of import batches (导入批次), scoped by the one scoping function."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from fupin.core.scoping import get_visible_or_404, visible_to
from fupin.policy import roles

from .models import ImportBatch, ImportRejection


def batches(user: Any) -> QuerySet[ImportBatch]:
    """The batches of the user's region (newest first)."""
    return visible_to(user, ImportBatch.objects.all(), roles.VIEW_REGISTRY)


def batch_detail(user: Any, batch_id: int) -> ImportBatch:
    """One batch the user may see, or 404."""
    return get_visible_or_404(user, ImportBatch.objects.all(), roles.VIEW_REGISTRY, pk=batch_id)


def batch_rejections(user: Any, batch_id: int) -> QuerySet[ImportRejection]:
    """The rejected rows of a batch the user may see (404 otherwise)."""
    batch = batch_detail(user, batch_id)
    return ImportRejection.objects.filter(batch=batch).order_by("row_number", "id")
