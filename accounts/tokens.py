"""Tokens kept as a hash, with an expiry and revocation (in the manner of django-rest-knox).

A key is 43 random URL-safe characters, shown once when it is issued. The database keeps its
SHA-256 digest (looked up through a unique index) and its first eight characters, so a leaked copy
of the table opens nothing and a user can still tell their tokens apart.

Three kinds (``TokenKind``):

- ``api``: one per login on ``POST /api/auth/token/``, valid for ``API_TOKEN_TTL_HOURS``;
- ``device``: the phone app's (``POST /api/auth/device/``), valid for ``DEVICE_TOKEN_TTL_DAYS``
  and named by the device. The app logs in once and then works offline for days, so it cannot
  log in again each week; it opens the whole API as an API token does. Logging in again on the
  same device revokes that device's previous token (``rotate_device``): a phone that lost its key
  (reinstalled, storage cleared) would otherwise leave a live credential behind that nobody holds
  and nobody thinks to revoke. Who may hold one is policy's (``may_hold_device_token``);
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
from datetime import datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from .models import AuthToken, TokenKind
from .signals import token_issued, token_revoked

KEYWORD = "Token"
PREFIX_LENGTH = 8
NAME_LENGTH = cast(int, AuthToken._meta.get_field("name").max_length)
# last_used_at is written at most this often per token: a wall fetches dozens of tiles a minute.
TOUCH_EVERY = timedelta(minutes=1)


class TokenRefused(Exception):
    """The key is unknown, revoked or expired, or its user is disabled (a 401)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def lifetime(kind: str) -> timedelta:
    if kind == TokenKind.DISPLAY:
        return timedelta(days=settings.DISPLAY_TOKEN_TTL_DAYS)
    if kind == TokenKind.DEVICE:
        return timedelta(days=settings.DEVICE_TOKEN_TTL_DAYS)
    return timedelta(hours=settings.API_TOKEN_TTL_HOURS)


def issue(
    user: Any, kind: str = TokenKind.API, *, name: str = "", request: HttpRequest | None = None
) -> tuple[AuthToken, str]:
    """A new token for ``user``: the stored record and the key, which exists only in this return.
    Who may hold a display or device token is policy's (``may_carry_url_token``,
    ``may_hold_device_token``): callers ask it first."""
    key = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        token = AuthToken.objects.create(
            user=user,
            kind=kind,
            name=name[:NAME_LENGTH],
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
    return _replace(user, TokenKind.DISPLAY, Q(), name=name, request=request)


def rotate_device(user: Any, *, name: str, request: HttpRequest | None = None) -> tuple[AuthToken, str]:
    """Revoke the live device tokens of the user's device ``name`` and issue it a new one, in one
    transaction. A phone that logs in again has lost its key (the app was reinstalled, its storage
    cleared), so the old token is held by nobody: left live, it would be an orphan credential that
    works for weeks and that no one thinks to revoke. The user's other devices keep theirs."""
    return _replace(user, TokenKind.DEVICE, Q(name=name[:NAME_LENGTH]), name=name, request=request)


def _replace(
    user: Any, kind: str, which: Q, *, name: str, request: HttpRequest | None
) -> tuple[AuthToken, str]:
    with transaction.atomic():
        # The owner's row is locked first, so two logins at once (a double tap) queue here and
        # leave one live token, not two: neither would see the other's token, which is not yet
        # committed, among the rows to revoke.
        type(user)._default_manager.select_for_update().filter(pk=user.pk).first()
        for old in live_tokens(user).filter(which, kind=kind).select_for_update():
            revoke(old, request=request)
        return issue(user, kind, name=name, request=request)


# Expired and revoked tokens stay this long (an administrator can still see why a client was
# refused), then ``purge`` deletes them: every login adds a row.
KEEP_DEAD = timedelta(days=30)


def purge(now: datetime | None = None) -> int:
    """Delete tokens that expired or were revoked more than ``KEEP_DEAD`` ago; idempotent."""
    cutoff = (now or timezone.now()) - KEEP_DEAD
    deleted, _by_model = AuthToken.objects.filter(
        Q(expires_at__lt=cutoff) | Q(revoked_at__lt=cutoff)
    ).delete()
    return deleted


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


# The token a request carries is looked up once, whoever asks (DRF, a plain view, the policy
# middleware that keeps display tokens to the wall).
_LOOKED_UP = "_geoportal_token"


def credential(request: HttpRequest | Request) -> AuthToken | None:
    """The usable token of the request's ``Authorization`` header; None without one. Raises
    TokenRefused (a 401) for a bad one. What a token's kind may open is policy's
    (``policy.middleware``)."""
    plain = getattr(request, "_request", request)
    if _LOOKED_UP not in plain.__dict__:
        key = header_key(request)
        plain.__dict__[_LOOKED_UP] = by_key(key) if key is not None else None
    return plain.__dict__[_LOOKED_UP]


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
        return (token.user, token) if token is not None else None

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (with WWW-Authenticate) rather than 403 to a request without credentials.
        return self.keyword
