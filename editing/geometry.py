"""Split and merge for the editor, in PostGIS: shapes to draw, nothing written.

The page splits a parcel with a line and merges two parcels; what it gets back are the new shapes,
which it then saves like any other edit (``POST /api/editing/edits/``: an update and a create for a
split, an update and a delete for a merge), so the result is validated, checked for topology and
reviewed like a drawn one. PostGIS does the geometry so the parts share their cut exactly.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.gis.geos import GEOSException, GEOSGeometry
from django.db import connection
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException


class ShapeRefused(APIException):
    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, message: str, code: str) -> None:
        super().__init__(detail=message, code=code)


def _parsed(value: Any, types: set[str], message: str, code: str) -> GEOSGeometry:
    """A GeoJSON geometry the editor sent, of one of ``types``, or 400 ``code`` saying ``message``."""
    try:
        geom = GEOSGeometry(json.dumps(value), srid=4326)
    except (GEOSException, ValueError, TypeError) as exc:
        raise ShapeRefused(message, code) from exc
    if geom.geom_type not in types:
        raise ShapeRefused(message, code)
    return geom


def _line(value: Any) -> GEOSGeometry:
    message = _("line 须为 GeoJSON LineString：画一条穿过图斑的线。")
    return _parsed(value, {"LineString", "MultiLineString"}, message, "split")


def polygon(value: Any) -> GEOSGeometry:
    """A working shape the editor sent (GeoJSON Polygon or MultiPolygon), or 400 ``shape``."""
    message = _("图形须为 GeoJSON 多边形（Polygon 或 MultiPolygon）。")
    return _parsed(value, {"Polygon", "MultiPolygon"}, message, "shape")


def split(geom: GEOSGeometry, line_geojson: Any) -> list[dict[str, Any]]:
    """The polygons ``line`` cuts ``geom`` into (GeoJSON, 7 decimals), largest first; 400 ``split``
    when the line does not cut it into at least two parts (it must cross the shape from edge to
    edge)."""
    line = _line(line_geojson)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT ST_AsGeoJSON(d.geom, 7)
            FROM ST_Dump(ST_Split(ST_GeomFromEWKB(%s), ST_GeomFromEWKB(%s))) AS d
            WHERE ST_Dimension(d.geom) = 2
            ORDER BY ST_Area(d.geom::geography) DESC
            """,
            [bytes(geom.ewkb), bytes(line.ewkb)],
        )
        parts = [json.loads(row[0]) for row in cursor.fetchall()]
    parts_in = geom.num_geom if geom.geom_type.startswith("Multi") else 1
    if len(parts) < max(2, parts_in + 1):
        raise ShapeRefused(
            _("这条线没有把图斑分成两部分：线须从图斑一侧的边界外穿过到另一侧的边界外。"), "split"
        )
    return parts


def merge(geoms: list[GEOSGeometry]) -> dict[str, Any]:
    """The union of two shapes that share an edge or overlap (GeoJSON); 400 ``merge`` when they only
    touch at a point or not at all."""
    a, b = geoms
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT ST_Dimension(ST_Intersection(a, b)) >= 1 AND ST_Intersects(a, b),
                   ST_AsGeoJSON(ST_UnaryUnion(ST_Collect(a, b)), 7)
            FROM (SELECT ST_GeomFromEWKB(%s) AS a, ST_GeomFromEWKB(%s) AS b) g
            """,
            [bytes(a.ewkb), bytes(b.ewkb)],
        )
        shares, union = cursor.fetchone()
    if not shares:
        raise ShapeRefused(
            _("两个图斑没有共用的边，不能合并：只有相邻（共边）或重叠的图斑可以合并。"), "merge"
        )
    return json.loads(union)
