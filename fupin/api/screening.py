"""Cross-department comparison (数据比对) in the API: department lists, runs, the exception queue.

- ``GET /screening/kinds`` — the list kinds with their columns and header spellings (policy data).
- ``POST /screening/lists`` (multipart: ``file``, ``kind``, ``region_code``, ``as_of``, optional
  ``source_department``) — land, check and load a list in the request; 201 with the list
  (``loaded``, or ``failed`` with the reason). The same file again: 422 naming the list it already is.
- ``GET /screening/lists``, ``GET /screening/lists/{id}``, ``GET /screening/lists/{id}/rejections``.
- ``POST /screening/runs`` ``{region_code?, list_ids?}`` — screen a region (default: the user's) against
  the chosen lists (default: the newest of each kind); 201 with the run and its counts.
- ``GET /screening/runs``, ``GET /screening/runs/{id}``.
- ``GET /screening/hits?kind=&status=&region=&run=`` — the queue; ``GET /screening/hits/{id}``.
- ``POST /screening/hits/{id}/decide`` ``{decision: confirm|dismiss, comment}`` — a dismissal needs a
  comment; confirming a death takes the member off the household.

Reads go through :mod:`fupin.screening.selectors` (``screening.view``, scoped); the writes need their
capability (``screening.import`` / ``screening.run`` / ``screening.decide``) — without it, or out of
scope: 404. Refusals of the services: 422 ``{"message", "field_errors"}``. ID numbers are masked for
roles that do not see full IDs, as everywhere.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from fupin.core.scoping import ScopeError, require_in_scope
from fupin.imports.pipelines import zip_rosters
from fupin.policy import department_lists, roles
from fupin.policy.idnumber import mask_id_number
from fupin.registry.services import RegistryError
from fupin.screening import selectors, services

from .auth import TokenAuth
from .schemas import DetailOut, ErrorOut, RecordId

router = Router(tags=["screening 数据比对"])
import_auth = TokenAuth(capability=roles.IMPORT_SCREENING_LIST)
run_auth = TokenAuth(capability=roles.RUN_SCREENING)
decide_auth = TokenAuth(capability=roles.DECIDE_SCREENING)
WRITE_RESPONSES = {401: DetailOut, 404: DetailOut, 422: ErrorOut}
KindId = Literal["vehicle", "real_estate", "business", "payroll", "death", "village_cadre"]


class ColumnOut(Schema):
    field: str
    header: str
    label_en: str
    aliases: list[str]
    kind: str = Field(..., description="text, date (YYYY-MM-DD when readable), id_number (GB 11643)")
    required: bool


class KindOut(Schema):
    """名单类型: who supplies it, its columns, the household flag and exclusion rule it feeds."""

    id: str
    label_zh: str
    label_en: str
    department_zh: str
    department_en: str
    household_column: str
    rule_id: str
    description: str
    member_leave_reason: str
    columns: list[ColumnOut]


class ListOut(Schema):
    """部门名单: rows_read = rows_accepted + rows_rejected."""

    id: int
    kind: str
    source_department: str
    as_of: date
    region_code: str
    status: str = Field(..., description="landed, loaded, failed")
    file_name: str
    file_sha256: str
    encoding: str
    actor_name: str
    source: str
    created_at: datetime
    loaded_at: datetime | None
    error: str
    headers: dict[str, str]
    unknown_headers: list[str]
    source_sheets: list[str] = Field([], description="a workbook's list sheets read together, in order")
    rows_read: int
    rows_accepted: int
    rows_rejected: int


class Page(Schema):
    count: int
    page: int
    page_size: int


class ListPage(Page):
    items: list[ListOut]


class RejectionOut(Schema):
    row_number: int = Field(..., description="the sheet's row; k × 1,000,000 + row when several sheets were read")
    sheet: str = Field("", description="the sheet of the row, when a workbook's sheets were read together")
    row: int = Field(0, description="the row as its sheet numbers it")
    column: str
    value: str
    reason: str


class RejectionPage(Page):
    items: list[RejectionOut]


class KindCounts(Schema):
    records: int = 0
    matched: int = 0
    new: int = 0


class RunOut(Schema):
    """比对批次: persons screened, matches (known ones included) and new hits, per kind too."""

    id: int
    region_code: str
    status: str = Field(..., description="running, done, failed")
    list_ids: list[int]
    actor_name: str
    source: str
    started_at: datetime
    finished_at: datetime | None
    error: str
    persons_screened: int
    hits_matched: int
    hits_new: int
    counts: dict[str, KindCounts]
    rules: dict[str, str]
    seconds: float


class RunPage(Page):
    items: list[RunOut]


class RecordOut(Schema):
    list_id: int
    source_department: str
    as_of: date
    row_number: int
    name: str
    detail: dict[str, Any]


class HitOut(Schema):
    """疑点: the member (ID masked by role), the household, the matched record and the decision."""

    id: int
    run_id: int
    kind: str
    rule_id: str
    status: str = Field(..., description="open, confirmed, dismissed")
    member_id: int
    member_name: str
    id_number: str
    id_numbers_masked: bool
    household_id: int
    household_number: str
    village_code: str
    record: RecordOut
    decided_by_name: str
    decided_at: datetime | None
    comment: str
    created_at: datetime


class HitPage(Page):
    items: list[HitOut]


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(100, ge=1, le=500)


class HitQuery(PageQuery):
    kind: KindId | None = None
    status: Literal["open", "confirmed", "dismissed"] | None = None
    region: str = Field("", description="区划代码(任一级) / a region code of any level")
    run: int | None = Field(None, ge=1)


class RunIn(Schema):
    region_code: str = Field("", description="默认为用户所属区划 / default: the user's region")
    list_ids: list[int] = Field(default_factory=list, description="默认每类最新名单 / default: the newest of each kind")


class DecideIn(Schema):
    decision: Literal["confirm", "dismiss"]
    comment: str = Field("", max_length=2000, description="排除时必填 / required to dismiss")


def _refused(exc: services.ScreeningRefused) -> RegistryError:
    return RegistryError(exc.message, exc.field_errors)


def _paged(qs: Any, query: PageQuery, present: Any) -> dict[str, Any]:
    start = (query.page - 1) * query.page_size
    return {"count": qs.count(), "page": query.page, "page_size": query.page_size,
            "items": [present(x) for x in qs[start: start + query.page_size]]}


def list_out(d: Any) -> dict[str, Any]:
    data = {name: getattr(d, name) for name in ListOut.model_fields if name != "id"}
    data["id"] = d.pk
    return data


def run_out(r: Any) -> dict[str, Any]:
    data = {name: getattr(r, name) for name in RunOut.model_fields if name not in ("id", "list_ids")}
    data["id"] = r.pk
    data["list_ids"] = sorted(d.pk for d in r.lists.all())
    return data


def _sheet_and_row(row_number: int, sheets: list[str]) -> tuple[str, int]:
    """(sheet, its own row) of a list's row; ("", the row) for a list read from one sheet."""
    if not sheets:
        return "", row_number
    k, own = zip_rosters.split_row(row_number)
    return (sheets[k - 1] if 1 <= k <= len(sheets) else f"#{k}"), own


