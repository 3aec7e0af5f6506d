"""Live feed of new field points (信息打点) for the big-screen wall, as Server-Sent Events.

Publishing: a FieldPoint saved for the first time is published on a Redis channel once its
transaction commits (``web.signals``). Subscribing: ``GET /api/stream/field-points/`` holds a
``text/event-stream`` response open and forwards each new point the viewer may read, so a point
reaches an open wall in well under a second, with no polling. The stream loop, its limits and
its replay on reconnect are ``core.sse``'s; this module is the field points' ``Feed``.

Points written in bulk (ingest of GPS files) do not go through ``save()`` and are not events: an
import of last month's waypoints is history, not news for the wall.
"""

from __future__ import annotations

import time
from typing import Any

from django.utils import timezone

from core.sse import Feed, channel, events, publish_to, sse
from layers.models import Division, FieldPoint
from layers.registry import LAYERS
from policy.predicates import can_read, read_filter
from policy.privacy import mask_fields

__all__ = ["Feed", "channel", "events", "field_points", "payload", "publish", "sse"]

REPLAY_LIMIT = 100
SPEC = LAYERS["field_points"]


def _chain(code: str) -> list[str]:
    """County, town and village codes of a 12-digit village code."""
    return list(dict.fromkeys([code[:6] + "000000", code[:9] + "000", code])) if code else []


# The names just looked up, for a moment: the points of one commit (a phone's run of a hundred)
# are published one after another, mostly from the same villages.
_RECENT: dict[str, Any] = {"at": 0.0, "names": {}}
RECENT_SECONDS = 1.0


def _division_names(codes: list[str]) -> dict[str, list[str]]:
    """Place names (county, town, village) for each division code, in one query."""
    now = time.monotonic()
    if now - _RECENT["at"] > RECENT_SECONDS:
        _RECENT.update(at=now, names={})
    known: dict[str, str] = _RECENT["names"]
    wanted = {c for code in codes for c in _chain(code)} - known.keys()
    if wanted:
        found = dict(Division.objects.filter(code__in=wanted).values_list("code", "name"))
        known.update({code: found.get(code, "") for code in wanted})
    return {code: [known[c] for c in _chain(code) if known.get(c)] for code in codes}


def payload(point: FieldPoint, names: list[str] | None = None) -> dict[str, Any]:
    category = point.category
    reported = point.reported_at or timezone.now()
    return {
        "id": point.pk,
        "uuid": str(point.uuid),
        "category": category.key,
        "category_zh": category.name_zh,
        "category_en": category.name_en,
        "note": (point.note or "")[:140],
        "status": point.status,
        "reported_at": reported.isoformat(),
        "lon": round(point.geom.x, 6),
        "lat": round(point.geom.y, 6),
        "division_code": point.division_code,
        "places": names if names is not None else _division_names([point.division_code])[point.division_code],
        "grid_cell_id": point.grid_cell_id,
        "is_public": point.is_public,
    }


def publish(point: FieldPoint) -> None:
    """Send one new point to every open wall."""
    publish_to("field-points", payload(point))


class _Record:
    """Just enough of a FieldPoint for the permission predicates."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.pk = data.get("id")
        self.division_code = data.get("division_code") or ""
        self.grid_cell_id = data.get("grid_cell_id")
        self.is_public = bool(data.get("is_public"))
        self.park_id = None


def _replay(user: Any, after: int) -> list[dict[str, Any]]:
    """The points saved after ``after`` that this viewer may see, oldest first; after a long gap
    only the newest ``REPLAY_LIMIT`` (a wall shows the latest few anyway)."""
    qs = (
        FieldPoint.objects.filter(read_filter(user, SPEC), pk__gt=after)
        .select_related("category")
        .order_by("-pk")[:REPLAY_LIMIT]
    )
    points = list(reversed(qs))
    places = _division_names([p.division_code for p in points])
    return [_shown(user, payload(p, places[p.division_code])) for p in points]


def _shown(user: Any, data: dict[str, Any]) -> dict[str, Any]:
    """A point as this viewer may see it: one payload is published for every stream, so personal
    fields are masked per viewer on the way out."""
    mask_fields(user, SPEC.personal_fields, data)
    return data


def field_points(user: Any) -> Feed:
    """The wall's feed: new field points this viewer may read."""
    return Feed(
        channel=channel("field-points"),
        event="field_point",
        replay=lambda after: _replay(user, after),
        shown=lambda data: _shown(user, data) if can_read(user, SPEC, _Record(data)) else None,
    )
