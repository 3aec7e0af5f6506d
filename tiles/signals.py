"""Invalidate a layer's tiles when one of its records changes (after the transaction commits)."""

from __future__ import annotations

from functools import partial

from django.db.models.signals import post_delete, post_save

from layers.registry import LAYERS

from .cache import bump_after_commit


def _changed(layer: str, **kwargs) -> None:
    bump_after_commit(layer)


def connect() -> None:
    for name, spec in LAYERS.items():
        handler = partial(_changed, name)
        post_save.connect(handler, sender=spec.model, weak=False, dispatch_uid=f"tiles-save-{name}")
        post_delete.connect(handler, sender=spec.model, weak=False, dispatch_uid=f"tiles-delete-{name}")
