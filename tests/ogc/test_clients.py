"""Real GIS clients against a live server: GDAL's OAPIF driver (ogrinfo, ogr2ogr from gdal-bin)
and OWSLib's OGC API Features client, on a layer of 3,000 published parcels (several pages for each)."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pyogrio
import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from owslib.ogcapi.features import Features

from layers.models import LandParcel
from tests.builders import X0, Y0

pytestmark = pytest.mark.django_db(transaction=True)

COUNT = 3_000  # three GDAL pages of 1,000 and two OWSLib pages of 2,500
ROW = 100  # parcels per row of the grid they are laid out in
SIZE = 0.0009  # degrees: a parcel's side, 0.0001 apart


def _square(i: int) -> MultiPolygon:
    x = X0 + (i % ROW) * 0.001
    y = Y0 + (i // ROW) * 0.001
    return MultiPolygon(Polygon.from_bbox((x, y, x + SIZE, y + SIZE)), srid=4326)


@pytest.fixture
def layer(city) -> list[int]:
    """COUNT published parcels in a grid, written in bulk (no per-record derivation)."""
    parcels = [
        LandParcel(
            code=f"G-{i:05d}",
            land_use="industrial" if i % 4 == 0 else "commercial",
            is_public=True,
            division_code=city.villages[0].code,
            area_m2=1000.0 + i,
            area_mu=1.5,
            geom=_square(i),
        )
        for i in range(COUNT)
    ]
    LandParcel.objects.bulk_create(parcels, batch_size=2000)
    return list(LandParcel.objects.order_by("id").values_list("id", flat=True))


def _checksum(pairs) -> str:
    return hashlib.sha256("\n".join(f"{pk}|{code}" for pk, code in sorted(pairs)).encode()).hexdigest()


def _ogr(*args: str) -> str:
    done = subprocess.run(["ogrinfo", *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def test_gdal_lists_reads_every_page_filters_and_reads_cgcs2000(live_server, layer, tmp_path: Path):
    url = f"OAPIF:{live_server.url}/ogc"
    listing = _ogr("-ro", "-q", url)
    assert "parcels" in listing and "field_points" not in listing

    # Every page, into a GeoPackage whose features are the database's.
    out = tmp_path / "parcels.gpkg"
    done = subprocess.run(
        ["ogr2ogr", "-f", "GPKG", "-preserve_fid", str(out), url, "parcels", "-oo", "PAGE_SIZE=1000"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert pyogrio.read_info(out)["features"] == COUNT
    # GDAL takes the features' ids as their FIDs; -preserve_fid keeps them in the file.
    frame = pyogrio.read_dataframe(out, columns=["code"], fid_as_index=True)
    got = [(int(fid), code) for fid, code in zip(frame.index, frame["code"], strict=True)]
    assert _checksum(got) == _checksum(LandParcel.objects.values_list("id", "code"))
    assert frame.geometry.area.sum() == pytest.approx(COUNT * SIZE * SIZE, rel=1e-6)

    # A bbox: the first row of the grid, 100 parcels along y = Y0.
    spat = ["-spat", str(X0 - 0.0001), str(Y0 - 0.0001), str(X0 + 0.1), str(Y0 + 0.0005)]
    assert "Feature Count: 100" in _ogr("-ro", "-so", "-oo", "PAGE_SIZE=1000", *spat, url, "parcels")

    # An attribute filter GDAL sends as CQL text (it reads filter-lang's values in the OpenAPI
    # document), evaluated by the server: the debug log shows the filter in the items URL.
    where = f"land_use = 'industrial' OR area_m2 > {1000 + COUNT - 10}"  # + 7 not industrial
    text = _ogr("--debug", "on", "-ro", "-so", "-oo", "PAGE_SIZE=1000", "-where", where, url, "parcels")
    assert f"Feature Count: {COUNT // 4 + 7}" in text
    assert "filter=" in text and "filter-lang=cql-text" in text

    # EPSG:4490. GDAL 3.6 (Debian bookworm) predates the driver's Part 2 option, so its GeoJSON
    # driver reads the items URL with ``crs``, taking coordinates as written: latitude first.
    item = f"/vsicurl/{live_server.url}/ogc/collections/parcels/items/{layer[0]}?crs=http://www.opengis.net/def/crs/EPSG/0/4490"
    assert f"POLYGON ((({Y0:g} {X0:g}" in _ogr("-ro", "-al", item).replace(".0 ", " ")


def test_owslib_reads_the_same_pages_and_filters(live_server, layer):
    client = Features(f"{live_server.url}/ogc")
    assert "parcels" in {c["id"] for c in client.collections()["collections"]}
    seen: list[int] = []
    page = client.collection_items("parcels", limit=2500)
    while True:
        seen += [f["id"] for f in page["features"]]
        following = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
        if not following:
            break
        page = json.loads(_get(following))
    assert seen == layer
    boxed = client.collection_items(
        "parcels", bbox=[X0 - 0.0001, Y0 - 0.0001, X0 + 0.1, Y0 + 0.0005], limit=1000
    )
    assert boxed["numberMatched"] == 100
    filtered = client.collection_items("parcels", filter="land_use = 'industrial'", limit=1)
    assert filtered["numberMatched"] == COUNT // 4
    cgcs = client.collection_items("parcels", crs="http://www.opengis.net/def/crs/EPSG/0/4490", limit=1)
    lat, lon = cgcs["features"][0]["geometry"]["coordinates"][0][0][0]
    assert (lat, lon) == pytest.approx((Y0, X0), abs=1e-7)
    assert client.collection_queryables("parcels")["properties"]["land_use"]["type"] == "string"


def _get(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 -- the live test server
        return response.read().decode()
