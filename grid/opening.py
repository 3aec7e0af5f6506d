"""The one way an event is opened (ARCHITECTURE: grid opens events through its own service
function), whatever it comes from: a grid worker's field point, staff, later a patrol's problem or
an overlay finding. The client's ``uuid`` makes it idempotent: the same report sent twice (a phone
coming back online) is the event already opened."""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

from django.contrib.gis.geos import Point
from django.db import IntegrityError, transaction

from layers.models import FieldPoint

from .models import EventAction, EventCategory, EventSource, GridEvent


def open_event(
    *,
    reporter: Any,
    category: EventCategory,
    title: str,
    geom: Point,
    description: str = "",
    photos: list[str] | None = None,
    urgent: bool = False,
    source: str = EventSource.STAFF,
    field_point: FieldPoint | None = None,
    client_uuid: uuidlib.UUID | None = None,
) -> tuple[GridEvent, bool]:
    """The event (new, or the one this ``client_uuid`` or field point already opened) and whether
    it is new."""
    existing = None
    if client_uuid is not None:
        existing = GridEvent.objects.filter(uuid=client_uuid).first()
    if existing is None and field_point is not None:
        existing = GridEvent.objects.filter(field_point=field_point).first()
    if existing is not None:
        return existing, False
    event = GridEvent(
        uuid=client_uuid or uuidlib.uuid4(),
        category=category,
        title=title[:200],
        description=description,
        photos=photos or [],
        geom=geom,
        urgent=urgent,
        source=source,
        field_point=field_point,
        reporter=reporter,
    )
    event.locate()
    try:
        with transaction.atomic():
            event.save()
            EventAction.objects.create(
                event=event, user=reporter, step="report", from_state=event.state, to_state=event.state
            )
    except IntegrityError:
        # The same report arrived twice at the same moment: the constraint kept the first.
        again = (
            GridEvent.objects.filter(uuid=event.uuid).first()
            or GridEvent.objects.filter(field_point=field_point).first()
        )
        if again is None:
            raise
        return again, False
    return event, True


def from_field_point(point: FieldPoint, category: EventCategory | None = None) -> tuple[GridEvent, bool]:
    """上报为事件: the point's place, note and photos become the event's, and its status follows."""
    chosen = category or getattr(point.category, "event_category", None)
    if chosen is None:
        raise LookupError("no event category for this field point")
    return open_event(
        reporter=point.reporter,
        category=chosen,
        title=(point.note or point.category.name_zh)[:60],
        description=point.note,
        photos=list(point.photos or []),
        geom=point.geom,
        source=EventSource.FIELD_POINT,
        field_point=point,
    )
