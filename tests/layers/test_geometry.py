"""GeoJSON output of stored geometries: a page converted in one batch equals each converted alone."""

from __future__ import annotations

import pytest
import shapely
from django.contrib.gis.geos import GEOSGeometry

from layers.crs import parse_crs
from layers.geometry import to_geojson, to_geojson_many

# A clockwise square (wrong for RFC 7946), a point and a line, as PostGIS would hand them back.
STORED = [
    GEOSGeometry("SRID=4326;POLYGON((112.0 22.9, 112.0 22.91, 112.01 22.91, 112.01 22.9, 112.0 22.9))"),
    GEOSGeometry("SRID=4326;POINT(112.123456789 22.987654321)"),
    None,
    GEOSGeometry("SRID=4326;LINESTRING(112.0 22.9, 112.05 22.95)"),
]


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:3857", "EPSG:4490", "gcj02"])
def test_batch_equals_one_by_one(crs):
    target = parse_crs(crs)
    batch = to_geojson_many(STORED, target)
    assert batch[2] is None
    assert [b for b in batch if b is not None] == [to_geojson(g, target) for g in STORED if g is not None]


def test_batch_orients_rings_and_rounds():
    square, point, _missing, _line = to_geojson_many(STORED, parse_crs("EPSG:4326"))
    assert shapely.geometry.LinearRing(square["coordinates"][0]).is_ccw
    assert point["coordinates"] == pytest.approx((112.1234568, 22.9876543), abs=1e-12)
    metres = to_geojson_many(STORED[1:2], parse_crs("EPSG:3857"))[0]["coordinates"]
    assert all(round(v, 3) == v for v in metres)
