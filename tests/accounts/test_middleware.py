"""Sessions: the idle timeout, and a session whose password expired may only change it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model, user_logged_out

from .conftest import PASSWORD, age_password


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_superuser("root", "root@example.org", PASSWORD)


def test_an_idle_session_is_logged_out(client, staff, moved_clock, settings):
    settings.SESSION_IDLE_MINUTES = 30
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200
    with moved_clock(minutes=20):
        assert client.get("/admin/").status_code == 200  # active: the clock restarts
    with moved_clock(minutes=45):
        assert client.get("/admin/").status_code == 200  # 25 minutes after the last request
    logged_out = []
    user_logged_out.connect(lambda sender, user, **kw: logged_out.append(user), weak=False, dispatch_uid="t")
    try:
        with moved_clock(minutes=76):
            res = client.get("/admin/")
    finally:
        user_logged_out.disconnect(dispatch_uid="t")
    assert res.status_code == 302 and res["Location"].startswith("/admin/login/")
    assert logged_out == [staff]


def test_the_session_settings_are_sane(settings):
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE and settings.SESSION_COOKIE_HTTPONLY
    assert settings.SESSION_IDLE_MINUTES == 30


def test_a_token_request_does_not_start_a_session(client, city):
    from accounts import tokens
    from accounts.roles import Role

    key = tokens.issue(city.users[Role.CITY_OFFICER])[1]
    res = client.get("/api/layers/", HTTP_AUTHORIZATION=f"Token {key}")
    assert res.status_code == 200 and "sessionid" not in res.cookies


def test_an_expired_password_must_be_changed(client, staff, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 30
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200
    age_password(staff, days=31)
    client.logout()
    client.force_login(staff)  # a new session: the expiry is read again
    res = client.get("/admin/")
    assert res.status_code == 302 and res["Location"].startswith("/admin/password_change/?next=")
    api = client.get("/api/layers/")
    assert api.status_code == 403 and api.json()["error"]["code"] == "password_expired"
    assert client.get("/admin/password_change/").status_code == 200
    changed = client.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": "Ferry-Lantern-77", "new_password2": "Ferry-Lantern-77"},
    )
    assert changed.status_code == 302
    assert client.get("/admin/").status_code == 200
