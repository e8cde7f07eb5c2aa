"""Roster import and export (花名册导入导出) in the API.

- ``POST /imports`` (multipart: ``file``, ``region_code``) lands the file and validates it in the
  request (synchronously: an API client waits for the review counts, and tests stay simple); 201 with
  the batch at ``review`` (or ``failed``).
- ``GET /imports?status=&region=&q=``, ``GET /imports/{id}``, ``GET /imports/{id}/rejections?page=`` —
  scoped reads (the list filtered by status, by region and by file name or SHA-256).
- ``POST /imports/{id}/merge`` ``{comment, persons_left_confirmed}`` and ``POST /imports/{id}/refuse``
  ``{comment}`` — editors in scope; a batch that marks persons as left needs their number confirmed.
- ``GET /imports/{id}/absent?page=`` — 在册但文件中没有的户: registered households of the villages the
  file covers that it does not list.
- ``GET /imports/{id}/changes?page=&page_size=&village=&change=&field=`` — 变更明细: what the batch changes
  in registered households, one item per changed field, person joining or person leaving (numbers
  masked unless the role may see them; a paged read like the rejections, not recorded as an export).
- ``GET /imports/{id}/rows-to-fix`` — 待改正的行: the batch's rejected rows as the file held them (原行号,
  错误原因, then the roster columns), an xlsx (sheet 花名册) to correct and import again; numbers masked
  unless the role may see them; recorded as an export (kind ``rows_to_fix``). A batch with no rejected
  rows gives the header alone; a landed file missing or changed, or more rows than a sheet holds: 422.
- ``GET``/``PUT /imports/{id}/leaving`` — 减员名单 and the reasons given for it (JSON);
  ``GET``/``POST /imports/{id}/leaving/sheet`` — the same list as an xlsx to fill in (recorded as an
  export, kind ``leaving``), and the filled sheet uploaded (multipart ``file``; all or nothing, 422
  listing every row in error); ``GET /imports/{id}/leaving/sheets`` — the sheets received (收到的减员原因表,
  applied or refused) and ``GET /imports/{id}/leaving/sheets/{sheet_id}/file`` — one as it was given (the
  same roles as the landed file; recorded, kind ``landed``).
- ``GET /imports/{id}/file`` — the file as uploaded (roles with ``audit.view`` and full numbers;
  recorded as an export).
- ``POST /imports/{id}/validate`` — check a failed batch, or one whose check stopped with its process
  (``stalled``: no heartbeat), again from its landed file, in the request.
- ``GET /exports/roster?region=&format=xlsx|csv&kind=persons|households`` — the roster of a region in
  the user's scope (per person, or per household), ID numbers and bank accounts masked unless the role
  may see them; every export is recorded (导出记录, channel ``api``). ``poverty_status=``,
  ``identification_year=``, ``exit_year=``, ``planned_exit_year=``, ``cause=``, ``category=``, ``shortfall=``, ``dilapidated=`` take only
  those households (导出筛选; 422 naming the field
  for a value that cannot be valid); ``split=township|village`` gives a ZIP of one file per place,
  ``split=sheets`` one xlsx with a sheet per village (分村分表; with ``format=csv``: 422 naming ``split``).
- ``GET /exports/records?page=&page_size=&sha256=`` — the export records of the user's scope, for roles
  that read the audit trail (``audit.view``; others get an empty list).

Reads go through :mod:`fupin.imports.selectors`, writes through :mod:`fupin.imports.services`
(``source="api"``). Out of scope, or a write without ``registry.edit``: 404. A refusal by the
services (:class:`~fupin.imports.services.ImportRefused`) is 422 ``{"message", "field_errors"}``.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any, Literal, get_args

from django.http import FileResponse, Http404, HttpRequest
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from fupin.core.scoping import ScopeError, region_in_scope, require_in_scope
from fupin.core.xlsx_sheet import TooManyRows
from fupin.imports import exports, holding, leaving, selectors, services
from fupin.imports.choices import ExportChannel, ImportMode
from fupin.imports.exports import spooled_export
from fupin.imports.pipelines import change_list, leave_sheet, zip_rosters
from fupin.imports.pipelines.export_roster import SplitFormatError, is_archive
from fupin.imports.pipelines.leave_reasons import GIVEN_REASONS
from fupin.imports.roster_filter import FilterError, parse_filter
from fupin.policy import codes, roles
from fupin.policy.regions import RegionCodeError, normalize_code
from fupin.regions.models import Region
from fupin.registry.services import INVALID, RegistryError

from .auth import editor_auth
from .schemas import DetailOut, ErrorOut, RecordId

router = Router(tags=["imports 花名册导入"])
exports_router = Router(tags=["exports 花名册导出"])
WRITE_RESPONSES = {401: DetailOut, 404: DetailOut, 422: ErrorOut}
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


class VillageCounts(Schema):
    village_code: str
    name: str = ""
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: int = 0
    absent: int = Field(0, description="registered households of the village the file does not list")
    persons_left: int = Field(0, description="registered persons of the village the merge marks as left")


class ChangeCountOut(Schema):
    """字段变更统计: the changes of one kind to one field."""

    change: str = Field(..., description="household, member_changed, member_new, member_left")
    field: str = Field(..., description="the model field (relation for persons joining or leaving)")
    header: str = Field(..., description="the roster's column heading of the field")
    rows: int
    households: int


class BatchOut(Schema):
    """导入批次: status, progress and counts (rows_read = rows_imported + rows_rejected)."""

    id: int
    status: str = Field(..., description="landed, validating, review, merging, merged, refused, failed")
    mode: str = Field(..., description="households (整户导入), members (只更新所列成员: only the listed persons "
                                       "updated) or household_columns (只更新户信息: only the households' own columns)")
    file_name: str
    file_sha256: str
    region_code: str
    actor_name: str
    source: str
    created_at: datetime
    validated_at: datetime | None
    decided_at: datetime | None
    decided_by_name: str
    decision_comment: str
    progress: int
    progress_label: str
    error: str
    stalled: bool = Field(..., description="校验中断: landed or validating with no heartbeat for 4 beats "
                                            "(its process ended); POST …/validate checks it again")
    rows_read: int
    rows_imported: int
    rows_rejected: int
    rows_hidden: int = Field(0, description="隐藏行: of the rows read, those hidden in the sheet (a filter); read and "
                                           "checked like the others")
    households_new: int
    households_changed: int
    households_unchanged: int
    persons_new: int
    persons_changed: int
    persons_unchanged: int
    households_absent: int = Field(..., description="在册但文件中没有的户: active households of the file's villages "
                                                    "that the file does not list (the merge leaves them as they are)")
    persons_left: int = Field(..., description="成员减少: registered members of the file's households that the file "
                                               "does not list (the merge marks them as left)")
    persons_moved: int = Field(..., description="of persons_left, those the file lists in another of its households "
                                                "(分户 into a new household, 迁出 into a registered one)")
    leaving_share: float = Field(..., description="减员占比: persons_left against the registered persons of the "
                                                  "file's registered households (0–1)")
    many_leaving: bool = Field(..., description="减员异常: at least FUPIN_IMPORT_LEAVING_WARN_MIN (10) persons and "
                                                "FUPIN_IMPORT_LEAVING_WARN_SHARE (20 %) of them would leave — the file "
                                                "may not be a whole roster (e.g. a list exported with 人员筛选)")
    changes_by_field: list[ChangeCountOut] = Field(..., description="字段变更统计: changes per kind and field")
    by_village: list[VillageCounts]
    held_villages: list[str] = Field(..., description="暂缓导入的村: villages held back at review (their rows "
                                                      "rejected; POST …/hold)")


class BatchPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[BatchOut]


class RejectionOut(Schema):
    row_number: int = Field(..., description="the row as stored: in a ZIP of rosters, file k's row r is "
                                             "k × 1,000,000 + r (see file and row)")
    file: str = Field("", description="a ZIP of rosters: the name of the file the row is in; else empty")
    row: int = Field(..., description="the row number as the spreadsheet shows it (in its own file)")
    column: str
    value: str
    reason: str
    household_number: str
    village_code: str


class RejectionPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[RejectionOut]


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(100, ge=1, le=500)


class BatchQuery(PageQuery):
    status: Literal["", "landed", "validating", "review", "merging", "merged", "refused", "failed"] = Field(
        "", description="只看该状态 / only batches in this status (review: 待确认)")
    region: str = Field("", pattern=r"^(\d{12})?$",
                        description="只看导入该区划及其下级的批次 / only batches imported into this region or one within it")
    q: str = Field("", max_length=255, description="文件名的一部分,或文件的 SHA-256 / part of the file name, or the "
                                                    "file's SHA-256 (64 hex digits: the batch of that file)")


class DecisionIn(Schema):
    comment: str = Field("", max_length=2000)
    persons_left_confirmed: int | None = Field(
        None, ge=0, description="核对减员: a batch whose merge marks registered persons as left (persons_left > 0) "
                                "is merged only when this equals persons_left (checked in GET /imports/{id}/changes"
                                "?change=member_left); otherwise 422 with field_errors.persons_left_confirmed")


class HoldIn(Schema):
    villages: list[str] = Field(..., max_length=10_000, description="12-digit codes of the batch's villages to hold "
                                                                    "back (replacing those held before); [] releases them")


class RefuseIn(Schema):
    comment: str = Field(..., min_length=1, max_length=2000, description="拒绝理由 / why the batch is refused")


class ExportRecordOut(Schema):
    """导出记录: one roster export (who, when, channel, region, roster, rows, full or masked numbers,
    the file's name, size and SHA-256; ``refused`` with the reason for an export refused for its size)."""

    id: int
    at: datetime
    actor_name: str
    channel: str = Field(..., description="web, api, cli")
    region_code: str
    kind: str = Field(..., description="persons, households")
    format: str
    outcome: str = Field(..., description="done, refused")
    reason: str
    rows: int
    full_numbers: bool = Field(..., description="ID numbers and bank accounts as stored (not masked)")
    file_name: str
    file_size: int
    file_sha256: str
    filters: dict[str, Any] = Field(..., description="导出筛选: the households taken — poverty_status [codes], "
                                                     "identification_year and exit_year [first, last]; {} for all")


class ExportRecordPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[ExportRecordOut]


class ExportRecordQuery(PageQuery):
    sha256: str = Field("", max_length=64, description="only the export whose file has this SHA-256")


class ExportQuery(Schema):
    region: str = Field("", description="区划代码, 默认为用户所属区划 / default: the user's region")
    format: Literal["xlsx", "csv"] = "xlsx"
    kind: Literal["persons", "households"] = Field(
        "persons", description="persons: 花名册, one row per person (the import's columns); households: "
                               "户花名册, one row per household (head, size, household columns)")
    poverty_status: str = Field("", description="导出筛选 脱贫状态: codes or labels, comma-separated (0,3 / 未脱贫,返贫), "
                                                "or not-exited (0, 2, 3); empty: every household")
    identification_year: str = Field("", description="导出筛选 识别年度: 2014 or 2014-2016 (both ends included)")
    exit_year: str = Field("", description="导出筛选 脱贫年度: 2019 or 2016-2020; a household with no exit year is "
                                           "never taken")
    planned_exit_year: str = Field("", description="导出筛选 计划脱贫年度: 2019 or 2019-2020")
    cause: str = Field("", description="导出筛选 致贫原因: codes or labels, comma-separated; the main cause or an "
                                       "other cause")
    category: str = Field("", description="导出筛选 贫困户属性: version:code (2016:2) or a label, comma-separated")
    shortfall: str = Field("", description="导出筛选 两不愁三保障未达标: households falling short on any of these "
                                           "guarantees — food, clothing, education, medical, housing, water (or "
                                           "their labels), comma-separated; any: all six")
    dilapidated: str = Field("", description="导出筛选 危房户: grades C, D (or labels), comma-separated; yes: both")
    sex: str = Field("", description="人员筛选 性别: 1/2, 男/女 — only these members in the person roster; the "
                                     "household roster takes the households with one of them, whole")
    ethnicity: str = Field("", description="人员筛选 民族: codes or labels, comma-separated; 少数民族: every one but 汉族")
    education: str = Field("", description="人员筛选 文化程度: codes or labels, comma-separated — only these members "
                                           "in the person roster; the household roster takes the households with "
                                           "one of them, whole")
    schooling: str = Field("", description="人员筛选 在校生状况: codes or labels, comma-separated; 在校生: every grade")
    health: str = Field("", description="人员筛选 健康状况: codes or labels, comma-separated")
    labour_skill: str = Field("", description="人员筛选 劳动技能: codes or labels, comma-separated; 劳动力: 1 and 2")
    migrant_work: str = Field("", description="人员筛选 务工状况: codes or labels, comma-separated; 未务工: none; "
                                              "务工: any kind")
    age: str = Field("", description="人员筛选 年龄: whole years (周岁) on the day of the export — 16-60, 60以上 (and "
                                     "over), 18以下 (and under), both ends included")
    split: Literal["", "township", "village", "sheets"] = Field(
        "", description="分乡镇/分村导出: a ZIP of one file per township or village (format of the files inside); "
                        "sheets (分村分表): one xlsx workbook, one sheet per village")


def batch_out(batch: Any) -> dict[str, Any]:
    data = {name: getattr(batch, name) for name in BatchOut.model_fields if name not in ("id", "stalled")}
    data["id"] = batch.pk
    data["stalled"] = batch.stalled()
    data["by_village"] = list(batch.by_village or [])
    data["changes_by_field"] = list(batch.changes_by_field or [])
    data["held_villages"] = list(batch.held_villages or [])
    return data


def _refused(exc: services.ImportRefused) -> RegistryError:
    return RegistryError(exc.message, {exc.field: [exc.message]} if exc.field else {})


def _editable_batch(request: HttpRequest, batch_id: int) -> Any:
    batch = selectors.batch_detail(request.auth, batch_id)
    require_in_scope(request.auth, batch.region_code, roles.EDIT_REGISTRY)
    return batch


@router.post("", auth=editor_auth, response={201: BatchOut, **WRITE_RESPONSES})
def upload(request: HttpRequest, file: File[UploadedFile], region_code: Form[str],
           mode: Form[ImportMode] = ImportMode.HOUSEHOLDS):
    """上传花名册 (.xlsx, .xls, .ods, .csv, tab-delimited .txt, or a .zip of them) into a region of the user's
    scope; validated before the response. ``mode``: ``households`` (整户导入, the default), ``members``
    (只更新所列成员: only the listed persons' own columns updated, nobody added, moved or leaving) or
    ``household_columns`` (只更新户信息: one row per household, e.g. the 户花名册; only the households' own
    columns updated, incomes computed again over the registered size)."""
    try:
        code = normalize_code(region_code)
    except RegionCodeError as exc:
        raise RegistryError(INVALID, {"region_code": [str(exc)]}) from exc
    require_in_scope(request.auth, code, roles.EDIT_REGISTRY)
    try:
        batch = services.land_file(actor=request.auth, file_name=file.name or "roster", content=file,
                                   region_code=code, source="api", mode=mode)
        batch = services.validate_batch(batch.pk, actor=request.auth)
    except services.ImportRefused as exc:
        raise _refused(exc) from exc
    return Status(201, batch_out(selectors.batch_detail(request.auth, batch.pk)))


@router.get("", response={200: BatchPage})
def list_batches(request: HttpRequest, query: Query[BatchQuery]):
    """导入批次: the batches of the user's scope, newest first; ``status``, ``region`` and ``q`` (file name
    or SHA-256) filter them."""
    qs = selectors.batches(request.auth, selectors.BatchFilter(status=query.status, region=query.region, q=query.q))
    start = (query.page - 1) * query.page_size
    return {"count": qs.count(), "page": query.page, "page_size": query.page_size,
            "items": [batch_out(b) for b in qs[start: start + query.page_size]]}


@router.get("/{batch_id}", response={200: BatchOut, 404: DetailOut})
def get_batch(request: HttpRequest, batch_id: RecordId):
    """一个导入批次: status, progress and counts."""
    return batch_out(selectors.batch_detail(request.auth, batch_id))


@router.get("/{batch_id}/rejections", response={200: RejectionPage, 404: DetailOut})
def rejections(request: HttpRequest, batch_id: RecordId, query: Query[PageQuery]):
    """错误行: row number, column, value and reason, in row order; a rejected ID number or bank account
    is masked unless the user may see full numbers."""
    batch = selectors.batch_detail(request.auth, batch_id)
    qs = batch.rejections.all()
    start = (query.page - 1) * query.page_size
    full = services.may_see_full_numbers(request.auth)
    parts = batch.source_files or []
    items = [{**{name: getattr(r, name) for name in RejectionOut.model_fields if name not in ("file", "row")},
              "value": services.rejection_value(r.column, r.value, full=full),
              **_file_and_row(r.row_number, parts)}
             for r in qs[start: start + query.page_size]]
    return {"count": qs.count(), "page": query.page, "page_size": query.page_size, "items": items}


def _file_and_row(row_number: int, parts: list[str]) -> dict[str, Any]:
    if not parts:
        return {"file": "", "row": row_number}
    k, row = zip_rosters.split_row(row_number)
    return {"file": parts[k - 1] if 1 <= k <= len(parts) else "", "row": row}


class AbsentOut(Schema):
    village_code: str
    household_number: str


class AbsentPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[AbsentOut]


@router.get("/{batch_id}/absent", response={200: AbsentPage, 404: DetailOut})
def absent_households(request: HttpRequest, batch_id: RecordId, query: Query[PageQuery]):
    """在册但文件中没有的户: the active households of the villages the file covers that the file does not
    list, as validation found them (the merge leaves them as they are), by village and 户编号."""
    qs = selectors.batch_absent_households(request.auth, batch_id)
    start = (query.page - 1) * query.page_size
    return {"count": qs.count(), "page": query.page, "page_size": query.page_size,
            "items": list(qs.values("village_code", "household_number")[start: start + query.page_size])}


#: 变更类型 a client may filter by (:data:`fupin.imports.pipelines.change_list.KINDS`); empty: all.
ChangeKind = Literal["", "household", "member_changed", "member_new", "member_left"]


class ChangeQuery(PageQuery):
    village: str = Field("", pattern=r"^(\d{12})?$", description="只看该村 / only this village (12-digit code)")
    change: ChangeKind = Field("", description="只看该类变更 / only this kind: household (户信息变更), member_changed "
                                               "(成员信息变更), member_new (新增成员), member_left (成员减少)")
    field: str = Field("", pattern=r"^([a-z][a-z0-9_]{0,63})?$",
                       description="只看该字段 / only this field (its name, as in changes_by_field)")


class ChangeOut(Schema):
    village_code: str
    household_number: str
    name: str
    id_number: str = Field(..., description="证件号码, masked unless the user may see full numbers")
    change: str = Field(..., description="household, member_changed, member_new, member_left")
    change_label: str = Field(..., description="变更类型, in Chinese and English")
    field: str
    header: str = Field(..., description="the roster's column heading of the field")
    old: str = Field(..., description="原值 as the roster shows it (empty for a person joining)")
    new: str = Field(..., description="新值 as the roster shows it (empty for a person leaving)")


class ChangePage(Schema):
    count: int
    page: int
    page_size: int
    items: list[ChangeOut]


@router.get("/{batch_id}/changes", response={200: ChangePage, 404: DetailOut, 422: ErrorOut})
def batch_changes(request: HttpRequest, batch_id: RecordId, query: Query[ChangeQuery]):
    """变更明细: what the batch changes in registered households — each changed field of a household or
    member with its old and new value, each person joining, each person the merge marks as left (not in
    their household in the file) — by village, 户编号 and kind, filtered by village, kind and field. ID
    numbers and bank accounts are masked unless the user may see full numbers. A batch not yet checked,
    or checked before the list existed, has none (count 0)."""
    batch = selectors.batch_detail(request.auth, batch_id)
    where = services.ChangeFilter(village=query.village, change=query.change, field=query.field)
    total, frame = services.changes_page(batch, full=services.may_see_full_numbers(request.auth),
                                         offset=(query.page - 1) * query.page_size, limit=query.page_size,
                                         where=where)
    items = [{**{k: v or "" for k, v in row.items()},
              "change_label": change_list.KINDS.get(row["change"], row["change"])}
             for row in frame.iter_rows(named=True)]
    return {"count": total, "page": query.page, "page_size": query.page_size, "items": items}


class LeavingOut(Schema):
    member_id: int
    household_id: int
    household_number: str
    name: str
    id_number: str = Field(..., description="证件号码, masked unless the user may see full numbers")
    relation: str
    file_reason: str = Field(..., description="the reason read from the file: split (分户), moved_out (迁至户 "
                                              "moved_to) or other (其他: the file does not say)")
    moved_to: str | None = Field(None, description="the file's household the person is listed in, if any")
    reason: str = Field(..., description="减少原因 the merge writes: the one given where the file says nothing")
    reason_label: str
    comment: str
    given: bool = Field(..., description="a reviewer gave the reason")


class LeavingPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[LeavingOut]


#: 减少原因 a reviewer may give (:data:`fupin.imports.pipelines.leave_reasons.GIVEN_REASONS`), or "".
ReasonCode = Literal["", "death", "marriage_out", "moved_out", "imprisoned", "entry_error", "other"]
assert set(get_args(ReasonCode)) == {"", *GIVEN_REASONS}


class ReasonIn(Schema):
    member_id: int
    reason: ReasonCode = Field(..., description="empty: take a given reason back (其他)")
    comment: str = Field("", max_length=200)


class ReasonsIn(Schema):
    reasons: list[ReasonIn] = Field(..., min_length=1, max_length=1000)


@router.get("/{batch_id}/leaving", response={200: LeavingPage, 404: DetailOut})
def persons_leaving(request: HttpRequest, batch_id: RecordId, query: Query[PageQuery]):
    """减员名单: the registered persons the merge marks as left, with the reason it writes — read from the
    file (分户, 迁至户), given by the reviewer, or 其他. Only while the batch awaits review (else count 0);
    ID numbers masked unless the user may see full numbers."""
    batch = selectors.batch_detail(request.auth, batch_id)
    frame = leaving.persons_leaving(batch, full=services.may_see_full_numbers(request.auth))
    rows = frame.slice((query.page - 1) * query.page_size, query.page_size).to_dicts()
    items = [{**row, "reason_label": codes.MEMBER_LEAVE_REASON.label(row["reason"])} for row in rows]
    return {"count": frame.height, "page": query.page, "page_size": query.page_size, "items": items}


@router.put("/{batch_id}/leaving", auth=editor_auth, response={200: LeavingPage, **WRITE_RESPONSES})
def give_reasons(request: HttpRequest, batch_id: RecordId, body: ReasonsIn):
    """填写减员原因: give (or take back, reason ``""``) the reason for persons the file does not place in
    another of its households, while the batch awaits review; all or nothing (422 naming the person).
    Answers the first page of the list."""
    batch = _editable_batch(request, batch_id)
    try:
        leaving.give_reasons(actor=request.auth, batch_id=batch.pk, source="api",
                             reasons={r.member_id: (r.reason, r.comment) for r in body.reasons})
    except services.ImportRefused as exc:
        raise _refused(exc) from exc
    return persons_leaving(request, batch.pk, PageQuery())


@router.get("/{batch_id}/leaving/sheet", response={404: DetailOut}, openapi_extra={
    "responses": {"200": {
        "description": "减员原因表: the persons leaving as an xlsx to fill in (drop-down on 减员原因)",
        "content": {CONTENT_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}}}}}})
