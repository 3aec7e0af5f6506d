"""layers.crs: naming, checking and converting coordinate reference systems (no database)."""

import math

import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon

from layers.crs import (
    CRS,
    CRSError,
    bd09_to_gcj02,
    from_storage,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_lonlat_range,
    output_crs,
    parse_crs,
    to_storage,
    wgs84_to_gcj02,
)

YUNFU = (112.04, 22.93)
PARIS = (2.35, 48.85)
GEOD = pyproj.Geod(ellps="WGS84")


def metres_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    return GEOD.inv(a[0], a[1], b[0], b[1])[2]


# --- parse_crs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["EPSG:4490", "epsg:4490", "4490", 4490, "urn:ogc:def:crs:EPSG::4490", " EPSG:4490 ", "Epsg:4490"],
)
def test_parse_crs_spellings_of_an_epsg_code(value):
    crs = parse_crs(value)
    assert crs == CRS("EPSG:4490", 4490, crs.label)
    assert crs.key == "EPSG:4490" and crs.epsg == 4490


@pytest.mark.parametrize(
    "value", ["CRS84", "crs84", "OGC:CRS84", "urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326", 4326]
)
def test_parse_crs_wgs84_aliases(value):
    assert parse_crs(value).key == "EPSG:4326"


@pytest.mark.parametrize(
    ("value", "key"), [("gcj02", "gcj02"), ("GCJ-02", "gcj02"), ("bd09", "bd09"), ("BD-09", "bd09")]
)
def test_parse_crs_non_epsg_systems(value, key):
    crs = parse_crs(value)
    assert crs.key == key
    assert crs.epsg is None


@pytest.mark.parametrize("value", [None, "", "   "])
def test_parse_crs_empty_gives_default(value):
    assert parse_crs(value).key == "EPSG:4326"
    assert parse_crs(value, default="gcj02").key == "gcj02"


def test_parse_crs_accepts_the_whole_gauss_kruger_family_with_epsg_names():
    for code in range(4491, 4555):
        crs = parse_crs(code)
        assert crs.key == f"EPSG:{code}"
        assert crs.label == pyproj.CRS.from_epsg(code).name


def test_parse_crs_labels():
    assert parse_crs("EPSG:4526").label == "CGCS2000 / 3-degree Gauss-Kruger zone 38"
    assert parse_crs("EPSG:3857").label == "WGS 84 / Pseudo-Mercator"


@pytest.mark.parametrize(
    "value",
    [
        "EPSG:9999",
        "EPSG:4555",
        "EPSG:4490.0",
        "4490abc",
        "EPSG:4326;DROP",
        "foo",
        "+proj=longlat",
        "+proj=longlat +datum=WGS84 +no_defs",
        "EPSG:",
        "EPSG:32650",
        "４４９０",
        4555,
        -4326,
        4326.0,
        True,
    ],
)
def test_parse_crs_rejects_with_the_value_in_the_message(value):
    with pytest.raises(CRSError) as excinfo:
        parse_crs(value)
    message = str(excinfo.value)
    assert repr(value) in message
    assert "EPSG:4326" in message and "gcj02" in message and "bd09" in message


def test_crs_error_is_a_value_error():
    assert issubclass(CRSError, ValueError)


def test_parse_crs_truncates_huge_values_in_the_message():
    with pytest.raises(CRSError) as excinfo:
        parse_crs("x" * 10_000)
    assert len(str(excinfo.value)) < 300


# --- output_crs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "key"),
    [
        (None, "EPSG:4326"),
        ("", "EPSG:4326"),
        ("EPSG:4490", "EPSG:4490"),
        ("3857", "EPSG:3857"),
        ("CRS84", "EPSG:4326"),
    ],
)
def test_output_crs_allowed(value, key):
    assert output_crs(value).key == key


@pytest.mark.parametrize("value", ["EPSG:4526", "gcj02", "bd09", "foo", "EPSG:9999"])
def test_output_crs_rejects(value):
    with pytest.raises(CRSError) as excinfo:
        output_crs(value)
    assert repr(value) in str(excinfo.value)
    assert "EPSG:3857" in str(excinfo.value)


# --- GCJ-02 / BD-09 ----------------------------------------------------------------------------


def test_gcj02_offset_in_yunfu_is_a_few_hundred_metres():
    shifted = wgs84_to_gcj02(*YUNFU)
    assert 100 < metres_between(YUNFU, shifted) < 1000


def test_bd09_offset_in_yunfu_is_under_two_kilometres():
    bd = gcj02_to_bd09(*wgs84_to_gcj02(*YUNFU))
    assert 100 < metres_between(YUNFU, bd) < 2000


def test_gcj02_round_trip():
    lon, lat = gcj02_to_wgs84(*wgs84_to_gcj02(*YUNFU))
    assert abs(lon - YUNFU[0]) < 1e-7 and abs(lat - YUNFU[1]) < 1e-7


def test_bd09_round_trip():
    gcj = wgs84_to_gcj02(*YUNFU)
    back_gcj = bd09_to_gcj02(*gcj02_to_bd09(*gcj))
    assert abs(back_gcj[0] - gcj[0]) < 1e-9 and abs(back_gcj[1] - gcj[1]) < 1e-9
    lon, lat = gcj02_to_wgs84(*back_gcj)
    assert abs(lon - YUNFU[0]) < 1e-7 and abs(lat - YUNFU[1]) < 1e-7


