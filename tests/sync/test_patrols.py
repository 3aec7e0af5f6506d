"""A patrol walked offline: ``patrol.start`` and ``patrol.finish`` in the phone's batches, applied once
whatever the replays, the finish waiting for its problems' photos, and the phone's clock corrected
by the batch's ``device_now`` without reordering its track."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from pyproj import Geod

from accounts.models import User
from accounts.roles import Role
from grid.models import EventSource, GridEvent
from layers.models import PatrolTrack
from patrols.models import ChecklistTemplate, PatrolRun, PatrolTask, TaskState
from sync.models import Operation
from tests.builders import X0, Y0, patrol_task
from tests.patrols.conftest import GOOD, ITEMS

from .conftest import jpeg, op, put_chunk, send

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 2, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SLOW = timedelta(hours=5)


def _at(moment: datetime):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def _task(city, worker) -> PatrolTask:
    template = ChecklistTemplate.objects.get_or_create(
        key="fire", defaults={"name": "消防安全检查", "items": ITEMS}
    )[0]
    return patrol_task(city, template, worker=worker, due_from=timezone.now() - timedelta(days=365))


@pytest.fixture
def task(city) -> PatrolTask:
    return _task(city, city.users[Role.GRID_WORKER])


@pytest.fixture
def colleague_task(city) -> PatrolTask:
    """A task of another worker of the cell: the grid worker does not see it."""
    colleague = User.objects.create_user(
        username="u-colleague", role=Role.GRID_WORKER, grid_cell=city.cells[0]
    )
    return _task(city, colleague)


def _walk(t0: datetime) -> tuple[dict, list[str]]:
    """Two parts with the screen locked between them: 4 vertices, then 3, a minute apart."""
    before = [[X0 + 0.01 + 0.002 * i, Y0 + 0.05] for i in range(4)]
    after = [[X0 + 0.03 + 0.002 * i, Y0 + 0.05] for i in range(3)]
    stamps = [(t0 + timedelta(minutes=i)).isoformat() for i in range(4)]
    stamps += [(t0 + timedelta(minutes=20 + i)).isoformat() for i in range(3)]
    return {"type": "MultiLineString", "coordinates": [before, after]}, stamps


def _problem(city, category, **extra) -> dict:
    where = city.inside(0)
    return {
        "uuid": str(uuid.uuid4()),
        "title": "灭火器过期",
        "lon": where.x,
        "lat": where.y,
        "category": category.key,
        **extra,
    }


def _patrol(task, city, category, t0, *, at=None, **finish) -> tuple[dict, dict]:
    """The phone's two operations: the start (its id is the run's uuid) and the finish naming it."""
    start = op("patrol.start", {"task": task.pk}, at=(at or t0).isoformat())
    geometry, stamps = _walk(t0)
    body = {"run": start["id"], "geometry": geometry, "timestamps": stamps, "results": GOOD, **finish}
    end = op("patrol.finish", body, at=(at or t0 + timedelta(minutes=30)).isoformat())
    return start, end


def test_a_patrol_in_one_batch_replayed_three_times_is_one_run_one_track_and_its_events(
    api, city, task, category
):
    worker = city.users[Role.GRID_WORKER]
    t0 = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    problems = [_problem(city, category), _problem(city, category, title="安全出口堵塞")]
    batch = _patrol(task, city, category, t0, problems=problems)
    first = send(api, worker, *batch)
    assert [a["state"] for a in first] == ["applied", "applied"], first
    for _replay in range(3):
        assert send(api, worker, *batch) == first
    run = PatrolRun.objects.get()
    started, finished = first[0]["result"], first[1]["result"]
    assert (started["record"], started["id"], started["uuid"]) == ("patrol_runs", run.pk, batch[0]["id"])
    assert str(run.uuid) == batch[0]["id"], "the start operation's id is the run's uuid"
    assert (finished["id"], finished["track"]) == (run.pk, run.track_id)
    assert PatrolTrack.objects.count() == 1 and GridEvent.objects.count() == 2
    assert sorted(finished["events"]) == sorted(run.events.values_list("pk", flat=True))
    assert set(GridEvent.objects.values_list("source", flat=True)) == {EventSource.PATROL}
    assert Operation.objects.count() == 2
    task.refresh_from_db()
    assert task.state == TaskState.DONE
    assert run.started_at == t0 and run.finished_at == t0 + timedelta(minutes=30), "when the phone says"
    # The gap between the parts is not walked: the length is that of the parts alone.
    geometry, _stamps = _walk(t0)
    parts = [Geod(ellps="WGS84").line_length(*zip(*part, strict=True)) for part in geometry["coordinates"]]
    assert [len(part) for part in run.track.geom] == [4, 3]
    assert run.length_m == pytest.approx(sum(parts), abs=0.01) and run.length_m < 1200


def test_the_finish_waits_for_a_problems_photo_then_applies(api, city, task, category):
    worker = city.users[Role.GRID_WORKER]
    content, sha = jpeg(2000)
    path = f"photos/{sha}.jpg"
    t0 = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    start, end = _patrol(task, city, category, t0, problems=[_problem(city, category, photos=[path])])
    started, waiting = send(api, worker, start, end)
    assert started["state"] == "applied"
    assert (waiting["state"], waiting["code"], waiting["photos"]) == ("waiting", "photo_missing", [path])
    run = PatrolRun.objects.get()
    assert run.finished_at is None and run.track is None, "the finish rolled back, to come again"
    assert not GridEvent.objects.exists() and not PatrolTrack.objects.exists()
    assert not Operation.objects.filter(uuid=end["id"]).exists()
    assert put_chunk(api, worker, sha, content, 0, len(content) - 1).status_code == 201
    again, applied = send(api, worker, start, end)
    assert again == started and applied["state"] == "applied"
    (event,) = GridEvent.objects.all()
    assert event.photos == [path]
    assert send(api, worker, start, end) == [started, applied]


def test_results_that_do_not_fit_reject_the_finish_naming_the_item(api, city, task, category):
    worker = city.users[Role.GRID_WORKER]
    t0 = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    start, end = _patrol(task, city, category, t0, results={**GOOD, "exits": "two"})
    started, rejected = send(api, worker, start, end)
    assert started["state"] == "applied"
    assert (rejected["state"], rejected["status"], rejected["code"]) == ("rejected", 400, "invalid")
    assert list(rejected["fields"]) == ["results.exits"]
    assert PatrolRun.objects.get().finished_at is None
    assert send(api, worker, end) == [rejected], "final: kept as it was answered"


def test_a_finish_whose_start_was_refused_is_refused_saying_so(api, city, task, category, colleague_task):
    worker = city.users[Role.GRID_WORKER]
    t0 = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    start, end = _patrol(colleague_task, city, category, t0)
    refused, orphan = send(api, worker, start, end)
    assert (refused["state"], refused["status"]) == ("rejected", 404), "not a task of theirs"
    assert (orphan["state"], orphan["status"]) == ("rejected", 404)
    assert "patrol.start" in orphan["message"]
    staff_start = op("patrol.start", {"task": task.pk})
    (forbidden,) = send(api, city.users[Role.GRID_STAFF], staff_start)
    assert (forbidden["state"], forbidden["status"], forbidden["code"]) == (
        "rejected",
        403,
        "permission_denied",
    )
    assert not PatrolRun.objects.exists()


def test_a_phone_five_hours_slow_is_read_on_the_servers_clock(api, city, task, category):
    worker = city.users[Role.GRID_WORKER]
    walked_from = NOW - timedelta(hours=1)  # really; the phone's clock says 5 hours earlier
    start, end = _patrol(task, city, category, walked_from - SLOW)
    with _at(NOW):
        response = api.as_user(worker).post(
            "/api/sync/", {"device_now": (NOW - SLOW).isoformat(), "operations": [start, end]}, format="json"
        )
    assert [a["state"] for a in response.json()["operations"]] == ["applied", "applied"], response.content
    run = PatrolRun.objects.get()
    assert run.started_at == walked_from and run.finished_at == walked_from + timedelta(minutes=30)
    _geometry, sent = _walk(walked_from - SLOW)
    times = run.track.timestamps
    assert times == [datetime.fromisoformat(t) + SLOW for t in sent], "every time moved by the same 5 hours"
    assert times == sorted(times) and run.track.started_at == walked_from
    stored = Operation.objects.get(uuid=start["id"])
    assert stored.device_time == walked_from - SLOW, "the phone's own time, kept as it was sent"
    assert stored.clock_offset_s == SLOW.total_seconds() and stored.server_time == NOW


def test_without_device_now_the_phones_times_are_taken_as_they_are(api, city, task, category):
    worker = city.users[Role.GRID_WORKER]
    t0 = timezone.now().replace(microsecond=0) - timedelta(hours=3)
    start, end = _patrol(task, city, category, t0)
    assert [a["state"] for a in send(api, worker, start, end)] == ["applied", "applied"]
    run = PatrolRun.objects.get()
    _geometry, sent = _walk(t0)
    assert run.started_at == t0 and run.track.timestamps == [datetime.fromisoformat(t) for t in sent]
    assert Operation.objects.get(uuid=start["id"]).clock_offset_s is None


def test_a_clock_within_two_minutes_is_right_and_a_future_start_is_now(api, city, task):
    worker = city.users[Role.GRID_WORKER]
    ahead = op("patrol.start", {"task": task.pk}, at=(NOW + timedelta(seconds=90)).isoformat())
    with _at(NOW):
        body = {"device_now": (NOW + timedelta(seconds=100)).isoformat(), "operations": [ahead]}
        (answer,) = api.as_user(worker).post("/api/sync/", body, format="json").json()["operations"]
    assert answer["state"] == "applied"
    assert Operation.objects.get(uuid=ahead["id"]).clock_offset_s == 0, "network latency, not skew"
    assert PatrolRun.objects.get().started_at == NOW, "not in the server's future"


@pytest.mark.parametrize("device_now", ["yesterday", "2026-13-01T08:00:00+08:00", 5])
def test_a_bad_device_now_refuses_the_batch(api, city, task, device_now):
    body = {"device_now": device_now, "operations": [op("patrol.start", {"task": task.pk})]}
    response = api.as_user(city.users[Role.GRID_WORKER]).post("/api/sync/", body, format="json")
    assert response.status_code == 400 and "device_now" in response.json()["error"]["fields"]
    assert not PatrolRun.objects.exists() and not Operation.objects.exists()