def leaving_sheet(request: HttpRequest, batch_id: RecordId):
    """减员原因表: the batch's persons leaving as an xlsx to fill in away from the system — 成员编号, 户编号,
    姓名, 证件号码, 与户主关系, 文件所定原因, 减员原因 (a drop-down), 说明 — while the batch awaits review
    (else 404). ID numbers masked unless the user may see full numbers (成员编号 still names each
    person). Recorded in the export records (导出记录, kind ``leaving``)."""
    batch = selectors.batch_detail(request.auth, batch_id)
    if not leaving.available(batch):
        raise Http404
    content, rows = leaving.sheet_xlsx(batch, full=services.may_see_full_numbers(request.auth))
    name = f"减员原因表-{batch.pk}.xlsx"
    exports.record_report(request.auth, batch.region_code, exports.LEAVING, content, rows=rows,
                          channel=ExportChannel.API, file_name=name)
    return FileResponse(io.BytesIO(content), as_attachment=True, filename=name, content_type=CONTENT_TYPES["xlsx"])


class SheetAppliedOut(Schema):
    reasons: int = Field(..., description="persons the sheet gives a reason for")
    changed: int = Field(..., description="reasons that changed (the others were already so)")
    rows: int = Field(..., description="data rows read")
    empty: int = Field(..., description="rows with no reason: nothing changed for them")
    ignored: int = Field(..., description="rows repeating the reason the file gives (分户, 迁至户)")


