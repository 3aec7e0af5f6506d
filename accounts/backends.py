"""The one authentication backend: Django's ModelBackend behind the login lockout.

Every login path (the admin's login form, ``POST /api/auth/token/``, any later login view) calls
``django.contrib.auth.authenticate(request=...)``, which ends here, so no path can skip the
lockout (the gap django-axes has with DRF's token view, which does not pass the request on).
With ``STAFF_TOTP`` on, a user who needs a second factor (``accounts.totp``) must also send the
current code as ``otp``.
A locked login raises PermissionDenied: ``authenticate`` then stops, returns None and sends
``user_login_failed`` as for any failure, and the view reads ``lockout.locked_until_of(request)``
to say when it lifts.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from . import lockout, totp


class LockoutBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        until = lockout.locked_until(username, request)
        if until is not None:
            lockout.mark(request, until)
            raise PermissionDenied  # not even the password is checked while locked
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            until = lockout.record_failure(username, request)
            if until is not None:  # this failure started the lockout: say so now
                lockout.mark(request, until)
            return None
        if totp.required(user) and not totp.verify(user, kwargs.get("otp")):
            # The password was right, the second factor not: a failure like any other (a code
            # guessed again and again locks the account), said as such.
            totp.mark_refused(request)
            until = lockout.record_failure(username, request)
            if until is not None:
                lockout.mark(request, until)
            return None
        lockout.record_success(username)
        return user
