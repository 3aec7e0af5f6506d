"""The spatial SQL behind /api/spatial/: a few named functions, parameterised and index-assisted.

Conventions
- Every read of a layer goes through ``policy.predicates.read_filter``. Functions that write raw
  SQL embed the permission cut by compiling the ORM queryset's WHERE clause (``layer_where``), so the
  rule is the same one the GeoJSON API applies; nothing here knows about roles.
- Storage is EPSG:4326. Distances and areas are geodesic on the WGS 84 spheroid (PostGIS geography);
  never degrees. Degrees only appear in index pre-filters (``&&`` boxes and the ``<->`` KNN order),
  which are widened conservatively and followed by an exact geodesic test.
- Client values reach SQL only as parameters.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import psycopg
from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.geos import GEOSGeometry, Polygon
from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connection
from django.db.models import BooleanField, Count, Expression, F, FloatField, Func, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Left

from layers.models import MU_M2, PREFIX_LENGTH, Division, DivisionLevel
from layers.registry import LAYERS, LayerSpec
from policy.predicates import read_filter

# WGS 84: the shortest metres-per-degree in any direction near a latitude (for the KNN bound).
_WGS84_A = 6378137.0
_WGS84_E2 = 0.00669437999014
_MERIDIAN_DEGREE_MIN_M = 110_574.0  # one degree of latitude at the equator, the shortest anywhere


# --- permissions inside raw SQL ----------------------------------------------------------------


def visible(user: Any, spec: LayerSpec) -> QuerySet:
    """The records of a layer this user may read (published ones plus their scope)."""
    return spec.model.objects.filter(read_filter(user, spec))


@lru_cache(maxsize=1024)
def _compile_where(layer: str, q: Q) -> tuple[str, tuple]:
    spec = LAYERS[layer]
    query = spec.model.objects.filter(q).query
    try:
        sql, params = query.get_compiler(connection=connection).compile(query.where)
    except EmptyResultSet:
        return "FALSE", ()
    except FullResultSet:
        return "TRUE", ()
    return sql, tuple(params)


def layer_where(spec: LayerSpec, q: Q) -> tuple[str, list]:
    """SQL for ``spec.model.objects.filter(q)``'s WHERE clause, over the unaliased layer table.

    It includes the default manager's soft-delete cut. Compiled once per (layer, filter): the
    permission filters of a role and place repeat on every request.
    """
    try:
        sql, params = _compile_where(spec.name, q)
    except TypeError:  # an unhashable filter value: compile without the cache
        sql, params = _compile_where.__wrapped__(spec.name, q)
    return sql, list(params)


def visible_where(user: Any, spec: LayerSpec, extra: Q | None = None) -> tuple[str, list]:
    q = read_filter(user, spec)
    return layer_where(spec, q & extra if extra else q)


def _table(spec: LayerSpec) -> str:
    return connection.ops.quote_name(spec.model._meta.db_table)


def _ewkb(geom: GEOSGeometry) -> bytes:
    if geom.srid is None:
        geom.srid = 4326
    return bytes(geom.ewkb)


def _fetch(sql: str, params: Sequence[Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _fetch_prepared(sql: str, params: Sequence[Any]) -> list[tuple]:
    """Like ``_fetch``, but bound server-side as a prepared statement kept on the (persistent)
    connection, so PostgreSQL parses and plans it once: for the statements every page view runs.

    Django's cursors bind client-side (the statement text is re-sent and re-planned each time); a
    plain psycopg cursor on the same connection keeps Django's transaction state.
    """
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, prepare=True)
        return cursor.fetchall()


# --- geodesic helpers ----------------------------------------------------------------------------


def metres_per_degree_min(max_abs_lat: float) -> float:
    """The fewest metres one degree (in any direction) spans anywhere up to this latitude."""
    phi = math.radians(min(89.0, abs(max_abs_lat)))
    prime_vertical = _WGS84_A / math.sqrt(1 - _WGS84_E2 * math.sin(phi) ** 2)
    parallel = prime_vertical * math.cos(phi) * math.pi / 180
    return min(_MERIDIAN_DEGREE_MIN_M, parallel)


def degree_margin(extent: tuple[float, float, float, float], metres: float) -> tuple[float, float]:
    """(dlon, dlat) in degrees that surely cover ``metres`` around a lon/lat box, with 2 % to spare."""
    max_lat = max(abs(extent[1]), abs(extent[3]))
    dlat = metres / _MERIDIAN_DEGREE_MIN_M * 1.02
    dlon = metres / metres_per_degree_min(min(89.0, max_lat + dlat)) * 1.02
    return dlon, dlat


def expanded_envelope(geom: GEOSGeometry, metres: float) -> Polygon:
    """The geometry's lon/lat box widened by ``metres``: an index pre-filter, never the answer."""
    minx, miny, maxx, maxy = geom.extent
    dlon, dlat = degree_margin((minx, miny, maxx, maxy), metres)
    box = Polygon.from_bbox(
        (max(-180.0, minx - dlon), max(-90.0, miny - dlat), min(180.0, maxx + dlon), min(90.0, maxy + dlat))
    )
    box.srid = 4326
    return box


