"""The one derivation of a record's location fields: division, park, grid cell, area, length.

Users never type them: the geometry decides. Every path that writes layer records derives them here,
with the same SQL: ``LayerFeature.save()`` (one query, through ``derive_many([self])``), ingest
(``derive_many`` over a job's records) and the demo loader (``layers.demo.bulk``, whose
INSERT ... SELECT uses ``derived_columns`` directly).

The expressions read a row ``s`` with a ``geom`` column (EPSG:4326) and ``s._pt``, the
representative point that ``with_point`` adds:

- the representative point is ``ST_PointOnSurface`` (always inside the shape, unlike the centroid of
  an L-shaped parcel; the point itself for a point); patrol tracks are filed by their start point;
- ``division_code``: the live village (``level = 'village'``, not deleted) at the point, the lowest
  code if several, ``''`` outside every village;
- ``park_id``: the smallest live park at the point (then the lowest id);
- ``grid_cell_id``: the live grid cell at the point, a sub-cell (组, with a parent) before the cell it
  subdivides, then the highest id;
- ``area_m2``, ``area_mu``, ``length_m``: geodesic on the WGS 84 spheroid (PostGIS geography);
  ``area_m2`` and ``length_m`` rounded to 2 decimals, ``area_mu = round(area_m2 / MU_M2, 4)``; the
  length of a multi-line (a patrol track with gaps) is that of its parts, not of the gaps between.

``Division`` is the exception: its division code is its own code (``Division.derive``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import psycopg
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection

if TYPE_CHECKING:
    from .models.base import LayerFeature

# Records per query, and EWKB bytes per query (a GPX job's tracks can hold a million vertices).
CHUNK = 5000
CHUNK_BYTES = 32 << 20

MU_SQL = "(2000.0 / 3)"  # MU_M2 (1 亩 = 2000/3 m²), in numeric

POINT = "s._pt"
LINEAR = "GeometryType(s.geom) IN ('LINESTRING', 'MULTILINESTRING')"
# ST_StartPoint takes a single line: a track's start is its first part's.
START = f"CASE WHEN {LINEAR} THEN ST_StartPoint(ST_GeometryN(s.geom, 1)) ELSE s._pt END"
POLYGONAL = "GeometryType(s.geom) IN ('POLYGON', 'MULTIPOLYGON')"
_AREA = "round(ST_Area(s.geom::geography)::numeric, 2)"
AREA_M2_SQL = f"CASE WHEN {POLYGONAL} THEN {_AREA}::float8 ELSE 0 END"
AREA_MU_SQL = f"CASE WHEN {POLYGONAL} THEN round({_AREA} / {MU_SQL}, 4)::float8 ELSE 0 END"
# Of a multi-line, the sum of its parts: the gap between two parts of a track was not walked.
LENGTH_M_SQL = f"CASE WHEN {LINEAR} THEN round(ST_Length(s.geom::geography)::numeric, 2)::float8 ELSE 0 END"


def village_code_sql(point: str = POINT) -> str:
    return (
        "COALESCE((SELECT d.code FROM layers_division d WHERE d.level = 'village' AND d.deleted_at IS NULL"
        f" AND ST_Intersects(d.geom, {point}) ORDER BY d.code LIMIT 1), '')"
    )


def park_id_sql(point: str = POINT) -> str:
    return (
        f"(SELECT p.id FROM layers_park p WHERE p.deleted_at IS NULL AND ST_Intersects(p.geom, {point})"
        " ORDER BY p.area_m2, p.id LIMIT 1)"
    )


def grid_cell_id_sql(point: str = START) -> str:
    # PostgreSQL sorts NULLs last ascending: cells with a parent (sub-cells) come first.
    return (
        f"(SELECT g.id FROM layers_gridcell g WHERE g.deleted_at IS NULL AND ST_Intersects(g.geom, {point})"
        " ORDER BY g.parent_id ASC NULLS LAST, g.id DESC LIMIT 1)"
    )


def derived_columns(model: type) -> dict[str, str]:
    """Column -> SQL expression (over ``s``, see ``with_point``) for every derived field of ``model``."""
    from .models import Division, LayerFeature

    if not issubclass(model, LayerFeature):
        return {}
    if issubclass(model, Division):
        return {"division_code": "s.code"}  # Division.derive
    names = {f.name for f in model._meta.concrete_fields}
    out = {"division_code": village_code_sql(POINT)}
    if model.derive_park:
        out["park_id"] = park_id_sql(POINT)
    if model.derive_grid_cell:
        out["grid_cell_id"] = grid_cell_id_sql(START)
    if "area_m2" in names:
        out["area_m2"] = AREA_M2_SQL
        if "area_mu" in names:
            out["area_mu"] = AREA_MU_SQL
    if "length_m" in names:
        out["length_m"] = LENGTH_M_SQL
    return out


def with_point(relation: str) -> str:
    """``relation`` (a table or a parenthesised subquery with a ``geom`` column) as ``s``, plus ``s._pt``.

    OFFSET 0 keeps the subquery from being flattened, so the point is computed once per row, not once
    per expression that uses it.
    """
    return f"(SELECT s.*, ST_PointOnSurface(s.geom) AS _pt FROM {relation} s OFFSET 0) s"


def _chunks(records: Sequence[LayerFeature]) -> Iterable[tuple[list[LayerFeature], list[bytes]]]:
    chunk: list[LayerFeature] = []
    blobs: list[bytes] = []
    size = 0
    for record in records:
        geom: GEOSGeometry = record.geom
        if geom.srid is None:
            geom.srid = 4326
        blob = bytes(geom.ewkb)
        if chunk and (len(chunk) >= CHUNK or size + len(blob) > CHUNK_BYTES):
            yield chunk, blobs
            chunk, blobs, size = [], [], 0
        chunk.append(record)
        blobs.append(blob)
        size += len(blob)
    if chunk:
        yield chunk, blobs


def _bound_cursor():
    """A Django cursor (logged, wrapped like any other) whose parameters travel bound, as binary bytea.

    Django's cursors splice parameters into the SQL text, which turns EWKB into hex twice its size for
    the server to parse back: a quarter of a second for the 16 MB of a GPX job's million vertices, where
    bound parameters take milliseconds. (A bytea[] array parameter is slow in psycopg either way.)
    """
    connection.ensure_connection()
    with connection.wrap_database_errors:
        return connection._prepare_cursor(psycopg.Cursor(connection.connection))


def derive_many(records: Sequence[LayerFeature]) -> None:
    """Fill the derived fields of ``records`` (saved or not; records without a geometry are skipped)."""
    from .models import Division

    by_model: dict[type, list[LayerFeature]] = {}
    for record in records:
        if record.geom is not None:
            by_model.setdefault(type(record), []).append(record)
    for model, group in by_model.items():
        if issubclass(model, Division):
            for record in group:
                record.derive()  # Division.derive: its own code, no lookup
            continue
        columns = derived_columns(model)
        names, select = list(columns), ", ".join(columns.values())
        for chunk, blobs in _chunks(group):
            # One row per record, numbered; ST_Transform to 4326 is a no-op for geometries already there.
            values = ", ".join(f"({i}, %s::bytea)" for i in range(len(blobs)))
            relation = (
                "(SELECT u.ord, ST_Transform(ST_GeomFromEWKB(u.g), 4326) AS geom"
                f" FROM (VALUES {values}) AS u(ord, g))"
            )
            with _bound_cursor() as cur:
                cur.execute(f"SELECT {select} FROM {with_point(relation)} ORDER BY s.ord", blobs)
                rows = cur.fetchall()
            for record, row in zip(chunk, rows, strict=True):
                for name, value in zip(names, row, strict=True):
                    setattr(record, name, value)


def _measure(geom: GEOSGeometry, expression: str) -> float:
    if geom.srid is None:
        geom.srid = 4326
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {expression} FROM (SELECT ST_Transform(ST_GeomFromEWKB(%s), 4326) AS geom) s",
            [bytes(geom.ewkb)],
        )
        return cur.fetchone()[0]


def geodesic_area_m2(geom: GEOSGeometry) -> float:
    """The area ``derive_many`` gives a polygon (m², 2 decimals); 0 for other geometries."""
    return _measure(geom, AREA_M2_SQL)


def geodesic_length_m(geom: GEOSGeometry) -> float:
    """The length ``derive_many`` gives a line or multi-line (m, 2 decimals); 0 for other geometries."""
    return _measure(geom, LENGTH_M_SQL)
