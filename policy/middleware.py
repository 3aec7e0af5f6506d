"""Where a display token may go: the one rule about a credential's kind, kept at the door.

A display token (the credential in a wall's URL, and the stream tickets made from it) opens only
what the wall draws (``may_use_display_token``: ``DISPLAY_TOKEN_VIEWS``, ``DISPLAY_TOKEN_LAYERS``).
The check runs before every view, DRF or plain, once the URL is resolved, so no view can forget
it; a refusal is a 403 in the platform's error shape, and audited as any denial.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from accounts.models import TokenKind
from core.auth import BadCredentials, refused, request_token

from .predicates import may_use_display_token


def surface(request: HttpRequest) -> tuple[str, list[str]]:
    """What a request opens: the URL's name and the layers it names (a tile URL's ``layers``, a
    ``layer`` in the path or the query)."""
    match = request.resolver_match
    if match is None:
        return "", []
    layers: list[str] = []
    for value in (match.kwargs.get("layers"), match.kwargs.get("layer"), request.GET.get("layer")):
        if value:
            layers.extend(str(value).split(","))
    return match.view_name, layers


class DisplayTokenMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> HttpResponse | None:
        if "HTTP_AUTHORIZATION" not in request.META and "ticket=" not in request.META.get("QUERY_STRING", ""):
            return None  # no token at all: the common case costs nothing
        try:
            token = request_token(request)
        except BadCredentials:
            return None  # the view answers a bad credential itself (401)
        if token is None or token.kind != TokenKind.DISPLAY or may_use_display_token(*surface(request)):
            return None
        return refused(
            token.user,
            _("大屏令牌只能打开大屏及其所需的数据，不能访问其他接口；请用账号登录获取接口令牌。"),
        )
