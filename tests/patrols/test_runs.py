"""A run of a task: started and finished by its worker, replay-safe with the phone's uuids, results
checked against the template version (each error naming its item), problems opening events."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.contrib.gis.geos import LineString, MultiLineString
from django.utils import timezone

from accounts.roles import Role
from grid.models import EventSource, GridEvent
from layers.models import PatrolTrack
from patrols.models import PatrolRun, TaskState
from tests.builders import X0, Y0, assert_error, make_record

from .conftest import GOOD

pytestmark = pytest.mark.django_db


def _line(n=7):
    t0 = timezone.now() - timedelta(hours=1)
    coords = [[X0 + 0.01 + 0.005 * i, Y0 + 0.05] for i in range(n)]
    return {"type": "LineString", "coordinates": coords}, [
        (t0 + timedelta(minutes=i)).isoformat() for i in range(n)
    ]


def _start(api, user, task, key=None):
    return api.as_user(user).post(f"/api/patrols/tasks/{task.pk}/runs/", {"uuid": str(key or uuid.uuid4())})


def _finish(api, user, run_id, **body):
    geometry, stamps = _line()
    payload = {"geometry": geometry, "timestamps": stamps, "results": GOOD, **body}
    return api.as_user(user).post(f"/api/patrols/runs/{run_id}/finish/", payload, format="json")


def test_start_and_finish_replayed_are_the_same_run(api, city, make_task):
    worker = city.users[Role.GRID_WORKER]
    task = make_task()
    key = uuid.uuid4()
    first = _start(api, worker, task, key)
    assert first.status_code == 201, first.content
    again = _start(api, worker, task, key)
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])
    assert_error(_start(api, worker, task), 409)  # another run while this one is under way
    assert_error(_start(api, worker, make_task(), key), 400, "uuid")  # that uuid is this run's
    run_id = first.json()["id"]
    task.refresh_from_db()
    assert task.state == TaskState.IN_PROGRESS
    done = _finish(api, worker, run_id)
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["finished_at"] and body["results"] == GOOD and body["template_version"] == 1
    assert body["track_geometry"]["type"] == "MultiLineString" and body["length_m"] > 3000
    track = PatrolTrack.objects.get(pk=body["track"])
    assert track.worker == worker and len(track.timestamps) == 7
    replayed = _finish(api, worker, run_id, results={})
    assert replayed.status_code == 200 and replayed.json()["finished_at"] == body["finished_at"]
    assert PatrolTrack.objects.count() == 1 and PatrolRun.objects.count() == 1
    task.refresh_from_db()
    assert task.state == TaskState.DONE
    assert api.as_user(worker).get(f"/api/patrols/tasks/{task.pk}/").json()["last_run"]["id"] == run_id
    assert_error(_start(api, worker, task), 409)


def test_a_track_with_a_gap_is_kept_in_its_parts(api, city, make_task):
    """The screen locked and positions stopped: the phone sends the parts it recorded, and a time
    per vertex over all of them."""
    worker = city.users[Role.GRID_WORKER]
    run_id = _start(api, worker, make_task()).json()["id"]
    line, stamps = _line()
    parts = {"type": "MultiLineString", "coordinates": [line["coordinates"][:3], line["coordinates"][5:]]}
    error = assert_error(_finish(api, worker, run_id, geometry=parts), 400, "timestamps")
    assert "5" in error["fields"]["timestamps"][0], "one time per vertex of the parts"
    point = {"type": "Point", "coordinates": line["coordinates"][0]}
    error = assert_error(_finish(api, worker, run_id, geometry=point), 400, "geometry")
    assert (
        "LineString" in error["fields"]["geometry"][0] and "MultiLineString" in error["fields"]["geometry"][0]
    )
    done = _finish(api, worker, run_id, geometry=parts, timestamps=stamps[:3] + stamps[5:])
    assert done.status_code == 200, done.content
    track = PatrolTrack.objects.get(pk=done.json()["track"])
    assert [len(part) for part in track.geom] == [3, 2] and len(track.timestamps) == 5
    whole = PatrolTrack(geom=MultiLineString(LineString(line["coordinates"]), srid=4326))
    whole.derive()
    assert track.length_m == pytest.approx(whole.length_m * 3 / 6, rel=0.01), "3 of the 6 steps walked"
    assert done.json()["length_m"] == track.length_m


def test_results_that_do_not_fit_the_version_name_each_item(api, city, make_task):
    worker = city.users[Role.GRID_WORKER]
    run_id = _start(api, worker, make_task()).json()["id"]
    wrong = {"exits": "two", "wiring": "坏了", "smell": True, "note": 5}
    error = assert_error(_finish(api, worker, run_id, results=wrong), 400)
    assert set(error["fields"]) == {
        "results.extinguisher",  # required, missing
        "results.exits",  # not a number
        "results.wiring",  # not one of the choices
        "results.smell",  # not an item of this version
        "results.note",  # not text
    }
    assert "灭火器有效" in error["fields"]["results.extinguisher"][0], "said with the item's label"
    assert "良好" in error["fields"]["results.wiring"][0], "with the choices offered"
    assert PatrolRun.objects.get(pk=run_id).finished_at is None
    assert _finish(api, worker, run_id, results={**GOOD, "photo": ["a.jpg"]}).status_code == 200


def test_the_run_keeps_the_version_it_started_with(api, city, make_task, template):
    worker = city.users[Role.GRID_WORKER]
    task = make_task()
    run_id = _start(api, worker, task).json()["id"]
    revised = api.as_user(city.users[Role.CITY_OFFICER]).post(
        f"/api/patrols/templates/{template.pk}/revise/",
        {"items": [{"key": "new", "label": "新项", "type": "text", "required": True}]},
        format="json",
    )
    task.template_id = revised.json()["id"]
    task.save()
    done = _finish(api, worker, run_id)
    assert done.status_code == 200, done.content
    assert done.json()["template_version"] == 1


def test_problems_become_events_once(api, city, make_task, category):
    worker = city.users[Role.GRID_WORKER]
    run_id = _start(api, worker, make_task()).json()["id"]
    where = city.inside(0)
    problem = {
        "uuid": str(uuid.uuid4()),
        "title": "灭火器过期",
        "lon": where.x,
        "lat": where.y,
        "category": "fire_risk",
    }
    assert_error(
        _finish(api, worker, run_id, problems=[{**problem, "category": "nope"}]), 400, "problems.0.category"
    )
    assert_error(_finish(api, worker, run_id, problems=[{**problem, "lon": "east"}]), 400, "problems.0.lon")
    far = {**problem, "lon": city.inside(1).x}
    assert_error(_finish(api, worker, run_id, problems=[far]), 403)
    done = _finish(api, worker, run_id, problems=[problem])
    assert done.status_code == 200, done.content
    (event_id,) = done.json()["events"]
    event = GridEvent.objects.get(pk=event_id)
    assert (event.source, event.reporter, event.grid_cell, str(event.uuid)) == (
        EventSource.PATROL,
        worker,
        city.cells[0],
        problem["uuid"],
    )
    # The same problem sent with another run (the phone replaying its queue) is the same event.
    other = _start(api, worker, make_task()).json()["id"]
    assert _finish(api, worker, other, problems=[problem]).json()["events"] == [event_id]
    assert GridEvent.objects.count() == 1


def test_only_the_walker_runs_their_task(api, city, make_task, colleague):
    task = make_task()
    assert_error(_start(api, colleague, task), 404)  # not theirs: not even listed
    assert_error(_start(api, city.users[Role.GRID_STAFF], task), 403)
    run_id = _start(api, city.users[Role.GRID_WORKER], task).json()["id"]
    assert_error(_finish(api, city.users[Role.GRID_STAFF], run_id), 403)
    # A shared task is locked to the one who starts it.
    shared = make_task(worker=None, shared=True)
    started = _start(api, colleague, shared)
    assert started.status_code == 201 and started.json()["worker"] == colleague.pk
    assert_error(_start(api, city.users[Role.GRID_WORKER], shared), 409)


def test_a_track_uploaded_before_is_linked(api, city, make_task):
    worker = city.users[Role.GRID_WORKER]
    run_id = _start(api, worker, make_task()).json()["id"]
    track = make_record("patrol_tracks", city, city.inside(0), worker=worker)
    colleague_track = make_record("patrol_tracks", city, city.inside(0), worker=city.users[Role.CITY_OFFICER])
    assert_error(
        api.as_user(worker).post(
            f"/api/patrols/runs/{run_id}/finish/",
            {"track": colleague_track.pk, "results": GOOD},
            format="json",
        ),
        400,
        "track",
    )
    assert_error(
        api.as_user(worker).post(f"/api/patrols/runs/{run_id}/finish/", {"results": GOOD}, format="json"),
        400,
        "track",
    )
    done = api.as_user(worker).post(
        f"/api/patrols/runs/{run_id}/finish/", {"track": track.pk, "results": GOOD}, format="json"
    )
    assert done.status_code == 200 and done.json()["track"] == track.pk


def test_the_runs_list_carries_the_tracks_for_the_map(api, city, make_task, colleague):
    worker = city.users[Role.GRID_WORKER]
    task = make_task()
    run_id = _start(api, worker, task).json()["id"]
    _finish(api, worker, run_id)
    other_id = _start(api, colleague, make_task(worker=colleague)).json()["id"]
    staff = api.as_user(city.users[Role.GRID_STAFF])
    listed = staff.get("/api/patrols/runs/").json()["results"]
    assert [r["id"] for r in listed] == [other_id, run_id], "newest first"
    assert listed[1]["track_geometry"]["type"] == "MultiLineString" and listed[0]["track_geometry"] is None
    assert [r["id"] for r in staff.get("/api/patrols/runs/", {"task": task.pk}).json()["results"]] == [run_id]
    assert [r["id"] for r in staff.get("/api/patrols/runs/", {"worker": colleague.pk}).json()["results"]] == [
        other_id
    ]
    assert staff.get("/api/patrols/runs/", {"since": "2999-01-01"}).json()["results"] == []
    assert [r["id"] for r in api.as_user(worker).get("/api/patrols/runs/").json()["results"]] == [run_id]
