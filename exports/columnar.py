"""A layer's features as typed columns for GDAL, read with SQL that does the conversions.

Why: a GeoPackage of every parcel (200,000 rows) spent most of its time in Python, not in GDAL:
Django's time-zone loader parsed every timestamp, its JSON field decoded every document only for the
writer to encode it again, and each value then went through a per-value conversion to a NumPy array.
Here PostgreSQL writes each value in the form the writer wants (times as UTC ISO text, decimals as
doubles, JSON as its text), the rows are turned into columns in one ``zip`` and each column into an
array in one NumPy call. The values are those ``FeatureSource.batches`` gives, converted as
``formats.values.ogr_array`` converts them: the same file, several times faster.

Scope and masking are the source's: the rows are those of its queryset (built from
``readable(user, spec)``), read in the caller's transaction. A column SQL cannot give as is (a
personal field, which may be encrypted at rest and is masked through ``policy.privacy``; an array;
a field with a converter of its own) is read through Django as ``FeatureSource.batches`` reads it
and converted value by value.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models.expressions import RawSQL

from policy.privacy import shown

from .formats.values import json_text, ogr_array

# Fields whose stored text is the value Python reads (no converter, no other type behind it).
PLAIN_TEXT = frozenset({"CharField", "TextField", "SlugField", "EmailField", "URLField", "FileField"})
# Outside JSON strings, PostgreSQL writes a number as it was stored (``1.50``) and Python as the
# float it reads (``1.5``); integers come out the same. A text where a digit is followed by a point
# or an exponent (or a ``-0``) is decoded and encoded again, as the Python path writes it.
NOT_AN_INTEGER = re.compile(r"\d[.eE]|-0")
ISO_MS = 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'
UTC_FLAG = 100  # GDAL's time zone flag for UTC (RFC 56)


@dataclass(frozen=True)
class Column:
    """A column of a batch: ``kind`` as ``tables.Column``; ``prepared`` when SQL wrote its values
    (``sql_value`` says in which form), else they are Python's."""

    name: str
    kind: str
    prepared: bool


@dataclass(frozen=True)
class Columns:
    """One batch: the values of each column (by name), the WKB geometries, and how many rows."""

    columns: list[Column]
    values: dict[str, Sequence[Any]]
    wkb: Sequence[bytes | None]
    ids: Sequence[int]

    def __len__(self) -> int:
        return len(self.ids)


def sql_value(source: Any, c: Any) -> str | None:
    """The SQL of column ``c`` (a ``layers.api.features.Column``) in the form ``arrays`` takes, or None
    when it is read through Django."""
    f = c.field
    if c.personal or c.kind == "array":
        return None
    internal = f.get_internal_type()
    if c.kind == "json":
        if getattr(f, "encoder", None) or getattr(f, "decoder", None):
            return None
    elif f.get_db_converters(connection):
        return None
    col = f"{source.table}.{connection.ops.quote_name(f.column)}"
    if c.kind in ("int", "fk", "float", "bool"):
        return col
    if c.kind == "decimal":
        return f"{col}::float8"  # the double nearest the decimal, as float(Decimal) gives
    if c.kind == "date":
        return f"to_char({col}, 'YYYY-MM-DD')"
    if c.kind == "datetime" and settings.USE_TZ:
        # Milliseconds truncated, as numpy's datetime64[ms] truncates.
        return f"to_char({col} AT TIME ZONE 'UTC', '{ISO_MS}')"
    if c.kind == "uuid":
        return f"{col}::text"
    if c.kind == "json":
        return f"{col}::text"
    if c.kind in ("text", "file") and internal in PLAIN_TEXT:
        return col
    return None


def batches(source: Any, size: int) -> Iterator[Columns]:
    """Every feature of ``source`` (a ``layers.api.features.FeatureSource``) as columns, ``size`` rows
    at a time, in the queryset's order."""
    plan: list[tuple[Any, str | None]] = [(c, sql_value(source, c)) for c in source.columns]
    annotations = {f"_x{i}": RawSQL(sql, []) for i, (_c, sql) in enumerate(plan) if sql is not None}
    selected = [f"_x{i}" if sql is not None else c.field.attname for i, (c, sql) in enumerate(plan)]
    geometry = RawSQL(f"ST_AsBinary({source.geometry_sql()})", [])
    qs = source.queryset.annotate(**annotations, _wkb=geometry).values_list(*selected, "_wkb")
    columns = [Column(c.name, c.kind, sql is not None) for c, sql in plan]
    names = [c.name for c in columns]
    personal = [i for i, (c, _sql) in enumerate(plan) if c.personal]
    label = source.spec.model._meta.label_lower
    pk_index = names.index("id")
    rows: list[Any] = []

    def batch() -> Columns:
        cols = list(zip(*rows, strict=True))
        for i in personal:  # masked as the user may see them (and unmasked reads noted for audit)
            cols[i] = tuple(
                shown(source.user, value, name=names[i], about=(label, pk))
                for value, pk in zip(cols[i], cols[pk_index], strict=True)
            )
        values: dict[str, Sequence[Any]] = dict(zip(names, cols, strict=False))
        return Columns(columns, values, cols[-1], cols[pk_index])

    for fetched in _rows(qs, size, binary=all(sql is not None or _binary_safe(c) for c, sql in plan)):
        rows.extend(fetched)
        if len(rows) >= size:
            yield batch()
            rows = []
    if rows:
        yield batch()


