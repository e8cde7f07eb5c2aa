"""Department list files for tests, written as real xlsx (xlsxwriter) and CSV (UTF-8, UTF-8-BOM, GBK).

``rows`` are lists of cell values under ``headers``; ``title_rows`` go above the header (merged in
xlsx); ``numeric_id_rows`` (indexes into ``rows``) write the ID as a NUMBER cell, as Excel does to a
typed-in ID; ``date_cells`` {(row index, column index): datetime} write real date cells. The file row
of ``rows[i]`` is ``len(title_rows) + 2 + i`` (1-based, header included), blank lines counted.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path

import xlsxwriter

from fupin.policy.idnumber import make_id_number


def person_id(n: int, address6: str = "350421", year: int = 1960) -> str:
    """A valid 18-character ID, distinct for each ``n`` < 1000 × 28."""
    return make_id_number(address6, date(year, 1 + n % 12, 1 + (n // 12) % 28), n % 1000)


def write_csv(path: Path, headers: Sequence[str], rows: Sequence[Sequence[object]], *, encoding: str = "utf-8",
              title_rows: Sequence[str] = (), after: Sequence[str] = ()) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for title in title_rows:
        writer.writerow([title])
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    for line in after:
        writer.writerow([line])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, headers: Sequence[str], rows: Sequence[Sequence[object]], *,
               title_rows: Sequence[str] = (), numeric_id_rows: Iterable[int] = (), id_column: int = 0,
               date_cells: dict[tuple[int, int], datetime] | None = None, sheet_name: str = "Sheet1") -> Path:
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet(sheet_name)
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    numeric = set(numeric_id_rows)
    r = 0
    for title in title_rows:
        sheet.merge_range(r, 0, r, max(len(headers) - 1, 1), title)
        r += 1
    for c, header in enumerate(headers):
        sheet.write_string(r, c, header)
    r += 1
    for i, row in enumerate(rows):
        for c, value in enumerate(row):
            if date_cells and (i, c) in date_cells:
                sheet.write_datetime(r, c, date_cells[(i, c)], date_format)
            elif c == id_column and i in numeric:
                sheet.write_number(r, c, float(str(value)))
            elif value not in (None, ""):
                sheet.write_string(r, c, str(value))
        r += 1
    workbook.close()
    return path
