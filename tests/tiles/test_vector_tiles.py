"""Vector tiles decoded with mapbox-vector-tile: edges, ids and properties, filters, permission
cuts, caching and invalidation, generalization, and the error answers."""

from __future__ import annotations

import gzip
import math

import mapbox_vector_tile
import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon

from accounts.roles import Role
from tests.builders import X0, Y0, make_record

pytestmark = pytest.mark.django_db


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def tile_west_lon(x: int, z: int) -> float:
    return x / 2**z * 360 - 180


def get(client, layers: str, z: int, x: int, y: int, query: str = "", **headers):
    return client.get(f"/tiles/{layers}/{z}/{x}/{y}.mvt{query}", **headers)


def decode(response) -> dict:
    assert response.status_code in (200, 204), response.content
    if response.status_code == 204:
        return {}
    body = response.content
    if response.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return mapbox_vector_tile.decode(body)


def features(response, layer: str) -> list[dict]:
    return decode(response).get(layer, {}).get("features", [])


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run on_commit hooks (tile invalidation) inside the test transaction."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_features_carry_ids_properties_and_respect_filters(client, city):
    industrial = make_record(
        "parcels", city, city.inside(), land_use="industrial", is_public=True, price_wan_per_mu=35
    )
    commercial = make_record("parcels", city, city.inside(dx=0.004), land_use="commercial", is_public=True)
    x, y = tile_of(city.inside().x, city.inside().y, 14)
    found = {f["id"]: f["properties"] for f in features(get(client, "parcels", 14, x, y), "parcels")}
    assert set(found) == {industrial.pk, commercial.pk}
    assert found[industrial.pk]["land_use"] == "industrial"
    assert found[industrial.pk]["price_wan_per_mu"] == 35.0
    assert found[industrial.pk]["area_mu"] == pytest.approx(industrial.area_mu)
    filtered = features(get(client, "parcels", 14, x, y, "?land_use=industrial"), "parcels")
    assert [f["id"] for f in filtered] == [industrial.pk]


def test_a_parcel_across_a_tile_edge_is_in_both_tiles_within_the_buffer(client, city):
    z = 14
    x, y = tile_of(X0 + 0.05, Y0 + 0.01, z)
    edge = tile_west_lon(x + 1, z)
    geom = MultiPolygon(Polygon.from_bbox((edge - 0.001, Y0 + 0.009, edge + 0.001, Y0 + 0.011)), srid=4326)
    parcel = make_record("parcels", city, city.inside(), geom=geom, is_public=True, land_use="industrial")
    left = features(get(client, "parcels", z, x, y), "parcels")
    right = features(get(client, "parcels", z, x + 1, y), "parcels")
    assert [f["id"] for f in left] == [parcel.pk] and [f["id"] for f in right] == [parcel.pk]
    xs_left = [pt[0] for pt in left[0]["geometry"]["coordinates"][0]]
    xs_right = [pt[0] for pt in right[0]["geometry"]["coordinates"][0]]
    assert max(xs_left) > 4096, "clipped at the buffer beyond the right edge, not at the edge"
    assert min(xs_right) < 0
    assert max(xs_left) <= 4096 + 64 and min(xs_right) >= -64


