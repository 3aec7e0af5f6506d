"""Vector files into layers: every format, field mapping, CRS, repairs, preview, scope."""

from __future__ import annotations

import json

import pytest

from accounts.roles import Role
from fixtures import ingest_inputs as fx
from ingest.models import IngestJob
from layers.crs import wgs84_to_gcj02
from layers.models import Amenity, Building, FieldPoint, LandParcel
from tests.builders import X0, Y0

from .helpers import layer_counts

X, Y = fx.X0 + 0.005, fx.Y0 + 0.005


def test_geojson_parcels_map_by_name_and_label_and_get_their_derived_fields(ingest):
    job = ingest.job(fx.parcels_geojson(3), "parcels.geojson", kind="vector", layer="parcels")
    assert job.status == "succeeded", job.error
    parcels = list(LandParcel.objects.order_by("code"))
    assert [p.code for p in parcels] == ["GJ-1", "GJ-2", "GJ-3"]
    assert {p.land_use for p in parcels} == {"industrial"}  # from the label 工业用地
    assert parcels[0].name == "地块1"
    assert parcels[0].park == ingest.city.park  # derived as save() would
    assert parcels[0].division_code == "445302001001"
    assert parcels[0].area_m2 > 40_000
    assert parcels[0].created_by == ingest.city.users[Role.ADMIN]
    assert job.report["counts"]["created"] == 3
    assert job.report["created"]["parcels"]["ids"] == [p.pk for p in parcels]
    assert job.report["source"]["crs_used"] == "EPSG:4326"
    assert job.progress == 100


def test_zipped_shapefile_in_a_gauss_kruger_zone_with_an_explicit_mapping(ingest, tmp_path):
    data = fx.shapefile_zip(tmp_path, n=2, crs="EPSG:4547", folder="export/")
    job = ingest.job(
        data,
        "survey.zip",
        kind="vector",
        layer="parcels",
        options={"mapping": {"code": "DKBH", "land_use": "YDXZ", "name": "DKMC"}},
    )
    assert job.status == "succeeded", job.error
    assert job.report["source"]["crs_used"] == "EPSG:4547"
    p = LandParcel.objects.get(code="SHP-1")
    assert p.name == "地块1"
    # Back in lon/lat, where the fixture drew it.
    assert p.geom.extent[0] == pytest.approx(X, abs=1e-6)
    assert p.geom.extent[1] == pytest.approx(Y, abs=1e-6)


def test_kml_and_kmz_placemarks_become_amenities(ingest):
    kml = fx.kml([("人民医院", fx.kml_point(112.011, 22.911)), ("中医院", fx.kml_point(112.012, 22.912))])
    job = ingest.job(kml, "pois.kml", kind="vector", layer="amenities")
    assert job.status == "succeeded", job.error
    assert set(Amenity.objects.values_list("name", "category")) == {
        ("人民医院", "hospital"),
        ("中医院", "hospital"),
    }
    kmz = fx.zip_bytes({"doc.kml": fx.kml([("卫生院", fx.kml_point(112.013, 22.913))])})
    job = ingest.job(kmz, "pois.kmz", kind="vector", layer="amenities")
    assert job.status == "succeeded", job.error
    assert Amenity.objects.filter(name="卫生院").exists()


def test_a_geopackage_with_several_layers_needs_layer_name(ingest, tmp_path):
    path = fx.gpkg(tmp_path / "pois.gpkg", {"hospitals": 2, "schools": 3})
    job = ingest.job(path.read_bytes(), "pois.gpkg", kind="vector", layer="amenities")
    assert job.status == "failed"
    assert "choose one with the layer_name option" in job.error
    assert "hospitals" in job.error and "schools" in job.error
    job = ingest.job(
        path.read_bytes(),
        "pois.gpkg",
        kind="vector",
        layer="amenities",
        options={"layer_name": "schools", "defaults": {"category": "school"}},
    )
    assert job.status == "succeeded", job.error
    assert Amenity.objects.count() == 3


