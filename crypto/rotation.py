"""Rewrite every encrypted field under the current key: after a key rotation, and to encrypt the
plain text left from before NATIONAL_CRYPTO was turned on (the data half of turning it on).

Rows are read and written in SQL, not through models, on purpose: a rotation changes how a value
is stored, not the record, so it must not bump ``updated_at`` or ``version``, write history rows,
fire signals or invalidate caches. Each batch is one transaction that locks its rows
(``FOR UPDATE``), so a concurrent edit either waits for it or is seen by it, never overwritten with
a stale value. A value already under the current key is left alone, which makes a second run (or
one resumed after an interruption) rewrite nothing that is done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db import connection, models, transaction

from .envelope import configured_keys, current_key, is_sealed, key_id_of, reveal, seal
from .fields import EncryptedFieldMixin
from .keys import DataKey


@dataclass(frozen=True)
class Target:
    """A table with encrypted columns (history tables are models of their own, so they are here)."""

    model: type[models.Model]
    fields: tuple[models.Field, ...]

    @property
    def label(self) -> str:
        return self.model._meta.label

    def count(self) -> int:
        return self.model._base_manager.count()


def targets() -> list[Target]:
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        fields = tuple(f for f in model._meta.concrete_fields if isinstance(f, EncryptedFieldMixin))
        if fields:
            found.append(Target(model, fields))
    return sorted(found, key=lambda t: t.label)


@dataclass
class Progress:
    rows: int = 0
    rewritten: int = 0


def rotate(target: Target, batch_size: int, report: Callable[[Progress], None]) -> Progress:
    """Re-encrypt one table in batches of ``batch_size`` rows; ``report`` is called after each."""
    q = connection.ops.quote_name
    table = q(target.model._meta.db_table)
    pk = q(target.model._meta.pk.column)
    columns = [q(f.column) for f in target.fields]
    select = (
        f"SELECT {pk}, {', '.join(columns)} FROM {table} WHERE {pk} > %s ORDER BY {pk} LIMIT %s FOR UPDATE"
    )
    update = f"UPDATE {table} SET {', '.join(f'{c} = %s' for c in columns)} WHERE {pk} = %s"
    key, keys = current_key(), configured_keys()
    progress = Progress()
    last = -1  # primary keys here are positive integers, so -1 comes before every one
    while True:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(select, [last, batch_size])
            rows = cur.fetchall()
            changes = []
            for row in rows:
                values = [
                    _under(key, keys, value, f"{target.label} {row[0]} {f.name}")
                    for f, value in zip(target.fields, row[1:], strict=True)
                ]
                if values != list(row[1:]):
                    changes.append([*values, row[0]])
            if changes:
                cur.executemany(update, changes)
        if not rows:
            return progress
        last = rows[-1][0]
        progress.rows += len(rows)
        progress.rewritten += len(changes)
        report(progress)


def _under(key: DataKey, keys: tuple[DataKey, ...], value: str | None, where: str) -> str | None:
    """``value`` as stored under ``key``: unchanged if it already is (or is empty)."""
    if not value:
        return value
    if is_sealed(value):
        if key_id_of(value) == key.id:
            return value
        value = reveal(value, keys, where)
    return seal(value, key)
