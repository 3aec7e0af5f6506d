"""``GET /api/sync/area/``: what the phone keeps to work offline — the caller's cells, the tiles
covering them, the points in them and the categories, each cut as the caller's reading is."""

from __future__ import annotations

import math

import pytest

from accounts import tokens
from accounts.models import TokenKind, User
from accounts.roles import Role
from grid.models import EventCategory
from layers.models import FieldPointCategory
from sync.area import tile_cover
from tests.builders import X0, Y0, make_record
from tests.tiles.test_vector_tiles import tile_of
from tiles.config import SOURCE_MAXZOOM, TILE_LAYERS

pytestmark = pytest.mark.django_db
AREA_URL = "/api/sync/area/"
EVERY_LAYER = "grid_cells,buildings,parcels,field_points,places,patrol_tracks"


def _area(api, user, **headers):
    response = api.as_user(user).get(AREA_URL, **headers)
    assert response.status_code == 200, response.content
    return response.json()


def _ids(collection) -> set[int]:
    return {feature["id"] for feature in collection["features"]}


@pytest.fixture
def points(city, hazard):
    """A field point and a place in the grid worker's cell (cells[0]), and one of each in the next
    cell of the same village (cells[1], X0 + 0.05 onwards)."""
    inside, beside = city.inside(), city.inside(dx=0.07)
    return {
        "point": make_record("field_points", city, inside, note="井盖缺失\n在路口东侧"),
        "place": make_record("places", city, inside, name="便民超市"),
        "other_point": make_record("field_points", city, beside),
        "other_place": make_record("places", city, beside, name="邻格饭店"),
    }


def test_a_grid_worker_gets_exactly_their_cell_and_the_tiles_covering_it(api, client, city):
    body = _area(api, city.users[Role.GRID_WORKER])
    cell = city.cells[0]
    [feature] = body["cells"]["features"]
    assert feature["id"] == cell.pk and not body["cells"]["truncated"]
    assert feature["properties"] == {"id": cell.pk, "code": cell.code, "name": cell.name}
    assert feature["geometry"]["type"] == "MultiPolygon"
    assert body["bounds"] == pytest.approx([X0, Y0, X0 + 0.05, Y0 + 0.1])

    tiles = body["tiles"]
    assert tiles["layers"] == EVERY_LAYER
    assert (tiles["minzoom"], tiles["maxzoom"]) == (
        TILE_LAYERS["field_points"].detail_minzoom,
        SOURCE_MAXZOOM,
    )
    assert tiles["template"] == f"/tiles/{EVERY_LAYER}/{{z}}/{{x}}/{{y}}.mvt"
    assert not tiles["truncated"]
    urls = set(tiles["urls"])
    assert len(urls) == len(tiles["urls"]), "each tile once"
    for z in range(tiles["minzoom"], tiles["maxzoom"] + 1):
        x, y = tile_of(city.inside().x, city.inside().y, z)
        assert f"/tiles/{EVERY_LAYER}/{z}/{x}/{y}.mvt" in urls, z
    # At zoom 16, exactly the tiles between the cell's corners; the next county's are not there.
    west, north = tile_of(X0, Y0 + 0.1, 16)
    east, south = tile_of(X0 + 0.05, Y0, 16)
    at_16 = {u for u in urls if u.startswith(f"/tiles/{EVERY_LAYER}/16/")}
    assert at_16 == {
        f"/tiles/{EVERY_LAYER}/16/{x}/{y}.mvt" for x in range(west, east + 1) for y in range(north, south + 1)
    }
    far = tile_of(city.inside(county=1).x, city.inside(county=1).y, 16)
    assert f"/tiles/{EVERY_LAYER}/16/{far[0]}/{far[1]}.mvt" not in urls
    # The URLs are the tile endpoint's, and the phone's token opens them.
    key = tokens.issue(city.users[Role.GRID_WORKER], TokenKind.DEVICE, name="手机")[1]
    assert client.get(tiles["urls"][-1], HTTP_AUTHORIZATION=f"Token {key}").status_code in (200, 204)


def test_the_features_are_those_in_the_cell(api, city, points):
    body = _area(api, city.users[Role.GRID_WORKER])
    field_points, places = body["features"]["field_points"], body["features"]["places"]
    assert _ids(field_points) == {points["point"].pk} and not field_points["truncated"]
    assert _ids(places) == {points["place"].pk} and not places["truncated"]
    [point] = field_points["features"]
    where = city.inside()
    assert point["geometry"] == {"type": "Point", "coordinates": [where.x, where.y]}
    assert point["properties"] == {
        "id": points["point"].pk,
        "name": "安全隐患 · 井盖缺失",
        "category": "hazard",
        "status": "reported",
        "lon": where.x,
        "lat": where.y,
    }
    [place] = places["features"]
    assert (place["properties"]["name"], place["properties"]["category"]) == ("便民超市", "test_shop")


