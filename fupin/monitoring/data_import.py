"""Department data for monitoring (部门数据: 医疗费用、受灾、死亡), imported like the screening lists.

A file of another department's records keyed by ID number — medical spending (医保部门: the
out-of-pocket amount and the settlement date), disaster losses (应急管理部门: the loss and the date),
deaths (公安/民政/卫健: the date of death) — is landed (a copy in the data folder, its SHA-256), read by
the screening app's reader (:func:`fupin.screening.pipelines.read_list.read_list`: xlsx, xls, ods or
CSV in UTF-8/GBK, header found in the first 30 rows, title and note rows skipped; a workbook's visible
list sheets — a sheet per township — read together, as department lists are, the sheets kept in
``source_sheets`` and each row named by its sheet, ``夏阳乡 第3行``) with this module's column sets
(:data:`KINDS`, :class:`fupin.policy.department_lists.ListKind`), and checked in one Polars pass:

- the amount (医疗、受灾) must be a number ≥ 0 (``1,234.50``, ``1234元`` and ``￥1234`` are read);
- the date is read like the screening dates (``2024-03-04``, ``2024/3/4``, ``2024年3月4日``, ``20240304``
  …); an empty date takes the list's as-of date; an unreadable date, or one after the as-of date, is
  refused;
- the ID number is checked by :func:`fupin.screening.pipelines.check_list.check_list` (GB 11643; 15
  digits upgraded; a disability certificate number keeps its resident ID).

Every refused row is a :class:`~fupin.monitoring.models.MonitoringDataRejection` with its row, column,
value and reason; the rest are :class:`~fupin.monitoring.models.MonitoringDataRecord` rows, loaded in
bulk in one transaction: rows read = rows accepted + rows rejected. The same file (SHA-256) is not
imported twice as the same kind for the same region. A file that cannot be read as a whole leaves the
list ``failed`` with the reason and no record.

Import needs ``monitoring.run`` in the region (404 otherwise).
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

import polars as pl
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from fupin.core import audit, landing
from fupin.core.bulk import copy_frame
from fupin.core.models import ChangeAction
from fupin.core.scoping import require_in_scope
from fupin.policy import clock, roles
from fupin.policy.department_lists import DATE, ID_ALIASES, ID_NUMBER, NAME_ALIASES, ListColumn, ListKind
from fupin.policy.regions import RegionCodeError, normalize_code
from fupin.screening.pipelines.check_list import check_list, normalise_date
from fupin.screening.pipelines.read_list import ListReadError, RawList, read_list

from .choices import DataKind, DataListStatus
from .errors import MonitoringError
from .models import MonitoringDataList, MonitoringDataRecord, MonitoringDataRejection

log = logging.getLogger(__name__)
MAX_FILE_BYTES = 512 << 20
AMOUNT = "amount"
OCCURRED_ON = "occurred_on"


def _id(*extra: str) -> ListColumn:
    return ListColumn("id_number", "证件号码", "ID number", (*ID_ALIASES, *extra), kind=ID_NUMBER, required=True)


def _name(*extra: str) -> ListColumn:
    return ListColumn("name", "姓名", "Name", (*NAME_ALIASES, *extra))


KINDS: dict[str, ListKind] = {k.id: k for k in (
    ListKind(
        DataKind.MEDICAL.value, "医疗费用", "Medical spending", "医保部门", "Medical insurance",
        household_column="medical_spending", rule_id="large_medical_spending",
        description="医疗费用结算数据, 个人自付部分计入刚性支出 / medical settlements; the out-of-pocket part is "
                    "rigid spending",
        columns=(
            _id("参保人身份证号码", "患者身份证号码", "就诊人身份证号码", "参保人证件号码", "参保人身份证号"),
            _name("参保人姓名", "患者姓名", "就诊人", "参保人"),
            ListColumn(AMOUNT, "个人自付金额(元)", "Out-of-pocket amount (yuan)",
                       ("个人自付金额", "自付金额", "个人负担金额", "个人自付", "自付费用", "个人自付费用", "amount")),
            ListColumn(OCCURRED_ON, "结算日期", "Settled on",
                       ("就诊日期", "出院日期", "费用发生日期", "结算时间", "发生日期", "date"), kind=DATE),
            ListColumn("total", "医疗总费用(元)", "Total cost (yuan)", ("医疗总费用", "总费用", "费用总额")),
            ListColumn("hospital", "医疗机构", "Hospital", ("医院", "就诊医院", "定点医疗机构", "医疗机构名称")),
            ListColumn("diagnosis", "疾病诊断", "Diagnosis", ("诊断", "疾病名称", "病种")),
        ),
    ),
    ListKind(
        DataKind.DISASTER.value, "受灾情况", "Disaster losses", "应急管理部门", "Emergency management",
        household_column="disaster_loss", rule_id="disaster_loss",
        description="受灾家庭及损失 / households hit by a disaster and their losses",
        columns=(
            _id("户主身份证号码", "受灾人身份证号码"),
            _name("户主姓名", "受灾人"),
            ListColumn(AMOUNT, "损失金额(元)", "Loss (yuan)",
                       ("损失金额", "直接经济损失", "经济损失", "直接经济损失(元)", "损失", "amount")),
            ListColumn(OCCURRED_ON, "受灾日期", "Date of the disaster",
                       ("灾害发生日期", "受灾时间", "发生日期", "date"), kind=DATE),
            ListColumn("disaster_type", "灾害类型", "Disaster type", ("灾种", "受灾类型")),
            ListColumn("description", "受灾情况", "Description", ("灾情", "损失情况")),
        ),
    ),
    ListKind(
        DataKind.DEATH.value, "死亡人员", "Deaths", "公安/民政/卫健部门", "Public security / civil affairs / health",
        household_column="main_earner_died", rule_id="main_earner_died",
        description="死亡人员名单(不改登记库, 用于判断主要劳动力死亡) / deaths (the registry is not changed: "
                    "used to find the death of a main earner)",
        columns=(
            _id("死者身份证号码", "死亡人员身份证号码", "死者身份证号"),
            _name("死者姓名", "死亡人员姓名"),
            ListColumn(OCCURRED_ON, "死亡日期", "Date of death", ("死亡时间", "注销日期", "date"), kind=DATE),
            ListColumn("cause", "死亡原因", "Cause of death", ("死因",)),
        ),
    ),
)}
#: Kinds whose rows need an amount.
AMOUNT_KINDS = frozenset({DataKind.MEDICAL.value, DataKind.DISASTER.value})

REJECTION_SCHEMA = {"row_number": pl.Int64, "column": pl.Utf8, "value": pl.Utf8, "reason": pl.Utf8}
RECORD_SCHEMA = {"row_number": pl.Int64, "id_number": pl.Utf8, "name": pl.Utf8, "amount": pl.Float64,
                 "occurred_on": pl.Date, "detail": pl.Utf8}


def get_kind(kind: str) -> ListKind:
    try:
        return KINDS[kind]
    except KeyError:
        raise MonitoringError.on("kind", f"未知的数据类型: {kind!r} / unknown data kind "
                                         f"({', '.join(KINDS)})") from None


# --- the check (Polars) ---------------------------------------------------------------------------


def _amount(col: pl.Expr) -> pl.Expr:
    return col.str.replace_all(r"[,，\s元￥¥]", "").cast(pl.Float64, strict=False)


def check_rows(raw: RawList, kind: ListKind, *, as_of: date, today: date | None = None
               ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(records, rejections)`` of a read file (see the module docstring); one reason per refused row."""
    frame = raw.frame
    header = raw.headers
    amount_header = header.get(AMOUNT, kind.column(AMOUNT).header if AMOUNT in [c.field for c in kind.columns] else "")
    date_header = header.get(OCCURRED_ON, kind.column(OCCURRED_ON).header)
    text_date = pl.col(OCCURRED_ON).str.strip_chars()
    parsed_date = normalise_date(text_date).str.to_date("%Y-%m-%d", strict=False)
    checks = [
        pl.col("_row"),
        pl.when(text_date.is_null() | (text_date == "")).then(pl.lit(as_of)).otherwise(parsed_date).alias("_date"),
        (text_date.is_not_null() & (text_date != "") & parsed_date.is_null()).alias("_bad_date"),
    ]
    if kind.id in AMOUNT_KINDS:
        checks.append(_amount(pl.col(AMOUNT)).alias("_amount"))
    else:
        checks.append(pl.lit(0.0).alias("_amount"))
    parsed = frame.select(checks)
    amount_col = pl.col("_amount")
    missing_amount = pl.col(AMOUNT).is_null() if kind.id in AMOUNT_KINDS else pl.lit(False)
    reason = (
        pl.when(missing_amount).then(pl.lit("请填写金额 / the amount is missing"))
        .when(amount_col.is_null()).then(pl.lit("金额应为数字 / the amount must be a number"))
        .when(amount_col < 0).then(pl.lit("金额不能为负数 / the amount cannot be negative"))
        .when(pl.col("_bad_date")).then(pl.lit("日期无法识别 / unreadable date"))
        .when(pl.col("_date") > pl.lit(as_of)).then(pl.lit(f"日期晚于数据截止日期{as_of} / after the as-of date"))
    )
    column = (pl.when(missing_amount | amount_col.is_null() | (amount_col < 0)).then(pl.lit(amount_header))
              .otherwise(pl.lit(date_header)))
    value = (pl.when(missing_amount | amount_col.is_null() | (amount_col < 0))
             .then(pl.col(AMOUNT) if kind.id in AMOUNT_KINDS else pl.lit(""))
             .otherwise(pl.col(OCCURRED_ON)))
    joined = pl.concat([frame, parsed.drop("_row")], how="horizontal", strict=True).with_columns(reason.alias("_reason"), column.alias("_column"),
                                                                   value.alias("_value"))
    refused = joined.filter(pl.col("_reason").is_not_null()).select(
        pl.col("_row").alias("row_number"), pl.col("_column").alias("column"),
        pl.col("_value").fill_null("").str.slice(0, 200).alias("value"), pl.col("_reason").alias("reason"))
    kept = joined.filter(pl.col("_reason").is_null())
    checked = check_list(dataclasses.replace(raw, frame=kept.select(raw.frame.columns)), kind, today=today)
    values = kept.select(pl.col("_row").alias("row_number"), pl.col("_amount").round(2).alias("amount"),
                         pl.col("_date").alias("occurred_on"))
    records = checked.records.join(values, on="row_number", how="left").select(list(RECORD_SCHEMA)).cast(RECORD_SCHEMA)
    rejections = pl.concat([refused.cast(REJECTION_SCHEMA), checked.rejections.cast(REJECTION_SCHEMA)]
                           ).sort("row_number")
    return records, rejections


