"""The SQL behind a vector tile. Two queries, both built on the layer's own table:

- ``detail``: the features themselves, ``ST_AsMVTGeom`` after ``ST_Transform``; the bbox test is
  ``geom && <tile envelope in 4326>`` so it runs on the GiST index and never transforms the table.
- ``aggregate``: below a layer's detail zoom, one point per division (its label point) with the
  number of features, counted by the indexed ``division_code``, and their extent.

The permission and attribute filters arrive as a compiled WHERE fragment with its parameters (see
``tiles.render``); nothing a client sends is ever formatted into the SQL text.
"""

from __future__ import annotations

from functools import cache

from django.db import connection
from django.db.models import DecimalField

from layers.models import PREFIX_LENGTH

from .config import BUFFER, EXTENT, TileLayer


def q(name: str) -> str:
    return connection.ops.quote_name(name)


@cache
def _columns(layer: TileLayer) -> str:
    """The layer's property columns (built once: this is on every uncached tile).

    Personal-data fields (``LayerSpec.personal_fields``) are never among them, whatever the tile
    configuration says: a tile is cached and shared by everyone who reads the same rows, whether or
    not they may see personal data, so it cannot be masked per viewer. The API serves them, masked.
    """
    model = layer.spec.model
    parts = []
    for name in layer.properties:
        if name in layer.spec.personal_fields:
            continue
        field = next(f for f in model._meta.concrete_fields if f.attname == name)
        column = f"{q(model._meta.db_table)}.{q(field.column)}"
        # MVT has no decimal type; numerics become doubles rather than strings.
        parts.append(
            f"{column}::float8 AS {q(name)}" if isinstance(field, DecimalField) else f"{column} AS {q(name)}"
        )
    return ", ".join(parts)


def detail(layer: TileLayer, where: str, simplify_tolerance: float | None) -> str:
    table = q(layer.spec.model._meta.db_table)
    geom = f"{table}.geom"
    margin = BUFFER / EXTENT
    if simplify_tolerance:
        geom = f"ST_SimplifyPreserveTopology({geom}, %(tolerance)s)"
    return f"""
        WITH tile AS (
            SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS merc,
                   ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => {margin}), 4326) AS lonlat
        )
        SELECT ST_AsMVT(features, %(name)s, {EXTENT}, 'geom', 'id') FROM (
            SELECT {table}.id, {_columns(layer)},
                   ST_AsMVTGeom(ST_Transform({geom}, 3857), tile.merc, {EXTENT}, {BUFFER}, true) AS geom
            FROM {table}, tile
            WHERE {table}.geom && tile.lonlat AND ({where})
        ) features
        WHERE geom IS NOT NULL
    """


def labels(layer: TileLayer, where: str) -> str:
    """One label point per feature (``ST_PointOnSurface`` of the whole shape, so every tile agrees
    where it is), drawn only in the tile that holds it: a name is never written twice along tile
    edges, as it would be if the style labelled each tile's piece of a polygon. The layer is
    ``<name>_labels``, with the name in both languages."""
    table = q(layer.spec.model._meta.db_table)
    return f"""
        WITH tile AS (
            SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS merc,
                   ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4326) AS lonlat
        )
        SELECT ST_AsMVT(features, %(label_name)s, {EXTENT}, 'geom', 'id') FROM (
            SELECT {table}.id, {table}.name, {table}.name_en,
                   ST_AsMVTGeom(ST_Transform(ST_PointOnSurface({table}.geom), 3857),
                                tile.merc, {EXTENT}, 0, true) AS geom
            FROM {table}, tile
            WHERE {table}.geom && tile.lonlat AND ({where})
              AND ST_Intersects(ST_PointOnSurface({table}.geom), tile.lonlat)
        ) features
        WHERE geom IS NOT NULL
    """


def division_counts(layer: TileLayer, where: str, level: str) -> str:
    """Features per division at ``level`` over the whole (permission-cut) table, by code prefix,
    with the extent of those features (west, south, east, north): a click on a count fits the map
    to its members, not to the division's label point."""
    table = q(layer.spec.model._meta.db_table)
    n = PREFIX_LENGTH[level]
    return f"""
        SELECT left({table}.division_code, {n}) AS code, count(*) AS count,
               ST_XMin(ST_Extent({table}.geom)), ST_YMin(ST_Extent({table}.geom)),
               ST_XMax(ST_Extent({table}.geom)), ST_YMax(ST_Extent({table}.geom))
        FROM {table}
        WHERE {table}.division_code <> '' AND ({where})
        GROUP BY 1
    """


def aggregate(level: str) -> str:
    """Given counts per division code, one point per division whose label point is in the tile.

    Each division is drawn only in the tile holding its label point, so counts are never doubled
    across tiles.
    """
    n = PREFIX_LENGTH[level]
    return f"""
        WITH tile AS (
            SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS merc,
                   ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4326) AS lonlat
        ),
        counts AS (
            SELECT * FROM unnest(%(codes)s::text[], %(counts)s::bigint[], %(west)s::float8[],
                                 %(south)s::float8[], %(east)s::float8[], %(north)s::float8[])
                AS c(code, count, west, south, east, north)
        ),
        shown AS (
            SELECT d.id, d.code, d.name, d.name_en, ST_PointOnSurface(d.geom) AS label
            FROM layers_division d, tile
            WHERE d.level = %(level)s AND d.deleted_at IS NULL AND d.geom && tile.lonlat
        )
        SELECT ST_AsMVT(features, %(name)s, {EXTENT}, 'geom', 'id') FROM (
            SELECT shown.id, shown.code, shown.name, shown.name_en, counts.count, true AS aggregated,
                   counts.west, counts.south, counts.east, counts.north,
                   ST_AsMVTGeom(ST_Transform(shown.label, 3857), tile.merc, {EXTENT}, {BUFFER}, true) AS geom
            FROM shown JOIN counts ON counts.code = left(shown.code, {n}), tile
            WHERE ST_Intersects(shown.label, tile.lonlat)
        ) features
        WHERE geom IS NOT NULL
    """
