"""Attribute filters on nearby, roll-up and shape query refuse a number the column cannot hold
(``1e999999``, ``inf``, ``NaN``) with a 400 naming the filter; it used to be a 500 (issue 13, Low)."""

from __future__ import annotations

import pytest

from tests.builders import assert_error, make_record

pytestmark = pytest.mark.django_db

BAD_NUMBERS = [
    ("price_wan_per_mu__gte", "1e999999"),
    ("price_wan_per_mu__lte", "-1e999999"),
    ("price_wan_per_mu", "NaN"),
    ("area_m2__gte", "1e999999"),
    ("area_m2__lt", "-inf"),
    ("area_mu__in", "1,nan"),
]


@pytest.mark.parametrize(("param", "raw"), BAD_NUMBERS)
def test_nearby(api, city, param, raw):
    where = city.inside()
    query = {"layer": "parcels", "lon": where.x, "lat": where.y, "radius": 2000, param: raw}
    assert_error(api.get("/api/spatial/nearby", query), 400, param)


@pytest.mark.parametrize(("param", "raw"), BAD_NUMBERS)
def test_rollup(api, city, param, raw):
    response = api.get("/api/spatial/rollup", {"layer": "parcels", "level": "county", param: raw})
    assert_error(response, 400, param)


@pytest.mark.parametrize(("param", "raw"), BAD_NUMBERS)
def test_query(api, city, param, raw):
    body = {"layer": "parcels", "shape": "division", "division": city.city.code, "filters": {param: raw}}
    assert_error(api.post("/api/spatial/query", body, format="json"), 400, param)


def test_query_with_an_overflowing_json_number(api, city):
    """A JSON literal 1e999999 parses as a Python infinity before any filter code sees it."""
    body = (
        f'{{"layer": "parcels", "shape": "division", "division": "{city.city.code}", '
        '"filters": {"price_wan_per_mu__gte": 1e999999, "area_m2__gte": 1e999999}}'
    )
    response = api.post("/api/spatial/query", body, content_type="application/json")
    error = assert_error(response, 400)
    assert {"price_wan_per_mu__gte", "area_m2__gte"} & set(error["fields"]), error


def test_finite_filters_still_answer(api, city):
    make_record("parcels", city, city.inside(), is_public=True, price_wan_per_mu=35)
    where = city.inside()
    near = api.get(
        "/api/spatial/nearby",
        {"layer": "parcels", "lon": where.x, "lat": where.y, "price_wan_per_mu__gte": "30"},
    )
    assert near.status_code == 200 and near.json()["count"] == 1
    rollup = api.get("/api/spatial/rollup", {"layer": "parcels", "level": "county", "area_m2__gte": "1e300"})
    assert rollup.status_code == 200 and rollup.json()["total"]["count"] == 0