# --- the service ----------------------------------------------------------------------------------


def data_dir() -> Path:
    path = Path(settings.DATA_DIR) / "monitoring"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _refuse_duplicate(kind: str, sha: str, region_code: str) -> None:
    same = (MonitoringDataList.objects.filter(kind=kind, file_sha256=sha, region_code=region_code,
                                              status__in=[DataListStatus.LANDED, DataListStatus.LOADED])
            .order_by("pk").first())
    if same is not None:
        raise MonitoringError.on("file", f"该文件已作为第{same.pk}号部门数据导入,不再重复导入 / this file was already "
                                         f"imported as data list #{same.pk}")


def import_data(*, actor: Any, kind: str, region_code: str, as_of: date, file_name: str,
                content: bytes | BinaryIO | None = None, path: Path | None = None, source_department: str = "",
                source: str = "web", today: date | None = None) -> MonitoringDataList:
    """Land, check and load one department data file. Returns the list (``loaded`` or ``failed``);
    raises :class:`MonitoringError` before landing (unknown kind, bad region or date, the same file
    again) and a 404 out of scope."""
    kind_def = get_kind(kind)
    try:
        region_code = normalize_code(region_code)
    except RegionCodeError as exc:
        raise MonitoringError.on("region_code", str(exc)) from exc
    if actor is not None:
        require_in_scope(actor, region_code, roles.RUN_MONITORING)
    today = today or clock.today()
    if not isinstance(as_of, date) or as_of > today:
        raise MonitoringError.on("as_of", "数据截止日期不能晚于今天 / the as-of date cannot be in the future")
    if (content is None) == (path is None):
        raise ValueError("give content or path")
    try:
        landed = landing.land(content if content is not None else Path(str(path)), data_dir(),
                              max_bytes=MAX_FILE_BYTES, prefix="data-landing-")
    except landing.LandingRefused as exc:
        raise MonitoringError.on("file", exc.message) from exc
    sha = landed.sha256
    try:
        _refuse_duplicate(kind, sha, region_code)
        try:
            with transaction.atomic():
                data_list = MonitoringDataList.objects.create(
                    kind=kind, source_department=(source_department.strip() or kind_def.department_zh)[:100],
                    as_of=as_of, region_code=region_code, file_name=Path(file_name).name[:255] or "data",
                    file_sha256=sha, file_size=landed.size, actor=actor if getattr(actor, "pk", None) else None,
                    actor_name=audit.actor_name(actor), source=source)
        except IntegrityError:
            _refuse_duplicate(kind, sha, region_code)
            raise
    except BaseException:
        landed.discard()
        raise
    stored = landed.keep_as(data_dir() / f"data-{data_list.pk:06d}-{sha[:12]}{Path(file_name).suffix.lower()[:10]}")
    MonitoringDataList.objects.filter(pk=data_list.pk).update(stored_path=str(stored))
    _load(data_list.pk, kind_def, stored, as_of=as_of, actor=actor, source=source, today=today)
    return MonitoringDataList.objects.get(pk=data_list.pk)


