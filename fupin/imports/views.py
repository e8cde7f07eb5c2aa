"""Pages of the roster import and export (花名册导入导出).

Thin views over :mod:`fupin.imports.selectors` (reads, scoped) and :mod:`fupin.imports.services`
(writes, which check the actor's region again). Out of scope, or a write without ``registry.edit``:
404. The upload lands the file and starts the validation in a background thread; the batch page
polls its progress through htmx and reloads when the batch is ready for review.

Decisions:

- Validation runs in a daemon thread of the web process (no task queue in this deployment); the
  thread closes its database connection at the end. ``settings.FUPIN_IMPORT_SYNC = True`` runs it
  inline instead (tests). The validation writes a heartbeat (:mod:`fupin.core.heartbeat`); a batch
  left ``validating`` by a process that ended (a restart, a kill) is shown as stopped once its
  heartbeat is silent (:meth:`~.models.ImportBatch.stalled`): the page stops polling and offers
  "check again" (重新校验, also for a failed batch) and "refuse".
- Merge runs inside the POST (one transaction in the service).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fupin.core.scoping import ScopeError, region_in_scope
from fupin.core.xlsx_sheet import TooManyRows
from fupin.policy import codes, roles
from fupin.policy.regions import RegionCodeError, normalize_code
from fupin.regions.models import Region
from fupin.web.upload import redirect_for_upload

from . import holding, leaving, selectors, services
from .choices import BatchStatus, ExportChannel
from .exports import (
    ABSENT,
    CHANGES,
    REJECTIONS,
    ROWS_TO_FIX,
    landed_file,
    may_take_landed_files,
    record_report,
    spooled_export,
)
from .forms import PERSON_FILTERS, BatchFilterForm, ExportForm, RefuseForm, UploadForm
from .pipelines import change_list, registry_frames, zip_rosters
from .pipelines.export_roster import KINDS, SPLITS, SplitFormatError, is_archive
from .roster_filter import FilterError, parse_filter
from .selectors import BatchFilter
from .template_file import TEMPLATE_FILE_NAME, template_xlsx

logger = logging.getLogger(__name__)

REJECTIONS_PAGE_SIZE = 100
BATCHES_PAGE_SIZE = 50
RUNNING = {BatchStatus.LANDED, BatchStatus.VALIDATING, BatchStatus.MERGING}
#: Statuses of a batch whose check finished: its counts and its list of changes (变更明细) are shown.
CHECKED = {BatchStatus.REVIEW, BatchStatus.MERGING, BatchStatus.MERGED, BatchStatus.REFUSED}
CHANGES_PAGE_SIZE = 50
_KIND_LABELS = {
    "household": gettext_lazy("Household field changed"),
    "member_changed": gettext_lazy("Member field changed"),
    "member_new": gettext_lazy("Member joins"),
    "member_left": gettext_lazy("Member leaves (not in the file's household)"),
}
#: 变更类型 in the interface's language, for each kind of :data:`.pipelines.change_list.KINDS`, in its order
#: (a kind added there without a label here fails at start-up).
CHANGE_KINDS = {kind: _KIND_LABELS[kind] for kind in change_list.KINDS}
_VILLAGE_CODE = re.compile(r"[0-9]{12}")
_FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
EXPORT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
ZIP_TYPE = "application/zip"


def _may_edit(user: Any) -> bool:
    return user.has_capability(roles.EDIT_REGISTRY)


def _require_editor(user: Any, region_code: str) -> None:
    if not region_in_scope(user, region_code, roles.EDIT_REGISTRY):
        raise ScopeError("不存在或无权操作 / not found")


def _attachment(content: bytes, content_type: str, file_name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=file_name)
    return response


def run_validation(batch_id: int, actor: Any) -> None:
    """Validate the batch: inline with ``FUPIN_IMPORT_SYNC``, else in a daemon thread."""
    if getattr(settings, "FUPIN_IMPORT_SYNC", False):
        services.validate_batch(batch_id, actor=actor)
        return

    def work() -> None:
        try:
            services.validate_batch(batch_id, actor=actor)
        except Exception:  # the service marks the batch failed; the page shows it
            logger.exception("validation of import batch %s failed", batch_id)
        finally:
            connection.close()

    threading.Thread(target=work, name=f"import-batch-{batch_id}", daemon=True).start()


@login_required
@redirect_for_upload
def batch_list(request: HttpRequest) -> HttpResponse:
    """导入导出 — the batches the user may see, the upload form (editors) and the export form."""
    user = request.user
    can_upload = _may_edit(user) and user.region_id is not None
    form = None
    if request.method == "POST":
        if not can_upload:
            raise Http404
        form = UploadForm(request.POST, request.FILES, user=user)
        if form.is_valid():
            region_code = form.cleaned_data["region_code"]
            _require_editor(user, region_code)
            upload = form.cleaned_data["file"]
            try:
                batch = services.land_file(actor=user, file_name=upload.name, content=upload,
                                           region_code=region_code, source="web", mode=form.cleaned_data["mode"])
            except services.ImportRefused as exc:
                form.add_error("file", exc.message)
            else:
                run_validation(batch.pk, user)
                return redirect("imports:batch", batch.pk)
    elif can_upload:
        form = UploadForm(user=user)
    filters = BatchFilterForm(request.GET, user=user)
    where = filters.where()
    page = Paginator(selectors.batches(user, where), BATCHES_PAGE_SIZE).get_page(request.GET.get("page"))
    names = dict(Region.objects.filter(code__in={b.region_code for b in page.object_list}).values_list("code", "name"))
    for batch in page.object_list:
        batch.region_name = names.get(batch.region_code, "")
    context = {"page": page, "form": form, "export_form": ExportForm(user=user), "filters": filters,
               "filtered": where != BatchFilter(), "can_audit": user.has_capability(roles.VIEW_AUDIT)}
    return render(request, "imports/list.html", context, status=422 if form is not None and form.errors else 200)


EXPORTS_PAGE_SIZE = 50


@login_required
@require_GET
def export_records(request: HttpRequest) -> HttpResponse:
    """导出记录 — every roster export of the user's scope (who, when, which region, rows, full or masked
    numbers, the file's SHA-256); for roles that read the audit trail (``audit.view``), 404 otherwise.
    ``?sha256=`` finds the export a file came from."""
    user = request.user
    if not user.has_capability(roles.VIEW_AUDIT):
        raise Http404
    records = selectors.export_records(user)
    sha = (request.GET.get("sha256") or "").strip().lower()
    if sha:
        records = records.filter(file_sha256=sha)
    page = Paginator(records, EXPORTS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "imports/exports.html", {"page": page, "sha256": sha})


def _running(batch: Any) -> bool:
    return batch.status in RUNNING and not batch.stalled()


def _detail_context(request: HttpRequest, batch: Any, refuse_form: RefuseForm | None = None) -> dict[str, Any]:
    user = request.user
    rejections = Paginator(batch.rejections.all(), REJECTIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    full = services.may_see_full_numbers(user)
    english = (get_language() or "").startswith("en")
    for r in rejections.object_list:  # one page: ID numbers and bank accounts as this user may see them
        r.shown_value = services.rejection_value(r.column, r.value, full=full)
        r.row_label = zip_rosters.row_label(r.row_number, batch.source_files or (), english=english)
    editor = region_in_scope(user, batch.region_code, roles.EDIT_REGISTRY)
    stalled = batch.stalled()
    region = Region.objects.filter(code=batch.region_code).first()
    checked = batch.status in CHECKED
    return {
        "batch": batch, "region": region, "running": _running(batch), "stalled": stalled,
        "checked": checked, "changes_summary": _changes_summary(batch) if checked else [],
        "changes_available": checked and services.changes_available(batch),
        "given_reasons": [(codes.MEMBER_LEAVE_REASON.label(r, get_language() or "zh"), n)
                          for r, n in leaving.given_counts(batch).items()]
        if batch.persons_left else [],
        "rejections": rejections, "can_decide": batch.status == BatchStatus.REVIEW and editor,
        "can_revalidate": editor and (stalled or batch.status == BatchStatus.FAILED),
        "can_refuse_stopped": editor and stalled, "refuse_form": refuse_form or RefuseForm(),
        "can_take_file": may_take_landed_files(user) and bool(batch.stored_path), "full_numbers": full,
        "undecided_days": services.undecided_days(),
        "expires_on": services.last_activity(batch) + timedelta(days=services.undecided_days()),
    }


def _changes_summary(batch: Any) -> list[dict[str, Any]]:
    """字段变更统计 — the batch's changes per kind and field, each with its kind's label."""
    return [s | {"kind": CHANGE_KINDS.get(s["change"], s["change"])} for s in batch.changes_by_field or []]


def _change_filter(request: HttpRequest, batch: Any) -> services.ChangeFilter:
    """变更明细筛选 from the query (``village``, ``change``, ``field``): a value that cannot be one (a
    village code not of 12 digits, an unknown kind, a field name of other characters) is ignored."""
    village = (request.GET.get("village") or "").strip()
    change = (request.GET.get("change") or "").strip()
    field = (request.GET.get("field") or "").strip()
    return services.ChangeFilter(village=village if _VILLAGE_CODE.fullmatch(village) else "",
                                 change=change if change in CHANGE_KINDS else "",
                                 field=field if _FIELD_NAME.fullmatch(field) else "")


class _ChangeRows:
    """A batch's list of changes (变更明细) as :class:`~django.core.paginator.Paginator` reads it: the
    number of changes matching the filter, then one page of them read from the batch's list."""

    def __init__(self, batch: Any, *, full: bool, where: services.ChangeFilter) -> None:
        self.batch, self.full, self.where = batch, full, where

    def count(self) -> int:
        return services.changes_page(self.batch, full=self.full, limit=0, where=self.where)[0]

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        start = window.start or 0
        _total, frame = services.changes_page(self.batch, full=self.full, offset=start,
                                              limit=max(window.stop - start, 0), where=self.where)
        return [row | {"kind": CHANGE_KINDS.get(row["change"], row["change"])} for row in frame.iter_rows(named=True)]


