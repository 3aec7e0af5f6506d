"""A phone's batch of operations: each applied once whatever the replays, each answered with its
own state, and the rest of a batch applied around those refused."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from accounts.roles import Role
from audit.models import Entry
from grid.models import GridEvent
from layers.models import EventStatus, FieldPoint
from sync.models import Operation, OperationState

from .conftest import op, send

pytestmark = pytest.mark.django_db
DEVICE_TIME = datetime.fromisoformat("2026-05-01T08:30:00+08:00")


def _point(city, county=0, **data):
    where = city.inside(county)
    return {"category": "hazard", "note": "井盖缺失", "lon": where.x, "lat": where.y, **data}


def _mixed(city):
    here = city.inside(0)
    return [
        op("field_point.create", _point(city)),
        op("field_point.create", {"category": "hazard", "lon": here.x}),
        op("field_point.create", _point(city, county=1)),
        op("patrol.teleport", {}),
        op("event.report", {"category": "road", "title": "路面塌陷", "lon": here.x, "lat": here.y}),
    ]


def test_a_mixed_batch_applies_the_valid_and_says_why_each_other_is_refused(api, city, hazard, category):
    worker = city.users[Role.GRID_WORKER]
    batch = _mixed(city)
    answers = send(api, worker, *batch)
    assert [a["id"] for a in answers] == [o["id"] for o in batch], "every operation, in order"
    assert [a["state"] for a in answers] == ["applied", "rejected", "rejected", "rejected", "applied"]
    missing, outside, unknown = answers[1], answers[2], answers[3]
    assert (missing["status"], list(missing["fields"])) == (400, ["lat"])
    assert outside["status"] == 403 and outside["code"] == "permission_denied"
    assert (unknown["status"], unknown["code"]) == (400, "unknown_type")
    point = FieldPoint.objects.get(pk=answers[0]["result"]["id"])
    assert (answers[0]["result"]["version"], point.reporter, point.grid_cell) == (
        point.version,
        worker,
        city.cells[0],
    )
    assert str(point.uuid) == batch[0]["id"]
    event = GridEvent.objects.get(pk=answers[4]["result"]["id"])
    assert str(event.uuid) == batch[4]["id"] and event.reporter == worker
    assert FieldPoint.objects.count() == 1 and GridEvent.objects.count() == 1


def test_device_time_is_kept_server_time_recorded_and_the_record_audited(api, city, hazard):
    before = timezone.now()
    sent = op("field_point.create", _point(city))
    (answer,) = send(api, city.users[Role.GRID_WORKER], sent)
    point = FieldPoint.objects.get(pk=answer["result"]["id"])
    stored = Operation.objects.get(uuid=sent["id"])
    assert point.reported_at == DEVICE_TIME, "reported when tagged in the field"
    assert stored.device_time == DEVICE_TIME
    assert stored.server_time >= before and stored.server_time - DEVICE_TIME > timedelta(days=1)
    assert Entry.objects.filter(object_type="layers.fieldpoint", object_id=str(point.pk)).exists()
    assert not Entry.objects.filter(object_type="sync.operation").exists(), "bookkeeping"
    assert (stored.state, stored.type, stored.user) == (
        OperationState.APPLIED,
        "field_point.create",
        point.reporter,
    )


def test_the_gps_accuracy_at_capture_is_kept_and_shown_in_the_layer_api(api, city, hazard):
    worker = city.users[Role.GRID_WORKER]
    precise, unmeasured, negative, too_far = send(
        api,
        worker,
        op("field_point.create", _point(city, accuracy=8.5)),
        op("field_point.create", _point(city)),
        op("field_point.create", _point(city, accuracy=-1)),
        op("field_point.create", _point(city, accuracy=10_001)),
    )
    assert [a["state"] for a in (precise, unmeasured)] == ["applied", "applied"]
    assert FieldPoint.objects.get(pk=precise["result"]["id"]).accuracy_m == 8.5
    assert FieldPoint.objects.get(pk=unmeasured["result"]["id"]).accuracy_m is None
    for refused in (negative, too_far):
        assert (refused["state"], list(refused["fields"])) == ("rejected", ["accuracy"])
    shown = api.as_user(worker).get(f"/api/field_points/{precise['result']['id']}/").json()
    assert shown["properties"]["accuracy_m"] == 8.5


def test_a_point_tagged_on_a_phone_hours_slow_is_reported_at_the_servers_time(api, city, hazard):
    sent = op("field_point.create", _point(city))
    device_now = timezone.now() - timedelta(hours=5)
    response = api.as_user(city.users[Role.GRID_WORKER]).post(
        "/api/sync/", {"device_now": device_now.isoformat(), "operations": [sent]}, format="json"
    )
    (answer,) = response.json()["operations"]
    point = FieldPoint.objects.get(pk=answer["result"]["id"])
    stored = Operation.objects.get(uuid=sent["id"])
    assert stored.device_time == DEVICE_TIME and stored.clock_offset_s == pytest.approx(5 * 3600, abs=5)
    assert point.reported_at - DEVICE_TIME == pytest.approx(timedelta(hours=5), abs=timedelta(seconds=5))


def test_the_same_batch_replayed_three_times_duplicates_nothing(api, city, hazard, category):
    worker = city.users[Role.GRID_WORKER]
    batch = _mixed(city)
    first = send(api, worker, *batch)
    for _ in range(3):
        assert send(api, worker, *batch) == first
    assert FieldPoint.objects.count() == 1 and GridEvent.objects.count() == 1
    assert Operation.objects.count() == len(batch)


def test_an_operation_twice_in_one_batch_is_applied_once(api, city, hazard):
    sent = op("field_point.create", _point(city))
    first, again = send(api, city.users[Role.GRID_WORKER], sent, sent)
    assert first == again and first["state"] == "applied"
    assert FieldPoint.objects.count() == 1


def test_a_reused_uuid_with_another_body_is_refused(api, city, hazard):
    worker = city.users[Role.GRID_WORKER]
    sent = op("field_point.create", _point(city))
    (applied,) = send(api, worker, sent)
    (reused,) = send(api, worker, {**sent, "data": _point(city, note="另一处")})
    assert (reused["state"], reused["code"]) == ("rejected", "uuid_reused")
    (other_user,) = send(api, city.users[Role.DISTRICT_OFFICER], sent)
    assert other_user["code"] == "uuid_reused", "nobody replays another's operation"
    assert FieldPoint.objects.get().note == "井盖缺失"
    assert send(api, worker, sent) == [applied], "the original still replays"


def test_a_malformed_operation_is_refused_and_the_batch_limit_is_100(api, city):
    worker = city.users[Role.GRID_WORKER]
    (bad_id,) = send(api, worker, {**op("field_point.create", {}), "id": "not-a-uuid"})
    assert (bad_id["state"], list(bad_id["fields"])) == ("rejected", ["id"])
    (bad_at,) = send(api, worker, op("field_point.create", {}, at="yesterday"))
    assert list(bad_at["fields"]) == ["at"]
    too_many = [op("field_point.create", {}) for _ in range(101)]
    response = api.as_user(worker).post("/api/sync/", {"operations": too_many}, format="json")
    assert response.status_code == 400 and "operations" in response.json()["error"]["fields"]
    assert Operation.objects.count() == 0


def test_who_may_sync(api, city):
    assert api.post("/api/sync/", {"operations": []}, format="json").status_code == 401
    investor = api.as_user(city.users[Role.INVESTOR]).post("/api/sync/", {"operations": []}, format="json")
    assert investor.status_code == 403
    assert (
        send(api, city.users[Role.DISTRICT_LEADER], op("field_point.create", _point(city)))[0]["status"]
        == 403
    )


def _handling_event(api, city, category):
    """An event the grid worker reported by sync and now handles, and its version."""
    worker, officer = city.users[Role.GRID_WORKER], city.users[Role.DISTRICT_OFFICER]
    here = city.inside(0)
    (reported,) = send(
        api,
        worker,
        op("event.report", {"category": "road", "title": "路灯不亮", "lon": here.x, "lat": here.y}),
    )
    pk = reported["result"]["id"]
    assert api.as_user(officer).post(f"/api/events/{pk}/actions/accept/").status_code == 200
    dispatched = api.as_user(officer).post(
        f"/api/events/{pk}/actions/dispatch/", {"handler": worker.pk}, format="json"
    )
    assert dispatched.status_code == 200, dispatched.content
    version = dispatched.json()["version"]
    (started,) = send(api, worker, op("event.step", {"event": pk, "step": "start"}, base_version=version))
    assert started["state"] == "applied" and started["result"]["version"] == version + 1
    return pk, version + 1


def test_feedback_on_an_event_changed_since_the_phone_read_it_is_a_conflict(api, city, category):
    worker, officer = city.users[Role.GRID_WORKER], city.users[Role.DISTRICT_OFFICER]
    pk, read = _handling_event(api, city, category)
    assert api.as_user(officer).post(f"/api/events/{pk}/actions/chase/").status_code == 200
    feedback = {"event": pk, "step": "feedback", "feedback": "已更换灯泡", "photos": []}
    (stale,) = send(api, worker, op("event.step", feedback, base_version=read))
    assert (stale["state"], stale["current_version"], stale["fields"]) == ("conflict", read + 1, ["feedback"])
    assert stale["record_state"] == EventStatus.HANDLING
    event = GridEvent.objects.get(pk=pk)
    assert (event.feedback, event.state) == ("", EventStatus.HANDLING), "nothing written"
    (fresh,) = send(api, worker, op("event.step", feedback, base_version=read + 1))
    assert fresh["state"] == "applied" and GridEvent.objects.get(pk=pk).feedback == "已更换灯泡"


def test_the_workflows_refusals_become_the_operations_states(api, city, category):
    worker = city.users[Role.GRID_WORKER]
    pk, version = _handling_event(api, city, category)
    (not_now,) = send(api, worker, op("event.step", {"event": pk, "step": "verify"}, base_version=version))
    assert not_now["state"] == "conflict" and "feedback" in not_now["allowed"]
    assert not_now["current_version"] == version
    (no_text,) = send(api, worker, op("event.step", {"event": pk, "step": "feedback"}, base_version=version))
    assert (no_text["state"], no_text["status"], list(no_text["fields"])) == ("rejected", 400, ["feedback"])
    (not_yours,) = send(api, worker, op("event.step", {"event": pk, "step": "chase"}))
    assert (not_yours["state"], not_yours["status"]) == ("rejected", 403)
    (unknown,) = send(api, worker, op("event.step", {"event": 999999, "step": "start"}))
    assert (unknown["state"], unknown["status"]) == ("rejected", 404)
    assert GridEvent.objects.get(pk=pk).version == version
