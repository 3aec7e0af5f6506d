"""Coordinate reference systems: the one place where they are named, checked and converted.

Everything is stored in EPSG:4326 (WGS 84, lon/lat). Inputs may arrive in a short whitelist of EPSG
codes (WGS 84, CGCS2000 geographic, web mercator and the CGCS2000 Gauss-Krüger zones 4491-4554) or in
the two Chinese obfuscated systems GCJ-02 (AMap/Tencent) and BD-09 (Baidu), which are not EPSG codes and
are converted here with the public formulas.

User text never reaches pyproj: ``parse_crs`` maps it onto the whitelist, and only whitelisted EPSG
integers are handed to ``pyproj.Transformer``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

__all__ = [
    "CRS",
    "CRSError",
    "STORAGE_CRS",
    "bd09_to_gcj02",
    "from_storage",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "in_lonlat_range",
    "output_crs",
    "parse_crs",
    "to_storage",
    "wgs84_to_gcj02",
]


class CRSError(ValueError):
    """A coordinate reference system that is unknown or not allowed here."""


@dataclass(frozen=True)
class CRS:
    """A supported coordinate reference system."""

    key: str  # canonical: "EPSG:4326", ..., "gcj02", "bd09"
    epsg: int | None  # None for gcj02/bd09, which have no EPSG code
    label: str  # human readable

    def __str__(self) -> str:
        return self.key

    @property
    def geographic(self) -> bool:
        """Whether coordinates are degrees (longitude and latitude) rather than metres."""
        return self.epsg in (4326, 4490) or self.epsg is None


# --- the whitelist -------------------------------------------------------------------------------

GCJ02_KEY = "gcj02"
BD09_KEY = "bd09"
GAUSS_KRUGER_EPSG = range(4491, 4555)


def _gauss_kruger_label(code: int) -> str:
    """The EPSG name of a CGCS2000 Gauss-Krüger CRS (4491-4554)."""
    if 4491 <= code <= 4501:
        return f"CGCS2000 / Gauss-Kruger zone {13 + code - 4491}"
    if 4502 <= code <= 4512:
        return f"CGCS2000 / Gauss-Kruger CM {75 + 6 * (code - 4502)}E"
    if 4513 <= code <= 4533:
        return f"CGCS2000 / 3-degree Gauss-Kruger zone {25 + code - 4513}"
    return f"CGCS2000 / 3-degree Gauss-Kruger CM {75 + 3 * (code - 4534)}E"


def _build_registry() -> dict[str, CRS]:
    entries = [
        CRS("EPSG:4326", 4326, "WGS 84"),
        CRS("EPSG:4490", 4490, "CGCS2000 (China Geodetic Coordinate System 2000)"),
        CRS("EPSG:3857", 3857, "WGS 84 / Pseudo-Mercator"),
        *(CRS(f"EPSG:{code}", code, _gauss_kruger_label(code)) for code in GAUSS_KRUGER_EPSG),
        CRS(GCJ02_KEY, None, "GCJ-02 (AMap/Tencent)"),
        CRS(BD09_KEY, None, "BD-09 (Baidu)"),
    ]
    return {crs.key: crs for crs in entries}


_REGISTRY = _build_registry()
STORAGE_CRS = _REGISTRY["EPSG:4326"]
_OUTPUT_KEYS = ("EPSG:4326", "EPSG:4490", "EPSG:3857")

_ACCEPTED = (
    "EPSG:4326, EPSG:4490, EPSG:3857, EPSG:4491 to EPSG:4554 (CGCS2000 Gauss-Kruger zones), "
    "CRS84, gcj02, bd09"
)

_ALIASES = {
    "crs84": "EPSG:4326",
    "ogc:crs84": "EPSG:4326",
    "urn:ogc:def:crs:ogc::crs84": "EPSG:4326",
    "urn:ogc:def:crs:ogc:1.3:crs84": "EPSG:4326",  # what GeoJSON files (2008 spec) carry
    "gcj02": GCJ02_KEY,
    "gcj-02": GCJ02_KEY,
    "bd09": BD09_KEY,
    "bd-09": BD09_KEY,
}

# re.ASCII so that int() is never fed non-ASCII digits such as full-width "４４９０".
_EPSG_RE = re.compile(r"(?:epsg:|urn:ogc:def:crs:epsg:(?:[0-9.]+)?:)?([0-9]{1,6})", re.ASCII)


def _describe(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def parse_crs(value: str | int | None, default: str = "EPSG:4326") -> CRS:
    """Map a user-supplied CRS name onto the whitelist; None or "" gives ``default``.

    Accepts "EPSG:4490", "4490", 4490, "urn:ogc:def:crs:EPSG::4490", "CRS84", "gcj02", "BD-09", ...
    (case-insensitive). Anything else raises CRSError.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        if not default:
            raise CRSError(f"No coordinate reference system given; accepted: {_ACCEPTED}.")
        return parse_crs(default, default="")
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise CRSError(f"Unsupported coordinate reference system {_describe(value)}; accepted: {_ACCEPTED}.")

    key: str | None = None
    if isinstance(value, int):
        key = f"EPSG:{value}"
    else:
        text = value.strip().lower()
        key = _ALIASES.get(text)
        if key is None and (match := _EPSG_RE.fullmatch(text)):
            key = f"EPSG:{int(match.group(1))}"

    crs = _REGISTRY.get(key) if key else None
    if crs is None:
        raise CRSError(f"Unsupported coordinate reference system {_describe(value)}; accepted: {_ACCEPTED}.")
    return crs


