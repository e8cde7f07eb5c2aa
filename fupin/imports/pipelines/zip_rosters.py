"""A ZIP of rosters (分村文件打包) read as one roster — the villages' files put together.

A county sends each village its part of the roster (分村导出: one file per village, in a ZIP) and gets
the files back corrected. Importing them one by one is one review per village; a ZIP of them is one
batch, reviewed once with its counts per village (and any village held back, :mod:`fupin.imports.holding`).
Decisions:

- **What is read.** Every file of the archive, in the order of their names; folders, macOS's
  ``__MACOSX/`` copies, hidden files (``.…``), Office lock files (``~$…``), ``Thumbs.db`` and
  ``desktop.ini`` are skipped. Each file is read as a roster on its own (xlsx, xls, ods or CSV, told
  apart by content); one that cannot be read refuses the whole archive, naming the file. A ZIP of
  files inside the ZIP — the townships' ZIPs of their villages' files, put together by the county — is
  read in its place, its files named ``乡镇.zip/村.xlsx``; one level only (a ZIP inside that one refuses
  the archive). At most :data:`MAX_FILES` files and :data:`MAX_UNPACKED_BYTES` unpacked, nested files
  counted (a guard against archives that unpack to far more than they weigh).
- **Names.** Archives made on Chinese Windows store names in GBK without saying so (ZIP's flag for
  UTF-8 unset); such names are decoded as GB18030, so "城东村.xlsx" is not shown as "│╟╢½┤σ.xlsx".
- **Row numbers.** Each file keeps its own row numbers; the ``k``-th file's row ``r`` is carried as
  ``k × ROW_STRIDE + r`` (:data:`ROW_STRIDE` = 1,000,000: no village file has that many rows; one that
  has is refused). Wherever a row is shown — the rejected rows on the page, in the errors and
  rows-to-fix files, the API — it is shown as the file's name and its row (:func:`row_label`), and
  the reasons that name another row ("同户第N行", "另见第N行") say "第k个文件第r行" (:func:`reason_rows`).
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath

import polars as pl

from .file_kind import FileKindError, file_kind

ROW_STRIDE = 1_000_000
MAX_FILES = 2_000
MAX_UNPACKED_BYTES = 4 << 30
_SKIPPED_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}


def entry_name(info: zipfile.ZipInfo) -> str:
    """The entry's name as its maker meant it: GBK names without the UTF-8 flag decoded as GB18030."""
    name = info.filename
    if info.flag_bits & 0x800:
        return name
    try:
        return name.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return name


def roster_entries(archive: zipfile.ZipFile) -> list[tuple[str, zipfile.ZipInfo]]:
    """``(name, entry)`` of the files to read, by name."""
    found = []
    for info in archive.infolist():
        name = entry_name(info)
        parts = PurePosixPath(name.replace("\\", "/")).parts
        if info.is_dir() or not parts or parts[0] == "__MACOSX":
            continue
        base = parts[-1]
        if base.startswith((".", "~$")) or base.lower() in _SKIPPED_NAMES:
            continue
        found.append((name, info))
    return sorted(found, key=lambda pair: pair[0])


def unpacked(path: Path, error: type[Exception], folder: Path) -> Iterator[tuple[int, str, Path]]:
    """``(k, name, file)`` for each file to read (k from 1), unpacked one at a time into ``folder`` (the
    caller's temporary folder: it deletes each file once read, and may read two at once). A ZIP of
    files among them (a township's villages, packed by the township) is opened in turn: its files are
    read in the order of their names, in its place, named ``乡镇.zip/村.xlsx``; a ZIP inside that one is
    refused. ``error(reason)`` for an archive with no file, too many files or too many bytes unpacked
    (nested files counted with the rest)."""
    budget = _Budget(error)
    with zipfile.ZipFile(path) as archive:
        entries = roster_entries(archive)
        if not entries:
            raise error("压缩包中没有文件 / the ZIP archive holds no file")
        budget.take(entries)
        k = 0
        for name, info in entries:
            k += 1
            target = _unpack(archive, info, Path(folder) / f"{k:04d}{PurePosixPath(name).suffix[:10]}")
            if not _is_archive(target):
                yield k, name, target
                continue
            k -= 1  # the archive is not a file of the batch: its files are
            target = target.rename(Path(folder) / f"archive-{k + 1:04d}.zip")  # never the name of a file in it
            try:
                with zipfile.ZipFile(target) as inner:
                    inner_entries = roster_entries(inner)
                    if not inner_entries:
                        raise error(f"{name}: 压缩包中没有文件 / the ZIP archive holds no file")
                    budget.take(inner_entries, nested=True)
                    for inner_name, inner_info in inner_entries:
                        k += 1
                        file = _unpack(inner, inner_info,
                                       Path(folder) / f"{k:04d}{PurePosixPath(inner_name).suffix[:10]}")
                        if _is_archive(file):
                            file.unlink()
                            raise error(f"{name}/{inner_name}: 压缩包最多嵌套一层(压缩包里的压缩包里不能再有压缩包)/ "
                                        "a ZIP may hold ZIPs of files, not ZIPs of ZIPs")
                        yield k, f"{name}/{inner_name}", file
            except zipfile.BadZipFile as exc:
                raise error(f"{name}: 压缩包已损坏,无法打开 / the ZIP archive is damaged") from exc
            finally:
                target.unlink(missing_ok=True)


