"""Device tokens: the phone app logs in once for a token named by its device, hashed, expiring after
DEVICE_TOKEN_TTL_DAYS, revocable in the admin, one live token per device, for the roles that sync."""

from __future__ import annotations

import json
from datetime import timedelta
from unittest import mock

from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts import tokens
from accounts.models import AuthToken, TokenKind, User
from accounts.roles import Role
from audit.models import AuditAction, Entry
from core.admin import ACTION_CONFIRM_FIELD

from .conftest import PASSWORD

DEVICE_URL = "/api/auth/device/"


def _device_login(client, user, device: str = "网格员手机", password: str = PASSWORD):
    body = {"username": user.username, "password": password, "device": device}
    return client.post(DEVICE_URL, json.dumps(body), content_type="application/json")


def _auth(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Token {key}"}


def _frozen(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def test_a_grid_worker_gets_a_device_token_that_opens_the_whole_api(client, city):
    worker = city.users[Role.GRID_WORKER]
    worker.first_name = "小明"
    worker.save()
    res = _device_login(client, worker, device="Mozilla/5.0 (Linux; Android 14)")
    assert res.status_code == 200, res.content
    body = res.json()
    assert set(body) == {"token", "expires_at", "user"}
    assert body["user"] == {
        "id": worker.pk,
        "username": worker.username,
        "name": "小明",
        "role": Role.GRID_WORKER,
        "role_label": "网格员",
    }
    token = AuthToken.objects.get(user=worker)
    assert (token.kind, token.name) == (TokenKind.DEVICE, "Mozilla/5.0 (Linux; Android 14)")
    # Not kept to the wall as a display token is: the layers, the sync area, a tile.
    for url in ("/api/layers/", "/api/grid_cells/", "/api/sync/area/", "/tiles/grid_cells/12/3300/1780.mvt"):
        assert client.get(url, **_auth(body["token"])).status_code in (200, 204), url


def test_the_key_is_stored_only_as_a_hash(client, city):
    key = _device_login(client, city.users[Role.GRID_WORKER]).json()["token"]
    token = AuthToken.objects.get(kind=TokenKind.DEVICE)
    assert token.digest == tokens.digest(key) != key and token.prefix == key[:8]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {AuthToken._meta.db_table}")
        assert key not in repr(cursor.fetchall())


def test_a_device_token_expires_after_the_configured_days(client, city, settings):
    settings.DEVICE_TOKEN_TTL_DAYS = 30
    issued = timezone.now()
    with _frozen(issued):
        res = _device_login(client, city.users[Role.GRID_WORKER])
    key = res.json()["token"]
    assert AuthToken.objects.get(kind=TokenKind.DEVICE).expires_at == issued + timedelta(days=30)
    with _frozen(issued + timedelta(days=29, hours=23)):
        assert client.get("/api/layers/", **_auth(key)).status_code == 200
    with _frozen(issued + timedelta(days=30)):
        res = client.get("/api/layers/", **_auth(key))
        assert res.status_code == 401 and "过期" in res.json()["error"]["message"]


def test_revoked_in_the_admin_it_stops_at_once(client, city):
    key = _device_login(client, city.users[Role.GRID_WORKER]).json()["token"]
    api_token, _key = tokens.issue(city.users[Role.GRID_WORKER], TokenKind.API)
    device = AuthToken.objects.get(kind=TokenKind.DEVICE)
    admin = Client()
    admin.force_login(User.objects.create_superuser("root-device", password="x-Strong-pass-9"))
    listed = admin.get("/admin/accounts/authtoken/?kind__exact=device")
    assert listed.status_code == 200
    assert [t.pk for t in listed.context["cl"].result_list] == [device.pk], "filtered by the kind"
    chosen = {"action": "revoke_tokens", "_selected_action": [device.pk], ACTION_CONFIRM_FIELD: "yes"}
    assert admin.post("/admin/accounts/authtoken/", chosen).status_code == 302

    res = client.get("/api/layers/", **_auth(key))
    assert res.status_code == 401 and "撤销" in res.json()["error"]["message"]
    assert AuthToken.objects.get(pk=api_token.pk).revoked_at is None, "only the chosen token"


def test_a_wrong_password_gives_no_token(client, city):
    res = _device_login(client, city.users[Role.GRID_WORKER], password="wrong")
    assert res.status_code == 400 and res.json()["error"]["code"] == "invalid"
    assert not AuthToken.objects.exists()
    missing = client.post(DEVICE_URL, {"username": "x", "password": "y"})
    assert "device" in missing.json()["error"]["fields"]


def test_a_role_that_does_not_sync_is_sent_to_the_staff_pages(client, city):
    investor = city.users[Role.INVESTOR]
    res = _device_login(client, investor)
    assert res.status_code == 403
    error = res.json()["error"]
    assert error["code"] == "permission_denied" and "/login/" in error["message"]
    assert not AuthToken.objects.exists()
    assert not Entry.objects.filter(action=AuditAction.LOGIN, user_id=investor.pk).exists(), "not a login"


def test_logging_in_again_on_a_device_revokes_its_previous_token_only(client, city):
    worker = city.users[Role.GRID_WORKER]
    first = _device_login(client, worker, device="手机A").json()["token"]
    other = _device_login(client, worker, device="手机B").json()["token"]
    second = _device_login(client, worker, device="手机A").json()["token"]
    api_key = tokens.issue(worker, TokenKind.API)[1]

    res = client.get("/api/layers/", **_auth(first))
    assert res.status_code == 401 and "撤销" in res.json()["error"]["message"]
    for key in (second, other, api_key):
        assert client.get("/api/layers/", **_auth(key)).status_code == 200
    live = tokens.live_tokens(worker).filter(kind=TokenKind.DEVICE)
    assert sorted(live.values_list("name", flat=True)) == ["手机A", "手机B"]


def test_issue_rotation_and_login_are_audited(client, city):
    worker = city.users[Role.GRID_WORKER]
    _device_login(client, worker)
    _device_login(client, worker)
    old, new = AuthToken.objects.filter(kind=TokenKind.DEVICE).order_by("created_at", "id")
    issued = Entry.objects.filter(action=AuditAction.TOKEN_ISSUED, object_type="accounts.authtoken")
    assert sorted(issued.values_list("object_id", flat=True)) == sorted([str(old.pk), str(new.pk)])
    assert all(e.detail["kind"] == TokenKind.DEVICE and e.user_id == worker.pk for e in issued)
    revoked = Entry.objects.get(action=AuditAction.TOKEN_REVOKED)
    assert revoked.object_id == str(old.pk)
    assert Entry.objects.filter(action=AuditAction.LOGIN, user_id=worker.pk).count() == 2


def test_the_login_is_the_token_endpoints_one_lockout(client, city, settings):
    """One login path: failures on the device endpoint lock the username on the token endpoint."""
    settings.LOGIN_FAILURE_LIMIT = 3
    worker = city.users[Role.GRID_WORKER]
    for _ in range(3):
        _device_login(client, worker, password="wrong")
    res = client.post("/api/auth/token/", {"username": worker.username, "password": PASSWORD})
    assert res.status_code == 429 and res.json()["error"]["code"] == "login_locked"
    assert _device_login(client, worker).json()["error"]["code"] == "login_locked"


def test_the_endpoint_is_documented(client, db):
    schema = client.get("/api/schema/?format=json").json()
    assert "DEVICE_TOKEN_TTL_DAYS" in json.dumps(schema["paths"]["/api/auth/device/"])
    assert {"id", "username", "name", "role", "role_label"} == set(
        schema["components"]["schemas"]["TokenHolder"]["properties"]
    )
