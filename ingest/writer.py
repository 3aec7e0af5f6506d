"""Writing many records at once, with the derived fields and the permission check of a single save.

``LayerFeature.save()`` derives the division, park, grid cell, area and length one query at a time.
Here the spatial lookups run as one set-based query per few thousand records, with the same
representative point, the same filters and the same tie-breaking as ``layers.models.lookups``;
areas and lengths come from the very functions ``lookups`` uses. Every record then goes through
``policy.predicates.can_create`` like an API create, and everything is inserted with
``bulk_create`` inside the caller's transaction (see layers/history.py: bulk-loaded records get
their history baseline before their first edit). Vector tiles are invalidated after the commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from django.contrib.gis.geos import GEOSGeometry, Point
from django.contrib.postgres.fields import ArrayField
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from policy.predicates import can_create
from layers.models import Division, LayerFeature
from layers.models.base import MU_M2
from layers.models.lookups import (
    geodesic_area_m2,
    geodesic_length_m,
    grid_cell_id_sql,
    park_id_sql,
    representative_point,
    village_code_sql,
)
from layers.registry import LayerSpec

from .report import Report

CHUNK = 5000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _lookup_sql(model: type[LayerFeature]) -> tuple[str, list[str]]:
    columns, names = [village_code_sql("t.pt")], ["division_code"]
    if model.derive_park:
        columns.append(park_id_sql("t.pt"))
        names.append("park_id")
    if model.derive_grid_cell:
        columns.append(grid_cell_id_sql("t.start"))
        names.append("grid_cell_id")
    sql = (
        f"SELECT {', '.join(columns)} FROM ("
        " SELECT u.ord, ST_GeomFromEWKB(u.pt) AS pt, ST_GeomFromEWKB(u.st) AS start"
        " FROM unnest(%s::bytea[], %s::bytea[]) WITH ORDINALITY AS u(pt, st, ord)) t ORDER BY t.ord"
    )
    return sql, names


def derive_many(records: Sequence[LayerFeature]) -> None:
    """Fill the derived fields of unsaved records exactly as ``derive_location`` would."""
    if not records:
        return
    model = type(records[0])
    if issubclass(model, Division):
        for record in records:
            record.derive()  # Division.derive: its own code, no lookup
        return
    sql, names = _lookup_sql(model)
    for start in range(0, len(records), CHUNK):
        chunk = records[start : start + CHUNK]
        points, starts = [], []
        for record in chunk:
            geom: GEOSGeometry = record.geom
            if geom.srid is None:
                geom.srid = 4326
            point = representative_point(geom)
            points.append(bytes(point.ewkb))
            # geom[0], not geom.coords[0]: coords copies every vertex through ctypes.
            first = Point(geom[0], srid=4326) if geom.geom_type == "LineString" else point
            starts.append(bytes(first.ewkb))
        with connection.cursor() as cur:
            cur.execute(sql, [points, starts])
            rows = cur.fetchall()
        for record, row in zip(chunk, rows, strict=True):
            for name, value in zip(names, row, strict=True):
                setattr(record, name, value)
    fields = {f.name for f in model._meta.concrete_fields}
    for record in records:
        geom = record.geom
        if "area_m2" in fields and geom.geom_type in {"Polygon", "MultiPolygon"}:
            record.area_m2 = round(geodesic_area_m2(geom), 2)
            if "area_mu" in fields:
                record.area_mu = round(record.area_m2 / MU_M2, 4)
        if "length_m" in fields and geom.geom_type == "LineString":
            record.length_m = round(geodesic_length_m(geom), 2)


def check_permissions(
    user: Any,
    spec: LayerSpec,
    records: Sequence[LayerFeature],
    rows: Sequence[int],
    unit: str,
    report: Report,
) -> None:
    """Every record must pass ``can_create`` for this user, as an API create would."""
    for record, row in zip(records, rows, strict=True):
        if not can_create(user, spec, record):
            where = record.division_code or _("outside every village of the city")
            report.error(
                _(
                    "you may not create a %(layer)s record here (%(where)s): it is outside your role or your "
                    "area. Remove it from the file, or ask a colleague responsible for that area to import "
                    "it."
                )
                % {"layer": spec.name, "where": where},
                row=row,
                unit=unit,
            )


def _time_arrays(model: type[LayerFeature]) -> list[Any]:
    """Array-of-timestamp fields (patrol tracks' per-vertex times)."""
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, ArrayField) and isinstance(f.base_field, models.DateTimeField)
    ]


def insert(spec: LayerSpec, records: list[LayerFeature], user: Any) -> list[int]:
    """Insert derived, permission-checked records in the current transaction; returns their ids.

    Arrays of timestamps (a patrol track's one time per vertex, up to a million) bypass Django's
    per-element preparation (~20 µs an element) and psycopg's list adaptation: they travel as one
    bigint[] literal of microseconds since the epoch, turned into timestamptz[] by PostgreSQL. A
    record may carry them ready-made in ``_<field>_us`` (gps.build does), else its datetimes are used.
    """
    if not records:
        return []
    for record in records:
        record.created_by = record.updated_by = user
    held = []
    for f in _time_arrays(spec.model):
        micros = []
        for r in records:
            given = getattr(r, f"_{f.attname}_us", None)
            if given is None:
                values = getattr(r, f.attname) or []
                if values and any(timezone.is_naive(v) for v in values[:1]):
                    raise ValueError(f"{spec.name}.{f.name}: naive datetimes")
                given = [round((v - EPOCH).total_seconds() * 1_000_000) for v in values]
            micros.append(given)
            setattr(r, f.attname, [])
        held.append((f, micros))
    created = spec.model.objects.bulk_create(records, batch_size=1000)
    table = spec.model._meta.db_table
    with connection.cursor() as cur:
        for f, micros in held:
            column = connection.ops.quote_name(f.column)
            cur.executemany(
                f"UPDATE {table} SET {column} = ARRAY("
                "SELECT timestamptz 'epoch' + u.us * interval '1 microsecond'"
                " FROM unnest(%s::bigint[]) WITH ORDINALITY AS u(us, n) ORDER BY u.n) WHERE id = %s",
                [
                    ("{" + ",".join(map(str, m.tolist() if hasattr(m, "tolist") else m)) + "}", r.pk)
                    for m, r in zip(micros, created, strict=True)
                ],
            )
    name = spec.name

    def bump() -> None:
        from tiles.cache import bump as bump_tiles

        # As tiles.signals: division boundaries carry every layer's low-zoom counts.
        if name == "divisions":
            bump_tiles()
        else:
            bump_tiles(name)

    transaction.on_commit(bump, robust=True)
    return [r.pk for r in created]
