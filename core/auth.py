"""One way in for the plain Django views (vector and raster tiles, media, the live stream).

The REST API authenticates through DRF. These views are plain Django for speed, and they accept
the same credentials through ``with_viewer``:

- the session cookie (a logged-in page);
- ``Authorization: Token <key>`` (scripts, QGIS, the phone);
- ``?ticket=``, a signed ticket bound to a display token: EventSource and ``<img>`` cannot send
  headers, and the token itself must not appear in URLs that proxies log. Deleting or replacing
  the token invalidates its tickets.

A bad credential is a 401 in the platform's error shape; no credential is an anonymous viewer.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any, cast

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from .errors import json_error

TICKET_SALT = "web.wall.stream"  # the salt tickets were first signed with; changing it logs walls out


class BadCredentials(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def token_user(key: str) -> Any | None:
    """The active user a token key belongs to, or None."""
    token = Token.objects.select_related("user").filter(key=key).first()
    return token.user if token and token.user.is_active else None


def issue_ticket(user: Any, token_key: str) -> str:
    return signing.dumps({"u": user.pk, "t": _digest(token_key)}, salt=TICKET_SALT)


def ticket_user(ticket: str) -> Any | None:
    try:
        data = signing.loads(ticket, salt=TICKET_SALT)
    except signing.BadSignature:
        return None
    # A user has at most one token (DRF's Token is one-to-one with the user).
    token = Token.objects.select_related("user").filter(user_id=data.get("u")).first()
    if token is None or _digest(token.key) != data.get("t") or not token.user.is_active:
        return None
    return token.user


def viewer(request: HttpRequest) -> Any:
    """The user behind a request: ticket, then token header, then session (maybe anonymous)."""
    ticket = request.GET.get("ticket")
    if ticket:
        user = ticket_user(ticket)
        if user is None:
            raise BadCredentials(_("This wall ticket is no longer valid; reload the wall page."))
        return user
    try:
        # DRF's token check reads only the headers, which a plain request has too.
        result = TokenAuthentication().authenticate(cast(Request, request))
    except AuthenticationFailed as exc:
        raise BadCredentials(str(exc.detail)) from exc
    return result[0] if result else request.user


def with_viewer(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Resolve the viewer once and pass it to the view as ``viewer=``; a bad credential is a 401."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            user = viewer(request)
        except BadCredentials as exc:
            return json_error(401, "authentication_failed", exc.message)
        return view(request, *args, viewer=user, **kwargs)

    return wrapped


def refused(user: Any, message: str) -> HttpResponse:
    """401 for an anonymous viewer (log in), 403 for a viewer whose role may not."""
    if not user.is_authenticated:
        return json_error(401, "not_authenticated", message)
    return json_error(403, "permission_denied", message)