class GeodesicDWithin(Func):
    """``ST_DWithin(a::geography, b::geography, metres)``: exact on the spheroid.

    The geography cast hides the geometry index, so callers pair it with a ``bboverlaps`` filter on
    ``expanded_envelope`` (which the GiST index serves).
    """

    output_field = BooleanField()
    arity = 3

    def as_sql(self, compiler, connection, **extra_context):
        parts = [compiler.compile(expr) for expr in self.get_source_expressions()]
        (a, pa), (b, pb), (r, pr) = parts
        return f"ST_DWithin(({a})::geography, ({b})::geography, {r})", [*pa, *pb, *pr]


def geometry_value(geom: GEOSGeometry) -> Expression:
    return Value(geom, output_field=GeometryField(srid=4326))


def within_metres(geom: GEOSGeometry, metres: float) -> Q:
    """A filter: the record's geometry is within ``metres`` of ``geom`` (geodesic, index-assisted)."""
    return Q(geom__bboverlaps=expanded_envelope(geom, metres)) & Q(
        GeodesicDWithin(F("geom"), geometry_value(geom), Value(float(metres)))
    )


def geodesic_buffer(line: GEOSGeometry, metres: float) -> GEOSGeometry:
    """The area within ``metres`` of a line (线周边), as a lon/lat polygon.

    PostGIS buffers a geography in a planar projection fitted to it (UTM or polar); 16 segments per
    quarter circle keep the rounded ends within 0.12 % of ``metres``.
    """
    [(wkb,)] = _fetch(
        "SELECT ST_AsEWKB(ST_Buffer(ST_GeomFromEWKB(%s)::geography, %s, 'quad_segs=16')::geometry)",
        [_ewkb(line), float(metres)],
    )
    geom = GEOSGeometry(memoryview(wkb))
    geom.srid = 4326
    return geom


# --- locate --------------------------------------------------------------------------------------


def locate(user: Any, lon: float, lat: float) -> dict[str, Any]:
    """Divisions (city > county > town > village), park, parcel, building and grid cell at a point.

    One statement, one GiST probe per layer. Where two records of a layer cover the point (a
    sub-cell inside a cell, overlapping parcels), the most specific one wins, as on save.
    """
    sql, params = locate_statement(user, lon, lat)
    found: dict[str, list[dict]] = {}
    for layer, payload in _fetch_prepared(sql, params) if sql else []:
        found.setdefault(layer, []).append(payload)
    rank = {level: i for i, level in enumerate(PREFIX_LENGTH)}
    chain = sorted(found.get("divisions", []), key=lambda d: (rank.get(d["level"], 9), d["code"]))
    return {
        "divisions": chain,
        "park": (found.get("parks") or [None])[0],
        "parcel": (found.get("parcels") or [None])[0],
        "building": (found.get("buildings") or [None])[0],
        "grid_cell": (found.get("grid_cells") or [None])[0],
    }


