"""The spatial lookups that fill a record's derived fields when it is saved.

Users never type a division, park or grid cell: the geometry decides. A record's representative
point is ``ST_PointOnSurface`` (always inside the shape, unlike a centroid of an L-shaped parcel).
Areas and lengths are geodesic on the WGS 84 ellipsoid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import shapely
from django.contrib.gis.geos import GEOSGeometry, Point
from django.db.models import F
from pyproj import Geod

from .base import MU_M2

if TYPE_CHECKING:
    from .base import LayerFeature

GEOD = Geod(ellps="WGS84")


def representative_point(geom: GEOSGeometry) -> Point:
    return geom.point_on_surface if geom.dims > 0 else geom


def geodesic_area_m2(geom: GEOSGeometry) -> float:
    return abs(GEOD.geometry_area_perimeter(shapely.from_wkb(bytes(geom.wkb)))[0])


def geodesic_length_m(geom: GEOSGeometry) -> float:
    return GEOD.geometry_length(shapely.from_wkb(bytes(geom.wkb)))


def village_code_at(point: Point) -> str:
    from .divisions import Division, DivisionLevel

    code = (
        Division.objects.filter(level=DivisionLevel.VILLAGE, geom__intersects=point)
        .values_list("code", flat=True)
        .first()
    )
    return code or ""


def park_at(point: Point):
    from .carriers import Park

    return Park.objects.filter(geom__intersects=point).order_by("area_m2").first()


def grid_cell_at(point: Point):
    from .grid import GridCell

    # A sub-cell (组, with a parent) wins over the cell it subdivides, so the point is filed there.
    return (
        GridCell.objects.filter(geom__intersects=point)
        .order_by(F("parent_id").asc(nulls_last=True), "-id")
        .first()
    )


# The same three lookups as set-based SQL, for loads of many records at once (layers.demo.bulk,
# ingest.writer). ``point`` is an SQL expression for the record's point; the filters and the
# tie-breaking match the functions above (PostgreSQL sorts NULLs last ascending, as nulls_last).
def village_code_sql(point: str) -> str:
    return (
        "COALESCE((SELECT d.code FROM layers_division d WHERE d.level = 'village' AND d.deleted_at IS NULL"
        f" AND ST_Intersects(d.geom, {point}) ORDER BY d.code LIMIT 1), '')"
    )


def park_id_sql(point: str) -> str:
    return (
        f"(SELECT p.id FROM layers_park p WHERE p.deleted_at IS NULL AND ST_Intersects(p.geom, {point})"
        " ORDER BY p.area_m2, p.id LIMIT 1)"
    )


def grid_cell_id_sql(point: str) -> str:
    return (
        f"(SELECT g.id FROM layers_gridcell g WHERE g.deleted_at IS NULL AND ST_Intersects(g.geom, {point})"
        " ORDER BY g.parent_id ASC NULLS LAST, g.id DESC LIMIT 1)"
    )


def derive_location(record: LayerFeature) -> None:
    geom = record.geom
    if geom.srid is None:
        geom.srid = 4326
    point = representative_point(geom)
    record.division_code = village_code_at(point)
    if record.derive_park:
        record.park = park_at(point)
    if record.derive_grid_cell:
        start = Point(geom.coords[0], srid=4326) if geom.geom_type == "LineString" else point
        record.grid_cell = grid_cell_at(start)
    if hasattr(record, "area_m2") and geom.geom_type in {"Polygon", "MultiPolygon"}:
        record.area_m2 = round(geodesic_area_m2(geom), 2)
        if hasattr(record, "area_mu"):
            record.area_mu = round(record.area_m2 / MU_M2, 4)
    if hasattr(record, "length_m") and geom.geom_type == "LineString":
        record.length_m = round(geodesic_length_m(geom), 2)
