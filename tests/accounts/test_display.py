"""The wall's display token: it opens the wall, its stream and what the wall draws, nothing else."""

from __future__ import annotations

import pytest

from accounts import tokens
from accounts.models import TokenKind
from accounts.roles import Role
from core.auth import issue_ticket
from policy.predicates import may_use_display_token
from tests.builders import make_record
from tests.tiles.test_vector_tiles import tile_of

WALL_TILES = "divisions,parks,parcels,buildings,project_sites,field_points"  # frontend/src/wall/main.js


@pytest.fixture
def display(city):
    token, key = tokens.issue(city.users[Role.DISPLAY], TokenKind.DISPLAY, name="wall")
    return token, key


def _auth(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Token {key}"}


def _tile(city) -> str:
    x, y = tile_of(city.inside().x, city.inside().y, 12)
    return f"12/{x}/{y}.mvt"


def test_a_display_token_opens_the_wall_and_what_it_draws(client, city, display, settings):
    token, key = display
    point = make_record("field_points", city, city.inside(), reporter=city.users[Role.GRID_WORKER])
    assert client.get(f"/wall/?token={key}").status_code == 200
    for url in [
        "/api/wall/summary/",
        "/api/wall/points/",
        "/api/spatial/rollup?level=county&layer=field_points",
        "/api/field_points/?ordering=-reported_at&page_size=12",
        f"/tiles/{WALL_TILES}/{_tile(city)}",
    ]:
        assert client.get(url, **_auth(key)).status_code == 200, url
    settings.WEB_STREAM_LIFETIME = 1
    stream = client.get(f"/api/stream/field-points/?ticket={issue_ticket(token)}")
    assert stream.status_code == 200
    b"".join(stream.streaming_content)
    assert point.pk


@pytest.mark.parametrize(
    "url",
    [
        "/api/patrol_tracks/",
        "/api/grid_cells/",
        "/api/field_points/{point}/",
        "/api/field_points/{point}/history/",
        "/api/parcels/",
        "/api/layers/",
        "/api/auth/tokens/",
        "/api/spatial/rollup?level=county&layer=patrol_tracks",
        "/api/search/?q=a",
        "/tiles/patrol_tracks/{tile}",
        "/tiles/grid_cells/{tile}",
        "/tiles/field_points,grid_cells/{tile}",
    ],
)
def test_a_display_token_is_refused_on_the_rest_of_the_api(client, city, display, url):
    _token, key = display
    point = make_record("field_points", city, city.inside())
    res = client.get(url.format(point=point.pk, tile=_tile(city)), **_auth(key))
    assert res.status_code == 403
    assert res.json()["error"]["code"] == "permission_denied" and "大屏令牌" in res.json()["error"]["message"]


def test_a_ticket_is_as_narrow_as_its_display_token(client, city, display):
    token, _key = display
    ticket = issue_ticket(token)
    assert client.get(f"/tiles/patrol_tracks/{_tile(city)}?ticket={ticket}").status_code == 403
    assert client.get(f"/media/panoramas/x.jpg?ticket={ticket}").status_code == 403


def test_an_api_token_cannot_open_the_wall_url(client, city):
    api_key = tokens.issue(city.users[Role.DISPLAY])[1]  # the display user's own login token
    assert client.get(f"/wall/?token={api_key}").status_code == 403


def test_rotation_stops_the_old_url_and_its_tickets(client, city, display, settings):
    token, key = display
    ticket = issue_ticket(token)
    _new, new_key = tokens.rotate_display(city.users[Role.DISPLAY])
    assert client.get(f"/wall/?token={key}").status_code == 403
    assert client.get("/api/wall/summary/", **_auth(key)).status_code == 401
    assert client.get(f"/api/stream/field-points/?ticket={ticket}").status_code == 401
    assert client.get(f"/wall/?token={new_key}").status_code == 200


def test_a_display_token_lasts_long_but_not_forever(city, moved_clock, settings):
    settings.DISPLAY_TOKEN_TTL_DAYS = 365
    token, key = tokens.issue(city.users[Role.DISPLAY], TokenKind.DISPLAY)
    with moved_clock(days=364):
        assert tokens.by_key(key) == token
    with moved_clock(days=366), pytest.raises(tokens.TokenRefused):
        tokens.by_key(key)


def test_only_display_roles_are_given_display_tokens(city):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="display"):
        call_command("wall_token", "--username", city.users[Role.CITY_OFFICER].username)


def test_the_rule_is_declared_in_policy():
    assert may_use_display_token("web:wall-summary")
    assert may_use_display_token("vector-tile", ["parcels", "field_points"])
    assert not may_use_display_token("vector-tile", ["patrol_tracks"])
    assert not may_use_display_token("field_points-history", ["field_points"])
    assert not may_use_display_token("patrol_tracks-list")
    assert not may_use_display_token("")
