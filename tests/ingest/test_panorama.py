"""360° panoramas: EXIF position, GPano/EXIF heading, thumbnail, phone-sized tiles, nearest carrier."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from accounts.roles import Role
from fixtures import ingest_inputs as fx
from ingest.panorama import cube_faces
from layers.models import Panorama
from tests.builders import make_record


def test_position_heading_time_thumbnail_and_tiles(ingest):
    job = ingest.job(
        fx.panorama(2048, 1024, gpano_heading=30.0, exif_heading=200.0),
        "p1.jpg",
        kind="panorama",
        role=Role.PARK_MANAGER,
    )
    assert job.status == "succeeded", job.error
    pano = Panorama.objects.get()
    assert pano.geom.x == pytest.approx(fx.X0 + 0.011, abs=1e-6)
    assert pano.geom.y == pytest.approx(fx.Y0 + 0.011, abs=1e-6)
    assert pano.heading_deg == 30.0  # GPano wins over EXIF
    assert job.report["panorama"]["heading_source"] == "GPano PoseHeadingDegrees"
    assert pano.captured_at == datetime.fromisoformat("2024-05-01T09:30:00+08:00")
    assert pano.park == ingest.city.park
    assert pano.title == "p1"
    assert Image.open(default_storage.path(pano.thumbnail.name)).size == (512, 256)
    assert default_storage.exists(pano.image.name)
    tiles = Path(default_storage.path(pano.tiles_path))
    config = json.loads((tiles / "config.json").read_text())
    assert config["type"] == "multires"
    assert config["northOffset"] == 30.0
    multires = config["multiRes"]
    assert multires["tileResolution"] == 512 and multires["cubeResolution"] == 512
    for face in "frbldu":
        assert (tiles / "1" / f"{face}0_0.jpg").exists()
        assert (tiles / "fallback" / f"{face}.jpg").exists()
    sizes = {Image.open(p).size for p in tiles.rglob("*.jpg")}
    assert max(max(s) for s in sizes) <= 1024, "nothing a phone loads is bigger than 1024 px"


def test_an_8k_panorama_gets_2048_px_faces_in_512_px_tiles(ingest):
    job = ingest.job(fx.panorama(8192, 4096, quality=70), "p8k.jpg", kind="panorama")
    assert job.status == "succeeded", job.error
    tiles = Path(default_storage.path(Panorama.objects.get().tiles_path))
    config = json.loads((tiles / "config.json").read_text())["multiRes"]
    assert config["cubeResolution"] == 2048 and config["maxLevel"] == 3
    top = sorted(p.name for p in (tiles / "3").glob("f*.jpg"))
    assert len(top) == 16 and Image.open(tiles / "3" / "f0_0.jpg").size == (512, 512)
    assert job.report["panorama"]["tiles"]["count"] == 6 * (16 + 4 + 1) + 6


def test_exif_heading_and_default_heading(ingest):
    job = ingest.job(fx.panorama(512, 256, gpano_heading=None, exif_heading=123.45), "a.jpg", kind="panorama")
    assert Panorama.objects.get(pk=job.report["created"]["panoramas"]["ids"][0]).heading_deg == 123.45
    job = ingest.job(fx.panorama(512, 256, gpano_heading=None, seed=2), "b.jpg", kind="panorama")
    assert job.report["panorama"]["heading_source"] == "default"
    assert "no heading" in job.report["warnings"][0]["reason"]


def test_the_front_face_looks_at_the_image_centre():
    from PIL import ImageDraw

    img = fx.equirect_image(1024, 512)
    draw = ImageDraw.Draw(img)  # a yellow marker straddling the ±180° seam, behind the camera
    draw.ellipse([-12, 244, 12, 268], fill=(250, 230, 0))
    draw.ellipse([1012, 244, 1036, 268], fill=(250, 230, 0))
    faces = cube_faces(img)
    front = faces["f"]
    size = front.size[0]
    r, g, b = front.getpixel((size // 2, size // 2))
    assert r > 180 and g < 100, "the red marker at yaw 0 is in the middle of the front face"
    r, g, b = faces["b"].getpixel((size // 2, size // 2))
    assert r > 200 and g > 200 and b < 80, "the seam is in the middle of the back face, in one piece"
    for name in "frbl":  # every side face is fully drawn (no black from a missing source)
        assert min(faces[name].getpixel((x, size // 2))[2] for x in (0, size - 1)) > 40
    # Up is sky (blue), down is ground (green).
    assert faces["u"].getpixel((size // 2, size // 2))[2] > 150
    assert faces["d"].getpixel((size // 2, size // 2))[1] > faces["d"].getpixel((size // 2, size // 2))[2]


def test_links_to_the_nearest_parcel_and_building_within_the_tolerance(ingest, city):
    from django.contrib.gis.geos import Point

    # The panorama is at (X0+0.011, Y0+0.011); a parcel square starts 0.0002 deg (~20 m) east.
    near = make_record("parcels", city, Point(fx.X0 + 0.0122, fx.Y0 + 0.011, srid=4326), code="NEAR")
    make_record("parcels", city, Point(fx.X0 + 0.02, fx.Y0 + 0.011, srid=4326), code="FAR")
    building = make_record("buildings", city, Point(fx.X0 + 0.03, fx.Y0 + 0.03, srid=4326))
    job = ingest.job(fx.panorama(512, 256), "p.jpg", kind="panorama")
    pano = Panorama.objects.get()
    assert pano.parcel == near
    assert pano.building is None, "the building is ~2 km away"
    assert 10 < job.report["panorama"]["links"]["parcel"]["distance_m"] < 30
    job = ingest.job(fx.panorama(512, 256, seed=3), "p.jpg", kind="panorama", options={"tolerance_m": 5})
    assert Panorama.objects.get(pk=job.report["created"]["panoramas"]["ids"][0]).parcel is None
    assert "not linked" in job.report["warnings"][-1]["reason"]
    assert building.pk


def test_a_position_picked_on_a_gcj02_map_is_converted(ingest):
    from layers.crs import wgs84_to_gcj02

    mars = wgs84_to_gcj02(112.015, 22.915)
    job = ingest.job(
        fx.panorama(512, 256, lon=None, lat=None),
        "p.jpg",
        kind="panorama",
        options={"lon": mars[0], "lat": mars[1], "crs": "gcj02", "heading": 90},
    )
    assert job.status == "succeeded", job.error
    pano = Panorama.objects.get()
    assert pano.geom.x == pytest.approx(112.015, abs=1e-7)
    assert pano.heading_deg == 90


def test_a_photo_that_is_not_2_to_1_is_refused(ingest):
    job = ingest.job(fx.jpeg(400, 300, exif=fx.exif_bytes(112.01, 22.91)), "photo.jpg", kind="panorama")
    assert job.status == "failed"
    assert "2:1" in job.error
    assert not Panorama.objects.exists()
    assert not list(Path(default_storage.path("panoramas")).glob(f"{job.token.hex}*"))