@login_required
@require_GET
def batch_page(request: HttpRequest, pk: int) -> HttpResponse:
    """一个导入批次 — progress while validating; counts, villages and rejected rows at review."""
    batch = selectors.batch_detail(request.user, pk)
    return render(request, "imports/detail.html", _detail_context(request, batch))


@login_required
@require_GET
def batch_changes(request: HttpRequest, pk: int) -> HttpResponse:
    """变更明细 — what the batch changes in registered households, one row per field, person joining or
    person leaving: filtered by village, kind and field, 50 a page, numbers masked by role."""
    batch = selectors.batch_detail(request.user, pk)
    where = _change_filter(request, batch)
    available = batch.status in CHECKED and services.changes_available(batch)
    rows = _ChangeRows(batch, full=services.may_see_full_numbers(request.user), where=where)
    page = Paginator(rows if available else [], CHANGES_PAGE_SIZE).get_page(request.GET.get("page"))
    fields: dict[str, str] = {}
    for s in batch.changes_by_field or []:
        fields.setdefault(s["field"], s["header"])
    context = {
        "batch": batch, "page": page, "where": where, "available": available,
        "full_numbers": rows.full, "villages": [(v["village_code"], v.get("name", "")) for v in batch.by_village or []],
        "kinds": list(CHANGE_KINDS.items()), "fields": list(fields.items()),
    }
    return render(request, "imports/changes.html", context)


