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

from accounts.permissions import read_filter
from layers.api.filters import attribute_filters

from . import sql
from .cache import cached_counts, get_tile, set_tile
from .config import EXTENT, TileLayer, aggregate_level, division_level_for

_PLACEHOLDER = re.compile(r"(?<!%)%s")


def tile_queryset(layer: TileLayer, user: Any, filters: Mapping[str, str], z: int) -> QuerySet:
    """The rows this user may see in this tile's layer, as the REST API would cut them."""
    spec = layer.spec
    qs = spec.model.objects.filter(read_filter(user, spec)).filter(attribute_filters(spec, filters))
    if spec.name == "divisions":
        qs = qs.filter(level=division_level_for(z))
    return qs


def where_clause(qs: QuerySet) -> tuple[str, dict[str, Any]] | None:
    """The queryset's WHERE as SQL with named parameters; None when it can match nothing."""
    compiler = qs.query.get_compiler(connection=connection)
    try:
        fragment, params = compiler.compile(qs.query.where)
    except EmptyResultSet:
        return None
    except FullResultSet:
        return "TRUE", {}
    names = iter(range(len(params)))
    named = _PLACEHOLDER.sub(lambda _m: f"%(w{next(names)})s", fragment)
    return named or "TRUE", {f"w{i}": value for i, value in enumerate(params)}


def simplify_tolerance(z: int) -> float:
    """About one tile unit, in degrees: detail below that is invisible at this zoom."""
    return 360.0 / (2**z * EXTENT)


def render(layer: TileLayer, z: int, x: int, y: int, user: Any, filters: Mapping[str, str]) -> bytes:
    """The layer's MVT bytes for this tile (empty bytes when nothing is there)."""
    if z > layer.maxzoom or z < layer.minzoom:
        return b""
    compiled = where_clause(tile_queryset(layer, user, filters, z))
    if compiled is None:
        return b""
    where, params = compiled
    params.update(z=z, x=x, y=y, name=layer.name)
    if z >= layer.detail_minzoom:
        tolerance = simplify_tolerance(z) if layer.simplify and z < 16 else None
        params["tolerance"] = tolerance
        query = sql.detail(layer, where, tolerance)
    else:
        level = aggregate_level(z)
        counts = cached_counts(layer.name, user, filters, level, lambda: _count(layer, where, params, level))
        if not counts:
            return b""
        params.update(level=level, codes=list(counts), counts=list(counts.values()))
        query = sql.aggregate(level)
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        row = cursor.fetchone()
    return bytes(row[0]) if row and row[0] else b""


def _count(layer: TileLayer, where: str, params: dict[str, Any], level: str) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(sql.division_counts(layer, where, level), params)
        return dict(cursor.fetchall())


def cached_tile(
    key: str, layers: list[TileLayer], z: int, x: int, y: int, user: Any, filters: Mapping[str, str]
) -> bytes:
    """The gzipped tile for ``key`` from the cache, rendering and storing it on a miss."""
    body = get_tile(key) if settings.TILES_CACHE else None
    if body is None:
        raw = b"".join(render(layer, z, x, y, user, filters) for layer in layers)
        body = gzip.compress(raw, compresslevel=5) if raw else b""
        set_tile(key, body)
    return body
