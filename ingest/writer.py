"""Writing many records at once, with the derived fields and the permission check of a single save.

The division, park, grid cell, area and length come from ``layers.derivation.derive_many``,
re-exported here: the one set-based derivation that ``LayerFeature.save()`` and the demo loader
also use, one query per few thousand records. Every record then goes through
``policy.predicates.can_create`` like an API create, and everything is inserted with
``bulk_create`` inside the caller's transaction (see layers/history.py: bulk-loaded records get
their history baseline before their first edit). Vector tiles are invalidated after the commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext as _

from layers.derivation import derive_many
from layers.models import LayerFeature
from layers.registry import LayerSpec
from policy.predicates import can_create, geometries_in_scope

from .report import Report

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

__all__ = ["check_permissions", "derive_many", "insert"]


def check_permissions(
    user: Any,
    spec: LayerSpec,
    records: Sequence[LayerFeature],
    rows: Sequence[int],
    unit: str,
    report: Report,
) -> None:
    """Every record must pass ``can_create`` for this user, and lie wholly in their scope, as an API
    create would (the whole-geometry test for all the records in one query)."""
    inside = geometries_in_scope(user, spec, records)
    for record, row, whole in zip(records, rows, inside, strict=True):
        if not (whole and can_create(user, spec, record)):
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
    from tiles.cache import bump_after_commit

    bump_after_commit(spec.name)
    return [r.pk for r in created]
