"""The second factor: time-based one-time passwords (TOTP, RFC 6238) from an authenticator app.

Who must give one: with ``STAFF_TOTP`` on, every user of a role in ``TOTP_REQUIRED_ROLES``
(administrators by default, as 等保 level 3 asks), and any user who has set one up. Every login
path asks for it in the same place as the password (``accounts.backends``), so none skips it.

The shared secret is sealed with SM4-GCM under the first personal-data key, or, when none is
configured, under a key derived from ``SECRET_KEY``: it is never stored in plain text. A code is
accepted once (the last accepted 30-second step is kept) and one step either side of now.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from crypto.envelope import reveal, seal
from crypto.keys import DataKey

from .models import SecondFactor
from .roles import Role

STEP_SECONDS = 30
DIGITS = 6
ISSUER = "Geoportal"


def _keys() -> tuple[DataKey, ...]:
    derived = hmac.new(settings.SECRET_KEY.encode(), b"geoportal totp", hashlib.sha256).digest()[:16]
    return (*settings.PERSONAL_DATA_KEYS, DataKey(id="sk", secret=derived))


def code_at(secret: str, step: int) -> str:
    """The RFC 6238 code (HMAC-SHA1, 6 digits) for one 30-second step."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**DIGITS).zfill(DIGITS)


def required(user: Any) -> bool:
    """Must this user give a code to log in?"""
    if not settings.STAFF_TOTP:
        return False
    role = Role.ADMIN if user.is_superuser else user.role
    return role in settings.TOTP_REQUIRED_ROLES or SecondFactor.objects.filter(user=user).exists()


def enrol(user: Any) -> tuple[str, str]:
    """A new secret for ``user`` (replacing any old one): (secret, otpauth:// URI for the app)."""
    secret = base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")
    SecondFactor.objects.update_or_create(
        user=user, defaults={"sealed_secret": seal(secret, _keys()[0]), "last_step": 0}
    )
    label = quote(f"{ISSUER}:{user.get_username()}")
    uri = f"otpauth://totp/{label}?" + urlencode({"secret": secret, "issuer": ISSUER, "digits": DIGITS})
    return secret, uri


REFUSED_ATTR = "second_factor_refused"


def mark_refused(request: Any) -> None:
    """Say on the request that the password was right but the code was missing or wrong."""
    if request is not None:
        setattr(request, REFUSED_ATTR, True)


def refused(request: Any) -> bool:
    return bool(getattr(request, REFUSED_ATTR, False))


def message() -> str:
    return _("请填写身份验证器 App 中当前的 6 位动态口令（二次验证）；口令每 30 秒更新，每个只能用一次。")


def verify(user: Any, code: str | None, now: float | None = None) -> bool:
    """Whether ``code`` is the user's current one (and not used before); records its use."""
    code = (code or "").strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return False
    step = int((now if now is not None else time.time()) // STEP_SECONDS)
    with transaction.atomic():
        factor = SecondFactor.objects.select_for_update().filter(user=user).first()
        if factor is None:
            return False
        secret = reveal(factor.sealed_secret, _keys(), where="accounts.SecondFactor")
        for candidate in (step, step - 1, step + 1):
            if candidate > factor.last_step and hmac.compare_digest(code_at(secret, candidate), code):
                factor.last_step = candidate
                factor.save(update_fields=["last_step"])
                return True
    return False