@router.post("/{batch_id}/leaving/sheet", auth=editor_auth, response={200: SheetAppliedOut, **WRITE_RESPONSES})
def upload_leaving_sheet(request: HttpRequest, batch_id: RecordId, file: File[UploadedFile]):
    """上传减员原因表: the filled sheet (xlsx, xls, ods, CSV or tab-delimited text; the download above or a list with 证件号码 and
    减员原因 columns), all or nothing — 422 with every error as ``第N行 列: 原因`` under
    ``field_errors.file``, nothing saved. Empty reasons change nothing."""
    batch = _editable_batch(request, batch_id)
    try:
        applied = leaving.give_reasons_from_upload(actor=request.auth, batch_id=batch.pk, chunks=file.chunks(),
                                                   file_name=file.name or "sheet", source="api")
    except leaving.LeaveSheetRefused as exc:
        raise RegistryError(exc.message, {"file": leave_sheet.error_lines(exc.errors)}) from exc
    except services.ImportRefused as exc:
        raise _refused(exc) from exc
    return {"reasons": applied.reasons, "changed": applied.changed, "rows": applied.rows, "empty": applied.empty,
            "ignored": applied.ignored}


class ReceivedSheetOut(Schema):
    id: int
    file_name: str
    file_sha256: str
    file_size: int
    actor_name: str
    source: str
    received_at: datetime
    outcome: Literal["applied", "refused"]
    rows: int = Field(..., description="data rows read")
    reasons: int = Field(..., description="persons the sheet gave a reason for")
    changed: int = Field(..., description="reasons it changed")
    errors: int = Field(..., description="rows, columns and reasons in error (a refused sheet)")
    refusal: str = Field(..., description="why it was refused, with its first errors")


