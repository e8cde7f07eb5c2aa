"""Read a roster file (花名册) into a frame of strings, one column per roster field.

Extract stage of the roster import (issue 3). Decisions, in the order a file meets them:

- **Formats**, told apart by the first bytes, not the name (:mod:`.file_kind`). xlsx and xls (Excel
  97–2003) through fastexcel (its roster sheets, :func:`roster_sheets`: several are read as parts, as
  a ZIP's files are), read as strings; an
  xls's row numbers come from its own records (:mod:`.xls_rows`). Text files are CSV, decoded as UTF-8
  with BOM (``utf-8-sig``), UTF-8, then GB18030 (a superset of GBK and GB2312), always all columns as
  strings; lines may end in CRLF, LF or CR alone; fields are split by commas, or by tabs when so the
  header names more roster columns (Excel's and WPS's "文本文件(制表符分隔)"). The encoding is judged on the first 64 KiB (GBK text
  is practically never valid UTF-8); a UTF-8 file is handed to the Polars reader as it is (which
  checks the rest and falls back to GB18030 if it fails). Other files are refused saying what they are.
- **Header row.** The first :data:`HEADER_SCAN_ROWS` rows are scanned; each cell is normalised
  (:func:`normalise_header`: NFKC so full-width letters, digits and （）become ASCII, all whitespace
  removed incl. the ideographic space and line breaks, lower case, a leading/trailing ``*`` dropped)
  and looked up among the headers and aliases of :data:`fupin.imports.roster.COLUMNS`. The header is
  the row with the most matches (the first on a tie; at least :data:`MIN_HEADER_MATCHES`). Rows above
  it (titles, notes) are ignored.
- **Two-row (merged) headers.** When the row below (or above) the best row also matches at least two
  headers, the two rows form the header, column by column, the lower (sub-)header winning when it is
  a known header: "收入情况" merged over 工资性收入 | 生产经营性收入 … works, and so does 姓名 merged
  down over two rows. ``header_row`` is then the upper of the two rows.
- **Data rows.** A row is data when it has a 姓名, 证件号码 or 户编号 value and is not a note row (a
  row with a single non-empty cell that contains a colon or starts with 注/备注/说明/填表/制表/审核/
  合计/小计 — "填表人: 张三" under the table). Empty rows, trailing rows and note rows are dropped
  and not counted.
- **Row numbers.** ``_row`` is the 1-based row number as the spreadsheet or a text editor shows it
  (title rows and header included). In xlsx the leading empty rows that the reader skips are added
  back from the sheet XML. CSV row numbers count lines (a quoted cell with a line break would shift
  them — rosters do not have those).
- **Merged data cells** (xlsx, xls, ods): a range merged down the data rows is filled with its top
  cell's value, as the sheet shows it (:func:`filled_merges`; printed rosters merge the household
  columns). The ranges come from the sheet XML's ``<mergeCells>`` (xlsx), the ``MERGEDCELLS`` records
  (xls, :mod:`.xls_rows`) or the cells' ``number-rows-spanned`` (ods, :mod:`.ods_rows`).
- **IDs stored as numbers.** In xlsx the cell type of every 证件号码 cell is read from the sheet XML
  (streamed; a cell without ``t`` or with ``t="n"`` holds a number), so ``_id_numeric`` marks every
  number cell (its digits are already lost; never repaired). Measured on 100k rows: 1.7 s, against
  4.5 s for loading the column a second time through fastexcel with dtype ``boolean`` (which parses
  the whole sheet again) — still the fallback when the XML has no cell references. For CSV the
  pattern check (``E+``, ``.0``) is made in :mod:`.normalise_roster`.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import re
import tempfile
import unicodedata
import zipfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TypeVar
from xml.etree import ElementTree

import fastexcel
import polars as pl

from fupin.core.formula_guard import unguard
from fupin.core.xlsx_sheet import column_letters
from fupin.imports import roster

from . import ods_rows, xls_rows, zip_rosters
from .file_kind import ODS_ROWS_UNKNOWN, XLS_ROWS_UNKNOWN, read_by_kind

HEADER_SCAN_ROWS = 30
T = TypeVar("T")
#: A ZIP's files parsed at once (:func:`_parsed_files`). Measured, 1,745 village files of 100k persons
#: on two cores, read only, one thread / two, alternating: xlsx 10.74 / 8.55 and 9.59 / 8.15 s, CSV
#: 4.47 / 3.21 and 3.75 / 3.75 s.
ZIP_PARSE_THREADS = 2
#: An xlsx smaller than this is read without the helper thread that scans its XML for ID numbers
#: stored as numbers while fastexcel parses it (:func:`parse_xlsx`): for a village's file of a few
#: hundred rows, starting the thread took longer than the scan.
SMALL_XLSX_BYTES = 1 << 20
MIN_HEADER_MATCHES = 3
CSV_ENCODINGS = ("utf-8-sig", "utf-8", "gb18030")
#: A text file's delimiters, tried in order (:func:`split_by_delimiter`): a comma, or a tab.
CSV_DELIMITERS = (",", "\t")
DATA_FIELDS = ("name", "id_number", "household_number")
_NOTE_START = ("注", "备注", "说明", "填表", "制表", "审核", "合计", "小计")


class RosterReadError(ValueError):
    """The file cannot be read as a roster (no header found, undecodable, empty)."""


@dataclass(frozen=True)
class RawRoster:
    """The file's data rows as strings: ``_row``, ``_id_numeric`` and one Utf8 column per field found."""

    frame: pl.DataFrame
    encoding: str
    header_row: int
    unknown_headers: list[str]
    headers: dict[str, str]  # field -> header as written in the file
    #: A ZIP of rosters (:mod:`.zip_rosters`): its files' names, in order; rows carried by file.
    parts: tuple[str, ...] = ()
    #: Data rows hidden in the sheet (a filter, 隐藏行): read and checked like the others; the review says so.
    hidden_rows: int = 0


@dataclass(frozen=True)
class ParsedSheet:
    """A file split at its header, before its columns are mapped (:func:`_build`): the rows below the
    header as text columns, the file row of the first of them, the header row and cells, which rows
    hold an ID number stored as a number (None: none known) and the encoding. A ZIP's files with the
    same header are built together (:func:`read_zip`)."""

    body: pl.DataFrame
    first_data_row: int
    header_row: int
    header: list[str | None]
    id_numeric: pl.Series | None
    encoding: str
    #: The file rows hidden in the sheet (xlsx ``<row hidden="1">``, an xls row's hidden flag).
    hidden: frozenset[int] = frozenset()


def normalise_header(text: object) -> str:
    """Header cell → lookup key (full-width → ASCII, no whitespace, lower case, no ``*``)."""
    if text is None:
        return ""
    value = unicodedata.normalize("NFKC", str(text))
    value = re.sub(r"\s+", "", value).lower()
    return value.strip("*★")


