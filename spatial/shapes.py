"""Client input for the spatial functions: points, radii, layers, divisions, filters and shapes.

Each parser raises DRF ``ValidationError({"<field>": ["<why and what to send>"]})``, which the API
turns into a 400 that names the field (``core.errors``). Nothing here touches SQL text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import shapely
from django.contrib.gis.geos import GEOSGeometry, Point, Polygon
from django.db.models import Q
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from shapely.geometry import Point as ShapelyPoint

from layers.api.filters import RESERVED, attribute_filters
from layers.crs import (
    CRS,
    STORAGE_CRS,
    CRSError,
    from_storage,
    in_lonlat_range,
    output_crs,
    parse_crs,
    to_storage,
)
from layers.geometry import GEOGRAPHIC_INPUTS, GeometryError, clean_geometry, to_geojson
from layers.models import Division
from layers.registry import LAYERS, LayerSpec

from . import queries

MAX_RADIUS_M = 50_000.0  # circles and nearby searches: a county is about 40 km across
MAX_BUFFER_M = 10_000.0  # along a line (线周边)
MAX_LINE_VERTICES = 10_000
MAX_POLYGON_VERTICES = 50_000
SHAPES = ("circle", "rectangle", "polygon", "buffer", "division")


def _fail(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def number(raw: Any, field: str) -> float:
    """A finite number from JSON or a query string; booleans are not numbers."""
    if raw is None or raw == "":
        raise _fail(field, _("this field is required."))
    if isinstance(raw, bool):
        raise _fail(field, _("must be a number."))
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise _fail(field, _("must be a number, got %(raw)r.") % {"raw": raw}) from None
    if not math.isfinite(value):
        raise _fail(field, _("must be a finite number."))
    return value


def integer(raw: Any, field: str, default: int, low: int, high: int) -> int:
    if raw is None or raw == "":
        return default
    value = number(raw, field)
    if value != int(value) or not low <= value <= high:
        raise _fail(field, _("must be a whole number from %(low)s to %(high)s.") % {"low": low, "high": high})
    return int(value)


def input_crs(raw: Any, field: str = "crs") -> CRS:
    if isinstance(raw, dict):  # the GeoJSON-2008 named CRS object
        raw = (raw.get("properties") or {}).get("name")
    try:
        return parse_crs(raw)
    except CRSError as exc:
        raise _fail(field, str(exc)) from None


def response_crs(raw: str | None) -> CRS:
    try:
        return output_crs(raw)
    except CRSError as exc:
        raise _fail("crs", str(exc)) from None


def point(lon_raw: Any, lat_raw: Any, crs: CRS, lon_field: str = "lon", lat_field: str = "lat") -> Point:
    """A point in storage coordinates; out-of-range values name the offending field."""
    x, y = number(lon_raw, lon_field), number(lat_raw, lat_field)
    if crs is STORAGE_CRS and -180 <= x <= 180 and -90 <= y <= 90:
        return Point(x, y, srid=4326)  # the common case needs no conversion
    if crs.key in GEOGRAPHIC_INPUTS:
        if not -180 <= x <= 180:
            raise _fail(lon_field, _("longitude must be between -180 and 180, got %(v)s.") % {"v": x})
        if not -90 <= y <= 90:
            raise _fail(lat_field, _("latitude must be between -90 and 90, got %(v)s.") % {"v": y})
    try:
        stored = to_storage(ShapelyPoint(x, y), crs)
    except CRSError as exc:
        raise _fail("crs", str(exc)) from None
    if not in_lonlat_range(stored) or stored.is_empty or not _round_trips(x, y, stored, crs):
        message = _("(%(x)s, %(y)s) in %(crs)s is outside the valid range once converted to lon/lat.") % {
            "x": x,
            "y": y,
            "crs": crs.key,
        }
        raise ValidationError({lon_field: [message], lat_field: [message]})
    return Point(stored.x, stored.y, srid=4326)


def _round_trips(x: float, y: float, stored: ShapelyPoint, crs: CRS) -> bool:
    """A projected coordinate far outside its CRS's area converts to a clamped lon/lat (a Web
    Mercator y of 1e9 becomes latitude 90); converting back exposes it."""
    if crs.key in GEOGRAPHIC_INPUTS:
        return True
    back = from_storage(stored, crs)
    return math.isfinite(back.x) and math.isfinite(back.y) and abs(back.x - x) + abs(back.y - y) < 1.0


def point_pair(raw: Any, crs: CRS, field: str) -> Point:
    """``[lon, lat]`` or ``{"lon": …, "lat": …}``."""
    if isinstance(raw, Mapping):
        return point(raw.get("lon"), raw.get("lat"), crs, field, field)
    if isinstance(raw, list | tuple) and len(raw) == 2:
        return point(raw[0], raw[1], crs, field, field)
    raise _fail(field, _('give the point as [lon, lat] or {"lon": …, "lat": …}.'))


def distance(raw: Any, field: str, maximum: float) -> float:
    """A positive number of metres, at most ``maximum``."""
    value = number(raw, field)
    if value <= 0:
        raise _fail(field, _("must be a positive number of metres, got %(v)s.") % {"v": value})
    if value > maximum:
        raise _fail(
            field,
            _("at most %(max)s m (%(km)s km) is allowed, got %(v)s.")
            % {"max": int(maximum), "km": int(maximum / 1000), "v": value},
        )
    return value


def layer(raw: Any, field: str = "layer") -> LayerSpec:
    spec = LAYERS.get(raw) if isinstance(raw, str) else None
    if spec is None:
        raise _fail(
            field,
            _("unknown layer %(raw)r; one of: %(names)s.") % {"raw": raw, "names": ", ".join(LAYERS)},
        )
    return spec


def division(raw: Any, user: Any, field: str = "division") -> Division:
    """A division the user may see, by its 12-digit code."""
    code = str(raw).strip() if raw is not None else ""
    found = None
    if code.isdigit() and len(code) == 12:
        found = queries.visible(user, LAYERS["divisions"]).filter(code=code).first()
    if found is None:
        raise _fail(
            field, _("unknown division code %(code)r: give a 12-digit division code.") % {"code": code}
        )
    return found


def filters(spec: LayerSpec, raw: Mapping[str, Any] | None, allowed_extra: frozenset[str] = frozenset()) -> Q:
    """Attribute filters (``land_use=industrial``, ``area_m2__gte=10000``, ``kind__in=a,b`` …).

    Values may be JSON numbers, booleans or lists; they are checked and parsed by the layer's own
    fields (``layers.api.filters``). A name that is not a filter is a 400 naming it, never ignored.
    """
    if not raw:
        return Q()
    if not isinstance(raw, Mapping):
        raise _fail("filters", _('give filters as an object: {"land_use": "industrial", …}.'))
    params: dict[str, str] = {}
    for name, value in raw.items():
        if name in RESERVED and name not in allowed_extra:
            raise _fail(
                name,
                _("%(name)s is not a filter of layer %(layer)s; filterable fields: %(fields)s.")
                % {"name": name, "layer": spec.name, "fields": ", ".join(spec.filter_fields)},
            )
        if isinstance(value, list | tuple):
            value = ",".join(_text(v) for v in value)
        params[name] = _text(value)
    return attribute_filters(spec, params)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def feature_ref(raw: Any, user: Any, field: str = "feature") -> tuple[LayerSpec, Any]:
    """``layer:id`` of a record the user may read."""
    name, _sep, ident = str(raw or "").partition(":")
    spec = LAYERS.get(name)
    if spec is None or not ident.isdigit():
        raise _fail(field, _("give a feature as layer:id, e.g. parcels:42."))
    record = queries.visible(user, spec).filter(pk=int(ident)).first()
    if record is None:
        raise _fail(field, _("no %(layer)s feature %(id)s that you may see.") % {"layer": name, "id": ident})
    return spec, record


# --- shapes --------------------------------------------------------------------------------------


@dataclass
class Shape:
    """A shape to query features in or to judge a point against. ``geom`` is in EPSG:4326."""

    kind: str
    geom: GEOSGeometry  # circle: the centre; buffer: the buffer polygon; division: its boundary
    radius_m: float | None = None  # circle radius or buffer distance
    line: GEOSGeometry | None = None
    division: Division | None = None
    warnings: tuple[str, ...] = ()

    def q(self) -> Q:
        """Filter for the features of a layer inside (intersecting) the shape."""
        if self.kind == "circle":
            return queries.within_metres(self.geom, self.radius_m)
        if self.kind == "division":
            return Q(division_code__startswith=self.division.prefix)
        return Q(geom__intersects=self.geom)

    def judge(self, where: Point) -> queries.Judgement:
        if self.kind == "circle":
            return queries.judge_in_circle(where, self.geom, self.radius_m)
        if self.kind == "division":
            return queries.judge_in_division(where, self.division)
        return queries.judge_in_area(where, self.geom)

    def describe(self, crs: CRS) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind}
        if self.kind == "circle":
            out["center"] = to_geojson(self.geom, crs)["coordinates"]
            out["radius_m"] = self.radius_m
        elif self.kind == "division":
            d = self.division
            out["division"] = {"code": d.code, "name": d.name, "level": d.level}
        else:
            out["geometry"] = to_geojson(self.geom, crs)
            if self.kind == "buffer":
                out["distance_m"] = self.radius_m
        return out


def _geometry(raw: Any, allowed: tuple[str, ...], crs: CRS, field: str, max_vertices: int):
    try:
        cleaned = clean_geometry(raw, allowed, crs)
    except GeometryError as exc:
        raise _fail(field, str(exc)) from None
    if cleaned.geom.num_coords > max_vertices:
        raise _fail(field, _("at most %(n)s vertices, please simplify.") % {"n": max_vertices})
    return cleaned


def shape(data: Mapping[str, Any], user: Any, crs: CRS) -> Shape:
    """The shape described by a request body's ``shape`` and its own fields (see SHAPES)."""
    kind = data.get("shape")
    if kind not in SHAPES:
        raise _fail("shape", _("shape must be one of: %(kinds)s.") % {"kinds": ", ".join(SHAPES)})
    if kind == "circle":
        return Shape(
            "circle",
            point_pair(data.get("center"), crs, "center"),
            radius_m=distance(data.get("radius"), "radius", MAX_RADIUS_M),
        )
    if kind == "rectangle":
        return Shape("rectangle", _rectangle(data.get("bbox"), crs))
    if kind == "polygon":
        cleaned = _geometry(
            data.get("geometry"), ("Polygon", "MultiPolygon"), crs, "geometry", MAX_POLYGON_VERTICES
        )
        return Shape("polygon", cleaned.geom, warnings=tuple(cleaned.warnings))
    if kind == "buffer":
        cleaned = _geometry(
            data.get("geometry"), ("LineString", "MultiLineString"), crs, "geometry", MAX_LINE_VERTICES
        )
        metres = distance(data.get("distance"), "distance", MAX_BUFFER_M)
        return Shape(
            "buffer", queries.geodesic_buffer(cleaned.geom, metres), radius_m=metres, line=cleaned.geom
        )
    found = division(data.get("division"), user)
    return Shape("division", found.geom, division=found)


