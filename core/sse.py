"""Server-Sent Events for any feed: one loop (``events``) under one set of limits.

A ``Feed`` says what one kind of stream sends: its Redis channel, its event name, a replay from
the database for a client that reconnects with ``Last-Event-ID``, and a per-viewer filter of
what is published. Publishing (``publish_to``) happens after a save commits; a Redis outage never
fails the save. The wall's field points (``web.stream``) and each user's inbox (``inbox.feed``)
are feeds.

Limits, because the app server is gunicorn gthread and an open stream holds one of its threads
(settings ``WEB_STREAM_SLOTS``, ``WEB_STREAM_LIFETIME``, ``WEB_STREAM_KEEPALIVE``):

- a process serves at most ``WEB_STREAM_SLOTS`` streams at once (default 8 of the 16 threads); a
  client beyond that gets ``event: busy`` with ``retry: 15000`` and tries again;
- a stream lives ``WEB_STREAM_LIFETIME`` seconds (default 600), then says ``event: bye``;
  EventSource reconnects by itself and sends ``Last-Event-ID``, and the items created in between
  are replayed from the database, so nothing is lost;
- a comment line every ``WEB_STREAM_KEEPALIVE`` seconds keeps proxies from closing an idle stream
  and lets the server notice a client that went away.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.utils import timezone

log = logging.getLogger(__name__)

RETRY_MS = 2000
# Per process: the limit protects this process's thread pool.
_slots = threading.BoundedSemaphore(settings.WEB_STREAM_SLOTS)


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
    publish_many([(name, data)])


def publish_many(items: Iterable[tuple[str, dict[str, Any]]]) -> None:
    """``publish_to`` for many items, in one round trip to Redis (a pipeline)."""
    try:
        pipe = _redis().pipeline(transaction=False)
        for name, data in items:
            pipe.publish(channel(name), json.dumps(data, ensure_ascii=False, default=str))
        pipe.execute()
    except Exception:  # noqa: BLE001 - a live feed is best effort; the data is saved
        log.warning("could not publish to the live feeds", exc_info=True)


@functools.cache
def _redis() -> Any:
    # One client per process, as in tiles.cache: its connection pool is thread-safe, and each
    # stream's pub/sub takes a connection of its own from it.
    return cast(Any, cache)._cache.get_client(write=True)


def sse(event: str, data: Any, event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


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
