"""Render one layer's tile for one user: permission cut, attribute filters, generalization."""

from __future__ import annotations

import gzip
import re
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connection
from django.db.models import QuerySet

from geoportal.replicas import read_cursor
from layers.api.filters import attribute_filters
from policy.predicates import read_sql

from . import sql
from .cache import Lookup, Members, cached_counts, store
from .config import EXTENT, TileLayer, aggregate_level, division_level_for

_PLACEHOLDER = re.compile(r"(?<!%)%s")


def _compiled(qs: QuerySet) -> tuple[str, list[Any]] | None:
    """The queryset's WHERE as SQL with positional parameters; None when it can match nothing."""
    compiler = qs.query.get_compiler(connection=connection)
    try:
        fragment, params = compiler.compile(qs.query.where)
    except EmptyResultSet:
        return None
    except FullResultSet:
        return "TRUE", []
    return fragment or "TRUE", list(params)


def tile_where(
    layer: TileLayer, user: Any, filters: Mapping[str, str], z: int
) -> tuple[str, dict[str, Any]] | None:
    """The rows this user may see in this tile's layer, as the REST API would cut them: WHERE SQL
    with named parameters, or None when it can match nothing.

    The permission cut comes as SQL straight from the policy (``read_sql``) and the ORM compiles
    only the attribute filters a request adds: this runs on every uncached tile.
    """
    spec = layer.spec
    table = sql.q(spec.model._meta.db_table)
    read, params = read_sql(user, spec, table)
    if read == "FALSE":
        return None
    parts = [f"{table}.deleted_at IS NULL", f"({read})"]
    attrs = attribute_filters(spec, filters)
    if attrs:
        compiled = _compiled(spec.model.all_objects.filter(attrs))
        if compiled is None:
            return None
        parts.append(f"({compiled[0]})")
        params.extend(compiled[1])
    if spec.name == "divisions":
        parts.append(f"{table}.level = %s")
        params.append(division_level_for(z))
    names = iter(range(len(params)))
    named = _PLACEHOLDER.sub(lambda _m: f"%(w{next(names)})s", " AND ".join(parts))
    return named, {f"w{i}": value for i, value in enumerate(params)}


def detail_tolerance(layer: TileLayer, z: int) -> float | None:
    """How much a detail tile of this layer is simplified: about one tile unit, in degrees (detail
    below that is invisible at this zoom), and not at all from z16, where the shapes must match
    what the editor and the REST API return."""
    return 360.0 / (2**z * EXTENT) if layer.simplify and z < 16 else None


def render(layer: TileLayer, z: int, x: int, y: int, user: Any, filters: Mapping[str, str]) -> bytes:
    """The layer's MVT bytes for this tile (empty bytes when nothing is there)."""
    if z > layer.maxzoom or z < layer.minzoom:
        return b""
    compiled = tile_where(layer, user, filters, z)
    if compiled is None:
        return b""
    where, params = compiled
    params.update(z=z, x=x, y=y, name=layer.name)
    if z >= layer.detail_minzoom:
        tolerance = detail_tolerance(layer, z)
        params["tolerance"] = tolerance
        query = sql.detail(layer, where, tolerance)
    else:
        level = aggregate_level(z)
        counts = cached_counts(layer.name, user, filters, level, lambda: _count(layer, where, params, level))
        if not counts:
            return b""
        members = list(counts.values())
        params.update(level=level, codes=list(counts), counts=[m[0] for m in members])
        params.update({side: [m[i + 1] for m in members] for i, side in enumerate(SIDES)})
        query = sql.aggregate(level)
    with read_cursor() as cursor:
        cursor.execute(query, params)
        row = cursor.fetchone()
        body = bytes(row[0]) if row and row[0] else b""
        if layer.labels and z >= layer.detail_minzoom:
            # A second MVT layer in the same tile: MVT layers concatenate.
            cursor.execute(sql.labels(layer, where), {**params, "label_name": f"{layer.name}_labels"})
            row = cursor.fetchone()
            body += bytes(row[0]) if row and row[0] else b""
    return body


SIDES = ("west", "south", "east", "north")


def _count(layer: TileLayer, where: str, params: dict[str, Any], level: str) -> dict[str, Members]:
    with read_cursor() as cursor:
        cursor.execute(sql.division_counts(layer, where, level), params)
        return {code: tuple(rest) for code, *rest in cursor.fetchall()}


def tile_body(
    found: Lookup, layers: list[TileLayer], z: int, x: int, y: int, user: Any, filters: Mapping[str, str]
) -> tuple[bytes, bool]:
    """The gzipped tile, and whether it was rendered now: from the cache when ``found`` holds it,
    else rendered, for the caller to ``store`` (a view stores it after the response has gone)."""
    if settings.TILES_CACHE and found.body is not None:
        return found.body, False
    raw = b"".join(render(layer, z, x, y, user, filters) for layer in layers)
    return (gzip.compress(raw, compresslevel=5) if raw else b""), True


def cached_tile(
    found: Lookup, layers: list[TileLayer], z: int, x: int, y: int, user: Any, filters: Mapping[str, str]
) -> bytes:
    """The gzipped tile, from the cache when ``found`` holds it, else rendered and stored."""
    body, rendered = tile_body(found, layers, z, x, y, user, filters)
    if rendered:
        store(found, body)
    return body
