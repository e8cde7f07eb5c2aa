"""The region page (区划页): figures of a region and of its children, breadcrumbs, a village's households."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from fupin.core.scoping import get_visible_or_404
from fupin.policy.regions import LEVEL_VILLAGE, RegionCodeError, normalize_code
from fupin.regions.models import Region
from fupin.registry.selectors import HouseholdFilters, households, region_figures

from .common import breadcrumbs

#: Households listed on a village page; the rest are on the filtered household list.
VILLAGE_PAGE_HOUSEHOLDS = 50


@login_required
def region_page(request: HttpRequest, code: str) -> HttpResponse:
    """区划页 — ``/regions/<code>/``; a 2/4/6/9-digit prefix redirects to the 12-digit code."""
    try:
        full = normalize_code(code)
    except RegionCodeError as exc:
        raise Http404("not a region code") from exc
    if full != code:
        return redirect("web:region", code=full)
    user = request.user
    region = get_visible_or_404(user, Region.objects.all(), pk=full)
    own, children = region_figures(user, region)
    context = {"region": region, "figures": own, "children": children, "breadcrumbs": breadcrumbs(user, region),
               "is_village": region.level == LEVEL_VILLAGE}
    if region.level == LEVEL_VILLAGE:
        qs = households(user, HouseholdFilters(region=region.code))
        context["households"] = list(qs[:VILLAGE_PAGE_HOUSEHOLDS])
        context["household_count"] = qs.count()
    return render(request, "web/region.html", context)
