"""TileJSON of an internal layer is refused as its tiles are: 401 anonymous, 403 for a role that may
not see it (issue 13, Low); the MapLibre style lists public layers only, whoever asks."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from layers.registry import LAYERS
from tiles.config import TILE_LAYERS

pytestmark = pytest.mark.django_db

INTERNAL = sorted(name for name in TILE_LAYERS if not LAYERS[name].public)


def assert_refused(response, status: int) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"]["code"] == {401: "not_authenticated", 403: "permission_denied"}[status]
    assert body["error"]["message"] and "vector_layers" not in body


@pytest.mark.parametrize("layer", INTERNAL)
def test_internal_tilejson_is_401_for_anonymous_callers(client, city, layer):
    assert_refused(client.get(f"/tiles/{layer}.json"), 401)


def test_a_composite_with_one_internal_layer_is_refused(client, city):
    assert_refused(client.get("/tiles/parcels,field_points.json"), 401)


def test_internal_tilejson_is_403_for_a_role_that_may_not_see_it(client, city):
    client.force_login(city.users[Role.INVESTOR])
    assert_refused(client.get("/tiles/project_sites.json"), 403)
    assert client.get("/tiles/project_sites/12/0/0.mvt").status_code == 403, "refused as the tile is"


def test_roles_that_may_see_the_layer_get_it(client, city):
    client.force_login(city.users[Role.GRID_WORKER])
    doc = client.get("/tiles/field_points.json").json()
    assert doc["vector_layers"][0]["id"] == "field_points"
    client.force_login(city.users[Role.CITY_OFFICER])
    assert client.get("/tiles/parcels,project_sites.json").status_code == 200


def test_public_tilejson_stays_open(client, city):
    assert client.get("/tiles/parcels.json").status_code == 200


def test_style_lists_public_layers_only_even_for_staff(client, city):
    anonymous = client.get("/tiles/style.json").json()
    client.force_login(city.users[Role.ADMIN])
    staff = client.get("/tiles/style.json").json()
    for style in (anonymous, staff):
        assert set(style["sources"]) == {name for name in TILE_LAYERS if LAYERS[name].public}
        assert not {layer["source"] for layer in style["layers"] if "source" in layer} & set(INTERNAL)
