"""Public tiles behind a CDN (issue 19): TileJSON and the style hand anonymous callers tile URLs
carrying the layers' data version; such a tile is immutable, an edit changes the URL, a stale
version redirects to the current one, and scoped (logged-in) tiles stay private."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from accounts.roles import Role
from tests.builders import make_record

pytestmark = pytest.mark.django_db


def version_in(template: str) -> str:
    return parse_qs(urlsplit(template).query)["v"][0]


def tile_version(client, layer: str = "parcels") -> str:
    return version_in(client.get(f"/tiles/{layer}.json").json()["tiles"][0])


def test_versioned_public_tile_is_immutable(client, city):
    version = tile_version(client)
    response = client.get(f"/tiles/parcels/12/3300/1780.mvt?v={version}")
    assert response.status_code in (200, 204)
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "X-Accel-Expires" not in response
    unversioned = client.get("/tiles/parcels/12/3300/1780.mvt")
    assert unversioned["Cache-Control"] == "public, no-cache", "unversioned keeps today's headers"


def test_style_sources_carry_the_same_version(client, city):
    style = client.get("/tiles/style.json").json()
    assert version_in(style["sources"]["parcels"]["tiles"][0]) == tile_version(client)


def test_an_edit_changes_the_version_and_the_url(client, city, django_capture_on_commit_callbacks):
    before = tile_version(client)
    buildings = tile_version(client, "buildings")
    with django_capture_on_commit_callbacks(execute=True):
        make_record("parcels", city, city.inside(), is_public=True)
    after = tile_version(client)
    assert after != before
    assert tile_version(client, "buildings") == buildings, "other layers keep their URLs"
    stale = client.get(f"/tiles/parcels/12/3300/1780.mvt?v={before}&land_use=industrial")
    assert stale.status_code == 302
    assert stale["Cache-Control"] == "public, max-age=60"
    target = urlsplit(stale["Location"])
    assert target.path == "/tiles/parcels/12/3300/1780.mvt"
    assert parse_qs(target.query) == {"v": [after], "land_use": ["industrial"]}, "filters are kept"
    assert client.get(stale["Location"])["Cache-Control"] == "public, max-age=31536000, immutable"


def test_scoped_tiles_stay_private(client, city):
    version = tile_version(client)
    client.force_login(city.users[Role.CITY_OFFICER])
    assert "?v=" not in client.get("/tiles/parcels.json").json()["tiles"][0]
    for url in (f"/tiles/parcels/12/3300/1780.mvt?v={version}", "/tiles/parcels/12/3300/1780.mvt?v=stale"):
        response = client.get(url)
        assert response.status_code in (200, 204), "a logged-in viewer is served, never redirected"
        assert response["Cache-Control"] == "private, no-cache"
        assert "X-Accel-Expires" not in response