def _header_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for column in roster.COLUMNS:
        for spelling in (column.header, *column.aliases):
            index.setdefault(normalise_header(spelling), column.field)
    return index


HEADER_INDEX = _header_index()


@functools.lru_cache(maxsize=1 << 16)
def field_of(header: object) -> str | None:
    """The roster field a header cell names, or None (also tries without a trailing "(单位)").
    Remembered: the header search asks it of every cell of a file's first rows, and a ZIP of village
    files has the same headers in every file (measured, 1,745 files: 13 s of the read without it)."""
    key = normalise_header(header)
    if not key:
        return None
    if key in HEADER_INDEX:
        return HEADER_INDEX[key]
    bare = re.sub(r"\([^()]*\)$", "", key)
    return HEADER_INDEX.get(bare)


def _score(row: list[str | None]) -> int:
    return sum(1 for cell in row if field_of(cell) is not None)


def _find_header(rows: list[list[str | None]]) -> tuple[int, list[str | None], int]:
    """(0-based index of the first header row, the combined header cells, number of header rows)."""
    scores = [_score(r) for r in rows[:HEADER_SCAN_ROWS]]
    if not scores or max(scores) < MIN_HEADER_MATCHES:
        raise RosterReadError("找不到表头(前30行中没有花名册列名) / no roster header found in the first 30 rows")
    best = scores.index(max(scores))
    if best + 1 < len(scores) and scores[best + 1] >= 2:
        top, sub = best, best + 1
    elif best > 0 and scores[best - 1] >= 2:
        top, sub = best - 1, best
    else:
        return best, list(rows[best]), 1
    width = max(len(rows[top]), len(rows[sub]))
    upper = list(rows[top]) + [None] * (width - len(rows[top]))
    lower = list(rows[sub]) + [None] * (width - len(rows[sub]))
    combined: list[str | None] = []
    for up, low in zip(upper, lower, strict=True):
        if field_of(low) is not None or (low not in (None, "") and field_of(up) is None):
            combined.append(low)
        else:
            combined.append(up)
    return top, combined, 2


def _map_columns(header: list[str | None]) -> tuple[dict[int, str], dict[str, str], list[str]]:
    by_index: dict[int, str] = {}
    headers: dict[str, str] = {}
    unknown: list[str] = []
    for i, cell in enumerate(header):
        text = "" if cell is None else str(cell).strip()
        if not text:
            continue
        field = field_of(text)
        if field is None or field in headers:
            unknown.append(text)
            continue
        by_index[i] = field
        headers[field] = text
    return by_index, headers, unknown


def _data_rows(frame: pl.DataFrame, cell_columns: list[str]) -> pl.DataFrame:
    """Drop empty rows and note rows (see the module docstring). The note test runs only on the rows
    with a single filled cell; a file whose only non-data rows are at the end is sliced (no copy)."""
    present = [pl.col(f).str.strip_chars() for f in DATA_FIELDS if f in frame.columns]
    has_key = pl.any_horizontal([(c.is_not_null() & (c != "")) for c in present]) if present else pl.lit(False)
    filled = pl.sum_horizontal([pl.col(c).is_not_null().cast(pl.Int32) for c in cell_columns])
    flags = frame.select(has_key.alias("_key"), (filled == 1).alias("_single"))
    keep = flags.get_column("_key")
    single = (flags.get_column("_key") & flags.get_column("_single")).arg_true()
    if single.len():
        first = pl.coalesce([pl.col(c) for c in cell_columns]).str.strip_chars()
        note = "|".join(_NOTE_START)
        is_note = frame.select(cell_columns)[single].select(first.str.contains(f"^({note})|[:：]")).to_series()
        keep = keep.scatter(single.filter(is_note.fill_null(False)), False)
    kept = int(keep.sum())
    if kept == frame.height:
        return frame
    if kept == 0 or bool(keep.head(kept).all()):
        return frame.head(kept)
    return frame.filter(keep)


def _build(parsed: ParsedSheet, rows: pl.Series | None = None) -> RawRoster:
    """The roster of a :class:`ParsedSheet`: its columns mapped to fields, empty and note rows dropped,
    formula guards removed. ``rows``: each body row's number (a ZIP's carried numbers), else counted
    from ``first_data_row``."""
    body, header, id_numeric = parsed.body, parsed.header, parsed.id_numeric
    by_index, headers, unknown = _map_columns(header)
    if not _PERSONS_NEEDED.get():
        if "household_number" not in headers:
            raise RosterReadError("表头中没有户编号列 / the header has no 户编号 (household number) column")
    elif "id_number" not in headers and "name" not in headers:
        if {normalise_header(u) for u in unknown} & {normalise_header(m) for m in roster.HOUSEHOLD_ROSTER_MARKS}:
            raise RosterReadError(
                "这是户花名册(每户一行),导入需要人员花名册(每人一行:姓名、证件号码、与户主关系……);"
                "请导出或填写人员花名册;只更新户的信息请选择导入方式“只更新户信息” / this is a household roster (one row per "
                "household); the import takes the person roster (one row per person); to update only the households' "
                "columns, choose the import mode household columns only")
        raise RosterReadError("表头中没有姓名或证件号码列 / the header has neither 姓名 nor 证件号码")
    names = body.columns
    numeric = (id_numeric if id_numeric is not None
               else pl.repeat(False, body.height, dtype=pl.Boolean, eager=True))
    row = (pl.lit(rows) if rows is not None
           else pl.int_range(parsed.first_data_row, parsed.first_data_row + pl.len(), dtype=pl.Int64))
    frame = body.select(
        row.alias("_row"),
        numeric.alias("_id_numeric"),
        *[pl.col(names[i]).cast(pl.Utf8).alias(field) for i, field in by_index.items() if i < len(names)],
        *[pl.col(names[i]).cast(pl.Utf8).alias(f"_other_{i}") for i in range(len(names)) if i not in by_index],
    )
    others = [c for c in frame.columns if c.startswith("_other_")]
    # the apostrophe a CSV export put before a would-be formula (fupin.core.formula_guard) is dropped
    frame = unguard(_data_rows(frame, [*headers, *others]).drop(others), list(headers))
    missing = [f for f in headers if f not in frame.columns]
    frame = frame.with_columns([pl.lit(None, dtype=pl.Utf8).alias(f) for f in missing])
    hidden = (int(frame.get_column("_row").is_in(pl.Series(sorted(parsed.hidden), dtype=pl.Int64).implode()).sum())
              if parsed.hidden else 0)
    return RawRoster(frame=frame, encoding=parsed.encoding, header_row=parsed.header_row, unknown_headers=unknown,
                     headers=headers, hidden_rows=hidden)


# xlsx ------------------------------------------------------------------------------------------

