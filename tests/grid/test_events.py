"""网格事件 from report to close: each step by its role, dispatch within scope, replays, and the
field point following its event."""

from __future__ import annotations

import uuid

import pytest

from accounts.roles import Role
from grid.models import Department, EventCategory, GridEvent
from inbox.models import Message
from layers.models import EventStatus, FieldPointCategory
from tests.builders import assert_error, event_step, make_record, report_event

pytestmark = pytest.mark.django_db


def test_an_event_from_report_to_close(api, city, category, department):
    worker, officer = city.users[Role.GRID_WORKER], city.users[Role.DISTRICT_OFFICER]
    reported = report_event(api, worker, city, category)
    assert reported.status_code == 201, reported.content
    pk = reported.json()["id"]
    assert reported.json()["grid_cell"] == city.cells[0].pk, "located in its cell"
    assert event_step(api, worker, pk, "accept").status_code == 403, "staff accept"
    assert event_step(api, officer, pk, "accept").json()["state"] == EventStatus.ACCEPTED
    assert (
        event_step(api, officer, pk, "dispatch", department=department.pk).json()["state"]
        == EventStatus.DISPATCHED
    )
    assert Message.objects.filter(recipient=worker, kind="assignment").exists(), "the department hears"
    event_step(api, worker, pk, "start")
    assert_error(event_step(api, worker, pk, "feedback"), 400, "feedback")
    assert (
        event_step(api, worker, pk, "feedback", feedback="已修复", photos=[]).json()["state"]
        == EventStatus.REPLIED
    )
    assert event_step(api, worker, pk, "verify").json()["state"] == EventStatus.VERIFIED
    closed = event_step(api, officer, pk, "close", comment="办结")
    assert closed.json()["state"] == EventStatus.CLOSED and closed.json()["closed_at"]
    assert event_step(api, worker, pk, "evaluate", score=5).json()["score"] == 5
    assert_error(event_step(api, worker, pk, "evaluate", score=4), 409)
    steps = [a["step"] for a in api.as_user(officer).get(f"/api/events/{pk}/timeline/").json()]
    assert steps == ["report", "accept", "dispatch", "start", "feedback", "verify", "close", "evaluate"]


def test_a_step_out_of_order_is_409_listing_the_allowed(api, city, category):
    pk = report_event(api, city.users[Role.GRID_WORKER], city, category).json()["id"]
    error = assert_error(event_step(api, city.users[Role.DISTRICT_OFFICER], pk, "close"), 409)
    assert set(error["allowed"]) == {"accept", "reject", "merge", "chase", "escalate"}
    assert_error(event_step(api, city.users[Role.DISTRICT_OFFICER], pk, "reject"), 400, "comment")


def test_dispatch_outside_ones_scope_is_403(api, city, category):
    officer = city.users[Role.DISTRICT_OFFICER]
    pk = report_event(api, city.users[Role.GRID_WORKER], city, category).json()["id"]
    event_step(api, officer, pk, "accept")
    elsewhere = Department.objects.create(name="邻县城管局", division=city.counties[1])
    assert_error(event_step(api, officer, pk, "dispatch", department=elsewhere.pk), 403)
    assert GridEvent.objects.get(pk=pk).state == EventStatus.ACCEPTED


def test_the_same_report_sent_twice_is_one_event(api, city, category):
    client_id = str(uuid.uuid4())
    first = report_event(api, city.users[Role.GRID_WORKER], city, category, uuid=client_id)
    again = report_event(api, city.users[Role.GRID_WORKER], city, category, uuid=client_id)
    assert (first.status_code, again.status_code) == (201, 200) and first.json()["id"] == again.json()["id"]
    assert GridEvent.objects.count() == 1


def test_a_field_point_of_a_configured_category_opens_an_event_that_it_follows(api, city, category):
    hazard, _ = FieldPointCategory.objects.get_or_create(
        key="hazard", defaults={"name_zh": "安全隐患", "name_en": "Hazard"}
    )
    # The demo's hazard category may hold the link already (configuration a reseed keeps).
    EventCategory.objects.filter(opens_from=hazard).update(opens_from=None)
    category.opens_from = hazard
    category.save()
    point = make_record(
        "field_points",
        city,
        city.inside(0),
        category=hazard,
        reporter=city.users[Role.GRID_WORKER],
        note="井盖缺失",
    )
    event = GridEvent.objects.get(field_point=point)
    assert (event.title, event.source) == ("井盖缺失", "field_point")
    event_step(api, city.users[Role.DISTRICT_OFFICER], event.pk, "accept")
    point.refresh_from_db()
    assert point.status == EventStatus.ACCEPTED


def test_grid_workers_report_only_in_their_cell_and_others_see_nothing(api, city, category):
    where = city.inside(1)
    body = {"category": category.key, "title": "x", "lon": where.x, "lat": where.y}
    assert (
        api.as_user(city.users[Role.GRID_WORKER]).post("/api/events/", body, format="json").status_code == 403
    )
    assert api.as_user(city.users[Role.INVESTOR]).get("/api/events/").status_code == 403


@pytest.mark.parametrize(
    ("field", "value"),
    [("deadlines", {"accept": 0}), ("deadlines", {"lunch": 1}), ("urgent_deadlines", {"accept": 3})],
)
def test_an_invalid_deadline_configuration_is_400_naming_the_field(api, city, category, field, value):
    client = api.as_user(city.users[Role.CITY_OFFICER])
    response = client.patch(f"/api/events/categories/{category.pk}/", {field: value}, format="json")
    assert_error(response, 400, field)
