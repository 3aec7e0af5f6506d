"""A small per-client rate limit on the Django cache (Redis), for anonymous forms.

The client is the address our own proxy saw (``core.client.client_address``), so a client cannot
choose its bucket by sending its own ``X-Forwarded-For``.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class RateLimit:
    """At most ``limit`` hits per ``window`` seconds per client.

    A client's window opens with its first hit and closes ``window`` seconds later. ``take`` counts
    a hit with Redis INCR, which is atomic, so a burst of parallel requests cannot all read "4 so
    far" and all pass; a request that turns out invalid hands its hit back with ``give_back``.
    """

    name: str
    limit: int
    window: int

    def _keys(self, who: str) -> tuple[str, str]:
        base = f"ratelimit:{self.name}:{who}"
        return f"{base}:n", f"{base}:opened"

    def take(self, who: str) -> int:
        """Count one hit for ``who``: 0 when it is allowed, else the seconds until the window closes."""
        count_key, opened_key = self._keys(who)
        now = time.time()
        for _attempt in range(2):
            # add() only writes a missing key, so the first hit of a window sets both keys.
            cache.add(opened_key, now, timeout=self.window)
            cache.add(count_key, 0, timeout=self.window)
            try:
                count = cache.incr(count_key)
                break
            except ValueError:  # the window expired between add() and incr(): open a new one
                continue
        else:
            return 0
        if count <= self.limit:
            return 0
        opened = cache.get(opened_key, now)
        return min(self.window, max(1, math.ceil(opened + self.window - now)))

    def give_back(self, who: str) -> None:
        """Undo ``take`` for a request that was refused for another reason (bad input)."""
        count_key, _opened = self._keys(who)
        with contextlib.suppress(ValueError):  # the window has closed meanwhile: nothing to give back
            cache.decr(count_key)
