"""POST /api/spatial/query: features of a layer inside a shape, with attribute filters, paged."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from tests.builders import X0, Y0, assert_error

from .builders import offset, parcel

pytestmark = pytest.mark.django_db


def query(client, page: str = "", **body):
    response = client.post(f"/api/spatial/query{page}", body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def ids(body) -> set[int]:
    return {f["id"] for f in body["features"]}


def test_circle_is_geodesic_and_combines_with_filters(api, city):
    center = city.inside(dx=0.03, dy=0.05)
    near = parcel(city, offset(center, 600, 90), side_m=100, land_use="industrial")
    near_north = parcel(city, offset(center, 600, 0), side_m=100, land_use="commercial")
    far = parcel(city, offset(center, 900, 90), side_m=100, land_use="industrial")  # edge at ~850 m
    circle = {"shape": "circle", "center": [center.x, center.y], "radius": 700}
    assert ids(query(api, layer="parcels", **circle)) == {near.pk, near_north.pk}
    assert ids(query(api, layer="parcels", filters={"land_use": "industrial"}, **circle)) == {near.pk}
    assert ids(query(api, layer="parcels", **{**circle, "radius": 860})) == {near.pk, near_north.pk, far.pk}
    body = query(api, layer="parcels", filters={"land_use__in": ["industrial", "commercial"]}, **circle)
    assert body["type"] == "FeatureCollection" and body["count"] == 2
    assert body["shape"] == {"type": "circle", "center": [center.x, center.y], "radius_m": 700.0}


def test_polygon_rectangle_buffer_and_division(api, city):
    a = parcel(city, city.inside(dx=0.01, dy=0.01))
    b = parcel(city, city.inside(dx=0.03, dy=0.08))
    c = parcel(city, city.inside(county=1, dx=0.05, dy=0.05))
    square = [[X0, Y0], [X0 + 0.02, Y0], [X0 + 0.02, Y0 + 0.02], [X0, Y0 + 0.02], [X0, Y0]]
    polygon = {"shape": "polygon", "geometry": {"type": "Polygon", "coordinates": [square]}}
    assert ids(query(api, layer="parcels", **polygon)) == {a.pk}
    rectangle = {"shape": "rectangle", "bbox": [X0 + 0.02, Y0 + 0.07, X0 + 0.04, Y0 + 0.09]}
    assert ids(query(api, layer="parcels", **rectangle)) == {b.pk}
    line = {"type": "LineString", "coordinates": [[X0, Y0 + 0.01], [X0 + 0.2, Y0 + 0.01]]}
    assert ids(query(api, layer="parcels", shape="buffer", geometry=line, distance=200)) == {a.pk}
    assert ids(query(api, layer="parcels", shape="division", division=city.counties[1].code)) == {c.pk}
    assert ids(query(api, layer="parcels", shape="division", division=city.city.code)) == {a.pk, b.pk, c.pk}


def test_results_are_paged_with_a_count_never_truncated(api, city):
    made = {parcel(city, city.inside(dx=0.005 + 0.004 * i, dy=0.05), side_m=50).pk for i in range(7)}
    body = {"layer": "parcels", "shape": "division", "division": city.counties[0].code}
    first = query(api, "?page_size=3", **body)
    assert first["count"] == 7 and len(first["features"]) == 3 and first["next"]
    seen = ids(first)
    page = first
    while page["next"]:
        page = query(api, page["next"].split("/api/spatial/query")[1], **body)
        seen |= ids(page)
    assert seen == made
    ordered = query(api, "?page_size=10", ordering="-area_m2", **body)
    areas = [f["properties"]["area_m2"] for f in ordered["features"]]
    assert areas == sorted(areas, reverse=True)


def test_out_of_scope_records_never_appear(api, city, as_role):
    mine = parcel(city, city.inside(dx=0.02, dy=0.02), is_public=False)
    theirs = parcel(city, city.inside(county=1, dx=0.02, dy=0.02), is_public=False)
    published = parcel(city, city.inside(county=1, dx=0.06, dy=0.06), is_public=True)
    body = {"layer": "parcels", "shape": "division", "division": city.city.code}
    assert ids(query(as_role(Role.DISTRICT_OFFICER), **body)) == {mine.pk, published.pk}
    assert ids(query(as_role(Role.CITY_OFFICER), **body)) == {mine.pk, theirs.pk, published.pk}
    assert ids(query(api, **body)) == {published.pk}
    assert ids(query(as_role(Role.PARK_MANAGER), **body)) == {mine.pk, published.pk}, "in the park"


def test_query_output_crs(api, city):
    parcel(city, city.inside(dx=0.01, dy=0.01))
    body = query(api, "?crs=EPSG:3857", layer="parcels", shape="division", division=city.city.code)
    x, y = body["features"][0]["geometry"]["coordinates"][0][0][0]
    assert 12_400_000 < x < 12_500_000 and 2_600_000 < y < 2_700_000


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"layer": "nope", "shape": "division", "division": "445300000000"}, "layer"),
        ({"shape": "division", "division": "445300000000"}, "layer"),
        ({"layer": "parcels", "shape": "division", "division": "445399999999"}, "division"),
        ({"layer": "parcels", "shape": "circle", "center": [112, 22.9], "radius": -1}, "radius"),
        ({"layer": "parcels", "shape": "circle", "center": [112, 22.9], "radius": 50_001}, "radius"),
        ({"layer": "parcels", "shape": "circle", "center": [112, 22.9], "radius": "far"}, "radius"),
        ({"layer": "parcels", "shape": "circle", "center": [112, -91], "radius": 10}, "center"),
        (
            {"layer": "parcels", "shape": "division", "division": "445300000000", "filters": {"colour": 1}},
            "colour",
        ),
        (
            {
                "layer": "parcels",
                "shape": "division",
                "division": "445300000000",
                "filters": {"land_use": "moon"},
            },
            "land_use",
        ),
        (
            {
                "layer": "parcels",
                "shape": "division",
                "division": "445300000000",
                "filters": {"bbox": "1,2,3,4"},
            },
            "bbox",
        ),
        (
            {
                "layer": "parcels",
                "shape": "division",
                "division": "445300000000",
                "filters": {"area_m2__gte": "x"},
            },
            "area_m2__gte",
        ),
        (
            {"layer": "parcels", "shape": "division", "division": "445300000000", "ordering": "secret"},
            "ordering",
        ),
        (
            {
                "layer": "parcels",
                "shape": "buffer",
                "geometry": {"type": "LineString", "coordinates": [[112, 22.9], [112.1, 22.9]]},
                "distance": 20_000,
            },
            "distance",
        ),
    ],
)
def test_bad_input_is_400_naming_the_field(api, city, body, field):
    assert_error(api.post("/api/spatial/query", body, format="json"), 400, field)


def test_bad_output_crs_is_400(api, city):
    body = {"layer": "parcels", "shape": "division", "division": city.city.code}
    assert_error(api.post("/api/spatial/query?crs=gcj02", body, format="json"), 400, "crs")
