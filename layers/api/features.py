"""A layer's features as GeoJSON built in PostgreSQL, and as rows for exports.

The REST API's plain reads, OGC API Features and the exports read features here. DRF serialises a
Feature field by field in Python, which put a 1,000-parcel page at several times the cost of the
same FeatureCollection built by one SQL query; here the query builds each Feature's text itself
(``ST_AsGeoJSON`` and ``json_build_object``) and Python only joins the texts.

What comes out is what the layer's serializer (``layers.api.serializers``) gives: the same keys,
decimals as strings, times in the site's time zone as DRF writes them, ``area_mu`` to two places,
files as absolute media URLs, exterior rings counter-clockwise, coordinates rounded as
``layers.geometry.to_geojson`` rounds them. ``tests/layers/test_features.py`` holds the two
outputs equal for every layer.

A source reads the queryset it is given, which the caller builds from ``readable(user, spec)``:
scope is the policy's, as everywhere. Personal fields cannot be masked in SQL (they may be
encrypted at rest, ``crypto.fields``), so they are left out of the SQL text and added to each
Feature in Python through ``policy.privacy``, which masks them and notes unmasked reads for audit.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection, models
from django.db.models.expressions import RawSQL
from django.utils import timezone

from geoportal.replicas import read_cursor
from layers.crs import CRS, STORAGE_CRS
from layers.registry import LayerSpec
from policy.predicates import read_filter
from policy.privacy import shown

# Metres need no more than millimetres; degrees get the API's 7 decimals (about 1 cm).
METRE_PRECISION = 3
DEGREE_PRECISION = 7


def readable(user: Any, spec: LayerSpec) -> models.QuerySet:
    """Every feature of the layer ``user`` may read (published ones, and their own scope)."""
    return spec.model.objects.filter(read_filter(user, spec))


@dataclass(frozen=True)
class Column:
    """One property of a layer's features, in the order the API writes them."""

    name: str
    title: str
    kind: str  # int, float, decimal, text, bool, date, datetime, json, array, fk, file, uuid
    personal: bool
    field: models.Field


def _kind(f: models.Field) -> str:
    if f.is_relation:
        return "fk"
    internal = f.get_internal_type()
    kinds = {
        "DecimalField": "decimal",
        "FloatField": "float",
        "BooleanField": "bool",
        "DateField": "date",
        "DateTimeField": "datetime",
        "JSONField": "json",
        "ArrayField": "array",
        "FileField": "file",
        "UUIDField": "uuid",
    }
    if internal in kinds:
        return kinds[internal]
    return "int" if internal.endswith(("IntegerField", "AutoField")) else "text"


def columns(spec: LayerSpec) -> list[Column]:
    """The layer's properties: every concrete field but the geometry and the deletion mark."""
    return [
        Column(f.name, str(f.verbose_name), _kind(f), f.name in spec.personal_fields, f)
        for f in spec.model._meta.concrete_fields
        if f.name not in {"geom", "deleted_at"}
    ]


def _utc_offset() -> str:
    """The site's UTC offset as DRF writes it (``+08:00``; ``Z`` for UTC). China keeps one offset
    all year, which is what lets SQL write it as a constant."""
    offset = timezone.localtime().strftime("%z")
    return "Z" if offset == "+0000" else f"{offset[:3]}:{offset[3:]}"


def _iso(expr: str) -> tuple[str, list[Any]]:
    """A timestamptz as DRF's ``DateTimeField`` writes it: local time, microseconds only when
    there are some, and the offset."""
    zone = timezone.get_current_timezone_name()
    sql = (
        f"CASE WHEN {expr} IS NULL THEN NULL ELSE to_char({expr} AT TIME ZONE %s, "
        "'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN date_part('microseconds', "
        f"{expr})::bigint % 1000000 <> 0 THEN to_char({expr} AT TIME ZONE %s, '.US') ELSE '' END"
        " || %s END"
    )
    return sql.replace("% 1000000", "%% 1000000"), [zone, zone, _utc_offset()]