def hit_out(h: Any, full_id: bool) -> dict[str, Any]:
    record, dept = h.record, h.record.department_list
    return {
        "id": h.pk, "run_id": h.run_id, "kind": h.kind, "rule_id": h.rule_id, "status": h.status,
        "member_id": h.member_id, "member_name": h.member.name,
        "id_number": h.member.id_number if full_id else mask_id_number(h.member.id_number),
        "id_numbers_masked": not full_id, "household_id": h.household_id,
        "household_number": h.household.household_number, "village_code": h.village_code,
        "record": {"list_id": dept.pk, "source_department": dept.source_department, "as_of": dept.as_of,
                   "row_number": record.row_number, "name": record.name, "detail": record.detail or {}},
        "decided_by_name": h.decided_by_name, "decided_at": h.decided_at, "comment": h.comment,
        "created_at": h.created_at,
    }


@router.get("/kinds", response={200: list[KindOut]})
def kinds(request: HttpRequest):
    """名单类型: the six kinds of department list and their columns."""
    return [{
        "id": k.id, "label_zh": k.label_zh, "label_en": k.label_en, "department_zh": k.department_zh,
        "department_en": k.department_en, "household_column": k.household_column, "rule_id": k.rule_id,
        "description": k.description, "member_leave_reason": k.member_leave_reason,
        "columns": [{"field": c.field, "header": c.header, "label_en": c.label_en, "aliases": list(c.aliases),
                     "kind": c.kind, "required": c.required} for c in k.columns],
    } for k in department_lists.KINDS]


