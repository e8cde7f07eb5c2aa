"""Read a department list (部门名单) file into a frame of strings, one column per field of its kind.

Extract stage of a department list import. It reads files the way the roster import does and reuses
its helpers (:func:`fupin.imports.pipelines.read_roster.normalise_header`, ``decode_csv``,
``xlsx_first_row``); the header detection is its own because the roster's is bound to the roster's
column set. Decisions:

- **Formats**, told apart by the first bytes, not the name (:mod:`fupin.imports.pipelines.file_kind`).
  xlsx and xls through fastexcel, every cell as a string (the visible sheets whose first 30 rows
  hold a header: one is read as it is, several together — a sheet per township — each row carried
  by its sheet; an xls's row numbers from its own records); text files are CSV, UTF-8 with or without BOM,
  else GB18030 (a superset of GBK and GB2312), judged on the first 64 KiB, split by commas or — as
  Excel and WPS save "文本文件(制表符分隔)" — by tabs, whichever makes the header name more columns
  (:func:`fupin.imports.pipelines.read_roster.split_by_delimiter`). Other files are refused saying
  what they are.
- **Header row.** The first :data:`HEADER_SCAN_ROWS` rows are scanned; a cell is normalised (NFKC,
  no whitespace, lower case, no ``*``) and looked up among the spellings of the kind's columns
  (:mod:`fupin.policy.department_lists`), also without a trailing ``(…)``. The header is the row
  naming the ID number column with the most known columns (the first on a tie). Rows above it
  (titles) are ignored; a file without an ID number column is refused as a whole.
- **Data rows.** A row is data when a known column has a value and it is not a note row (a single
  filled cell starting with 注/备注/说明/填表/制表/审核/合计/小计 or containing a colon). Empty rows,
  rows with values only in unknown columns (a pre-numbered 序号) and note rows are not counted.
- **Row numbers.** ``_row`` is the row number as the spreadsheet or an editor shows it (1-based,
  title rows included).
- **IDs stored as numbers.** In xlsx the ID column is read a second time as ``boolean``: number cells
  come back as values, text cells as null, so ``_id_numeric`` marks each ID whose digits a spreadsheet
  already lost (refused, never repaired).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

import fastexcel
import polars as pl

from fupin.imports.pipelines import ods_rows, xls_rows, zip_rosters
from fupin.imports.pipelines.file_kind import ODS_ROWS_UNKNOWN, XLS_ROWS_UNKNOWN, read_by_kind
from fupin.imports.pipelines.read_roster import (
    csv_source,
    decode_csv,
    id_number_cells,
    load_csv_grid,
    normalise_header,
    split_by_delimiter,
    xls_first_row,
    xlsx_first_row,
)
from fupin.policy.department_lists import ListColumn

HEADER_SCAN_ROWS = 30
_NOTE = r"^(注|备注|说明|填表|制表|审核|合计|小计)|[:：]"


class ColumnSet(Protocol):
    """What the reader needs of a list: its columns — a department list's kind
    (:class:`~fupin.policy.department_lists.ListKind`) or another sheet's (the 减员原因表,
    :data:`fupin.imports.pipelines.leave_sheet.LEAVE_SHEET`). Hashable (the header index is cached)."""

    @property
    def columns(self) -> tuple[ListColumn, ...]: ...


class ListReadError(ValueError):
    """The file cannot be read as a list of its kind (undecodable, no ID number column …)."""


@dataclass(frozen=True)
class RawList:
    """The data rows as strings: ``_row``, ``_id_numeric`` and one Utf8 column per field of the kind
    (absent columns are null)."""

    frame: pl.DataFrame
    encoding: str
    header_row: int
    headers: dict[str, str]  # field -> header as written in the file
    unknown_headers: list[str]
    #: A workbook's list sheets read together: their names, in order; rows carried by sheet.
    parts: tuple[str, ...] = ()


@cache
def header_index(kind: ColumnSet) -> dict[str, str]:
    """Normalised header spelling → field, for one kind."""
    index: dict[str, str] = {}
    for column in kind.columns:
        for spelling in column.spellings:
            index.setdefault(normalise_header(spelling), column.field)
    return index


def field_of(kind: ColumnSet, cell: object) -> str | None:
    """The field a header cell names in a list of ``kind``, or None."""
    key = normalise_header(cell)
    if not key:
        return None
    index = header_index(kind)
    if key in index:
        return index[key]
    return index.get(re.sub(r"\([^()]*\)$", "", key))


def _find_header(kind: ColumnSet, rows: list[list[str | None]]) -> int:
    """0-based index of the header row (see the module docstring)."""
    best, best_score = -1, 0
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        fields = {field_of(kind, cell) for cell in row} - {None}
        if "id_number" in fields and len(fields) > best_score:
            best, best_score = i, len(fields)
    if best < 0:
        raise ListReadError("找不到表头:前30行中没有证件号码(身份证号码)列 / no header with an ID number column "
                            "in the first 30 rows")
    return best


def _map_columns(kind: ColumnSet, header: list[str | None]) -> tuple[dict[int, str], dict[str, str], list[str]]:
    by_index: dict[int, str] = {}
    headers: dict[str, str] = {}
    unknown: list[str] = []
    for i, cell in enumerate(header):
        text = "" if cell is None else str(cell).strip()
        if not text:
            continue
        field = field_of(kind, text)
        if field is None or field in headers:
            unknown.append(text)
            continue
        by_index[i] = field
        headers[field] = text
    return by_index, headers, unknown


def _build(kind: ColumnSet, body: pl.DataFrame, *, first_data_row: int, header_row: int,
           header: list[str | None], id_numeric: pl.Series | None, encoding: str) -> RawList:
    """``body``: the rows below the header, positional columns; ``first_data_row``: its first row's number."""
    by_index, headers, unknown = _map_columns(kind, header)
    names = body.columns
    numeric = (id_numeric if id_numeric is not None
               else pl.repeat(False, body.height, dtype=pl.Boolean, eager=True))
    cells = [pl.col(n).cast(pl.Utf8).str.strip_chars() for n in names]
    cleaned = [pl.when(c != "").then(c).alias(n) for c, n in zip(cells, names, strict=True)]
    grid = body.select(cleaned) if names else body
    known = [names[i] for i in by_index if i < len(names)]
    filled = pl.sum_horizontal([pl.col(n).is_not_null().cast(pl.Int32) for n in names]) if names else pl.lit(0)
    has_value = pl.any_horizontal([pl.col(n).is_not_null() for n in known]) if known else pl.lit(False)
    first = pl.coalesce([pl.col(n) for n in names]) if names else pl.lit(None, pl.Utf8)
    note = (filled == 1) & first.str.contains(_NOTE).fill_null(False)
    frame = grid.with_columns(
        pl.int_range(first_data_row, first_data_row + pl.len(), dtype=pl.Int64).alias("_row"),
        numeric.alias("_id_numeric"),
    ).filter(has_value & ~note)
    out = frame.select(
        "_row", "_id_numeric",
        *[pl.col(names[i]).alias(field) for i, field in by_index.items() if i < len(names)],
    )
    missing = [c.field for c in kind.columns if c.field not in out.columns]
    out = out.with_columns([pl.lit(None, dtype=pl.Utf8).alias(f) for f in missing])
    return RawList(frame=out.select("_row", "_id_numeric", *[c.field for c in kind.columns]), encoding=encoding,
                   header_row=header_row, headers=headers, unknown_headers=unknown)