@login_required
@require_GET
def batch_changes_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    """变更明细 as an xlsx file, filtered as the page is (recorded in the export records); 404 for a batch
    without its list of changes."""
    batch = selectors.batch_detail(request.user, pk)
    if batch.status not in CHECKED or not services.changes_available(batch):
        raise Http404
    content, rows = services.changes_xlsx(batch, full=services.may_see_full_numbers(request.user),
                                          where=_change_filter(request, batch))
    name = f"变更明细-{batch.pk}.xlsx"
    record_report(request.user, batch.region_code, CHANGES, content, rows=rows, channel=ExportChannel.WEB,
                  file_name=name)
    return _attachment(content, EXPORT_TYPES["xlsx"], name)


@login_required
@require_GET
def batch_file(request: HttpRequest, pk: int) -> HttpResponse:
    """原始文件 — the file the batch was imported from, as uploaded; recorded as an export (导出记录).
    404 out of scope or for a role that may not take it (:func:`~.exports.may_take_landed_files`)."""
    try:
        out, record = landed_file(request.user, pk, channel=ExportChannel.WEB)
    except services.ImportRefused as exc:
        messages.error(request, exc.message)
        return redirect("imports:batch", pk)
    return FileResponse(out, as_attachment=True, filename=record.file_name, content_type="application/octet-stream")