def _rectangle(raw: Any, crs: CRS) -> GEOSGeometry:
    if isinstance(raw, str):
        raw = raw.split(",")
    try:
        minx, miny, maxx, maxy = (number(v, "bbox") for v in raw)
    except (TypeError, ValueError):
        raise _fail("bbox", _("bbox is four numbers: [min_lon, min_lat, max_lon, max_lat].")) from None
    if not (minx < maxx and miny < maxy):
        raise _fail("bbox", _("bbox needs min_lon < max_lon and min_lat < max_lat."))
    if crs.key in GEOGRAPHIC_INPUTS and not (minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90):
        raise _fail("bbox", _("bbox must lie within longitudes -180…180 and latitudes -90…90."))
    ring = Polygon.from_bbox((minx, miny, maxx, maxy))
    if crs.key == "EPSG:4326":
        ring.srid = 4326
        return ring
    # Another CRS: densify the edges so that they stay where the client drew them once converted.
    dense = shapely.segmentize(shapely.from_wkb(bytes(ring.wkb)), max((maxx - minx), (maxy - miny)) / 32)
    try:
        return clean_geometry(shapely.geometry.mapping(dense), ("Polygon",), crs).geom
    except GeometryError as exc:
        raise _fail("bbox", str(exc)) from None


# --- the nearby and roll-up questions (the API and the exports ask them alike) ---------------------

