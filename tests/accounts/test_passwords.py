"""The password policy: every rule, no reuse of the last five, expiry."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from accounts.models import PasswordHistory
from accounts.passwords import character_classes, password_expired
from accounts.roles import Role
from layers.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD

from .conftest import PASSWORD, age_password

GOOD = "Tangerine-Harbor-42"


def _codes(password: str, user=None) -> set[str]:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return {e.code for e in exc.error_list}
    return set()


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("liwei", email="liwei@example.org", password=GOOD)


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Ab1-short", "password_too_short"),
        ("alllowercaseletters", "password_too_simple"),
        ("lowercase-only-symbols", "password_too_simple"),
        ("Password123", "password_too_common"),
        ("4829105738", "password_entirely_numeric"),
        ("Liwei@example1", "password_too_similar"),
    ],
)
def test_each_rule(user, password, code):
    assert code in _codes(password, user)


def test_a_good_password_passes(user):
    assert _codes("Ferry-Lantern-77", user) == set()
    assert character_classes("aB3-") == 4 and character_classes("abc") == 1


def test_none_of_the_last_five(user):
    passwords = [f"Harbor-Lantern-{i}x" for i in range(6)]
    for password in passwords:
        user.set_password(password)
        user.save()
    assert PasswordHistory.objects.filter(user=user).count() == 5  # older ones are dropped
    for recent in passwords[1:]:  # the current one and the four before it
        assert "password_reused" in _codes(recent, user), recent
    assert _codes(passwords[0], user) == set()  # six changes ago
    assert _codes(GOOD, user) == set()


def test_the_demo_password_meets_the_policy(db):
    User = get_user_model()
    for account in DEMO_ACCOUNTS:
        validate_password(DEMO_PASSWORD, User(username=account.username))


def test_expiry_is_off_by_default_and_a_setting(user, settings, moved_clock):
    settings.PASSWORD_MAX_AGE_DAYS = 0
    with moved_clock(days=3650):
        assert not password_expired(user)
    settings.PASSWORD_MAX_AGE_DAYS = 90
    with moved_clock(days=89):
        assert not password_expired(user)
    with moved_clock(days=91):
        assert password_expired(user)
        user.set_password("Brand-New-Pass-9")
        user.save()
        assert not password_expired(user)


def test_an_expired_password_gets_no_token(client, city, settings):
    settings.PASSWORD_MAX_AGE_DAYS = 30
    officer = city.users[Role.CITY_OFFICER]
    age_password(officer, days=31)
    res = client.post("/api/auth/token/", {"username": officer.username, "password": PASSWORD})
    assert res.status_code == 403 and res.json()["error"]["code"] == "password_expired"
