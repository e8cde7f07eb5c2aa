"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

import fupin
from fupin.policy import roles

#: The work areas in the top navigation: (URL name, label, app namespace, capability that opens it).
WORK_AREAS: tuple[tuple[str, str, str, str], ...] = (
    ("identification:list", _("Targeted identification"), "identification", roles.PERFORM_IDENTIFICATION),
    ("screening:queue", _("Data comparison"), "screening", roles.VIEW_SCREENING),
    ("rules:policy", _("Rules and pathways"), "rules", roles.VIEW_REGISTRY),
    ("pairing:coverage", _("Pairing and work teams"), "pairing", roles.VIEW_PAIRING),
    ("assistance:home", _("Targeted assistance"), "assistance", roles.VIEW_REGISTRY),
    ("exits:list", _("Household exit"), "exits", roles.VIEW_REGISTRY),
    ("review:list", _("Yearly review"), "review", roles.VIEW_REVIEW),
    ("region_exit:index", _("Village and county exit"), "region_exit", roles.VIEW_REGION_EXIT),
    ("monitoring:list", _("Return-to-poverty monitoring"), "monitoring", roles.VIEW_MONITORING),
)


def fupin_context(request: HttpRequest) -> dict[str, Any]:
    """The version, whether the user may edit the registry (shows "新增贫困户" in the nav), and the work
    areas their role opens (a link is shown only where the page would not answer 404)."""
    user = getattr(request, "user", None)
    signed_in = bool(user is not None and user.is_authenticated)
    can_edit = signed_in and user.has_capability(roles.EDIT_REGISTRY)
    areas = [{"url": reverse(name), "label": label, "app": app} for name, label, app, capability in WORK_AREAS
             if signed_in and user.has_capability(capability)]
    return {"fupin_version": fupin.__version__, "can_edit_registry": can_edit, "work_areas": areas}
