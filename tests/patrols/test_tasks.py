"""Patrol tasks: staff assign them within their division to its workers, workers see theirs and the
shared ones of their cell, and a shared task is taken with a lock that counts down, is extended by
its holder and is free again once it runs out (a frozen clock, never sleeping)."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from patrols.models import PatrolTask
from tests.builders import X0, Y0, assert_error, make_record, polygon

pytestmark = pytest.mark.django_db
URL = "/api/patrols/tasks/"


def _body(city, template, **extra):
    now = timezone.now()
    return {
        "title": "消防巡查",
        "worker": city.users[Role.GRID_WORKER].pk,
        "template": template.pk,
        "area_kind": "cell",
        "grid_cell": city.cells[0].pk,
        "due_from": now.isoformat(),
        "due_until": (now + timedelta(days=2)).isoformat(),
        **extra,
    }


def test_staff_assign_a_cell_a_polygon_and_a_list_of_places(api, city, template):
    staff = api.as_user(city.users[Role.GRID_STAFF])
    made = staff.post(URL, _body(city, template), format="json")
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["state"], body["division_code"], body["grid_cell"]) == (
        "planned",
        city.villages[0].code,
        city.cells[0].pk,
    )
    assert (body["worker_name"], body["template_name"], body["lock"], body["last_run"]) == (
        "u-grid_worker",
        "消防安全检查",
        None,
        None,
    )
    drawn = polygon(X0 + 0.06, Y0 + 0.01, X0 + 0.07, Y0 + 0.02)
    made = staff.post(
        URL, _body(city, template, area_kind="polygon", area=drawn, grid_cell=None), format="json"
    )
    assert made.status_code == 201, made.content
    assert made.json()["grid_cell"] == city.cells[1].pk and made.json()["area"]["type"] == "Polygon"
    places = [make_record("places", city, city.inside(0, dx=d)) for d in (0.01, 0.02)]
    made = staff.post(
        URL,
        _body(city, template, area_kind="places", places=[p.pk for p in places], grid_cell=None),
        format="json",
    )
    assert made.status_code == 201, made.content
    assert sorted(made.json()["places"]) == sorted(p.pk for p in places)


def test_outside_ones_scope_is_403_and_wrong_input_is_named(api, city, template):
    staff = api.as_user(city.users[Role.GRID_STAFF])
    stranger = User.objects.create_user(
        username="u-far-worker", role=Role.GRID_WORKER, grid_cell=city.cells[2]
    )
    assert_error(staff.post(URL, _body(city, template, grid_cell=city.cells[2].pk), format="json"), 403)
    assert_error(staff.post(URL, _body(city, template, worker=stranger.pk), format="json"), 403)
    across = polygon(X0 + 0.09, Y0 + 0.01, X0 + 0.11, Y0 + 0.02)  # into the next county
    assert_error(staff.post(URL, _body(city, template, area_kind="polygon", area=across), format="json"), 403)
    assert_error(staff.post(URL, _body(city, template, worker=None), format="json"), 400, "worker")
    assert_error(
        staff.post(URL, _body(city, template, worker=city.users[Role.GRID_STAFF].pk), format="json"),
        400,
        "worker",
    )
    assert_error(staff.post(URL, _body(city, template, grid_cell=None), format="json"), 400, "grid_cell")
    late = _body(city, template)
    late["due_until"] = late["due_from"]
    assert_error(staff.post(URL, late, format="json"), 400, "due_until")
    assert_error(
        api.as_user(city.users[Role.GRID_WORKER]).post(URL, _body(city, template), format="json"), 403
    )
    assert_error(
        api.as_user(city.users[Role.DISTRICT_LEADER]).post(URL, _body(city, template), format="json"), 403
    )
    # The city's officers reach the neighbouring county.
    city_officer = api.as_user(city.users[Role.CITY_OFFICER])
    assert city_officer.post(URL, _body(city, template, worker=stranger.pk), format="json").status_code == 201
    assert PatrolTask.objects.count() == 1


def test_an_old_template_version_is_not_given_to_a_new_task(api, city, template):
    api.as_user(city.users[Role.CITY_OFFICER]).post(
        f"/api/patrols/templates/{template.pk}/revise/", {"name": "新版"}, format="json"
    )
    assert_error(
        api.as_user(city.users[Role.GRID_STAFF]).post(URL, _body(city, template), format="json"),
        400,
        "template",
    )


def test_workers_see_their_own_and_the_shared_tasks_of_their_cell(api, city, make_task, colleague):
    worker = city.users[Role.GRID_WORKER]
    mine = make_task()
    theirs = make_task(worker=colleague)
    shared = make_task(worker=None, shared=True)
    elsewhere = make_task(worker=None, shared=True, grid_cell=city.cells[2])
    listed = {t["id"] for t in api.as_user(worker).get(URL).json()["results"]}
    assert listed == {mine.pk, shared.pk}
    assert api.as_user(worker).get(f"{URL}{theirs.pk}/").status_code == 404
    assert {t["id"] for t in api.as_user(worker).get(URL, {"worker": "me"}).json()["results"]} == {mine.pk}
    staff_sees = {t["id"] for t in api.as_user(city.users[Role.GRID_STAFF]).get(URL).json()["results"]}
    assert staff_sees == {mine.pk, theirs.pk, shared.pk}, "the town's, not the next county's"
    leader = {t["id"] for t in api.as_user(city.users[Role.DISTRICT_LEADER]).get(URL).json()["results"]}
    assert leader == staff_sees
    assert elsewhere.pk in {
        t["id"] for t in api.as_user(city.users[Role.CITY_LEADER]).get(URL).json()["results"]
    }
    assert_error(api.as_user(city.users[Role.PARK_MANAGER]).get(URL), 403)
    assert_error(api.as_user(city.users[Role.GRID_STAFF]).get(URL, {"state": "lost"}), 400, "state")


def _at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def test_a_lock_counts_down_is_extended_by_its_holder_and_runs_out(api, city, make_task, colleague, settings):
    settings.PATROL_LOCK_MINUTES = 120
    task = make_task(worker=None, shared=True)
    worker = city.users[Role.GRID_WORKER]
    t0 = timezone.now()
    with _at(t0):
        taken = api.as_user(worker).post(f"{URL}{task.pk}/lock/")
    assert taken.status_code == 200, taken.content
    assert taken.json()["lock"]["holder"] == worker.pk
    with _at(t0 + timedelta(minutes=30)):
        lock = api.as_user(worker).get(f"{URL}{task.pk}/").json()["lock"]
        assert lock["seconds_left"] == 90 * 60, "the countdown the phone shows"
        error = assert_error(api.as_user(colleague).post(f"{URL}{task.pk}/lock/"), 409)
        assert error["lock"]["holder"] == worker.pk and "u-grid_worker" in error["message"]
        assert_error(api.as_user(colleague).post(f"{URL}{task.pk}/extend/"), 409)
        assert_error(api.as_user(colleague).post(f"{URL}{task.pk}/unlock/"), 409)
        extended = api.as_user(worker).post(f"{URL}{task.pk}/extend/").json()["lock"]
        assert extended["seconds_left"] == 120 * 60
    with _at(t0 + timedelta(minutes=30 + 121)):
        assert api.as_user(worker).get(f"{URL}{task.pk}/").json()["lock"] is None, "past its time: free"
        error = assert_error(api.as_user(worker).post(f"{URL}{task.pk}/extend/"), 409)
        assert error["allowed"] == ["lock"]
        taken = api.as_user(colleague).post(f"{URL}{task.pk}/lock/")
        assert taken.json()["lock"]["holder"] == colleague.pk
        # The staff of the area release a lock for a worker who walked away.
        freed = api.as_user(city.users[Role.GRID_STAFF]).post(f"{URL}{task.pk}/unlock/")
        assert freed.status_code == 200 and freed.json()["lock"] is None


def test_only_shared_tasks_are_locked_and_only_by_their_workers(api, city, make_task, colleague):
    assigned = make_task()
    assert_error(api.as_user(city.users[Role.GRID_WORKER]).post(f"{URL}{assigned.pk}/lock/"), 409)
    shared = make_task(worker=None, shared=True)
    assert_error(api.as_user(city.users[Role.GRID_STAFF]).post(f"{URL}{shared.pk}/lock/"), 403)
    elsewhere = make_task(worker=None, shared=True, grid_cell=city.cells[1])
    assert api.as_user(colleague).post(f"{URL}{elsewhere.pk}/lock/").status_code == 404


def test_the_list_filters_by_state_division_and_lateness(api, city, make_task):
    now = timezone.now()
    due = make_task()
    late = make_task(due_from=now - timedelta(days=2), due_until=now - timedelta(days=1))
    far = make_task(worker=None, shared=True, grid_cell=city.cells[2])
    officer = api.as_user(city.users[Role.CITY_OFFICER])

    def ids(**params):
        response = officer.get(URL, params)
        assert response.status_code == 200, response.content
        return {t["id"] for t in response.json()["results"]}

    assert ids() == {due.pk, late.pk, far.pk}
    assert ids(overdue="true") == {late.pk}
    assert ids(division=city.counties[1].code) == {far.pk}
    assert ids(state="planned,done") == {due.pk, late.pk, far.pk}
    assert ids(state="done") == set()
    assert ids(worker=city.users[Role.GRID_WORKER].pk) == {due.pk, late.pk}
    assert_error(officer.get(URL, {"division": "999999999999"}), 400, "division")


def test_the_worker_hears_of_a_task_and_staff_reassign_one_not_yet_walked(api, city, template, colleague):
    from inbox.models import Message

    worker = city.users[Role.GRID_WORKER]
    staff = api.as_user(city.users[Role.GRID_STAFF])
    task = staff.post(URL, _body(city, template), format="json").json()
    assert (
        Message.objects.filter(recipient=worker, kind="assignment", title="新巡查任务：消防巡查").count() == 1
    )
    reassign = f"{URL}{task['id']}/reassign/"
    assert_error(staff.post(reassign, {}, format="json"), 400, "worker")
    assert_error(
        staff.post(reassign, {"worker": city.users[Role.GRID_STAFF].pk}, format="json"), 400, "worker"
    )
    assert_error(api.as_user(worker).post(reassign, {"worker": colleague.pk}, format="json"), 403)
    moved = api.as_user(city.users[Role.GRID_STAFF]).post(reassign, {"worker": colleague.pk}, format="json")
    assert moved.status_code == 200 and moved.json()["worker"] == colleague.pk
    assert Message.objects.filter(recipient=colleague, kind="assignment").count() == 1, "the new worker hears"
    PatrolTask.objects.filter(pk=task["id"]).update(state="done")
    assert_error(staff.post(reassign, {"worker": worker.pk}, format="json"), 409)
