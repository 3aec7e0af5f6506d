"""The pages' server side: page views, search, wall numbers, the live stream and its auth."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.contrib.gis.geos import Point
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts import tokens
from accounts.models import AuthToken, TokenKind
from accounts.roles import Role
from core import sse
from core.auth import issue_ticket as stream_ticket
from layers.models import Division, FieldPoint
from projects.models import CountyTarget, Project
from tests.builders import make_record
from web import stream


def page_config(html: str) -> dict:
    return json.loads(html.split('id="page-config" type="application/json">')[1].split("</script>")[0])


@pytest.fixture
def display_token(city):
    return tokens.issue(city.users[Role.DISPLAY], TokenKind.DISPLAY)[1]


# --- pages -------------------------------------------------------------------------------------


def test_investment_map_is_chinese_first(client, db):
    res = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert res.status_code == 200
    html = res.content.decode()
    assert "云浮招商地图" in html and 'lang="zh-CN"' in html
    config = page_config(html)
    assert config["lang"] == "zh"
    assert config["pannellum"]["js"].endswith("pannellum.js")
    assert "/static/web/map.js" in html and "//cdn" not in html and "https://" not in html
    assert "csrftoken" in res.cookies


def test_english_is_one_click_away_and_sticks(client, db):
    # The page's words come from frontend/src/map/dict.js (tests/web/test_browser.py reads them).
    res = client.get("/?lang=en")
    assert page_config(res.content.decode())["lang"] == "en"
    assert res.cookies["django_language"].value == "en"
    again = client.get("/")  # the cookie now chooses English
    assert 'lang="en"' in again.content.decode() and page_config(again.content.decode())["lang"] == "en"


def test_wall_needs_a_display_token_or_a_staff_login(client, city, display_token):
    assert client.get("/wall/").status_code == 403
    assert client.get("/wall/?token=nonsense").status_code == 403
    investor = tokens.issue(city.users[Role.INVESTOR])[1]
    assert client.get(f"/wall/?token={investor}").status_code == 403  # not a display token
    api_key = tokens.issue(city.users[Role.DISPLAY])[1]
    assert client.get(f"/wall/?token={api_key}").status_code == 403  # the display user's API token
    res = client.get(f"/wall/?token={display_token}&rotate=12")
    assert res.status_code == 200
    assert res["Referrer-Policy"] == "no-referrer"
    html = res.content.decode()
    config = page_config(html)
    assert config["token"] == display_token and config["rotate"] == 12 and config["ticket"]
    assert config["pixelRatio"] is None  # the screen's own unless asked
    wall = f"/wall/?token={display_token}"
    options = page_config(client.get(f"{wall}&rotate=1&pixelratio=0.5").content.decode())
    assert options["rotate"] == 5 and options["pixelRatio"] == 0.5  # clamped to sane values
    nonsense = page_config(client.get(f"{wall}&rotate=x&pixelratio=y").content.decode())
    assert nonsense["rotate"] == 30 and nonsense["pixelRatio"] is None
    client.force_login(city.users[Role.CITY_LEADER])
    assert client.get("/wall/").status_code == 200
    client.force_login(city.users[Role.INVESTOR])
    assert client.get("/wall/").status_code == 403


def test_wall_token_command(city):
    display = city.users[Role.DISPLAY]
    out = StringIO()
    call_command("wall_token", username=display.username, stdout=out)
    key = out.getvalue().strip().rsplit("?token=", 1)[1]
    token = AuthToken.objects.get(user=display, kind=TokenKind.DISPLAY)
    assert token.digest == tokens.digest(key) and key not in token.digest  # stored as a hash only
    # The key is shown once: without --rotate the command will not issue a second URL.
    with pytest.raises(CommandError, match="--rotate"):
        call_command("wall_token", username=display.username, stdout=StringIO())
    out = StringIO()
    call_command("wall_token", username=display.username, rotate=True, stdout=out)
    new_key = out.getvalue().strip().rsplit("?token=", 1)[1]
    assert new_key != key
    token.refresh_from_db()
    assert token.revoked_at is not None  # the old URL stops working
    assert [t.digest for t in tokens.live_tokens(display)] == [tokens.digest(new_key)]
    with pytest.raises(CommandError):
        call_command("wall_token", username=city.users[Role.CITY_OFFICER].username, stdout=StringIO())


# --- search ------------------------------------------------------------------------------------


def test_search_by_code_name_and_address(api, city):
    parcel = make_record(
        "parcels", city, city.inside(0), is_public=True, name="凤凰工业园一号地块", code="YF-TEST-0001"
    )
    make_record("parcels", city, city.inside(1), is_public=False, name="凤凰内部地块")
    make_record("amenities", city, city.inside(1), name="人民医院", address="凤凰大道88号")
    res = api.get("/api/search/", {"q": "凤凰"})
    assert res.status_code == 200
    hits = {(h["layer"], h["name"]) for h in res.json()["results"]}
    assert ("parcels", "凤凰工业园一号地块") in hits
    assert ("amenities", "人民医院") in hits  # by address
    assert ("parcels", "凤凰内部地块") not in hits  # unpublished: not for anonymous visitors
    by_code = api.get("/api/search/", {"q": "yf-test", "layers": "parcels"}).json()["results"]
    assert [h["id"] for h in by_code] == [parcel.pk]
    hit = by_code[0]
    assert len(hit["bbox"]) == 4 and hit["bbox"][0] <= hit["center"][0] <= hit["bbox"][2]
    staff = api.as_user(city.users[Role.CITY_OFFICER]).get("/api/search/", {"q": "凤凰内部"}).json()
    assert [h["name"] for h in staff["results"]] == ["凤凰内部地块"]


@pytest.mark.parametrize(
    "params", [{}, {"q": ""}, {"q": "x" * 61}, {"q": "a", "layers": "grid_cells"}, {"q": "a", "limit": "x"}]
)
def test_search_input_errors(api, db, params):
    res = api.get("/api/search/", params)
    assert res.status_code == 400
    assert res.json()["error"]["code"] == "invalid"


# --- wall numbers ------------------------------------------------------------------------------


def test_wall_summary_and_points(api, city, display_token):
    site = make_record("project_sites", city, city.inside(0), stage="signed")
    Project.objects.create(
        code=site.project_code,
        name=site.project_name,
        stage="signed",
        card="red",
        investment_wan=250,
        division=city.counties[0],
        owner=city.users[Role.DISTRICT_OFFICER],
    )
    CountyTarget.objects.create(
        division=city.counties[0], year=timezone.localdate().year, investment_wan=1000
    )
    make_record("project_sites", city, city.inside(1), stage="lead")
    make_record("field_points", city, city.inside(0))
    make_record("parcels", city, city.inside(0), supply_status="available", is_public=True)
    assert api.get("/api/wall/summary/").status_code == 401
    assert api.as_user(city.users[Role.INVESTOR]).get("/api/wall/summary/").status_code == 403
    api.force_authenticate(None)
    api.credentials(HTTP_AUTHORIZATION=f"Token {display_token}")
    data = api.get("/api/wall/summary/").json()
    stages = {s["stage"]: s["count"] for s in data["stages"]}
    assert stages["signed"] == 1 and stages["lead"] == 1 and data["projects"] == 2
    signed = next(s for s in data["stages"] if s["stage"] == "signed")
    assert (signed["yellow"], signed["red"]) == (0, 1), "the funnel shows the stage's cards"
    assert data["field_points"]["today"] == 1 and data["field_points"]["total"] == 1
    assert data["carriers"]["parcels_available"] == 1
    assert [c["code"] for c in data["counties"]] == [c.code for c in city.counties]
    assert data["categories"][0]["key"] == "hazard"
    # The projects theme: signed this year against the annual target, and the signing by month.
    assert data["signed"]["projects"] == 1 and data["signed"]["investment_wan"] == 250
    assert data["target"]["investment_wan"] == 1000 and data["target"]["completion"] == 0.25
    assert data["signed"]["by_month"][-1] == {
        "month": timezone.localdate().strftime("%Y-%m"),
        "value": 250,
        "mom": None,
        "yoy": None,
        "partial": True,
    }
    assert data["field_points"]["by_month"][-1]["value"] == 1
    assert data["field_points"]["by_category"] == [{"key": "hazard", "count": 1}]
    assert data["carriers"]["by_land_use"][0]["count"] == 1
    # County names for the map, on a point inside each county.
    assert all(
        Division.objects.get(code=c["code"]).geom.contains(Point(*c["point"], srid=4326))
        for c in data["counties"]
    )
    points = api.get("/api/wall/points/", {"days": 7}).json()
    assert points["count"] == 1
    lon, lat = points["points"][0]
    assert abs(lon - city.inside(0).x) < 1e-4 and abs(lat - city.inside(0).y) < 1e-4


# --- the live stream -------------------------------------------------------------------------


def _read(gen, event: str, limit: int = 20) -> dict:
    for _ in range(limit):
        chunk = next(gen)
        if f"event: {event}\n" in chunk:
            return json.loads(chunk.split("data: ", 1)[1])
    raise AssertionError(f"no {event} event")


def test_stream_forwards_new_points_the_viewer_may_see(city):
    gen = stream.events(stream.field_points(city.users[Role.DISPLAY]), None, lifetime=5)
    hello = _read(gen, "hello")
    assert hello["lifetime_s"] == 5
    point = make_record("field_points", city, city.inside(1), note="路灯倒伏")
    stream.publish(point)
    data = _read(gen, "field_point")
    assert data["id"] == point.pk and data["note"] == "路灯倒伏"
    assert data["category"] == "hazard" and data["places"][0] == city.counties[1].name
    gen.close()


def test_stream_cuts_to_the_viewers_scope(city):
    worker = city.users[Role.GRID_WORKER]  # bound to the first cell of county 0
    gen = stream.events(stream.field_points(worker), None, lifetime=4)
    _read(gen, "hello")
    elsewhere = make_record("field_points", city, city.inside(1))
    mine = make_record("field_points", city, city.inside(0))
    stream.publish(elsewhere)
    stream.publish(mine)
    assert _read(gen, "field_point")["id"] == mine.pk
    gen.close()


def test_stream_replays_what_a_reconnecting_wall_missed(city):
    first = make_record("field_points", city, city.inside(0))
    second = make_record("field_points", city, city.inside(1))
    gen = stream.events(stream.field_points(city.users[Role.DISPLAY]), first.pk, lifetime=2)
    _read(gen, "hello")
    assert _read(gen, "field_point")["id"] == second.pk
    rest = "".join(gen)  # ends by itself after its lifetime, asking the client to reconnect
    assert "event: bye" in rest and f"id: {first.pk}\n" not in rest


def test_stream_slots_are_bounded(city, settings):
    display = city.users[Role.DISPLAY]
    open_streams = [
        stream.events(stream.field_points(display), None, lifetime=5)
        for _ in range(settings.WEB_STREAM_SLOTS)
    ]
    for gen in open_streams:
        _read(gen, "hello")
    refused = "".join(stream.events(stream.field_points(display), None, lifetime=5))
    assert "event: busy" in refused and "retry: 15000" in refused
    open_streams.pop().close()  # a closed stream frees its slot
    again = stream.events(stream.field_points(display), None, lifetime=1)
    assert _read(again, "hello")
    for gen in [again, *open_streams]:
        gen.close()


def test_saving_a_new_point_publishes_it_after_commit(city, django_capture_on_commit_callbacks):
    listener = sse._redis().pubsub(ignore_subscribe_messages=True)
    listener.subscribe(stream.channel())

    def heard() -> list[int]:
        ids = []
        while message := listener.get_message(timeout=0.5):
            ids.append(json.loads(message["data"])["id"])
        return ids

    try:
        with django_capture_on_commit_callbacks(execute=True):
            point = make_record("field_points", city, city.inside(0))
            assert heard() == []  # nothing before the transaction commits
        assert heard() == [point.pk]
        point.note = "edited"
        with django_capture_on_commit_callbacks(execute=True):
            point.save()
        assert heard() == []  # edits are not new events
    finally:
        listener.close()


def test_stream_view_auth(client, city, display_token, settings):
    res = client.get("/api/stream/field-points/")
    assert res.status_code == 401 and res.json()["error"]["code"] == "not_authenticated"
    res = client.get("/api/stream/field-points/?ticket=forged")
    assert res.status_code == 401
    investor = tokens.issue(city.users[Role.INVESTOR])[1]
    res = client.get("/api/stream/field-points/", HTTP_AUTHORIZATION=f"Token {investor}")
    assert res.status_code == 403
    ticket = stream_ticket(tokens.by_key(display_token))
    settings.WEB_STREAM_LIFETIME = 1
    res = client.get(f"/api/stream/field-points/?ticket={ticket}")
    assert res.status_code == 200
    assert res["Content-Type"].startswith("text/event-stream") and res["X-Accel-Buffering"] == "no"
    body = b"".join(res.streaming_content).decode()
    assert body.startswith("retry: ") and "event: hello" in body and "event: bye" in body
    # Revoking the display token stops its ticket too.
    tokens.revoke(tokens.by_key(display_token))
    assert client.get(f"/api/stream/field-points/?ticket={ticket}").status_code == 401


def test_point_payload_has_no_personal_data(city):
    point = make_record("field_points", city, city.inside(0), reporter=city.users[Role.GRID_WORKER])
    data = stream.payload(FieldPoint.objects.select_related("category").get(pk=point.pk))
    assert "reporter" not in data and "reporter_id" not in data


def test_the_privacy_notice_in_both_languages(client, db, settings):
    zh = client.get("/privacy/")
    assert zh.status_code == 200 and "个人信息保护法" in zh.content.decode()
    en = client.get("/privacy/?lang=en")
    assert en.status_code == 200 and "Personal Information Protection Law" in en.content.decode()
    # Encryption at rest is promised only where it is on.
    assert "加密保存" not in zh.content.decode() and "stored encrypted" not in en.content.decode()
    settings.NATIONAL_CRYPTO = True
    assert "加密保存" in client.get("/privacy/?lang=zh").content.decode()
