"""Event statistics on a constructed set of events whose every step has a fixed time (the clock of
each row is written, never read): counts by division, category and status, the on-time rate, the
median of each step in hours and working days, the caller's scope, and the workbook."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from accounts.roles import Role
from audit.models import Entry
from grid.models import TIMED_STEPS, EventAction, EventCategory, EventWarning, GridEvent
from layers.models import EventStatus
from tests.builders import assert_error

pytestmark = pytest.mark.django_db
S = EventStatus
MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
URL = "/api/events/stats/"


def at(day: int, hour: int) -> datetime:
    """``day`` days after Monday 2 November 2026, at ``hour`` o'clock (Asia/Shanghai)."""
    return MONDAY.replace(hour=hour) + timedelta(days=day)


def make_event(city, category, county, reported, steps, *, escalation=0):
    """An event reported at ``reported`` that went through ``steps`` [(step, from, to, when)]."""
    event = GridEvent(
        category=category,
        title="测试事件",
        geom=city.inside(county),
        reporter=city.users[Role.GRID_WORKER],
        escalation=escalation,
    )
    event.locate()
    event.save()
    state, entered, dispatched = S.REPORTED, reported, None
    for step, before, after, when in steps:
        # As the workflow writes it: a timed step starts with the stay it ends, handling with the
        # latest dispatch.
        started = (dispatched if step == "feedback" else entered) if step in TIMED_STEPS else None
        EventAction.objects.create(
            event=event, step=step, from_state=before, to_state=after, at=when, step_started_at=started
        )
        if after == S.DISPATCHED:
            dispatched = when
        if after != before:
            state, entered = after, when
    GridEvent.objects.filter(pk=event.pk).update(
        created_at=reported,
        state=state,
        state_entered_at=entered,
        closed_at=entered if state == S.CLOSED else None,
    )
    event.refresh_from_db()
    return event


def overdue(event, entered):
    EventWarning.objects.create(event=event, kind="overdue", state_entered_at=entered)


@pytest.fixture
def events(city):
    """County 0: two closed roads (one of them late once), a late escalated fire still reported and
    a fire accepted after a late report. County 1: one road, accepted."""
    road = EventCategory.objects.create(key="road", name_zh="道路破损", name_en="Road")
    fire = EventCategory.objects.create(key="fire", name_zh="消防隐患", name_en="Fire")
    on_time = make_event(
        city,
        road,
        0,
        at(0, 9),
        [
            ("report", S.REPORTED, S.REPORTED, at(0, 9)),
            ("accept", S.REPORTED, S.ACCEPTED, at(0, 11)),  # 2 h
            ("chase", S.ACCEPTED, S.ACCEPTED, at(0, 12)),  # changes no state: not a clock
            ("dispatch", S.ACCEPTED, S.DISPATCHED, at(0, 15)),  # 4 h
            ("start", S.DISPATCHED, S.HANDLING, at(1, 9)),
            ("feedback", S.HANDLING, S.REPLIED, at(2, 9)),  # handle: 42 h from the dispatch
            ("verify", S.REPLIED, S.VERIFIED, at(2, 13)),  # 4 h
            ("close", S.VERIFIED, S.CLOSED, at(2, 14)),
        ],
    )
    twice = make_event(
        city,
        road,
        0,
        at(0, 9),
        [
            ("accept", S.REPORTED, S.ACCEPTED, at(1, 9)),  # 24 h, 1 working day
            ("dispatch", S.ACCEPTED, S.DISPATCHED, at(1, 13)),  # 4 h
            ("redispatch", S.DISPATCHED, S.DISPATCHED, at(2, 9)),  # the handle clock restarts
            ("start", S.DISPATCHED, S.HANDLING, at(2, 10)),
            ("feedback", S.HANDLING, S.REPLIED, at(3, 9)),  # handle: 24 h
            ("verify_failed", S.REPLIED, S.HANDLING, at(3, 10)),
            ("feedback", S.HANDLING, S.REPLIED, at(4, 10)),  # handle: 49 h, 2 working days
            ("verify", S.REPLIED, S.VERIFIED, at(4, 12)),  # 2 h
            ("close", S.VERIFIED, S.CLOSED, at(4, 13)),
        ],
    )
    overdue(twice, at(1, 9))  # late once, in its accepted stay: not on time
    late = make_event(city, fire, 0, at(0, 9), [], escalation=1)
    overdue(late, at(0, 9))
    recovered = make_event(city, fire, 0, at(1, 9), [("accept", S.REPORTED, S.ACCEPTED, at(1, 10))])  # 1 h
    overdue(recovered, at(1, 9))  # late when it was reported, not in the state it is in now
    neighbour = make_event(city, road, 1, at(0, 9), [("accept", S.REPORTED, S.ACCEPTED, at(0, 19))])  # 10 h
    return {"road": road, "fire": fire, "on_time": on_time, "twice": twice, "neighbour": neighbour}


def _by(rows, key):
    return {r[key]: r for r in rows}


