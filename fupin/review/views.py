"""Pages of the yearly review (动态调整): cycles and snapshots, a cycle, the flow report with drill-down.

Thin views over :mod:`.selectors` (scoped reads) and :mod:`.services` (writes, which check scope again).
Out of scope: 404. A refused write is shown as a message; nothing is written.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from fupin.core.scoping import region_in_scope
from fupin.policy import clock, flows, roles
from fupin.policy.regions import LEVEL_COUNTY
from fupin.regions.models import Region
from fupin.registry.services import RegistryError

from . import selectors, services
from .choices import SnapshotSource

PAGE_SIZE = 100


def _en() -> bool:
    from fupin.web.templatetags.fupin_tags import current_lang

    return current_lang().startswith("en")


def flow_label(flow: str) -> str:
    zh, en = flows.FLOW_LABELS.get(flow, (flow, flow))
    return en if _en() else zh


def _require_view(user: Any) -> None:
    if not user.has_capability(roles.VIEW_REVIEW):
        raise Http404("不存在或无权查看 / not found")


class YearCountyForm(forms.Form):
    county = forms.ChoiceField(label=_("County"))
    year = forms.IntegerField(label=_("Year"), min_value=services.FIRST_YEAR)
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.TextInput)

    def __init__(self, *args: Any, counties: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["county"].choices = counties


def _counties_for(user: Any) -> list[tuple[str, str]]:
    """Counties the user manages the review of."""
    region = user.region
    if region is None or not user.has_capability(roles.MANAGE_REVIEW):
        return []
    if region.level == LEVEL_COUNTY:
        return [(region.code, region.name)]
    if region.level > LEVEL_COUNTY:
        return []
    return list(Region.objects.filter(level=LEVEL_COUNTY, code__startswith=region.prefix).order_by("code")
                .values_list("code", "name"))


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    """年度动态调整 — cycles and snapshots in the user's scope; open a cycle or take a baseline snapshot."""
    user = request.user
    _require_view(user)
    counties = _counties_for(user)
    year = clock.today().year
    names = dict(Region.objects.filter(level=LEVEL_COUNTY).values_list("code", "name"))
    cycles, snapshots = list(selectors.cycles(user)), list(selectors.snapshots(user)[:200])
    for obj in (*cycles, *snapshots):
        obj.county_name = names.get(obj.region_code, obj.region_code)
    context = {
        "cycles": cycles, "snapshots": snapshots,
        "open_form": YearCountyForm(counties=counties, initial={"year": year}, prefix="open") if counties else None,
        "snapshot_form": YearCountyForm(counties=counties, initial={"year": year - 1}, prefix="snap")
        if counties else None,
        "report_region": user.region.code if user.region_id else "", "report_year": year,
    }
    return render(request, "review/list.html", context)


@login_required
@require_POST
def cycle_open(request: HttpRequest) -> HttpResponse:
    form = YearCountyForm(request.POST, counties=_counties_for(request.user), prefix="open")
    if not form.is_valid():
        messages.error(request, _("Choose a county and a year."))
        return redirect("review:list")
    try:
        cycle = services.open_cycle(actor=request.user, county_code=form.cleaned_data["county"],
                                    year=form.cleaned_data["year"], comment=form.cleaned_data["comment"], source="web")
    except RegistryError as err:
        messages.error(request, err.message)
        return redirect("review:list")
    messages.success(request, _("The yearly review is open."))
    return redirect("review:cycle", cycle.pk)


@login_required
@require_POST
def snapshot_take(request: HttpRequest) -> HttpResponse:
    form = YearCountyForm(request.POST, counties=_counties_for(request.user), prefix="snap")
    if not form.is_valid():
        messages.error(request, _("Choose a county and a year."))
        return redirect("review:list")
    try:
        snapshot = services.take_snapshot(actor=request.user, county_code=form.cleaned_data["county"],
                                          year=form.cleaned_data["year"], source=SnapshotSource.WEB,
                                          comment=form.cleaned_data["comment"])
    except RegistryError as err:
        messages.error(request, err.message)
        return redirect("review:list")
    messages.success(request, _("Snapshot taken: %(households)s households, %(persons)s persons.")
                     % {"households": snapshot.households, "persons": snapshot.persons})
    return redirect("review:list")