# xlsx ------------------------------------------------------------------------------------------

def read_xlsx(path: Path, kind: ColumnSet, *, file_type: str = "xlsx") -> RawList:
    """Read a workbook (``file_type`` xlsx, xls or ods): its visible sheets with a list header
    (:func:`_list_sheets`). One is read as it is. Several (a sheet per township) are read one after the
    other, the ``k``-th sheet's rows carried as ``k × 1,000,000 + row`` and the sheets named in
    ``parts``, as a roster's sheets are (:mod:`fupin.imports.pipelines.zip_rosters`); the caller names
    each row by its sheet (:func:`~fupin.imports.pipelines.zip_rosters.row_label`). An .ods is given to
    fastexcel as bytes (it tells the format from them, not from the file's name)."""
    reader = fastexcel.read_excel(Path(path).read_bytes() if file_type == "ods" else path)
    found = _list_sheets(reader, kind)
    if len(found) == 1:
        return _sheet_list(reader, Path(path), kind, file_type, *found[0])
    names = [reader.sheet_names[index] for index, _grid, _at in found]
    lists = [_sheet_list(reader, Path(path), kind, file_type, *sheet) for sheet in found]
    for name, one in zip(names, lists, strict=True):
        if one.frame.height and int(one.frame.get_column("_row").max() or 0) >= zip_rosters.ROW_STRIDE:
            raise ListReadError(f"{name}: 多个工作表一起导入时,每个不能超过{zip_rosters.ROW_STRIDE - 1}行 / a sheet "
                                f"imported with others may have at most {zip_rosters.ROW_STRIDE - 1} rows")
    headers: dict[str, str] = {}
    unknown: list[str] = []
    for one in lists:
        headers = {**one.headers, **headers}
        unknown += [h for h in one.unknown_headers if h not in unknown]
    frame = pl.concat([zip_rosters.carried_rows(one.frame, k) for k, one in enumerate(lists, start=1)])
    return RawList(frame=frame, encoding=file_type, header_row=lists[0].header_row, headers=headers,
                   unknown_headers=unknown, parts=tuple(names))