@login_required
@require_GET
def batch_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar (htmx polls it); once the batch is no longer running the page reloads."""
    batch = selectors.batch_detail(request.user, pk)
    running = _running(batch)
    response = render(request, "imports/_progress.html", {"batch": batch, "running": running})
    if not running and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def batch_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """确认入库 — merge the batch into the registry; a batch that marks persons as left needs the box
    confirming their number ticked (核对减员)."""
    batch = selectors.batch_detail(request.user, pk)
    _require_editor(request.user, batch.region_code)
    confirmed = request.POST.get("persons_left_confirmed", "")
    try:
        services.merge_batch(actor=request.user, batch_id=batch.pk, comment=request.POST.get("comment", ""),
                             persons_left_confirmed=int(confirmed) if confirmed.isdigit() else None)
    except services.ImportRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The batch was merged into the registry."))
    return redirect("imports:batch", batch.pk)


def _check_again(request: HttpRequest, pk: int, claim: Callable[[Any, Any], Any]) -> HttpResponse:
    """Take the batch back to validation with ``claim(user, batch)`` (a service that refuses with
    :class:`~.services.ImportRefused`) and check it again; back to the batch page either way."""
    batch = selectors.batch_detail(request.user, pk)
    _require_editor(request.user, batch.region_code)
    try:
        claim(request.user, batch)
    except services.ImportRefused as exc:
        messages.error(request, exc.message)
    else:
        run_validation(batch.pk, request.user)
    return redirect("imports:batch", batch.pk)


@login_required
@require_POST
def batch_revalidate(request: HttpRequest, pk: int) -> HttpResponse:
    """重新校验 — check a failed or stopped batch's landed file again, from the start."""
    return _check_again(request, pk, lambda user, batch: services.claim_revalidation(actor=user, batch_id=batch.pk))


@login_required
@require_POST
def batch_hold(request: HttpRequest, pk: int) -> HttpResponse:
    """暂缓导入 — hold back the ticked villages (none: release them) and check the batch again."""
    villages = request.POST.getlist("village")
    return _check_again(request, pk, lambda user, batch: holding.hold_villages(actor=user, batch_id=batch.pk,
                                                                                villages=villages))


@login_required
@require_POST
def batch_refuse(request: HttpRequest, pk: int) -> HttpResponse:
    """拒绝 — refuse the whole batch, with a reason."""
    batch = selectors.batch_detail(request.user, pk)
    _require_editor(request.user, batch.region_code)
    form = RefuseForm(request.POST)
    if not form.is_valid():
        return render(request, "imports/detail.html", _detail_context(request, batch, form), status=422)
    try:
        services.refuse_batch(actor=request.user, batch_id=batch.pk, comment=form.cleaned_data["comment"])
    except services.ImportRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The batch was refused."))
    return redirect("imports:batch", batch.pk)


@login_required
@require_GET
def batch_errors(request: HttpRequest, pk: int) -> HttpResponse:
    """错误行 as an xlsx file (recorded in the export records)."""
    batch = selectors.batch_detail(request.user, pk)
    content = services.rejections_xlsx(batch.pk, full=services.may_see_full_numbers(request.user))
    name = f"导入错误-{batch.pk}.xlsx"
    record_report(request.user, batch.region_code, REJECTIONS, content, rows=batch.rejections.count(),
                  channel=ExportChannel.WEB, file_name=name)
    return _attachment(content, EXPORT_TYPES["xlsx"], name)


@login_required
@require_GET
def batch_rows_to_fix(request: HttpRequest, pk: int) -> HttpResponse:
    """待改正的行 — the rejected rows as the file held them, with their reasons, as an xlsx to correct and
    import again (recorded in the export records). A landed file missing or changed, or more rows than
    a sheet holds: a message on the batch page."""
    batch = selectors.batch_detail(request.user, pk)
    try:
        content, rows = services.rows_to_fix_xlsx(batch, full=services.may_see_full_numbers(request.user))
    except (services.ImportRefused, TooManyRows) as exc:
        messages.error(request, exc.message if isinstance(exc, services.ImportRefused) else str(exc))
        return redirect("imports:batch", pk)
    name = f"待改正的行-{batch.pk}.xlsx"
    record_report(request.user, batch.region_code, ROWS_TO_FIX, content, rows=rows, channel=ExportChannel.WEB,
                  file_name=name)
    return _attachment(content, EXPORT_TYPES["xlsx"], name)


