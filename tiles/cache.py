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
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from layers.registry import LAYERS
from policy.predicates import scope_key

TILE_TTL = 24 * 3600
VERSION_PREFIX = "tiles:version:"


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


def lookup(names: list[str], z: int, x: int, y: int, user: Any, filters: Mapping[str, str]) -> Lookup:
    """The tile's ETag and, when cached for the current data, its body: one Redis round trip."""
    slot = _slot(names, z, x, y, user, filters)
    keys = [_key(VERSION_PREFIX + name) for name in names]
    *found, stored = _redis().mget([*keys, _key(slot)])
    tokens = _tokens(keys, found)
    etag = hashlib.sha256(f"{slot}|{','.join(tokens)}".encode()).hexdigest()[:16]
    mark = etag.encode()
    body = stored[len(mark) :] if stored is not None and stored.startswith(mark) else None
    return Lookup(slot, etag, body)


def store(found: Lookup, body: bytes) -> None:
    _redis().set(_key(found.slot), found.etag.encode() + body, ex=TILE_TTL)


def cached_counts(
    name: str, user: Any, filters: Mapping[str, str], level: str, compute: Callable[[], dict[str, int]]
) -> dict[str, int]:
    """Per-division feature counts for low-zoom tiles, shared by every tile at that level.

    Keyed like a tile (data version, permission scope, filters), so an edit or a different scope
    never sees another's counts.
    """
    found = lookup([name], 0, 0, 0, user, filters)
    key = f"tiles:counts:{level}:{found.slot.rsplit(':', 1)[1]}:{found.etag}"
    return cache.get_or_set(key, compute, timeout=TILE_TTL)