@router.post("/lists", auth=import_auth, response={201: ListOut, **WRITE_RESPONSES})
def upload(request: HttpRequest, file: File[UploadedFile], kind: Form[KindId], region_code: Form[str],
           as_of: Form[date], source_department: Form[str] = ""):
    """导入部门名单 (.xlsx, .xls or .csv) for a region of the user's scope; loaded before the response."""
    try:
        dept_list = services.import_list(actor=request.auth, kind=kind, region_code=region_code, as_of=as_of,
                                         file_name=file.name or "list", content=file,
                                         source_department=source_department, source="api")
    except services.ScreeningRefused as exc:
        raise _refused(exc) from exc
    return Status(201, list_out(dept_list))


@router.get("/lists", response={200: ListPage})
def list_lists(request: HttpRequest, query: Query[PageQuery]):
    """部门名单: the lists of the user's region, below and above it, newest first."""
    return _paged(selectors.department_lists(request.auth), query, list_out)


@router.get("/lists/{list_id}", response={200: ListOut, 404: DetailOut})
def get_list(request: HttpRequest, list_id: RecordId):
    return list_out(selectors.list_detail(request.auth, list_id))


@router.get("/lists/{list_id}/rejections", response={200: RejectionPage, 404: DetailOut})
def list_rejections(request: HttpRequest, list_id: RecordId, query: Query[PageQuery]):
    """错误行 (values masked for roles that do not see full IDs); only within the list's region."""
    user = request.auth
    dept_list = selectors.list_detail(user, list_id)
    if not selectors.may_see_rows(user, dept_list):
        raise ScopeError("不存在或无权查看 / not found")
    full = user.may_see_full_id
    sheets = list(dept_list.source_sheets or ())

    def present(r: Any) -> dict[str, Any]:
        sheet, row = _sheet_and_row(r.row_number, sheets)
        return {"row_number": r.row_number, "sheet": sheet, "row": row, "column": r.column, "reason": r.reason,
                "value": r.value if full else mask_id_number(r.value)}

    return _paged(selectors.list_rejections(user, list_id), query, present)


@router.post("/runs", auth=run_auth, response={201: RunOut, **WRITE_RESPONSES})
def run(request: HttpRequest, body: RunIn):
    """开展比对: screen a region of the user's scope; the run with its counts."""
    user = request.auth
    region = body.region_code or (user.region_id or "")
    try:
        result = services.run_screening(actor=user, region_code=region, list_ids=body.list_ids or None,
                                        source="api")
    except services.ScreeningRefused as exc:
        raise _refused(exc) from exc
    return Status(201, run_out(selectors.run_detail(user, result.pk)))


@router.get("/runs", response={200: RunPage})
def list_runs(request: HttpRequest, query: Query[PageQuery]):
    return _paged(selectors.runs(request.auth).prefetch_related("lists"), query, run_out)


@router.get("/runs/{run_id}", response={200: RunOut, 404: DetailOut})
def get_run(request: HttpRequest, run_id: RecordId):
    return run_out(selectors.run_detail(request.auth, run_id))


@router.get("/hits", response={200: HitPage})
def list_hits(request: HttpRequest, query: Query[HitQuery]):
    """疑点队列: the hits of the user's scope, filtered."""
    user = request.auth
    filters = selectors.HitFilters(kind=query.kind or "", status=query.status or "", region=query.region,
                                   run=query.run)
    full = user.may_see_full_id
    return _paged(selectors.hits(user, filters), query, lambda h: hit_out(h, full))


@router.get("/hits/{hit_id}", response={200: HitOut, 404: DetailOut})
def get_hit(request: HttpRequest, hit_id: RecordId):
    return hit_out(selectors.hit_detail(request.auth, hit_id), request.auth.may_see_full_id)


@router.post("/hits/{hit_id}/decide", auth=decide_auth, response={200: HitOut, **WRITE_RESPONSES})
def decide(request: HttpRequest, hit_id: RecordId, body: DecideIn):
    """核实疑点: confirm, or dismiss with a comment."""
    user = request.auth
    hit = selectors.hit_detail(user, hit_id)
    require_in_scope(user, hit.village_code, roles.DECIDE_SCREENING)
    try:
        services.decide_hit(actor=user, hit_id=hit.pk, decision=body.decision, comment=body.comment, source="api")
    except services.ScreeningRefused as exc:
        raise _refused(exc) from exc
    return hit_out(selectors.hit_detail(user, hit.pk), user.may_see_full_id)

