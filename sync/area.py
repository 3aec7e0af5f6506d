"""``GET /api/sync/area/``: everything the phone keeps to work offline in the caller's area.

The phone asks when it has a network and keeps the answer, so that with none it can still draw the
map of its cell, say what is within so many metres and whether a point lies in the cell:

- ``cells``: the caller's grid cells as GeoJSON (a grid worker's one cell; the cells in the scope of
  a user bound to a division), at most ``MAX_CELLS``;
- ``bounds``: ``[west, south, east, north]`` of those cells;
- ``tiles``: the vector tiles covering the bounds, from ``MINZOOM`` to ``MAXZOOM``, of the layers
  the caller may list, for the phone to fetch into its cache (at most ``MAX_TILES``, lowest zooms
  first);
- ``features``: the field points and places in those cells, each a point with a name;
- ``categories``: the active field point and event categories, in the request's language;
- ``version``: a short hash of all of the above, equal for an unchanged area, so the phone can skip
  redrawing it; ``generated_at``.

Every cut is the policy's (``read_filter``, ``may_list_layer``): the phone is given nothing its
user could not read through the layer API.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from itertools import islice
from typing import Any

import mercantile
from django.contrib.gis.db.models import Extent
from django.contrib.gis.db.models.functions import AsGeoJSON, PointOnSurface
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.names import in_language
from grid.models import EventCategory
from layers.models import FieldPoint, FieldPointCategory, GridCell, Place
from layers.registry import LAYERS
from policy.predicates import may_list_layer, read_filter
from tiles.config import SOURCE_MAXZOOM, TILE_LAYERS

from .api import MaySync

MAX_CELLS = 200
MAX_TILES = 2000
MAX_FEATURES = 2000
# The layers a worker needs on the map in the field, bottom to top.
OFFLINE_LAYERS = ("grid_cells", "buildings", "parcels", "field_points", "places", "patrol_tracks")
# From the zoom where field points are drawn one by one (below it a tile carries counts per
# division, of no use in one's own cell) to the highest a tile source serves (the map draws those
# tiles larger beyond it), as tiles.config says.
MINZOOM = TILE_LAYERS["field_points"].detail_minzoom
MAXZOOM = SOURCE_MAXZOOM
TILES_URL = "/tiles/"  # tiles.urls, where geoportal.urls mounts it
NOTE_CHARS = 40  # of a field point's note in its name: enough to tell two apart in a list


def tile_cover(bounds: list[float], minzoom: int, maxzoom: int) -> Iterator[tuple[int, int, int]]:
    """The tiles ``(z, x, y)`` covering ``bounds`` (west, south, east, north in degrees), zoom by
    zoom from ``minzoom`` (mercantile, as ``manage.py tiles`` seeds them)."""
    west, south, east, north = bounds
    for zoom in range(minzoom, maxzoom + 1):
        for tile in mercantile.tiles(west, south, east, north, zoom):
            yield tile.z, tile.x, tile.y


def _capped(rows: Any, limit: int) -> tuple[list[Any], bool]:
    """At most ``limit`` of ``rows`` and whether there were more (one row more is read to know)."""
    taken = list(islice(rows, limit + 1))
    return taken[:limit], len(taken) > limit


def _collection(features: list[dict[str, Any]], truncated: bool) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features, "truncated": truncated}


def _point(pk: int, lon: float, lat: float, **properties: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": pk,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"id": pk, **properties, "lon": lon, "lat": lat},
    }


def _cells(user: Any) -> tuple[list[dict[str, Any]], bool, list[float] | None]:
    rows, truncated = _capped(
        GridCell.objects.filter(read_filter(user, "grid_cells"))
        .order_by("code", "id")
        .annotate(shape=AsGeoJSON("geom", precision=6))
        .values("id", "code", "name", "shape")
        .iterator(),
        MAX_CELLS,
    )
    features = [
        {
            "type": "Feature",
            "id": row["id"],
            "geometry": json.loads(row["shape"]),
            "properties": {"id": row["id"], "code": row["code"], "name": row["name"]},
        }
        for row in rows
    ]
    extent = GridCell.objects.filter(pk__in=[row["id"] for row in rows]).aggregate(box=Extent("geom"))["box"]
    return features, truncated, list(extent) if extent else None


def _tiles(user: Any, bounds: list[float] | None) -> dict[str, Any]:
    names = ",".join(name for name in OFFLINE_LAYERS if may_list_layer(user, LAYERS[name]))
    covering = tile_cover(bounds, MINZOOM, MAXZOOM) if bounds and names else iter(())
    urls, truncated = _capped((f"{TILES_URL}{names}/{z}/{x}/{y}.mvt" for z, x, y in covering), MAX_TILES)
    return {
        "layers": names,
        "minzoom": MINZOOM,
        "maxzoom": MAXZOOM,
        "template": f"{TILES_URL}{names}/{{z}}/{{x}}/{{y}}.mvt",
        "urls": urls,
        "truncated": truncated,
    }


def _point_name(label: str, note: str) -> str:
    """A field point has no name of its own: its category, and the start of its note."""
    first = next((line.strip() for line in note.splitlines() if line.strip()), "")
    if not first:
        return label
    return f"{label} · {first[:NOTE_CHARS]}{'…' if len(first) > NOTE_CHARS else ''}"


def _field_points(user: Any, cell_ids: list[int]) -> dict[str, Any]:
    rows, truncated = _capped(
        FieldPoint.objects.filter(read_filter(user, "field_points"), grid_cell_id__in=cell_ids)
        .order_by("-reported_at", "-id")
        .values("id", "note", "status", "geom", "category__key", "category__name_zh", "category__name_en")
        .iterator(),
        MAX_FEATURES,
    )
    return _collection(
        [
            _point(
                row["id"],
                round(row["geom"].x, 7),
                round(row["geom"].y, 7),
                name=_point_name(
                    in_language(row["category__name_zh"], row["category__name_en"]), row["note"]
                ),
                category=row["category__key"],
                status=row["status"],
            )
            for row in rows
        ],
        truncated,
    )


def _places(user: Any, cell_ids: list[int]) -> dict[str, Any]:
    # A place may be an area (a reservoir, a market): its point is one inside it.
    rows, truncated = _capped(
        Place.objects.filter(read_filter(user, "places"), grid_cell_id__in=cell_ids)
        .annotate(at=PointOnSurface("geom"))
        .order_by("name", "id")
        .values("id", "name", "at", "place_class__key")
        .iterator(),
        MAX_FEATURES,
    )
    return _collection(
        [
            _point(
                row["id"],
                round(row["at"].x, 7),
                round(row["at"].y, 7),
                name=row["name"],
                category=row["place_class__key"],
            )
            for row in rows
        ],
        truncated,
    )


def _categories() -> dict[str, list[dict[str, str]]]:
    return {
        "field_point": [
            {"key": key, "label": in_language(zh, en)}
            for key, zh, en in FieldPointCategory.objects.filter(active=True)
            .order_by("id")
            .values_list("key", "name_zh", "name_en")
        ],
        "event": [
            {"key": key, "label": in_language(zh, en)}
            for key, zh, en in EventCategory.objects.filter(active=True)
            .order_by("key")
            .values_list("key", "name_zh", "name_en")
        ],
    }


def area(user: Any) -> dict[str, Any]:
    """The answer of ``GET /api/sync/area/`` for ``user``."""
    cells, cells_truncated, bounds = _cells(user)
    cell_ids = [cell["id"] for cell in cells]
    answer: dict[str, Any] = {
        "cells": _collection(cells, cells_truncated),
        "bounds": bounds,
        "tiles": _tiles(user, bounds),
        "features": {"field_points": _field_points(user, cell_ids), "places": _places(user, cell_ids)},
        "categories": _categories(),
    }
    canonical = json.dumps(answer, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    answer["version"] = hashlib.sha256(canonical.encode()).hexdigest()[:16]
    answer["generated_at"] = timezone.now()
    return answer


class AreaView(APIView):
    """离线范围: what the phone keeps to work offline in its area."""

    permission_classes = [MaySync]

    @extend_schema(
        tags=["sync"],
        summary="What the phone caches to work offline: its cells, their tiles, points, categories.",
        description=(
            "`cells`: the caller's grid cells as a GeoJSON FeatureCollection (id, code, name), at "
            f"most {MAX_CELLS}; `bounds`: [west, south, east, north] of them; `tiles`: `layers` (those "
            "the caller may list), `minzoom`, `maxzoom`, `template` and `urls`, every tile covering "
            f"the bounds from minzoom to maxzoom, lowest zoom first, at most {MAX_TILES}; `features`: "
            "`field_points` and `places` in the cells, FeatureCollections of points with id, name, "
            f"category, lon and lat, at most {MAX_FEATURES} each; `categories`: `field_point` and "
            "`event`, [{key, label}] of the active ones in the request's language; `version`: a hash "
            "of the rest, unchanged while the area is; `generated_at`. Every collection says "
            "`truncated` when the cap cut it. Investors and anonymous callers are refused."
        ),
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="The area, as described above."),
            401: OpenApiResponse(description="Not signed in."),
            403: OpenApiResponse(description="A role that does not sync (investors)."),
        },
    )
    def get(self, request: Request) -> Response:
        return Response(area(request.user))