def test_gbk_csv_with_chinese_columns_in_gcj02_is_converted_to_wgs84(ingest):
    lon, lat = 112.0123, 22.9234
    mars = wgs84_to_gcj02(lon, lat)
    data = fx.csv_text(
        ["名称", "类别", "经度", "纬度"], [["农商银行", "银行", mars[0], mars[1]]], encoding="gbk"
    )
    job = ingest.job(
        data,
        "banks.csv",
        kind="vector",
        layer="amenities",
        options={"crs": "gcj02", "mapping": {"name": "名称", "category": "类别"}},
    )
    assert job.status == "succeeded", job.error
    bank = Amenity.objects.get()
    assert bank.category == "bank"  # from the Chinese label 银行
    assert bank.geom.x == pytest.approx(lon, abs=1e-7)
    assert bank.geom.y == pytest.approx(lat, abs=1e-7)


def test_xlsx_rows_become_buildings(ingest):
    data = fx.xlsx(
        [
            ["name", "kind", "floors", "crane", "x", "y"],
            ["1号厂房", "标准厂房", 3, "是", 112.011, 22.911],
            ["2号厂房", "standard_factory", 2.0, "否", 112.012, 22.912],
        ]
    )
    job = ingest.job(data, "factories.xlsx", kind="vector", layer="buildings")
    assert job.status == "succeeded", job.error
    first, second = Building.objects.order_by("name")
    assert (first.kind, first.floors, first.crane) == ("standard_factory", 3, True)
    assert (second.floors, second.crane) == (2, False)
    assert first.park == ingest.city.park


def test_field_points_from_csv_take_their_category_and_the_importer_as_reporter(ingest, categories):
    data = fx.csv_text(
        ["lon", "lat", "category", "note"],
        [[112.011, 22.911, "安全隐患", "井盖缺失"], [112.012, 22.912, "other", "杂物"]],
    )
    job = ingest.job(data, "points.csv", role=Role.GRID_WORKER, kind="vector", layer="field_points")
    assert job.status == "succeeded", job.error
    points = FieldPoint.objects.all()
    assert {p.note: p.category.key for p in points} == {"井盖缺失": "hazard", "杂物": "other"}
    worker = ingest.city.users[Role.GRID_WORKER]
    assert all(p.reporter == worker and p.grid_cell == ingest.city.cells[0] for p in points)


def test_a_repairable_defect_is_a_warning_and_an_unrepairable_one_an_error(ingest):
    x, y = X, Y
    spike = [
        [
            [x, y],
            [x + 0.01, y],
            [x + 0.01, y + 0.01],
            [x + 0.005, y + 0.01],
            [x + 0.005, y + 0.0100001],
            [x + 0.005, y + 0.01],
            [x, y + 0.01],
            [x, y],
        ]
    ]
    doc = {
        "type": "FeatureCollection",
        "features": [
            fx.feature({"type": "Polygon", "coordinates": spike}, code="S-1", land_use="industrial")
        ],
    }
    job = ingest.job(json.dumps(doc).encode(), "spike.geojson", kind="vector", layer="parcels")
    assert job.status == "succeeded", job.error
    warning = job.report["warnings"][0]
    assert warning["where"] == "feature 1" and "repaired" in warning["reason"]
    bowtie = [[[x, y], [x + 0.01, y + 0.01], [x + 0.01, y], [x, y + 0.01], [x, y]]]
    doc["features"] = [
        fx.feature(
            {"type": "Polygon", "coordinates": fx.square(x, y + 0.02)}, code="OK", land_use="industrial"
        ),
        fx.feature({"type": "Polygon", "coordinates": bowtie}, code="B-2", land_use="industrial"),
    ]
    before = layer_counts()
    job = ingest.job(json.dumps(doc).encode(), "bowtie.geojson", kind="vector", layer="parcels")
    assert job.status == "failed"
    assert job.report["errors"][0]["where"] == "feature 2"
    assert "self-intersecting" in job.report["errors"][0]["reason"]
    assert layer_counts() == before, "one bad feature: nothing at all is written"


