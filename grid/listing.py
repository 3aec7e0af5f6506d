"""The event list's filters, in one place: the list, the desk's map and the statistics read them.

=============  ==============================================================================
``state``      one state or several, comma-separated (``reported,accepted``)
``category``   the category's key
``urgent``     ``true`` / ``false``
``card``       ``due_soon`` / ``overdue``, or ``any`` for every event running late or about to
``escalated``  ``true``: escalated at least once; ``false``: never
``division``   a division code: events of that division and below
``department`` a department's id: dispatched to it
``handler``    ``me`` or a person's id: dispatched to them (``me`` includes their departments)
``source``     where it came from (``grid.models.EventSource``)
``q``          part of the code or the title
``since``      reported on or after this date; ``until``: on or before
``bbox``       min_lon,min_lat,max_lon,max_lat
``order``      ``-created`` (default, newest first), ``due`` (soonest due first), ``escalation``
=============  ==============================================================================

Each filter narrows what the caller may already read (``policy.predicates.visible_events``); a
value the list cannot use is a 400 naming the parameter.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from core.params import choice, day
from layers.api.filters import division_by_code, parse_bbox
from layers.models import EventStatus
from policy.predicates import dispatched_to

from .models import DeadlineCard, EventSource, GridEvent

PARAMETERS = (
    "state",
    "category",
    "urgent",
    "card",
    "escalated",
    "division",
    "department",
    "handler",
    "source",
    "q",
    "since",
    "until",
    "bbox",
    "order",
)
ORDERS = {
    "-created": (F("created_at").desc(), F("id").desc()),
    "due": (F("due_on").asc(nulls_last=True), F("id").asc()),
    "escalation": (F("escalation").desc(), F("due_on").asc(nulls_last=True), F("id").asc()),
}


def _flag(param: str, raw: str) -> bool:
    return choice(param, raw, ["true", "false"])[0] == "true"


def _id(param: str, raw: str) -> int:
    if not raw.isdigit():
        raise ValidationError({param: [_("Give the id (a number).")]})
    return int(raw)


def _midnight(d: date) -> datetime:
    """The start of a local day: ranges on the timestamp itself, which its index serves."""
    return timezone.make_aware(datetime.combine(d, time.min))


def filter_events(events: QuerySet[GridEvent], params: Mapping[str, Any], user: Any) -> QuerySet[GridEvent]:
    """``events`` (already scoped to what the caller may read) narrowed by the list's filters."""
    get = {key: str(params.get(key, "")).strip() for key in PARAMETERS}
    if get["state"]:
        events = events.filter(state__in=choice("state", get["state"], EventStatus.values))
    if get["category"]:
        events = events.filter(category__key=get["category"])
    if get["urgent"]:
        events = events.filter(urgent=_flag("urgent", get["urgent"]))
    if get["card"]:
        late = [c for c in DeadlineCard.values if c]
        cards = choice("card", get["card"], [*late, "any"])
        events = events.filter(card__in=late if "any" in cards else cards)
    if get["escalated"]:
        events = (
            events.filter(escalation__gt=0)
            if _flag("escalated", get["escalated"])
            else events.filter(escalation=0)
        )
    if get["division"]:
        events = events.filter(division_code__startswith=division_by_code(get["division"]).prefix)
    if get["department"]:
        events = events.filter(department_id=_id("department", get["department"]))
    if get["handler"]:
        if get["handler"] == "me":
            events = events.filter(dispatched_to(user))
        else:
            events = events.filter(handler_id=_id("handler", get["handler"]))
    if get["source"]:
        events = events.filter(source__in=choice("source", get["source"], EventSource.values))
    if get["q"]:
        events = events.filter(Q(code__icontains=get["q"]) | Q(title__icontains=get["q"]))
    if get["since"]:
        events = events.filter(created_at__gte=_midnight(day("since", get["since"])))
    if get["until"]:
        events = events.filter(created_at__lt=_midnight(day("until", get["until"]) + timedelta(days=1)))
    if get["bbox"]:
        events = events.filter(geom__intersects=parse_bbox(get["bbox"]))
    order = choice("order", get["order"] or "-created", list(ORDERS))[0]
    return events.order_by(*ORDERS[order])