NEARBY_PARAMS = frozenset(
    {"layer", "lon", "lat", "feature", "radius", "limit", "crs", "out_crs", "division", "format", "lang"}
)
ROLLUP_PARAMS = frozenset({"layer", "level", "division", "sum", "format", "lang"})


@dataclass(frozen=True)
class NearbyAsk:
    """A nearby search: from where (a point, or a feature left out of its own answer), how far,
    how many, the attribute filters, and the origin as the answer describes it."""

    origin: GEOSGeometry
    radius: float
    limit: int
    extra: Q
    exclude: int | None
    described: dict[str, Any]


def nearby_ask(spec: LayerSpec, p: Mapping[str, Any], user: Any) -> NearbyAsk:
    radius = distance(p.get("radius", 5000), "radius", MAX_RADIUS_M)
    limit = integer(p.get("limit"), "limit", 10, 1, 200)
    exclude = None
    if p.get("feature"):
        origin_spec, record = feature_ref(p.get("feature"), user)
        origin = record.geom
        exclude = record.pk if origin_spec is spec else None
        described: dict[str, Any] = {"feature": f"{origin_spec.name}:{record.pk}"}
    else:
        if p.get("lon") in (None, "") and p.get("lat") in (None, ""):
            raise ValidationError(
                {"lon": [_("give lon and lat, or feature=layer:id.")], "lat": [_("give lon and lat.")]}
            )
        origin = point(p.get("lon"), p.get("lat"), input_crs(p.get("crs")))
        described = {"lon": origin.x, "lat": origin.y}
    extra = filters(spec, {k: v for k, v in p.items() if k not in NEARBY_PARAMS})
    if p.get("division"):
        extra &= Q(division_code__startswith=division(p.get("division"), user).prefix)
    return NearbyAsk(origin, radius, limit, extra, exclude, described)


