"""The wall's event theme (``GET /api/wall/events/``): open events by status and county, the late
and escalated ones, the newest, and the points; the display token reads it, nothing wider."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from accounts import tokens
from accounts.models import TokenKind
from accounts.roles import Role
from grid.models import EventCategory, EventWarning, GridEvent
from layers.models import EventStatus
from tests.builders import assert_error

pytestmark = pytest.mark.django_db
URL = "/api/wall/events/"
S = EventStatus
MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _event(city, category, county, state, *, escalation=0, late=False, title="事件"):
    event = GridEvent(
        category=category,
        title=title,
        geom=city.inside(county),
        reporter=city.users[Role.GRID_WORKER],
        state=state,
        state_entered_at=MONDAY,
        escalation=escalation,
    )
    event.locate()
    event.save()
    if late:
        EventWarning.objects.create(event=event, kind="overdue", state_entered_at=MONDAY)
    return event


@pytest.fixture
def events(city):
    road = EventCategory.objects.create(key="road", name_zh="道路破损", name_en="Road")
    return {
        "late": _event(city, road, 0, S.REPORTED, late=True, title="逾期事件"),
        "escalated": _event(city, road, 0, S.HANDLING, escalation=2, title="升级事件"),
        "fine": _event(city, road, 0, S.HANDLING),
        "closed": _event(city, road, 0, S.CLOSED, late=True),
        "neighbour": _event(city, road, 1, S.DISPATCHED, late=True, title="邻县事件"),
    }


def test_the_display_token_reads_the_whole_city(client, city, events):
    _token, key = tokens.issue(city.users[Role.DISPLAY], TokenKind.DISPLAY, name="wall")
    response = client.get(URL, HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["open"], body["overdue"], body["escalated"]) == (4, 2, 1), "the closed one is not open"
    by_state = {r["state"]: r["count"] for r in body["by_status"]}
    assert by_state == {
        "reported": 1,
        "accepted": 0,
        "dispatched": 1,
        "handling": 2,
        "replied": 0,
        "verified": 0,
    }
    assert {r["state"]: r["label"] for r in body["by_status"]}["handling"] == "处置中"
    assert [(c["code"], c["name"], c["open"], c["overdue"]) for c in body["by_county"]] == [
        (city.counties[0].code, city.counties[0].name, 3, 1),
        (city.counties[1].code, city.counties[1].name, 1, 1),
    ]
    alerts = [(a["title"], a["overdue"], a["escalation"]) for a in body["alerts"]]
    assert alerts[0] == ("升级事件", False, 2), "the most escalated first"
    assert sorted(alerts[1:]) == [("逾期事件", True, 0), ("邻县事件", True, 0)]
    assert body["alerts"][0]["division_name"] == city.villages[0].name
    assert len(body["points"]) == 4 and sorted(p[3] for p in body["points"]) == [0, 0, 1, 1]
    assert len(body["recent"]) == 5
    # The token opens the wall's events, not the statistics or the event list.
    for url in ("/api/events/stats/", "/api/events/"):
        assert client.get(url, HTTP_AUTHORIZATION=f"Token {key}").status_code == 403, url


def test_a_county_leader_sees_only_its_county(api, city, events):
    body = api.as_user(city.users[Role.DISTRICT_LEADER]).get(URL).json()
    assert (body["open"], body["overdue"]) == (3, 1)
    assert "邻县事件" not in str(body)
    assert [c["code"] for c in body["by_county"]] == [city.counties[0].code]


def test_who_may_not(api, city, events):
    assert_error(api.as_user(city.users[Role.INVESTOR]).get(URL), 403)
    api.force_authenticate(None)
    assert_error(api.get(URL), 401)