def logged_in(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_permission_cut_and_no_cache_leak_between_scopes(client, city):
    from accounts.models import User

    published = make_record("parcels", city, city.inside(), land_use="industrial", is_public=True)
    internal = make_record("parcels", city, city.inside(dx=0.004), land_use="industrial", is_public=False)
    x, y = tile_of(city.inside().x, city.inside().y, 14)
    officer = logged_in(city.users[Role.DISTRICT_OFFICER])
    seen_by_officer = {f["id"] for f in features(get(officer, "parcels", 14, x, y), "parcels")}
    assert seen_by_officer == {published.pk, internal.pk}
    seen_by_public = {f["id"] for f in features(get(client, "parcels", 14, x, y), "parcels")}
    assert seen_by_public == {published.pk}, "the officer's cached tile must not reach the public"
    other_county = User.objects.create_user("u-other", role=Role.DISTRICT_OFFICER, division=city.counties[1])
    seen_by_other = {f["id"] for f in features(get(logged_in(other_county), "parcels", 14, x, y), "parcels")}
    assert seen_by_other == {published.pk}


def test_internal_layers_need_a_login_and_cut_to_scope(client, city):
    own = make_record("field_points", city, city.inside())
    other = make_record("field_points", city, city.inside(county=1))
    own_tile, other_tile = tile_of(own.geom.x, own.geom.y, 12), tile_of(other.geom.x, other.geom.y, 12)
    assert get(client, "field_points", 12, *own_tile).status_code == 401
    worker = logged_in(city.users[Role.GRID_WORKER])
    assert [f["id"] for f in features(get(worker, "field_points", 12, *own_tile), "field_points")] == [own.pk]
    assert features(get(worker, "field_points", 12, *other_tile), "field_points") == []
    city_officer = logged_in(city.users[Role.CITY_OFFICER])
    assert [
        f["id"] for f in features(get(city_officer, "field_points", 12, *other_tile), "field_points")
    ] == [other.pk]


def test_token_authentication(client, city):
    from accounts import tokens

    make_record("field_points", city, city.inside())
    _record, key = tokens.issue(city.users[Role.CITY_OFFICER])
    x, y = tile_of(city.inside().x, city.inside().y, 12)
    assert get(client, "field_points", 12, x, y, HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    assert get(client, "field_points", 12, x, y, HTTP_AUTHORIZATION="Token nonsense").status_code == 401


def test_an_edit_invalidates_the_cached_tile(api, city, on_commit):
    with on_commit():
        parcel = make_record("parcels", city, city.inside(), land_use="industrial", is_public=True)
    x, y = tile_of(city.inside().x, city.inside().y, 14)
    officer = api.as_user(city.users[Role.CITY_OFFICER])
    officer.force_login(city.users[Role.CITY_OFFICER])
    first = get(officer, "parcels", 14, x, y)
    assert features(first, "parcels")[0]["properties"]["supply_status"] == "available"
    with on_commit():
        response = officer.patch(
            f"/api/parcels/{parcel.pk}/",
            {"properties": {"supply_status": "sold"}},
            format="json",
            HTTP_IF_MATCH='"1"',
        )
        assert response.status_code == 200
    second = get(officer, "parcels", 14, x, y)
    assert features(second, "parcels")[0]["properties"]["supply_status"] == "sold"
    assert second["ETag"] != first["ETag"]


def test_etag_304_gzip_and_cache_headers(client, city):
    make_record("parcels", city, city.inside(), land_use="industrial", is_public=True)
    x, y = tile_of(city.inside().x, city.inside().y, 14)
    first = get(client, "parcels", 14, x, y, HTTP_ACCEPT_ENCODING="gzip")
    assert (
        first["Content-Encoding"] == "gzip" and first["Content-Type"] == "application/vnd.mapbox-vector-tile"
    )
    assert first["Cache-Control"] == "public, no-cache"
    again = get(client, "parcels", 14, x, y, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    plain = get(client, "parcels", 14, x, y)
    assert "Content-Encoding" not in plain and features(plain, "parcels")


def test_empty_tile_is_204(client, city):
    assert get(client, "parcels", 14, 0, 0).status_code == 204


def test_low_zoom_aggregates_counts_per_division(client, city):
    plots = [
        make_record("parcels", city, city.inside(dx=0.005 + i * 0.004), land_use="industrial", is_public=True)
        for i in range(3)
    ]
    make_record("parcels", city, city.inside(county=1), land_use="industrial", is_public=True)
    make_record("parcels", city, city.inside(county=1, dx=0.02), land_use="industrial", is_public=False)
    x, y = tile_of(X0 + 0.1, Y0 + 0.05, 6)
    points = features(get(client, "parcels", 6, x, y), "parcels")
    counts = {f["properties"]["code"]: f["properties"]["count"] for f in points}
    assert counts == {city.counties[0].code: 3, city.counties[1].code: 1}
    assert all(f["properties"]["aggregated"] and f["geometry"]["type"] == "Point" for f in points)
    # With its members' extent, which a click on the count fits the map to.
    first = next(f["properties"] for f in points if f["properties"]["code"] == city.counties[0].code)
    extents = [p.geom.extent for p in plots]
    expected = [
        min(e[0] for e in extents),
        min(e[1] for e in extents),
        max(e[2] for e in extents),
        max(e[3] for e in extents),
    ]
    assert [first[k] for k in ("west", "south", "east", "north")] == pytest.approx(expected, abs=1e-6)


def test_composite_tiles_hold_both_layers(client, city):
    make_record("parcels", city, city.inside(), land_use="industrial", is_public=True)
    make_record("amenities", city, city.inside(dx=0.003))
    x, y = tile_of(city.inside().x, city.inside().y, 14)
    decoded = decode(get(client, "parcels,amenities", 14, x, y))
    assert set(decoded) == {"parcels", "amenities"}


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/tiles/parcels/23/0/0.mvt", 400),
        ("/tiles/parcels/3/8/0.mvt", 400),
        ("/tiles/nothing/3/1/1.mvt", 404),
        ("/tiles/parcels,parcels/3/1/1.mvt", 404),
        ("/tiles/parcels/14/1/1.mvt?colour=red", 400),
        ("/tiles/parcels/14/1/1.mvt?land_use=spaceport", 400),
    ],
)
def test_bad_requests(client, city, url, status):
    response = client.get(url)
    assert response.status_code == status
    assert response.json()["error"]["message"]


def test_tilejson_and_style_are_self_contained(client, city):
    doc = client.get("/tiles/parcels.json").json()
    assert doc["tilejson"] == "3.0.0" and "/tiles/parcels/{z}/{x}/{y}.mvt?v=" in doc["tiles"][0]
    assert doc["vector_layers"][0]["id"] == "parcels" and "land_use" in doc["vector_layers"][0]["fields"]
    style = client.get("/tiles/style.json").json()
    # Glyphs from our own static files (tiles.glyphs), no sprite: nothing from outside.
    assert style["version"] == 8 and "sprite" not in style
    assert style["glyphs"] == "http://testserver/static/glyphs/{fontstack}/{range}.pbf"
    assert "field_points" not in style["sources"], "internal layers stay out of the public style"
    urls = [url for source in style["sources"].values() for url in source["tiles"]]
    assert urls and all(url.startswith("http://testserver/tiles/") for url in urls)
