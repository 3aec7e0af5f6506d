"""GET /api/spatial/nearby: the N nearest features with geodesic distances, by index KNN."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point

from accounts.roles import Role
from layers.registry import LAYERS
from spatial import queries
from tests.builders import assert_error

from .builders import amenity, offset, parcel

pytestmark = pytest.mark.django_db


def nearby(client, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    response = client.get(f"/api/spatial/nearby?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def test_distances_are_geodesic_metres_sorted_nearest_first(api, city):
    origin = city.inside(dx=0.05, dy=0.05)
    east = amenity(city, offset(origin, 1000, 90), name="东")
    north = amenity(city, offset(origin, 1500, 0), name="北")
    amenity(city, offset(origin, 2500, 200), name="远")
    body = nearby(api, layer="amenities", lon=origin.x, lat=origin.y, radius=2000, limit=10)
    assert [f["id"] for f in body["features"]] == [east.pk, north.pk]
    assert body["features"][0]["properties"]["distance_m"] == pytest.approx(1000, abs=1)
    assert body["features"][1]["properties"]["distance_m"] == pytest.approx(1500, abs=1)
    assert body["count"] == 2 and body["more"] is False and body["radius_m"] == 2000


def test_geodesic_order_beats_degree_order(api, city):
    """At 23°N a degree of longitude is 8 % shorter than one of latitude: the KNN index orders by
    degrees, the answer must still be ordered by metres."""
    origin = city.inside(dx=0.05, dy=0.05)
    # 0.0100° east ≈ 1,025 m; 0.0097° north ≈ 1,075 m: nearer in degrees, farther in metres.
    east = amenity(city, Point(origin.x + 0.0100, origin.y, srid=4326), name="东")
    north = amenity(city, Point(origin.x, origin.y + 0.0097, srid=4326), name="北")
    body = nearby(api, layer="amenities", lon=origin.x, lat=origin.y, radius=5000, limit=1)
    assert [f["id"] for f in body["features"]] == [east.pk]
    assert body["more"] is True
    found = queries.nearby(None, LAYERS["amenities"], origin, 5000, 2)
    assert [rid for rid, _d in found.rows] == [east.pk, north.pk]


def test_many_candidates_limit_and_more(api, city):
    origin = city.inside(dx=0.05, dy=0.05)
    made = [amenity(city, offset(origin, 100 + 37 * i, (i * 47) % 360), name=f"p{i}") for i in range(40)]
    body = nearby(api, layer="amenities", lon=origin.x, lat=origin.y, radius=10_000, limit=5)
    assert [f["id"] for f in body["features"]] == [m.pk for m in made[:5]]
    assert body["more"] is True
    distances = [f["properties"]["distance_m"] for f in body["features"]]
    assert distances == sorted(distances)


def test_amenities_near_a_parcel_by_feature_reference(api, city):
    """周边配套: distance from the parcel's edge, not its centre."""
    site = parcel(city, city.inside(dx=0.05, dy=0.05), side_m=200)
    centre = city.inside(dx=0.05, dy=0.05)
    hospital = amenity(city, offset(centre, 600, 90), category="hospital")
    amenity(city, offset(centre, 300, 0), category="school")
    body = nearby(api, layer="amenities", feature=f"parcels:{site.pk}", radius=3000, category="hospital")
    assert [f["id"] for f in body["features"]] == [hospital.pk]
    assert body["features"][0]["properties"]["distance_m"] == pytest.approx(500, abs=2)
    assert body["origin"] == {"feature": f"parcels:{site.pk}"}


def test_a_parcel_is_not_its_own_neighbour(api, city):
    site = parcel(city, city.inside(dx=0.05, dy=0.05), side_m=100)
    other = parcel(city, offset(city.inside(dx=0.05, dy=0.05), 400, 90), side_m=100)
    body = nearby(api, layer="parcels", feature=f"parcels:{site.pk}", radius=1000)
    assert [f["id"] for f in body["features"]] == [other.pk]


def test_out_of_scope_records_never_appear(api, city, as_role):
    origin = city.inside(dx=0.098, dy=0.05)  # 200 m from the border between the two counties
    mine = parcel(city, offset(origin, 500, 270), is_public=False)
    theirs = parcel(city, offset(origin, 400, 90), is_public=False)
    assert theirs.division_code == city.villages[1].code
    officer = nearby(as_role(Role.DISTRICT_OFFICER), layer="parcels", lon=origin.x, lat=origin.y, radius=2000)
    assert [f["id"] for f in officer["features"]] == [mine.pk]
    city_officer = nearby(
        as_role(Role.CITY_OFFICER), layer="parcels", lon=origin.x, lat=origin.y, radius=2000
    )
    assert [f["id"] for f in city_officer["features"]] == [theirs.pk, mine.pk]
    assert nearby(api, layer="parcels", lon=origin.x, lat=origin.y, radius=2000)["features"] == []
    hidden = as_role(Role.DISTRICT_OFFICER).get(
        f"/api/spatial/nearby?layer=amenities&feature=parcels:{theirs.pk}"
    )
    assert_error(hidden, 400, "feature")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("layer=amenities&lon=112.05&lat=91", "lat"),
        ("layer=amenities&lon=-181&lat=22.9", "lon"),
        ("layer=amenities", "lon"),
        ("layer=amenities&lon=112.05&lat=22.95&radius=-1", "radius"),
        ("layer=amenities&lon=112.05&lat=22.95&radius=50001", "radius"),
        ("layer=amenities&lon=112.05&lat=22.95&radius=1e400", "radius"),
        ("layer=amenities&lon=112.05&lat=22.95&limit=0", "limit"),
        ("layer=amenities&lon=112.05&lat=22.95&limit=1000", "limit"),
        ("layer=rivers&lon=112.05&lat=22.95", "layer"),
        ("lon=112.05&lat=22.95", "layer"),
        ("layer=amenities&lon=112.05&lat=22.95&colour=red", "colour"),
        ("layer=amenities&lon=112.05&lat=22.95&category=volcano", "category"),
        ("layer=amenities&lon=112.05&lat=22.95&bbox=1,2,3,4", "bbox"),
        ("layer=amenities&lon=112.05&lat=22.95&division=123", "division"),
        ("layer=amenities&feature=parcels:999999", "feature"),
        ("layer=amenities&feature=nonsense", "feature"),
        ("layer=amenities&lon=112.05&lat=22.95&out_crs=EPSG:1", "crs"),
    ],
)
def test_bad_input_is_400_naming_the_field(api, city, query, field):
    assert_error(api.get(f"/api/spatial/nearby?{query}"), 400, field)