_LOCATE_LAYERS = {
    "divisions": (
        "'id', id, 'code', code, 'name', name, 'name_en', name_en, 'level', level",
        "code",
        None,
        "",
    ),
    "parks": ("'id', id, 'name', name, 'name_en', name_en, 'level', level", "area_m2, id", 1, ""),
    "parcels": (
        "'id', id, 'code', code, 'name', name, 'name_en', name_en, 'land_use', land_use, "
        "'supply_status', supply_status, "
        "'area_m2', area_m2, 'area_mu', round(area_mu::numeric, 2)",
        "area_m2, id",
        1,
        "",
    ),
    "buildings": (
        "'id', id, 'name', name, 'name_en', name_en, 'kind', kind, 'supply_status', supply_status",
        "id",
        1,
        " AND ST_Dimension(geom) = 2",  # a point building contains nothing
    ),
    "grid_cells": ("'id', id, 'code', code, 'name', name, 'parent', parent_id", "parent_id, id DESC", 1, ""),
}


def locate_statement(user: Any, lon: float, lat: float) -> tuple[str, list]:
    """The one SQL statement behind ``locate``: rows of (layer, JSON object)."""
    filters = tuple(read_filter(user, LAYERS[layer]) for layer in _LOCATE_LAYERS)
    try:
        sql, layout = _locate_template(filters)
    except TypeError:  # an unhashable filter value
        sql, layout = _locate_template.__wrapped__(filters)
    params: list[Any] = []
    for where_params in layout:
        params += [*where_params, lon, lat]
    return sql, params


@lru_cache(maxsize=1024)
def _locate_template(filters: tuple[Q, ...]) -> tuple[str, tuple[tuple, ...]]:
    """The statement for one combination of permission filters (one per role and place)."""
    point = "ST_SetSRID(ST_MakePoint(%s, %s), 4326)"
    parts: list[str] = []
    layout: list[tuple] = []
    for (layer, (payload, order, limit, extra)), q in zip(_LOCATE_LAYERS.items(), filters, strict=True):
        spec = LAYERS[layer]
        where, where_params = layer_where(spec, q)
        if where == "FALSE":
            continue
        tail = f" ORDER BY {order}" + (f" LIMIT {limit}" if limit else "")
        parts.append(
            f"(SELECT '{layer}', json_build_object({payload}) FROM {_table(spec)} "
            f"WHERE {where} AND ST_Intersects(geom, {point}){extra}{tail})"
        )
        layout.append(tuple(where_params))
    return " UNION ALL ".join(parts), tuple(layout)


# --- point-in-shape judgement ------------------------------------------------------------------


@dataclass
class Judgement:
    inside: bool
    distance_m: float  # from the point to the shape; 0 inside
    center_distance_m: float | None = None  # circles only


def judge_in_circle(point: GEOSGeometry, center: GEOSGeometry, radius_m: float) -> Judgement:
    [(inside, distance)] = _fetch(
        "SELECT ST_DWithin(a, b, %s), ST_Distance(a, b) FROM "
        "(SELECT ST_GeomFromEWKB(%s)::geography a, ST_GeomFromEWKB(%s)::geography b) s",
        [float(radius_m), _ewkb(point), _ewkb(center)],
    )
    return Judgement(bool(inside), 0.0 if inside else max(0.0, distance - radius_m), distance)


def judge_in_area(point: GEOSGeometry, area: GEOSGeometry) -> Judgement:
    """Inside a polygon (boundary included); otherwise the geodesic distance to it."""
    [(inside, distance)] = _fetch(
        "SELECT ST_Covers(a, b), ST_Distance(a::geography, b::geography) FROM "
        "(SELECT ST_GeomFromEWKB(%s) a, ST_GeomFromEWKB(%s) b) s",
        [_ewkb(area), _ewkb(point)],
    )
    return Judgement(bool(inside), 0.0 if inside else float(distance))


def judge_in_division(point: GEOSGeometry, division: Division) -> Judgement:
    [(inside, distance)] = _fetch(
        "SELECT ST_Covers(geom, p), CASE WHEN ST_Covers(geom, p) THEN 0 "
        "ELSE ST_Distance(geom::geography, p::geography) END "
        "FROM layers_division, (SELECT ST_GeomFromEWKB(%s) p) s WHERE id = %s",
        [_ewkb(point), division.pk],
    )
    return Judgement(bool(inside), float(distance))


# --- nearby: index KNN, then exact geodesic distances ----------------------------------------


