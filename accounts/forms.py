"""The login forms (the admin's and the staff pages'), with the lockout's message.

The lockout itself is in the authentication backend (``accounts.backends``); this form only tells
a locked-out user when it lifts, instead of Django's "wrong password" message.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import lockout, totp


class LockoutAuthenticationForm(AuthenticationForm):
    """The staff pages' login (web/staff.py): username, password and, for those who have a second
    factor, the authenticator's code, all checked by one ``authenticate`` call."""

    otp = forms.CharField(
        label=_("动态口令"),
        required=False,
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text=_("启用了二次验证的账户填写身份验证器 App 中的 6 位口令。"),
    )

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            self.user_cache = authenticate(
                self.request, username=username, password=password, otp=self.cleaned_data.get("otp")
            )
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data

    def get_invalid_login_error(self) -> ValidationError:
        until = lockout.locked_until_of(self.request)
        if until is not None:
            return ValidationError(lockout.message(until), code="login_locked")
        if totp.refused(self.request):
            return ValidationError(totp.message(), code="otp_required")
        return super().get_invalid_login_error()


class LockoutAdminAuthenticationForm(LockoutAuthenticationForm, AdminAuthenticationForm):
    """The admin's login: staff accounts only, as Django's."""
