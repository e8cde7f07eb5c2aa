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
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.etree import ElementTree

TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_ROW, _CELL, _TABLE = f"{{{TABLE}}}table-row", f"{{{TABLE}}}table-cell", f"{{{TABLE}}}table"
_NAME, _REPEATED = f"{{{TABLE}}}name", f"{{{TABLE}}}number-rows-repeated"
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
                    if any(_has_value(cell) for cell in element.iter(_CELL)):
                        return row_number + 1
                    row_number += int(element.get(_REPEATED) or 1)
                element.clear()  # a row read is not kept (another sheet's rows neither)
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, ValueError):
        return None
    return None
