"""减员原因 page — the persons a batch marks as left; at review, the reviewer gives each one's reason.

Thin: the list and the writes are :mod:`.leaving`'s. The batch is read through the region scope
(404 outside it); giving reasons needs ``registry.edit`` in the batch's region, as merging does.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fupin.core.scoping import region_in_scope
from fupin.policy import codes, roles
from fupin.web.upload import redirect_for_upload

from . import leaving, selectors, services
from .choices import ExportChannel
from .exports import LEAVING, may_take_landed_files, received_sheet_file, record_report
from .pipelines.leave_reasons import FILE_SILENT, GIVEN_REASONS

PAGE_SIZE = 50
#: Errors of a refused 减员原因表 listed on the page (all are counted).
SHEET_ERRORS_SHOWN = 500


class _Rows:
    """The list as :class:`~django.core.paginator.Paginator` reads it: one page of dicts at a time."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame

    def count(self) -> int:
        return self.frame.height

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        start = window.start or 0
        rows = self.frame.slice(start, max((window.stop or start) - start, 0)).to_dicts()
        lang = get_language() or "zh"
        for row in rows:
            row["relation_label"] = codes.RELATION.label(row["relation"], lang)
            row["file_reason_label"] = codes.MEMBER_LEAVE_REASON.label(row["file_reason"], lang)
            row["reason_label"] = codes.MEMBER_LEAVE_REASON.label(row["reason"], lang)
            row["silent"] = row["file_reason"] == FILE_SILENT
        return rows


def _posted_reasons(request: HttpRequest) -> dict[int, tuple[str, str]]:
    """``reason-<member id>`` and ``comment-<member id>`` of the posted page; with the button 设为
    (``fill``), the page's rows left empty take ``fill_reason``."""
    fill = request.POST.get("fill_reason", "") if "fill" in request.POST else ""
    out: dict[int, tuple[str, str]] = {}
    for key, value in request.POST.items():
        if key.startswith("reason-") and key[7:].isdigit():
            out[int(key[7:])] = (value or fill, request.POST.get(f"comment-{key[7:]}", ""))
    return out


@login_required
@require_http_methods(["GET", "POST"])
def batch_leaving(request: HttpRequest, pk: int) -> HttpResponse:
    """减员原因 — the batch's persons leaving, 50 a page, with the reason the merge will write; while the
    batch awaits review an editor of its region gives the reasons the file cannot (POST: the page's rows)."""
    batch = selectors.batch_detail(request.user, pk)
    available = leaving.available(batch)
    can_give = available and region_in_scope(request.user, batch.region_code, roles.EDIT_REGISTRY)
    if request.method == "POST":
        here = reverse("imports:leaving", args=[batch.pk]) + f"?page={request.GET.get('page', '1')}"
        if not can_give:
            messages.error(request, _("Reasons for leaving can be given only while the batch awaits review."))
            return redirect(here)
        try:
            changed = leaving.give_reasons(actor=request.user, batch_id=batch.pk, reasons=_posted_reasons(request))
        except services.ImportRefused as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(n)s reasons for leaving saved.") % {"n": changed})
        return redirect(here)
    return _page(request, batch, available=available, can_give=can_give)


def _page(request: HttpRequest, batch: Any, *, available: bool, can_give: bool,
          sheet_errors: leaving.LeaveSheetRefused | None = None) -> HttpResponse:
    frame = leaving.persons_leaving(batch, full=services.may_see_full_numbers(request.user))
    lang = get_language() or "zh"
    page = Paginator(_Rows(frame), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "batch": batch, "page": page, "available": available, "can_give": can_give,
        "reasons": [(r, codes.MEMBER_LEAVE_REASON.label(r, lang)) for r in GIVEN_REASONS],
        "given": [(codes.MEMBER_LEAVE_REASON.label(r, lang), n) for r, n in leaving.given_counts(batch).items()], "silent": int(frame.filter(pl.col("file_reason") == FILE_SILENT).height),
        "full_numbers": services.may_see_full_numbers(request.user),
        "received": list(batch.leave_sheets.all()), "can_take_sheets": may_take_landed_files(request.user),
    }
    context["given_total"] = sum(n for _label, n in context["given"])
    if sheet_errors is not None:
        context["sheet_errors"] = sheet_errors.errors.head(SHEET_ERRORS_SHOWN).to_dicts()
        context["sheet_error_count"] = sheet_errors.errors.height
    return render(request, "imports/leaving.html", context, status=422 if sheet_errors is not None else 200)


@login_required
@require_GET
def batch_leaving_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """减员原因表 — the batch's persons leaving as an xlsx to fill in (drop-down of reasons), while it awaits
    review (else 404); ID numbers masked unless the role may see them; recorded as an export."""
    batch = selectors.batch_detail(request.user, pk)
    if not leaving.available(batch):
        raise Http404
    content, rows = leaving.sheet_xlsx(batch, full=services.may_see_full_numbers(request.user))
    name = f"减员原因表-{batch.pk}.xlsx"
    record_report(request.user, batch.region_code, LEAVING, content, rows=rows, channel=ExportChannel.WEB,
                  file_name=name)
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    return response


@login_required
@require_POST
@redirect_for_upload
def batch_leaving_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """The filled 减员原因表 uploaded (field ``sheet``): all or nothing; a refused sheet shows every row,
    column and reason on the page (422)."""
    batch = selectors.batch_detail(request.user, pk)
    available = leaving.available(batch)
    can_give = available and region_in_scope(request.user, batch.region_code, roles.EDIT_REGISTRY)
    here = reverse("imports:leaving", args=[batch.pk])
    upload = request.FILES.get("sheet")
    if not can_give:
        messages.error(request, _("Reasons for leaving can be given only while the batch awaits review."))
        return redirect(here)
    if upload is None:
        messages.error(request, _("Choose the filled sheet to upload."))
        return redirect(here)
    try:
        applied = leaving.give_reasons_from_upload(actor=request.user, batch_id=batch.pk, chunks=upload.chunks(),
                                                   file_name=upload.name or "sheet")
    except leaving.LeaveSheetRefused as exc:
        return _page(request, batch, available=available, can_give=can_give, sheet_errors=exc)
    except services.ImportRefused as exc:
        messages.error(request, exc.message)
        return redirect(here)
    messages.success(request, _("Sheet read: %(reasons)s reasons in it, %(changed)s changed; %(empty)s rows left "
                                "empty, %(ignored)s rows with the file's own reason.") % {
        "reasons": applied.reasons, "changed": applied.changed, "empty": applied.empty, "ignored": applied.ignored})
    return redirect(here)


@login_required
@require_GET
def batch_leave_sheet_file(request: HttpRequest, pk: int, sheet_pk: int) -> HttpResponse:
    """A received 减员原因表 as it was given (收到的减员原因表), for roles that may take landed files (else
    404); recorded as an export (kind ``landed``). A file changed on disk since is refused."""
    try:
        out, record = received_sheet_file(request.user, pk, sheet_pk, channel=ExportChannel.WEB)
    except services.ImportRefused as exc:
        messages.error(request, exc.message)
        return redirect("imports:leaving", pk)
    return FileResponse(out, as_attachment=True, filename=record.file_name, content_type="application/octet-stream")
