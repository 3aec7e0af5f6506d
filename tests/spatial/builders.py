"""Extra builders for the spatial tests: points at exact geodesic offsets, and carriers with the
attributes the spatial functions look at. Coordinates are inside the tiny city of tests/builders."""

from __future__ import annotations

from typing import Any

from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from pyproj import Geod

from layers import models as m
from tests.builders import City, make_record, rect

GEOD = Geod(ellps="WGS84")


def offset(origin: Point, metres: float, azimuth: float = 90.0) -> Point:
    """The point ``metres`` away from ``origin`` on the WGS 84 ellipsoid (azimuth from north)."""
    lon, lat, _back = GEOD.fwd(origin.x, origin.y, azimuth, metres)
    return Point(lon, lat, srid=4326)


def square_m(center: Point, side_m: float) -> MultiPolygon:
    """A square about ``side_m`` metres wide centred on a point."""
    west, east = offset(center, side_m / 2, 270), offset(center, side_m / 2, 90)
    south, north = offset(center, side_m / 2, 180), offset(center, side_m / 2, 0)
    return rect(west.x, south.y, east.x, north.y)


def parcel(city: City, where: Point, side_m: float = 200, **fields: Any) -> m.LandParcel:
    fields.setdefault("land_use", "industrial")
    fields.setdefault("is_public", True)
    return make_record("parcels", city, where, geom=square_m(where, side_m), **fields)


def building(city: City, where: Point, side_m: float = 40, **fields: Any) -> m.Building:
    fields.setdefault("is_public", True)
    footprint = square_m(where, side_m)[0]
    return make_record("buildings", city, where, geom=Polygon(footprint.exterior_ring, srid=4326), **fields)


def amenity(city: City, where: Point, category: str = "hospital", **fields: Any) -> m.Amenity:
    return make_record("amenities", city, where, category=category, **fields)
