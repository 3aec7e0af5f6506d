"""巡查异常监测: tasks missed by the beat task under a frozen clock (twice = one notice), runs below
the coverage threshold, problems still open; and the worker's day (网格员工作日志)."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.roles import Role
from grid.models import EventCategory
from inbox.models import Message
from layers.models import FieldPointCategory
from patrols.models import TaskState
from patrols.tasks import sweep_missed
from tests.builders import assert_error, make_record

from .test_runs import _finish, _start

pytestmark = pytest.mark.django_db
DAY = datetime(2026, 11, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def test_a_task_past_its_due_time_is_missed_once(city, make_task):
    worker, staff = city.users[Role.GRID_WORKER], city.users[Role.GRID_STAFF]
    late = make_task(due_from=DAY, due_until=DAY + timedelta(hours=8))
    later = make_task(due_from=DAY, due_until=DAY + timedelta(days=2))
    with _at(DAY + timedelta(hours=9)):
        assert sweep_missed() == 1
        assert sweep_missed() == 0, "a second run marks nobody"
    late.refresh_from_db()
    later.refresh_from_db()
    assert (late.state, later.state) == (TaskState.MISSED, TaskState.PLANNED)
    assert late.missed_at == DAY + timedelta(hours=9)
    for user in (worker, staff):
        notices = Message.objects.filter(recipient=user, key=f"patrol-missed:{late.pk}")
        assert notices.count() == 1, user
    # Set back by hand and swept again: the inbox still holds one notice.
    type(late).objects.filter(pk=late.pk).update(state=TaskState.PLANNED)
    with _at(DAY + timedelta(hours=10)):
        assert sweep_missed() == 1
    assert Message.objects.filter(recipient=worker, key=f"patrol-missed:{late.pk}").count() == 1


def test_the_monitor_lists_missed_low_coverage_and_open_problems(api, city, make_task, settings):
    settings.PATROL_COVERAGE_THRESHOLD = 0.8
    worker = city.users[Role.GRID_WORKER]
    # The demo's categories may be there already: configuration a reseed keeps.
    EventCategory.objects.get_or_create(key="fire_risk", defaults={"name_zh": "消防隐患", "name_en": "Fire"})
    missed = make_task(title="漏巡", due_from=DAY, due_until=DAY + timedelta(hours=1))
    with _at(DAY + timedelta(hours=2)):
        sweep_missed()
    make_record("places", city, city.inside(0, dx=0.02, dy=0.05))  # on the track
    make_record("places", city, city.inside(0, dx=0.03, dy=0.09))  # far from it: half covered
    task = make_task(title="低覆盖")
    run_id = _start(api, worker, task).json()["id"]
    where = city.inside(0)
    problem = {
        "uuid": str(uuid.uuid4()),
        "title": "通道堵塞",
        "lon": where.x,
        "lat": where.y,
        "category": "fire_risk",
    }
    finished = _finish(api, worker, run_id, problems=[problem])
    assert finished.json()["coverage"] == 0.5
    body = api.as_user(city.users[Role.GRID_STAFF]).get("/api/patrols/monitor/").json()
    assert [t["id"] for t in body["missed"]] == [missed.pk]
    assert [r["id"] for r in body["low_coverage"]] == [run_id]
    assert [e["id"] for e in body["unrectified"]] == finished.json()["events"]
    assert body["unrectified"][0]["source"] == "patrol"
    # The next county's missed task is the city's to see, not the town's.
    far = make_task(
        worker=None, shared=True, grid_cell=city.cells[2], due_from=DAY, due_until=DAY + timedelta(hours=1)
    )
    with _at(DAY + timedelta(hours=2)):
        sweep_missed()
    town = api.as_user(city.users[Role.GRID_STAFF]).get("/api/patrols/monitor/").json()
    assert [t["id"] for t in town["missed"]] == [missed.pk]
    whole = api.as_user(city.users[Role.CITY_OFFICER]).get("/api/patrols/monitor/").json()
    assert {t["id"] for t in whole["missed"]} == {missed.pk, far.pk}
    only = api.as_user(city.users[Role.CITY_OFFICER]).get(
        "/api/patrols/monitor/", {"division": city.counties[1].code}
    )
    assert [t["id"] for t in only.json()["missed"]] == [far.pk]
    settings.PATROL_COVERAGE_THRESHOLD = 0.4
    assert api.as_user(city.users[Role.GRID_STAFF]).get("/api/patrols/monitor/").json()["low_coverage"] == []


def test_a_workers_day(api, city, make_task):
    """A worker's day, at noon: the track of a run begun an hour ago falls on the same day,
    which it would not at half past midnight."""
    noon = timezone.make_aware(datetime.combine(timezone.localdate(), time(12)))
    with mock.patch("django.utils.timezone.now", return_value=noon):
        _a_workers_day(api, city, make_task)


def _a_workers_day(api, city, make_task):
    worker = city.users[Role.GRID_WORKER]
    task = make_task()
    soon = timezone.now() + timedelta(days=30)
    make_task(title="下个月的", due_from=soon, due_until=soon + timedelta(days=1))
    run_id = _start(api, worker, task).json()["id"]
    length = _finish(api, worker, run_id).json()["length_m"]
    # A category that opens no event by itself (the demo's hazards would, if a demo test ran first).
    note, _made = FieldPointCategory.objects.get_or_create(
        key="test_note", defaults={"name_zh": "记录", "name_en": "Note"}
    )
    make_record("field_points", city, city.inside(0), reporter=worker, category=note)
    make_record("field_points", city, city.inside(0), reporter=city.users[Role.CITY_OFFICER], category=note)
    log = api.as_user(worker).get("/api/patrols/worklog/").json()
    assert [t["id"] for t in log["tasks"]] == [task.pk]
    assert [r["id"] for r in log["runs"]] == [run_id]
    assert log["runs"][0]["track_geometry"]["type"] == "MultiLineString"
    assert log["distance_m"] == pytest.approx(length, abs=0.1)
    assert (log["points"], log["events"], log["worker"]) == (1, 0, worker.pk)
    staff = api.as_user(city.users[Role.GRID_STAFF])
    assert staff.get("/api/patrols/worklog/", {"worker": worker.pk}).json()["runs"][0]["id"] == run_id
    yesterday = staff.get("/api/patrols/worklog/", {"worker": worker.pk, "date": "2020-01-01"}).json()
    assert (yesterday["runs"], yesterday["distance_m"], yesterday["points"]) == ([], 0, 0)
    assert_error(
        api.as_user(city.users[Role.DISTRICT_OFFICER]).get("/api/patrols/worklog/", {"worker": 0}), 403
    )
    other = city.users[Role.CITY_OFFICER]
    assert_error(api.as_user(worker).get("/api/patrols/worklog/", {"worker": other.pk}), 403)
    assert_error(staff.get("/api/patrols/worklog/", {"worker": worker.pk, "date": "May"}), 400, "date")


def test_places_due_a_patrol_are_those_never_or_not_lately_reached(api, city, make_task):
    from layers.models import PlaceClass
    from patrols.models import PatrolRun, PlaceVisit

    weekly = PlaceClass.objects.create(
        key="rental_test", name_zh="出租屋", name_en="Rental", patrol_every_days=7
    )
    never, lately, long_ago = (
        make_record("places", city, city.inside(0, dx=d), place_class=weekly) for d in (0.01, 0.02, 0.03)
    )
    make_record("places", city, city.inside(0, dx=0.04))  # its class asks for no patrols
    make_record("places", city, city.inside(1), place_class=weekly)  # in the next county
    worker = city.users[Role.GRID_WORKER]
    task = make_task()
    run = PatrolRun.objects.create(task=task, worker=worker, template=task.template)
    now = timezone.now()
    PlaceVisit.objects.create(run=run, place=lately, visited_at=now - timedelta(days=2))
    PlaceVisit.objects.create(run=run, place=long_ago, visited_at=now - timedelta(days=10))
    due = api.as_user(city.users[Role.GRID_STAFF]).get("/api/patrols/monitor/").json()["places_due"]
    assert [(p["id"], p["every_days"]) for p in due] == [(never.pk, 7), (long_ago.pk, 7)], "never first"
    assert due[0]["last_visited_at"] is None
