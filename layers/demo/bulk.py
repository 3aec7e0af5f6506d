"""COPY rows into a model's table and fill the derived fields in SQL, as ``LayerFeature.save()`` would.

save() looks up the village, park and grid cell of every record one query at a time and writes a
history row: about 6 ms a parcel, 20 minutes for 200,000. Here rows are COPYed into a temporary
staging table and moved into the real table with one INSERT ... SELECT whose derived columns are
the SQL twins of ``layers.models.lookups`` (same representative point, same tie-breaking, same
rounding). Inserting the final values once, instead of inserting and then UPDATEing, writes each
row and its index entries (GiST included) only once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import shapely
from django.contrib.gis.db.models import GeometryField
from django.db import connection, models
from django.utils import timezone

from layers.models import Division, LayerFeature
from layers.models.lookups import grid_cell_id_sql, park_id_sql, village_code_sql

MU_SQL = "(2000.0 / 3)"  # layers.models.base.MU_M2
POINT = "s._pt"  # the representative point: ST_PointOnSurface, which is the point itself for points


# Patrol tracks are filed by their start point.
START = "CASE WHEN GeometryType(s.geom) = 'LINESTRING' THEN ST_StartPoint(s.geom) ELSE s._pt END"
POLYGONAL = "GeometryType(s.geom) IN ('POLYGON', 'MULTIPOLYGON')"
AREA_SQL = f"CASE WHEN {POLYGONAL} THEN round(ST_Area(s.geom::geography)::numeric, 2)::float8 ELSE 0 END"
AREA_MU_SQL = (
    f"CASE WHEN {POLYGONAL} THEN round(round(ST_Area(s.geom::geography)::numeric, 2) / {MU_SQL}, 4)::float8"
    " ELSE 0 END"
)
LENGTH_SQL = (
    "CASE WHEN GeometryType(s.geom) = 'LINESTRING'"
    " THEN round(ST_Length(s.geom::geography)::numeric, 2)::float8 ELSE 0 END"
)


def derived_sql(model: type[models.Model]) -> dict[str, str]:
    """Column -> SQL expression for the fields that layers.models.lookups.derive_location fills."""
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
        out["area_m2"] = AREA_SQL
        if "area_mu" in names:
            out["area_mu"] = AREA_MU_SQL
    if "length_m" in names:
        out["length_m"] = LENGTH_SQL
    return out


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _column(field: models.Field, values: np.ndarray) -> list[Any]:
    """Per-row values as COPY wants them: EWKB hex for geometries, JSON text for JSON fields."""
    if isinstance(field, GeometryField):
        return list(shapely.to_wkb(shapely.set_srid(values, 4326), hex=True, include_srid=True))
    if isinstance(field, models.JSONField):
        return [json.dumps(v, ensure_ascii=False) for v in values]
    if values.dtype != object:
        return values.tolist()
    return [_plain(v) for v in values]


def _scalar(field: models.Field, value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(field, models.JSONField) else _plain(value)


def next_ids(model: type[models.Model], n: int) -> np.ndarray:
    """Ids for n new rows. We choose them ourselves so that rows can point at each other before insert."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {model._meta.db_table}")
        start = cur.fetchone()[0]
    return np.arange(start + 1, start + n + 1, dtype=np.int64)


def bulk_load(model: type[models.Model], ids: np.ndarray, values: Mapping[str, Any]) -> dict[str, float]:
    """Insert len(ids) rows. Numpy arrays in `values` are per-row columns, anything else is a constant
    for every row; fields left out take their model default (or NULL, or now() for auto_now).

    Returns the seconds spent preparing values, COPYing and inserting (with the derived fields).
    """
    started = time.monotonic()
    table, n = model._meta.db_table, len(ids)
    derived = derived_sql(model)
    now = timezone.now()
    per_row: dict[str, list[Any]] = {"id": ids.tolist()}
    constants: dict[str, tuple[models.Field, Any]] = {}
    for f in model._meta.concrete_fields:
        if f.primary_key or f.column in derived:
            continue
        key = f.name if f.name in values else f.attname
        if key in values:
            value = values[key]
            if isinstance(value, np.ndarray):
                if len(value) != n:
                    raise ValueError(f"{table}.{f.column}: {len(value)} values for {n} rows")
                per_row[f.column] = _column(f, value)
            else:
                constants[f.column] = (f, _scalar(f, value))
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            constants[f.column] = (f, now)
        elif f.has_default() or f.null or f.empty_strings_allowed:
            constants[f.column] = (f, _scalar(f, f.get_default()))  # as the ORM would: default, None or ""
        else:
            raise ValueError(f"{table}.{f.column} is required")
    stage = f"_stage_{table}"
    cols = list(per_row)
    targets = cols + list(constants) + list(derived)
    exprs = [f"s.{c}" for c in cols]
    exprs += [f"CAST(%s AS {f.db_type(connection)})" for f, _ in constants.values()]
    exprs += list(derived.values())
    point = ", ST_PointOnSurface(s.geom) AS _pt" if derived and "geom" in cols else ""
    times = {"prepare": time.monotonic() - started}
    with connection.cursor() as cur:
        cur.execute(f"CREATE TEMP TABLE {stage} AS SELECT {', '.join(cols)} FROM {table} WITH NO DATA")
        with cur.copy(f"COPY {stage} ({', '.join(cols)}) FROM STDIN") as copy:
            for row in zip(*per_row.values(), strict=True):
                copy.write_row(row)
        times["copy"] = time.monotonic() - started - times["prepare"]
        # OFFSET 0 keeps the subquery from being flattened, so _pt is computed once per row, not per use.
        cur.execute(
            f"INSERT INTO {table} ({', '.join(targets)}) SELECT {', '.join(exprs)}"
            f" FROM (SELECT s.*{point} FROM {stage} s OFFSET 0) s",
            [value for _, value in constants.values()],
        )
        cur.execute(f"DROP TABLE {stage}")
        cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
    times["insert"] = time.monotonic() - started - times["prepare"] - times["copy"]
    return times
