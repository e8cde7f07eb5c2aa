"""Landing a file (fupin.core.landing): copied block by block with its SHA-256 and size; empty and
oversized files refused with nothing left behind."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile

from fupin.core import landing

# Three blocks and a bit: the copy crosses block boundaries.
DATA = bytes(range(256)) * (3 * landing.BLOCK_BYTES // 256) + b"tail"


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir())


def temporary_upload(data: bytes) -> TemporaryUploadedFile:
    upload = TemporaryUploadedFile("花名册.csv", "text/csv", len(data), "utf-8")
    upload.write(data)
    upload.seek(0)
    return upload


@pytest.mark.parametrize("kind", ["bytes", "path", "file", "file-read-halfway", "simple-upload", "temporary-upload"])
def test_every_source_lands_the_same_bytes(tmp_path, kind):
    source_path = tmp_path / "source.bin"
    source_path.write_bytes(DATA)
    folder = tmp_path / "landed"
    if kind == "bytes":
        source = DATA
    elif kind == "path":
        source = source_path
    elif kind == "file":
        source = io.BytesIO(DATA)
    elif kind == "file-read-halfway":  # a file someone already read from is landed whole
        source = io.BytesIO(DATA)
        source.read(1000)
    elif kind == "simple-upload":
        source = SimpleUploadedFile("花名册.csv", DATA)
    else:
        source = temporary_upload(DATA)
    landed = landing.land(source, folder, max_bytes=len(DATA))
    assert landed.size == len(DATA)
    assert landed.sha256 == hashlib.sha256(DATA).hexdigest()
    assert landed.path.parent == folder and landed.path.name.endswith(".part")
    assert landed.path.read_bytes() == DATA
    final = landed.keep_as(folder / "batch-000001.csv")
    assert final.read_bytes() == DATA
    assert leftovers(folder) == ["batch-000001.csv"]


def test_an_upload_is_read_in_blocks_not_whole(tmp_path):
    class Reader(io.BytesIO):
        largest = 0

        def read(self, size=-1):
            assert size != -1, "read whole"
            chunk = super().read(size)
            Reader.largest = max(Reader.largest, len(chunk))
            return chunk

    landed = landing.land(Reader(DATA), tmp_path, max_bytes=len(DATA))
    assert landed.size == len(DATA)
    assert Reader.largest == landing.BLOCK_BYTES


@pytest.mark.parametrize("source", [b"", io.BytesIO(b""), "path", "temporary-upload"],
                         ids=["bytes", "file", "path", "temporary-upload"])
def test_an_empty_file_is_refused_and_nothing_is_left(tmp_path, source):
    if source == "path":
        source = tmp_path.parent / f"{tmp_path.name}-empty.csv"
        source.write_bytes(b"")
    elif source == "temporary-upload":
        source = temporary_upload(b"")
    with pytest.raises(landing.LandingRefused) as refused:
        landing.land(source, tmp_path, max_bytes=100)
    assert refused.value.message == "文件为空 / the file is empty"
    assert leftovers(tmp_path) == []


def test_a_file_over_the_limit_is_refused_at_the_first_block_past_it(tmp_path):
    blocks_read = []

    class Counting(io.BytesIO):
        def read(self, size=-1):
            chunk = super().read(size)
            blocks_read.append(len(chunk))
            return chunk

    limit = landing.BLOCK_BYTES + 10  # the second block passes it
    with pytest.raises(landing.LandingRefused) as refused:
        landing.land(Counting(DATA), tmp_path, max_bytes=limit)
    assert refused.value.message == "文件超过1 MB / the file is larger than 1 MB"
    assert len(blocks_read) == 2  # stopped there: the rest of the file was never read
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("kind", ["path", "temporary-upload"])
def test_a_file_on_disk_is_copied_by_the_kernel_and_the_copy_hashed(tmp_path, kind, monkeypatch):
    """A path or a spooled upload is copied whole (``shutil.copyfile``: ``copy_file_range`` on Linux),
    not through Python's blocks; one over the limit is refused before anything is copied."""
    source_path = tmp_path / "source.bin"
    source_path.write_bytes(DATA)
    source = source_path if kind == "path" else temporary_upload(DATA)
    copies = []
    real = landing.shutil.copyfile
    monkeypatch.setattr(landing.shutil, "copyfile", lambda a, b: copies.append(a) or real(a, b))
    monkeypatch.setattr(landing, "_blocks", lambda source: pytest.fail("read in Python's blocks"))
    folder = tmp_path / "landed"
    with pytest.raises(landing.LandingRefused, match="文件超过"):
        landing.land(source, folder, max_bytes=len(DATA) - 1)
    assert copies == [] and leftovers(folder) == []
    landed = landing.land(source, folder, max_bytes=len(DATA))
    assert len(copies) == 1
    assert (landed.size, landed.sha256) == (len(DATA), hashlib.sha256(DATA).hexdigest())
    assert landed.path.read_bytes() == DATA


def test_a_pipe_given_by_path_is_read_as_a_stream(tmp_path):
    """``fupin import /dev/stdin`` or a shell's ``<(zcat …)``: a path that is not a regular file is read
    through the blocks (its size on disk says nothing)."""
    import os
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(DATA))
    writer.start()
    landed = landing.land(fifo, tmp_path / "landed", max_bytes=len(DATA))
    writer.join()
    assert (landed.size, landed.sha256) == (len(DATA), hashlib.sha256(DATA).hexdigest())


def test_a_file_that_changes_while_it_is_landed_is_refused(tmp_path, monkeypatch):
    source = tmp_path / "source.bin"
    source.write_bytes(b"x" * 100)
    real = landing.shutil.copyfile

    def changing(a, b):
        real(a, b)
        with open(a, "ab") as out:  # someone writes to it meanwhile
            out.write(b"y")
    monkeypatch.setattr(landing.shutil, "copyfile", changing)
    folder = tmp_path / "landed"
    with pytest.raises(landing.LandingRefused) as refused:
        landing.land(source, folder, max_bytes=1000)
    assert refused.value.message == landing.CHANGED_WHILE_READ
    assert leftovers(folder) == []


def test_a_file_exactly_at_the_limit_lands(tmp_path):
    landed = landing.land(b"x" * 1000, tmp_path, max_bytes=1000)
    assert landed.size == 1000


def test_a_failure_while_copying_leaves_nothing(tmp_path):
    class Broken(io.BytesIO):
        def read(self, size=-1):
            if self.tell() >= landing.BLOCK_BYTES:
                raise OSError("connection reset")
            return super().read(size)

    with pytest.raises(OSError, match="connection reset"):
        landing.land(Broken(DATA), tmp_path, max_bytes=len(DATA))
    assert leftovers(tmp_path) == []


def test_discard_removes_the_copy(tmp_path):
    landed = landing.land(b"abc", tmp_path, max_bytes=10)
    landed.discard()
    assert leftovers(tmp_path) == []


def test_the_limit_is_said_in_megabytes():
    assert landing.too_large(512 << 20) == "文件超过512 MB / the file is larger than 512 MB"
    assert landing.too_large(1024 << 20) == "文件超过1024 MB / the file is larger than 1024 MB"
    assert landing.too_large(1 << 19) == "文件超过0.50 MB / the file is larger than 0.50 MB"