def _binary_safe(c: Any) -> bool:
    """Whether a column read through Django gets the same value in PostgreSQL's binary format (text
    and bytea do; Django reads JSON, network addresses and times with text loaders of its own)."""
    f = getattr(c.field, "base_field", c.field)
    return f.get_internal_type() in PLAIN_TEXT


def _rows(qs: Any, size: int, *, binary: bool) -> Iterator[Sequence[Any]]:
    """The rows of ``qs`` a fetch at a time, through a server-side cursor in the caller's transaction.

    In PostgreSQL's binary format when ``binary``: WKB then comes as its bytes rather than as hex
    text to decode, and numbers without parsing. psycopg binds no parameters on the client for a
    binary cursor, so the SQL is composed first (``ops.compose_sql``, as Django's own cursors do);
    Django's converters (a personal field's decryption) are applied as its iterator would.
    """
    if not binary:
        chunk: list[Any] = []
        for row in qs.iterator(chunk_size=min(size, 10000)):
            chunk.append(row)
            if len(chunk) >= size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk
        return
    compiler = qs.query.get_compiler(using=qs.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:  # a filter that can match nothing
        return
    converters = compiler.get_converters([s[0] for s in compiler.select])
    text = connection.ops.compose_sql(sql, params)  # type: ignore[attr-defined]  # PostgreSQL's
    connection.ensure_connection()
    name = f"export_{secrets.token_hex(6)}"
    hold = not connection.in_atomic_block
    with connection.connection.cursor(name=name, binary=True, withhold=hold) as cursor:
        cursor.execute(text)
        while fetched := cursor.fetchmany(size):
            if converters:
                fetched = list(map(tuple, compiler.apply_converters(fetched, converters)))
            yield fetched


def _nulls(values: np.ndarray) -> np.ndarray | None:
    mask = values == None  # noqa: E711 - elementwise, on an object array
    return mask if mask.any() else None


def _json(text: str | None) -> str | None:
    if text is None or text == "null":  # Django reads JSON null as None
        return None
    return json_text(json.loads(text)) if NOT_AN_INTEGER.search(text) else text


def arrays(
    column: Column, values: Sequence[Any], *, first: bool
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """``(data, mask, tz offsets)`` for ``pyogrio.raw.write``, as ``ogr_array`` gives them.

    Times of the ``first`` batch are datetime64 (the layer's field is created from its dtype);
    later batches, appended to that field, pass their ISO text, which GDAL parses: pyogrio converts
    each datetime64 through Python objects, which cost a third of the whole write.
    """
    if not column.prepared:
        return ogr_array(column.kind, values)
    kind = column.kind
    if kind in ("int", "fk"):
        if None not in values:
            return np.array(values, dtype=np.int64), None, None
        data = np.array(values, dtype=object)
        mask = data == None  # noqa: E711 - elementwise, on an object array
        data[mask] = 0
        return data.astype(np.int64), mask, None
    if kind in ("float", "decimal"):
        # None becomes NaN, which the writer stores as null (nan_as_null).
        return np.array(values, dtype=np.float64), None, None
    if kind == "bool":
        mask = _nulls(np.array(values, dtype=object)) if None in values else None
        return np.array(values, dtype=bool), mask, None
    if kind == "date":
        return np.array(values, dtype="datetime64[D]"), None, None
    if kind == "datetime":
        if not first:
            return np.array(values, dtype=object), None, None
        data = np.array([None if v is None else v[:-1] for v in values], dtype="datetime64[ms]")
        offsets = np.where(np.isnat(data), 0, UTC_FLAG).astype(np.int32)
        return data, None, offsets
    if kind == "json":
        return np.array([_json(v) for v in values], dtype=object), None, None
    return np.array(values, dtype=object), None, None  # text: the writer stores None as null
