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
from typing import Any

from django.conf import settings
from django.core.cache import cache

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


def versions(names: Iterable[str]) -> dict[str, str]:
    names = list(names)
    keys = [_key(VERSION_PREFIX + name) for name in names]
    client = _redis()
    found = client.mget(keys)
    if None in found:
        # First use, or Redis was flushed: a fresh token can never match a stale tile.
        for key, token in zip(keys, found, strict=True):
            if token is None:
                client.set(key, uuid.uuid4().hex, nx=True)
        found = client.mget(keys)
    return {name: token.decode() for name, token in zip(names, found, strict=True)}


def bump(*names: str) -> None:
    _redis().mset({_key(VERSION_PREFIX + name): uuid.uuid4().hex for name in (names or LAYERS)})


def get_tile(key: str) -> bytes | None:
    return _redis().get(_key(key))


def set_tile(key: str, body: bytes) -> None:
    _redis().set(_key(key), body, ex=TILE_TTL)


def scope_digest(user: Any, names: Iterable[str]) -> str:
    scope = "|".join(f"{name}={scope_key(user, name)}" for name in names)
    return hashlib.sha256(scope.encode()).hexdigest()[:24]


def tile_key(names: list[str], z: int, x: int, y: int, user: Any, filters: Mapping[str, str]) -> str:
    version = versions(names)
    parts = [
        ",".join(names),
        ",".join(version[n] for n in names),
        scope_digest(user, names),
        "&".join(f"{k}={v}" for k, v in sorted(filters.items())),
    ]
    raw = "|".join(parts)
    return f"tiles:{z}/{x}/{y}:" + hashlib.sha256(raw.encode()).hexdigest()[:32]


def cached_counts(
    name: str, user: Any, filters: Mapping[str, str], level: str, compute: Callable[[], dict[str, int]]
) -> dict[str, int]:
    """Per-division feature counts for low-zoom tiles, shared by every tile at that level.

    Keyed like a tile (data version, permission scope, filters), so an edit or a different scope
    never sees another's counts.
    """
    key = tile_key([name], 0, 0, 0, user, filters).replace("tiles:0/0/0:", f"tiles:counts:{level}:")
    return cache.get_or_set(key, compute, timeout=TILE_TTL)
