"""Brute force: failed logins lock the username and the client address, on every login path."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.contrib.auth import get_user_model, user_login_failed
from django.utils import timezone

from accounts.roles import Role

from .conftest import PASSWORD

TOKEN_URL = "/api/auth/token/"
PROXY = {"REMOTE_ADDR": "127.0.0.1"}  # our nginx: the last X-Forwarded-For entry is the client


def _login(client, username: str, password: str, address: str = "198.51.100.1"):
    return client.post(
        TOKEN_URL, {"username": username, "password": password}, HTTP_X_FORWARDED_FOR=address, **PROXY
    )


def test_failures_lock_the_account_and_the_right_password_still_fails(client, city, moved_clock, settings):
    settings.LOGIN_FAILURE_LIMIT = 5
    settings.LOGIN_LOCKOUT_MINUTES = 15
    name = city.users[Role.CITY_OFFICER].username
    failed: list[dict] = []

    def heard(sender, credentials, request, **kwargs):
        failed.append(credentials)

    user_login_failed.connect(heard)
    try:
        for _ in range(4):
            res = _login(client, name, "wrong")
            assert res.status_code == 400 and res.json()["error"]["code"] == "invalid"
        fifth = _login(client, name, "wrong")  # the failure that reaches the limit says so at once
        assert fifth.status_code == 429 and fifth.json()["error"]["code"] == "login_locked"

        locked = _login(client, name, PASSWORD)  # the right password, during the lockout
        assert locked.status_code == 429
        error = locked.json()["error"]
        assert error["code"] == "login_locked"
        lifts = timezone.localtime(datetime.fromisoformat(error["locked_until"]))
        assert lifts.strftime("%H:%M") in error["message"] and "锁定" in error["message"]
        assert 14 * 60 < int(locked["Retry-After"]) <= 15 * 60
        # Django's own signal fired for every refused try, the locked one included (audit listens).
        assert len(failed) == 6 and all(c["password"] != PASSWORD for c in failed)
    finally:
        user_login_failed.disconnect(heard)

    with moved_clock(minutes=14):
        assert _login(client, name, PASSWORD).status_code == 429  # not yet
    with moved_clock(minutes=16):
        res = _login(client, name, PASSWORD)  # the lockout lifted
        assert res.status_code == 200 and res.json()["token"]


def test_the_user_lock_holds_from_every_address(client, city, settings):
    """The username is locked wherever the next try comes from (a botnet gains nothing)."""
    name = city.users[Role.CITY_OFFICER].username
    for i in range(settings.LOGIN_FAILURE_LIMIT):
        _login(client, name, "wrong", address=f"198.51.100.{10 + i}")
    assert _login(client, name, PASSWORD, address="192.0.2.99").status_code == 429


def test_behind_the_proxy_two_client_addresses_are_counted_apart(client, city, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"login": "100/min"}}
    # Spraying: one wrong password for many usernames from one address locks that address...
    for i in range(8):
        assert _login(client, f"nobody-{i}", "wrong", address="203.0.113.5").status_code in (400, 429)
    name = city.users[Role.CITY_OFFICER].username
    sprayer = _login(client, name, PASSWORD, address="203.0.113.5")
    assert sprayer.status_code == 429 and sprayer.json()["error"]["code"] == "login_locked"
    # ...but not the proxy itself: another client behind the same nginx logs in.
    assert _login(client, name, PASSWORD, address="203.0.113.6").status_code == 200


def test_a_direct_client_cannot_spread_its_failures_with_its_own_header(client, city, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8
    for i in range(8):  # a public REMOTE_ADDR: its X-Forwarded-For is not ours, so it is ignored
        client.post(
            TOKEN_URL,
            {"username": f"nobody-{i}", "password": "wrong"},
            REMOTE_ADDR="8.8.4.4",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{i}",
        )
    res = client.post(
        TOKEN_URL,
        {"username": city.users[Role.CITY_OFFICER].username, "password": PASSWORD},
        REMOTE_ADDR="8.8.4.4",
        HTTP_X_FORWARDED_FOR="192.0.2.200",
    )
    assert res.status_code == 429 and res.json()["error"]["code"] == "login_locked"


def test_the_address_limit_is_higher_than_the_user_limit(settings):
    """One colleague (or attacker) locking one account leaves the office's NAT address open."""
    assert settings.LOGIN_ADDRESS_FAILURE_LIMIT > settings.LOGIN_FAILURE_LIMIT


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_superuser("root", "root@example.org", PASSWORD)


def test_admin_login_is_locked_with_the_time_it_lifts(client, staff, settings):
    form = {"username": "root", "password": "wrong", "next": "/admin/"}
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        assert client.post("/admin/login/", form).status_code == 200  # the form again, with an error
    res = client.post("/admin/login/", {**form, "password": PASSWORD})
    assert res.status_code == 200 and "_auth_user_id" not in client.session
    errors = res.context["form"].non_field_errors()
    assert len(errors) == 1 and "锁定" in errors[0]
    assert res.context["form"].errors.as_data()["__all__"][0].code == "login_locked"


def test_a_good_login_starts_the_user_count_afresh(client, city, settings):
    name = city.users[Role.CITY_OFFICER].username
    for _round in range(2):
        for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
            assert _login(client, name, "wrong").status_code == 400
        assert _login(client, name, PASSWORD).status_code == 200


def test_the_token_endpoint_is_rate_limited_per_address(client, db, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"login": "3/min"}}
    for i in range(3):
        assert _login(client, f"nobody-{i}", "wrong", address="198.51.100.40").status_code == 400
    res = _login(client, "nobody-9", "wrong", address="198.51.100.40")
    assert res.status_code == 429 and res.json()["error"]["code"] == "throttled" and res["Retry-After"]
    assert _login(client, "nobody-9", "wrong", address="198.51.100.41").status_code == 400
