"""Login lockout: too many failed logins lock the username, and the client address, for a while.

Counted in the Django cache (Redis), per username and per client address (``core.client``: the
address our own proxy saw, so behind nginx one client's failures do not lock everyone). A username
is locked after ``LOGIN_FAILURE_LIMIT`` failures, an address after ``LOGIN_ADDRESS_FAILURE_LIMIT``,
both within ``LOGIN_LOCKOUT_MINUTES`` of the first failure, and for that many minutes. The address
limit is the higher one: an office behind one NAT address is not locked out by one colleague (or
one attacker) guessing one account, while spraying many accounts from one address still stops.

During a lockout the right password fails too, and the password is not even checked. Unknown
usernames are counted like real ones, so a lockout does not tell which accounts exist.

Times are our clock's (``django.utils.timezone.now``) and stored as values: Redis expiry only
clears old keys, so tests can move the clock instead of sleeping.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from core.client import client_address

# The backend leaves the end of a lockout on the request for the login views to report.
LOCKED_UNTIL_ATTR = "login_locked_until"


@dataclass(frozen=True)
class Counter:
    """Failures of one kind of subject (a username, an address)."""

    kind: str
    limit_setting: str

    @property
    def limit(self) -> int:
        return int(getattr(settings, self.limit_setting))

    def _keys(self, who: str) -> tuple[str, str, str]:
        # Hashed: a username is arbitrary text, and the keys need not reveal it.
        base = f"login:{self.kind}:{hashlib.sha256(who.encode()).hexdigest()[:32]}"
        return f"{base}:n", f"{base}:first", f"{base}:until"

    def locked_until(self, who: str, now: float) -> float | None:
        until = cache.get(self._keys(who)[2])
        return until if until is not None and until > now else None

    def fail(self, who: str, now: float) -> float | None:
        """Count one failure; the end of the lockout it starts, if it reaches the limit."""
        count_key, first_key, until_key = self._keys(who)
        window = _window()
        first = cache.get(first_key)
        if first is not None and now - first >= window:  # the last failures are too old to count
            cache.delete_many([count_key, first_key])
        ttl = window + 60
        cache.add(first_key, now, timeout=ttl)
        cache.add(count_key, 0, timeout=ttl)
        try:
            count = cache.incr(count_key)  # atomic: parallel guesses cannot all read "4 so far"
        except ValueError:  # expired between add() and incr()
            cache.set(count_key, 1, timeout=ttl)
            count = 1
        if count < self.limit:
            return None
        until = now + window
        cache.set(until_key, until, timeout=ttl)
        cache.delete_many([count_key, first_key])  # a fresh count once the lockout lifts
        return until

    def forget(self, who: str) -> None:
        count_key, first_key, _until = self._keys(who)
        cache.delete_many([count_key, first_key])


USERS = Counter("user", "LOGIN_FAILURE_LIMIT")
ADDRESSES = Counter("address", "LOGIN_ADDRESS_FAILURE_LIMIT")


def _window() -> int:
    return int(settings.LOGIN_LOCKOUT_MINUTES) * 60


def _user_key(username: str) -> str:
    return username.strip().casefold()


def _address(request: Any) -> str | None:
    if request is None:
        return None
    address = client_address(request)
    return None if address == "unknown" else address


def _as_datetime(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=timezone.get_current_timezone())


def locked_until(username: str, request: Any) -> datetime | None:
    """When the lockout on this username or the request's address lifts; None when neither is."""
    now = timezone.now().timestamp()
    ends = [USERS.locked_until(_user_key(username), now)]
    address = _address(request)
    if address is not None:
        ends.append(ADDRESSES.locked_until(address, now))
    latest = max((e for e in ends if e is not None), default=None)
    return _as_datetime(latest) if latest is not None else None


def record_failure(username: str, request: Any) -> datetime | None:
    """Count a failed login; when the lockout it starts (or one already running) lifts, else None."""
    now = timezone.now().timestamp()
    USERS.fail(_user_key(username), now)
    address = _address(request)
    if address is not None:
        ADDRESSES.fail(address, now)
    return locked_until(username, request)


def record_success(username: str) -> None:
    """A good login starts the username's count afresh. The address keeps its count: one valid
    account must not let a sprayer reset the brake on its address."""
    USERS.forget(_user_key(username))


def mark(request: Any, until: datetime) -> None:
    if request is not None:
        setattr(request, LOCKED_UNTIL_ATTR, until)


def locked_until_of(request: Any) -> datetime | None:
    """The lockout the backend found while authenticating this request, if any."""
    return getattr(request, LOCKED_UNTIL_ATTR, None)


def message(until: datetime) -> str:
    """The locked-out user's message, naming the local time the lockout lifts."""
    when = formats.date_format(timezone.localtime(until), "Y-m-d H:i:s")
    return _("登录失败次数过多，账户已暂时锁定，将于 %(time)s 解除；在此之前即使密码正确也无法登录。") % {
        "time": when
    }


def retry_after(until: datetime) -> int:
    """Whole seconds until the lockout lifts, for a Retry-After header."""
    return max(1, int((until - timezone.now()).total_seconds() + 0.999))
