"""Vector tile endpoints: tiles, TileJSON and a MapLibre style.

These are plain Django views rather than DRF views: a tile is the hottest path in the platform,
and the work per request is a cache lookup or one SQL statement.
"""

from __future__ import annotations

import gzip
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from core.auth import refused, with_viewer
from core.errors import json_error
from geoportal.metrics import TILE_HITS, TILE_MISSES
from layers.api.filters import attribute_filters
from policy.predicates import may_list_layer

from .cache import CACHE_DOWN, Lookup, data_version, lookup, store
from .config import TILE_LAYERS, TileLayer
from .render import tile_body
from .style import city_bounds, maplibre_style, tilejson

MVT = "application/vnd.mapbox-vector-tile"
MAX_ZOOM = 22


class _TileResponse(HttpResponse):
    """A tile response that puts a freshly rendered tile in the cache once the server has sent it.

    The WSGI server calls ``close()`` after the last byte, so the Redis write costs the viewer
    nothing. A request that fails before then stores nothing, which is only a later re-render.
    """

    def __init__(self, *args: Any, cache_as: tuple[Lookup, bytes] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cache_as = cache_as

    def close(self) -> None:
        super().close()
        if self._cache_as is not None:
            store(*self._cache_as)
            self._cache_as = None


# A versioned public tile never changes: an edit changes its URL (``?v=``), not its bytes.
IMMUTABLE = "public, max-age=31536000, immutable"
# A redirect from a stale version: short, as the current version moves with the next edit.
STALE_REDIRECT = "public, max-age=60"


def _cache_control(viewer: Any, asked: str, current: str) -> str:
    """Long-lived only for what every anonymous caller is shown at the current data version;
    anything scoped to a viewer, or unversioned, revalidates every time (a cheap 304 by ETag)."""
    if viewer.is_authenticated:
        return "private, no-cache"
    if asked and current and asked == current:
        return IMMUTABLE
    return "public, no-cache"


def _to_current(request: HttpRequest, current: str, headers: dict[str, str]) -> HttpResponse:
    """A stale version is redirected rather than served: the target is the one immutable URL of
    the current data, so a CDN stores each tile once per version, whichever style a client holds."""
    query = request.GET.copy()
    query["v"] = current
    response = HttpResponse(status=302, headers={**headers, "Cache-Control": STALE_REDIRECT})
    response["Location"] = f"{request.path}?{query.urlencode()}"
    del response["ETag"]
    return response


def _layers(names: str) -> list[TileLayer] | None:
    wanted = names.split(",")
    if len(set(wanted)) != len(wanted) or any(name not in TILE_LAYERS for name in wanted):
        return None
    return [TILE_LAYERS[name] for name in wanted]


def out_of_range(z: int, x: int, y: int, max_zoom: int) -> JsonResponse | None:
    """A 400 for a tile address that does not exist (vector and raster tiles alike)."""
    if 0 <= z <= max_zoom and 0 <= x < 2**z and 0 <= y < 2**z:
        return None
    return json_error(
        400,
        "tile_out_of_range",
        _("Tile %(z)s/%(x)s/%(y)s does not exist: z is 0–%(max)s and x, y are 0 to 2^z − 1.")
        % {"z": z, "x": x, "y": y, "max": max_zoom},
    )


@with_viewer
def vector_tile(request: HttpRequest, layers: str, z: int, x: int, y: int, *, viewer: Any) -> HttpResponse:
    chosen = _layers(layers)
    if chosen is None:
        return json_error(
            404,
            "unknown_layer",
            _("Unknown layer in %(layers)s; GET /api/layers/ lists them.") % {"layers": layers},
        )
    refused_address = out_of_range(z, x, y, MAX_ZOOM)
    if refused_address:
        return refused_address
    if not all(may_list_layer(viewer, layer.spec) for layer in chosen):
        return refused(viewer, _("This layer is internal: log in with a role that may see it."))

    filters = dict(request.GET.items())
    asked = filters.pop("v", "")  # the data version in a versioned public URL, not a filter
    try:
        for layer in chosen:
            attribute_filters(layer.spec, filters)
    except ValidationError as exc:
        return json_error(400, "invalid", _("Invalid tile filter."), exc.detail)

    names = [layer.name for layer in chosen]
    found = lookup(names, z, x, y, viewer, filters)
    etag = f'"{found.etag}"'
    headers: dict[str, str] = {}
    if not viewer.is_authenticated and not asked:
        # nginx's one-second micro-cache of unversioned anonymous tiles (nginx drops the header).
        # It must come before Cache-Control: nginx reads the headers in order, and a "no-cache"
        # read first would make the response uncacheable.
        headers["X-Accel-Expires"] = "1"
    headers |= {
        "ETag": etag,
        "Cache-Control": _cache_control(viewer, asked, found.version),
        "Vary": "Authorization, Cookie, Accept-Encoding",
        "Access-Control-Allow-Origin": "*",
    }
    if asked and found.version and asked != found.version and not viewer.is_authenticated:
        return _to_current(request, found.version, headers)
    if request.headers.get("If-None-Match") == etag:
        TILE_HITS.inc()
        return HttpResponse(status=304, headers=headers)

    body, rendered = tile_body(found, chosen, z, x, y, viewer, filters)
    (TILE_MISSES if rendered else TILE_HITS).inc()
    cache_as = (found, body) if rendered else None
    if not body:
        return _TileResponse(status=204, headers=headers, cache_as=cache_as)
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        headers["Content-Encoding"] = "gzip"
        payload = body
    else:
        payload = gzip.decompress(body)
    return _TileResponse(payload, content_type=MVT, headers=headers, cache_as=cache_as)


@with_viewer
def tilejson_view(request: HttpRequest, layer: str, *, viewer: Any) -> HttpResponse:
    """Refused exactly as the layer's tiles are: an internal layer's TileJSON names its attribute
    fields, and an anonymous caller has no business learning them."""
    chosen = _layers(layer)
    if chosen is None:
        return json_error(404, "unknown_layer", _("Unknown layer %(layers)s.") % {"layers": layer})
    if not all(may_list_layer(viewer, tile_layer.spec) for tile_layer in chosen):
        return refused(viewer, _("This layer is internal: log in with a role that may see it."))
    # Anonymous callers get versioned (immutable) URLs; a logged-in viewer's tiles are scoped to
    # them and stay unversioned and private.
    version = None if viewer.is_authenticated else _data_version([layer.name for layer in chosen])
    return JsonResponse(tilejson(request, chosen, city_bounds(), version))


def _data_version(names: list[str]) -> str | None:
    """None when Redis is down: unversioned URLs still work, they are only cached less."""
    try:
        return data_version(names)
    except CACHE_DOWN:
        return None


STYLE_LANGUAGES = {"zh": "zh-hans", "en": "en"}


def style_view(request: HttpRequest) -> HttpResponse:
    """The same for everyone: it draws public layers only (``maplibre_style``). Its labels are in
    the page's language, ``?lang=zh|en`` (the page names it: a browser's Accept-Language is not the
    page's choice), else the request's."""
    language = STYLE_LANGUAGES.get(request.GET.get("lang", ""), translation.get_language())
    with translation.override(language):
        return JsonResponse(maplibre_style(request, city_bounds()))