def test_codes_must_be_unique_in_the_file_and_new_to_the_layer(ingest, city):
    from tests.builders import make_record

    make_record("parcels", city, city.inside(), code="GJ-2")
    doc = json.loads(fx.parcels_geojson(3))
    doc["features"][2]["properties"]["code"] = "GJ-1"
    job = ingest.job(json.dumps(doc).encode(), "dup.geojson", kind="vector", layer="parcels")
    assert job.status == "failed"
    reasons = {e["where"]: e["reason"] for e in job.report["errors"]}
    assert "already exists" in reasons["feature 2"]
    assert "also in feature 1" in reasons["feature 3"]
    assert LandParcel.objects.count() == 1


def test_a_required_field_without_a_column_fails_and_says_how_to_map_it(ingest):
    doc = {
        "type": "FeatureCollection",
        "features": [fx.feature({"type": "Polygon", "coordinates": fx.square(X, Y)}, DKBH="A-1")],
    }
    job = ingest.job(json.dumps(doc).encode(), "p.geojson", kind="vector", layer="parcels")
    assert job.status == "failed"
    assert "code, land_use" in job.error and "mapping" in job.error and "defaults" in job.error
    job = ingest.job(
        json.dumps(doc).encode(),
        "p.geojson",
        kind="vector",
        layer="parcels",
        options={"mapping": {"code": "DKBH"}, "defaults": {"land_use": "warehouse"}},
    )
    assert job.status == "succeeded", job.error
    assert LandParcel.objects.get().land_use == "warehouse"


def test_rows_outside_the_importers_area_fail_the_whole_job(ingest):
    # The park manager's park is 112.00-112.04; the third parcel lies outside it.
    doc = json.loads(fx.parcels_geojson(2))
    doc["features"].append(
        fx.feature(
            {"type": "Polygon", "coordinates": fx.square(112.08, 22.95)}, code="FAR-3", land_use="industrial"
        )
    )
    job = ingest.job(
        json.dumps(doc).encode(), "p.geojson", role=Role.PARK_MANAGER, kind="vector", layer="parcels"
    )
    assert job.status == "failed"
    assert [e["where"] for e in job.report["errors"]] == ["feature 3"]
    assert "outside your role or your area" in job.report["errors"][0]["reason"]
    assert not LandParcel.objects.exists()


def test_a_parcel_reaching_out_of_the_importers_county_fails_the_job(ingest):
    # Filed by a point in county 0 (the district officer's), reaching 0.01° into county 1: the whole
    # geometry must lie in scope, as on an API create.
    x0, y0 = X0 + 0.09, Y0 + 0.01
    ring = [[x0, y0], [x0 + 0.02, y0], [x0 + 0.02, y0 + 0.004], [x0, y0 + 0.004], [x0, y0]]
    doc = json.loads(fx.parcels_geojson(0))
    doc["features"] = [
        fx.feature({"type": "Polygon", "coordinates": [ring]}, code="X-1", land_use="industrial")
    ]
    job = ingest.job(
        json.dumps(doc).encode(), "p.geojson", role=Role.DISTRICT_OFFICER, kind="vector", layer="parcels"
    )
    assert job.status == "failed", job.report
    assert "outside your role or your area" in job.report["errors"][0]["reason"]
    assert not LandParcel.objects.exists()