def _sheet_index(reader: fastexcel.ExcelReader) -> int:
    """The first sheet named like 花名册, else the first sheet."""
    for i, name in enumerate(reader.sheet_names):
        if "花名册" in name:
            return i
    return 0


def roster_sheets(path: Path, kind: str, reader: fastexcel.ExcelReader) -> list[int]:
    """The sheets of a workbook read as its roster (多个工作表), in the workbook's order. The candidates are
    the visible sheets whose name holds 花名册, else every visible sheet (all sheets, if none is
    visible); of several candidates, those with a roster header in their first :data:`HEADER_SCAN_ROWS`
    rows (:func:`has_roster_header`) are read, together (a township's workbook with one sheet per village); with none, the first
    candidate is read and says it has no header. A hidden sheet is never read beside a visible one (the
    template's 代码表; a sheet the file's reader does not see). A workbook of one sheet is not looked
    into: its sheet is read as before."""
    names = reader.sheet_names
    if len(names) <= 1:
        return [0]
    looks = _SheetLooks(path, kind, reader)
    visible = [i for i in range(len(names)) if looks.visible(i)] or list(range(len(names)))
    candidates = [i for i in visible if "花名册" in names[i]] or visible
    if len(candidates) == 1:
        return candidates
    with_header = [i for i in candidates if has_roster_header(looks.first_rows(i))]
    return with_header or candidates[:1]


def has_roster_header(rows: list[list[str | None]]) -> bool:
    """Whether ``rows`` (a sheet's first rows) hold a roster header (:func:`_find_header`) naming the
    columns a roster needs (:func:`_build`): 姓名 or 证件号码 — or 户编号 when only household columns are
    read. The template's 村名单 (县, 乡镇, 行政村, 行政区划代码) has a header of roster columns but is
    no roster."""
    try:
        _, header, _ = _find_header(rows)
    except RosterReadError:
        return False
    fields = set(_map_columns(header)[1])
    return bool(fields & {"id_number", "name"}) or (not _PERSONS_NEEDED.get() and "household_number" in fields)


class _SheetLooks:
    """Whether each sheet of a workbook is visible and its first rows, found cheaply: an xlsx's from its
    XML (``state`` in ``workbook.xml``; :func:`xlsx_header_rows`), without parsing the sheet — fastexcel
    parses a whole sheet even when asked for its first rows (measured, 200k rows: 0.6 s of the 1.3 s a
    full read takes); an xls's and an ods's by loading the sheet's first rows."""

    def __init__(self, path: Path, kind: str, reader: fastexcel.ExcelReader) -> None:
        self.path, self.kind, self.reader = path, kind, reader
        self.states = _xlsx_sheet_states(path) if kind == "xlsx" else None
        self.loaded: dict[int, tuple[bool, list[list[str | None]]]] = {}
        self.strings: list[str] = []

    def _strings(self, zf: zipfile.ZipFile, needed: int) -> list[str]:
        """The shared strings up to ``needed``, read again from the start only when more are needed, and
        then twice as many: the later sheets' first rows name strings further on (measured, 150 sheets
        of 75k persons: the table streamed once per sheet took 1.5 s)."""
        if needed >= len(self.strings):
            self.strings = _shared_strings(zf, max(needed, 2 * len(self.strings)))
        return self.strings

    def _load(self, index: int) -> tuple[bool, list[list[str | None]]]:
        if index not in self.loaded:
            sheet = self.reader.load_sheet(index, header_row=None, n_rows=HEADER_SCAN_ROWS, dtypes="string")
            self.loaded[index] = (sheet.visible == "visible",
                                  [list(r) for r in sheet.to_polars().iter_rows()])
        return self.loaded[index]

    def visible(self, index: int) -> bool:
        if self.states is not None and index < len(self.states):
            return self.states[index] == "visible"
        return self._load(index)[0]

    def first_rows(self, index: int) -> list[list[str | None]]:
        rows = xlsx_header_rows(self.path, index, strings=self._strings) if self.kind == "xlsx" else None
        return rows if rows is not None else self._load(index)[1]


