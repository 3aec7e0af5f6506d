"""Live feed of new field points (信息打点) for the big-screen wall, as Server-Sent Events.

Publishing: a FieldPoint saved for the first time is published on a Redis channel once its
transaction commits (``web.signals``). Subscribing: ``GET /api/stream/field-points/`` holds a
``text/event-stream`` response open and forwards each new point the viewer may read, so a point
reaches an open wall in well under a second, with no polling.

Limits, because the app server is gunicorn gthread and an open stream holds one of its threads
(settings ``WEB_STREAM_SLOTS``, ``WEB_STREAM_LIFETIME``, ``WEB_STREAM_KEEPALIVE``):

- a process serves at most ``WEB_STREAM_SLOTS`` streams at once (default 8 of the 16 threads); a
  client beyond that gets ``event: busy`` with ``retry: 15000`` and tries again;
- a stream lives ``WEB_STREAM_LIFETIME`` seconds (default 600), then says ``event: bye``;
  EventSource reconnects by itself and sends ``Last-Event-ID``, and the points created in between
  are replayed from the database, so nothing is lost;
- a comment line every ``WEB_STREAM_KEEPALIVE`` seconds keeps proxies from closing an idle stream
  and lets the server notice a client that went away.

Points written in bulk (ingest of GPS files) do not go through ``save()`` and are not events: an
import of last month's waypoints is history, not news for the wall.

The loop itself (``events``) knows no field points: it serves any ``Feed`` — a channel, the
event name, a replay from the database and a per-viewer filter — so the message centre's inbox
(``inbox.feed``) streams the same way under the same limits.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.utils import timezone

from layers.models import Division, FieldPoint
from layers.registry import LAYERS
from policy.predicates import can_read, read_filter
from policy.privacy import mask_fields

log = logging.getLogger(__name__)

RETRY_MS = 2000
REPLAY_LIMIT = 100
# Per process: the limit protects this process's thread pool.
_slots = threading.BoundedSemaphore(settings.WEB_STREAM_SLOTS)
SPEC = LAYERS["field_points"]


def channel(name: str = "field-points") -> str:
    """One channel per cache prefix, so test runs and `make run` never hear each other."""
    return f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:stream:{name}"


@dataclass(frozen=True)
class Feed:
    """What one kind of stream sends: ``replay(after)`` gives the items saved after an id, oldest
    first; ``shown(data)`` is the published item as this viewer may see it, or None if not theirs."""

    channel: str
    event: str
    replay: Callable[[int], list[dict[str, Any]]]
    shown: Callable[[dict[str, Any]], dict[str, Any] | None]


def publish_to(name: str, data: dict[str, Any]) -> None:
    """Send one item to every open stream of channel ``name``; a Redis outage never fails a save."""
    try:
        _redis().publish(channel(name), json.dumps(data, ensure_ascii=False, default=str))
    except Exception:  # noqa: BLE001 - a live feed is best effort; the data is saved
        log.warning("could not publish to the live feed %s", name, exc_info=True)


@functools.cache
def _redis():
    # One client per process, as in tiles.cache: its connection pool is thread-safe, and each
    # stream's pub/sub takes a connection of its own from it.
    return cache._cache.get_client(write=True)


def _chain(code: str) -> list[str]:
    """County, town and village codes of a 12-digit village code."""
    return list(dict.fromkeys([code[:6] + "000000", code[:9] + "000", code])) if code else []


def _division_names(codes: list[str]) -> dict[str, list[str]]:
    """Place names (county, town, village) for each division code, in one query."""
    wanted = {c for code in codes for c in _chain(code)}
    names = dict(Division.objects.filter(code__in=wanted).values_list("code", "name")) if wanted else {}
    return {code: [names[c] for c in _chain(code) if c in names] for code in codes}


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


def sse(event: str, data: Any, event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


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


def _release_database() -> None:
    """Close this thread's idle connections: a ten-minute stream must not hold a PostgreSQL slot."""
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close()


def events(feed: Feed, last_event_id: int | None, lifetime: float | None = None) -> Iterator[str]:
    """The body of one stream. Runs inside the response, in the app server's thread."""
    lifetime = settings.WEB_STREAM_LIFETIME if lifetime is None else lifetime
    keepalive = settings.WEB_STREAM_KEEPALIVE
    if not _slots.acquire(blocking=False):
        yield f"retry: 15000\n{sse('busy', {'message': 'too many open streams; retrying'})}"
        return
    pubsub = None
    try:
        pubsub = _redis().pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(feed.channel)  # before the replay, so nothing falls between the two
        started = time.monotonic()
        yield f"retry: {RETRY_MS}\n{sse('hello', {'lifetime_s': lifetime, 'server_time': timezone.now()})}"
        # Ids already sent by the replay, which the channel may bring a second time. Not "every id
        # above the newest sent": ids are taken at insert and published at commit, so a point can
        # arrive after one with a higher id and must not be dropped.
        replayed: set[int] = set()
        if last_event_id is not None:
            for data in feed.replay(last_event_id):
                replayed.add(data["id"])
                yield sse(feed.event, data, data["id"])
        _release_database()  # the stream needs no database connection while it waits
        last_sent = time.monotonic()
        while time.monotonic() - started < lifetime:
            message = pubsub.get_message(timeout=1.0)
            now = time.monotonic()
            if message and message.get("type") == "message":
                data = json.loads(message["data"])
                shown = feed.shown(data) if data.get("id") not in replayed else None
                if shown is not None:
                    last_sent = now
                    yield sse(feed.event, shown, data["id"])
            elif now - last_sent >= keepalive:
                last_sent = now
                yield ": keep-alive\n\n"
        yield sse("bye", {"reconnect": True})
    finally:
        if pubsub is not None:
            try:
                pubsub.close()
            except Exception:  # noqa: BLE001 - the connection may already be gone with the client
                log.debug("closing the pubsub connection failed", exc_info=True)
        _slots.release()
