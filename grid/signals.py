"""A field point of a category configured to open events (``EventCategory.opens_from``) becomes an
event as soon as it is saved for the first time, in the same transaction."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from layers.models import FieldPoint

from .models import EventCategory
from .opening import from_field_point


@receiver(post_save, sender=FieldPoint, dispatch_uid="grid-open-from-field-point")
def open_from_field_point(sender: type, instance: FieldPoint, created: bool, **kwargs: Any) -> None:
    if not created or instance.reporter_id is None:
        return
    category = EventCategory.objects.filter(opens_from_id=instance.category_id, active=True).first()
    if category is not None:
        from_field_point(instance, category)
