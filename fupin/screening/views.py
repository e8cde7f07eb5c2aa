"""Pages of the cross-department comparison (数据比对), under /screening/.

Thin views over :mod:`fupin.screening.selectors` (reads, scoped) and :mod:`fupin.screening.services`
(writes, which check the actor's region again). A user without ``screening.view`` gets 404 for every
page (village cadres and work teams: see :data:`fupin.policy.roles.SCREENING_GRANTS`); out of scope,
or a write without its capability: 404. ID numbers are shown in full or masked by role, as in the
registry (``id_for``).

Decisions: an upload is read, checked and loaded inside the POST (a list of a million rows takes
seconds, see docs/screening.md), and so is a run; the queue shows open hits first by default and
takes a decision inline (confirm, or dismiss with a comment) and returns to the same filtered page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fupin.core.bilingual import in_language
from fupin.core.scoping import region_in_scope
from fupin.policy import department_lists, roles
from fupin.regions.models import Region
from fupin.web.upload import redirect_for_upload

from . import selectors, services
from .choices import HitStatus
from .forms import DecideForm, ListUploadForm, QueueFilterForm, RunForm

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _lang() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh"


def _require(user: Any, capability: str = roles.VIEW_SCREENING) -> None:
    if not user.has_capability(capability):
        raise Http404


def _kinds() -> list[department_lists.ListKind]:
    return list(department_lists.KINDS)


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """疑点队列 — the hits of the user's scope; filter by kind, status, region and run."""
    user = request.user
    _require(user)
    data = request.GET.copy()
    if "status" not in data:
        data["status"] = HitStatus.OPEN
    form = QueueFilterForm(data, user=user, lang=_lang())
    if form.is_valid():
        c = form.cleaned_data
        qs = selectors.hits(user, selectors.HitFilters(kind=c["kind"], status=c["status"], region=c["region"],
                                                       run=c["run"]))
    else:
        qs = selectors.hits(user).none()
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form, "page": page, "decide_form": DecideForm(),
        "decidable": {h.pk for h in page.object_list if selectors.can_decide(user, h)},
        "can_run": user.has_capability(roles.RUN_SCREENING),
        "can_import": user.has_capability(roles.IMPORT_SCREENING_LIST),
    }
    return render(request, "screening/queue.html", context)


@login_required
@require_GET
def hit_page(request: HttpRequest, pk: int) -> HttpResponse:
    """一个疑点 — the member, the household, the matched record and the decision."""
    user = request.user
    _require(user)
    hit = selectors.hit_detail(user, pk)
    return render(request, "screening/hit.html", {
        "hit": hit, "kind": department_lists.get_kind(hit.kind), "can_decide": selectors.can_decide(user, hit),
        "decide_form": DecideForm(), "can_open_household": region_in_scope(user, hit.village_code,
                                                                           roles.VIEW_REGISTRY),
    })


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """确认 / 排除 — decide a hit; back to ``next`` (the queue page it came from) or the hit's page."""
    user = request.user
    _require(user)
    hit = selectors.hit_detail(user, pk)
    if not region_in_scope(user, hit.village_code, roles.DECIDE_SCREENING):
        raise Http404
    form = DecideForm(request.POST)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = ""
    if not form.is_valid():
        messages.error(request, "请选择确认或排除 / choose confirm or dismiss")
        return _back(target, hit.pk)
    try:
        services.decide_hit(actor=user, hit_id=hit.pk, decision=form.cleaned_data["decision"],
                            comment=form.cleaned_data["comment"], source="web")
    except services.ScreeningRefused as exc:
        messages.error(request, exc.message)
        return _back(target, hit.pk)
    hit.refresh_from_db()
    messages.success(request, _("Hit #%(n)s: %(status)s") % {"n": hit.pk, "status": in_language(hit.get_status_display())})
    return _back(target, hit.pk)


def _back(target: str, hit_id: int) -> HttpResponse:
    return redirect(target) if target else redirect("screening:hit", hit_id)


