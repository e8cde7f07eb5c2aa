"""Template filters of the rules pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

register = template.Library()


@register.filter
def get_label(labels: Mapping[str, Any] | None, key: str) -> Any:
    """``labels[key]``, or the key itself when it has no label."""
    if not labels:
        return key
    return labels.get(key, key)
