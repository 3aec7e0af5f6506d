"""API tokens: hashed in the database, one per login, expiring, listable and revocable."""

from __future__ import annotations

import json

from django.db import connection

from accounts import tokens
from accounts.models import AuthToken, TokenKind
from accounts.roles import Role
from accounts.signals import token_issued, token_revoked
from tests.builders import make_record

from .conftest import PASSWORD

TOKEN_URL = "/api/auth/token/"


def _login(client, user, *, as_json: bool = False):
    body = {"username": user.username, "password": PASSWORD}
    if as_json:
        return client.post(TOKEN_URL, json.dumps(body), content_type="application/json")
    return client.post(TOKEN_URL, body)  # form fields, as curl -d sends them


def _auth(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Token {key}"}


def test_login_by_form_or_json_gives_a_new_token_each_time(client, city):
    officer = city.users[Role.CITY_OFFICER]
    by_form = _login(client, officer)
    by_json = _login(client, officer, as_json=True)
    assert by_form.status_code == by_json.status_code == 200
    first, second = by_form.json(), by_json.json()
    assert set(first) == {"token", "expires_at"} and first["token"] != second["token"]
    assert AuthToken.objects.filter(user=officer, kind=TokenKind.API).count() == 2
    catalogue = client.get("/api/layers/", **_auth(first["token"])).json()["layers"]
    assert "field_points" in {layer["name"] for layer in catalogue}


def test_the_key_is_stored_only_as_a_hash(client, city):
    key = _login(client, city.users[Role.CITY_OFFICER]).json()["token"]
    token = AuthToken.objects.get()
    assert token.digest == tokens.digest(key) and token.prefix == key[:8]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {AuthToken._meta.db_table}")
        dump = repr(cursor.fetchall())
    assert key not in dump


def test_a_token_expires(client, city, moved_clock, settings):
    settings.API_TOKEN_TTL_HOURS = 24
    key = _login(client, city.users[Role.CITY_OFFICER]).json()["token"]
    with moved_clock(hours=23):
        assert client.get("/api/layers/", **_auth(key)).status_code == 200
    with moved_clock(hours=25):
        res = client.get("/api/layers/", **_auth(key))
        assert res.status_code == 401 and "过期" in res.json()["error"]["message"]
        # The plain views (tiles, media, the stream) look tokens up the same way.
        tile = client.get("/tiles/parcels/12/3300/1780.mvt", **_auth(key))
        assert tile.status_code == 401 and "过期" in tile.json()["error"]["message"]


def test_last_use_is_recorded_at_most_once_a_minute(client, city, moved_clock):
    key = _login(client, city.users[Role.CITY_OFFICER]).json()["token"]
    client.get("/api/layers/", **_auth(key))
    first = AuthToken.objects.get().last_used_at
    assert first is not None
    with moved_clock(seconds=30):
        client.get("/api/layers/", **_auth(key))
    assert AuthToken.objects.get().last_used_at == first
    with moved_clock(seconds=61):
        client.get("/api/layers/", **_auth(key))
    assert AuthToken.objects.get().last_used_at > first


def test_list_revoke_and_logout(client, city):
    officer = city.users[Role.CITY_OFFICER]
    keys = [_login(client, officer).json()["token"] for _ in range(3)]
    other = _login(client, city.users[Role.INVESTOR]).json()["token"]

    listed = client.get("/api/auth/tokens/", **_auth(keys[0])).json()
    assert len(listed) == 3 and all(key not in json.dumps(listed) for key in keys)
    assert {row["prefix"] for row in listed} == {key[:8] for key in keys}
    assert [row["current"] for row in listed if row["prefix"] == keys[0][:8]] == [True]
    assert set(listed[0]) == {
        "id",
        "kind",
        "name",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "current",
    }

    second = AuthToken.objects.get(digest=tokens.digest(keys[1]))
    assert client.delete(f"/api/auth/tokens/{second.pk}/", **_auth(keys[0])).status_code == 204
    res = client.get("/api/layers/", **_auth(keys[1]))
    assert res.status_code == 401 and "撤销" in res.json()["error"]["message"]
    theirs = AuthToken.objects.get(digest=tokens.digest(other))
    assert client.delete(f"/api/auth/tokens/{theirs.pk}/", **_auth(keys[0])).status_code == 404
    assert client.get("/api/layers/", **_auth(other)).status_code == 200

    assert client.post("/api/auth/logout/", **_auth(keys[2])).status_code == 204
    assert client.get("/api/layers/", **_auth(keys[2])).status_code == 401
    assert [row["prefix"] for row in client.get("/api/auth/tokens/", **_auth(keys[0])).json()] == [
        keys[0][:8]
    ]
    assert client.get("/api/auth/tokens/").status_code == 401


def test_issue_and_revoke_send_signals_for_the_audit_log(client, city):
    heard: list[tuple[str, AuthToken, object]] = []

    def on_issued(sender, token, request, **kwargs):
        heard.append(("issued", token, request))

    def on_revoked(sender, token, request, **kwargs):
        heard.append(("revoked", token, request))

    token_issued.connect(on_issued, sender=AuthToken)
    token_revoked.connect(on_revoked, sender=AuthToken)
    try:
        key = _login(client, city.users[Role.CITY_OFFICER]).json()["token"]
        client.post("/api/auth/logout/", **_auth(key))
    finally:
        token_issued.disconnect(on_issued, sender=AuthToken)
        token_revoked.disconnect(on_revoked, sender=AuthToken)
    assert [what for what, _t, _r in heard] == ["issued", "revoked"]
    assert all(t.digest == tokens.digest(key) and r is not None for _w, t, r in heard)


def test_a_wrong_password_is_a_400_in_the_platform_shape(client, city):
    res = client.post(TOKEN_URL, {"username": city.users[Role.CITY_OFFICER].username, "password": "wrong"})
    assert res.status_code == 400 and res.json()["error"]["code"] == "invalid"
    assert client.post(TOKEN_URL, {"username": "x"}).json()["error"]["fields"]["password"]


def test_tiles_take_the_same_tokens(client, city):
    make_record("field_points", city, city.inside())
    key = tokens.issue(city.users[Role.CITY_OFFICER])[1]
    assert client.get("/tiles/field_points/12/3300/1780.mvt", **_auth(key)).status_code in (200, 204)
    assert (
        client.get("/tiles/field_points/12/3300/1780.mvt", HTTP_AUTHORIZATION="Token nope").status_code == 401
    )


def test_the_endpoints_are_documented(client, db):
    paths = client.get("/api/schema/?format=json").json()["paths"]
    assert {"/api/auth/token/", "/api/auth/tokens/", "/api/auth/tokens/{id}/", "/api/auth/logout/"} <= set(
        paths
    )
    assert "expires_at" in json.dumps(paths["/api/auth/token/"])


def test_dead_tokens_are_purged_a_month_on(city, moved_clock):
    from accounts.tasks import purge_tokens

    user = city.users[Role.CITY_OFFICER]
    live, _key = tokens.issue(user, TokenKind.API)
    revoked, _key = tokens.issue(user, TokenKind.API)
    tokens.revoke(revoked)
    with moved_clock(days=20):
        assert purge_tokens() == 0
    with moved_clock(days=31):
        assert purge_tokens() == 1  # the revoked one; the live one expired only 24 days ago
    assert list(AuthToken.objects.filter(user=user)) == [live]
