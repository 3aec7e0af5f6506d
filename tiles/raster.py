"""Raster tiles of orthophotos: XYZ PNG/WebP through rio-tiler, and TileJSON.

The same permission cut as the layer API (``read_filter``): anonymous viewers get published
orthophotos, a logged-in viewer (session or ``Authorization: Token …``) also those in their scope;
anything else is a 404, so the existence of an internal orthophoto is not revealed. A tile outside
the image, or wholly transparent, is a 204.
"""

from __future__ import annotations

from typing import Any

from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from rasterio.errors import RasterioIOError
from rio_tiler.errors import TileOutsideBounds
from rio_tiler.io import Reader

from core.auth import with_viewer
from core.errors import json_error
from layers.models import Orthophoto
from policy.predicates import read_filter

from .views import out_of_range

MAX_ZOOM = 24
FORMATS = {"png": ("PNG", "image/png"), "webp": ("WEBP", "image/webp")}


def _orthophoto(user: Any, pk: int) -> tuple[Orthophoto | None, JsonResponse | None]:
    ortho = (
        Orthophoto.objects.filter(read_filter(user, "orthophotos"), pk=pk)
        .only("pk", "title", "cog", "version", "is_public", "resolution_m", "captured_on")
        .first()
    )
    if ortho is None or not ortho.cog:
        return (
            None,
            json_error(
                404,
                "not_found",
                _("No orthophoto %(id)s that you may see; GET /api/orthophotos/ lists them.") % {"id": pk},
            ),
        )
    return ortho, None


def _headers(user: Any, etag: str) -> dict[str, str]:
    return {
        "ETag": etag,
        "Cache-Control": "private, no-cache" if user.is_authenticated else "public, no-cache",
        "Vary": "Authorization, Cookie",
        "Access-Control-Allow-Origin": "*",
    }


@with_viewer
def raster_tile(
    request: HttpRequest, pk: int, z: int, x: int, y: int, ext: str, *, viewer: Any
) -> HttpResponse:
    refused_address = out_of_range(z, x, y, MAX_ZOOM)
    if refused_address:
        return refused_address
    ortho, error = _orthophoto(viewer, pk)
    if error:
        return error
    etag = f'"o{ortho.pk}v{ortho.version}-{z}-{x}-{y}.{ext}"'
    headers = _headers(viewer, etag)
    if request.headers.get("If-None-Match") == etag:
        return HttpResponse(status=304, headers=headers)
    try:
        with Reader(default_storage.path(ortho.cog.name)) as src:
            img = src.tile(x, y, z)
    except TileOutsideBounds:
        return HttpResponse(status=204, headers=headers)
    except RasterioIOError:
        return json_error(
            404, "not_found", _("The orthophoto's image file is missing; ask an administrator.")
        )
    if img.mask is not None and not img.mask.any():
        return HttpResponse(status=204, headers=headers)
    driver, content_type = FORMATS[ext]
    body = img.render(img_format=driver, add_mask=True)
    return HttpResponse(body, content_type=content_type, headers=headers)


@with_viewer
def tilejson(request: HttpRequest, pk: int, *, viewer: Any) -> HttpResponse:
    ortho, error = _orthophoto(viewer, pk)
    if error:
        return error
    try:
        with Reader(default_storage.path(ortho.cog.name)) as src:
            west, south, east, north = src.get_geographic_bounds(src.tms.rasterio_geographic_crs)
            minzoom, maxzoom = src.minzoom, src.maxzoom
    except RasterioIOError:
        return json_error(
            404, "not_found", _("The orthophoto's image file is missing; ask an administrator.")
        )
    base = request.build_absolute_uri(f"/tiles/raster/{ortho.pk}/")
    doc = {
        "tilejson": "3.0.0",
        "name": ortho.title,
        "description": _("Orthophoto, %(res)s m per pixel") % {"res": ortho.resolution_m},
        "version": str(ortho.version),
        "scheme": "xyz",
        "format": "png",
        "tiles": [base + "{z}/{x}/{y}.png"],
        "webp_tiles": [base + "{z}/{x}/{y}.webp"],
        "tileSize": 256,
        "minzoom": minzoom,
        "maxzoom": maxzoom,
        "bounds": [round(v, 7) for v in (west, south, east, north)],
        "center": [
            round((west + east) / 2, 7),
            round((south + north) / 2, 7),
            max(minzoom, min(maxzoom, 16)),
        ],
        "captured_on": ortho.captured_on.isoformat() if ortho.captured_on else None,
    }
    return JsonResponse(doc, headers=_headers(viewer, f'"o{ortho.pk}v{ortho.version}"'))
