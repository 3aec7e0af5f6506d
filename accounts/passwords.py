"""The password policy's own rules (the others are Django's; the list is AUTH_PASSWORD_VALIDATORS).

- ``CharacterClassValidator``: at least three of lower case, upper case, digits and symbols.
- ``PasswordHistoryValidator``: none of the last five passwords. Django calls each validator's
  ``password_changed`` after a password is saved (``AbstractBaseUser.save``), which is where the
  new hash joins ``PasswordHistory``; ``create_user`` and ``set_password`` + ``save`` both pass
  there, forms and ``changepassword`` too.
- ``password_expired``: with ``PASSWORD_MAX_AGE_DAYS`` above 0, a password older than that must be
  changed (accounts.middleware for sessions, the token endpoint for the API).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import PasswordHistory


def character_classes(password: str) -> int:
    """How many of lower case, upper case, digits and symbols (anything else) the password has."""
    return len(
        {
            "lower" if ch.islower() else "upper" if ch.isupper() else "digit" if ch.isdigit() else "symbol"
            for ch in password
        }
    )


class CharacterClassValidator:
    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(
                _("密码至少要包含小写字母、大写字母、数字、符号中的 %(n)d 类。"),
                code="password_too_simple",
                params={"n": self.min_classes},
            )

    def get_help_text(self) -> str:
        return _("密码至少要包含小写字母、大写字母、数字、符号中的 %(n)d 类。") % {"n": self.min_classes}


class PasswordHistoryValidator:
    def __init__(self, count: int = 5) -> None:
        self.count = count

    def _recent_hashes(self, user: Any) -> list[str]:
        hashes = list(
            PasswordHistory.objects.filter(user=user).values_list("password", flat=True)[: self.count]
        )
        # A user whose password was set without passing here (loaded data) still may not reuse it.
        if user.password and user.password not in hashes:
            hashes = [user.password, *hashes[: self.count - 1]]
        return hashes

    def validate(self, password: str, user: Any = None) -> None:
        if user is None or user.pk is None:
            return
        if any(check_password(password, encoded) for encoded in self._recent_hashes(user)):
            raise ValidationError(
                _("不能使用最近 %(n)d 次用过的密码。"),
                code="password_reused",
                params={"n": self.count},
            )

    def password_changed(self, password: str, user: Any = None) -> None:
        """Keep the new hash (``user.password`` is already the new one here) and drop the ones
        beyond ``count``, so the table stays a few rows per user."""
        if user is None or user.pk is None:
            return
        with transaction.atomic():
            PasswordHistory.objects.create(user=user, password=user.password, created_at=timezone.now())
            old = PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[self.count :]
            PasswordHistory.objects.filter(pk__in=list(old)).delete()

    def get_help_text(self) -> str:
        return _("不能使用最近 %(n)d 次用过的密码。") % {"n": self.count}


def password_changed_at(user: Any) -> datetime:
    """When the user's current password was set: the newest history entry, else when the account
    was created (loaded data sets passwords without passing through the validators)."""
    latest = PasswordHistory.objects.filter(user=user).values_list("created_at", flat=True).first()
    return latest or user.date_joined


def password_expires_at(user: Any) -> datetime | None:
    """When the user's password expires; None while expiry is off."""
    days = settings.PASSWORD_MAX_AGE_DAYS
    if not days:
        return None
    return password_changed_at(user) + timedelta(days=days)


def password_expired(user: Any) -> bool:
    expires = password_expires_at(user)
    return expires is not None and expires <= timezone.now()


def expired_message() -> str:
    return _("密码已超过 %(days)d 天未修改，已过期：请先修改密码再登录。") % {
        "days": settings.PASSWORD_MAX_AGE_DAYS
    }
