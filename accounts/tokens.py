"""Tokens kept as a hash, with an expiry and revocation (in the manner of django-rest-knox).

A key is 43 random URL-safe characters, shown once when it is issued. The database keeps its
SHA-256 digest (looked up through a unique index) and its first eight characters, so a leaked copy
of the table opens nothing and a user can still tell their tokens apart.

Two kinds (``TokenKind``):

- ``api``: one per login on ``POST /api/auth/token/``, valid for ``API_TOKEN_TTL_HOURS``;
- ``display``: the credential in a big-screen wall's URL (``manage.py wall_token``), valid for
  ``DISPLAY_TOKEN_TTL_DAYS``. A URL is seen by everyone in the room and lands in access logs, so a
  display token opens only the wall and what the wall draws (``policy.predicates.
  may_use_display_token``), never the rest of the API.

Clients send either as ``Authorization: Token <key>`` (the header DRF's authtoken used, so existing
clients keep working). ``TokenAuthentication`` is the DRF class; ``core.auth`` uses ``credential``
for the plain views.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from policy.predicates import may_carry_url_token, may_use_display_token

from .models import AuthToken, TokenKind
from .signals import token_issued, token_revoked

KEYWORD = "Token"
PREFIX_LENGTH = 8
# last_used_at is written at most this often per token: a wall fetches dozens of tiles a minute.
TOUCH_EVERY = timedelta(minutes=1)


class TokenRefused(Exception):
    """The key is unknown, revoked or expired, or its user is disabled (a 401)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DisplayTokenRefused(Exception):
    """A display token sent to something the wall does not need (a 403)."""

    def __init__(self, message: str, user: Any) -> None:
        super().__init__(message)
        self.message = message
        self.user = user


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def lifetime(kind: str) -> timedelta:
    if kind == TokenKind.DISPLAY:
        return timedelta(days=settings.DISPLAY_TOKEN_TTL_DAYS)
    return timedelta(hours=settings.API_TOKEN_TTL_HOURS)


def issue(
    user: Any, kind: str = TokenKind.API, *, name: str = "", request: HttpRequest | None = None
) -> tuple[AuthToken, str]:
    """A new token for ``user``: the stored record and the key, which exists only in this return."""
    if kind == TokenKind.DISPLAY and not may_carry_url_token(user):
        raise ValueError(f"{user} may not hold a display token (policy.resources.URL_TOKEN_ROLES)")
    key = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        token = AuthToken.objects.create(
            user=user,
            kind=kind,
            name=name[: AuthToken._meta.get_field("name").max_length],
            prefix=key[:PREFIX_LENGTH],
            digest=digest(key),
            created_at=now,
            expires_at=now + lifetime(kind),
        )
        token_issued.send(sender=AuthToken, token=token, request=request)
    return token, key


def revoke(token: AuthToken, *, request: HttpRequest | None = None) -> bool:
    """Revoke one token; False when it was revoked already (nothing is sent twice)."""
    with transaction.atomic():
        now = timezone.now()
        if not AuthToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now):
            return False
        token.revoked_at = now
        token_revoked.send(sender=AuthToken, token=token, request=request)
    return True


def rotate_display(
    user: Any, *, name: str = "wall", request: HttpRequest | None = None
) -> tuple[AuthToken, str]:
    """Revoke the user's live display tokens (their wall URLs and tickets stop at once) and issue a
    new one, in one transaction: a wall is never left with two valid URLs or with none."""
    with transaction.atomic():
        for old in live_tokens(user).filter(kind=TokenKind.DISPLAY).select_for_update():
            revoke(old, request=request)
        return issue(user, TokenKind.DISPLAY, name=name, request=request)


def live_tokens(user: Any) -> QuerySet[AuthToken]:
    """The user's tokens that are neither revoked nor expired, newest first."""
    return AuthToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=timezone.now())


def check(token: AuthToken | None) -> AuthToken:
    """``token`` when it may be used now, else TokenRefused saying why (log in again)."""
    if token is None:
        raise TokenRefused(_("令牌无效。"))
    if token.revoked_at is not None:
        raise TokenRefused(_("此令牌已被撤销，请重新登录获取新令牌。"))
    now = timezone.now()
    if token.expires_at <= now:
        raise TokenRefused(_("此令牌已过期，请重新登录获取新令牌。"))
    if not token.user.is_active:
        raise TokenRefused(_("此用户已停用。"))
    return token


def touch(token: AuthToken) -> None:
    """Record that the token was used, at most once a minute (not one write per tile)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        AuthToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def by_key(key: str) -> AuthToken:
    """The usable token with this key (its use recorded), or TokenRefused."""
    token = check(AuthToken.objects.select_related("user").filter(digest=digest(key)).first())
    touch(token)
    return token


def header_key(request: HttpRequest | Request) -> str | None:
    """The key of an ``Authorization: Token <key>`` header; None without one (another scheme, or no
    header); TokenRefused for a malformed one."""
    # DRF's helper reads only request.META, which a plain Django request has too.
    parts = get_authorization_header(cast(Request, request)).split()
    if not parts or parts[0].lower() != KEYWORD.lower().encode():
        return None
    if len(parts) != 2:
        raise TokenRefused(_("Authorization 头格式错误：应为 “Token <密钥>”。"))
    try:
        return parts[1].decode()
    except UnicodeError:
        raise TokenRefused(_("Authorization 头格式错误：应为 “Token <密钥>”。")) from None


def surface(request: HttpRequest | Request) -> tuple[str, list[str]]:
    """What a request opens: the URL's name and the layers it names (a tile URL's ``layers``, a
    ``layer`` in the path or the query), for ``may_use_display_token``."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "", []
    layers: list[str] = []
    for value in (match.kwargs.get("layers"), match.kwargs.get("layer"), request.GET.get("layer")):
        if value:
            layers.extend(str(value).split(","))
    return match.view_name, layers


def allow_kind(token: AuthToken, request: HttpRequest | Request) -> None:
    """Refuse a display token outside the wall (DisplayTokenRefused)."""
    if token.kind == TokenKind.DISPLAY and not may_use_display_token(*surface(request)):
        raise DisplayTokenRefused(
            _("大屏令牌只能打开大屏及其所需的数据，不能访问其他接口；请用账号登录获取接口令牌。"), token.user
        )


def credential(request: HttpRequest | Request) -> AuthToken | None:
    """The usable token of the request's Authorization header, checked for its kind; None without
    one. Raises TokenRefused (401) or DisplayTokenRefused (403)."""
    key = header_key(request)
    if key is None:
        return None
    token = by_key(key)
    allow_kind(token, request)
    return token


class TokenAuthentication(BaseAuthentication):
    """DRF authentication by ``Authorization: Token <key>`` against our hashed tokens
    (replaces ``rest_framework.authentication.TokenAuthentication``). ``request.auth`` is the
    ``AuthToken``, so logout can revoke the token in use."""

    keyword = KEYWORD  # read by the OpenAPI schema (accounts.schema)

    def authenticate(self, request: Request) -> tuple[Any, AuthToken] | None:
        try:
            token = credential(request)
        except TokenRefused as exc:
            raise exceptions.AuthenticationFailed(exc.message) from exc
        except DisplayTokenRefused as exc:
            raise exceptions.PermissionDenied(exc.message) from exc
        return (token.user, token) if token is not None else None

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (with WWW-Authenticate) rather than 403 to a request without credentials.
        return self.keyword