@dataclass
class Neighbours:
    rows: list[tuple[int, float]]  # (id, metres), nearest first
    more: bool  # more records lie within the radius than were returned
    rounds: int  # KNN rounds needed (1 almost always)


def nearby(
    user: Any,
    spec: LayerSpec,
    origin: GEOSGeometry,
    radius_m: float,
    limit: int,
    extra: Q | None = None,
    exclude_id: int | None = None,
) -> Neighbours:
    """The ``limit`` nearest visible records within ``radius_m`` metres of ``origin``, with distances.

    The GiST index orders candidates by planar lon/lat distance (``ORDER BY geom <-> origin``), which
    is close to, but not exactly, the geodesic order. So each round fetches ``k`` > ``limit``
    candidates, measures them on the spheroid, and proves the answer: a record the KNN scan did not
    reach is at least ``planar distance of the k-th candidate × fewest metres per degree`` away. If
    that bound does not cover the answer (rare, e.g. at high latitudes), ``k`` doubles.
    """
    if exclude_id is not None:
        extra = (extra or Q()) & ~Q(pk=exclude_id)
    where, params = visible_where(user, spec, extra)
    envelope = expanded_envelope(origin, radius_m)
    origin_wkb = _ewkb(origin)
    bound_per_degree = metres_per_degree_min(max(abs(envelope.extent[1]), abs(envelope.extent[3]))) * 0.995
    sql = (
        "SELECT id, ST_Distance(geom::geography, o::geography), planar FROM ("
        f"  SELECT id, geom, geom <-> ST_GeomFromEWKB(%s) AS planar FROM {_table(spec)}"
        f"  WHERE {where} AND geom && ST_GeomFromEWKB(%s)"
        "  ORDER BY geom <-> ST_GeomFromEWKB(%s) LIMIT %s"
        ") knn, (SELECT ST_GeomFromEWKB(%s) o) s"
    )
    k = max(2 * limit + 10, 32)
    rounds = 0
    while True:
        rounds += 1
        rows = _fetch(sql, [origin_wkb, *params, _ewkb(envelope), origin_wkb, k, origin_wkb])
        in_radius = sorted(
            ((rid, float(d)) for rid, d, _p in rows if d <= radius_m), key=lambda r: (r[1], r[0])
        )
        exhausted = len(rows) < k  # every record in the envelope was seen
        unseen_at_least = float(rows[-1][2]) * bound_per_degree if rows else math.inf
        answer = in_radius[:limit]
        proven = (
            exhausted
            or unseen_at_least >= radius_m
            or (len(answer) == limit and answer[-1][1] <= unseen_at_least)
        )
        if proven or rounds >= 6:
            break
        k *= 4
    if not proven:  # pathological input: fall back to an exact, bounded sort inside the radius
        rows = _fetch(
            f"SELECT id, ST_Distance(geom::geography, ST_GeomFromEWKB(%s)::geography) d FROM {_table(spec)} "
            f"WHERE {where} AND geom && ST_GeomFromEWKB(%s) "
            "AND ST_DWithin(geom::geography, ST_GeomFromEWKB(%s)::geography, %s) ORDER BY d, id LIMIT %s",
            [origin_wkb, *params, _ewkb(envelope), origin_wkb, float(radius_m), limit + 1],
        )
        in_radius = [(rid, float(d)) for rid, d in rows]
        answer = in_radius[:limit]
    return Neighbours(answer, more=len(in_radius) > limit, rounds=rounds)


# --- roll-ups ------------------------------------------------------------------------------------

GRID = "grid"
ROLLUP_LEVELS = (DivisionLevel.CITY, DivisionLevel.COUNTY, DivisionLevel.TOWN, DivisionLevel.VILLAGE, GRID)
_NUMERIC = ("FloatField", "IntegerField", "PositiveIntegerField", "PositiveSmallIntegerField", "DecimalField")
_NOT_SUMMABLE = {"id", "version"}


def summable_fields(spec: LayerSpec) -> list[str]:
    return [
        f.name
        for f in spec.model._meta.concrete_fields
        if f.get_internal_type() in _NUMERIC and not f.is_relation and f.name not in _NOT_SUMMABLE
    ]


