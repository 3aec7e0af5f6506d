"""The bad-input corpus of the issue, generated in code: every case is refused with a message that
names the problem (a 4xx, or a failed job), and nothing is written anywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accounts.roles import Role
from fixtures import ingest_inputs as fx

from .helpers import error_message, layer_counts


def _geojson_lat_200() -> bytes:
    doc = {
        "type": "FeatureCollection",
        "features": [
            fx.feature(
                {"type": "Polygon", "coordinates": fx.square(112.01, 22.91)},
                code="OK-1",
                land_use="industrial",
            ),
            fx.feature(
                {"type": "Point", "coordinates": [112.02, 200.0]}, code="BAD-2", land_use="industrial"
            ),
        ],
    }
    return json.dumps(doc).encode()


def _cases(tmp: Path) -> list[tuple[str, dict, bytes, int | None, list[str]]]:
    """(id, upload kwargs, data, expected 4xx or None for a failed job, words the message must contain)."""
    jpeg = fx.jpeg()
    return [
        (
            "truncated-tiff",
            {"name": "mosaic.tif", "kind": "orthophoto"},
            fx.truncated_tiff(tmp / "t.tif").read_bytes(),
            None,
            ["damaged or cut short"],
        ),
        (
            "tiff-without-georeferencing",
            {"name": "photo.tif", "kind": "orthophoto"},
            fx.plain_tiff(tmp / "p.tif").read_bytes(),
            None,
            ["no georeferencing"],
        ),
        (
            "jpeg-renamed-tif",
            {"name": "mosaic.tif", "kind": "orthophoto"},
            jpeg,
            400,
            ["JPEG image", "mosaic.tif", "GeoTIFF"],
        ),
        (
            "gpx-entity-expansion",
            {"name": "walk.gpx", "kind": "gps"},
            fx.gpx_bomb(),
            400,
            ["entit", "billion laughs"],
        ),
        (
            "nmea-garbage",
            {"name": "log.nmea", "kind": "gps"},
            fx.nmea_garbage(),
            None,
            ["no valid NMEA sentence", "checksum"],
        ),
        (
            "jpeg-without-exif-position",
            {"name": "pano.jpg", "kind": "panorama"},
            fx.panorama(512, 256, lon=None, lat=None),
            None,
            ["no GPS position", "lon and lat options"],
        ),
        (
            "zip-path-traversal",
            {"name": "parcels.zip", "kind": "vector", "layer": "parcels"},
            fx.zip_traversal(),
            400,
            ["'..'", "path traversal"],
        ),
        (
            "zip-bomb",
            {"name": "parcels.zip", "kind": "vector", "layer": "parcels"},
            fx.zip_bomb(8),
            400,
            ["zip bomb"],
        ),
        (
            "shapefile-without-shx",
            {"name": "parcels.zip", "kind": "vector", "layer": "parcels"},
            fx.shapefile_zip(tmp, drop=(".shx",)),
            None,
            ["no .shx file"],
        ),
        (
            "shapefile-without-prj",
            {"name": "parcels.zip", "kind": "vector", "layer": "parcels"},
            fx.shapefile_zip(tmp, drop=(".prj",)),
            None,
            ["no .prj file", "crs option"],
        ),
        (
            "geojson-latitude-200",
            {"name": "parcels.geojson", "kind": "vector", "layer": "parcels"},
            _geojson_lat_200(),
            None,
            ["feature 2", "out of range", "200"],
        ),
        (
            "csv-missing-coordinate-columns",
            {"name": "pois.csv", "kind": "vector", "layer": "amenities"},
            fx.csv_text(["name", "category", "address"], [["医院", "hospital", "x"]]),
            None,
            ["no coordinate columns", "longitude column", "name, category, address"],
        ),
        (
            "csv-non-numeric-coordinates",
            {"name": "pois.csv", "kind": "vector", "layer": "amenities"},
            fx.csv_text(
                ["name", "category", "lon", "lat"],
                [["A", "hospital", 112.01, 22.91], ["B", "bank", "东经112", 22.92]],
            ),
            None,
            ["row 3", "longitude (lon)", "not a number"],
        ),
        ("empty-file", {"name": "empty.geojson", "kind": "vector", "layer": "parcels"}, b"", 400, ["empty"]),
        (
            "png-as-panorama",
            {"name": "pano.jpg", "kind": "panorama"},
            b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
            400,
            ["PNG image", "360° JPEG"],
        ),
        (
            "geojson-cut-short",
            {"name": "parcels.geojson", "kind": "vector", "layer": "parcels"},
            fx.parcels_geojson(3)[:-40],
            None,
            ["not valid JSON"],
        ),
    ]


@pytest.mark.parametrize(
    "case",
    [
        "truncated-tiff",
        "tiff-without-georeferencing",
        "jpeg-renamed-tif",
        "gpx-entity-expansion",
        "nmea-garbage",
        "jpeg-without-exif-position",
        "zip-path-traversal",
        "zip-bomb",
        "shapefile-without-shx",
        "shapefile-without-prj",
        "geojson-latitude-200",
        "csv-missing-coordinate-columns",
        "csv-non-numeric-coordinates",
        "empty-file",
        "png-as-panorama",
        "geojson-cut-short",
    ],
)
def test_bad_input_is_refused_with_a_named_problem_and_writes_nothing(case, ingest, categories, tmp_path):
    name, kwargs, data, status, words = next(c for c in _cases(tmp_path) if c[0] == case)
    before = layer_counts()
    response = ingest.submit(data, **kwargs)
    if status is not None:
        assert response.status_code == status, response.json()
        message = error_message(response)
    else:
        assert response.status_code == 202, response.json()
        job = ingest.run(response)
        assert job.status == "failed", job.report
        message = job.error + " " + json.dumps(job.report, ensure_ascii=False)
    for word in words:
        assert word in message, f"{case}: {word!r} not in {message!r}"
    assert layer_counts() == before


def test_a_file_over_the_size_limit_is_a_413_naming_the_limit(ingest, settings):
    settings.INGEST_MAX_UPLOAD_MB = 0.01  # 10 KB
    before = layer_counts()
    response = ingest.submit(b"x" * 20_000, "big.geojson", kind="vector", layer="parcels")
    assert response.status_code == 413
    body = response.json()["error"]
    assert body["code"] == "file_too_large"
    assert "upload limit is 0 MB" in body["message"] or "limit" in body["message"]
    assert "INGEST_MAX_UPLOAD_MB" in body["message"]
    assert layer_counts() == before


def test_the_size_limit_is_checked_from_the_header_before_reading_the_body(ingest, settings):
    settings.INGEST_MAX_UPLOAD_MB = 0.01
    client = ingest.client()
    response = client.post(
        "/api/ingest/jobs/", data=b"x" * 200_000, content_type="multipart/form-data; boundary=zzz"
    )
    assert response.status_code == 413


def test_the_panorama_without_exif_position_is_accepted_when_the_user_gives_one(ingest, categories):
    data = fx.panorama(512, 256, lon=None, lat=None)
    job = ingest.job(data, "pano.jpg", kind="panorama", options={"lon": 112.011, "lat": 22.911})
    assert job.status == "succeeded", job.error
    assert job.report["panorama"]["position"]["source"] == "options"


def test_the_bomb_is_refused_inside_the_job_too_when_it_gets_there(tmp_path):
    """Defence in depth: the worker parses XML through defusedxml whatever the upload check said."""
    from ingest import gps
    from ingest.report import IngestError, Report

    path = tmp_path / "bomb.gpx"
    path.write_bytes(fx.gpx_bomb())
    with pytest.raises(IngestError) as exc:
        gps.parse_gpx(path, Report())
    assert exc.value.code == "unsafe_xml"


def test_investors_may_not_import_at_all(ingest):
    response = ingest.submit(
        fx.parcels_geojson(1), "p.geojson", role=Role.INVESTOR, kind="vector", layer="parcels"
    )
    assert response.status_code == 403
    assert "may not import into parcels" in error_message(response)
