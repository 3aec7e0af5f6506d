"""Drone orthophotos: validation, reprojection, COG conversion, footprint and resolution."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from django.core.files.storage import default_storage
from rio_cogeo.cogeo import cog_validate

from accounts.roles import Role
from fixtures import ingest_inputs as fx
from layers.models import Orthophoto


def _run(
    ingest,
    tmp_path: Path,
    role: str = Role.ADMIN,
    name: str = "mosaic.tif",
    options: dict | None = None,
    **tif,
):
    path = fx.geotiff(tmp_path / name, **tif)
    return ingest.job(path.read_bytes(), name, role=role, kind="orthophoto", options=options or {})


def test_a_gauss_kruger_geotiff_becomes_a_web_mercator_cog_with_footprint_and_resolution(ingest, tmp_path):
    job = _run(
        ingest,
        tmp_path,
        crs="EPSG:4547",
        width=1200,
        height=800,
        pixel_m=0.25,
        options={"title": "2024 春季航飞", "is_public": True},
    )
    assert job.status == "succeeded", job.error
    ortho = Orthophoto.objects.get()
    assert ortho.title == "2024 春季航飞"
    assert ortho.is_public
    assert ortho.created_by == ingest.city.users[Role.ADMIN]
    assert str(ortho.captured_on) == "2024-04-30"  # from the TIFF DateTime tag
    assert ortho.resolution_m == pytest.approx(0.25, rel=0.05)
    path = default_storage.path(ortho.cog.name)
    valid, errors, _warnings = cog_validate(path, quiet=True)
    assert valid, errors
    with rasterio.open(path) as cog:
        assert cog.crs.to_string() == "EPSG:3857"
        assert cog.overviews(1) or max(cog.width, cog.height) <= 512
    # 600 x 400 px of 0.5 m around (112.02, 22.92): the footprint is ~300 m x 200 m there.
    centre = ortho.geom.centroid
    assert centre.x == pytest.approx(112.02, abs=1e-4)
    assert centre.y == pytest.approx(22.92, abs=1e-4)
    assert 300 * 200 * 0.95 < _area_m2(ortho.geom) < 300 * 200 * 1.1
    assert ortho.division_code == "445302001001"  # derived like a save() would
    assert job.report["counts"]["created"] == 1
    assert job.report["cog"]["crs"] == "EPSG:3857"
    assert job.report["source"]["crs"] == "EPSG:4547"


def _area_m2(geom) -> float:
    from layers.derivation import geodesic_area_m2

    return geodesic_area_m2(geom)


def test_the_footprint_follows_the_valid_data_not_the_bounding_box(ingest, tmp_path):
    job = _run(ingest, tmp_path, crs="EPSG:3857", width=512, height=512, alpha_border=True)
    assert job.status == "succeeded", job.error
    ortho = Orthophoto.objects.get()
    box_area = _area_m2(ortho.geom.envelope)
    # A quarter-width triangle on the left is transparent: ~12.5 % less than the box.
    assert _area_m2(ortho.geom) < 0.93 * box_area


def test_a_web_mercator_source_is_converted_without_reprojection(ingest, tmp_path):
    job = _run(ingest, tmp_path, crs="EPSG:3857", width=300, height=300, pixel_m=0.3)
    assert job.status == "succeeded", job.error
    ortho = Orthophoto.objects.get()
    with rasterio.open(default_storage.path(ortho.cog.name)) as cog:
        assert (cog.width, cog.height) == (300, 300)


def test_jpeg_compression_is_an_option(ingest, tmp_path):
    job = _run(ingest, tmp_path, crs="EPSG:4326", width=300, height=300, options={"compress": "jpeg"})
    assert job.status == "succeeded", job.error
    with rasterio.open(default_storage.path(Orthophoto.objects.get().cog.name)) as cog:
        assert cog.compression.value == "JPEG"


def test_16_bit_or_multispectral_rasters_are_refused_with_the_reason(ingest, tmp_path):
    path = tmp_path / "ms.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=32,
        height=32,
        count=5,
        dtype="uint16",
        crs="EPSG:3857",
        transform=rasterio.transform.from_origin(12467000, 2620000, 1, 1),
    ) as dst:
        dst.write(np.zeros((5, 32, 32), "uint16"))
    job = ingest.job(path.read_bytes(), "ms.tif", kind="orthophoto")
    assert job.status == "failed"
    assert "8-bit" in job.error and "5 band(s)" in job.error
    assert not Orthophoto.objects.exists()


def test_grid_workers_may_not_import_orthophotos(ingest, tmp_path):
    path = fx.geotiff(tmp_path / "m.tif", 64, 64)
    response = ingest.submit(path.read_bytes(), "m.tif", role=Role.GRID_WORKER, kind="orthophoto")
    assert response.status_code == 403


def test_a_district_officer_may_not_import_an_orthophoto_of_another_district(ingest, tmp_path):
    # County 1 is 112.1-112.2; the district officer is bound to county 0.
    job = _run(ingest, tmp_path, role=Role.DISTRICT_OFFICER, centre=(112.15, 22.95), width=64, height=64)
    assert job.status == "failed"
    assert "outside your role or your area" in job.report["errors"][0]["reason"]
    assert not Orthophoto.objects.exists()
    # The COG written before the check is removed again.
    assert not list(Path(default_storage.path("orthophotos")).glob(f"{job.token.hex}*"))
