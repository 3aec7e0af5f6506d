"""The client's address, as our own proxy saw it.

When the request comes from a loopback or private address (nginx in front of gunicorn, or the nginx
container in docker compose), the right-most ``X-Forwarded-For`` entry is the one that proxy
appended, so a client cannot spoof it by sending its own header. Requests straight from a public
address use ``REMOTE_ADDR``. Rate limits, the login lockout and the audit log all count by this
address: behind the proxy, ``REMOTE_ADDR`` alone is the proxy's, the same for every client.
"""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's address in canonical form, so one client has one bucket however its address is
    spelled (2001:db8::0a58 and 2001:db8::a58 are the same); ``"unknown"`` when there is none."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        address = None
    proxied = address is not None and (address.is_private or address.is_loopback)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxied and forwarded:
        candidate = forwarded.split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            pass
    return str(address) if address is not None else remote or "unknown"
