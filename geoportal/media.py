"""Uploaded files under /media/, served only to those who may read the record that owns them.

A file belongs to one record: an ingest job's upload, a panorama's image, thumbnail or tiles, an
orthophoto's COG, or a carrier's photo. The reader must pass the same rule as for the record itself
(``read_filter``, or ``visible_jobs`` for uploads); anything else is a 404, so the existence of an
internal file is not revealed. Behind nginx the bytes go out through ``X-Accel-Redirect`` to an
internal location (``MEDIA_ACCEL_REDIRECT``); without it, Django streams the file.
"""

from __future__ import annotations

import mimetypes
import posixpath
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import Q
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from rest_framework.exceptions import AuthenticationFailed

from accounts.permissions import read_filter
from geoportal.api.errors import error_body
from layers.registry import LAYERS
from tiles.views import tile_user


def _clean(name: str) -> str | None:
    """The storage name, or None when the path tries to leave the media folder."""
    cleaned = posixpath.normpath(name).lstrip("/")
    if cleaned.startswith("..") or cleaned in ("", ".") or "\x00" in cleaned:
        return None
    return cleaned


def _owners(name: str) -> list[tuple[str, Q]]:
    """(layer, filter) pairs naming the records that own a layer file."""
    parts = name.split("/")
    if parts[0] == "panoramas":
        if len(parts) > 3 and parts[1] == "tiles":
            return [("panoramas", Q(tiles_path="/".join(parts[:3])))]
        return [("panoramas", Q(image=name) | Q(thumbnail=name))]
    if parts[0] == "orthophotos":
        return [("orthophotos", Q(cog=name))]
    photos = [spec.name for spec in LAYERS.values() if "photos" in {f.name for f in spec.model._meta.fields}]
    return [(layer, Q(photos__contains=[name])) for layer in photos]


def may_read(user: Any, name: str) -> bool:
    """Whether this user may download the media file ``name`` (a storage name)."""
    if name.startswith("ingest/"):
        from ingest.submit import visible_jobs

        return visible_jobs(user).filter(file=name).exists()
    for layer, owns in _owners(name):
        spec = LAYERS[layer]
        if spec.model.objects.filter(owns).filter(read_filter(user, spec)).exists():
            return True
    return False


def serve_media(request: HttpRequest, name: str) -> HttpResponse:
    def not_found() -> JsonResponse:
        message = _("No file %(name)s that you may see. Log in, or ask for the record it belongs to.")
        return JsonResponse(error_body("not_found", message % {"name": name}), status=404)

    try:
        user = tile_user(request)
    except AuthenticationFailed as exc:
        return JsonResponse(error_body("authentication_failed", str(exc.detail)), status=401)
    cleaned = _clean(name)
    if cleaned is None or not may_read(user, cleaned) or not default_storage.exists(cleaned):
        return not_found()
    accel = settings.MEDIA_ACCEL_REDIRECT
    if accel:
        response = HttpResponse()
        response["X-Accel-Redirect"] = accel.rstrip("/") + "/" + cleaned
        response["Content-Type"] = mimetypes.guess_type(cleaned)[0] or "application/octet-stream"
    else:
        response = FileResponse(default_storage.open(cleaned, "rb"))
    # The answer depends on who asks: a browser may keep it, a shared cache may not.
    response["Cache-Control"] = "private, max-age=3600" if user.is_authenticated else "public, max-age=300"
    response["Vary"] = "Cookie, Authorization"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response