@login_required
@require_GET
def batch_absent(request: HttpRequest, pk: int) -> HttpResponse:
    """在册但文件中没有的户 as an xlsx file (village, 户编号, the head and status as the registry holds them now;
    recorded in the export records)."""
    batch = selectors.batch_detail(request.user, pk)
    content, name = services.absent_xlsx(request.user, batch), f"文件中没有的在册户-{batch.pk}.xlsx"
    record_report(request.user, batch.region_code, ABSENT, content, rows=batch.absent_households.count(),
                  channel=ExportChannel.WEB, file_name=name)
    return _attachment(content, EXPORT_TYPES["xlsx"], name)


@login_required
@require_GET
def template_file(request: HttpRequest) -> HttpResponse:
    """花名册空白模板 — with drop-downs of the 乡镇 and 行政村 the user may import into, and their codes
    (sheet 村名单), when there are any."""
    villages = registry_frames.villages_frame(request.user)
    return _attachment(template_xlsx(villages if villages.height else None), EXPORT_TYPES["xlsx"], TEMPLATE_FILE_NAME)


@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """导出花名册 — ``?region=CODE&format=xlsx|csv&kind=persons|households``: the user's scope only,
    ID numbers and bank accounts masked by role. Optional: ``poverty_status`` (repeated, codes),
    ``identification_year``, ``exit_year`` and ``planned_exit_year`` (``2014`` or ``2014-2016``), ``cause``
    and ``category`` (``2016:2``; repeated), ``shortfall`` and ``dilapidated`` take only those households
    (导出筛选); ``sex``, ``ethnicity``, ``education``, ``schooling``, ``health``, ``labour_skill``, ``migrant_work`` (repeated) and
    ``age`` (``16-60``) only those members (人员筛选); ``split=township|village`` gives a ZIP of one file
    per place. A filter that cannot be
    valid goes back to the list with the reason (nothing read, nothing recorded)."""
    user = request.user
    raw = request.GET.get("region") or (user.region_id or "")
    fmt = request.GET.get("format", "xlsx")
    kind = request.GET.get("kind") or "persons"
    split = request.GET.get("split") or ""
    if fmt not in EXPORT_TYPES:
        return HttpResponseBadRequest("format: xlsx | csv")
    if kind not in KINDS:
        return HttpResponseBadRequest("kind: persons | households")
    if split and split not in SPLITS:
        return HttpResponseBadRequest("split: township | village | sheets")
    try:
        code = normalize_code(raw)
    except RegionCodeError as exc:
        raise Http404 from exc
    if not region_in_scope(user, code, roles.VIEW_REGISTRY) or not Region.objects.filter(code=code).exists():
        raise Http404
    try:
        roster_filter = parse_filter(poverty_status=request.GET.getlist("poverty_status"),
                                     identification_year=request.GET.get("identification_year"),
                                     exit_year=request.GET.get("exit_year"), causes=request.GET.getlist("cause"),
                                     categories=request.GET.getlist("category"),
                                     planned_exit_year=request.GET.get("planned_exit_year"),
                                     shortfall=request.GET.getlist("shortfall"),
                                     dilapidated=request.GET.getlist("dilapidated"),
                                     **{name: request.GET.getlist(name) for name in PERSON_FILTERS if name != "age"},
                                     age=request.GET.get("age"))
    except FilterError as exc:
        messages.error(request, str(exc))
        return redirect("imports:list")
    try:
        spooled, record = spooled_export(user, code, fmt, kind, channel=ExportChannel.WEB, roster_filter=roster_filter,
                                         split=split)
    except (TooManyRows, SplitFormatError) as exc:
        messages.error(request, str(exc))
        return redirect("imports:list")
    return FileResponse(spooled, as_attachment=True, filename=record.file_name,
                        content_type=ZIP_TYPE if is_archive(split) else EXPORT_TYPES[fmt])
