"""Session rules the admin's login alone does not give: an idle timeout and password expiry.

Both look only at session logins: tokens and the wall's tickets are not sessions (they expire and
are revoked on their own), and a request without a session costs nothing here.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from core.errors import json_error

from .passwords import expired_message, password_expires_at

LAST_ACTIVITY = "_last_activity"
PASSWORD_EXPIRES = "_password_expires"
# The last-activity mark is rewritten at most this often (seconds): not a session write per request.
ACTIVITY_RESOLUTION = 60


def _logged_in(request: HttpRequest) -> bool:
    """A session login (not a token: DRF sets ``request.user`` for those too, but never the session)."""
    session = getattr(request, "session", None)
    return session is not None and SESSION_KEY in session


class SessionIdleMiddleware:
    """Log out a session that made no request for ``SESSION_IDLE_MINUTES`` (等保: 会话超时). The
    logout is Django's, so ``user_logged_out`` reaches the audit log; the request then goes on as
    an anonymous one (the admin sends it to its login page)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _logged_in(request):
            last = request.session.get(LAST_ACTIVITY)
            if last is not None and timezone.now().timestamp() - last > settings.SESSION_IDLE_MINUTES * 60:
                logout(request)
        response = self.get_response(request)
        # After the view, so the login request itself starts the clock.
        if _logged_in(request):
            now = timezone.now().timestamp()
            last = request.session.get(LAST_ACTIVITY)
            if last is None or now - last >= ACTIVITY_RESOLUTION:
                request.session[LAST_ACTIVITY] = now
        return response


class PasswordExpiryMiddleware:
    """With ``PASSWORD_MAX_AGE_DAYS`` on, a session whose password has expired may only change it:
    pages redirect to the admin's password change form, API calls get 403 ``password_expired``.
    The expiry time is kept in the session, so the check reads the database once per session."""

    # Where a user with an expired password may still go: changing it, logging out or in.
    EXEMPT = ("admin:password_change", "admin:password_change_done", "admin:logout", "admin:login")
    API_PREFIXES = ("/api/", "/tiles/", "/media/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.PASSWORD_MAX_AGE_DAYS
            and _logged_in(request)
            and request.user.is_authenticated
            and request.path not in {reverse(name) for name in self.EXEMPT}
            and self._expired(request)
        ):
            if request.path.startswith(self.API_PREFIXES):
                return json_error(403, "password_expired", expired_message())
            target = reverse("admin:password_change")
            return HttpResponseRedirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    def _expired(self, request: HttpRequest) -> bool:
        now = timezone.now().timestamp()
        known = request.session.get(PASSWORD_EXPIRES)
        if known is not None and known > now:
            return False
        # Unknown, or passed: read again (the password may have been changed since).
        expires = password_expires_at(request.user)
        if expires is None:
            return False
        request.session[PASSWORD_EXPIRES] = expires.timestamp()
        return expires.timestamp() <= now