def test_a_county_officer_gets_its_towns_categories_and_states(api, city, events):
    body = api.as_user(city.users[Role.DISTRICT_OFFICER]).get(URL).json()
    assert body["division"]["code"] == city.counties[0].code and body["by"] == "town"
    totals = body["totals"]
    assert {k: totals[k] for k in ("count", "open", "closed", "overdue", "escalated")} == {
        "count": 4,
        "open": 2,
        "closed": 2,
        "overdue": 1,  # the recovered fire was late, but not in the state it is in now
        "escalated": 1,
    }
    assert totals["on_time_rate"] == 0.5
    assert totals["median_hours"] == {"accept": 2.0, "dispatch": 4.0, "handle": 42.0, "verify": 3.0}
    assert totals["median_workdays"] == {"accept": 0.0, "dispatch": 0.0, "handle": 2.0, "verify": 0.0}
    assert [(r["division"], r["name"], r["count"]) for r in body["by_division"]] == [
        (city.towns[0].code, city.towns[0].name, 4)
    ], "its own towns only: never the neighbour's"
    road, fire = (_by(body["by_category"], "category")[key] for key in ("road", "fire"))
    assert (road["count"], road["closed"], road["on_time_rate"]) == (2, 2, 0.5)
    assert road["median_hours"]["handle"] == 42.0
    assert (fire["count"], fire["overdue"], fire["on_time_rate"]) == (2, 1, None)
    states = _by(body["by_status"], "state")
    assert list(states) == list(S.values), "every state, in order"
    counted = {s: r["count"] for s, r in states.items() if r["count"]}
    assert counted == {"reported": 1, "accepted": 1, "closed": 2}
    assert states["reported"]["label"] == "已上报"
    assert states["accepted"]["median_hours"]["accept"] == 1.0


def test_the_city_sees_its_counties_and_every_event(api, city, events):
    body = api.as_user(city.users[Role.CITY_LEADER]).get(URL).json()
    assert body["by"] == "county"
    assert [(r["division"], r["count"]) for r in body["by_division"]] == [
        (city.counties[0].code, 4),
        (city.counties[1].code, 1),
    ]
    assert body["totals"]["count"] == 5
    assert body["totals"]["median_hours"]["accept"] == 6.0, "2, 24, 1 and the neighbour's 10 hours"


def test_a_town_sees_its_villages_and_a_division_below_narrows(api, city, events):
    staff = city.users[Role.GRID_STAFF]  # bound to towns[0]
    body = api.as_user(staff).get(URL).json()
    assert body["by"] == "village"
    assert [(r["division"], r["count"]) for r in body["by_division"]] == [(city.villages[0].code, 4)]
    leader = city.users[Role.CITY_LEADER]
    narrowed = api.as_user(leader).get(URL, {"division": city.counties[1].code}).json()
    assert narrowed["totals"]["count"] == 1 and narrowed["by"] == "town"


def test_filters_by_category_and_date_of_report(api, city, events):
    officer = city.users[Role.DISTRICT_OFFICER]
    fire = api.as_user(officer).get(URL, {"category": "fire"}).json()
    assert fire["totals"]["count"] == 2 and [r["category"] for r in fire["by_category"]] == ["fire"]
    tuesday = api.as_user(officer).get(URL, {"since": "2026-11-03", "until": "2026-11-03"}).json()
    assert tuesday["totals"]["count"] == 1 and tuesday["totals"]["median_hours"]["accept"] == 1.0


def test_refusals(api, city, events):
    officer = city.users[Role.DISTRICT_OFFICER]
    assert_error(api.as_user(officer).get(URL, {"division": city.counties[1].code}), 403)
    assert_error(api.as_user(officer).get(URL, {"division": "999999999999"}), 400, "division")
    assert_error(api.as_user(officer).get(URL, {"since": "2026-13-01"}), 400, "since")
    assert_error(api.as_user(officer).get(URL, {"category": "nope"}), 400, "category")
    assert_error(api.as_user(officer).get(URL, {"category": "nope", "format": "xlsx"}), 400, "category")
    assert_error(api.as_user(city.users[Role.INVESTOR]).get(URL), 403)
    api.force_authenticate(None)
    assert_error(api.get(URL), 401)


def test_nothing_in_scope_is_zeros(api, city):
    body = api.as_user(city.users[Role.DISTRICT_OFFICER]).get(URL).json()
    assert body["totals"]["count"] == 0 and body["totals"]["on_time_rate"] is None
    assert body["totals"]["median_hours"]["accept"] is None
    assert [r["count"] for r in body["by_division"]] == [0]


def test_the_workbook_holds_the_same_numbers_and_is_audited(api, city, events):
    officer = city.users[Role.DISTRICT_OFFICER]
    response = api.as_user(officer).get(URL, {"format": "xlsx"})
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "看数水印" in rows[0][0]
    header = list(rows[2])
    assert header[:9] == ["分组", "代码", "名称", "事件数", "在办", "已结案", "逾期", "已升级", "按时办结率"]
    table = {(r[0], r[1] or ""): dict(zip(header, r, strict=True)) for r in rows[3:]}
    totals = table[("合计", "")]
    assert (totals["事件数"], totals["在办"], totals["逾期"], totals["已升级"], totals["按时办结率"]) == (
        4,
        2,
        1,
        1,
        0.5,
    )
    assert totals["处置中位时长（小时）"] == 42.0 and totals["处置中位时长（工作日）"] == 2.0
    assert table[("区划", city.towns[0].code)]["事件数"] == 4
    assert table[("事件类别", "fire")]["逾期"] == 1
    assert table[("状态", "closed")]["事件数"] == 2
    assert not any(code == city.counties[1].code or code == city.towns[1].code for _g, code in table)
    entry = Entry.objects.filter(action="export", object_type="grid.stats").get()
    assert entry.user_id == officer.pk and entry.detail["filters"] == {"format": "xlsx"}
