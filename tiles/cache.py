"""Tile cache keyed by the layers' data versions and the viewer's permission scope.

Every layer has a version token in Redis; saving or deleting one of its records replaces the token
(``bump``), so every cached tile of that layer is orphaned at once and the next request renders
the edit. The scope part of the key is a digest of the permission filter itself, so two users
share a cached tile only when the platform would show them exactly the same rows.

Tile bodies and version tokens go to Redis as raw bytes through the cache backend's own client:
they are on the hottest path, and Django's cache API would pickle every value.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from core.outages import REDIS_DOWN
from layers.registry import LAYERS
from policy.predicates import scope_key

TILE_TTL = 24 * 3600
VERSION_PREFIX = "tiles:version:"

log = logging.getLogger(__name__)
# Redis being down must cost a tile its cache, never the tile: these errors are a miss.
CACHE_DOWN = (*REDIS_DOWN, OSError)
_outage_logged = False


def _cache_down(exc: BaseException) -> None:
    """Log a cache outage once (not once per tile: under load that floods the log), then again
    only after Redis has answered in between (``_cache_up``)."""
    global _outage_logged
    if not _outage_logged:
        _outage_logged = True
        log.warning("tile cache unavailable, rendering from PostGIS: %s", exc)


def _cache_up() -> None:
    global _outage_logged
    if _outage_logged:
        _outage_logged = False
        log.warning("tile cache available again")


@functools.cache
def _redis():
    # The backend builds a new client object on every get_client(); one per process is enough
    # (its connection pool is thread-safe).
    return cache._cache.get_client(write=True)


def _key(suffix: str) -> str:
    return f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:{suffix}"


def _tokens(keys: list[str], found: list[bytes | None]) -> list[str]:
    """The version tokens for ``keys`` as MGET returned them, creating the missing ones."""
    if None in found:
        # First use, or Redis was flushed: a fresh token can never match a stale tile.
        client = _redis()
        for key, token in zip(keys, found, strict=True):
            if token is None:
                client.set(key, uuid.uuid4().hex, nx=True)
        found = client.mget(keys)
    return [token.decode() for token in found if token is not None]


def versions(names: Iterable[str]) -> dict[str, str]:
    names = list(names)
    keys = [_key(VERSION_PREFIX + name) for name in names]
    return dict(zip(names, _tokens(keys, _redis().mget(keys)), strict=True))


def version_of(tokens: Iterable[str]) -> str:
    """A short public name for a set of layer version tokens: it goes into tile URLs (``?v=``), so
    an edit, which replaces a token, changes the URL and no CDN or browser copy can be stale."""
    return hashlib.sha256(",".join(tokens).encode()).hexdigest()[:12]


def data_version(names: Iterable[str]) -> str:
    """The data version of the layers ``names`` together (one Redis round trip)."""
    return version_of(versions(names).values())


def bump(*names: str) -> None:
    _redis().mset({_key(VERSION_PREFIX + name): uuid.uuid4().hex for name in (names or LAYERS)})


def bump_after_commit(layer: str) -> None:
    """Invalidate ``layer``'s tiles once the current transaction commits (at once outside one).
    Division boundaries carry every layer's low-zoom counts, so a division change invalidates
    everything."""
    transaction.on_commit(functools.partial(bump, *(() if layer == "divisions" else (layer,))), robust=True)


def scope_digest(user: Any, names: Iterable[str]) -> str:
    scope = "|".join(f"{name}={scope_key(user, name)}" for name in names)
    return hashlib.sha256(scope.encode()).hexdigest()[:24]


def _slot(names: list[str], z: int, x: int, y: int, user: Any, filters: Mapping[str, str]) -> str:
    """Where a tile lives: one slot per layers, address, permission scope and filters. The data
    versions are not part of it but of the ETag stored with the body, so a single MGET reads the
    versions and the body together."""
    parts = [
        ",".join(names),
        scope_digest(user, names),
        "&".join(f"{k}={v}" for k, v in sorted(filters.items())),
    ]
    return f"tiles:{z}/{x}/{y}:" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Lookup:
    slot: str
    etag: str  # changes with every edit of the layers and with the slot
    body: bytes | None  # the cached gzipped tile (b"" when empty), None when it must be rendered
    version: str = ""  # the layers' data version, as public tile URLs carry it (``?v=``)


def lookup(names: list[str], z: int, x: int, y: int, user: Any, filters: Mapping[str, str]) -> Lookup:
    """The tile's ETag and, when cached for the current data, its body: one Redis round trip."""
    slot = _slot(names, z, x, y, user, filters)
    keys = [_key(VERSION_PREFIX + name) for name in names]
    try:
        *found, stored = _redis().mget([*keys, _key(slot)])
        tokens = _tokens(keys, found)
    except CACHE_DOWN as exc:
        # No versions to compare with: a random token makes an ETag no client holds, so the
        # tile is rendered from PostGIS and never answered with a stale 304.
        _cache_down(exc)
        return Lookup(slot, uuid.uuid4().hex[:16], None)
    _cache_up()
    etag = hashlib.sha256(f"{slot}|{','.join(tokens)}".encode()).hexdigest()[:16]
    mark = etag.encode()
    body = stored[len(mark) :] if stored is not None and stored.startswith(mark) else None
    return Lookup(slot, etag, body, version_of(tokens))


def store(found: Lookup, body: bytes) -> None:
    """Best effort: a tile that cannot be cached is still served."""
    try:
        _redis().set(_key(found.slot), found.etag.encode() + body, ex=TILE_TTL)
    except CACHE_DOWN as exc:
        _cache_down(exc)


# A division's features in a low-zoom tile: how many, and their extent (west, south, east, north).
Members = tuple[int, float, float, float, float]


def cached_counts(
    name: str, user: Any, filters: Mapping[str, str], level: str, compute: Callable[[], dict[str, Members]]
) -> dict[str, Members]:
    """Per-division feature counts and extents for low-zoom tiles, shared by every tile at that level.

    Keyed like a tile (data version, permission scope, filters), so an edit or a different scope
    never sees another's counts.
    """
    found = lookup([name], 0, 0, 0, user, filters)
    key = f"tiles:members:{level}:{found.slot.rsplit(':', 1)[1]}:{found.etag}"
    try:
        return cache.get_or_set(key, compute, timeout=TILE_TTL)
    except CACHE_DOWN as exc:
        _cache_down(exc)
        return compute()
