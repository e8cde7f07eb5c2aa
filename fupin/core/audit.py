"""Writing the audit trail (变更记录). Services call these inside their transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Model

from .models import ChangeAction, ChangeRecord


def json_value(value: Any) -> Any:
    """A JSON-safe form of a field value (Decimal → str, dates → ISO)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Model):
        return value.pk
    return value


def field_values(obj: Model, fields: Iterable[str]) -> dict[str, Any]:
    """The JSON-safe values of ``fields`` on ``obj`` (foreign keys by their id)."""
    out: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name)
        out[name] = json_value(getattr(obj, attname))
    return out


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for the fields whose value changed."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


#: Who a write was made by when no user made it (a command run as the system, a daily run, a sweep).
SYSTEM_ACTOR = "system"


def actor_name(actor: Any) -> str:
    """The name a record keeps of who wrote it: the user's username, or :data:`SYSTEM_ACTOR`."""
    return getattr(actor, "username", "") or SYSTEM_ACTOR


def record(
    *, actor: Any, action: str, obj: Model, changes: dict[str, list[Any]], household_id: int | None,
    region_code: str, source: str, comment: str = "",
) -> ChangeRecord:
    return ChangeRecord.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=actor_name(actor),
        action=action,
        model=obj._meta.label_lower,
        object_id=str(obj.pk),
        household_id=household_id,
        region_code=region_code,
        changes=changes,
        source=source,
        comment=comment,
    )


__all__ = ["ChangeAction", "actor_name", "diff", "field_values", "json_value", "record"]