@login_required
def cycle_page(request: HttpRequest, pk: int) -> HttpResponse:
    """一个县一年的动态调整 — its flows (provisional while open), and closing it."""
    user = request.user
    cycle = selectors.cycle_detail(user, pk)
    region = Region.objects.get(code=cycle.region_code)
    view = selectors.flow_view(user, region.code, cycle.year) if region_in_scope(user, region.code, roles.VIEW_REVIEW) \
        else None
    may_close = cycle.is_open and region_in_scope(user, cycle.region_code, roles.MANAGE_REVIEW)
    return render(request, "review/cycle.html", {"cycle": cycle, "region": region, "view": view,
                                                 "rows": _totals_rows(view) if view else [],
                                                 "may_close": may_close})


@login_required
@require_POST
def cycle_close(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = selectors.cycle_detail(request.user, pk)
    try:
        services.close_cycle(actor=request.user, cycle_id=cycle.pk, expected_version=request.POST.get("version") or None,
                             comment=request.POST.get("comment", ""), source="web")
    except RegistryError as err:
        messages.error(request, err.message)
        return redirect("review:cycle", pk)
    messages.success(request, _("The yearly review is closed and its snapshot is frozen."))
    return redirect("review:cycle", pk)


def _totals_rows(view: selectors.FlowView) -> list[dict[str, Any]]:
    rows = []
    for unit, label, t in (("households", pgettext_lazy("count", "Households"), view.households),
                           ("persons", pgettext_lazy("count", "Persons"), view.persons)):
        rows.append({"unit": unit, "label": label, "t": t, "natural": t.natural})
    return rows


def _year(request: HttpRequest) -> int:
    try:
        return int(request.GET.get("year") or clock.today().year)
    except ValueError as exc:
        raise Http404("year") from exc


@login_required
def flow_report(request: HttpRequest) -> HttpResponse:
    """年度进出统计 — one region and year: start + new + returned − exited − removed ± natural = end, in
    households and persons, with the children (drill-down) and the reasons."""
    user = request.user
    _require_view(user)
    code = request.GET.get("region") or (user.region_id or "")
    if not code:
        raise Http404("region")
    year = _year(request)
    view = selectors.flow_view(user, code, year)
    region = view.region
    reasons = [{**r, "flow_label": flow_label(r["flow"])} for r in view.reasons]
    breadcrumbs = [(r, region_in_scope(user, r.code, roles.VIEW_REVIEW)) for r in [*region.ancestors(), region]]
    return render(request, "review/flows.html", {
        "view": view, "region": region, "year": year, "rows": _totals_rows(view), "reasons": reasons,
        "flows": [(f, flow_label(f)) for f in flows.FLOWS], "breadcrumbs": breadcrumbs,
        "years": selectors.years_with_snapshots(user, region),
    })


@login_required
def flow_households(request: HttpRequest) -> HttpResponse:
    """The households of one flow in a region and year (the bottom of the drill-down)."""
    user = request.user
    _require_view(user)
    code = request.GET.get("region") or ""
    year = _year(request)
    flow = request.GET.get("flow", "")
    if flow and flow not in flows.FLOWS:
        raise Http404("flow")
    view = selectors.flow_view(user, code, year, children=False)
    frame = selectors.flow_households(view, flow)
    names = selectors.village_names(frame["village_code"].to_list()) if frame.height else {}
    rows = [{**r, "village_name": names.get(r["village_code"], r["village_code"]), "flow_label": flow_label(r["flow"]),
             "reason_label": flows.reason_label(r["reason"], "en" if _en() else "zh")}
            for r in frame.iter_rows(named=True)]
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "review/households.html", {
        "view": view, "region": view.region, "year": year, "flow": flow, "flow_name": flow_label(flow) if flow else "",
        "page": page, "count": len(rows), "flows": [(f, flow_label(f)) for f in flows.FLOWS],
        "back": f"{reverse('review:flows')}?region={view.region.code}&year={year}"})
