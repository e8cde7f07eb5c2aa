"""Row numbers of an OpenDocument spreadsheet (.ods, LibreOffice / WPS "ODF 表格").

fastexcel reads .ods (calamine), but, as for .xls, the grid it returns starts at the sheet's first row
holding a value: the rows above (empty, or only formatted) are not in it, and a rejected row must be
named by the row number the person sees. The sheet's XML (``content.xml``) says where that first
row is. It is read as a stream and left as soon as a row with a value is found: a large sheet's XML
is hundreds of MB, but a roster's first value is near its top.

In ODF a row or cell may stand for several (``table:number-rows-repeated``,
``table:number-columns-repeated``: LibreOffice writes the empty rows below a table as one row repeated
a million times), rows may sit in groups (``table:table-row-group``, ``table:table-header-rows``), and
a cell holds a value when it has a value type (``office:value-type``) or text. A covered cell (under
a merged one) holds none.

A printed roster merges the household columns down over the household's rows
(``table:number-rows-spanned``); fastexcel gives the value in the range's first row only.
:func:`sheet_layout` finds those ranges (and the rows hidden, by hand or by a filter), so the reader
can fill them as the sheet shows them; only a workbook that has such a cell or row is scanned. :func:`first_row_columns` gives the first row's
filled columns, which tell where fastexcel's grid starts (it leaves out the empty columns on the left).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree
from xml.sax.saxutils import unescape

TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_ROW, _CELL, _TABLE = f"{{{TABLE}}}table-row", f"{{{TABLE}}}table-cell", f"{{{TABLE}}}table"
_NAME, _REPEATED = f"{{{TABLE}}}name", f"{{{TABLE}}}number-rows-repeated"
_COVERED, _COLUMNS_REPEATED = f"{{{TABLE}}}covered-table-cell", f"{{{TABLE}}}number-columns-repeated"
_VALUE_TYPE = f"{{{OFFICE}}}value-type"


def is_ods(head: bytes) -> bool:
    """Whether a ZIP archive's first bytes are an ODF spreadsheet's: ODF stores the entry ``mimetype``
    first, uncompressed, so its name and content follow the first local header (30 bytes)."""
    return head[30:38] == b"mimetype" and head[38:38 + len(MIMETYPE)] == MIMETYPE


def odf_other(head: bytes) -> bool:
    """An ODF file that is not a spreadsheet (a text document, a presentation)."""
    return head[30:38] == b"mimetype" and head[38:73].startswith(b"application/vnd.oasis.opendocument.") \
        and not is_ods(head)


def _has_value(cell: ElementTree.Element) -> bool:
    return cell.get(_VALUE_TYPE) is not None or any((t or "").strip() for t in cell.itertext())


def first_row(path: Path, sheet_name: str) -> int | None:
    """1-based number of the first row of sheet ``sheet_name`` holding a value; ``None`` when the
    sheet is not found or holds none, or the file cannot be read this way (the caller refuses it)."""
    found = first_row_columns(path, sheet_name)
    return None if found is None else found[0]


def first_row_columns(path: Path, sheet_name: str) -> tuple[int, list[int]] | None:
    """The first row of sheet ``sheet_name`` holding a value (1-based) and its columns holding one
    (0-based, as the sheet numbers them from A); ``None`` when the sheet is not found or holds none,
    or the file cannot be read this way."""
    row_number = 0
    inside = False
    try:
        with zipfile.ZipFile(path) as archive, archive.open("content.xml") as content:
            for event, element in ElementTree.iterparse(content, events=("start", "end")):
                if element.tag == _TABLE:
                    if event == "start":
                        inside = element.get(_NAME) == sheet_name
                    elif inside:
                        return None  # the sheet ended without a value
                    continue
                if event != "end" or element.tag != _ROW:
                    continue
                if inside:
                    columns = _value_columns(element)
                    if columns:
                        return row_number + 1, columns
                    row_number += int(element.get(_REPEATED) or 1)
                element.clear()  # a row read is not kept (another sheet's rows neither)
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, ValueError):
        return None
    return None


def _value_columns(row: ElementTree.Element) -> list[int]:
    """The columns (0-based) of a row's cells holding a value, repeated and covered cells counted."""
    columns: list[int] = []
    column = 0
    for cell in row:
        if cell.tag not in (_CELL, _COVERED):
            continue
        repeated = int(cell.get(_COLUMNS_REPEATED) or 1)
        if cell.tag == _CELL and _has_value(cell):  # a covered cell's leftover text is not shown
            columns += range(column, column + repeated)
        column += repeated
    return columns


#: Bytes of the XML taken at a time by :func:`sheet_layout` (a row cut by a chunk's end waits for the next).
SCAN_CHUNK = 8 << 20
#: A hidden row repeated more often is the empty rows below the table, not data (not recorded).
_MAX_HIDDEN_REPEAT = 1000
_TABLE_PREFIX = re.compile(rb'xmlns:([\w.-]+)="' + re.escape(TABLE.encode()) + rb'"')


def _worth_a_scan(archive: zipfile.ZipFile) -> bool:
    """Whether any cell of the workbook is merged down over rows (``number-rows-spanned`` above 1:
    LibreOffice writes ``"1"`` on a range across columns only), or any row or column hidden
    (``visibility="collapse"`` or ``"filter"``); the attributes' prefix is left open. The XML is searched
    as bytes, a chunk at a time, with ``bytes.find`` (most rosters have neither, and are not looked
    at further). Measured on LibreOffice's XML of 20,000 persons (112 MB, inflated in 0.08 s), on a
    busy machine: one regular expression over the chunks took 1.0–2.1 s, half of the whole read of
    such a file; ``bytes.find`` 0.2–0.4 s."""
    tail = b""
    with archive.open("content.xml") as content:
        while chunk := content.read(4 << 20):
            data = tail + chunk
            if _attribute_value(data, b'rows-spanned="', lambda v: not v.startswith(b'1"')) or \
                    _attribute_value(data, b'visibility="', lambda v: v.startswith((b'collapse"', b'filter"'))):
                return True
            tail = chunk[-40:]
    return False