def _xlsx_sheet_states(path: Path) -> list[str] | None:
    """Each sheet's ``state`` in ``xl/workbook.xml`` (``visible``, ``hidden``, ``veryHidden``), in order."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    try:
        with zipfile.ZipFile(path) as zf:
            book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, OSError):
        return None
    return [sheet.get("state", "visible") for sheet in book.findall("m:sheets/m:sheet", ns)]


def _sheet_xml_path(zf: zipfile.ZipFile, index: int) -> str | None:
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    sheets = book.findall("m:sheets/m:sheet", ns)
    if index >= len(sheets):
        return None
    rid = sheets[index].get(rel_ns)
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    for rel in rels:
        if rel.get("Id") == rid:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
    return None


def xlsx_first_row(path: Path, index: int) -> int:
    """1-based number of the first row holding a value (the reader starts its range there)."""
    try:
        with zipfile.ZipFile(path) as zf:
            name = _sheet_xml_path(zf, index)
            if name is None:
                return 1
            with zf.open(name) as fh:
                text = fh.read(4 << 20).decode("utf-8", "replace")
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return 1
    for match in re.finditer(r'<row[^>]*\sr="(\d+)"[^>]*>(.*?)</row>', text, re.S):
        if "<v>" in match.group(2) or "<v " in match.group(2) or "<is>" in match.group(2):
            return int(match.group(1))
    return 1


_TEXT_CELL_TYPES = (b't="s"', b't="str"', b't="inlineStr"', b't="b"', b't="e"', b't="d"')


#: A merged range of a sheet's XML (``<mergeCell ref="A5:A7"/>``, after the cells).
_MERGE = re.compile(rb'<mergeCell ref="([A-Z]{1,3})(\d+):([A-Z]{1,3})(\d+)"')
#: A row hidden in the sheet (``<row r="7" spans="1:9" hidden="1">``: a filter, or hidden by hand).
_HIDDEN_ROW = re.compile(rb'<row r="(\d+)"[^>]*? hidden="(?:1|true)"')
#: A merged range: (first column, 0-based; first row; last row), rows as the sheet numbers them.
Merge = tuple[int, int, int]


@dataclass(frozen=True)
class SheetScan:
    """What one pass over a sheet's XML finds: the rows whose cell in the asked column holds a number
    (None: not asked, or the cells carry no ``r`` references) and the merged ranges spanning rows."""
    numbers: set[int] | None
    merges: list[Merge]
    hidden: set[int] = field(default_factory=set)


def xlsx_number_rows(path: Path, sheet_index: int, column: int) -> set[int] | None:
    """Sheet row numbers whose cell in ``column`` (0-based) holds a number (:func:`xlsx_scan`)."""
    scan = xlsx_scan(path, sheet_index, column)
    return None if scan is None else scan.numbers


def xlsx_scan(path: Path, sheet_index: int, column: int | None) -> SheetScan | None:
    """One pass over the sheet XML, in a stream (the uncompressed XML of a large roster is hundreds of
    MB): the rows whose cell in ``column`` (0-based) holds a number, and the merged ranges that span
    rows (``<mergeCells>`` comes after the cells). ``numbers`` is None when the cells carry no ``r``
    references (the caller falls back); None when the file cannot be read this way."""
    pattern = (re.compile(rb'<c r="' + column_letters(column).encode() + rb'(\d+)"([^>]*)>')
               if column is not None else None)
    numbers: set[int] = set()
    merges: list[Merge] = []
    hidden: set[int] = set()
    seen = False

    def take(body: bytes) -> None:
        nonlocal seen
        if pattern is not None:
            for match in pattern.finditer(body):
                seen = True
                if not any(t in match.group(2) for t in _TEXT_CELL_TYPES):
                    numbers.add(int(match.group(1)))
        if b'hidden="' in body:
            hidden.update(int(r) for r in _HIDDEN_ROW.findall(body))
        if b"<mergeCell " in body:
            for c1, r1, _c2, r2 in _MERGE.findall(body):
                if int(r2) > int(r1):
                    merges.append((_column_index(c1.decode()), int(r1), int(r2)))

    try:
        with zipfile.ZipFile(path) as zf:
            name = _sheet_xml_path(zf, sheet_index)
            if name is None:
                return None
            with zf.open(name) as fh:
                tail = b""
                while chunk := fh.read(8 << 20):
                    data = tail + chunk
                    cut = data.rfind(b"<")  # a tag may straddle two chunks: keep the last one back
                    body, tail = (data[:cut], data[cut:]) if cut > 0 else (data, b"")
                    take(body)
                take(tail)
            if pattern is not None and not seen and _has_cells_without_refs(zf, name):
                return SheetScan(None, merges, hidden)
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, OSError):
        return None
    return SheetScan(numbers if pattern is not None else None, merges, hidden)


def _has_cells_without_refs(zf: zipfile.ZipFile, name: str) -> bool:
    """Whether the sheet has cells but none named by reference (``<c>`` without ``r``)."""
    with zf.open(name) as fh:
        head = fh.read(4 << 20)
    return b"<c>" in head or (b"<c " in head and b'<c r="' not in head)


_CELL = re.compile(r'<c r="([A-Z]{1,3})(\d+)"([^>]*?)(?:/>|>(.*?)</c>)', re.S)
_TEXT = re.compile(r"<t(?:\s[^>]*)?>(.*?)</t>", re.S)


def _column_index(letters: str) -> int:
    """A → 0, Z → 25, AA → 26: the inverse of :func:`column_letters`."""
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index - 1


def _shared_strings(zf: zipfile.ZipFile, needed: int) -> list[str]:
    """The first ``needed`` + 1 shared strings (streamed: the table of a large roster is 10+ MB)."""
    out: list[str] = []
    tag = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    try:
        with zf.open("xl/sharedStrings.xml") as fh:
            for _, element in ElementTree.iterparse(fh, events=("end",)):
                if element.tag == f"{tag}si":
                    out.append("".join(t.text or "" for t in element.iter(f"{tag}t")))
                    element.clear()
                    if len(out) > needed:
                        break
    except KeyError:
        pass
    return out


#: How much of a sheet's XML :func:`xlsx_header_rows` reads: first a block, more only when its first
#: :data:`HEADER_SCAN_ROWS` rows are not in it (a roster's 30 rows are about 100 kB), at most the limit.
HEADER_XML_FIRST_BYTES = 256 << 10
HEADER_XML_MAX_BYTES = 4 << 20


def _header_cells(text: str) -> tuple[dict[int, dict[int, tuple[str, str]]], int | None, bool]:
    """The cells holding a value of the first :data:`HEADER_SCAN_ROWS` rows from the first such row in
    ``text`` (the start of a sheet's XML), that row, and whether the text went past them."""
    cells: dict[int, dict[int, tuple[str, str]]] = {}
    first: int | None = None
    for m in _CELL.finditer(text):
        letters, row, attrs, body = m.group(1), int(m.group(2)), m.group(3), m.group(4) or ""
        has_value = "<v>" in body or "<v " in body or "<is>" in body
        if has_value and first is None:
            first = row
        if first is not None and row >= first + HEADER_SCAN_ROWS:
            return cells, first, True
        if has_value:
            cells.setdefault(row, {})[_column_index(letters)] = (attrs, body)
    return cells, first, False


def xlsx_header_rows(path: Path, sheet_index: int, *,
                     strings: Callable[[zipfile.ZipFile, int], list[str]] = _shared_strings,
                     ) -> list[list[str | None]] | None:
    """The sheet's first :data:`HEADER_SCAN_ROWS` rows (from its first row with a value) as text, read
    from the start of the sheet XML — without parsing the sheet, so that the ID number column is known
    early (see :func:`read_xlsx`) and a workbook's roster sheets are told apart (:func:`roster_sheets`).
    ``strings(zf, n)``: at least the first n + 1 shared strings (a workbook's many sheets share one
    cache). ``None`` when the XML cannot be read this way."""
    unescape = {"&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'", "&amp;": "&"}
    try:
        with zipfile.ZipFile(path) as zf:
            name = _sheet_xml_path(zf, sheet_index)
            if name is None:
                return None
            with zf.open(name) as fh:
                raw = fh.read(HEADER_XML_FIRST_BYTES)
                cells, first, complete = _header_cells(raw.decode("utf-8", "replace"))
                if not complete and len(raw) == HEADER_XML_FIRST_BYTES:
                    raw += fh.read(HEADER_XML_MAX_BYTES - len(raw))
                    cells, first, complete = _header_cells(raw.decode("utf-8", "replace"))
            if first is None:
                return None
            shared = [int(v) for by_col in cells.values() for a, b in by_col.values() if 't="s"' in a
                      for v in re.findall(r"<v>(\d+)</v>", b)]
            table = strings(zf, max(shared)) if shared else []
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, OSError, ValueError):
        return None
    rows: list[list[str | None]] = []
    for r in range(first, first + HEADER_SCAN_ROWS):
        by_col = cells.get(r, {})
        row: list[str | None] = [None] * (max(by_col) + 1 if by_col else 0)
        for col, (attrs, body) in by_col.items():
            if 't="s"' in attrs:
                found = re.search(r"<v>(\d+)</v>", body)
                i = int(found.group(1)) if found else -1
                row[col] = table[i] if 0 <= i < len(table) else None
            else:
                texts = _TEXT.findall(body) or re.findall(r"<v>(.*?)</v>", body, re.S)
                value = "".join(texts)
                for k, v in unescape.items():
                    value = value.replace(k, v)
                row[col] = value
        rows.append(row)
    return rows