@login_required
@redirect_for_upload
def lists_page(request: HttpRequest) -> HttpResponse:
    """部门名单 — the lists the user may see with their counts; the upload form for county officers."""
    user = request.user
    _require(user)
    can_upload = user.has_capability(roles.IMPORT_SCREENING_LIST)
    form = None
    if request.method == "POST":
        if not can_upload:
            raise Http404
        form = ListUploadForm(request.POST, request.FILES, user=user, lang=_lang())
        if form.is_valid():
            c = form.cleaned_data
            upload = c["file"]
            try:
                dept_list = services.import_list(
                    actor=user, kind=c["kind"], region_code=c["region_code"], as_of=c["as_of"],
                    file_name=upload.name, content=upload, source_department=c["source_department"],
                    source="web")
            except services.ScreeningRefused as exc:
                for field, errors in exc.field_errors.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
                if not exc.field_errors:
                    form.add_error(None, exc.message)
            else:
                return redirect("screening:list", dept_list.pk)
    elif can_upload:
        form = ListUploadForm(user=user, lang=_lang())
    page = Paginator(selectors.department_lists(user), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "form": form, "kinds": _kinds()}
    return render(request, "screening/lists.html", context, status=422 if form is not None and form.errors else 200)


@login_required
@require_GET
def list_page(request: HttpRequest, pk: int) -> HttpResponse:
    """一份部门名单 — counts (read = accepted + rejected) and the rejected rows."""
    user = request.user
    _require(user)
    dept_list = selectors.list_detail(user, pk)
    rows_visible = selectors.may_see_rows(user, dept_list)
    rejections = (Paginator(selectors.list_rejections(user, pk), 100).get_page(request.GET.get("page"))
                  if rows_visible else None)
    region = Region.objects.filter(code=dept_list.region_code).first()
    return render(request, "screening/list.html", {
        "dept_list": dept_list, "kind": dept_list.kind_def, "region": region, "rejections": rejections,
        "rows_visible": rows_visible,
    })


@login_required
@require_GET
def list_rejections(request: HttpRequest, pk: int) -> HttpResponse:
    """错误行 as xlsx (values masked for roles that do not see full ID numbers)."""
    user = request.user
    _require(user)
    dept_list = selectors.list_detail(user, pk)
    if not selectors.may_see_rows(user, dept_list):
        raise Http404
    response = HttpResponse(services.rejections_xlsx(dept_list.pk, mask=not user.may_see_full_id),
                            content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True,
                                                                 filename=f"名单错误行-{dept_list.pk}.xlsx")
    return response


@login_required
def runs_page(request: HttpRequest) -> HttpResponse:
    """开展比对 — run a screening over a region of the user's scope; the runs so far."""
    user = request.user
    _require(user)
    can_run = user.has_capability(roles.RUN_SCREENING) and user.region_id is not None
    usable = selectors.usable_lists(user, user.region_id) if can_run else []
    defaults = selectors.default_list_ids(usable)
    form = None
    if request.method == "POST":
        if not can_run:
            raise Http404
        form = RunForm(request.POST, user=user, usable=usable, default_ids=defaults)
        if form.is_valid():
            try:
                run = services.run_screening(actor=user, region_code=form.cleaned_data["region_code"],
                                             list_ids=form.cleaned_data["lists"] or None, source="web")
            except services.ScreeningRefused as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("screening:run", run.pk)
    elif can_run:
        form = RunForm(user=user, usable=usable, default_ids=defaults)
    page = Paginator(selectors.runs(user).prefetch_related("lists"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "screening/runs.html", {"form": form, "page": page, "usable": usable},
                  status=422 if form is not None and form.errors else 200)


@login_required
@require_GET
def run_page(request: HttpRequest, pk: int) -> HttpResponse:
    """一次比对 — lists used, counts per kind, the rule each kind feeds; a link to its hits."""
    user = request.user
    _require(user)
    run = selectors.run_detail(user, pk)
    counts = [(department_lists.get_kind(k), v, run.rules.get(k, "")) for k, v in run.counts.items()]
    region = Region.objects.filter(code=run.region_code).first()
    return render(request, "screening/run.html", {"run": run, "counts": counts, "region": region,
                                                  "lists": list(run.lists.all())})
