"""Export the roster (花名册导出) in the import's own columns, xlsx or CSV; or the household roster
(户花名册, :func:`household_roster`: one row per household, its head, size and household columns).

One row per active member of an active household, in :data:`fupin.imports.roster.HEADERS` order:
codes written as their Chinese labels (the import takes labels or codes), other causes joined by
``、``, booleans 是/否, 危房户 否/C/D, 属性版本, 行政区划代码 and the place names, the income lines and
年人均纯收入 as stored. So exporting and importing the same data changes nothing ("0 changed").

Scope: ``user`` ``None`` is the system (every region, full IDs); a user gets only what
:func:`fupin.core.scoping.visible_to` lets them see, with 证件号码 and 银行账号 masked unless their role
may see full numbers (:mod:`fupin.policy.masking`, column work; as the pages and the API show them).
CSV is UTF-8 with a BOM (Excel opens it); a cell Excel or WPS would take for a formula (``=``, ``+``,
``-``, ``@`` first, not a plain number) is written after an apostrophe, which the import drops again
(:mod:`fupin.core.formula_guard`). An xlsx person roster carries the template's drop-downs and
prompts (:mod:`fupin.imports.roster_help`), since it is the file a village corrects and imports again.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import polars as pl
from django.conf import settings
from django.db.models import Q, QuerySet

from fupin.core.bulk import read_frame
from fupin.core.formula_guard import guard
from fupin.core.scoping import visible_to
from fupin.core.xlsx_sheet import MAX_ROWS, PreparedSheet, prepare_parts, sheet_names, write_sheets, write_xlsx
from fupin.imports import roster
from fupin.policy import codes, roles
from fupin.policy.masking import masked_accounts, masked_id_numbers
from fupin.policy.regions import LEVEL_FIELD, level_of, normalize_code
from fupin.regions.models import Region
from fupin.registry.models import Household, Member

from ..roster_filter import YEAR_FIELDS, RosterFilter
from ..roster_help import CHOICES_SHEET, place_choices, roster_choices, roster_helps
from .diff_roster import HOUSEHOLD_COMPARED, MEMBER_COMPARED, canonical
from .registry_frames import villages_frame

FORMATS = ("xlsx", "csv")
#: The two rosters, by kind, with their sheet (and file) name.
KINDS = {"persons": "花名册", "households": "户花名册"}
_BOOL = {"1": "是", "0": "否"}


def _labels(code_list: codes.CodeList) -> dict[str, str]:
    return {item.code: item.zh for item in code_list.items if item.code}


def _as_label(col: str, code_list: codes.CodeList) -> pl.Expr:
    return pl.col(col).replace(_labels(code_list))


def filtered(households: QuerySet[Household], roster_filter: RosterFilter | None) -> QuerySet[Household]:
    """``households`` cut down to those ``roster_filter`` takes (导出筛选; ``None`` or empty: all)."""
    if roster_filter is None or roster_filter.is_empty():
        return households
    if roster_filter.poverty_status:
        households = households.filter(poverty_status__in=roster_filter.poverty_status)
    for name in YEAR_FIELDS:
        years = getattr(roster_filter, name)
        if years is not None:
            households = households.filter(**{f"{name}__gte": years.first, f"{name}__lte": years.last})
    if roster_filter.causes:
        causes = list(roster_filter.causes)
        households = households.filter(Q(main_cause__in=causes) | Q(other_cause_1__in=causes)
                                       | Q(other_cause_2__in=causes))
    if roster_filter.categories:
        either = Q()
        for version, code in roster_filter.categories:
            either |= Q(category_form_version=version, category=code)
        households = households.filter(either)
    if roster_filter.shortfall:
        short = Q()
        for field in roster_filter.shortfall_fields():
            short |= Q(**{field: False})
        households = households.filter(short)
    if roster_filter.dilapidated:
        households = households.filter(dilapidated_grade__in=roster_filter.dilapidated)
    return households


def persons_named(roster_filter: RosterFilter) -> Q:
    """The active members a 人员筛选 names (every part must hold): their coded columns among the codes
    given, their age (周岁 on the filter's day) within its range."""
    named = Q(status="active")
    for field, chosen in roster_filter.person_codes().items():
        named &= Q(**{f"{field}__in": chosen})
    if roster_filter.age is not None:
        after, until = roster_filter.age.birth_dates()
        named &= Q(birth_date__lte=until)
        if after is not None:
            named &= Q(birth_date__gt=after)
    return named


def export_frame(user: Any, region_code: str, roster_filter: RosterFilter | None = None,
                 kind: str = "persons") -> pl.DataFrame:
    """The roster rows of ``region_code`` that ``user`` may see (``None``: the system), of the
    households ``roster_filter`` takes (``None``: every active household). A filter naming members
    (人员筛选) takes the households with at least one of them; for the person roster
    (``kind="persons"``) only those members are written, else every member (the household roster
    counts and heads them all)."""
    region_code = normalize_code(region_code)
    households = filtered(Household.objects.filter(status="active", **{LEVEL_FIELD[level_of(region_code)]: region_code}),
                          roster_filter)
    named = persons_named(roster_filter) if roster_filter is not None and roster_filter.names_persons() else None
    if named is not None:
        households = households.filter(id__in=Member.objects.filter(named).values("household_id"))
    if user is not None:
        households = visible_to(user, households, roles.VIEW_REGISTRY)
    id_sql, id_params = households.values("id").order_by().query.sql_with_params()
    h_cols = ["household_number", "village_code", *HOUSEHOLD_COMPARED, "income_per_capita"]
    h = read_frame(f"SELECT id, {', '.join(h_cols)} FROM {Household._meta.db_table} WHERE id IN ({id_sql})",
                   id_params)
    member_sql, member_params = f"household_id IN ({id_sql})", list(id_params)
    if named is not None and kind == "persons":
        only_sql, only_params = Member.objects.filter(named).values("id").order_by().query.sql_with_params()
        member_sql, member_params = f"{member_sql} AND id IN ({only_sql})", [*member_params, *only_params]
    m = read_frame(
        f"SELECT household_id, sex, relation, birth_date, id, {', '.join(c for c in MEMBER_COMPARED if c != 'relation')} "
        f"FROM {Member._meta.db_table} WHERE status = 'active' AND {member_sql}", member_params)
    h = h.with_columns(*[canonical(pl.col(c), Household, c).alias(c)
                         for c in [*HOUSEHOLD_COMPARED, "income_per_capita", "village_code"]])
    m = m.with_columns(*[canonical(pl.col(c), Member, c).alias(c) for c in MEMBER_COMPARED],
                       pl.col("id").cast(pl.Int64), pl.col("household_id").cast(pl.Int64))
    h = h.with_columns(pl.col("id").cast(pl.Int64))
    rows = (m.join(h.rename({"id": "household_id"}), on="household_id", how="inner")
            .sort(["village_code", "household_number", "relation", "birth_date", "id"]))
    if user is not None and not user.may_see_full_id:
        rows = rows.with_columns(masked_id_numbers(pl.col("id_number")).alias("id_number"),
                                 masked_accounts(pl.col("bank_account")).alias("bank_account"))
    return _to_roster(rows)


def _place_names(village_codes: list[str]) -> dict[str, str]:
    wanted: set[str] = set()
    for code in village_codes:
        wanted |= {code[:4] + "0" * 8, code[:6] + "0" * 6, code[:9] + "000", code}
    return dict(Region.objects.filter(code__in=wanted).values_list("code", "name"))


def _to_roster(rows: pl.DataFrame) -> pl.DataFrame:
    names = _place_names(rows["village_code"].unique().to_list() if rows.height else [])
    village = pl.col("village_code")
    out: dict[str, pl.Expr] = {
        "city_name": (village.str.slice(0, 4) + pl.lit("0" * 8)).replace_strict(names, default=""),
        "county_name": (village.str.slice(0, 6) + pl.lit("0" * 6)).replace_strict(names, default=""),
        "township_name": (village.str.slice(0, 9) + pl.lit("000")).replace_strict(names, default=""),
        "village_name": village.replace_strict(names, default=""),
        "village_code": village,
        "other_causes": pl.concat_str([_as_label("other_cause_1", codes.POVERTY_CAUSE),
                                       _as_label("other_cause_2", codes.POVERTY_CAUSE)], separator="、")
        .str.strip_chars("、"),
        "category": (pl.col("category_form_version") + ":" + pl.col("category")).replace_strict(
            {f"{v}:{c}": label for v, cl in codes.HOUSEHOLD_CATEGORY_BY_VERSION.items()
             for c, label in _labels(cl).items()}, default=pl.col("category")),
        "dilapidated_grade": pl.when(pl.col("dilapidated_grade") == "").then(pl.lit("否"))
        .otherwise(pl.col("dilapidated_grade")),
        "income_per_capita_check": pl.col("income_per_capita"),
        "sex_check": _as_label("sex", codes.SEX),
    }
    exprs = []
    for column in roster.COLUMNS:
        if column.field in out:
            expr = out[column.field]
        elif column.kind == "bool":
            expr = pl.col(column.field).replace_strict(_BOOL, default="")
        elif column.kind.startswith("code:"):
            expr = _as_label(column.field, codes.ALL_LISTS[column.kind.split(":", 1)[1]])
        else:
            expr = pl.col(column.field)
        exprs.append(expr.cast(pl.Utf8).fill_null("").alias(column.header))
    return rows.select(exprs)


def household_roster(persons: pl.DataFrame) -> pl.DataFrame:
    """户花名册 from the person rows of :func:`export_frame` (a household's rows together, its head's
    first): one row per household, the head's 姓名 and 证件号码 (masked as they are there) as
    户主姓名 and 户主证件号码, and 家庭人口 = its rows (its active members)."""
    hh = roster.BY_FIELD["household_number"].header
    first = (persons.with_columns(pl.len().over(hh).cast(pl.Utf8).alias(roster.SIZE_HEADER))
             .unique(subset=hh, keep="first", maintain_order=True))
    renamed = first.rename({roster.BY_FIELD["name"].header: roster.HEAD_NAME_HEADER,
                            roster.BY_FIELD["id_number"].header: roster.HEAD_ID_HEADER})
    return renamed.select(roster.HOUSEHOLD_ROSTER_HEADERS)


def write_roster(user_or_none: Any, region_code: str, fmt: str, out: IO[bytes], kind: str = "persons",
                 roster_filter: RosterFilter | None = None, split: str = "") -> int:
    """Write the roster of ``region_code`` as xlsx or CSV to the binary file ``out`` (see the module
    docstring): the person roster (``kind="persons"``, one row per person, the import's columns) or
    the household roster (``"households"``, one row per household: :func:`household_roster`). xlsx by
    :mod:`fupin.core.xlsx_sheet` (column work; measured at 95,983 persons: 2.5–3.4 s for the file
    against 67–70 s through ``write_excel``); more rows than a worksheet holds raise
    :class:`fupin.core.xlsx_sheet.TooManyRows` before anything is written (use CSV). Returns the rows
    written (persons or households, the header not counted). ``roster_filter``: only the households it
    takes (导出筛选), and of the person roster only the members it names (人员筛选). ``split`` (:data:`SPLITS`): a ZIP archive of one file per township or village
    instead (:func:`write_parts`). Callers other than tests go through
    :func:`fupin.imports.exports.export_roster_to`, which records the export."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {tuple(KINDS)}")
    if split and split not in SPLITS:
        raise ValueError(f"split must be one of {tuple(SPLITS)}")
    if split == SHEETS and fmt != "xlsx":
        raise SplitFormatError()
    frame = export_frame(user_or_none, region_code, roster_filter, kind)
    if kind == "households":
        frame = household_roster(frame)
    # a person roster in xlsx is filled in and imported again: drop-downs of its places (roster_help)
    villages = villages_frame(None, region_code) if fmt == "xlsx" and kind == "persons" else None
    if split == SHEETS:
        return write_village_sheets(frame, out, kind, villages)
    if split:
        return write_parts(frame, out, fmt, kind, split, villages)
    _write_one(frame, out, fmt, kind, villages)
    return frame.height


def _write_one(frame: pl.DataFrame, out: IO[bytes], fmt: str, kind: str, villages: pl.DataFrame | None,
               prepared: PreparedSheet | None = None) -> None:
    """One roster file: xlsx (with the template's help when ``villages`` is given: the places it lists;
    ``prepared``: its rows made beforehand, :func:`write_parts`) or CSV with a BOM and no cell a
    spreadsheet would take for a formula (the import drops the ')."""
    if fmt == "xlsx":
        if villages is not None:
            places = place_choices(villages)
            write_xlsx(frame, out, sheet=KINDS[kind], helps=roster_helps(frame.columns, places=places),
                       choices=roster_choices(frame.columns, places=places), choices_sheet=CHOICES_SHEET,
                       prepared=prepared)
        else:
            write_xlsx(frame, out, sheet=KINDS[kind], prepared=prepared)
        return
    out.write("\ufeff".encode())
    guard(frame).write_csv(out)


#: 分乡镇/分村导出: how an export may be split, one file per place in a ZIP — (the place's label, its code
#: digits); and 分村分表 (:data:`SHEETS`): one xlsx workbook, one sheet per 行政村.
SPLITS: dict[str, tuple[str, int]] = {"township": ("乡镇", 9), "village": ("行政村", 12), "sheets": ("行政村", 12)}
#: 分村分表: one workbook, one sheet per 行政村 named after it (:func:`write_village_sheets`).
SHEETS = "sheets"


class SplitFormatError(ValueError):
    """分村分表 asked for in CSV, which has no sheets."""

    def __init__(self) -> None:
        super().__init__("分村分表只能导出为 Excel (.xlsx) / one sheet per village needs the xlsx format")


def is_archive(split: str) -> bool:
    """Whether an export split so is a ZIP of files (分乡镇/分村导出), not one file."""
    return bool(split) and split != SHEETS
_UNSAFE_IN_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


#: Rows whose parts' sheets are made together (:func:`_parts_prepared`): few enough that their XML
#: stays small in memory, enough that Polars' per-call work is shared by many small parts.
PREPARE_ROWS = 20_000


def _parts_prepared(keyed: pl.DataFrame, fmt: str) -> Iterator[tuple[pl.DataFrame, PreparedSheet | None]]:
    """``(part, its sheet made beforehand)`` for each part of ``keyed`` (column ``_part``), in order. For
    xlsx, the sheets of consecutive parts are made together, about :data:`PREPARE_ROWS` rows at a time
    (:func:`fupin.core.xlsx_sheet.prepare_parts`; measured, 1,745 village files of 96k persons: 40 s made
    one by one); a part larger than a sheet is left to :func:`write_xlsx`, which refuses it."""
    if keyed.height == 0:
        return
    parts = keyed.partition_by("_part", maintain_order=True)
    if fmt != "xlsx":
        yield from ((part, None) for part in parts)
        return
    group: list[pl.DataFrame] = []

    def flush() -> Iterator[tuple[pl.DataFrame, PreparedSheet | None]]:
        together = pl.concat(group)
        made = prepare_parts(together.drop("_part"), together.get_column("_part"))
        for part in group:
            yield part, made[part.get_column("_part")[0]]
        group.clear()

    for part in parts:
        if part.height >= MAX_ROWS:
            if group:
                yield from flush()
            yield part, None
            continue
        group.append(part)
        if sum(p.height for p in group) >= PREPARE_ROWS:
            yield from flush()
    if group:
        yield from flush()


def write_parts(frame: pl.DataFrame, out: IO[bytes], fmt: str, kind: str, split: str,
                villages: pl.DataFrame | None) -> int:
    """A ZIP archive to ``out`` of one roster file per township or village of ``frame`` (rows in code
    order, as :func:`export_frame` gives them), each named ``花名册-<code>-<name>.<fmt>``, in code order;
    a place with no row gets no file. Each xlsx person roster offers its own place's 乡镇 and 行政村 as
    drop-downs. The county sends each township or village its own part to check (入户核实) and imports
    the corrected parts again. Entries are stored (an xlsx is compressed already) or deflated (CSV);
    names are UTF-8 (the ZIP's language flag), as WPS, 7-Zip, Bandizip and Windows 10 read them. Returns
    the rows written in all; a part past a worksheet raises :class:`~fupin.core.xlsx_sheet.TooManyRows`."""
    _label, digits = SPLITS[split]
    code_col = roster.BY_FIELD["village_code"].header
    name_col = roster.BY_FIELD["township_name" if split == "township" else "village_name"].header
    keyed = frame.with_columns(pl.col(code_col).str.slice(0, digits).alias("_part"))
    compression = zipfile.ZIP_STORED if fmt == "xlsx" else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(out, "w", compression=compression) as archive:
        for part, prepared in _parts_prepared(keyed, fmt):
            prefix = part.get_column("_part")[0]
            place = _UNSAFE_IN_NAME.sub("_", part.get_column(name_col)[0] or "")
            part = part.drop("_part")
            buffer = io.BytesIO()
            own = villages.filter(pl.col("code").str.starts_with(prefix)) if villages is not None else None
            _write_one(part, buffer, fmt, kind, own, prepared)
            code = prefix.ljust(12, "0")
            archive.writestr(f"{KINDS[kind]}-{code}{'-' + place if place else ''}.{fmt}", buffer.getvalue())
    return frame.height


def write_village_sheets(frame: pl.DataFrame, out: IO[bytes], kind: str, villages: pl.DataFrame | None) -> int:
    """分村分表: one xlsx workbook to ``out`` with one sheet per 行政村 of ``frame`` (rows in code order, as
    :func:`export_frame` gives them), each named after its village (:func:`fupin.core.xlsx_sheet.sheet_names`:
    a name two villages share gets `` (2)``), with the roster's header, in code order; a village with no
    row gets no sheet (an export with no row: one empty sheet named after the roster). The person roster's
    sheets offer the region's 乡镇 and 行政村 as drop-downs, one hidden list for all. A township's clerk
    keeps the villages so; the import reads every roster sheet of such a workbook back, each sheet a part
    of the batch (:func:`.read_roster.roster_sheets`). No sheet holds more than a worksheet's rows, but the
    workbook may: a county too large for one sheet can be exported so. Returns the rows written."""
    code_col = roster.BY_FIELD["village_code"].header
    name_col = roster.BY_FIELD["village_name"].header
    keyed = frame.with_columns(pl.col(code_col).str.slice(0, 12).alias("_part"))
    firsts = keyed.group_by("_part", maintain_order=True).agg(pl.col(name_col).first())
    names = sheet_names([name or code for code, name in firsts.iter_rows()])
    sheets: Iterator[tuple[pl.DataFrame, PreparedSheet | None]] = (
        (part.drop("_part"), prepared) for part, prepared in _parts_prepared(keyed, "xlsx"))
    if not names:
        names, sheets = [KINDS[kind]], iter([(frame, None)])
    helps: dict[str, Any] = {}
    if villages is not None:
        places = place_choices(villages)
        helps = {"helps": roster_helps(frame.columns, places=places),
                 "choices": roster_choices(frame.columns, places=places), "choices_sheet": CHOICES_SHEET}
    write_sheets(out, names, sheets, **helps)
    return frame.height


def export_roster(user_or_none: Any, region_code: str, fmt: str, kind: str = "persons",
                  roster_filter: RosterFilter | None = None, split: str = "") -> bytes:
    """:func:`write_roster` into memory."""
    buffer = io.BytesIO()
    write_roster(user_or_none, region_code, fmt, buffer, kind, roster_filter, split)
    return buffer.getvalue()


def spool_dir() -> Path:
    """Where exports are spooled: ``DATA_DIR/exports`` (unnamed temporary files, gone when closed)."""
    folder = Path(settings.DATA_DIR) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def file_name(region_code: str, fmt: str, kind: str = "persons", roster_filter: RosterFilter | None = None,
              split: str = "") -> str:
    """``花名册-350421000000.xlsx`` / ``户花名册-350421000000.csv``; filtered (导出筛选):
    ``花名册-350421000000-状态0+3-识别2014-2016.xlsx``; split (:data:`SPLITS`):
    ``花名册-350421000000-按行政村-xlsx.zip``."""
    suffix = roster_filter.file_suffix() if roster_filter is not None else ""
    if split == SHEETS:
        return f"{KINDS[kind]}-{region_code}{suffix}-分村分表.{fmt}"
    if split:
        return f"{KINDS[kind]}-{region_code}{suffix}-按{SPLITS[split][0]}-{fmt}.zip"
    return f"{KINDS[kind]}-{region_code}{suffix}.{fmt}"


def archive_format(fmt: str, split: str) -> str:
    """The export record's format: ``xlsx``/``csv``, or ``xlsx.zip``/``csv.zip`` for an export split into
    files (分村分表 is one xlsx)."""
    return f"{fmt}.zip" if is_archive(split) else fmt