def _early_id_scan(path: Path, sheet_index: int) -> tuple[int | None, SheetScan] | None:
    """(ID number column, the sheet's scan: its number-cell rows and merged ranges) found from the sheet
    XML alone, or None. Without an ID column the scan still finds the merged ranges."""
    rows = xlsx_header_rows(path, sheet_index)
    if rows is None:
        return None
    try:
        _, header, _ = _find_header(rows)
    except RosterReadError:
        return None
    column = next((i for i, h in enumerate(header) if field_of(h) == "id_number"), None)
    scan = xlsx_scan(path, sheet_index, column)
    return None if scan is None else (column, scan)


def read_xlsx(path: Path) -> RawRoster:
    """Read an xlsx roster (:func:`read_workbook`)."""
    return read_workbook(path, "xlsx")


def parse_xlsx(path: Path, reader: fastexcel.ExcelReader | None = None, index: int | None = None) -> ParsedSheet:
    """Split an xlsx roster at its header. The scan for ID numbers stored as numbers runs in a helper thread while
    fastexcel parses the sheet (which releases the GIL): the thread finds the header from the start
    of the sheet XML and its shared strings, and its result is used only when its ID column is the
    one the parsed header names (otherwise the column is scanned again). Measured, 100k persons:
    parse 2.75 s + scan 0.75 s one after the other; 2.75 s together. ``index``: the sheet (default: the
    first named like 花名册, else the first)."""
    reader = reader or fastexcel.read_excel(path)
    index = _sheet_index(reader) if index is None else index
    if Path(path).stat().st_size < SMALL_XLSX_BYTES:  # a village's file: a helper thread costs more than it saves
        grid = reader.load_sheet(index, header_row=None, dtypes="string").to_polars()
        early_result = None
    else:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="xlsx-id-scan") as pool:
            early = pool.submit(_early_id_scan, path, index)
            grid = reader.load_sheet(index, header_row=None, dtypes="string").to_polars()
            early_result = early.result()

    scans: list[SheetScan] = [early_result[1]] if early_result is not None else []
    # fastexcel's grid starts at the sheet's first column holding a value; the XML names columns from A
    offset = grid_column_offset(path, index, grid)

    def number_rows(id_col: int) -> set[int] | None:
        column = id_col + (offset or 0)
        if early_result is not None and early_result[0] == column:
            return early_result[1].numbers
        if offset is None:  # where the grid's columns are in the sheet is not known: load the column again
            return None
        scan = xlsx_scan(path, index, column)
        if scan is None:
            return None
        scans.append(scan)
        return scan.numbers

    def merges(_data_from: int) -> list[Merge]:
        if offset is None:
            return []
        if not scans:  # no ID column asked for: one pass for the merged ranges alone
            scan = xlsx_scan(path, index, None)
            scans.append(scan if scan is not None else SheetScan(None, []))
        return [(column - offset, top, bottom) for column, top, bottom in scans[-1].merges if column >= offset]

    return _from_grid(reader, index, grid, first=xlsx_first_row(path, index), number_rows=number_rows,
                      encoding="xlsx", merges=merges, hidden=lambda: scans[-1].hidden if scans else set())


def read_xls(path: Path) -> RawRoster:
    """Read an Excel 97–2003 roster (.xls, :func:`read_workbook`)."""
    return read_workbook(path, "xls")


def parse_xls(path: Path, reader: fastexcel.ExcelReader | None = None, index: int | None = None) -> ParsedSheet:
    """Split an Excel 97–2003 roster (.xls) at its header: fastexcel reads the cells, the sheet's own records give the
    row numbers (:mod:`.xls_rows`; refused when they do not agree with the grid), and an ID number
    stored as a number is found by loading its column as booleans (a number reads as true, a text as
    null)."""
    reader = reader or fastexcel.read_excel(path)
    index = _sheet_index(reader) if index is None else index
    name = reader.sheet_names[index]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="xls-rows") as pool:
        # The records are scanned while fastexcel (which releases the GIL) reads the cells: measured on
        # a 65,000-row roster (2M cells, 59 MB), fastexcel 1.6 s, the scan 1.1 s.
        scanned = pool.submit(xls_rows.sheet_cells, path, name)
        grid = reader.load_sheet(index, header_row=None, dtypes="string").to_polars()
        cells = scanned.result()
    first = xls_first_row(None if cells is None else (cells.first_row, cells.last_row), grid.height)
    if cells is None or first is None:
        raise RosterReadError(XLS_ROWS_UNKNOWN)

    def merges(data_from: int) -> list[Merge]:
        return _in_grid_columns([m for m in cells.merges if m[1] >= data_from], lambda: cells.first_column)

    return _from_grid(reader, index, grid, first=first, number_rows=lambda id_col: None, encoding="xls",
                      merges=merges, hidden=lambda: set(cells.hidden))


def _in_grid_columns(merges: list[Merge], first_column: Callable[[], int | None]) -> list[Merge]:
    """Merged ranges of an xls or ods sheet (columns as the sheet numbers them from A) in the columns of
    fastexcel's grid, which starts at the sheet's first column holding a value (``first_column``, asked
    only when there is a range; None: not known, nothing is filled)."""
    if not merges:
        return []
    offset = first_column()
    if offset is None:
        return []
    return [(column - offset, top, bottom) for column, top, bottom in merges if column >= offset]


def xls_first_row(rows: tuple[int, int] | None, height: int) -> int | None:
    """1-based file row of the first row of fastexcel's grid of an .xls sheet (``height`` rows), given
    the sheet's first and last rows holding a value (:func:`.xls_rows.used_rows`): the first, when they
    span exactly ``height`` rows; otherwise None (the numbers cannot be trusted)."""
    if rows is None or rows[1] - rows[0] + 1 != height:
        return None
    return rows[0]


def _from_grid(reader: fastexcel.ExcelReader, index: int, grid: pl.DataFrame, *, first: int,
               number_rows: Callable[[int], set[int] | None], encoding: str,
               merges: Callable[[int], list[Merge]] | None = None,
               hidden: Callable[[], set[int]] | None = None) -> ParsedSheet:
    """A workbook sheet's grid (its first row is the file's row ``first``) as a roster; ``number_rows``:
    the file rows whose ID number cell is a number, when the file says so cheaply (else None: the
    ID column is loaded again as booleans); ``merges``: the sheet's merged ranges spanning rows, in
    the grid's columns, given the first data row (:func:`filled_merges`); ``hidden``: the file rows
    hidden in the sheet, asked after the other two (which may scan the sheet for them)."""
    rows = [list(r) for r in grid.head(HEADER_SCAN_ROWS).iter_rows()]
    header_index, header, header_rows = _find_header(rows)
    id_col = next((i for i, h in enumerate(header) if field_of(h) == "id_number"), None)
    id_numeric = None
    if id_col is not None:
        numbers = number_rows(id_col)
        if numbers is not None:
            id_numeric = pl.int_range(first, first + grid.height, dtype=pl.Int64, eager=True).is_in(
                pl.Series(sorted(numbers), dtype=pl.Int64).implode())
        else:
            id_numeric = id_number_cells(reader, index, grid.columns[id_col])
            if id_numeric.len() != grid.height:  # ranges differ: fall back to "no numeric cells"
                id_numeric = None
    start = header_index + header_rows
    if merges is not None:
        grid = filled_merges(grid, merges(first + start), first=first, data_from=first + start)
    return ParsedSheet(body=grid.slice(start), first_data_row=first + start, header_row=first + header_index,
                       header=header, id_numeric=None if id_numeric is None else id_numeric.slice(start),
                       encoding=encoding, hidden=frozenset(hidden()) if hidden is not None else frozenset())


