"""Photos come up apart from the operations, in resumable chunks keyed by their SHA-256.

A chunk must start where the server's copy ends (``received``), so a chunk lost or sent twice is a
409 naming the offset to resume from. The last chunk completes the file: its SHA-256 must be the one
named, its content an image (JPEG, PNG or WebP) and its size within ``SYNC_PHOTO_MAX_MB``; then it is
stored as ``photos/<sha256>.<ext>``, where operations name it. The same photo uploaded again is
already complete.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework import status

from core.errors import Rejected
from core.refusals import Conflict
from ingest.sniff import FileType, sniff

from .models import PhotoUpload
from .registry import PhotoMissing

PARTIAL_DIR = "sync-partial"
RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")
EXTENSIONS = {FileType.JPEG: "jpg", FileType.PNG: "png"}


def max_bytes() -> int:
    return int(float(settings.SYNC_PHOTO_MAX_MB) * 1024 * 1024)


def require_photos(names: list[str]) -> None:
    """``PhotoMissing`` naming those of ``names`` (storage names) not in our media yet."""
    missing = [name for name in names if not default_storage.exists(name)]
    if missing:
        raise PhotoMissing(missing)


def progress(upload: PhotoUpload | None) -> dict[str, Any]:
    if upload is None:
        return {"received": 0, "total": None, "complete": False, "path": ""}
    return {
        "received": upload.received,
        "total": upload.total,
        "complete": upload.complete,
        "path": upload.path,
    }


def parse_range(header: str) -> tuple[int, int, int]:
    """(start, end, total) of ``Content-Range: bytes start-end/total``, end inclusive."""
    found = RANGE.match(header.strip())
    if found is None:
        raise Rejected(
            _("Send the chunk's place as Content-Range: bytes <start>-<end>/<total>."), field="Content-Range"
        )
    start, end, total = (int(n) for n in found.groups())
    if end < start or end >= total:
        raise Rejected(_("Content-Range must have start <= end < total."), field="Content-Range")
    return start, end, total


def _image_type(path: Path) -> str | None:
    """The file's extension from its content, or None if it is not a JPEG, PNG or WebP image."""
    known = EXTENSIONS.get(sniff(path).type)
    if known:
        return known
    with open(path, "rb") as f:
        head = f.read(12)
    return "webp" if head[:4] == b"RIFF" and head[8:12] == b"WEBP" else None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _discard(upload: PhotoUpload, partial: Path) -> None:
    partial.unlink(missing_ok=True)
    upload.delete()


def _finish(upload: PhotoUpload, partial: Path) -> Rejected | None:
    """Check the whole file and store it; or discard it and say why."""
    if _sha256(partial) != upload.sha256:
        _discard(upload, partial)
        return Rejected(
            _("The photo's SHA-256 is not the one in the address: upload it again from the start."),
            code="hash_mismatch",
        )
    ext = _image_type(partial)
    if ext is None:
        _discard(upload, partial)
        return Rejected(_("This file is not a photo: send a JPEG, PNG or WebP image."), code="not_an_image")
    name = f"photos/{upload.sha256}.{ext}"
    if not default_storage.exists(name):
        try:
            with open(partial, "rb") as f:
                name = default_storage.save(name, File(f))
        except OSError as exc:
            from core.outages import DiskFull, is_disk_full, remove_partial

            if not is_disk_full(exc):
                raise
            # Nothing half-written under the photo's name; the received chunks stay, so the
            # client resumes once space is freed.
            remove_partial(default_storage, name)
            raise DiskFull() from exc
    partial.unlink(missing_ok=True)
    upload.path, upload.partial = name, ""
    upload.save(update_fields=["path", "partial", "updated_at"])
    return None


def receive(user: Any, sha256: str, content_range: str, chunk: bytes) -> tuple[PhotoUpload, bool]:
    """Append one chunk; the upload and whether the photo is newly complete."""
    start, end, total = parse_range(content_range)
    if total > max_bytes():
        raise Rejected(
            _("The photo is larger than %(mb)s MB: send it smaller.") % {"mb": settings.SYNC_PHOTO_MAX_MB},
            code="too_large",
            status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if len(chunk) != end - start + 1:
        raise Rejected(
            _("The chunk has %(got)s bytes, its Content-Range says %(said)s.")
            % {"got": len(chunk), "said": end - start + 1},
            field="Content-Range",
        )
    with transaction.atomic():
        upload, _created = PhotoUpload.objects.select_for_update().get_or_create(
            sha256=sha256, defaults={"user": user, "total": total, "partial": f"{PARTIAL_DIR}/{sha256}.part"}
        )
        if upload.complete:
            return upload, False
        if total != upload.total:
            raise Rejected(
                _("This photo's upload began with a total of %(total)s bytes.") % {"total": upload.total},
                field="Content-Range",
            )
        if start != upload.received:
            raise Conflict(
                _("Resume from byte %(offset)s: the server has that much of this photo.")
                % {"offset": upload.received},
                received=upload.received,
            )
        partial = Path(settings.MEDIA_ROOT) / upload.partial
        partial.parent.mkdir(parents=True, exist_ok=True)
        # A chunk written before its transaction failed is not part of the upload: cut it off.
        if partial.exists() and partial.stat().st_size > upload.received:
            os.truncate(partial, upload.received)
        with open(partial, "ab") as f:
            f.write(chunk)
        upload.received = end + 1
        upload.save(update_fields=["received", "updated_at"])
        if upload.received < upload.total:
            return upload, False
    with transaction.atomic():
        upload = PhotoUpload.objects.select_for_update().get(pk=upload.pk)
        if upload.complete:
            return upload, False
        refusal = _finish(upload, Path(settings.MEDIA_ROOT) / upload.partial)
    # Raised once the discarding is committed, which a refusal inside the transaction would undo.
    if refusal is not None:
        raise refusal
    return upload, True
