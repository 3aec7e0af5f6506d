"""COPY rows into a model's table and fill the derived fields in SQL, as ``LayerFeature.save()`` would.

save() derives one record per query and writes a history row: a few ms a parcel, over ten minutes
for 200,000. Here rows are COPYed into a temporary
staging table and moved into the real table with one INSERT ... SELECT whose derived columns are
the very expressions save() runs (``layers.derivation.derived_columns``). Inserting the final values
once, instead of inserting and then UPDATEing, writes each row and its index entries (GiST included)
only once.
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

from crypto.fields import EncryptedFieldMixin
from layers.derivation import derived_columns, with_point
from layers.english import english_name


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _column(field: models.Field, values: np.ndarray) -> list[Any]:
    """Per-row values as COPY wants them: EWKB hex for geometries, JSON text for JSON fields."""
    if isinstance(field, GeometryField):
        return list(shapely.to_wkb(shapely.set_srid(values, 4326), hex=True, include_srid=True))
    if isinstance(field, models.JSONField):
        return [json.dumps(v, ensure_ascii=False) for v in values]
    if isinstance(field, EncryptedFieldMixin):
        # Personal fields: encrypted under national cryptography, as a save would store them.
        return [field.get_db_prep_save(_plain(v), connection) for v in values]
    if values.dtype != object:
        return values.tolist()
    return [_plain(v) for v in values]


def _scalar(field: models.Field, value: Any) -> Any:
    if isinstance(field, EncryptedFieldMixin):
        return field.get_db_prep_save(_plain(value), connection)
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
    source = getattr(model, "english_from", None)
    if source and "name_en" not in values and isinstance(values.get(source), np.ndarray):
        # As save() would: the English name from the Chinese one (layers.english).
        values = {**values, "name_en": np.array([english_name(v) for v in values[source]], dtype=object)}
    derived = derived_columns(model)
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
    times = {"prepare": time.monotonic() - started}
    with connection.cursor() as cur:
        cur.execute(f"CREATE TEMP TABLE {stage} AS SELECT {', '.join(cols)} FROM {table} WITH NO DATA")
        with cur.copy(f"COPY {stage} ({', '.join(cols)}) FROM STDIN") as copy:
            for row in zip(*per_row.values(), strict=True):
                copy.write_row(row)
        times["copy"] = time.monotonic() - started - times["prepare"]
        source = with_point(stage) if derived and "geom" in cols else f"{stage} s"
        cur.execute(
            f"INSERT INTO {table} ({', '.join(targets)}) SELECT {', '.join(exprs)} FROM {source}",
            [value for _, value in constants.values()],
        )
        cur.execute(f"DROP TABLE {stage}")
        cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
    times["insert"] = time.monotonic() - started - times["prepare"] - times["copy"]
    return times
