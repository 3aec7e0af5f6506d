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


def run_check(pk: int) -> str:
    """Run an overlay check in this process, as the worker would."""
    from jobs.runner import run

    return str(run("spatial.OverlayCheck", pk))


def farmland_with_buildings(city):
    """An agricultural parcel with a building fully on it and one half on it; an industrial parcel
    with a building (legal); and the same illegal case in the other county."""
    farm_centre = city.inside(dx=0.06, dy=0.06)
    farm = parcel(city, farm_centre, side_m=200, land_use="agricultural", is_public=False)
    whole = building(city, farm_centre, side_m=40, name="违建甲")
    edge = building(city, offset(farm_centre, 100, 90), side_m=40, name="违建乙")  # half on the farm
    factory_site = parcel(city, city.inside(dx=0.08, dy=0.02), land_use="industrial")
    building(city, city.inside(dx=0.08, dy=0.02), name="合法厂房")
    other_farm = parcel(city, city.inside(county=1, dx=0.06, dy=0.06), land_use="forest")
    other = building(city, city.inside(county=1, dx=0.06, dy=0.06), name="林地违建")
    return farm, whole, edge, factory_site, other_farm, other