@router.get("/{batch_id}/leaving/sheets", response={200: list[ReceivedSheetOut], 404: DetailOut})
def received_sheets(request: HttpRequest, batch_id: RecordId):
    """收到的减员原因表: every filled sheet received for the batch (page, API or command), newest first,
    applied or refused, with what it did. Kept as given; the reasons a sheet gave name it (``#id``) in
    their audit rows."""
    batch = selectors.batch_detail(request.auth, batch_id)
    return list(batch.leave_sheets.all())


@router.get("/{batch_id}/leaving/sheets/{sheet_id}/file", response={404: DetailOut, 422: ErrorOut}, openapi_extra={
    "responses": {"200": {"description": "the sheet as it was given"}}})
def received_sheet_file(request: HttpRequest, batch_id: RecordId, sheet_id: RecordId):
    """A received 减员原因表 as it was given, for roles that read the audit trail and see full numbers
    (else 404; it may hold full ID numbers); recorded in the export records (kind ``landed``). A file
    changed on disk since (SHA-256) is 422."""
    try:
        out, record = exports.received_sheet_file(request.auth, batch_id, sheet_id, channel=ExportChannel.API)
    except services.ImportRefused as exc:
        raise _refused(exc) from exc
    return FileResponse(out, as_attachment=True, filename=record.file_name, content_type="application/octet-stream")


