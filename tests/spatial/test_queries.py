"""spatial.queries: the permission cut inside raw SQL, the index pre-filters and the KNN bound."""

from __future__ import annotations

import math

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import Point
from django.db.models import Q

from accounts.roles import Role
from layers.registry import LAYERS
from spatial import queries

from .builders import GEOD, offset


def test_degree_margins_cover_the_distance_everywhere_up_to_high_latitudes():
    for lat in (0, 22.9, 45, 70):
        origin = Point(112.0, lat, srid=4326)
        box = queries.expanded_envelope(origin, 50_000)
        minx, miny, maxx, maxy = box.extent
        for azimuth in range(0, 360, 15):
            lon, lat2, _ = GEOD.fwd(origin.x, origin.y, azimuth, 50_000)
            assert minx < lon < maxx and miny < lat2 < maxy, (lat, azimuth)


def test_metres_per_degree_bound_is_a_lower_bound():
    for lat in (0, 23.3, 60):
        bound = queries.metres_per_degree_min(lat)
        for azimuth in range(0, 360, 10):
            lon, lat2, _ = GEOD.fwd(112.0, lat, azimuth, 1000)
            degrees = math.hypot(lon - 112.0, lat2 - lat)
            assert 1000 / degrees >= bound * 0.999, (lat, azimuth)


@pytest.mark.django_db
def test_layer_where_embeds_the_permission_cut(city):
    anonymous = queries.visible_where(AnonymousUser(), LAYERS["parcels"])
    assert "is_public" in anonymous[0] and anonymous[1] == []
    assert queries.visible_where(AnonymousUser(), LAYERS["grid_cells"]) == ("FALSE", [])
    officer = queries.visible_where(city.users[Role.DISTRICT_OFFICER], LAYERS["parcels"])
    assert officer[1] == [city.counties[0].prefix + "%"], "the scope is a parameter, never SQL text"
    admin = queries.visible_where(city.users[Role.ADMIN], LAYERS["parcels"], Q(land_use="industrial"))
    assert "deleted_at" in admin[0] and admin[1] == ["industrial"]


@pytest.mark.django_db
def test_soft_deleted_records_are_invisible_to_every_function(city, api):
    from .builders import amenity, parcel

    where = city.inside(dx=0.05, dy=0.05)
    gone = parcel(city, where)
    gone.soft_delete()
    clinic = amenity(city, offset(where, 100, 90))
    clinic.soft_delete()
    body = api.get(f"/api/spatial/locate?lon={where.x}&lat={where.y}").json()
    assert body["parcel"] is None
    assert queries.nearby(None, LAYERS["amenities"], where, 1000, 5).rows == []
    assert api.get("/api/spatial/rollup?layer=parcels&level=city").json()["total"]["count"] == 0


@pytest.mark.django_db
def test_nearby_falls_back_to_more_rounds_and_stays_exact(city):
    """Hundreds of records nearly equidistant: the answer is still the geodesic top N."""
    from .builders import amenity

    origin = city.inside(dx=0.05, dy=0.05)
    for i in range(120):
        amenity(city, offset(origin, 1000 + i * 0.5, (i * 97) % 360), name=f"r{i}")
    found = queries.nearby(None, LAYERS["amenities"], origin, 5000, 50)
    distances = [d for _id, d in found.rows]
    assert len(distances) == 50 and distances == sorted(distances)
    assert distances[-1] == pytest.approx(1000 + 49 * 0.5, abs=0.5)
    assert found.more is True