def _sheet_list(reader: fastexcel.ExcelReader, path: Path, kind: ColumnSet, file_type: str, index: int,
                grid: pl.DataFrame, header_index_: int) -> RawList:
    """One sheet (its grid, its header at ``header_index_``) as a list: rows numbered as the sheet
    shows them, ID numbers stored as numbers marked."""
    header = [None if v is None else str(v) for v in grid.row(header_index_)]
    id_col = next(i for i, h in enumerate(header) if field_of(kind, h) == "id_number")
    id_numeric: pl.Series | None = id_number_cells(reader, index, grid.columns[id_col])
    if id_numeric is not None and id_numeric.len() != grid.height:  # ranges differ: no numeric cells known
        id_numeric = None
    if file_type == "xls":
        first_row = xls_first_row(xls_rows.used_rows(path, reader.sheet_names[index]), grid.height)
        if first_row is None:
            raise ListReadError(XLS_ROWS_UNKNOWN)
        first = first_row
    elif file_type == "ods":
        first_row = ods_rows.first_row(path, reader.sheet_names[index])
        if first_row is None:
            raise ListReadError(ODS_ROWS_UNKNOWN)
        first = first_row
    else:
        first = xlsx_first_row(path, index)
    start = header_index_ + 1
    return _build(kind, grid.slice(start), first_data_row=first + start, header_row=first + header_index_,
                  header=header, id_numeric=None if id_numeric is None else id_numeric.slice(start),
                  encoding=file_type)


def _list_sheets(reader: fastexcel.ExcelReader, kind: ColumnSet) -> list[tuple[int, pl.DataFrame, int]]:
    """(index, grid, 0-based header row) of the workbook's list sheets: of the visible sheets (every
    sheet, if none is), those whose first rows hold a header (:func:`_find_header`). Hidden sheets (a
    code table, a copy put away) are not read. None at all: the first sheet's reason."""
    sheets = [reader.load_sheet(i, header_row=None, dtypes="string") for i in range(len(reader.sheet_names))]
    shown = [i for i, sheet in enumerate(sheets) if sheet.visible == "visible"] or list(range(len(sheets)))
    found: list[tuple[int, pl.DataFrame, int]] = []
    error: ListReadError | None = None
    for index in shown:
        grid = sheets[index].to_polars()
        try:
            found.append((index, grid, _find_header(kind, [list(r) for r in grid.head(HEADER_SCAN_ROWS).iter_rows()])))
        except ListReadError as exc:
            error = error or exc
    if not found:
        raise error or ListReadError("工作簿中没有工作表 / the workbook has no sheet")
    return found


# CSV -------------------------------------------------------------------------------------------

def read_csv(path: Path, kind: ColumnSet) -> RawList:
    source, start = csv_source(path)
    if not start.strip():
        raise ListReadError("文件为空 / the file is empty")
    encoding, head = decode_csv(start)

    def find(rows: list[list[str | None]]) -> tuple[tuple[int, list[str | None]], int]:
        at = _find_header(kind, rows)
        return (at, list(rows[at])), len({field_of(kind, cell) for cell in rows[at]} - {None})

    delimiter, (header_at, header) = split_by_delimiter(head, find)
    grid, encoding = load_csv_grid(source, encoding, skip_rows=header_at + 1, width=max(len(header), 1),
                                   error=ListReadError, delimiter=delimiter)
    return _build(kind, grid, first_data_row=header_at + 2, header_row=header_at + 1, header=header,
                  id_numeric=None, encoding=encoding)


def read_list(path: Path, kind: ColumnSet) -> RawList:
    """Read ``path`` (xlsx, xls, ods or CSV, told apart by content: :func:`fupin.imports.pipelines.file_kind.file_kind`)
    as a list of ``kind``; a file that cannot be read raises :class:`ListReadError` saying why. A
    workbook's several list sheets are read as parts (:func:`read_xlsx`)."""
    return read_by_kind(Path(path), workbook=lambda p, file_type: read_xlsx(p, kind, file_type=file_type),
                        text=lambda p: read_csv(p, kind), error=ListReadError)
