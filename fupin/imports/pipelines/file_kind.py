"""What kind of file an upload is (文件类型), by its first bytes — not by its name.

County offices rename files, and other systems export files whose name says more than their content:
an "xls" that is a web page (HTML table), a "csv" that is an xlsx, Excel's "Unicode text" (UTF-16).
The readers (roster import, department lists) ask :func:`file_kind` first and read an xlsx as xlsx
whatever its name; every file they cannot read gets a message naming what it is and what to do,
instead of a parser's error from deep inside.

- ``PK\\x03\\x04`` (a ZIP archive): an OpenDocument spreadsheet (ods: LibreOffice, WPS "ODF 表格") when
  its first entry says so (:func:`.ods_rows.is_ods`); another OpenDocument file (a text document, a
  presentation): not read; a ZIP of files (no ``[Content_Types].xml`` among its entries, as every
  Office Open XML file has; e.g. the villages' rosters put together, :mod:`.zip_rosters`): ``zip``,
  read only by a reader that takes archives; otherwise xlsx (whether it really is one, fastexcel
  says; its error is turned into a plain message by :func:`unreadable_workbook`);
- OLE2 (``D0 CF 11 E0``): xls, Excel 97–2003 (or another old Office file, which fastexcel refuses);
- a web page or XML (``<html``, ``<table``, ``<?xml`` at the start): not read (save as .xlsx);
- UTF-16 text (a byte-order mark FF FE / FE FF): not read (save as CSV UTF-8);
- anything else with a NUL byte in its first 64 KiB: not a text file;
- otherwise: CSV (the CSV reader judges its encoding).
"""

from __future__ import annotations

import csv
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import fastexcel

from .ods_rows import is_ods, odf_other

T = TypeVar("T")

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MARKUP = re.compile(rb"^\s*<(?:!doctype\s+html|html|table|\?xml|meta|head|body|div)\b", re.I)

XLS_ROWS_UNKNOWN = ("无法确定该.xls文件的行号,请在Excel或WPS中另存为.xlsx后导入 / the row numbers of this .xls file "
                    "cannot be told: save it as .xlsx in Excel or WPS and import that")
MARKUP = ("这是网页(HTML)或XML文件,虽然文件名像表格;请在Excel或WPS中打开并另存为.xlsx后导入 / this is a web page "
          "(HTML) or XML file with a spreadsheet's name: open it in Excel or WPS, save it as .xlsx and import that")
UTF16 = ("这是UTF-16编码的文本(Excel的“Unicode文本”),请另存为“CSV UTF-8”或.xlsx后导入 / this is UTF-16 text (Excel's "
         "\"Unicode text\"): save it as \"CSV UTF-8\" or .xlsx and import that")
NOT_TEXT = "不是xlsx、xls或CSV文件 / not an xlsx, xls or CSV file"
ODF_NOT_SHEET = ("这是OpenDocument文本或演示文档,不是表格;请导入花名册表格(.xlsx、.xls、.ods或CSV)/ this is an OpenDocument "
                 "text or presentation, not a spreadsheet: import the roster's spreadsheet (.xlsx, .xls, .ods or CSV)")
ZIP_NOT_SHEET = ("这是ZIP压缩包,不是表格;请解压后导入其中的表格 / this is a ZIP archive, not a spreadsheet: unpack it and "
                 "import the spreadsheet inside")
ODS_ROWS_UNKNOWN = ("无法确定该.ods文件的行号,请另存为.xlsx后导入 / the row numbers of this .ods file cannot be told: "
                    "save it as .xlsx and import that")


class FileKindError(ValueError):
    """The file is not one the readers take (the message says what it is and what to do)."""


def file_kind(path: Path) -> str:
    """``"xlsx"``, ``"ods"``, ``"xls"``, ``"csv"`` or ``"zip"`` (an archive of files) for ``path``, by its
    content; :class:`FileKindError` otherwise."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    if head.startswith(ZIP_MAGIC):
        if is_ods(head):
            return "ods"
        if odf_other(head):
            raise FileKindError(ODF_NOT_SHEET)
        return "zip" if is_plain_zip(path) else "xlsx"
    if head.startswith(OLE2_MAGIC):
        return "xls"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileKindError(UTF16)
    if _MARKUP.match(head.removeprefix(b"\xef\xbb\xbf")):
        raise FileKindError(MARKUP)
    if b"\x00" in head:
        raise FileKindError(NOT_TEXT)
    return "csv"


def is_plain_zip(path: Path) -> bool:
    """A ZIP archive that is not an Office Open XML file (no ``[Content_Types].xml`` entry). A damaged
    archive whose directory cannot be read counts as xlsx, so fastexcel's message says so."""
    try:
        with zipfile.ZipFile(path) as archive:
            return "[Content_Types].xml" not in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def unreadable_workbook(exc: Exception) -> str:
    """The message for a workbook (a ZIP archive or an OLE2 file) that fastexcel cannot open: a
    damaged or cut-off file, or one that is not a workbook (a .docx, a .doc, a .zip of files)."""
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (f"无法读取该Excel文件(文件可能已损坏、不完整,或不是Excel工作簿) / the Excel file cannot be read: it may be "
            f"damaged, cut off, or not an Excel workbook ({detail[:200]})")


def read_by_kind(path: Path, *, workbook: Callable[[Path, str], T], text: Callable[[Path], T],
                 error: Callable[[str], Exception], archive: Callable[[Path], T] | None = None) -> T:
    """Read ``path`` with ``workbook(path, "xlsx" | "xls" | "ods")``, ``text(path)`` (CSV) or, for a ZIP
    of files, ``archive(path)`` by :func:`file_kind`; a file of another kind (a ZIP without an
    ``archive`` reader too), a workbook fastexcel cannot open and a CSV the ``csv`` module cannot split
    raise ``error(reason)``. The readers' own errors pass through."""
    try:
        kind = file_kind(path)
    except FileKindError as exc:
        raise error(str(exc)) from exc
    if kind == "zip":
        if archive is None:
            raise error(ZIP_NOT_SHEET)
        return archive(path)
    try:
        return workbook(path, kind) if kind in ("xlsx", "xls", "ods") else text(path)
    except fastexcel.FastExcelError as exc:
        raise error(unreadable_workbook(exc)) from exc
    except csv.Error as exc:
        raise error(f"CSV文件格式有误 / the CSV file is malformed: {exc}") from exc