def test_another_cells_worker_sees_their_own_cell_only(api, city, points):
    neighbour = User.objects.create_user(username="u-cell-1", role=Role.GRID_WORKER, grid_cell=city.cells[1])
    body = _area(api, neighbour)
    assert _ids(body["cells"]) == {city.cells[1].pk}
    assert _ids(body["features"]["field_points"]) == {points["other_point"].pk}
    assert _ids(body["features"]["places"]) == {points["other_place"].pk}
    assert body["bounds"] == pytest.approx([X0 + 0.05, Y0, X0 + 0.1, Y0 + 0.1])


def test_a_user_bound_to_a_division_gets_the_cells_of_their_scope_capped(api, city, points, monkeypatch):
    staff = city.users[Role.GRID_STAFF]  # bound to the first town: cells 0 and 1
    body = _area(api, staff)
    assert _ids(body["cells"]) == {city.cells[0].pk, city.cells[1].pk}
    assert body["bounds"] == pytest.approx([X0, Y0, X0 + 0.1, Y0 + 0.1])
    assert _ids(body["features"]["field_points"]) == {points["point"].pk, points["other_point"].pk}

    newest = make_record("field_points", city, city.inside(dx=0.02))
    monkeypatch.setattr("sync.area.MAX_CELLS", 1)
    monkeypatch.setattr("sync.area.MAX_TILES", 5)
    monkeypatch.setattr("sync.area.MAX_FEATURES", 1)
    capped = _area(api, staff)
    assert _ids(capped["cells"]) == {city.cells[0].pk} and capped["cells"]["truncated"]
    assert capped["bounds"] == pytest.approx([X0, Y0, X0 + 0.05, Y0 + 0.1]), "the bounds of the cells sent"
    assert len(capped["tiles"]["urls"]) == 5 and capped["tiles"]["truncated"]
    zooms = [int(url.split("/")[3]) for url in capped["tiles"]["urls"]]
    assert zooms == sorted(zooms) and zooms[0] == capped["tiles"]["minzoom"], "the lowest zooms first"
    assert _ids(capped["features"]["field_points"]) == {newest.pk}
    assert capped["features"]["field_points"]["truncated"]


def test_the_tiles_are_of_the_layers_the_caller_may_list(api, city):
    # A park manager reads no grid cells, field points, places nor tracks: no cells, so no tiles.
    body = _area(api, city.users[Role.PARK_MANAGER])
    assert body["cells"]["features"] == [] and body["bounds"] is None
    assert body["tiles"]["layers"] == "buildings,parcels" and body["tiles"]["urls"] == []


def test_categories_are_the_active_ones_in_the_request_language(api, city, hazard, category):
    FieldPointCategory.objects.create(key="retired", name_zh="旧类别", name_en="Retired", active=False)
    EventCategory.objects.create(key="retired", name_zh="旧事件", name_en="Old", active=False)
    body = _area(api, city.users[Role.GRID_WORKER], HTTP_ACCEPT_LANGUAGE="en")
    field_point = {c["key"]: c["label"] for c in body["categories"]["field_point"]}
    event = {c["key"]: c["label"] for c in body["categories"]["event"]}
    assert field_point["hazard"] == "Hazard" and "retired" not in field_point
    assert event["road"] == "Damaged road" and "retired" not in event
    zh = _area(api, city.users[Role.GRID_WORKER], HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert {c["key"]: c["label"] for c in zh["categories"]["event"]}["road"] == "道路破损"


def test_the_version_changes_with_the_area_only(api, city, hazard):
    worker = city.users[Role.GRID_WORKER]
    first, again = _area(api, worker), _area(api, worker)
    assert first["version"] == again["version"] and len(first["version"]) == 16
    assert first["generated_at"]
    make_record("field_points", city, city.inside(dx=0.02))
    assert _area(api, worker)["version"] != first["version"]


@pytest.mark.parametrize("role", ["anonymous", Role.INVESTOR])
def test_investors_and_anonymous_callers_are_refused(api, city, role):
    if role != "anonymous":
        api.as_user(city.users[role])
    response = api.get(AREA_URL)
    assert response.status_code == (401 if role == "anonymous" else 403)
    assert response.json()["error"]["message"]


def test_the_tile_cover_keeps_a_tile_on_its_own_edges():
    """A tile's own bounds are covered by that tile alone, not by its east and south neighbours."""
    z, x, y = 14, 13290, 7135
    n = 2**z
    west, east = x / n * 360 - 180, (x + 1) / n * 360 - 180
    north = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))
    south = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + 1) / n))))
    assert list(tile_cover([west, south, east, north], z, z)) == [(z, x, y)]
    assert list(tile_cover([west, south, east, north], z - 1, z - 1)) == [(z - 1, x // 2, y // 2)]
    assert len(list(tile_cover([west, south, east, north], z, z + 1))) == 1 + 4


def test_the_endpoint_is_documented(api, db):
    paths = api.get("/api/schema/?format=json").json()["paths"]
    assert "truncated" in paths[AREA_URL]["get"]["description"]
