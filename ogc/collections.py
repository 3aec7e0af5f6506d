"""What a collection is to an OGC client: its queryables, its schema, its time and its extent.

Everything is read from the layer registry and the models' own fields: a layer added there is a
collection here, with its verbose names as titles and its help texts as descriptions.
"""

from __future__ import annotations

from typing import Any, cast

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Max, Min
from django.utils.translation import gettext as _

from layers.api.features import Column, columns, readable
from layers.registry import LayerSpec
from policy.predicates import scope_key
from tiles import cache as tile_cache

# The time a feature is about, which ``datetime`` and temporal filters compare: the moment it was
# observed where the layer records one, else its last change.
TEMPORAL_FIELDS = {
    "field_points": "reported_at",
    "patrol_tracks": "started_at",
    "panoramas": "captured_at",
    "orthophotos": "captured_on",
}
# Always queryable and sortable, besides a layer's own filter fields.
COMMON_QUERYABLES = ("id", "created_at", "updated_at")
EXTENT_TTL = 24 * 3600

_JSON_TYPES = {
    "int": {"type": "integer"},
    "fk": {"type": "integer"},
    "float": {"type": "number"},
    "decimal": {"type": "string", "format": "decimal"},
    "bool": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "json": {},
    "array": {"type": "array"},
    "file": {"type": "string", "format": "uri"},
    "uuid": {"type": "string", "format": "uuid"},
    "text": {"type": "string"},
}
_GEOMETRY_FORMATS = {
    "Point": "geometry-point",
    "LineString": "geometry-linestring",
    "MultiLineString": "geometry-multilinestring",
    "Polygon": "geometry-polygon",
    "MultiPolygon": "geometry-multipolygon",
}


def temporal_field(spec: LayerSpec) -> str:
    return TEMPORAL_FIELDS.get(spec.name, "updated_at")


def _queryable_columns(spec: LayerSpec) -> list[Column]:
    names = {*spec.filter_fields, *COMMON_QUERYABLES, temporal_field(spec)}
    return [c for c in columns(spec) if c.name in names and not c.personal]


def queryables(spec: LayerSpec) -> dict[str, str]:
    """Queryable name → Django lookup (``geometry`` is the geometry column; a category is compared
    by its key, as the API writes it)."""
    slugs = dict(spec.slug_fields)
    found = {
        c.name: f"{c.name}__{slugs[c.name]}" if c.name in slugs else c.name for c in _queryable_columns(spec)
    }
    return {**found, "geometry": "geom"}


def sortables(spec: LayerSpec) -> dict[str, str]:
    """Property name → column, for ``sortby`` (the queryables that are plain columns)."""
    slugs = dict(spec.slug_fields)
    return {
        c.name: c.name
        for c in _queryable_columns(spec)
        if c.kind not in {"json", "array"} and c.name not in slugs
    }


def _property(c: Column) -> dict[str, Any]:
    schema: dict[str, Any] = {"title": c.title, **_JSON_TYPES[c.kind]}
    if c.field.help_text:
        schema["description"] = str(c.field.help_text)
    if c.field.choices and c.kind == "text":
        schema["enum"] = [str(k) for k, _label in c.field.flatchoices]
    if c.kind == "text" and getattr(c.field, "max_length", None):
        schema["maxLength"] = c.field.max_length
    if c.name in {"id", "version", "created_at", "updated_at"} or not c.field.editable:
        schema["readOnly"] = True
    return schema


def _geometry(spec: LayerSpec) -> dict[str, Any]:
    kinds = [_GEOMETRY_FORMATS[k] for k in spec.geometry_types if k in _GEOMETRY_FORMATS]
    return {"format": kinds[0] if len(kinds) == 1 else "geometry-any", "x-ogc-role": "primary-geometry"}


def queryables_schema(spec: LayerSpec, url: str) -> dict[str, Any]:
    props = {c.name: _property(c) for c in _queryable_columns(spec)}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": url,
        "type": "object",
        "title": spec.title_zh,
        "description": _("可用于 filter（CQL2）、属性参数和 sortby 的字段。"),
        "properties": {"geometry": _geometry(spec), **props},
        "additionalProperties": False,
    }


def feature_schema(spec: LayerSpec, url: str) -> dict[str, Any]:
    """The schema of a feature's properties (``describedby``); personal fields are in it, masked
    values included, as they are in the features."""
    props = {c.name: _property(c) for c in columns(spec)}
    required = [
        c.name
        for c in columns(spec)
        if c.field.editable and not (c.field.blank or c.field.null or c.field.has_default())
    ]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": url,
        "type": "object",
        "title": spec.title_zh,
        "properties": {"geometry": _geometry(spec), **props},
        "required": required,
    }


def extent(user: Any, spec: LayerSpec) -> dict[str, Any]:
    """The bounding box and time span of what ``user`` may read, cached until the layer changes."""
    version = tile_cache.versions([spec.name])[spec.name]
    key = f"ogc:extent:{spec.name}:{version}:{scope_key(user, spec)}"
    return cast(dict[str, Any], cache.get_or_set(key, lambda: _extent(user, spec), timeout=EXTENT_TTL))


def _extent(user: Any, spec: LayerSpec) -> dict[str, Any]:
    qs = readable(user, spec)
    table = connection.ops.quote_name(spec.model._meta.db_table)
    try:
        sql, params = qs.values("pk").query.sql_with_params()
    except EmptyResultSet:
        sql, params = "SELECT NULL::bigint", ()
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(t.geom) AS e"
            f" FROM {table} t WHERE t.id IN ({sql})) x",
            params,
        )
        box = cur.fetchone()
    field = temporal_field(spec)
    times = qs.aggregate(start=Min(field), end=Max(field))
    spatial = [[round(v, 7) for v in box]] if box and box[0] is not None else [[-180.0, -90.0, 180.0, 90.0]]
    interval = [[_iso(times["start"]), _iso(times["end"])]]
    return {
        "spatial": {"bbox": spatial, "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
        "temporal": {"interval": interval, "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"},
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
