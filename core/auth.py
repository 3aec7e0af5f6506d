"""One way in for the plain Django views (vector and raster tiles, media, the live stream).

The REST API authenticates through DRF. These views are plain Django for speed, and they accept
the same credentials through ``with_viewer``:

- the session cookie (a logged-in page);
- ``Authorization: Token <key>`` (scripts, QGIS, the phone), looked up as the REST API does
  (``accounts.tokens``: hashed, expiring, revocable);
- ``?ticket=``, a signed ticket bound to a display token: EventSource and ``<img>`` cannot send
  headers, and the token itself should not appear in more URLs than the wall's own. Revoking or
  rotating the display token (or its expiry) invalidates its tickets.

A bad credential is a 401 in the platform's error shape; no credential is an anonymous viewer. A
display token (or its ticket) reaches only what the wall draws (``policy.predicates.
may_use_display_token``); elsewhere it is a 403.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _

from accounts import tokens
from accounts.models import AuthToken, TokenKind

from .context import current_request
from .errors import json_error
from .signals import access_denied

TICKET_LOOKED_UP = "_geoportal_ticket_token"  # a ticket is looked up once per request
TICKET_SALT = "web.wall.stream"  # the salt tickets were first signed with; changing it logs walls out


class BadCredentials(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def url_token(key: str) -> AuthToken | None:
    """The usable display token a wall's ``?token=`` names, or None (unknown, revoked, expired, an
    API token, or a disabled user): only display tokens may travel in a URL."""
    try:
        token = tokens.by_key(key)
    except tokens.TokenRefused:
        return None
    return token if token.kind == TokenKind.DISPLAY else None


def issue_ticket(token: AuthToken) -> str:
    """A ticket for the wall's stream, bound to this display token's digest."""
    return signing.dumps({"k": token.pk, "t": token.digest[:16]}, salt=TICKET_SALT)


def ticket_token(ticket: str) -> AuthToken | None:
    """The display token a ticket was issued from, while it is usable; else None."""
    try:
        data = signing.loads(ticket, salt=TICKET_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("k"), int):
        return None  # a ticket of the form used before tokens were hashed: reload the wall page
    token = AuthToken.objects.select_related("user").filter(pk=data["k"], kind=TokenKind.DISPLAY).first()
    if token is None or token.digest[:16] != data.get("t"):
        return None
    try:
        return tokens.check(token)
    except tokens.TokenRefused:
        return None


def request_token(request: HttpRequest) -> AuthToken | None:
    """The token a request carries: a wall ticket's display token, else the ``Authorization``
    header's; None without either. Raises BadCredentials (401) for a bad one."""
    ticket = request.GET.get("ticket")
    if not ticket:
        try:
            return tokens.credential(request)
        except tokens.TokenRefused as exc:
            raise BadCredentials(exc.message) from exc
    if TICKET_LOOKED_UP not in request.__dict__:
        request.__dict__[TICKET_LOOKED_UP] = ticket_token(ticket)
    token = request.__dict__[TICKET_LOOKED_UP]
    if token is None:
        raise BadCredentials(_("This wall ticket is no longer valid; reload the wall page."))
    return token


def viewer(request: HttpRequest) -> Any:
    """The user behind a request: ticket, then token header, then session (maybe anonymous).
    Raises BadCredentials (401). Where a display token may go is ``policy.middleware``'s."""
    token = request_token(request)
    return token.user if token is not None else request.user


def with_viewer(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Resolve the viewer once and pass it to the view as ``viewer=``; a bad credential is a 401."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            user = viewer(request)
        except BadCredentials as exc:
            return json_error(401, "authentication_failed", exc.message)
        return view(request, *args, viewer=user, **kwargs)

    return wrapped


def refused(user: Any, message: str) -> HttpResponse:
    """401 for an anonymous viewer (log in), 403 for a viewer whose role may not."""
    status = 401 if not user.is_authenticated else 403
    request = current_request()
    if request is not None:
        access_denied.send(sender=refused, request=request, status=status, reason=message)
    if status == 401:
        return json_error(401, "not_authenticated", message)
    return json_error(403, "permission_denied", message)