def id_number_cells(reader: fastexcel.ExcelReader, index: int, column: str) -> pl.Series:
    """Which cells of the grid's column ``column`` hold a number: the column loaded again as booleans (a
    number reads as true, a text as null). The column is named, not numbered: fastexcel numbers
    ``use_columns`` from the sheet's column A, but its grid leaves out the empty columns left of the
    first value, and a roster starting right of A had another column looked at (a column of incomes
    stored as numbers then marked every ID as stored as a number)."""
    sheet = reader.load_sheet(index, header_row=None, use_columns=[column], dtypes={column: "boolean"})
    return sheet.to_polars().to_series().is_not_null()


def grid_column_offset(path: Path, index: int, grid: pl.DataFrame) -> int | None:
    """The sheet column (0-based, A = 0) of the grid's first column: fastexcel leaves out the empty
    columns left of the first value, the sheet XML does not. Told by the first row holding a value,
    read both ways (:func:`xlsx_header_rows`); None when the XML cannot be read so or the two disagree."""
    if grid.height == 0:
        return 0
    rows = xlsx_header_rows(path, index)
    if not rows:
        return None
    in_xml = next((i for i, v in enumerate(rows[0]) if v not in (None, "")), None)
    in_grid = next((i for i, v in enumerate(grid.row(0)) if v not in (None, "")), None)
    if in_xml is None or in_grid is None or in_xml < in_grid:
        return None
    offset = in_xml - in_grid
    shown = [v for v in rows[0][offset:] if v not in (None, "")]
    return offset if shown == [v for v in grid.row(0) if v not in (None, "")] else None


def filled_merges(grid: pl.DataFrame, merges: list[Merge], *, first: int, data_from: int) -> pl.DataFrame:
    """The grid (its row 0 is the sheet's row ``first``) with each merged range of the data rows (from
    row ``data_from``) that spans rows filled down: the value of its top cell in every row it covers, as
    the sheet shows it — a printed roster merges 户编号, 行政村 and the other household columns over the
    household's rows. Only the range's first column is filled (a range across columns is one cell);
    ranges in the header are the header's (:func:`_find_header`); a cell that holds a value keeps it.
    Each column's rows are mapped to their range's top row and gathered at once. ``merges``' columns
    are the grid's (:func:`grid_column_offset`)."""
    by_column: dict[int, list[tuple[int, int]]] = {}
    for column, top, bottom in merges:
        if top >= data_from and column < grid.width and top - first < grid.height:
            by_column.setdefault(column, []).append((top - first, min(bottom - first, grid.height - 1)))
    if not by_column:
        return grid
    filled = []
    for column, spans in by_column.items():
        source = list(range(grid.height))
        for top, bottom in spans:
            source[top + 1:bottom + 1] = [top] * (bottom - top)
        name = grid.columns[column]
        cells = grid.get_column(name)
        # a merged range's lower cells are empty; a cell holding a value is never overwritten
        filled.append(pl.select(pl.when(cells.is_null()).then(cells.gather(source)).otherwise(cells)).to_series()
                      .alias(name))
    return grid.with_columns(filled)


# CSV -------------------------------------------------------------------------------------------

def decode_csv(data: bytes) -> tuple[str, str]:
    """(encoding name, the first part of the text for header detection). UTF-8 is judged on the first
    64 KiB (GBK text is practically never valid UTF-8); the full check is the CSV reader's."""
    head = data[: 1 << 16]
    if head.startswith(b"\xef\xbb\xbf"):
        encoding, head = "utf-8-sig", head[3:]
    else:
        encoding = "utf-8"
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) == len(data))
    except UnicodeDecodeError:
        encoding = "gb18030"
        text = codecs.getincrementaldecoder("gb18030")(errors="ignore").decode(head, final=False)
    cut = text.rfind("\n")
    return encoding, text[: cut + 1] if cut >= 0 and len(head) < len(data) else text


UNKNOWN_ENCODING = "无法识别文件编码(应为UTF-8或GBK/GB18030) / unknown file encoding"


def csv_source(path: Path) -> tuple[Path | io.BytesIO, bytes]:
    """(what to read, its first 64 KiB + 1 bytes): the file itself, or, when its lines end in CR alone
    (old Mac "CSV (Macintosh)"), its bytes with those made LF."""
    with open(path, "rb") as fh:
        start = fh.read((1 << 16) + 1)
    if b"\r" in start and b"\n" not in start:
        data = path.read_bytes().replace(b"\r", b"\n")
        return io.BytesIO(data), data[: (1 << 16) + 1]
    return path, start


def header_scan_rows(head: str, delimiter: str = ",") -> list[list[str | None]]:
    """The first :data:`HEADER_SCAN_ROWS` rows of a CSV's decoded start, split by the ``csv`` module."""
    return [list(r) for _, r in zip(range(HEADER_SCAN_ROWS), csv.reader(io.StringIO(head), delimiter=delimiter),
                                    strict=False)]


def load_csv_grid(source: Path | io.BytesIO, encoding: str, *, skip_rows: int, width: int,
                  error: Callable[[str], Exception], delimiter: str = ",") -> tuple[pl.DataFrame, str]:
    """(the CSV's rows below ``skip_rows`` as ``width`` text columns, the encoding read): as UTF-8 by
    Polars when judged so, falling back to GB18030 when Polars finds it is not (``error`` when GB18030
    cannot read it either)."""
    def load(data: Path | io.BytesIO) -> pl.DataFrame:
        return pl.read_csv(data, has_header=False, infer_schema=False, truncate_ragged_lines=True,
                           skip_rows=skip_rows, schema={f"c{i}": pl.Utf8 for i in range(width)},
                           empty_string_is_null=True, separator=delimiter)

    def as_utf8() -> io.BytesIO:
        raw = source.getvalue() if isinstance(source, io.BytesIO) else source.read_bytes()
        try:
            return io.BytesIO(raw.decode("gb18030").encode("utf-8"))
        except UnicodeDecodeError as exc:
            raise error(UNKNOWN_ENCODING) from exc

    if encoding == "gb18030":
        return load(as_utf8()), encoding
    try:
        return load(source), encoding
    except pl.exceptions.ComputeError:  # not UTF-8 after all
        return load(as_utf8()), "gb18030"


