"""A panorama's ``tiles_path`` is the platform's (ingest writes it), and media access is granted by
it (policy.media): a client who could point it at another record's tiles, then publish their own
record, would hand those tiles to anyone (issue 13, Low). The API takes it as read-only."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client

from accounts.roles import Role
from tests.builders import make_record

pytestmark = pytest.mark.django_db

SECRET = "panoramas/tiles/secret-test"
SECRET_TILE = f"{SECRET}/1/f0_0.jpg"


@pytest.fixture
def secret_tiles(city):
    """An internal panorama in the other county, with a tile on disk."""
    if default_storage.exists(SECRET_TILE):
        default_storage.delete(SECRET_TILE)
    default_storage.save(SECRET_TILE, ContentFile(b"\xff\xd8\xff\xe0 a secret tile"))
    record = make_record("panoramas", city, city.inside(county=1), tiles_path=SECRET)
    yield record
    default_storage.delete(SECRET_TILE)


def _anonymous_status(name: str) -> int:
    return Client().get(f"/media/{name}").status_code


def test_patch_cannot_point_tiles_path_at_another_records_media(api, city, secret_tiles):
    own = make_record("panoramas", city, city.inside(), tiles_path="panoramas/tiles/own")
    manager = api.as_user(city.users[Role.PARK_MANAGER])
    assert _anonymous_status(SECRET_TILE) == 404
    response = manager.patch(
        f"/api/panoramas/{own.pk}/",
        {"properties": {"tiles_path": SECRET, "is_public": True, "version": own.version}},
        format="json",
    )
    assert response.status_code == 200, response.content
    own.refresh_from_db()
    assert own.is_public, "the rest of the write went through"
    assert own.tiles_path == "panoramas/tiles/own"
    assert response.json()["properties"]["tiles_path"] == "panoramas/tiles/own"
    assert _anonymous_status(SECRET_TILE) == 404, "publishing one's own record grants nobody else's tiles"


def test_create_ignores_a_client_tiles_path(api, city, secret_tiles):
    officer = api.as_user(city.users[Role.CITY_OFFICER])
    where = city.inside()
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [where.x, where.y]},
        "properties": {"title": "mine", "tiles_path": SECRET, "is_public": True},
    }
    response = officer.post("/api/panoramas/", feature, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["properties"]["tiles_path"] == ""
    assert _anonymous_status(SECRET_TILE) == 404


def test_the_schema_shows_tiles_path_in_answers_only(client):
    components = client.get("/api/schema/?format=json").json()["components"]["schemas"]

    def attributes(name: str) -> dict:
        return components[name]["properties"]["properties"]["properties"]

    assert attributes("PanoramaFeature")["tiles_path"]["readOnly"] is True
    for request in ("PanoramaFeatureRequest", "PatchedPanoramaFeatureRequest"):
        assert "tiles_path" not in attributes(request)