@router.get("/{batch_id}/file", response={404: DetailOut, 422: ErrorOut}, openapi_extra={
    "responses": {"200": {"description": "the file as uploaded"}}})
def landed_file(request: HttpRequest, batch_id: RecordId):
    """原始文件: the file the batch was imported from, as uploaded, for roles that read the audit trail
    and see full numbers (else 404); recorded in the export records (导出记录, kind ``landed``). A file
    changed on disk since it landed (SHA-256) is 422."""
    try:
        out, record = exports.landed_file(request.auth, batch_id, channel=ExportChannel.API)
    except services.ImportRefused as exc:
        raise _refused(exc) from exc
    return FileResponse(out, as_attachment=True, filename=record.file_name, content_type="application/octet-stream")


@router.get("/{batch_id}/rows-to-fix", response={404: DetailOut, 422: ErrorOut}, openapi_extra={
    "responses": {"200": {
        "description": "待改正的行: the rejected rows as an xlsx (sheet 花名册) to correct and import again",
        "content": {CONTENT_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}}}}}})
def rows_to_fix(request: HttpRequest, batch_id: RecordId):
    """待改正的行: the batch's rejected rows as the file held them — 原行号 (the row in the file), 错误原因
    (every reason for the row), then the roster columns under the template's headers, values as written
    — as an xlsx (sheet 花名册) to correct and import again (the two extra columns are ignored). A
    household is rejected whole, so the rows hold whole households. ID numbers and bank accounts are
    masked unless the user may see full numbers (such a file cannot be imported again as it is). A batch
    with no rejected rows gives the header alone. Recorded in the export records (导出记录, kind
    ``rows_to_fix``). The landed file missing or changed since it landed (SHA-256), or more rows than
    one sheet holds: 422."""
    batch = selectors.batch_detail(request.auth, batch_id)
    try:
        content, rows = services.rows_to_fix_xlsx(batch, full=services.may_see_full_numbers(request.auth))
    except services.ImportRefused as exc:
        raise _refused(exc) from exc
    except TooManyRows as exc:
        raise RegistryError(str(exc)) from exc
    name = f"待改正的行-{batch.pk}.xlsx"
    exports.record_report(request.auth, batch.region_code, exports.ROWS_TO_FIX, content, rows=rows,
                          channel=ExportChannel.API, file_name=name)
    return FileResponse(io.BytesIO(content), as_attachment=True, filename=name, content_type=CONTENT_TYPES["xlsx"])


