"""Visit photos (走访照片): what is accepted, by content, not by the name or the browser's word.

Accepted: JPEG, PNG, WebP and HEIC (what phone cameras write), recognised by their first bytes; at most
``FUPIN_VISIT_PHOTO_MAX_BYTES`` each (default 8 MB) and ``FUPIN_VISIT_PHOTOS_MAX`` per visit (default 6).
Files go to the data folder (``MEDIA_ROOT``, under ``assistance/visits/<village>/``) with a random name;
they are served only through the scoped photo view, never as public media.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

DEFAULT_MAX_BYTES = 8 * 1024 * 1024
DEFAULT_MAX_PHOTOS = 6


def max_bytes() -> int:
    return int(getattr(settings, "FUPIN_VISIT_PHOTO_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_photos() -> int:
    return int(getattr(settings, "FUPIN_VISIT_PHOTOS_MAX", DEFAULT_MAX_PHOTOS))


def sniff(head: bytes) -> str | None:
    """The image type of a file from its first bytes, or None when it is not an accepted image."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"hevc"):
        return "image/heic"
    return None


@dataclass(frozen=True)
class PhotoProblem:
    name: str
    message: str


def check(upload: Any) -> tuple[str | None, PhotoProblem | None]:
    """``(content type, None)`` for an acceptable upload, ``(None, problem)`` otherwise."""
    name = str(getattr(upload, "name", "") or "")
    size = int(getattr(upload, "size", 0) or 0)
    if size <= 0:
        return None, PhotoProblem(name, f"照片 {name} 是空文件 / the photo {name} is empty")
    if size > max_bytes():
        mb = max_bytes() // (1024 * 1024)
        return None, PhotoProblem(name, f"照片 {name} 超过 {mb} MB / the photo {name} is larger than {mb} MB")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    kind = sniff(head)
    if kind is None:
        return None, PhotoProblem(name, f"{name} 不是照片(只接受 JPEG、PNG、WebP、HEIC) / {name} is not a photo "
                                        "(JPEG, PNG, WebP or HEIC only)")
    return kind, None


__all__ = ["PhotoProblem", "check", "max_bytes", "max_photos", "sniff"]
