"""The GeoPackage writer's fast path (typed columns read with SQL, ``exports.columnar``, written by a
child process, ``ogr.Pipe``) makes the file the per-value path makes: the same rows byte for byte,
the same field types and spatial index, personal fields masked the same way."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from accounts.roles import Role
from exports import sources
from exports.formats import ogr
from layers.crs import STORAGE_CRS

pytestmark = pytest.mark.django_db


def _write(user, layer: str, path: Path, monkeypatch, *, fast: bool, batch: int = 2) -> tuple[int, list[int]]:
    table = sources.open_table(user, "layer", layer, "", {}, STORAGE_CRS)
    seen: list[int] = []
    with monkeypatch.context() as m:
        m.setattr(ogr, "GPKG_BATCH", batch)  # several batches: the child process writes them
        if not fast:  # what KML and Shapefiles still use: Python values, one by one
            m.setattr(ogr, "FeatureTable", type("NotAFeatureTable", (), {}))
        rows = ogr.write(
            table, path, driver="GPKG", progress=seen.append, layer_metadata={"DESCRIPTION": "wm"}
        )
    return rows, seen


def _content(path: Path) -> dict[str, object]:
    with sqlite3.connect(path) as db:
        (layer,) = db.execute("SELECT table_name FROM gpkg_contents").fetchone()
        tables = db.execute("SELECT type, name FROM sqlite_master ORDER BY name").fetchall()
        rtrees = [
            r[0]
            for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'"
            )
        ]
        return {
            "objects": tables,
            "schema": db.execute("SELECT sql FROM sqlite_master WHERE name = ?", [layer]).fetchone(),
            "rows": db.execute(f'SELECT * FROM "{layer}" ORDER BY fid').fetchall(),  # noqa: S608 - our own layer
            "rtree": [db.execute(f'SELECT * FROM "{t}" ORDER BY id').fetchall() for t in rtrees],  # noqa: S608
            "contents": db.execute(
                "SELECT table_name, description, min_x, min_y, max_x, max_y FROM gpkg_contents"
            ).fetchall(),
            "counts": db.execute("SELECT * FROM gpkg_ogr_contents").fetchall(),
        }


@pytest.mark.parametrize(
    ("layer", "role"),
    [("parcels", Role.ADMIN), ("parks", Role.PARK_MANAGER), ("parks", Role.DISTRICT_OFFICER)],
)
def test_the_fast_geopackage_is_the_per_value_one(city, parcels, tmp_path, monkeypatch, layer, role):
    user = city.users[role]
    fast_rows, progress = _write(user, layer, tmp_path / "fast.gpkg", monkeypatch, fast=True)
    slow_rows, _ = _write(user, layer, tmp_path / "slow.gpkg", monkeypatch, fast=False)
    assert fast_rows == slow_rows > 0
    assert progress[-1] == fast_rows
    fast, slow = _content(tmp_path / "fast.gpkg"), _content(tmp_path / "slow.gpkg")
    assert fast == slow
    assert fast["rtree"] and len(fast["rtree"][0]) == fast_rows  # the spatial index holds every row


def test_personal_fields_stay_masked_on_the_fast_path(city, tmp_path, monkeypatch):
    _write(city.users[Role.PARK_MANAGER], "parks", tmp_path / "parks.gpkg", monkeypatch, fast=True, batch=1)
    rows = _content(tmp_path / "parks.gpkg")["rows"]
    text = repr(rows)
    assert "138****5678" in text and "13812345678" not in text


def test_a_failing_gdal_write_fails_the_export_with_its_reason(city, parcels, tmp_path, monkeypatch):
    folder = tmp_path / "a-folder.gpkg"
    folder.mkdir()  # GDAL cannot create a file where a folder is
    with pytest.raises(RuntimeError, match="GDAL could not write the file"):
        _write(city.users[Role.ADMIN], "parcels", folder, monkeypatch, fast=True)
