"""Uploaded files under /media/, served only to those who may read the record that owns them.

Which record owns a file, and the rule that the file follows it, are the policy's
(``policy.media``); anything unreadable is a 404, so the existence of an internal file is not
revealed. Behind nginx the bytes go out through ``X-Accel-Redirect`` to an internal location
(``MEDIA_ACCEL_REDIRECT``); without it, Django streams the file.
"""

from __future__ import annotations

import mimetypes
import posixpath
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from core.auth import with_viewer
from core.errors import json_error
from policy.media import can_read_media


def _clean(name: str) -> str | None:
    """The storage name, or None when the path tries to leave the media folder."""
    cleaned = posixpath.normpath(name).lstrip("/")
    if cleaned.startswith("..") or cleaned in ("", ".") or "\x00" in cleaned:
        return None
    return cleaned


@with_viewer
def serve_media(request: HttpRequest, name: str, *, viewer: Any) -> HttpResponse:
    cleaned = _clean(name)
    if cleaned is None or not can_read_media(viewer, cleaned) or not default_storage.exists(cleaned):
        message = _("No file %(name)s that you may see. Log in, or ask for the record it belongs to.")
        return json_error(404, "not_found", message % {"name": name})
    accel = settings.MEDIA_ACCEL_REDIRECT
    if accel:
        response = HttpResponse()
        response["X-Accel-Redirect"] = accel.rstrip("/") + "/" + cleaned
        response["Content-Type"] = mimetypes.guess_type(cleaned)[0] or "application/octet-stream"
    else:
        response = FileResponse(default_storage.open(cleaned, "rb"))
    # The answer depends on who asks: a browser may keep it, a shared cache may not.
    response["Cache-Control"] = "private, max-age=3600" if viewer.is_authenticated else "public, max-age=300"
    response["Vary"] = "Cookie, Authorization"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response
