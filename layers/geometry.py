"""Turning a client's geometry into one we store: parse, check, convert to EPSG:4326, repair.

Every failure raises ``GeometryError`` whose message names the problem and says what to do, so
the API can answer 400 without a stack trace. A repair is made only when it is *safe*: the
repaired shape keeps its type, its number of parts and (within 1 %) its area. Anything else — a
bow-tie ring that would become two polygons, a ring that collapses — is refused with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from django.contrib.gis.geos import GEOSGeometry
from django.utils.translation import gettext as _
from shapely.geometry import MultiLineString, MultiPolygon, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

from .crs import CRS, CRSError, from_storage, in_lonlat_range, parse_crs, to_storage

GEOGRAPHIC_INPUTS = {"EPSG:4326", "EPSG:4490", "gcj02", "bd09"}
SAFE_AREA_CHANGE = 0.01


class GeometryError(ValueError):
    """A client geometry we cannot store; the message is for the client."""


@dataclass
class CleanGeometry:
    geom: GEOSGeometry
    warnings: list[str] = field(default_factory=list)


def parse_geojson(value: Any) -> BaseGeometry:
    if not isinstance(value, dict) or "type" not in value:
        raise GeometryError(_("geometry must be a GeoJSON geometry object with a 'type'."))
    try:
        geom = shape(value)
    except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.ShapelyError) as exc:
        raise GeometryError(_("geometry is not valid GeoJSON: %(reason)s") % {"reason": exc}) from exc
    if geom.is_empty:
        raise GeometryError(_("geometry is empty: send at least one coordinate."))
    if not np.isfinite(shapely.get_coordinates(geom)).all():
        raise GeometryError(_("geometry has coordinates that are not finite numbers."))
    return geom


def _check_range(geom: BaseGeometry, crs_name: str) -> None:
    if in_lonlat_range(geom):
        return
    coords = shapely.get_coordinates(geom)
    bad = coords[(abs(coords[:, 0]) > 180) | (abs(coords[:, 1]) > 90)][0]
    raise GeometryError(
        _(
            "coordinates out of range: (%(x)s, %(y)s) is not a longitude in [-180, 180] and a latitude in "
            "[-90, 90] (%(crs)s). Check the axis order (lon, lat) and the declared crs."
        )
        % {"x": bad[0], "y": bad[1], "crs": crs_name}
    )


def _part_count(geom: BaseGeometry) -> int:
    return len(geom.geoms) if hasattr(geom, "geoms") else 1


def _polygonal_parts(geom: BaseGeometry) -> BaseGeometry:
    parts = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon | MultiPolygon)]
    return shapely.union_all(parts) if parts else Polygon()


def repair(geom: BaseGeometry) -> tuple[BaseGeometry, list[str]]:
    """Return a valid geometry and the warnings describing what was changed."""
    if geom.is_valid:
        return geom, []
    reason = shapely.is_valid_reason(geom)
    if not isinstance(geom, Polygon | MultiPolygon):
        raise GeometryError(
            _("geometry is invalid (%(reason)s) and cannot be repaired.") % {"reason": reason}
        )
    fixed = _polygonal_parts(shapely.make_valid(geom))
    # The shoelace area of a self-crossing ring cancels out, so compare with the repaired
    # area of each ring's own outline instead.
    outline_area = sum(Polygon(p.exterior).buffer(0).area for p in getattr(geom, "geoms", [geom]))
    safe = (
        not fixed.is_empty
        and _part_count(fixed) == _part_count(geom)
        and outline_area > 0
        and abs(fixed.area - outline_area) / outline_area <= SAFE_AREA_CHANGE
    )
    if not safe:
        raise GeometryError(
            _(
                "polygon is self-intersecting beyond safe repair (%(reason)s). Redraw it so that its edges "
                "do not cross, or split it into separate polygons."
            )
            % {"reason": reason}
        )
    return fixed, [_("geometry was repaired: %(reason)s") % {"reason": reason}]


# The single types a Multi* column takes as its one part.
PROMOTIONS = {"Polygon": MultiPolygon, "LineString": MultiLineString}


def coerce_type(geom: BaseGeometry, allowed: tuple[str, ...], multi: bool = False) -> BaseGeometry:
    """Check the type; ``multi`` promotes a Polygon for a MultiPolygon column, a LineString for a
    MultiLineString column (a patrol track of one part)."""
    promote = PROMOTIONS.get(geom.geom_type)
    if (
        promote is not None
        and (multi or geom.geom_type not in allowed)
        and f"Multi{geom.geom_type}" in allowed
    ):
        return promote([geom])
    if geom.geom_type in allowed:
        return geom
    raise GeometryError(
        _("wrong geometry type %(got)s: this layer takes %(allowed)s.")
        % {"got": geom.geom_type, "allowed": ", ".join(allowed)}
    )


def clean_geometry(
    value: Any, allowed: tuple[str, ...], crs: CRS | str | None = None, multi: bool = False
) -> CleanGeometry:
    """Parse, range-check, convert to EPSG:4326, repair and type-check one client geometry."""
    try:
        source = crs if isinstance(crs, CRS) else parse_crs(crs)
    except CRSError as exc:
        raise GeometryError(str(exc)) from exc
    geom = parse_geojson(value)
    if source.key in GEOGRAPHIC_INPUTS:
        _check_range(geom, source.key)
    geom = to_storage(geom, source)
    _check_range(geom, "EPSG:4326")
    geom, warnings = repair(geom)
    geom = coerce_type(geom, allowed, multi)
    if geom.geom_type in {"Polygon", "MultiPolygon"}:
        geom = shapely.orient_polygons(geom, exterior_cw=False)
    return CleanGeometry(GEOSGeometry(memoryview(shapely.to_wkb(geom)), srid=4326), warnings)


def to_geojson(geom: GEOSGeometry, crs: CRS, precision: int = 7) -> dict:
    """RFC 7946 geometry: lon/lat order, exterior rings counter-clockwise, rounded coordinates."""
    return to_geojson_many([geom], crs, precision)[0]


def to_geojson_many(geoms: list[GEOSGeometry | None], crs: CRS, precision: int = 7) -> list[dict | None]:
    """``to_geojson`` for a page of features at once: shapely works on the whole array in C, which
    is what makes a 1,000-feature page cheap."""
    shps = shapely.from_wkb([None if g is None else bytes(g.wkb) for g in geoms])
    # orient_polygons leaves points and lines as they are.
    shps = shapely.orient_polygons(shps, exterior_cw=False)
    if crs.key != "EPSG:4326":
        shps = np.array([None if g is None else from_storage(g, crs) for g in shps], dtype=object)
        precision = 3 if crs.key == "EPSG:3857" else precision
    shps = shapely.set_precision(shps, 10**-precision, mode="pointwise")
    return [None if g is None else mapping(g) for g in shps]
