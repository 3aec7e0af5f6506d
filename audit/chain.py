"""The hash chain: what an entry's MAC covers, and with which key and algorithm.

``mac(n) = HMAC(key, canonical(entry n) ‖ mac(n-1))``, written ``algorithm:hex``. The algorithm is
SM3 when national cryptography is on (``AUDIT_MAC_ALGORITHM=sm3``, the default under
``NATIONAL_CRYPTO``), otherwise SHA-256; each MAC names its own, so a chain that spans a switch
still verifies.

The key is ``AUDIT_KEY`` (or the file ``AUDIT_KEY_FILE`` names), kept outside the database: whoever
can write the table cannot forge a MAC. Without one, a key is derived from ``SECRET_KEY``; set
``AUDIT_KEY`` in production, since rotating ``SECRET_KEY`` would otherwise make older entries
unverifiable.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from django.conf import settings

ALGORITHMS = ("sha256", "sm3")

# The fields a MAC covers, in this order. Adding one is a new chain format: never reorder.
COVERED = (
    "seq",
    "at",
    "user_id",
    "username",
    "role",
    "client_address",
    "user_agent",
    "channel",
    "action",
    "object_type",
    "object_id",
    "division",
    "outcome",
    "request_id",
    "detail",
)


@functools.cache
def key() -> bytes:
    configured: str = settings.AUDIT_KEY
    if configured:
        return configured.encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"geoportal audit chain", hashlib.sha256).digest()


def _stamp(at: datetime) -> str:
    # One spelling of a time for the MAC, whatever time zone the value arrived in.
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(values: dict[str, Any]) -> bytes:
    """The covered fields as bytes: a fixed order, one spelling for times, sorted JSON keys."""
    row = [values[name] for name in COVERED]
    row[1] = _stamp(row[1])
    row[5] = str(row[5]) if row[5] else None
    return json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def compute(values: dict[str, Any], prev_mac: str, algorithm: str | None = None) -> str:
    algorithm = algorithm or settings.AUDIT_MAC_ALGORITHM
    message = canonical(values) + b"|" + prev_mac.encode()
    if algorithm == "sm3":
        signer = crypto_hmac.HMAC(key(), hashes.SM3())
        signer.update(message)
        return "sm3:" + signer.finalize().hex()
    if algorithm == "sha256":
        return "sha256:" + hmac.new(key(), message, hashlib.sha256).hexdigest()
    raise ValueError(f"unknown audit MAC algorithm {algorithm!r}")


def matches(values: dict[str, Any], prev_mac: str, stored: str) -> bool:
    algorithm, _sep, _hex = stored.partition(":")
    if algorithm not in ALGORITHMS:
        return False
    return hmac.compare_digest(compute(values, prev_mac, algorithm), stored)
