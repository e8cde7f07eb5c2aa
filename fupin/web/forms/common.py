"""Shared pieces of the forms: code-list choice fields and mapping a refused write onto a form.

Choices come from :mod:`fupin.policy.codes` and are built when the form is rendered, so their
labels follow the active language. Field checks beyond types (codes, years, one head, ID numbers,
one person one household) are the services' job: a :class:`~fupin.registry.services.RegistryError`
is mapped back onto the fields it names.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fupin.policy import codes
from fupin.registry.services import RegistryError
from fupin.web.templatetags.fupin_tags import current_lang

BLANK = ""


def code_choices(list_id: str, *, blank: bool) -> Callable[[], list[tuple[str, str]]]:
    """A callable giving ``(code, label)`` pairs in the active language, with a "---" row if ``blank``."""

    def build() -> list[tuple[str, str]]:
        items = [(c, lbl) for c, lbl in codes.ALL_LISTS[list_id].choices(current_lang()) if c != ""]
        return [(BLANK, "---------"), *items] if blank else items

    return build


def code_field(list_id: str, label: Any, *, required: bool = True, initial: str | None = None) -> forms.ChoiceField:
    """A select whose options are one code list (代码表). Without a default it starts at "---", so a
    required code is chosen on purpose, never taken silently from the first option."""
    return forms.ChoiceField(label=label, choices=code_choices(list_id, blank=not required or initial is None),
                             required=required, initial=initial)


def decimal_field(label: Any, *, places: int = 2) -> forms.DecimalField:
    """An amount or area; left empty it counts as 0."""
    return forms.DecimalField(
        label=label, required=False, max_digits=12, decimal_places=places, initial=Decimal(0),
        widget=forms.NumberInput(attrs={"step": "0.1" if places == 1 else "0.01", "inputmode": "decimal"}),
    )


def flag_field(label: Any, *, initial: bool = False) -> forms.BooleanField:
    return forms.BooleanField(label=label, required=False, initial=initial)


def version_field() -> forms.IntegerField:
    """The record version the user opened (并发控制); a stale one is refused by the service."""
    return forms.IntegerField(widget=forms.HiddenInput, min_value=1)


def split_key(key: str) -> tuple[int | None, str]:
    """``"members.2.id_number"`` → ``(2, "id_number")``; ``"phone"`` → ``(None, "phone")``."""
    parts = key.split(".")
    if len(parts) == 3 and parts[0] == "members" and parts[1].isdigit():
        return int(parts[1]), parts[2]
    return None, key


def apply_registry_error(
    err: RegistryError, form: forms.Form, member_forms: Sequence[forms.Form] = (),
    aliases: dict[str, str] | None = None,
) -> None:
    """Put each of ``err.field_errors`` on the field it names.

    ``members.<i>.<field>`` goes onto the i-th member form; a key that names no field of the form
    (``members``, ``members.relation``, ``version``, ``""`` …) becomes a non-field error of ``form``.
    ``aliases`` renames service fields to form fields (``category_form_version`` → ``category``).
    """
    aliases = aliases or {}
    for key, messages in err.field_errors.items():
        index, name = split_key(key)
        name = aliases.get(name, name)
        target = form
        if index is not None:
            target, name = (member_forms[index], name) if index < len(member_forms) else (form, "")
        for message in messages:
            if name in target.fields:
                target.add_error(name, message)
            else:
                form.add_error(None, message)


class RegistryFormMixin:
    """Renders a form's fields in named groups (``GROUPS = [(title, [field, …]), …]``)."""

    GROUPS: list[tuple[Any, list[str]]] = []

    def groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        form: forms.Form = self  # type: ignore[assignment]
        return [(title, [form[name] for name in names if name in form.fields]) for title, names in self.GROUPS]


INVALID_FORM = _("Please correct the errors below.")