def _attribute_value(data: bytes, name: bytes, wanted: Callable[[bytes], bool]) -> bool:
    """Whether an attribute ``name`` (its text up to the opening quote) in ``data`` has a value ``wanted``
    says yes to (given the bytes after the quote)."""
    at = data.find(name)
    while at >= 0:
        if wanted(data[at + len(name):at + len(name) + 10]):
            return True
        at = data.find(name, at + 1)
    return False


@dataclass(frozen=True)
class SheetLayout:
    """What a roster reader needs of an .ods sheet beyond its cells: the ranges merged down over rows,
    as (first column, 0-based, as the sheet numbers it from A; first row; last row, 1-based), and the
    hidden rows (1-based)."""
    merges: list[tuple[int, int, int]] = field(default_factory=list)
    hidden: set[int] = field(default_factory=set)


class _SpanScan:
    """The merged ranges spanning rows of one table, and its hidden rows, from the XML's bytes fed a
    chunk at a time. A row is looked into only when it holds ``rows-spanned`` (found by
    ``bytes.find``); its cells are then counted, repeated ones too, to place the range in its column. Parsing every cell as XML took 12 s
    for 50,000 rows of 59 columns (iterparse), 6.8 s with a parser target that builds no tree."""

    def __init__(self, prefix: bytes, sheet_name: str) -> None:
        p = re.escape(prefix)
        self.starts = re.compile(rb"<" + p + rb":table(-row)?[\s/>]")
        self.cells = re.compile(rb"<" + p + rb":(covered-table-cell|table-cell)([^>]*)>")
        self.repeated = re.compile(rb'number-(rows|columns)-repeated="(\d+)"')
        self.spanned = re.compile(rb'number-rows-spanned="(\d+)"')
        self.name = sheet_name
        self.inside = False
        self.ended = False
        self.row = 0  # rows of the table before the current one
        self.layout = SheetLayout()

    def feed(self, data: bytes, final: bool) -> int:
        """Take the whole rows of ``data``; the offset where the rest (an unfinished row) begins."""
        marks = list(self.starts.finditer(data))
        if final:
            rest = len(data)
        elif marks:  # the last row may go on in the next chunk
            marks, rest = marks[:-1], marks[-1].start()
        else:  # a tag may straddle the chunks
            rest = max(len(data) - 64, 0)
        for i, mark in enumerate(marks):
            end = marks[i + 1].start() if i + 1 < len(marks) else rest
            if mark.group(1) is None:  # a table begins
                if self.inside:
                    self.ended = True
                    return rest
                tag_end = data.find(b">", mark.start(), end)
                found = re.search(rb'name="([^"]*)"', data[mark.start():tag_end])
                self.inside = found is not None and unescape(found.group(1).decode(), _QUOTES) == self.name
                self.row = 0
            elif self.inside:
                self._row(data, mark.start(), end)
        return rest

    def _row(self, data: bytes, start: int, end: int) -> None:
        tag = data[start:data.find(b">", start, end) + 1]
        repeated = self.repeated.search(tag)
        times = int(repeated.group(2)) if repeated and repeated.group(1) == b"rows" else 1
        if b'visibility="' in tag and (b'"collapse"' in tag or b'"filter"' in tag) and times <= _MAX_HIDDEN_REPEAT:
            self.layout.hidden.update(range(self.row + 1, self.row + times + 1))
        if data.find(b"rows-spanned", start, end) >= 0:
            column = 0
            for cell in self.cells.finditer(data, start, end):
                attributes = cell.group(2)
                if b"number-" in attributes:
                    spanned = self.spanned.search(attributes)
                    if spanned and int(spanned.group(1)) > 1 and cell.group(1) == b"table-cell":
                        self.layout.merges.append((column, self.row + 1, self.row + int(spanned.group(1))))
                    columns = self.repeated.search(attributes)
                    column += int(columns.group(2)) if columns and columns.group(1) == b"columns" else 1
                else:
                    column += 1
        self.row += times


_QUOTES = {"&quot;": '"', "&apos;": "'"}


def sheet_layout(path: Path, sheet_name: str) -> SheetLayout | None:
    """The ranges of sheet ``sheet_name`` merged down over rows and its hidden rows (:class:`SheetLayout`):
    none when no cell of the workbook spans rows and no row is hidden, found without a parse; else one
    pass over the XML's bytes (:class:`_SpanScan`). None when the file cannot be read this way (nothing
    is filled then)."""
    try:
        with zipfile.ZipFile(path) as archive:
            if not _worth_a_scan(archive):
                return SheetLayout()
            with archive.open("content.xml") as content:
                data = b""  # up to the root element's namespaces
                while (prefix := _TABLE_PREFIX.search(data)) is None and len(data) < 1 << 20:
                    if not (chunk := content.read(SCAN_CHUNK)):
                        break
                    data += chunk
                if prefix is None:
                    return None
                scan = _SpanScan(prefix.group(1), sheet_name)
                while True:
                    chunk = content.read(SCAN_CHUNK)
                    rest = scan.feed(data, final=not chunk)
                    if not chunk or scan.ended:
                        break
                    data = data[rest:] + chunk
                return scan.layout
    except (KeyError, zipfile.BadZipFile, ValueError, OSError):
        return None