def _load(list_id: int, kind: ListKind, path: Path, *, as_of: date, actor: Any, source: str, today: date) -> None:
    try:
        raw = read_list(path, kind)
        records, rejections = check_rows(raw, kind, as_of=as_of, today=today)
        if raw.frame.height != records.height + rejections.height:
            raise AssertionError("accounting broken")
        with transaction.atomic():
            data_list = MonitoringDataList.objects.select_for_update().get(pk=list_id)
            copy_frame(MonitoringDataRecord, records.select(
                pl.lit(list_id, pl.Int64).alias("data_list_id"), "row_number", "id_number", "name", "amount",
                "occurred_on", "detail"))
            copy_frame(MonitoringDataRejection, rejections.select(
                pl.lit(list_id, pl.Int64).alias("data_list_id"), "row_number", pl.col("column").str.slice(0, 60),
                pl.col("value").str.slice(0, 200), pl.col("reason").str.slice(0, 300)))
            data_list.status = DataListStatus.LOADED
            data_list.loaded_at = timezone.now()
            data_list.encoding = raw.encoding[:20]
            data_list.headers = raw.headers
            data_list.unknown_headers = raw.unknown_headers
            data_list.source_sheets = list(raw.parts)
            data_list.rows_read = raw.frame.height
            data_list.rows_accepted = records.height
            data_list.rows_rejected = rejections.height
            data_list.save()
            audit.record(actor=actor, action=ChangeAction.CREATE, obj=data_list, household_id=None,
                         region_code=data_list.region_code, source=source,
                         changes=audit.diff({}, audit.field_values(data_list, (
                             "kind", "source_department", "as_of", "file_name", "file_sha256", "rows_read",
                             "rows_accepted", "rows_rejected"))))
    except ListReadError as exc:
        MonitoringDataList.objects.filter(pk=list_id).update(status=DataListStatus.FAILED, error=str(exc)[:2000])
    except Exception as exc:
        log.exception("monitoring data list %s failed to load", list_id)
        MonitoringDataList.objects.filter(pk=list_id).update(status=DataListStatus.FAILED,
                                                             error=f"{type(exc).__name__}: {exc}"[:2000])


__all__ = ["KINDS", "check_rows", "get_kind", "import_data"]
