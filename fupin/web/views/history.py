"""A household's history (变更记录): every write to it and its members, newest first, old → new.

Needs ``audit.view`` and the household in scope (404 otherwise). Values are shown as people read
them: code labels in the active language, 是/否, village names; ID numbers and bank accounts are
masked for users who may not see full IDs, in the history exactly as on the detail page.

Decision: the 贫困户属性 (category) of a record is read with the form version changed in the same
record if there is one, else with the household's current version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from fupin.core.bilingual import in_language
from fupin.core.models import ChangeRecord
from fupin.core.scoping import visible_to
from fupin.policy import roles
from fupin.regions.models import Region
from fupin.registry import selectors
from fupin.registry.models import Household
from fupin.web import labels
from fupin.web.templatetags.fupin_tags import (
    account_for,
    category_text,
    code_label,
    flag,
    form_version_label,
    id_for,
    id_kind,
    record_status,
)

PAGE_SIZE = 100
ACTIONS = {"create": _("Created"), "update": _("Changed"), "status": _("Status changed")}
MODELS = {"registry.household": _("Household"), "registry.member": _("Member")}
EMPTY = "—"


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class Entry:
    record: ChangeRecord
    action: str
    what: str
    member_name: str
    changes: list[FieldChange]


class ValueFormatter:
    """Turns stored audit values into the text shown to one user."""

    def __init__(self, user: Any, household: Household, records: list[ChangeRecord]) -> None:
        self.user = user
        self.household = household
        village_codes = {str(v) for r in records for v in r.changes.get("village", []) if v}
        self.village_names = dict(Region.objects.filter(code__in=village_codes).values_list("code", "name"))

    def __call__(self, model: str, field: str, value: Any, version: Any) -> str:
        if value is None or value == "":
            return EMPTY
        member = model == "registry.member"
        code_lists = labels.MEMBER_CODE_LISTS if member else labels.HOUSEHOLD_CODE_LISTS
        if field in labels.ID_FIELDS:
            return id_for(value, self.user)
        if field in labels.ACCOUNT_FIELDS:
            return account_for(value, self.user)
        if isinstance(value, bool):
            return flag(value)
        if field == "category" and not member:
            return category_text(str(value), version or self.household.category_form_version)
        if field == "category_form_version":
            return form_version_label(value)
        if field in code_lists:
            return code_label(value, code_lists[field])
        if field == "village":
            return f"{self.village_names.get(str(value), '')} ({value})".strip()
        if field == "status":
            return record_status(value)
        if field == "id_kind":
            return id_kind(value)
        return str(value)


def _field_order(model: str) -> list[str]:
    return list(labels.MEMBER_LABELS if model == "registry.member" else labels.HOUSEHOLD_LABELS)


def build_entries(user: Any, household: Household, records: list[ChangeRecord]) -> list[Entry]:
    fmt = ValueFormatter(user, household, records)
    names = dict(household.members.values_list("pk", "name"))
    entries = []
    for record in records:
        member = record.model == "registry.member"
        field_labels = labels.MEMBER_LABELS if member else labels.HOUSEHOLD_LABELS
        order = {name: i for i, name in enumerate(_field_order(record.model))}
        versions = record.changes.get("category_form_version", [None, None])
        changes = [
            FieldChange(str(field_labels.get(field, field)),
                        fmt(record.model, field, old, versions[0]), fmt(record.model, field, new, versions[1]))
            for field, (old, new) in sorted(record.changes.items(), key=lambda kv: order.get(kv[0], len(order)))
        ]
        member_name = names.get(int(record.object_id), "") if member and record.object_id.isdigit() else ""
        entries.append(Entry(record, str(ACTIONS.get(record.action, record.action)),
                             model_label(record.model), member_name, changes))
    return entries


def model_label(model: str) -> str:
    """What kind of record an audit row is about, in the page's language: 户 / 成员 by name, any other
    model by its verbose name ("结对帮扶 household pairing" → 结对帮扶), the stored label
    (``app.model``) when no model has it (one since removed)."""
    if model in MODELS:
        return str(MODELS[model])
    try:
        found = apps.get_model(model)
    except (LookupError, ValueError):
        return model
    return in_language(found._meta.verbose_name)


@login_required
def household_history(request: HttpRequest, pk: int) -> HttpResponse:
    """变更记录 — ``/households/<id>/history/``."""
    user = request.user
    household = selectors.household_detail(user, pk)
    if not user.has_capability(roles.VIEW_AUDIT):
        raise Http404("not found")
    qs = visible_to(user, ChangeRecord.objects.filter(household_id=household.pk), roles.VIEW_AUDIT)
    page = Paginator(qs.order_by("-at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    entries = build_entries(user, household, list(page.object_list))
    return render(request, "web/households/history.html", {"h": household, "page": page, "entries": entries})
