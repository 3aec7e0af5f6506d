"""A tile's attribute filter with a number the column cannot hold is a 400 naming it, like REST
(issue 13, Low: ``price_wan_per_mu__gte=1e999999`` used to be a 500)."""

from __future__ import annotations

import pytest

from tests.builders import make_record

from .test_vector_tiles import tile_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("param", "raw"),
    [
        ("price_wan_per_mu__gte", "1e999999"),
        ("price_wan_per_mu__in", "1,-1e999999"),
        ("area_m2__gte", "1e999999"),
        ("area_m2", "nan"),
        ("area_mu__lte", "-Infinity"),
    ],
)
def test_non_finite_or_overflowing_filter_is_400(client, city, param, raw):
    make_record("parcels", city, city.inside(), is_public=True, price_wan_per_mu=35)
    x, y = tile_of(city.inside().x, city.inside().y, 14)
    response = client.get(f"/tiles/parcels/14/{x}/{y}.mvt", {param: raw})
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["message"]
    assert param in error["fields"], error


def test_a_finite_filter_still_renders(client, city):
    make_record("parcels", city, city.inside(), is_public=True, price_wan_per_mu=35)
    x, y = tile_of(city.inside().x, city.inside().y, 14)
    assert client.get(f"/tiles/parcels/14/{x}/{y}.mvt?price_wan_per_mu__gte=30").status_code == 200
