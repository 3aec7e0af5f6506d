"""Raster tiles and TileJSON of orthophotos, with the layer's permission cut."""

from __future__ import annotations

import io

import mercantile
import pytest
from PIL import Image

from accounts import tokens
from accounts.roles import Role
from fixtures import ingest_inputs as fx
from layers.models import Orthophoto


@pytest.fixture
def ortho(ingest, tmp_path):
    def make(public: bool = True, role: str = Role.ADMIN):
        path = fx.geotiff(tmp_path / f"o{public}.tif", 1024, 1024, crs="EPSG:4547", pixel_m=0.5)
        job = ingest.job(
            path.read_bytes(), f"o{public}.tif", role=role, kind="orthophoto", options={"is_public": public}
        )
        assert job.status == "succeeded", job.error
        return Orthophoto.objects.get(pk=job.report["created"]["orthophotos"]["ids"][0])

    return make


def _inside_tile(z: int = 17):
    t = mercantile.tile(112.02, 22.92, z)
    return t.z, t.x, t.y


def test_png_and_webp_tiles_are_images_of_the_orthophoto(client, ortho):
    o = ortho()
    z, x, y = _inside_tile()
    for ext, fmt in (("png", "PNG"), ("webp", "WEBP")):
        response = client.get(f"/tiles/raster/{o.pk}/{z}/{x}/{y}.{ext}")
        assert response.status_code == 200, response.content[:200]
        assert response["Content-Type"] == f"image/{ext}"
        img = Image.open(io.BytesIO(response.content))
        assert img.format == fmt
        assert img.size == (256, 256)
        assert response["Cache-Control"] == "public, no-cache"


def test_a_tile_outside_the_image_is_204_and_a_bad_address_400(client, ortho):
    o = ortho()
    t = mercantile.tile(113.5, 23.5, 17)
    assert client.get(f"/tiles/raster/{o.pk}/{t.z}/{t.x}/{t.y}.png").status_code == 204
    response = client.get(f"/tiles/raster/{o.pk}/3/99/0.png")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "tile_out_of_range"


def test_etag_gives_304(client, ortho):
    o = ortho()
    z, x, y = _inside_tile()
    first = client.get(f"/tiles/raster/{o.pk}/{z}/{x}/{y}.png")
    again = client.get(f"/tiles/raster/{o.pk}/{z}/{x}/{y}.png", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


def test_tilejson_describes_bounds_zooms_and_tile_urls(client, ortho):
    o = ortho()
    doc = client.get(f"/tiles/raster/{o.pk}.json").json()
    assert doc["tilejson"] == "3.0.0"
    assert doc["tiles"][0].endswith(f"/tiles/raster/{o.pk}/{{z}}/{{x}}/{{y}}.png")
    west, south, east, north = doc["bounds"]
    assert west < 112.02 < east and south < 22.92 < north
    assert doc["minzoom"] <= doc["maxzoom"] >= 18


def test_unpublished_orthophotos_are_hidden_from_anonymous_viewers_and_shown_in_scope(client, ingest, ortho):
    o = ortho(public=False)
    z, x, y = _inside_tile()
    url = f"/tiles/raster/{o.pk}/{z}/{x}/{y}.png"
    assert client.get(url).status_code == 404
    assert client.get(f"/tiles/raster/{o.pk}.json").status_code == 404
    _record, token = tokens.issue(ingest.city.users[Role.DISTRICT_OFFICER])
    ok = client.get(url, HTTP_AUTHORIZATION=f"Token {token}")
    assert ok.status_code == 200
    assert ok["Cache-Control"] == "private, no-cache"
    # A grid worker may not read orthophotos beyond the published ones.
    _record, worker = tokens.issue(ingest.city.users[Role.GRID_WORKER])
    assert client.get(url, HTTP_AUTHORIZATION=f"Token {worker}").status_code == 404


def test_a_bad_token_is_401(client, ortho):
    o = ortho()
    response = client.get(f"/tiles/raster/{o.pk}.json", HTTP_AUTHORIZATION="Token nope")
    assert response.status_code == 401
