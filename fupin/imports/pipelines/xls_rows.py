"""Which rows of an Excel 97–2003 sheet (.xls) hold values (旧版Excel行号) — for the row numbers of rejections.

fastexcel reads .xls (calamine), but the grid it returns starts at the sheet's first row holding a
value and does not say which row that is; the rejections must name the file's own row numbers. An
.xlsx says it in its sheet XML (:func:`.read_roster.xlsx_first_row`); an .xls keeps its sheets in
the BIFF8 format inside an OLE2 compound file. This module reads just enough of both: the compound
file's ``Workbook`` stream (its FAT and DIFAT sector chains; a stream under 4 KiB, kept in the mini
stream, is not read — Excel and the libraries pad it past that), the sheets' names and offsets
(``BOUNDSHEET``), and in the chosen sheet the row of every record that holds a value (``NUMBER``,
``RK``, ``MULRK``, ``LABEL``, ``LABELSST``, ``RSTRING``, ``FORMULA``, ``BOOLERR``) — not
``BLANK``/``MULBLANK`` (formatted empty cells, which the reader skips too). Embedded chart substreams
(a nested ``BOF`` … ``EOF``) are not counted. The same pass takes the first column holding a value
(fastexcel's grid leaves out the empty columns left of it) and the sheet's merged ranges
(``MERGEDCELLS``), for the merged data cells a printed roster has (:func:`sheet_cells`).

:func:`used_rows` returns None for anything it does not know (BIFF5 and older, a damaged file), and
the caller compares the row count with the grid's height before it trusts the numbers: a file that
does not agree is refused (save as .xlsx), never numbered wrongly.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .file_kind import OLE2_MAGIC

_END_OF_CHAIN = 0xFFFFFFFA  # sector numbers from here up are markers (end of chain, free, FAT, DIFAT)
_DIRECTORY_ENTRY = 128
_BOF, _EOF, _BOUNDSHEET, _MERGEDCELLS, _ROW_RECORD = 0x0809, 0x000A, 0x0085, 0x00E5, 0x0208
_ROW_HIDDEN = 0x0020  # fDyZero in a ROW record's flags: the row is hidden
_VALUE_RECORDS = frozenset({0x0203, 0x027E, 0x00BD, 0x0204, 0x00FD, 0x00D6, 0x0006, 0x0205})


class _Damaged(ValueError):
    pass


def _u16(data: bytes, at: int) -> int:
    return int(struct.unpack_from("<H", data, at)[0])


def _u32(data: bytes, at: int) -> int:
    return int(struct.unpack_from("<I", data, at)[0])


def workbook_stream(data: bytes) -> bytes | None:
    """The ``Workbook`` stream (BIFF8) of an OLE2 compound file; None when it has none (a BIFF5
    ``Book``, another Office file)."""
    if not data.startswith(OLE2_MAGIC) or len(data) < 512:
        raise _Damaged("not a compound file")
    sector_size = 1 << _u16(data, 0x1E)
    fat_count, directory_start, cutoff = _u32(data, 0x2C), _u32(data, 0x30), _u32(data, 0x38)
    difat_start, difat_count = _u32(data, 0x44), _u32(data, 0x48)

    def sector(number: int) -> bytes:
        at = (number + 1) * sector_size
        if at >= len(data):
            raise _Damaged(f"sector {number} beyond the file")
        return data[at:at + sector_size]

    difat = list(struct.unpack_from("<109I", data, 0x4C))
    following = difat_start
    for _ in range(difat_count):
        listed = struct.unpack(f"<{sector_size // 4}I", sector(following))
        difat += listed[:-1]
        following = listed[-1]
    fat_sectors = [s for s in difat[:fat_count] if s < _END_OF_CHAIN]
    fat = struct.unpack(f"<{len(fat_sectors) * sector_size // 4}I", b"".join(sector(s) for s in fat_sectors))

    def chain(start: int, table: tuple[int, ...]) -> list[int]:
        """The sectors of the chain from ``start`` in ``table`` (the FAT)."""
        out: list[int] = []
        while start < _END_OF_CHAIN:
            if start >= len(table) or len(out) > len(table):
                raise _Damaged("broken sector chain")
            out.append(start)
            start = table[start]
        return out

    directory = b"".join(sector(s) for s in chain(directory_start, fat))
    entries = [directory[i:i + _DIRECTORY_ENTRY] for i in range(0, len(directory) - _DIRECTORY_ENTRY + 1,
                                                                _DIRECTORY_ENTRY)]
    if not entries:
        raise _Damaged("no directory")
    for entry in entries:
        name_bytes = max(min(_u16(entry, 0x40), 64) - 2, 0)
        if entry[0x42] != 2 or entry[:name_bytes].decode("utf-16-le", "replace") != "Workbook":
            continue
        start, size = _u32(entry, 0x74), _u32(entry, 0x78)
        if size < cutoff:  # kept in the mini stream: Excel and the libraries pad the stream past this
            return None
        return b"".join(sector(s) for s in chain(start, fat))[:size]
    return None


def _records(stream: bytes, at: int) -> Iterator[tuple[int, bytes]]:
    while at + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, at)
        yield kind, stream[at + 4:at + 4 + length]
        at += 4 + length


def _sheet_offsets(stream: bytes) -> dict[str, int]:
    """Sheet name → offset of its BOF in the stream (``BOUNDSHEET`` records of the globals)."""
    offsets: dict[str, int] = {}
    for kind, body in _records(stream, 0):
        if kind == _EOF:
            break
        if kind != _BOUNDSHEET or len(body) < 8:
            continue
        count, wide = body[6], body[7] & 1
        raw = body[8:8 + count * (2 if wide else 1)]
        offsets[raw.decode("utf-16-le" if wide else "latin-1")] = _u32(body, 0)
    return offsets


_HEAD = struct.Struct("<HH").unpack_from
_ROW_COLUMN = struct.Struct("<HH").unpack_from
_RANGE = struct.Struct("<HHHH").unpack_from


@dataclass(frozen=True)
class SheetCells:
    """What the records of an .xls sheet say of its cells: the first and last row holding a value
    (1-based), the first column holding one (0-based: fastexcel's grid leaves out the empty columns
    left of it), and the merged ranges that span rows, as (first column, 0-based; first row; last
    row), rows 1-based as the sheet numbers them; and the hidden rows."""
    first_row: int
    last_row: int
    first_column: int
    merges: list[tuple[int, int, int]]
    #: Rows hidden in the sheet (1-based): a filter, or hidden by hand (the ROW records' flag).
    hidden: tuple[int, ...] = ()


def _scan_sheet(stream: bytes, at: int) -> SheetCells | None:
    """One pass over the records of the sheet substream at ``at``, reading four bytes of each and four
    more of a value record (its row and column); the value test first, as most records are values.
    Measured on a 65,000-row roster (2M cells, 59 MB): 1.1 s for the rows alone; 1.6 s with
    ``struct.unpack_from`` by format and the value test last. Collecting the number cells of every
    column as well (to spare fastexcel a second load of the ID column) made the scan 2.1 s, and, run
    beside fastexcel, the whole read slower (3.4–3.6 s against 2.9–3.2 s): not kept. Reading each
    value's column too cost 1.88 → 2.05 s on 50,000 rows (the whole read 0.2–0.35 s slower): kept,
    for one pass that knows all a sheet needs. None: no value."""
    values, end = _VALUE_RECORDS, len(stream)
    first: int | None = None
    last, left, depth = -1, 1 << 16, 0
    merges: list[tuple[int, int, int]] = []
    hidden: list[int] = []
    while at + 4 <= end:
        kind, length = _HEAD(stream, at)
        if kind in values:
            if depth == 1 and length >= 4:
                row, column = _ROW_COLUMN(stream, at + 4)
                if first is None or row < first:
                    first = row
                if row > last:
                    last = row
                if column < left:
                    left = column
        elif kind == _BOF:
            depth += 1
        elif kind == _EOF:
            depth -= 1
            if depth == 0:
                break
        elif kind == _ROW_RECORD and depth == 1 and length >= 14:
            if _u16(stream, at + 16) & _ROW_HIDDEN:
                hidden.append(_u16(stream, at + 4) + 1)
        elif kind == _MERGEDCELLS and depth == 1 and length >= 2:
            count = min(_u16(stream, at + 4), (length - 2) // 8)
            for i in range(count):
                top, bottom, column, _right = _RANGE(stream, at + 6 + 8 * i)
                if bottom > top:
                    merges.append((column, top + 1, bottom + 1))
        at += 4 + length
    return None if first is None else SheetCells(first + 1, last + 1, left, merges, tuple(hidden))


def _sheet_stream(path: Path, sheet_name: str) -> tuple[bytes, int] | None:
    """The workbook stream and the offset of sheet ``sheet_name``'s BOF in it."""
    stream = workbook_stream(Path(path).read_bytes())
    if stream is None:
        return None
    at = _sheet_offsets(stream).get(sheet_name)
    if at is None or at + 4 > len(stream) or _u16(stream, at) != _BOF:
        return None
    return stream, at


def sheet_cells(path: Path, sheet_name: str) -> SheetCells | None:
    """The rows, first column and merged ranges of sheet ``sheet_name`` of the .xls at ``path`` (:class:`SheetCells`);
    None when they cannot be told (not BIFF8, damaged, no such sheet, no value)."""
    try:
        found = _sheet_stream(path, sheet_name)
        return None if found is None else _scan_sheet(*found)
    except (_Damaged, struct.error, OSError, UnicodeDecodeError):
        return None


def used_rows(path: Path, sheet_name: str) -> tuple[int, int] | None:
    """(first, last) row, 1-based, holding a value in sheet ``sheet_name`` of the .xls at ``path``;
    None when that cannot be told (not BIFF8, damaged, no such sheet, no value)."""
    cells = sheet_cells(path, sheet_name)
    return None if cells is None else (cells.first_row, cells.last_row)
