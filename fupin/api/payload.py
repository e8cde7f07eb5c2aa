"""Request bodies as service arguments (请求数据): only the fields the client sent, checked against the
database columns, so a bad value is a 422 naming the field — never a database error.

- A field left out is not changed (PATCH) or takes the model default (POST).
- ``null`` empties an optional text or code field (``""``) or a nullable number (年度); for any other
  field it is refused.
- Numbers are checked against their column (digits, range) after rounding to the column's decimal
  places, which is what the services store.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models

from fupin.registry.services import INVALID, RegistryError

NOT_NULL = "不能为空 / must not be null"


def _check(model: type[models.Model], data: dict[str, Any], prefix: str,
           errors: dict[str, list[str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in data.items():
        field = model._meta.get_field(name)
        if value is None:
            if field.null:
                out[name] = None
            elif isinstance(field, models.CharField) and field.blank:
                out[name] = ""
            else:
                errors.setdefault(prefix + name, []).append(NOT_NULL)
            continue
        if isinstance(field, models.DecimalField) and isinstance(value, Decimal):
            value = value.quantize(Decimal(1).scaleb(-field.decimal_places), rounding=ROUND_HALF_UP)
        try:
            field.run_validators(field.to_python(value))
        except DjangoValidationError as exc:
            errors.setdefault(prefix + name, []).extend(str(m) for m in exc.messages)
            continue
        out[name] = value
    return out


def clean(model: type[models.Model], data: dict[str, Any], *, nested: dict[str, type[models.Model]] | None = None,
          ) -> dict[str, Any]:
    """``data`` (already ``exclude_unset``) checked field by field; lists named in ``nested`` hold
    rows of another model (``members``). Raises :class:`RegistryError` with every field error."""
    errors: dict[str, list[str]] = {}
    rows = {key: data.pop(key) for key in (nested or {}) if key in data}
    out = _check(model, data, "", errors)
    for key, rows_of in rows.items():
        out[key] = [_check((nested or {})[key], row, f"{key}.{i}.", errors) for i, row in enumerate(rows_of)]
    if errors:
        raise RegistryError(INVALID, errors)
    return out
