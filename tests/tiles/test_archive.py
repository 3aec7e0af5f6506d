import gzip
import sqlite3

import mapbox_vector_tile
import pytest
from django.core.management import CommandError, call_command
from pmtiles.reader import MmapSource, Reader

from accounts.roles import Role
from tests.builders import make_record
from tests.tiles.test_vector_tiles import tile_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def parcels(city):
    return [
        make_record("parcels", city, city.inside(dx=0.004 * i), land_use="industrial", is_public=True)
        for i in range(3)
    ]


def test_export_pmtiles_holds_the_public_features(tmp_path, city, parcels):
    out = tmp_path / "city.pmtiles"
    call_command(
        "tiles", "export", "--layers", "parcels", "--minzoom", "12", "--maxzoom", "14", "--output", str(out)
    )
    with open(out, "rb") as f:
        reader = Reader(MmapSource(f))
        assert reader.header()["min_zoom"] == 12 and reader.header()["max_zoom"] == 14
        assert reader.metadata()["vector_layers"][0]["id"] == "parcels"
        x, y = tile_of(parcels[0].geom.centroid.x, parcels[0].geom.centroid.y, 14)
        tile = mapbox_vector_tile.decode(gzip.decompress(reader.get(14, x, y)))
    assert parcels[0].pk in {f["id"] for f in tile["parcels"]["features"]}


def test_export_mbtiles_uses_tms_rows(tmp_path, city, parcels):
    out = tmp_path / "city.mbtiles"
    call_command(
        "tiles", "export", "--layers", "parcels", "--minzoom", "14", "--maxzoom", "14", "--output", str(out)
    )
    x, y = tile_of(parcels[0].geom.centroid.x, parcels[0].geom.centroid.y, 14)
    with sqlite3.connect(out) as db:
        row = db.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level=14 AND tile_column=? AND tile_row=?",
            (x, 2**14 - 1 - y),
        ).fetchone()
        assert dict(db.execute("SELECT name, value FROM metadata"))["format"] == "pbf"
    assert row is not None


def test_a_grid_workers_offline_package_needs_their_scope(tmp_path, city):
    make_record("field_points", city, city.inside())
    out = tmp_path / "cell.mbtiles"
    with pytest.raises(CommandError, match="may not see field_points"):
        call_command("tiles", "export", "--layers", "field_points", "--output", str(out))
    worker = city.users[Role.GRID_WORKER]
    call_command(
        "tiles",
        "export",
        "--layers",
        "grid_cells,field_points",
        "--minzoom",
        "12",
        "--maxzoom",
        "13",
        "--user",
        worker.username,
        "--output",
        str(out),
    )
    with sqlite3.connect(out) as db:
        assert db.execute("SELECT count(*) FROM tiles").fetchone()[0] >= 2