@router.post("/{batch_id}/merge", auth=editor_auth, response={200: BatchOut, **WRITE_RESPONSES})
def merge(request: HttpRequest, batch_id: RecordId, body: DecisionIn | None = None):
    """确认入库: merge a batch at review into the registry."""
    batch = _editable_batch(request, batch_id)
    try:
        services.merge_batch(actor=request.auth, batch_id=batch.pk, comment=body.comment if body else "",
                             persons_left_confirmed=body.persons_left_confirmed if body else None)
    except services.ImportRefused as exc:
        raise _refused(exc) from exc
    return batch_out(selectors.batch_detail(request.auth, batch.pk))


@router.post("/{batch_id}/hold", auth=editor_auth, response={200: BatchOut, **WRITE_RESPONSES})
def hold(request: HttpRequest, batch_id: RecordId, body: HoldIn):
    """暂缓导入: hold back some villages of a batch at review (their rows rejected) and check it again, in
    the request, so the rest can be merged; ``[]`` releases them. 422 unless the batch awaits review,
    for a village not in its file, when nothing changes or when every village would be held."""
    batch = _editable_batch(request, batch_id)
    try:
        holding.hold_villages(actor=request.auth, batch_id=batch.pk, villages=body.villages, source="api")
        services.validate_batch(batch.pk, actor=request.auth)
    except services.ImportRefused as exc:
        raise _refused(exc) from exc
    return batch_out(selectors.batch_detail(request.auth, batch.pk))