def _area_expression(spec: LayerSpec) -> Expression | None:
    names = {f.name for f in spec.model._meta.concrete_fields}
    if "area_m2" in names:
        return F("area_m2")  # geodesic, computed on save
    if set(spec.geometry_types) & {"Polygon", "MultiPolygon"}:
        return Func(F("geom"), template="ST_Area((%(expressions)s)::geography)", output_field=FloatField())
    return None


def rollup(
    user: Any,
    spec: LayerSpec,
    level: str,
    within: Division | None,
    extra: Q,
    sums: Iterable[str],
) -> dict[str, Any]:
    """Counts, geodesic areas (m² and mu) and chosen sums per division at ``level``, or per grid cell.

    Records are grouped by the prefix of their derived village code (``left(division_code, n)``),
    so one pass over the layer serves any level; the groups are then named from the divisions
    table. Every division (or cell) of the level inside ``within`` is listed, with zeros if empty,
    and records that fall in none are counted under ``unassigned`` rather than dropped.
    """
    qs = visible(user, spec).filter(extra)
    if within is not None:
        qs = qs.filter(division_code__startswith=within.prefix)
    aggregates: dict[str, Any] = {"n": Count("id")}
    area = _area_expression(spec)
    if area is not None:
        aggregates["area"] = Sum(area)
    for name in sums:
        aggregates[f"sum_{name}"] = Sum(name)

    if level == GRID:
        groups, units = _grid_groups(user, spec, qs, within, aggregates)
    else:
        width = PREFIX_LENGTH[level]
        rows = qs.annotate(key=Left("division_code", width)).values("key").annotate(**aggregates).order_by()
        groups = {row["key"] or None: row for row in rows}
        divisions = visible(user, LAYERS["divisions"]).filter(level=level).order_by("code")
        if within is not None:
            divisions = divisions.filter(code__startswith=within.prefix)
        units = [
            (d.prefix, {"code": d.code, "name": d.name, "name_en": d.name_en, "level": d.level})
            for d in divisions
        ]

    def numbers(row: dict | None) -> dict[str, Any]:
        row = row or {}
        out: dict[str, Any] = {"count": row.get("n", 0)}
        if area is not None:
            out["area_m2"] = round(float(row.get("area") or 0), 2)
            out["area_mu"] = round(out["area_m2"] / MU_M2, 2)
        out["sums"] = {name: float(row.get(f"sum_{name}") or 0) for name in sums}
        return out

    result_rows = [{**unit, **numbers(groups.pop(key, None))} for key, unit in units]
    leftover = [row for row in groups.values() if row]
    unassigned = None
    if leftover:
        merged: dict[str, Any] = {}
        for row in leftover:
            for name, value in row.items():
                if name != "key" and value is not None:
                    merged[name] = merged.get(name, 0) + value
        unassigned = numbers(merged)
    total: dict[str, Any] = {"count": 0, "sums": dict.fromkeys(sums, 0.0)}
    if area is not None:
        total.update(area_m2=0.0, area_mu=0.0)
    for row in [*result_rows, *([unassigned] if unassigned else [])]:
        total["count"] += row["count"]
        if area is not None:
            total["area_m2"] += row["area_m2"]
        for name in sums:
            total["sums"][name] += row["sums"][name]
    if area is not None:
        total["area_m2"] = round(total["area_m2"], 2)
        total["area_mu"] = round(total["area_m2"] / MU_M2, 2)
    return {"rows": result_rows, "unassigned": unassigned, "total": total, "has_area": area is not None}