def read_csv(path: Path) -> RawRoster:
    return _build(parse_csv(path))


def split_by_delimiter(head: str, find: Callable[[list[list[str | None]]], tuple[T, int]]) -> tuple[str, T]:
    """(the delimiter, ``find``'s result) for a text file's decoded start: a comma, or a tab (Excel's
    and WPS's "文本文件(制表符分隔)", .txt) when ``find`` — the reader's header search, giving its
    result and how many known columns the header names, or raising when there is none — names more
    split by tabs. A comma CSV with a tab in a quoted cell stays a comma CSV."""
    best: tuple[int, str, T] | None = None
    refusal: Exception | None = None
    for delimiter in CSV_DELIMITERS:
        if delimiter != "," and delimiter not in head:
            continue
        try:
            found, named = find(header_scan_rows(head, delimiter))
        except ValueError as exc:  # the readers' errors (RosterReadError, ListReadError)
            refusal = refusal or exc
            continue
        if best is None or named > best[0]:
            best = (named, delimiter, found)
    if best is None:
        assert refusal is not None  # the comma is always tried
        raise refusal
    return best[1], best[2]


def _roster_header(rows: list[list[str | None]]) -> tuple[tuple[int, list[str | None], int], int]:
    found = _find_header(rows)
    return found, sum(field_of(h) is not None for h in found[1])


def parse_csv(path: Path) -> ParsedSheet:
    source, start = csv_source(path)
    encoding, head = decode_csv(start)
    delimiter, (header_index, header, header_rows) = split_by_delimiter(head, _roster_header)
    grid, encoding = load_csv_grid(source, encoding, skip_rows=header_index + header_rows,
                                   width=max(len(header), 1), error=RosterReadError, delimiter=delimiter)
    return ParsedSheet(body=grid, first_data_row=header_index + header_rows + 1, header_row=header_index + 1,
                       header=header, id_numeric=None, encoding=encoding)


def read_ods(path: Path) -> RawRoster:
    """Read an OpenDocument spreadsheet roster (.ods, :func:`read_workbook`)."""
    return read_workbook(path, "ods")


def parse_ods(path: Path, reader: fastexcel.ExcelReader | None = None, index: int | None = None) -> ParsedSheet:
    """Split an OpenDocument spreadsheet roster (.ods) at its header: fastexcel reads the cells, the sheet's XML
    gives the number of the first row holding a value (:mod:`.ods_rows`; refused when it cannot be
    told), and an ID number stored as a number is found by loading its column as booleans, as for
    .xls. fastexcel is given the bytes (it tells the format from them; given a path, it goes by the
    file's name, and an .ods saved under an .xlsx name is not rare)."""
    reader = reader or _open_workbook(path, "ods")
    index = _sheet_index(reader) if index is None else index
    name = reader.sheet_names[index]
    grid = reader.load_sheet(index, header_row=None, dtypes="string").to_polars()
    first = ods_rows.first_row(path, name)
    if first is None:
        raise RosterReadError(ODS_ROWS_UNKNOWN)

    layout = ods_rows.sheet_layout(path, name) or ods_rows.SheetLayout()

    def merges(data_from: int) -> list[Merge]:
        return _in_grid_columns([m for m in layout.merges if m[1] >= data_from],
                                lambda: ods_column_offset(path, name, grid))

    return _from_grid(reader, index, grid, first=first, number_rows=lambda id_col: None, encoding="ods",
                      merges=merges, hidden=lambda: layout.hidden)


def ods_column_offset(path: Path, sheet_name: str, grid: pl.DataFrame) -> int | None:
    """The sheet column (0-based, A = 0) of the grid's first column (fastexcel leaves out the empty
    columns left of the first value): told by the first row holding a value, its filled columns in the
    XML (:func:`.ods_rows.first_row_columns`) against the grid's; None when they do not line up."""
    found = ods_rows.first_row_columns(path, sheet_name)
    if found is None or grid.height == 0:
        return None
    in_sheet = found[1]
    in_grid = [i for i, v in enumerate(grid.row(0)) if v not in (None, "")]
    if not in_grid or len(in_sheet) != len(in_grid):
        return None
    offset = in_sheet[0] - in_grid[0]
    return offset if offset >= 0 and [c - offset for c in in_sheet] == in_grid else None


_WORKBOOK_PARSERS: dict[str, Callable[[Path, fastexcel.ExcelReader, int], ParsedSheet]] = {
    "xlsx": parse_xlsx, "xls": parse_xls, "ods": parse_ods}


def _open_workbook(path: Path, kind: str) -> fastexcel.ExcelReader:
    return fastexcel.read_excel(Path(path).read_bytes() if kind == "ods" else path)


def parse_workbook(path: Path, kind: str) -> list[tuple[str, ParsedSheet]]:
    """``(sheet name, parsed)`` of each sheet read as the roster (:func:`roster_sheets`)."""
    reader = _open_workbook(path, kind)
    names = reader.sheet_names
    return [(names[i], _WORKBOOK_PARSERS[kind](path, reader, i)) for i in roster_sheets(path, kind, reader)]


def read_workbook(path: Path, kind: str) -> RawRoster:
    """Read a workbook roster: its one roster sheet, or several read as one roster, each sheet a part
    of the batch as a ZIP's files are (rows carried by sheet, shown as the sheet's name and its row)."""
    sheets = parse_workbook(path, kind)
    if len(sheets) == 1:
        return _build(sheets[0][1])
    return _combine(sheets, encoding=kind)


def read_one(path: Path) -> RawRoster:
    """Read one roster file (xlsx, xls, ods or CSV, told apart by content); a ZIP is refused."""
    parts = parse_one(path)
    return _build(parts[0][1]) if len(parts) == 1 else _combine(parts, encoding=parts[0][1].encoding)


def parse_one(path: Path) -> list[tuple[str, ParsedSheet]]:
    """Split one roster file at its header (xlsx, xls, ods or CSV, told apart by content): ``(sheet name,
    parsed)`` of each roster sheet of a workbook (:func:`roster_sheets`), ``("", parsed)`` of a CSV; a
    ZIP is refused."""
    return read_by_kind(Path(path), workbook=parse_workbook, text=lambda p: [("", parse_csv(p))],
                        error=RosterReadError)