@router.post("/{batch_id}/validate", auth=editor_auth, response={200: BatchOut, **WRITE_RESPONSES})
def revalidate(request: HttpRequest, batch_id: RecordId):
    """重新校验: check a failed or stopped (``stalled``) batch again, in the request; 422 otherwise."""
    batch = _editable_batch(request, batch_id)
    try:
        services.claim_revalidation(actor=request.auth, batch_id=batch.pk)
        services.validate_batch(batch.pk, actor=request.auth)
    except services.ImportRefused as exc:
        raise _refused(exc) from exc
    return batch_out(selectors.batch_detail(request.auth, batch.pk))


@router.post("/{batch_id}/refuse", auth=editor_auth, response={200: BatchOut, **WRITE_RESPONSES})
def refuse(request: HttpRequest, batch_id: RecordId, body: RefuseIn):
    """拒绝: refuse the whole batch, with a reason."""
    batch = _editable_batch(request, batch_id)
    try:
        services.refuse_batch(actor=request.auth, batch_id=batch.pk, comment=body.comment)
    except services.ImportRefused as exc:
        raise _refused(exc) from exc
    return batch_out(selectors.batch_detail(request.auth, batch.pk))


@exports_router.get("/roster", response={401: DetailOut, 404: DetailOut, 422: ErrorOut}, openapi_extra={
    "responses": {"200": {"description": "the roster file (xlsx or CSV)"}}})