def test_preview_shows_schema_crs_and_first_features_and_writes_nothing(ingest, tmp_path):
    data = fx.shapefile_zip(tmp_path, n=12, crs="EPSG:4547")
    response = ingest.submit(
        data,
        "survey.zip",
        kind="vector",
        layer="parcels",
        preview=True,
        options={"mapping": {"code": "DKBH"}},
    )
    assert response.status_code == 200, response.json()
    preview = response.json()["preview"]
    assert preview["type"] == "shapefile"
    assert preview["crs"]["detected"] == "EPSG:4547" and preview["crs"]["used"] == "EPSG:4547"
    assert preview["feature_count"] == 12
    assert preview["geometry_type"] == "Polygon"
    assert {f["name"] for f in preview["fields"]} >= {"DKBH", "YDXZ", "DKMC"}
    assert preview["missing_required"] == ["land_use"]
    assert len(preview["features"]) == 10
    first = preview["features"][0]
    assert first["feature"] == 1
    assert first["properties"]["code"] == "SHP-1"
    assert first["geometry"]["coordinates"][0][0][0][0] == pytest.approx(X, abs=1e-6)
    assert first["source_properties"]["YDXZ"] == "工业用地"
    assert not IngestJob.objects.exists()
    assert not LandParcel.objects.exists()
    # The same through the /preview/ action.
    again = ingest.client().post(
        "/api/ingest/jobs/preview/", {"file": _file(data), "layer": "parcels"}, format="multipart"
    )
    assert again.status_code == 200
    assert again.json()["preview"]["mapping"] == {}


def _file(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("survey.zip", data)


def test_preview_says_which_sample_rows_you_may_import(ingest):
    doc = json.loads(fx.parcels_geojson(1))
    doc["features"].append(
        fx.feature(
            {"type": "Polygon", "coordinates": fx.square(112.08, 22.95)}, code="FAR", land_use="industrial"
        )
    )
    response = ingest.submit(
        json.dumps(doc).encode(),
        "p.geojson",
        role=Role.PARK_MANAGER,
        kind="vector",
        layer="parcels",
        preview=True,
    )
    features = response.json()["preview"]["features"]
    assert [f["allowed"] for f in features] == [True, False]


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"colour": "red"}, "unknown option(s) colour"),
        ({"mapping": {"nonsense": "A"}}, "nonsense"),
        ({"crs": "EPSG:2000"}, "Unsupported coordinate reference system"),
    ],
)
def test_bad_options_are_a_400_naming_them(ingest, options, words):
    response = ingest.submit(
        fx.parcels_geojson(1), "p.geojson", kind="vector", layer="parcels", options=options
    )
    assert response.status_code == 400
    assert words in json.dumps(response.json(), ensure_ascii=False)


def test_orthophotos_and_panoramas_are_not_vector_targets(ingest):
    response = ingest.submit(fx.parcels_geojson(1), "p.geojson", kind="vector", layer="panoramas")
    assert response.status_code == 400
    assert "kind=panorama" in response.json()["error"]["message"]


def test_csv_with_a_wkt_column_and_kml_polygons(ingest):
    wkt = "POLYGON((112.01 22.91, 112.012 22.91, 112.012 22.912, 112.01 22.912, 112.01 22.91))"
    data = fx.csv_text(["code", "land_use", "wkt"], [["W-1", "commercial", f'"{wkt}"']])
    job = ingest.job(data, "parcels.csv", kind="vector", layer="parcels")
    assert job.status == "succeeded", job.error
    assert LandParcel.objects.get(code="W-1").land_use == "commercial"
    ring = "112.02,22.92,0 112.022,22.92,0 112.022,22.922,0 112.02,22.922,0 112.02,22.92,0"
    polygon = (
        "<Polygon><outerBoundaryIs><LinearRing>"
        f"<coordinates>{ring}</coordinates>"
        "</LinearRing></outerBoundaryIs></Polygon>"
    )
    job = ingest.job(
        fx.kml([("K-1", polygon)]),
        "parks.kml",
        kind="vector",
        layer="parcels",
        options={"mapping": {"code": "name"}, "defaults": {"land_use": "industrial"}},
    )
    assert job.status == "succeeded", job.error
    assert LandParcel.objects.get(code="K-1").area_m2 > 40_000


def test_an_empty_feature_collection_fails_instead_of_importing_nothing(ingest):
    data = json.dumps({"type": "FeatureCollection", "features": []}).encode()
    job = ingest.job(data, "empty.geojson", kind="vector", layer="parcels")
    assert job.status == "failed"
    assert "holds no features" in job.error
