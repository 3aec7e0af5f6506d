"""GET /api/spatial/locate: divisions, park, parcel, building and grid cell at a point."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from layers.crs import wgs84_to_gcj02
from tests.builders import X0, Y0, assert_error

from .builders import building, parcel

pytestmark = pytest.mark.django_db


def test_locate_returns_the_division_chain_and_what_contains_the_point(api, city, as_role):
    where = city.inside(dx=0.01, dy=0.01)
    shown = parcel(city, where, land_use="industrial")
    factory = building(city, where, name="2号厂房")
    body = as_role(Role.CITY_OFFICER).get(f"/api/spatial/locate?lon={where.x}&lat={where.y}").json()
    assert [d["level"] for d in body["divisions"]] == ["city", "county", "town", "village"]
    assert [d["code"] for d in body["divisions"]] == [
        city.city.code,
        city.counties[0].code,
        city.towns[0].code,
        city.villages[0].code,
    ]
    assert body["park"]["id"] == city.park.pk
    assert body["parcel"]["id"] == shown.pk and body["parcel"]["land_use"] == "industrial"
    assert body["parcel"]["area_mu"] == pytest.approx(shown.area_mu, abs=0.01)
    assert body["building"]["id"] == factory.pk
    assert body["grid_cell"]["id"] == city.cells[0].pk
    assert body["point"] == {"lon": pytest.approx(where.x), "lat": pytest.approx(where.y)}


def test_locate_outside_everything_is_empty_not_an_error(api, city):
    body = api.get("/api/spatial/locate?lon=100&lat=30").json()
    assert body["divisions"] == [] and body["park"] is None and body["parcel"] is None


def test_locate_respects_publication_and_scope(api, city, as_role):
    """An anonymous investor sees published features only and no grid; an officer of one county
    does not see the other county's internal parcel."""
    here = city.inside(dx=0.02, dy=0.02)
    internal = parcel(city, here, is_public=False)
    url = f"/api/spatial/locate?lon={here.x}&lat={here.y}"
    anonymous = api.get(url).json()
    assert anonymous["parcel"] is None and anonymous["grid_cell"] is None
    assert anonymous["park"]["id"] == city.park.pk, "the park is published"
    assert as_role(Role.DISTRICT_OFFICER).get(url).json()["parcel"]["id"] == internal.pk

    there = city.inside(county=1, dx=0.02, dy=0.02)
    other = parcel(city, there, is_public=False)
    url = f"/api/spatial/locate?lon={there.x}&lat={there.y}"
    assert as_role(Role.DISTRICT_OFFICER).get(url).json()["parcel"] is None
    assert as_role(Role.CITY_OFFICER).get(url).json()["parcel"]["id"] == other.pk
    assert as_role(Role.GRID_WORKER).get(url).json()["grid_cell"] is None, "not the worker's cell"


def test_locate_sub_cell_wins_over_its_cell(api, city, as_role):
    from layers.models import GridCell
    from tests.builders import rect

    sub = GridCell.objects.create(
        code=city.cells[0].code + "01",
        name="第1组",
        parent=city.cells[0],
        geom=rect(X0, Y0, X0 + 0.02, Y0 + 0.02),
    )
    body = as_role(Role.ADMIN).get(f"/api/spatial/locate?lon={X0 + 0.01}&lat={Y0 + 0.01}").json()
    assert body["grid_cell"]["id"] == sub.pk and body["grid_cell"]["parent"] == city.cells[0].pk


def test_locate_takes_gcj02_coordinates(api, city):
    where = city.inside(dx=0.03, dy=0.05)
    lon, lat = wgs84_to_gcj02(where.x, where.y)
    body = api.get(f"/api/spatial/locate?lon={lon}&lat={lat}&crs=gcj02").json()
    assert body["point"]["lon"] == pytest.approx(where.x, abs=1e-6)
    assert body["divisions"][-1]["code"] == city.villages[0].code


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("lon=112.01&lat=95", "lat"),
        ("lon=112.01&lat=-90.5", "lat"),
        ("lon=181&lat=22.9", "lon"),
        ("lon=abc&lat=22.9", "lon"),
        ("lon=112.01", "lat"),
        ("lon=112.01&lat=nan", "lat"),
        ("lon=112.01&lat=22.9&crs=EPSG:9999", "crs"),
        ("lon=1e9&lat=1e9&crs=EPSG:3857", "lat"),
    ],
)
def test_bad_points_are_400_naming_the_field(api, city, query, field):
    assert_error(api.get(f"/api/spatial/locate?{query}"), 400, field)