def export(request: HttpRequest, query: Query[ExportQuery]):
    """导出花名册: households and members of a region in the roster's columns (xlsx or CSV), one row per
    person; ``kind=households``: the household roster (户花名册), one row per household. 导出筛选 takes
    some households, 人员筛选 some members (see the parameters)."""
    user = request.auth
    raw = query.region or (user.region_id or "")
    try:
        code = normalize_code(raw)
    except RegionCodeError as exc:
        raise RegistryError(INVALID, {"region": [str(exc)]}) from exc
    if not region_in_scope(user, code, roles.VIEW_REGISTRY) or not Region.objects.filter(code=code).exists():
        raise ScopeError("不存在或无权查看 / not found")
    try:
        roster_filter = parse_filter(poverty_status=query.poverty_status, identification_year=query.identification_year,
                                     exit_year=query.exit_year, causes=query.cause, categories=query.category,
                                     planned_exit_year=query.planned_exit_year, shortfall=query.shortfall,
                                     dilapidated=query.dilapidated, sex=query.sex, ethnicity=query.ethnicity,
                                     education=query.education,
                                     schooling=query.schooling, health=query.health, labour_skill=query.labour_skill,
                                     migrant_work=query.migrant_work, age=query.age)
    except FilterError as exc:
        raise RegistryError(INVALID, {exc.field: [str(exc)]}) from exc
    try:
        spooled, record = spooled_export(user, code, query.format, query.kind, channel=ExportChannel.API,
                                         roster_filter=roster_filter, split=query.split)
    except TooManyRows as exc:
        raise RegistryError(INVALID, {"format": [str(exc)]}) from exc
    except SplitFormatError as exc:
        raise RegistryError(INVALID, {"split": [str(exc)]}) from exc
    return FileResponse(spooled, as_attachment=True, filename=record.file_name,
                        content_type="application/zip" if is_archive(query.split) else CONTENT_TYPES[query.format])


@exports_router.get("/records", response={200: ExportRecordPage})
def list_export_records(request: HttpRequest, query: Query[ExportRecordQuery]):
    """导出记录: the roster exports of the user's scope, newest first (``audit.view``)."""
    qs = selectors.export_records(request.auth)
    if query.sha256:
        qs = qs.filter(file_sha256=query.sha256.strip().lower())
    start = (query.page - 1) * query.page_size
    return {"count": qs.count(), "page": query.page, "page_size": query.page_size,
            "items": list(qs[start: start + query.page_size])}