def output_crs(value: str | None) -> CRS:
    """The CRS to serialise API output in: only EPSG:4326 (default), EPSG:4490 or EPSG:3857."""
    try:
        crs = parse_crs(value)
    except CRSError:
        crs = None
    if crs is None or crs.key not in _OUTPUT_KEYS:
        raise CRSError(
            f"Unsupported output coordinate reference system {_describe(value)}; "
            f"accepted: {', '.join(_OUTPUT_KEYS)}."
        )
    return crs


# --- GCJ-02 / BD-09 ------------------------------------------------------------------------------

_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0
_TOLERANCE_DEG = 1e-9
_MAX_ITERATIONS = 30


def _outside_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _gcj02_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (dlon, dlat) GCJ-02 adds to WGS 84 coordinates; zero outside China."""
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0

    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x + common
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0

    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x + common
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0

    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _KRASOVSKY_EE * np.sin(radlat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_KRASOVSKY_A * (1.0 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_KRASOVSKY_A / sqrt_magic * np.cos(radlat) * np.pi)

    outside = _outside_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def _wgs84_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dlon, dlat = _gcj02_offset(lon, lat)
    return lon + dlon, lat + dlat


def _gcj02_to_bd09(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd09_to_gcj02_approx(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = lon - 0.0065
    y = lat - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _invert(
    forward: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    lon: np.ndarray,
    lat: np.ndarray,
    start: tuple[np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Solve forward(x) == (lon, lat) by fixed-point iteration; forward is close to a translation."""
    x_lon, x_lat = start
    for _ in range(_MAX_ITERATIONS):
        f_lon, f_lat = forward(x_lon, x_lat)
        step_lon = f_lon - lon
        step_lat = f_lat - lat
        x_lon = x_lon - step_lon
        x_lat = x_lat - step_lat
        # NaN steps compare False, so non-finite input ends the loop instead of spinning 30 times.
        if not (np.any(np.abs(step_lon) > _TOLERANCE_DEG) or np.any(np.abs(step_lat) > _TOLERANCE_DEG)):
            break
    return x_lon, x_lat