@pytest.mark.parametrize(
    "point", [(73.5, 39.5), (87.6, 43.8), (116.4, 39.9), (121.5, 31.2), (126.6, 45.8), (110.3, 20.0)]
)
def test_round_trips_across_china_are_under_a_centimetre(point):
    wgs = gcj02_to_wgs84(*bd09_to_gcj02(*gcj02_to_bd09(*wgs84_to_gcj02(*point))))
    assert metres_between(point, wgs) < 0.001


def test_no_gcj02_offset_outside_china():
    assert wgs84_to_gcj02(*PARIS) == PARIS
    assert gcj02_to_wgs84(*PARIS) == PARIS


def test_conversion_functions_return_plain_floats():
    for func in (wgs84_to_gcj02, gcj02_to_wgs84, gcj02_to_bd09, bd09_to_gcj02):
        lon, lat = func(*YUNFU)
        assert type(lon) is float and type(lat) is float


# --- geometries --------------------------------------------------------------------------------


def test_gauss_kruger_zone_38_round_trip_and_prefixed_easting():
    crs = parse_crs("EPSG:4526")
    projected = from_storage(Point(YUNFU), crs)
    assert str(int(projected.x)).startswith("38")
    assert len(str(int(projected.x))) == 8
    # 112.04E lies west of the 114E central meridian, so the easting is below the 500 km false easting.
    assert 38_000_000 < projected.x < 38_500_000
    assert 2_400_000 < projected.y < 2_700_000
    back = to_storage(projected, crs)
    assert abs(back.x - YUNFU[0]) < 1e-7 and abs(back.y - YUNFU[1]) < 1e-7


def test_gauss_kruger_cm_form_has_no_zone_prefix():
    prefixed = from_storage(Point(YUNFU), parse_crs("EPSG:4526"))
    plain = from_storage(Point(YUNFU), parse_crs("EPSG:4547"))  # 3-degree CM 114E
    assert plain.x == pytest.approx(prefixed.x - 38_000_000, abs=1e-3)
    assert plain.y == pytest.approx(prefixed.y, abs=1e-3)


def test_web_mercator_round_trip():
    crs = parse_crs("EPSG:3857")
    projected = from_storage(Point(YUNFU), crs)
    assert projected.x == pytest.approx(6378137.0 * math.radians(YUNFU[0]))
    back = to_storage(projected, crs)
    assert abs(back.x - YUNFU[0]) < 1e-7 and abs(back.y - YUNFU[1]) < 1e-7


def test_cgcs2000_is_treated_as_wgs84():
    crs = parse_crs("EPSG:4490")
    assert to_storage(Point(YUNFU), crs).equals_exact(Point(YUNFU), 1e-9)
    assert from_storage(Point(YUNFU), crs).equals_exact(Point(YUNFU), 1e-9)


def test_storage_crs_is_a_no_op():
    geom = Point(YUNFU)
    assert to_storage(geom, parse_crs(None)) is geom
    assert from_storage(geom, parse_crs(None)) is geom


@pytest.mark.parametrize("key", ["gcj02", "bd09", "EPSG:4526", "EPSG:3857", "EPSG:4490"])
def test_polygon_round_trip_keeps_shape(key):
    crs = parse_crs(key)
    polygon = Polygon(
        [(112.0, 22.9), (112.1, 22.9), (112.1, 23.0), (112.0, 23.0)],
        holes=[[(112.04, 22.94), (112.06, 22.94), (112.06, 22.96)]],
    )
    back = to_storage(from_storage(polygon, crs), crs)
    assert back.geom_type == "Polygon" and len(back.interiors) == 1
    assert back.equals_exact(polygon, 1e-7)


def test_geometry_conversion_matches_scalar_functions():
    line = LineString([YUNFU, (113.26, 23.13), PARIS])
    gcj = from_storage(line, parse_crs("gcj02"))
    expected = [wgs84_to_gcj02(*c) for c in line.coords]
    assert shapely.get_coordinates(gcj) == pytest.approx(np.array(expected), abs=1e-12)
    bd = from_storage(line, parse_crs("bd09"))
    expected = [gcj02_to_bd09(*wgs84_to_gcj02(*c)) for c in line.coords]
    assert shapely.get_coordinates(bd) == pytest.approx(np.array(expected), abs=1e-12)


def test_empty_and_3d_geometries():
    for key in ("gcj02", "EPSG:4526"):
        assert to_storage(shapely.from_wkt("POLYGON EMPTY"), parse_crs(key)).is_empty
    flat = to_storage(Point(112.04, 22.93, 50.0), parse_crs("gcj02"))
    assert not flat.has_z


def test_hand_made_crs_never_reaches_pyproj():
    with pytest.raises(CRSError):
        to_storage(Point(YUNFU), CRS("EPSG:2000", 2000, "not whitelisted"))


# --- in_lonlat_range ---------------------------------------------------------------------------


def test_in_lonlat_range():
    assert in_lonlat_range(Point(YUNFU))
    assert in_lonlat_range(LineString([(-180, -90), (180, 90)]))
    assert in_lonlat_range(shapely.from_wkt("POINT EMPTY"))
    assert not in_lonlat_range(Point(180.0001, 0))
    assert not in_lonlat_range(LineString([(0, 0), (10, 90.5)]))
    assert not in_lonlat_range(Point(float("inf"), 0))
    assert not in_lonlat_range(Point(float("nan"), 0))


def test_metres_declared_as_lonlat_are_caught_after_conversion():
    projected = from_storage(Point(YUNFU), parse_crs("EPSG:4526"))
    assert not in_lonlat_range(to_storage(projected, parse_crs("EPSG:4326")))
    assert in_lonlat_range(to_storage(projected, parse_crs("EPSG:4526")))