def _grid_groups(user, spec, qs, within, aggregates):
    """Group by top-level grid cell: by the derived ``grid_cell`` where the layer has one, else by
    the cell containing each record's representative point (a GiST join)."""
    cells_spec = LAYERS["grid_cells"]
    cells = visible(user, cells_spec).filter(parent__isnull=True)
    if within is not None:
        cells = cells.filter(division_code__startswith=within.prefix)
    units = [(c.pk, {"code": c.code, "name": c.name, "level": GRID}) for c in cells.order_by("code")]
    if spec.has_grid_cell:
        key = Coalesce("grid_cell__parent_id", "grid_cell_id")
        rows = qs.annotate(key=key).values("key").annotate(**aggregates).order_by()
        return {row["key"]: row for row in rows}, units
    # No derived cell: join on the cell that contains the record's representative point.
    inner_sql, inner_params = qs.values("pk").query.sql_with_params()
    cell_where, cell_params = layer_where(cells_spec, read_filter(user, cells_spec) & Q(parent__isnull=True))
    agg_sql = ["count(t.id) AS n"]
    if "area" in aggregates:
        agg_sql.append(
            "sum(t.area_m2)"
            if "area_m2" in {f.name for f in spec.model._meta.concrete_fields}
            else "sum(ST_Area(t.geom::geography))"
        )
        agg_sql[-1] += " AS area"
    names = [name[4:] for name in aggregates if name.startswith("sum_")]
    agg_sql += [f"sum(t.{connection.ops.quote_name(n)}) AS sum_{n}" for n in names]
    sql = (
        f"SELECT c.id, {', '.join(agg_sql)} FROM {_table(spec)} t "
        f"JOIN layers_gridcell c ON ST_Intersects(c.geom, ST_PointOnSurface(t.geom)) "
        f"AND c.id IN (SELECT id FROM layers_gridcell WHERE {cell_where}) "
        f"WHERE t.id IN ({inner_sql}) GROUP BY c.id"
    )
    columns = ["key", "n", *(["area"] if "area" in aggregates else []), *(f"sum_{n}" for n in names)]
    rows = _fetch(sql, [*cell_params, *inner_params])
    groups = {row[0]: dict(zip(columns, row, strict=True)) for row in rows}
    matched = sum(row["n"] for row in groups.values())
    total = qs.count()
    if total > matched:
        groups[None] = {"key": None, "n": total - matched}
    return groups, units


# --- overlay checks ------------------------------------------------------------------------------


@dataclass
class Overlap:
    subject_id: int
    object_id: int
    division_code: str
    ewkb: bytes
    area_m2: float
    details: dict[str, Any]


def count_buildings(prefix: str) -> int:
    [(n,)] = _fetch(
        "SELECT count(*) FROM layers_building WHERE deleted_at IS NULL AND division_code LIKE %s",
        [prefix + "%"],
    )
    return n


def buildings_on_non_construction_land(
    scope_prefix: str, chunk_prefix: str, uses: Sequence[str], min_area_m2: float
) -> list[Overlap]:
    """Buildings standing on parcels whose land use allows no building (疑似违法用地).

    ``chunk_prefix`` picks the parcels (each pair is examined in the chunk of its parcel);
    ``scope_prefix`` keeps the buildings inside the check's division. A polygon footprint counts
    when its geodesic overlap reaches ``min_area_m2``; a point building counts when it is inside.
    """
    rows = _fetch(
        """
        SELECT b.id, p.id, p.division_code, ST_AsEWKB(x.g), x.area, b.name, b.kind, p.code, p.land_use
        FROM layers_landparcel p
        JOIN layers_building b ON b.geom && p.geom AND ST_Intersects(b.geom, p.geom)
        CROSS JOIN LATERAL (
          SELECT g, CASE WHEN ST_Dimension(g) = 2 THEN ST_Area(g::geography) ELSE 0 END AS area
          FROM (SELECT CASE WHEN ST_Dimension(b.geom) = 2
                            THEN ST_CollectionExtract(ST_Intersection(b.geom, p.geom), 3)
                            ELSE b.geom END AS g) i
        ) x
        WHERE p.deleted_at IS NULL AND b.deleted_at IS NULL
          AND p.land_use = ANY(%s) AND p.division_code LIKE %s AND b.division_code LIKE %s
          AND NOT ST_IsEmpty(x.g) AND (ST_Dimension(b.geom) < 2 OR x.area >= %s)
        ORDER BY p.id, b.id
        """,
        [list(uses), chunk_prefix + "%", scope_prefix + "%", float(min_area_m2)],
    )
    return [
        Overlap(
            bid,
            pid,
            code,
            bytes(wkb),
            float(area),
            {"building_name": name, "building_kind": kind, "parcel_code": pcode, "land_use": use},
        )
        for bid, pid, code, wkb, area, name, kind, pcode, use in rows
    ]