class _Budget:
    """The files and bytes an archive may unpack to (:data:`MAX_FILES`, :data:`MAX_UNPACKED_BYTES`),
    nested archives' files counted in place of the archive."""

    def __init__(self, error: type[Exception]) -> None:
        self.error, self.files, self.bytes = error, 0, 0

    def take(self, entries: Sequence[tuple[str, zipfile.ZipInfo]], *, nested: bool = False) -> None:
        self.files += len(entries) - (1 if nested else 0)
        self.bytes += sum(info.file_size for _name, info in entries)
        if self.files > MAX_FILES:
            raise self.error(f"压缩包中的文件超过{MAX_FILES}个 / the ZIP archive holds more than {MAX_FILES} files")
        if self.bytes > MAX_UNPACKED_BYTES:
            raise self.error(f"压缩包解压后超过{MAX_UNPACKED_BYTES >> 30} GB / the ZIP archive unpacks to more than "
                             f"{MAX_UNPACKED_BYTES >> 30} GB")


def _unpack(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path) -> Path:
    with archive.open(info) as source, open(target, "wb") as out:
        shutil.copyfileobj(source, out, 1 << 20)
    return target


def _is_archive(file: Path) -> bool:
    """A ZIP of files (not an xlsx or ods, which are ZIPs too: :func:`.file_kind.file_kind`). A file of
    no kind is not: reading it says what it is, naming it."""
    try:
        return file_kind(file) == "zip"
    except FileKindError:
        return False


def carried_rows(frame: pl.DataFrame, k: int) -> pl.DataFrame:
    """The ``k``-th file's frame with its ``_row`` carried as ``k × ROW_STRIDE + _row``."""
    return frame.with_columns((pl.col("_row").cast(pl.Int64) + k * ROW_STRIDE).alias("_row"))


def split_row(row: int) -> tuple[int, int]:
    """``(k, r)``: the file (from 1) and its own row of a carried row number."""
    return divmod(int(row), ROW_STRIDE)


def row_label(row: int, parts: Sequence[str], *, english: bool = False) -> str:
    """A row as the user finds it: ``城东村.xlsx 第12行`` (``english``: ``城东村.xlsx row 12``) for a batch
    read from a ZIP or a workbook's sheets (``parts``: their names), the number itself otherwise."""
    if not parts:
        return str(row)
    k, r = split_row(row)
    name = parts[k - 1] if 1 <= k <= len(parts) else f"#{k}"
    return f"{name} row {r}" if english else f"{name} 第{r}行"


def file_and_row(rows: pl.Expr, parts: Sequence[str]) -> tuple[pl.Expr, pl.Expr]:
    """(file name, own row) expressions of a column of carried row numbers."""
    k = (rows // ROW_STRIDE).cast(pl.Int64)
    names = pl.Series("parts", list(parts), dtype=pl.Utf8)
    name = k.replace_strict(list(range(1, len(parts) + 1)), names, default=None, return_dtype=pl.Utf8)
    return name, (rows % ROW_STRIDE).cast(pl.Int64)


def reason_rows(reason: pl.Expr, *, sheets: bool = False) -> pl.Expr:
    """A reason naming another row of a ZIP's files ("同户第3000012行", "row 3000012") reworded as
    "第3个文件第12行" / "row 12 of file 3" (a carried number is the file's number followed by six digits);
    of a workbook's sheets (``sheets``), "第3个工作表第12行" / "row 12 of sheet 3"."""
    unit, word = ("工作表", "sheet") if sheets else ("文件", "file")
    out = reason.str.replace_all(r"第(\d+)(\d{6})行", f"第${{1}}个{unit}第${{2}}行")
    out = out.str.replace_all(f"{unit}第0*(\\d+)行", f"{unit}第${{1}}行")
    out = out.str.replace_all(r"\brow (\d+)(\d{6})\b", f"row ${{2}} of {word} ${{1}}")
    return out.str.replace_all(f"\\brow 0*(\\d+) of {word}", f"row ${{1}} of {word}")
