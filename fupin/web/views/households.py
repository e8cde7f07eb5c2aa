"""The household list (贫困户查询) and a household's page (贫困户详情)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from fupin.core.scoping import visible_to
from fupin.policy import roles
from fupin.regions.models import Region
from fupin.registry import selectors
from fupin.registry.choices import RecordStatus
from fupin.web.forms.filters import HouseholdFilterForm

from .common import breadcrumbs, can_edit_region, render_page_or_partial

PAGE_SIZE = 50


@login_required
def household_list(request: HttpRequest) -> HttpResponse:
    """户查询 — search and filters; htmx asks for the results table only."""
    form = HouseholdFilterForm(request.GET)
    if form.is_valid():
        qs = selectors.households(request.user, form.filters())
    else:
        qs = selectors.households(request.user).none()
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    region_code = form.cleaned_data.get("region") if form.is_valid() else ""
    context = {
        "form": form, "page": page,
        "region": visible_to(request.user, Region.objects.filter(code=region_code)).first() if region_code else None,
        "can_create": request.user.has_capability(roles.EDIT_REGISTRY),
        "export_url": _export_url(request.user, form),
    }
    return render_page_or_partial(request, "web/households/list.html", "web/households/_results.html", context)


def _export_url(user: Any, form: HouseholdFilterForm) -> str:
    """The roster export (导出筛选) of the households the list shows, when the export can take the list's
    filters as they are: households on the registry, no keyword (the export has no name search), a
    region (the list's, or the user's own). "" otherwise — never a file of other households."""
    if not form.is_valid():
        return ""
    data = form.cleaned_data
    region = data.get("region") or (user.region_id or "")
    if data.get("q") or (data.get("status") or "active") != "active" or not region:
        return ""
    query = {"region": region, "poverty_status": data.get("poverty_status"), "cause": data.get("cause"),
             "category": data.get("category")}
    return reverse("imports:export") + "?" + urlencode({k: v for k, v in query.items() if v})


@login_required
def household_page(request: HttpRequest, pk: int) -> HttpResponse:
    """贫困户详情 — all registration data and the members; 404 out of scope."""
    user = request.user
    household = selectors.household_detail(user, pk)
    members = list(household.members.all())
    elsewhere = selectors.members_elsewhere(user, members)
    for m in members:
        m.elsewhere = elsewhere.get(m.pk)  # type: ignore[attr-defined]
    active = household.status == RecordStatus.ACTIVE
    context = {
        "h": household,
        "members": [m for m in members if m.status == RecordStatus.ACTIVE],
        "left_members": [m for m in members if m.status != RecordStatus.ACTIVE],
        "breadcrumbs": breadcrumbs(user, household.village, include_self=True),
        "can_edit": active and can_edit_region(user, household.village_code),
        "can_audit": user.has_capability(roles.VIEW_AUDIT),
        **work_summary(user, household),
    }
    return render(request, "web/households/detail.html", context)


def work_summary(user: Any, household: Any) -> dict[str, Any]:
    """识别与帮扶 on the household page: the latest eligibility decision with its reasons, the pathways
    of the latest scheme runs, the identification cases and the open screening hits — each read through
    its app's scoped selector (so a user sees there only what the app's own pages would show)."""
    from fupin.exits import selectors as exit_selectors
    from fupin.identification.models import IdentificationCase
    from fupin.rules import selectors as rule_selectors
    from fupin.screening import selectors as screening_selectors

    hits = (screening_selectors.hits_for_household(user, household.pk)
            if user.has_capability(roles.VIEW_SCREENING) else None)
    return {
        "decision": rule_selectors.latest_decision(user, household),
        "pathways": rule_selectors.household_pathways(user, household),
        "cases": list(visible_to(user, IdentificationCase.objects.filter(household=household)).order_by("-id")[:5]),
        "hits": None if hits is None else list(hits[:10]),
        "exit_cases": exit_selectors.household_cases(user, household)[:5],
        "can_see_pairing": user.has_capability(roles.VIEW_PAIRING) or not roles.sees_region(str(user.role)),
        "can_see_monitoring": user.has_capability(roles.VIEW_MONITORING),
    }