def parks_with_parcels(prefix: str) -> list[tuple[int, str, int]]:
    """(park id, name, parcel count) of the parks holding parcels inside a division."""
    return _fetch(
        "SELECT p.park_id, k.name, count(*) FROM layers_landparcel p "
        "JOIN layers_park k ON k.id = p.park_id WHERE p.deleted_at IS NULL AND p.division_code LIKE %s "
        "GROUP BY p.park_id, k.name ORDER BY p.park_id",
        [prefix + "%"],
    )


def overlapping_parcels_in_park(scope_prefix: str, park_id: int, min_area_m2: float) -> list[Overlap]:
    """Pairs of parcels of one park whose interiors overlap by at least ``min_area_m2`` (geodesic)."""
    rows = _fetch(
        """
        SELECT a.id, b.id, a.division_code, ST_AsEWKB(x.g), ST_Area(x.g::geography), a.code, b.code,
               a.land_use, b.land_use
        FROM layers_landparcel a
        JOIN layers_landparcel b ON b.park_id = a.park_id AND a.id < b.id
             AND a.geom && b.geom AND ST_Intersects(a.geom, b.geom) AND NOT ST_Touches(a.geom, b.geom)
        CROSS JOIN LATERAL (SELECT ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 3) AS g) x
        WHERE a.park_id = %s AND a.deleted_at IS NULL AND b.deleted_at IS NULL
          AND a.division_code LIKE %s AND b.division_code LIKE %s
          AND NOT ST_IsEmpty(x.g) AND ST_Area(x.g::geography) >= %s
        ORDER BY a.id, b.id
        """,
        [park_id, scope_prefix + "%", scope_prefix + "%", float(min_area_m2)],
    )
    return [
        Overlap(
            aid,
            bid,
            code,
            bytes(wkb),
            float(area),
            {"parcel_code": acode, "other_parcel_code": bcode, "land_use": ause, "other_land_use": buse},
        )
        for aid, bid, code, wkb, area, acode, bcode, ause, buse in rows
    ]


# --- site matching: candidates -----------------------------------------------------------------


def carrier_candidates(spec: LayerSpec, q: Q, columns: Sequence[str], geometry: bool) -> list[tuple]:
    """Rows of public carriers: ``columns`` (decimals as floats), then the geometry as WKB if asked."""
    from django.contrib.auth.models import AnonymousUser

    where, params = visible_where(AnonymousUser(), spec, q)
    fields = {f.column: f for f in spec.model._meta.concrete_fields}
    cols = [
        connection.ops.quote_name(c) + ("::float8" if fields[c].get_internal_type() == "DecimalField" else "")
        for c in columns
    ]
    if geometry:
        cols.append("ST_AsBinary(geom)")
    return _fetch(f"SELECT {', '.join(cols)} FROM {_table(spec)} WHERE {where}", params)


def carrier_details(spec: LayerSpec, ids: Sequence[int], columns: Sequence[str]) -> dict[int, tuple]:
    """``id -> (columns…, WKB geometry)`` of public carriers, for one page of results."""
    from django.contrib.auth.models import AnonymousUser

    where, params = visible_where(AnonymousUser(), spec, Q(pk__in=list(ids)))
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    rows = _fetch(f"SELECT id, {cols}, ST_AsBinary(geom) FROM {_table(spec)} WHERE {where}", params)
    return {row[0]: row[1:] for row in rows}


def park_industries() -> dict[int, list[str]]:
    """The codes of every park's leading industries (a handful of rows)."""
    return dict(_fetch("SELECT id, industries FROM layers_park WHERE deleted_at IS NULL", []))


def amenity_points(categories: Sequence[str]) -> list[tuple[int, str, str, float, float]]:
    """(id, category, name, lon, lat) of the public amenities of these categories."""
    from django.contrib.auth.models import AnonymousUser

    where, params = visible_where(AnonymousUser(), LAYERS["amenities"], Q(category__in=list(categories)))
    return _fetch(
        f"SELECT id, category, name, ST_X(geom), ST_Y(geom) FROM layers_amenity WHERE {where}", params
    )
