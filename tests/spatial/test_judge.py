"""POST /api/spatial/judge: is a point inside a circle, rectangle, polygon, line buffer or division?"""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point

from tests.builders import X0, Y0, assert_error

from .builders import offset

pytestmark = pytest.mark.django_db


def judge(api, **body):
    response = api.post("/api/spatial/judge", body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_circle_is_geodesic_to_the_metre(api, city):
    center = city.inside(dx=0.03, dy=0.03)
    east = offset(center, 1000, 90)
    north = offset(center, 1000, 0)
    for where in (east, north):
        inside = judge(
            api, lon=where.x, lat=where.y, shape="circle", center=[center.x, center.y], radius=1001
        )
        outside = judge(
            api, lon=where.x, lat=where.y, shape="circle", center=[center.x, center.y], radius=999
        )
        assert inside["inside"] is True and inside["distance_m"] == 0
        assert outside["inside"] is False
        assert outside["center_distance_m"] == pytest.approx(1000, abs=1)
        assert outside["distance_m"] == pytest.approx(1, abs=1)


def test_rectangle_and_polygon_include_the_edge_and_measure_the_distance(api, city):
    bbox = [X0 + 0.01, Y0 + 0.01, X0 + 0.02, Y0 + 0.02]
    assert judge(api, lon=X0 + 0.015, lat=Y0 + 0.015, shape="rectangle", bbox=bbox)["inside"] is True
    assert judge(api, lon=X0 + 0.02, lat=Y0 + 0.015, shape="rectangle", bbox=bbox)["inside"] is True, "edge"
    edge = offset(Point(X0 + 0.02, Y0 + 0.015, srid=4326), 500, 90)
    away = judge(api, lon=edge.x, lat=edge.y, shape="rectangle", bbox=bbox)
    assert away["inside"] is False and away["distance_m"] == pytest.approx(500, abs=1)

    ring = [[X0 + 0.01, Y0 + 0.01], [X0 + 0.03, Y0 + 0.01], [X0 + 0.01, Y0 + 0.03], [X0 + 0.01, Y0 + 0.01]]
    triangle = {"type": "Polygon", "coordinates": [ring]}
    assert judge(api, lon=X0 + 0.012, lat=Y0 + 0.012, shape="polygon", geometry=triangle)["inside"] is True
    assert judge(api, lon=X0 + 0.025, lat=Y0 + 0.025, shape="polygon", geometry=triangle)["inside"] is False


def test_division_and_buffer(api, city):
    inside = judge(api, lon=X0 + 0.15, lat=Y0 + 0.05, shape="division", division=city.counties[1].code)
    assert inside["inside"] is True and inside["shape"]["division"]["code"] == city.counties[1].code
    west = offset(Point(X0 + 0.1, Y0 + 0.05, srid=4326), 2000, 270)
    outside = judge(api, lon=west.x, lat=west.y, shape="division", division=city.counties[1].code)
    assert outside["inside"] is False and outside["distance_m"] == pytest.approx(2000, abs=2)

    start = city.inside(dx=0.02, dy=0.05)
    end = offset(start, 3000, 90)
    line = {"type": "LineString", "coordinates": [[start.x, start.y], [end.x, end.y]]}
    near = offset(offset(start, 1500, 90), 290, 0)
    far = offset(offset(start, 1500, 90), 310, 0)
    assert judge(api, lon=near.x, lat=near.y, shape="buffer", geometry=line, distance=300)["inside"] is True
    assert judge(api, lon=far.x, lat=far.y, shape="buffer", geometry=line, distance=300)["inside"] is False


def test_gcj02_input(api, city):
    from layers.crs import wgs84_to_gcj02

    center = city.inside(dx=0.03, dy=0.03)
    where = offset(center, 800, 45)
    lon, lat = wgs84_to_gcj02(where.x, where.y)
    clon, clat = wgs84_to_gcj02(center.x, center.y)
    body = judge(api, lon=lon, lat=lat, crs="gcj02", shape="circle", center=[clon, clat], radius=900)
    assert body["inside"] is True and body["center_distance_m"] == pytest.approx(800, abs=1)


BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[X0, Y0], [X0 + 0.01, Y0 + 0.01], [X0 + 0.01, Y0], [X0, Y0 + 0.01], [X0, Y0]]],
}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lon": 112.0, "lat": 91, "shape": "circle", "center": [112, 22.9], "radius": 10}, "lat"),
        ({"lon": 112.0, "lat": 22.9, "shape": "circle", "center": [112, 22.9], "radius": -5}, "radius"),
        ({"lon": 112.0, "lat": 22.9, "shape": "circle", "center": [112, 22.9], "radius": 0}, "radius"),
        ({"lon": 112.0, "lat": 22.9, "shape": "circle", "center": [112, 22.9], "radius": 1e9}, "radius"),
        ({"lon": 112.0, "lat": 22.9, "shape": "circle", "center": [112, 99], "radius": 10}, "center"),
        ({"lon": 112.0, "lat": 22.9, "shape": "circle", "radius": 10}, "center"),
        ({"lon": 112.0, "lat": 22.9, "shape": "polygon", "geometry": BOWTIE}, "geometry"),
        ({"lon": 112.0, "lat": 22.9, "shape": "polygon", "geometry": {"type": "Point"}}, "geometry"),
        ({"lon": 112.0, "lat": 22.9, "shape": "division", "division": "999999999999"}, "division"),
        ({"lon": 112.0, "lat": 22.9, "shape": "division", "division": "abc"}, "division"),
        ({"lon": 112.0, "lat": 22.9, "shape": "rectangle", "bbox": [1, 2, 3]}, "bbox"),
        ({"lon": 112.0, "lat": 22.9, "shape": "rectangle", "bbox": [3, 2, 1, 4]}, "bbox"),
        ({"lon": 112.0, "lat": 22.9, "shape": "hexagon"}, "shape"),
        ({"lon": 112.0, "lat": 22.9, "shape": "buffer", "geometry": BOWTIE, "distance": 10}, "geometry"),
        (
            {"lon": 112.0, "lat": 22.9, "shape": "circle", "center": [112, 22.9], "radius": 5, "crs": "x"},
            "crs",
        ),
    ],
)
def test_bad_input_is_400_naming_the_field(api, city, body, field):
    error = assert_error(api.post("/api/spatial/judge", body, format="json"), 400, field)
    if field == "geometry" and body["shape"] == "polygon" and body["geometry"] is BOWTIE:
        assert "自相交" in str(error["fields"]["geometry"])