def _gcj02_to_wgs84(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return _invert(_wgs84_to_gcj02, lon, lat, (lon, lat))


def _bd09_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # The textbook closed-form inverse is off by up to ~2e-6 degrees (~20 cm), too much for a round trip.
    return _invert(_gcj02_to_bd09, lon, lat, _bd09_to_gcj02_approx(lon, lat))


def _scalar(
    func: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]], lon: float, lat: float
) -> tuple[float, float]:
    out_lon, out_lat = func(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return float(out_lon), float(out_lat)


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """WGS 84 lon/lat to GCJ-02 ("Mars" coordinates); unchanged outside China."""
    return _scalar(_wgs84_to_gcj02, lon, lat)


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 lon/lat to WGS 84, iterated to 1e-9 degrees; unchanged outside China."""
    return _scalar(_gcj02_to_wgs84, lon, lat)


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 lon/lat to Baidu BD-09."""
    return _scalar(_gcj02_to_bd09, lon, lat)


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """Baidu BD-09 lon/lat to GCJ-02, iterated to 1e-9 degrees."""
    return _scalar(_bd09_to_gcj02, lon, lat)


# --- geometries ----------------------------------------------------------------------------------

CoordsFunc = Callable[[np.ndarray], np.ndarray]


@lru_cache(maxsize=256)
def _transformer(source: int, target: int) -> Transformer:
    # Only whitelisted integers get here; pyproj >= 3.1 transformers are thread-safe.
    return Transformer.from_crs(source, target, always_xy=True)


def _pyproj_func(source: int, target: int) -> CoordsFunc:
    transformer = _transformer(source, target)

    def apply(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return apply


def _pair_func(*steps: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]) -> CoordsFunc:
    def apply(coords: np.ndarray) -> np.ndarray:
        lon, lat = coords[:, 0], coords[:, 1]
        for step in steps:
            lon, lat = step(lon, lat)
        return np.column_stack([lon, lat])

    return apply


def _apply(geom: BaseGeometry, func: CoordsFunc) -> BaseGeometry:
    def guarded(coords: np.ndarray) -> np.ndarray:
        if len(coords) == 0:
            return coords
        return func(coords)

    return shapely.transform(geom, guarded, include_z=False, interleaved=True)


def to_storage(geom: BaseGeometry, crs: CRS) -> BaseGeometry:
    """Convert a geometry in ``crs`` to storage coordinates (EPSG:4326 lon/lat, 2D)."""
    if crs.key == STORAGE_CRS.key:
        return geom
    if crs.key == GCJ02_KEY:
        return _apply(geom, _pair_func(_gcj02_to_wgs84))
    if crs.key == BD09_KEY:
        return _apply(geom, _pair_func(_bd09_to_gcj02, _gcj02_to_wgs84))
    return _apply(geom, _pyproj_func(_whitelisted_epsg(crs), 4326))


def from_storage(geom: BaseGeometry, crs: CRS) -> BaseGeometry:
    """Convert a geometry in storage coordinates (EPSG:4326 lon/lat) to ``crs`` (2D)."""
    if crs.key == STORAGE_CRS.key:
        return geom
    if crs.key == GCJ02_KEY:
        return _apply(geom, _pair_func(_wgs84_to_gcj02))
    if crs.key == BD09_KEY:
        return _apply(geom, _pair_func(_wgs84_to_gcj02, _gcj02_to_bd09))
    return _apply(geom, _pyproj_func(4326, _whitelisted_epsg(crs)))


def _whitelisted_epsg(crs: CRS) -> int:
    # A CRS can be constructed by hand; refuse anything parse_crs would not have produced.
    if crs.epsg is None or _REGISTRY.get(crs.key) != crs:
        raise CRSError(
            f"Unsupported coordinate reference system {_describe(crs.key)}; accepted: {_ACCEPTED}."
        )
    return crs.epsg


def in_lonlat_range(geom: BaseGeometry) -> bool:
    """True if every coordinate is finite with lon in [-180, 180] and lat in [-90, 90]."""
    coords = shapely.get_coordinates(geom)
    if len(coords) == 0:
        return True
    lon, lat = coords[:, 0], coords[:, 1]
    return bool(
        np.all(np.isfinite(coords))
        and np.all((lon >= -180.0) & (lon <= 180.0))
        and np.all((lat >= -90.0) & (lat <= 90.0))
    )