class FeatureSource:
    """The features of ``queryset`` (a layer's, already scoped and filtered) as GeoJSON text or
    export rows, in ``crs``; ``lat_lon`` writes geographic coordinates latitude first, as OGC API
    Features does for EPSG:4326 and EPSG:4490 (the authority's axis order)."""

    def __init__(
        self,
        user: Any,
        spec: LayerSpec,
        queryset: models.QuerySet,
        *,
        crs: CRS = STORAGE_CRS,
        lat_lon: bool = False,
        media_base: str = "",
    ) -> None:
        self.user = user
        self.spec = spec
        self.queryset = queryset
        self.crs = crs
        self.lat_lon = lat_lon
        # Files are written as absolute URLs, as DRF does with a request: this is their prefix.
        self.media_base = media_base or settings.MEDIA_URL
        self.columns = columns(spec)
        self.table = connection.ops.quote_name(spec.model._meta.db_table)
        self._personal = [c for c in self.columns if c.personal]

    # --- SQL pieces -----------------------------------------------------------------------------
    def _column(self, c: Column) -> str:
        return f"{self.table}.{connection.ops.quote_name(c.field.column)}"

    def geometry_sql(self) -> str:
        """The stored geometry, oriented, in the output CRS and axis order."""
        geom = f"{self.table}.geom"
        if not any("LineString" in kind for kind in self.spec.geometry_types):
            # PostGIS reverses lines too, which the API's orientation (polygons only) does not.
            geom = f"ST_ForcePolygonCCW({geom})"
        srid = int(self.crs.key.split(":")[1]) if self.crs.key.startswith("EPSG:") else 4326
        if srid != 4326:
            geom = f"ST_Transform({geom}, {srid})"
        if self.lat_lon:
            geom = f"ST_FlipCoordinates({geom})"
        return geom

    @property
    def precision(self) -> int:
        return DEGREE_PRECISION if self.crs.geographic else METRE_PRECISION

    def _value(self, c: Column) -> tuple[str, list[Any]]:
        col = self._column(c)
        slug = dict(self.spec.slug_fields).get(c.name)
        if slug:
            target = c.field.related_model
            table = connection.ops.quote_name(target._meta.db_table)
            return f"(SELECT s.{connection.ops.quote_name(slug)} FROM {table} s WHERE s.id = {col})", []
        if c.kind == "decimal":
            return f"{col}::text", []
        if c.kind == "datetime":
            return _iso(col)
        base = getattr(c.field, "base_field", None)
        if c.kind == "array" and base is not None and base.get_internal_type() == "DateTimeField":
            item, params = _iso("u.x")
            return f"ARRAY(SELECT {item} FROM unnest({col}) WITH ORDINALITY u(x, n) ORDER BY n)", params
        if c.kind == "file":
            return f"CASE WHEN {col} IS NULL OR {col} = '' THEN NULL ELSE %s || {col} END", [self.media_base]
        if c.name == "area_mu" and any(o.name == "area_m2" for o in self.columns):
            # The serializer rounds the derived 亩 to two places (``FeatureSerializer``).
            area = f"{self.table}.{connection.ops.quote_name('area_m2')}"
            return f"CASE WHEN {area} IS NULL THEN {col} ELSE round({col}::numeric, 2)::float8 END", []
        return col, []

    def feature_sql(self) -> tuple[str, list[Any]]:
        """One Feature's text over the layer's table, personal fields left out."""
        pairs: list[str] = []
        params: list[Any] = []
        for c in self.columns:
            if c.personal or c.name == "id":
                continue
            sql, args = self._value(c)
            # Field names are identifiers of our own models, never client text.
            pairs.append(f"'{c.name}', {sql}")
            params.extend(args)
        geometry = f"COALESCE(ST_AsGeoJSON({self.geometry_sql()}, {self.precision}, 0), 'null')"
        sql = (
            f'\'{{"type": "Feature", "id": \' || {self.table}.id || \', "geometry": \' || {geometry}'
            f" || ', \"properties\": ' || json_build_object({', '.join(pairs)})::text || '}}'"
        )
        return sql, params

    def _annotated(self, queryset: models.QuerySet) -> models.QuerySet:
        """Each row as its Feature's text, its id and its personal values (``chunks``)."""
        sql, params = self.feature_sql()
        personal = [c.field.attname for c in self._personal]
        return queryset.annotate(_feature=RawSQL(sql, params)).values_list("_feature", "id", *personal)

    # --- personal fields ------------------------------------------------------------------------
    def _finish(self, feature: str, pk: int, raw: Sequence[Any]) -> str:
        """Add the personal fields, masked as ``user`` may see them, to one Feature's text (which
        ends with the closing braces of its properties and of itself)."""
        if not self._personal:
            return feature
        about = (self.spec.model._meta.label_lower, pk)
        extra = "".join(
            f", {json.dumps(c.name)}: "
            + json.dumps(shown(self.user, value, name=c.name, about=about), ensure_ascii=False)
            for c, value in zip(self._personal, raw, strict=True)
        )
        return feature[:-2] + extra + "}}"

    # --- outputs --------------------------------------------------------------------------------
    def count(self) -> int:
        return self.queryset.count()

    def page(
        self,
        queryset: models.QuerySet,
        limit: int,
        *,
        offset: int = 0,
        count: bool = False,
        key_sql: str | None = None,
        reverse: bool = False,
    ) -> Page:
        """A page of Features: ``queryset`` (filtered and ordered, not sliced) from ``offset`` up
        to ``limit``, in one query.

        One more row than ``limit`` is read to know whether more follow. ``key_sql`` is an SQL
        expression (JSON text) of a row's sort key, returned for the first and last rows (keyset
        links, in the order the Features are written); ``reverse`` writes the rows in the opposite
        order (a previous page read backwards); ``count`` also counts the whole result (``matched``).

        Two things keep the query near the cost of the bare SQL. The page's ids are chosen first
        and the Features built only for them (PostgreSQL would otherwise build the text of every
        row an OFFSET skips). And when counting, the filter runs once: the matching ids, in order,
        are kept in a materialised CTE that both the count and the page read; an exact
        ``ST_Intersects`` over a bbox's candidates costs as much as building their Features.
        """
        table = self.table
        try:
            if count:
                ordered, ordered_params = queryset.values("pk").query.sql_with_params()
                prefix, prefix_params = (
                    f"WITH _matched(id) AS MATERIALIZED ({ordered}) ",
                    list(ordered_params),
                )
                chosen, chosen_params = "SELECT id FROM _matched OFFSET %s LIMIT %s", [offset, limit + 1]
                matched_sql = "(SELECT count(*) FROM _matched)"
            else:
                sliced = queryset.values("pk")[offset : offset + limit + 1]
                chosen, chosen_params = sliced.query.sql_with_params()
                prefix, prefix_params, matched_sql = "", [], "NULL::bigint"
        except EmptyResultSet:  # a filter that can match nothing (a role that reads no rows)
            return Page("", 0, False, None, None, 0 if count else None)
        feature, feature_params = self.feature_sql()
        personal = "".join(f", {self._column(c)}" for c in self._personal)
        # The chosen rows keep their query's order: row_number() numbers them as they come.
        rows = (
            f"SELECT {feature} AS f, {key_sql or 'NULL::text'} AS k, pg.n, {table}.id{personal}"
            f" FROM (SELECT s.id, row_number() OVER () AS n FROM ({chosen}) s(id)) pg"
            f" JOIN {table} ON {table}.id = pg.id"
        )
        rows_params = [*feature_params, *chosen_params]
        if self._personal:
            sql = f"{prefix}SELECT q.*, {matched_sql} FROM ({rows}) q"
            return self._page_in_python(sql, [*prefix_params, *rows_params], limit, count, reverse)
        direction = "DESC" if reverse else "ASC"
        sql = (
            f"{prefix}SELECT COALESCE(string_agg(q.f, ', ' ORDER BY q.n {direction})"
            " FILTER (WHERE q.n <= %s), ''),"
            " count(*), (array_agg(q.k ORDER BY q.n))[1], (array_agg(q.k ORDER BY q.n))[least(count(*), %s)],"
            f" {matched_sql} FROM ({rows}) q"
        )
        with read_cursor() as cur:
            cur.execute(sql, [*prefix_params, limit, limit, *rows_params])
            text, n, first, last, matched = cur.fetchone()
        if reverse:  # the keys in the order the Features are written
            first, last = last, first
        return Page(text, min(n, limit), n > limit, first, last, matched)

    def _page_in_python(self, sql: str, params: list[Any], limit: int, count: bool, reverse: bool) -> Page:
        """``page`` for a layer with personal fields, which are added to each Feature here. A row
        is the Feature's text, its key, its number, its id, its personal values and the count."""
        with read_cursor() as cur:
            cur.execute(f"{sql} ORDER BY q.n", params)
            fetched = cur.fetchall()
        keep = fetched[:limit]
        if reverse:
            keep.reverse()
        texts = [self._finish(row[0], row[3], row[4:-1]) for row in keep]
        first = keep[0][1] if keep else None
        last = keep[-1][1] if keep else None
        matched = fetched[0][-1] if fetched else (0 if count else None)
        return Page(", ".join(texts), len(keep), len(fetched) > limit, first, last, matched)

    def chunks(self, size: int = 500) -> Iterator[str]:
        """Every Feature of the queryset, ``size`` at a time, comma-joined, read through a
        server-side cursor: memory stays flat whatever the number of features."""
        batch: list[str] = []
        for row in self._annotated(self.queryset).iterator(chunk_size=size):
            batch.append(self._finish(row[0], row[1], row[2:]))
            if len(batch) >= size:
                yield ", ".join(batch)
                batch = []
        if batch:
            yield ", ".join(batch)

    def batches(self, size: int = 5000) -> Iterator[Batch]:
        """Every feature as plain values and WKB geometry in ``crs``, ``size`` at a time (the export
        writers' input). Values are Python's (decimals, aware datetimes, lists); personal fields are
        masked."""
        names = [c.name for c in self.columns]
        attnames = [c.field.attname for c in self.columns]
        qs = self.queryset.annotate(_wkb=RawSQL(f"ST_AsBinary({self.geometry_sql()})", [])).values_list(
            *attnames, "_wkb"
        )
        label = self.spec.model._meta.label_lower
        personal = [i for i, c in enumerate(self.columns) if c.personal]
        pk_index = names.index("id")
        rows: list[tuple[Any, ...]] = []
        for row in qs.iterator(chunk_size=size):
            if personal:
                row = list(row)
                for i in personal:
                    row[i] = shown(self.user, row[i], name=names[i], about=(label, row[pk_index]))
            rows.append(tuple(row))
            if len(rows) >= size:
                yield Batch.of(names, rows)
                rows = []
        if rows:
            yield Batch.of(names, rows)


@dataclass(frozen=True)
class Page:
    """A page of Features: ``text`` is their comma-joined JSON, ``returned`` how many, ``more``
    whether rows follow; ``first_key``/``last_key`` the sort keys of the first and last rows (when
    asked for); ``matched`` the count of the whole result (when asked for)."""

    text: str
    returned: int
    more: bool
    first_key: str | None
    last_key: str | None
    matched: int | None


@dataclass(frozen=True)
class Batch:
    """Rows for a writer: ids, column values by name, and WKB geometries."""

    ids: list[int]
    values: dict[str, list[Any]]
    wkb: list[bytes | None]

    @classmethod
    def of(cls, names: list[str], rows: list[tuple[Any, ...]]) -> Batch:
        cols = list(zip(*rows, strict=True))
        values = {name: list(cols[i]) for i, name in enumerate(names)}
        wkb = [bytes(g) if g is not None else None for g in cols[-1]]
        return cls(list(values["id"]), values, wkb)
