"""疑似重复 (seed 001 L91–L113): two reports of the same thing. An event is suspected to repeat
another of its category reported within the category's distance (``duplicate_radius_m``) and time
(``duplicate_hours``) of it, while that one is still open; staff then merge it into the one kept
(the ``merge`` step of ``grid.workflow``).

The distance is measured on the sphere (``ST_DistanceSphere``), after a box in degrees wide enough
for the radius at any latitude of China lets the spatial index do the cutting.
"""

from __future__ import annotations

import math
from datetime import timedelta

from django.contrib.gis.measure import D
from django.db.models import QuerySet

from layers.models import EventStatus

from .models import GridEvent

S = EventStatus
# Merging is for events not yet under way elsewhere: once dispatched, a repeat is handled as one.
STILL_OPEN = (S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.HANDLING, S.REPLIED)
METRES_PER_DEGREE = 111_320.0


def _degrees(metres: float, latitude: float) -> float:
    """Enough degrees to hold ``metres`` east-west at this latitude (and north-south)."""
    return metres / (METRES_PER_DEGREE * max(math.cos(math.radians(latitude)), 0.2))


def suspected_duplicates(event: GridEvent, among: QuerySet[GridEvent]) -> QuerySet[GridEvent]:
    """The open events of ``among`` (what the caller reads) that ``event`` may repeat, earliest first
    (the first report is the one usually kept)."""
    category = event.category
    window = timedelta(hours=category.duplicate_hours)
    radius = category.duplicate_radius_m
    return (
        among.filter(
            category_id=event.category_id,
            state__in=STILL_OPEN,
            created_at__gte=event.created_at - window,
            created_at__lte=event.created_at + window,
            geom__dwithin=(event.geom, _degrees(radius, event.geom.y)),
            geom__distance_lte=(event.geom, D(m=radius)),
        )
        .exclude(pk=event.pk)
        .order_by("created_at", "id")
    )
