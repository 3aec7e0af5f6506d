"""The second factor (TOTP): the RFC 6238 codes, sealed secrets, and every login path asking for it."""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command
from django.db import connection

from accounts import totp
from accounts.models import SecondFactor
from accounts.roles import Role

from .conftest import PASSWORD


def test_codes_follow_rfc_6238():
    # RFC 6238 appendix B, SHA-1 secret "12345678901234567890"; the 8-digit 94287082 at T=59 s.
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    assert totp.code_at(secret, 59 // 30) == "287082"
    assert totp.code_at(secret, 1111111109 // 30) == "081804"


@pytest.fixture
def enrolled(city, settings):
    settings.STAFF_TOTP = True
    admin = city.users[Role.ADMIN]
    secret, uri = totp.enrol(admin)
    return admin, secret, uri


def _login(api, user, **extra):
    return api.post(
        "/api/auth/token/", {"username": user.username, "password": PASSWORD, **extra}, format="json"
    )


def test_the_secret_is_sealed_at_rest(enrolled):
    admin, secret, uri = enrolled
    assert f"secret={secret}" in uri and uri.startswith("otpauth://totp/Geoportal%3A")
    with connection.cursor() as cursor:
        cursor.execute("SELECT sealed_secret FROM accounts_secondfactor")
        (stored,) = cursor.fetchone()
    assert secret not in stored and stored.startswith("sm4g1:")


def test_an_administrator_must_send_the_current_code(api, enrolled):
    admin, secret, _uri = enrolled
    refused = _login(api, admin)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "otp_required"
    assert _login(api, admin, otp="000000").status_code == 401
    code = totp.code_at(secret, int(time.time() // 30))
    assert _login(api, admin, otp=code).status_code == 200
    assert _login(api, admin, otp=code).status_code == 401, "a code is accepted once"


def test_an_administrator_without_an_authenticator_cannot_log_in_while_it_is_required(api, city, settings):
    settings.STAFF_TOTP = True
    assert _login(api, city.users[Role.ADMIN]).status_code == 401
    assert _login(api, city.users[Role.CITY_OFFICER]).status_code == 200, "not required of officers"


def test_other_roles_are_asked_once_they_set_one_up(api, city, settings):
    settings.STAFF_TOTP = True
    officer = city.users[Role.CITY_OFFICER]
    secret, _uri = totp.enrol(officer)
    assert _login(api, officer).status_code == 401
    assert _login(api, officer, otp=totp.code_at(secret, int(time.time() // 30))).status_code == 200


def test_wrong_codes_count_towards_the_lockout(api, enrolled, settings):
    admin, secret, _uri = enrolled
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        _login(api, admin, otp="123456")
    locked = _login(api, admin, otp=totp.code_at(secret, int(time.time() // 30)))
    assert locked.status_code == 429 and locked.json()["error"]["code"] == "login_locked"


def test_the_admin_login_form_asks_for_the_code(client, enrolled):
    admin, secret, _uri = enrolled
    admin.is_staff = True
    admin.save()
    response = client.post("/admin/login/", {"username": admin.username, "password": PASSWORD})
    assert response.status_code == 200
    assert "动态口令" in " ".join(response.context["form"].non_field_errors())
    code = totp.code_at(secret, int(time.time() // 30))
    response = client.post(
        "/admin/login/?next=/admin/", {"username": admin.username, "password": PASSWORD, "otp": code}
    )
    assert response.status_code == 302


def test_off_means_no_code_is_asked(api, city, settings):
    settings.STAFF_TOTP = False
    totp.enrol(city.users[Role.ADMIN])
    assert _login(api, city.users[Role.ADMIN]).status_code == 200


def test_the_command_enrols_and_removes_with_confirmation(city, capsys):
    officer = city.users[Role.CITY_OFFICER]
    call_command("totp", "enrol", officer.username)
    assert "otpauth://" in capsys.readouterr().out
    with pytest.raises(Exception, match="--yes"):
        call_command("totp", "enrol", officer.username)
    call_command("totp", "remove", officer.username, "--yes")
    assert not SecondFactor.objects.filter(user=officer).exists()
