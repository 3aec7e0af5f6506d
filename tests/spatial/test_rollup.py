"""GET /api/spatial/rollup: counts, geodesic areas and sums per division or grid cell."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from layers.models import MU_M2
from tests.builders import assert_error

from .builders import parcel

pytestmark = pytest.mark.django_db


def rollup(client, query: str):
    response = client.get(f"/api/spatial/rollup?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def rows_by_code(body) -> dict[str, dict]:
    return {row["code"]: row for row in body["rows"]}


def test_counts_areas_and_sums_per_county(api, city, as_role):
    a = parcel(city, city.inside(dx=0.02, dy=0.02), land_use="industrial", price_wan_per_mu=20)
    b = parcel(city, city.inside(dx=0.06, dy=0.06), land_use="industrial", price_wan_per_mu=30)
    c = parcel(city, city.inside(county=1, dx=0.05, dy=0.05), land_use="commercial", price_wan_per_mu=50)
    body = rollup(api, "layer=parcels&level=county&sum=price_wan_per_mu")
    rows = rows_by_code(body)
    first, second = rows[city.counties[0].code], rows[city.counties[1].code]
    assert first["name"] == city.counties[0].name and first["level"] == "county"
    assert first["count"] == 2 and second["count"] == 1
    assert first["area_m2"] == pytest.approx(a.area_m2 + b.area_m2, abs=0.05)
    assert first["area_mu"] == pytest.approx(first["area_m2"] / MU_M2, abs=0.01)
    assert 39_000 < c.area_m2 < 41_000, "a 200 m square, geodesic"
    assert first["sums"] == {"price_wan_per_mu": 50.0} and second["sums"] == {"price_wan_per_mu": 50.0}
    assert body["total"]["count"] == 3 and body["unassigned"] is None
    filtered = rows_by_code(rollup(api, "layer=parcels&level=county&land_use=industrial"))
    assert filtered[city.counties[0].code]["count"] == 2 and filtered[city.counties[1].code]["count"] == 0


def test_every_division_of_the_level_is_listed_even_empty_and_within_a_division(api, city):
    parcel(city, city.inside(dx=0.02, dy=0.02))
    body = rollup(api, f"layer=parcels&level=village&division={city.counties[1].code}")
    assert [row["code"] for row in body["rows"]] == [city.villages[1].code]
    assert body["rows"][0]["count"] == 0 and body["division"]["code"] == city.counties[1].code
    town = rollup(api, "layer=parcels&level=town")
    assert [row["count"] for row in town["rows"]] == [1, 0]


def test_records_outside_every_division_are_counted_as_unassigned(api, city):
    from django.contrib.gis.geos import Point

    parcel(city, Point(113.5, 22.95, srid=4326))
    body = rollup(api, "layer=parcels&level=county")
    assert body["unassigned"]["count"] == 1 and body["total"]["count"] == 1


def test_scope_cuts_the_numbers(api, city, as_role):
    parcel(city, city.inside(dx=0.02, dy=0.02), is_public=False)
    parcel(city, city.inside(county=1, dx=0.02, dy=0.02), is_public=False)
    parcel(city, city.inside(county=1, dx=0.06, dy=0.06), is_public=True)
    counts = lambda client: [r["count"] for r in rollup(client, "layer=parcels&level=county")["rows"]]  # noqa: E731
    assert counts(api) == [0, 1]
    assert counts(as_role(Role.DISTRICT_OFFICER)) == [1, 1]
    assert counts(as_role(Role.CITY_LEADER)) == [1, 2]


def test_grid_level_by_derived_cell_and_by_position(api, city, as_role):
    from tests.builders import make_record

    for dx in (0.01, 0.02, 0.07):
        make_record("field_points", city, city.inside(dx=dx, dy=0.05))
    parcel(city, city.inside(dx=0.07, dy=0.05))
    admin = as_role(Role.ADMIN)
    points = rows_by_code(rollup(admin, "layer=field_points&level=grid"))
    assert points[city.cells[0].code]["count"] == 2 and points[city.cells[1].code]["count"] == 1
    assert "area_m2" not in points[city.cells[0].code], "points have no area"
    parcels = rows_by_code(rollup(admin, "layer=parcels&level=grid"))
    assert parcels[city.cells[1].code]["count"] == 1 and parcels[city.cells[0].code]["count"] == 0
    assert_error(api.get("/api/spatial/rollup?layer=parcels&level=grid"), 403)


def test_lengths_of_patrol_tracks_sum_up(city, as_role):
    from tests.builders import make_record

    track = make_record("patrol_tracks", city, city.inside(dx=0.01, dy=0.01))
    assert 100 < track.length_m < 105, "0.001° of longitude at 22.9°N is about 102.6 m"
    body = rollup(as_role(Role.ADMIN), "layer=patrol_tracks&level=county&sum=length_m")
    assert rows_by_code(body)[city.counties[0].code]["sums"]["length_m"] == pytest.approx(track.length_m)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("layer=parcels&level=province", "level"),
        ("layer=parcels", "level"),
        ("layer=lakes&level=county", "layer"),
        ("layer=parcels&level=county&division=445399999999", "division"),
        ("layer=parcels&level=county&sum=name", "sum"),
        ("layer=parcels&level=county&sum=secret", "sum"),
        ("layer=parcels&level=county&colour=red", "colour"),
        ("layer=parcels&level=county&land_use=moon", "land_use"),
        ("layer=parcels&level=county&ordering=id", "ordering"),
    ],
)
def test_bad_input_is_400_naming_the_field(api, city, query, field):
    assert_error(api.get(f"/api/spatial/rollup?{query}"), 400, field)
