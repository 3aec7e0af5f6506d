"""Types come from the content, never the name; archives are checked before anything is unpacked."""

from __future__ import annotations

import zipfile

import pytest
from django.utils import translation

from fixtures import ingest_inputs as fx
from ingest import safezip
from ingest.report import IngestError
from ingest.sniff import FileType, check_kind, sniff


@pytest.fixture(autouse=True)
def english():
    """These call the checks directly, outside a request: the messages asserted are the English ones."""
    with translation.override("en"):
        yield


@pytest.fixture
def write(tmp_path):
    def _write(data: bytes, name: str = "file.bin"):
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return _write


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda tmp: fx.geotiff(tmp / "a.bin", 16, 16).read_bytes(), FileType.TIFF),
        (lambda tmp: fx.jpeg(), FileType.JPEG),
        (lambda tmp: fx.gpx([fx.walk(2)]), FileType.GPX),
        (lambda tmp: fx.kml([("a", fx.kml_point(112, 22))]), FileType.KML),
        (lambda tmp: fx.parcels_geojson(1), FileType.GEOJSON),
        (lambda tmp: b'{"hello": "world"}', FileType.JSON),
        (lambda tmp: fx.nmea(fx.walk(3)), FileType.NMEA),
        (lambda tmp: fx.csv_text(["lon", "lat"], [[1, 2]]), FileType.CSV),
        (lambda tmp: fx.csv_text(["经度", "纬度"], [[1, 2]], sep=";", encoding="gbk"), FileType.CSV),
        (lambda tmp: fx.xlsx([["lon", "lat"], [1, 2]]), FileType.XLSX),
        (lambda tmp: fx.shapefile_zip(tmp), FileType.SHAPEFILE),
        (lambda tmp: fx.zip_bytes({"doc.kml": fx.kml([])}), FileType.KMZ),
        (lambda tmp: fx.zip_bytes({"readme.txt": b"hi"}), FileType.ZIP),
        (lambda tmp: fx.gpkg(tmp / "a.gpkg").read_bytes(), FileType.GPKG),
        (lambda tmp: b"SQLite format 3\x00" + b"\x00" * 100, FileType.SQLITE),
        (lambda tmp: b"<html><body>hi</body></html>", FileType.XML),
        (lambda tmp: b"\x00\x01\x02binary", FileType.UNKNOWN),
        (lambda tmp: b"", FileType.EMPTY),
    ],
)
def test_types_are_sniffed_from_content_whatever_the_name(make, expected, write, tmp_path):
    assert sniff(write(make(tmp_path), "misleading.tif")).type == expected


def test_an_entity_declaration_is_refused_while_sniffing(write):
    with pytest.raises(IngestError) as exc:
        sniff(write(fx.gpx_bomb(), "walk.gpx"))
    assert exc.value.code == "unsafe_xml"
    assert "billion laughs" in exc.value.message


def test_a_kind_mismatch_names_what_the_file_is(write):
    with pytest.raises(IngestError) as exc:
        check_kind("orthophoto", sniff(write(fx.jpeg(), "m.tif")), "m.tif")
    assert "JPEG image" in exc.value.message and "m.tif" in exc.value.message


def _archive(tmp_path, entries: dict[str, bytes]):
    path = tmp_path / "a.zip"
    path.write_bytes(fx.zip_bytes(entries))
    return path


@pytest.mark.parametrize("name", ["../x.shp", "a/../../x.shp", "/etc/passwd", "C:\\evil.shp", "..\\x.shp"])
def test_traversal_names_are_refused(tmp_path, name):
    with pytest.raises(IngestError) as exc:
        safezip.open_checked(_archive(tmp_path, {name: b"x"}))
    assert exc.value.code == "unsafe_archive"


def test_too_many_entries_or_too_much_data_are_refused(tmp_path, settings):
    settings.INGEST_ZIP_MAX_ENTRIES = 3
    with pytest.raises(IngestError, match="entries"):
        safezip.open_checked(_archive(tmp_path, {f"{i}.txt": b"x" for i in range(4)}))
    settings.INGEST_ZIP_MAX_ENTRIES = 100
    settings.INGEST_ZIP_MAX_MB = 0.001
    with pytest.raises(IngestError, match="expand to"):
        safezip.open_checked(_archive(tmp_path, {"big.txt": b"y" * 5000}))


def test_a_symlink_entry_is_refused(tmp_path):
    path = tmp_path / "link.zip"
    info = zipfile.ZipInfo("link.shp")
    info.external_attr = 0o120777 << 16
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(IngestError, match="symbolic link"):
        safezip.open_checked(path)


def test_extraction_is_flat_and_sanitised(tmp_path):
    archive, infos = safezip.open_checked(_archive(tmp_path, {"deep/dir/地块 1.shp": b"abc"}))
    out = tmp_path / "out"
    out.mkdir()
    with archive:
        paths = safezip.extract(archive, infos, out)
    assert [p.name for p in paths.values()] == ["地块_1.shp"]
    assert paths["deep/dir/地块 1.shp"].read_bytes() == b"abc"


def test_a_damaged_zip_is_a_clear_error(tmp_path):
    path = tmp_path / "d.zip"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 50)
    with pytest.raises(IngestError, match="damaged"):
        safezip.open_checked(path)
