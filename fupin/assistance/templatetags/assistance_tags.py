"""Template tags of the assistance pages: labels of measure types, units, statuses and reasons in the
active language, and the 七清 card (``{% qiqing_card h %}``) for the household page."""

from __future__ import annotations

from typing import Any

from django import template

from fupin.policy.measures import MEASURE_STATUS_LABELS, PLAN_STATUS_LABELS, MeasureCatalogue, load_default_catalogue
from fupin.web.templatetags.fupin_tags import current_lang

register = template.Library()


def _en() -> bool:
    return current_lang().startswith("en")


def _catalogue(catalogue: Any) -> MeasureCatalogue:
    return catalogue if isinstance(catalogue, MeasureCatalogue) else load_default_catalogue()


@register.filter
def measure_label(measure_id: Any, catalogue: Any = None) -> str:
    """The label of a measure type id (the given catalogue, else the default); unknown ids as themselves."""
    cat = _catalogue(catalogue)
    return cat.get(str(measure_id)).label(current_lang()) if str(measure_id) in cat else str(measure_id)


@register.filter
def measure_group(measure_id: Any, catalogue: Any = None) -> str:
    cat = _catalogue(catalogue)
    if str(measure_id) not in cat:
        return ""
    g = cat.group(cat.get(str(measure_id)).group)
    return g.label_en if _en() else g.label_zh


@register.filter
def unit_label(unit_id: Any, catalogue: Any = None) -> str:
    u = _catalogue(catalogue).unit(str(unit_id))
    return u.label_en if _en() else u.label_zh


@register.filter
def measure_status(status: Any) -> str:
    zh, en = MEASURE_STATUS_LABELS.get(str(status), (str(status), str(status)))
    return en if _en() else zh


@register.filter
def plan_status(status: Any) -> str:
    zh, en = PLAN_STATUS_LABELS.get(str(status), (str(status), str(status)))
    return en if _en() else zh


@register.filter
def reason_label(reason: Any) -> str:
    """A suggestion reason (a :class:`~fupin.policy.measures.Reason` or its stored dict)."""
    if isinstance(reason, dict):
        return str(reason.get("label_en" if _en() else "label_zh", ""))
    return str(getattr(reason, "label_en" if _en() else "label_zh", reason))


@register.filter
def obj_label(obj: Any) -> str:
    """``label_zh`` / ``label_en`` of any labelled object (a measure type, a group)."""
    return str(getattr(obj, "label_en" if _en() else "label_zh", obj))


@register.inclusion_tag("assistance/includes/qiqing.html", takes_context=True)
def qiqing_card(context: template.Context, household: Any) -> dict[str, Any]:
    """七清 card of a household for its page: ``{% load assistance_tags %}{% qiqing_card h %}``. The data
    is read for the requesting user through the scoping function (the caller already showed the
    household, so it is in scope)."""
    from .. import selectors

    request = context.get("request")
    user = getattr(request, "user", None)
    return {"qiqing": selectors.qiqing(user, household), "request": request, "user": user}