def _parsed_files(path: Path) -> Iterator[tuple[str, list[tuple[str, ParsedSheet]]]]:
    """``(name, sheets)`` for each file of a ZIP, in order (:func:`parse_one`): two files are parsed at
    once, by two threads (fastexcel and Polars work without the GIL), each deleted once parsed. A file
    that cannot be read stops the archive, naming the file."""
    def parse(name: str, file: Path) -> list[tuple[str, ParsedSheet]]:
        try:
            return parse_one(file)
        except RosterReadError as exc:
            raise RosterReadError(f"{name}: {exc}") from exc
        finally:
            file.unlink(missing_ok=True)

    pending: deque[tuple[str, Future[list[tuple[str, ParsedSheet]]]]] = deque()
    with tempfile.TemporaryDirectory(prefix="fupin-zip-") as folder, \
            ThreadPoolExecutor(max_workers=ZIP_PARSE_THREADS, thread_name_prefix="zip-parse") as pool:
        try:
            for _k, name, file in zip_rosters.unpacked(path, RosterReadError, Path(folder)):
                pending.append((name, pool.submit(parse, name, file)))
                while len(pending) > ZIP_PARSE_THREADS:
                    name0, done = pending.popleft()
                    yield name0, done.result()
            while pending:
                name0, done = pending.popleft()
                yield name0, done.result()
        finally:
            for _name, left in pending:
                left.cancel()


class _Run:
    """Consecutive parts (a ZIP's files, a workbook's sheets) with the same header, put together as they
    come (their bodies, which rows hold a number-cell ID, and their rows carried by the part's place)
    and built once."""

    def __init__(self, first_name: str) -> None:
        self.first_name = first_name
        self.sheets: list[ParsedSheet] = []
        self.rows: list[pl.Series] = []
        self.hidden: set[int] = set()

    def takes(self, parsed: ParsedSheet) -> bool:
        last = self.sheets[-1]
        return last.header == parsed.header and last.body.width == parsed.body.width

    def add(self, parsed: ParsedSheet, k: int) -> None:
        body = parsed.body.rename({c: f"c{i}" for i, c in enumerate(parsed.body.columns)})
        self.sheets.append(ParsedSheet(body=body, first_data_row=parsed.first_data_row, header_row=parsed.header_row,
                                       header=parsed.header, id_numeric=parsed.id_numeric, encoding=parsed.encoding))
        self.rows.append(pl.int_range(parsed.first_data_row, parsed.first_data_row + body.height, dtype=pl.Int64,
                                      eager=True) + k * zip_rosters.ROW_STRIDE)
        self.hidden.update(r + k * zip_rosters.ROW_STRIDE for r in parsed.hidden)

    def build(self) -> RawRoster:
        sheets, first = self.sheets, self.sheets[0]
        numeric = None
        if any(p.id_numeric is not None for p in sheets):
            numeric = pl.concat([p.id_numeric if p.id_numeric is not None
                                 else pl.repeat(False, p.body.height, dtype=pl.Boolean, eager=True) for p in sheets])
        together = ParsedSheet(body=pl.concat([p.body for p in sheets]), first_data_row=first.first_data_row,
                               header_row=first.header_row, header=first.header, id_numeric=numeric,
                               encoding=first.encoding, hidden=frozenset(self.hidden))
        return _build(together, rows=pl.concat(self.rows))


def read_zip(path: Path) -> RawRoster:
    """Read a ZIP of roster files as one roster (:mod:`.zip_rosters`): the files' rows one after the
    other, each file's rows carried by its place; a file that cannot be read refuses the archive,
    naming it. A workbook with several roster sheets (:func:`roster_sheets`) is one part per sheet,
    named ``村.xlsx「新坊村」``. Each part is split at its own header; a run of parts with the same header is
    built as one frame — a county's village files all have the template's header, and building each
    apart cost 5–6 ms a file in Polars' per-call overhead. Two files are parsed at once
    (:func:`_parsed_files`). Measured, 100k persons in 1,745 village files (read only, two cores): CSV
    13.5 → 3.3 s, xlsx 24.4 → 8.1 s (the same 100k as one file: CSV 0.13 s, xlsx 3.1 s)."""
    parts = ((name if len(sheets) == 1 else f"{name}「{sheet}」", parsed)
             for name, sheets in _parsed_files(Path(path)) for sheet, parsed in sheets)
    return _combine(parts, encoding="zip")


def _combine(parts: Iterable[tuple[str, ParsedSheet]], *, encoding: str) -> RawRoster:
    """Several parts (a ZIP's files, a workbook's sheets: ``(name, parsed)``) as one roster, the ``k``-th
    part's rows carried as ``k × ROW_STRIDE + row`` (:mod:`.zip_rosters`); ``parts`` names them in order."""
    runs: list[_Run] = []
    names: list[str] = []
    for name, parsed in parts:
        if parsed.first_data_row + parsed.body.height > zip_rosters.ROW_STRIDE:
            raise RosterReadError(f"{name}: 多个文件或工作表一起导入时,每个不能超过{zip_rosters.ROW_STRIDE - 1}行 / a file "
                                  f"or sheet imported with others may have at most {zip_rosters.ROW_STRIDE - 1} rows")
        names.append(name)
        if not runs or not runs[-1].takes(parsed):
            runs.append(_Run(name))
        runs[-1].add(parsed, len(names))
    built: list[RawRoster] = []
    for run in runs:
        try:
            built.append(run.build())
        except RosterReadError as exc:
            raise RosterReadError(f"{run.first_name}: {exc}") from exc
    frame = pl.concat([b.frame for b in built], how="diagonal_relaxed")
    if "_id_numeric" in frame.columns:  # a CSV's rows have no such marks (checked by pattern, normalise_roster)
        frame = frame.with_columns(pl.col("_id_numeric").fill_null(False))
    headers: dict[str, str] = {}
    unknown: list[str] = []
    for b in built:
        headers = {**b.headers, **headers}
        unknown += [h for h in b.unknown_headers if h not in unknown]
    return RawRoster(frame=frame, encoding=encoding, header_row=built[0].header_row, unknown_headers=unknown,
                     headers=headers, parts=tuple(names), hidden_rows=sum(b.hidden_rows for b in built))


#: Whether the file must have person columns (姓名 or 证件号码): not when only household columns are
#: imported (只更新户信息: a 户花名册, one row per household, is read; it needs 户编号).
_PERSONS_NEEDED: ContextVar[bool] = ContextVar("roster_persons_needed", default=True)


def read_roster(path: Path, *, persons: bool = True) -> RawRoster:
    """Read ``path`` (xlsx, xls, ods or CSV, told apart by content: :func:`.file_kind.file_kind`; or a ZIP
    of such files, :func:`read_zip`) into a :class:`RawRoster`; a file that cannot be read raises
    :class:`RosterReadError` saying why. ``persons=False``: a file without person columns is read
    (one row per household), as long as it has 户编号."""
    token = _PERSONS_NEEDED.set(persons)
    try:
        return read_by_kind(Path(path), workbook=read_workbook, text=read_csv, error=RosterReadError, archive=read_zip)
    finally:
        _PERSONS_NEEDED.reset(token)
