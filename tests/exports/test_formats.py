"""Every export format opens in GDAL (and the workbook in openpyxl) with the database's row count,
and keeps what each format imposes: formula-proof CSV cells, GBK Shapefiles, short unique dBase
names, a new sheet before Excel's row limit."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pyogrio
import pytest
from django.contrib.gis.geos import Point

from accounts.roles import Role
from exports import storage
from exports.formats import shapefile, values, xlsx
from layers.models import LandParcel
from tests.builders import make_record, rect

pytestmark = pytest.mark.django_db
MAP_FORMATS = ["geojson", "gpkg", "kml", "shapefile"]


def _gdal_path(job) -> str:
    path = storage.path_of(job)
    return f"/vsizip/{path}" if job.kind == "shapefile" else str(path)


@pytest.mark.parametrize("fmt", MAP_FORMATS)
def test_every_map_format_opens_in_gdal_with_the_database_count(exporter, parcels, fmt):
    job = exporter.job(fmt, layer="parcels")
    assert job.status == "succeeded", job.error
    expected = LandParcel.objects.count()
    assert job.rows == expected == 6
    info = pyogrio.read_info(_gdal_path(job))
    assert info["features"] == expected
    # The command-line client agrees (the system's older GDAL).
    out = subprocess.run(["ogrinfo", "-ro", "-so", "-al", _gdal_path(job)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert f"Feature Count: {expected}" in out.stdout
    table = pyogrio.read_dataframe(_gdal_path(job))
    assert sorted(table["code"]) == sorted(LandParcel.objects.values_list("code", flat=True))


def test_a_geopackage_in_cgcs2000_keeps_types_and_crs(exporter, parcels):
    job = exporter.job("gpkg", layer="parcels", options={"crs": "EPSG:4490"})
    info = pyogrio.read_info(_gdal_path(job))
    assert info["crs"] == "EPSG:4490"
    assert info["geometry_type"] == "MultiPolygon"
    fields = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert fields["id"] == "int64" and fields["area_m2"] == "float64"
    assert fields["created_at"].startswith("datetime64")
    assert job.manifest["crs"] == "EPSG:4490"


def test_csv_is_utf8_with_bom_and_formula_cells_are_neutralised(exporter, parcels):
    job = exporter.job("csv", layer="parcels")
    raw = storage.path_of(job).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 1 + LandParcel.objects.count()
    header = rows[0]
    names = [row[header.index(str(LandParcel._meta.get_field("name").verbose_name))] for row in rows[1:]]
    assert '\'=HYPERLINK("http://evil","点我")' in names
    assert not any(cell.startswith(values.FORMULA_STARTS) for row in rows for cell in row)
    assert header[-1] == "WKT" and rows[1][-1].startswith("MULTIPOLYGON")


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("=1+2", "'=1+2"),
        ("+86 138", "'+86 138"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("地块=1", "地块=1"),
    ],
)
def test_formula_starts_get_an_apostrophe(text, safe):
    assert values.neutralised(text) == safe


def test_xlsx_opens_in_openpyxl_with_the_watermark_everywhere(exporter, parcels, city):
    job = exporter.job("xlsx", layer="parcels")
    book = openpyxl.load_workbook(storage.path_of(job))
    sheet = book.worksheets[0]
    mark = sheet["A1"].value
    assert mark.startswith("看数水印") and city.users[Role.ADMIN].get_username() in mark
    assert mark in sheet.oddHeader.center.text
    assert book.properties.description == mark or book.properties.subject == mark
    assert sheet.max_row == 2 + LandParcel.objects.count()
    cells = [c.value for row in sheet.iter_rows(min_row=3) for c in row]
    formula = next(
        cell for row in sheet.iter_rows(min_row=3) for cell in row if str(cell.value or "").startswith("=")
    )
    assert formula.data_type == "s" and formula.quotePrefix  # text, with Excel's quote prefix
    assert any(isinstance(v, float) for v in cells)


def test_shapefile_in_gbk_reads_back_chinese_and_declares_it(exporter, parcels):
    job = exporter.job("shapefile", layer="parcels", options={"encoding": "gbk"})
    with zipfile.ZipFile(storage.path_of(job)) as zf:
        cpg = next(n for n in zf.namelist() if n.endswith(".cpg"))
        assert zf.read(cpg).decode().strip().upper() in {"GBK", "936", "CP936"}
        dbf = zf.read(next(n for n in zf.namelist() if n.endswith(".dbf")))
    assert "地块1".encode("gbk") in dbf and "地块1".encode() not in dbf
    table = pyogrio.read_dataframe(_gdal_path(job))
    assert "地块1" in set(table["name"])
    names = [c["short_name"] for c in job.manifest["columns"]]
    assert all(len(n) <= 10 for n in names) and len({n.lower() for n in names}) == len(names)


def test_dbase_names_are_cut_to_ten_and_kept_unique():
    assert shapefile.short_names(["supply_status", "supply_mode", "area_m2", "supply_sta"]) == [
        "supply_sta",
        "supply_mod",
        "area_m2",
        "supply_s_1",
    ]


def test_a_layer_of_points_and_polygons_becomes_one_shapefile_per_kind(exporter, city):
    make_record("buildings", city, city.inside(0))
    make_record("buildings", city, city.inside(0, dx=0.02), geom=rect(112.02, 22.92, 112.021, 22.921))
    make_record("buildings", city, city.inside(0), geom=Point(112.01, 22.91, srid=4326))
    job = exporter.job("shapefile", layer="buildings")
    with zipfile.ZipFile(storage.path_of(job)) as zf:
        shps = sorted(n for n in zf.namelist() if n.endswith(".shp"))
    assert shps == ["buildings_point.shp", "buildings_polygon.shp"]
    counts = [pyogrio.read_info(f"/vsizip/{storage.path_of(job)}/{n}")["features"] for n in shps]
    assert sum(counts) == job.rows == 3 and counts[0] == 1


def test_geojson_names_a_crs_other_than_wgs84_and_matches_the_api(exporter, parcels):
    job = exporter.job("geojson", layer="parcels", options={"crs": "EPSG:3857"})
    body = json.loads(storage.path_of(job).read_text(encoding="utf-8"))
    assert body["crs"]["properties"]["name"] == "urn:ogc:def:crs:EPSG::3857"
    assert len(body["features"]) == LandParcel.objects.count()
    x = body["features"][0]["geometry"]["coordinates"][0][0][0][0]
    assert x > 1_000_000  # metres


def test_kml_is_wgs84_only(exporter, parcels):
    response = exporter.submit("kml", layer="parcels", options={"crs": "EPSG:4490"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["crs"]


def test_an_empty_export_is_still_a_valid_file(exporter, city):
    for fmt in [*MAP_FORMATS, "csv", "xlsx"]:
        job = exporter.job(fmt, layer="parcels")
        assert job.status == "succeeded", (fmt, job.error)
        assert job.rows == 0
        if fmt in MAP_FORMATS and fmt != "geojson":
            assert pyogrio.read_info(_gdal_path(job))["features"] == 0


def test_the_sheet_limit_counts_the_watermark_and_header(tmp_path: Path):
    """The sheet split at a small limit: the same code path as at Excel's own (the default)."""
    assert xlsx.XLSX_MAX_ROWS == 1_048_576
    path = tmp_path / "small.xlsx"
    result = xlsx.write_rows(
        path, ([i] for i in range(7)), title="t", header=["n"], watermark="w", max_rows=5
    )
    assert result["sheets"] == 3  # 3 + 3 + 1
    book = openpyxl.load_workbook(path)
    assert [s.max_row for s in book.worksheets] == [5, 5, 3]
