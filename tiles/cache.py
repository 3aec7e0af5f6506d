"""Tile cache keyed by the layers' data versions and the viewer's permission scope.

Every layer has a version token in Redis; saving or deleting one of its records replaces the token
(``bump``), so every cached tile of that layer is orphaned at once and the next request renders
the edit. The scope part of the key is a digest of the permission filter itself, so two users
share a cached tile only when the platform would show them exactly the same rows.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.core.cache import cache

from accounts.permissions import read_filter
from layers.registry import LAYERS

TILE_TTL = 24 * 3600
VERSION_PREFIX = "tiles:version:"


def versions(names: Iterable[str]) -> dict[str, str]:
    keys = {name: VERSION_PREFIX + name for name in names}
    found = cache.get_many(keys.values())
    out = {}
    for name, key in keys.items():
        token = found.get(key)
        if token is None:
            # First use, or Redis was flushed: a fresh token can never match a stale tile.
            cache.add(key, uuid.uuid4().hex, timeout=None)
            token = cache.get(key)
        out[name] = token
    return out


def bump(*names: str) -> None:
    cache.set_many({VERSION_PREFIX + name: uuid.uuid4().hex for name in (names or LAYERS)}, timeout=None)


def scope_digest(user: Any, names: Iterable[str]) -> str:
    scope = "|".join(f"{name}={read_filter(user, LAYERS[name])}" for name in names)
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
