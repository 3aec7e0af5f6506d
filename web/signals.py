"""Publish new field points to the wall's live feed once their transaction commits."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.db.models.signals import post_save

from layers.models import FieldPoint

from .stream import publish


def _field_point_saved(sender, instance: FieldPoint, created: bool, raw: bool = False, **kwargs) -> None:
    # Only new points go on the feed (edits and status changes are not events); fixtures are skipped.
    if created and not raw and instance.deleted_at is None:
        transaction.on_commit(partial(publish, instance))


def connect() -> None:
    post_save.connect(_field_point_saved, sender=FieldPoint, weak=False, dispatch_uid="web-live-field-points")