@dataclass(frozen=True)
class RollupAsk:
    """A roll-up: the level of its rows, the division it is within, filters and summed fields."""

    level: str
    within: Division | None
    extra: Q
    sums: list[str]


def rollup_ask(spec: LayerSpec, p: Mapping[str, Any], user: Any) -> RollupAsk:
    from rest_framework.exceptions import PermissionDenied

    from policy.actions import Action
    from policy.predicates import may

    level = p.get("level")
    if level not in queries.ROLLUP_LEVELS:
        raise ValidationError(
            {"level": [_("level must be one of: %(levels)s.") % {"levels": ", ".join(queries.ROLLUP_LEVELS)}]}
        )
    if level == queries.GRID and not may(user, "grid_cells", Action.READ):
        raise PermissionDenied(_("Roll-ups by grid cell are for staff who may see the grid."))
    within = division(p.get("division"), user) if p.get("division") else None
    sums = [name.strip() for name in p.get("sum", "").split(",") if name.strip()]
    allowed = queries.summable_fields(spec)
    bad = [name for name in sums if name not in allowed]
    if bad:
        raise ValidationError(
            {
                "sum": [
                    _("cannot sum %(bad)s on %(layer)s; numeric fields: %(allowed)s.")
                    % {"bad": ", ".join(bad), "layer": spec.name, "allowed": ", ".join(allowed) or "-"}
                ]
            }
        )
    extra = filters(spec, {k: v for k, v in p.items() if k not in ROLLUP_PARAMS})
    return RollupAsk(str(level), within, extra, sums)
