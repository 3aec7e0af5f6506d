"""The event list's filters and pages, the desk's map, and the people one may dispatch to."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from grid.models import GridEvent
from layers.models import EventStatus
from tests.builders import assert_error, event_step, report_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(api, city, category, department):
    worker, officer = city.users[Role.GRID_WORKER], city.users[Role.CITY_OFFICER]
    made = [report_event(api, worker, city, category, title=f"事件{n}").json()["id"] for n in range(3)]
    far = report_event(api, officer, city, category, county=1, title="邻县事件").json()["id"]
    event_step(api, officer, made[0], "accept")
    event_step(api, officer, made[0], "dispatch", department=department.pk)
    GridEvent.objects.filter(pk=made[1]).update(card="overdue", escalation=1, urgent=True)
    return [*made, far]


def _ids(api, user, **params):
    response = api.as_user(user).get("/api/events/", params)
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_each_filter_narrows_what_the_caller_reads(api, city, events):
    first, second, third, far = events
    officer = city.users[Role.CITY_OFFICER]
    assert _ids(api, officer) == {first, second, third, far}
    assert _ids(api, officer, state="dispatched") == {first}
    assert _ids(api, officer, card="any") == _ids(api, officer, card="overdue") == {second}
    assert _ids(api, officer, escalated="true") == {second}
    assert _ids(api, officer, urgent="true") == {second}
    assert _ids(api, officer, division=city.counties[1].code) == {far}
    assert _ids(api, officer, q="事件2") == {third}
    assert _ids(api, officer, handler="me") == set()
    assert _ids(api, city.users[Role.GRID_WORKER], handler="me") == {first}, "through their department"
    assert _ids(api, officer, bbox="113.0,22.0,113.1,22.1") == set()
    # The district officer's own county only, whatever the filter asks for.
    assert _ids(api, city.users[Role.DISTRICT_OFFICER], division=city.counties[1].code) == set()


@pytest.mark.parametrize(
    ("param", "value"),
    [("state", "lost"), ("card", "red"), ("since", "yesterday"), ("bbox", "1,2,3"), ("order", "x")],
)
def test_a_filter_it_cannot_use_is_400_naming_it(api, city, events, param, value):
    assert_error(api.as_user(city.users[Role.CITY_OFFICER]).get("/api/events/", {param: value}), 400, param)


def test_the_list_comes_in_pages(api, city, events):
    page = api.as_user(city.users[Role.CITY_OFFICER]).get("/api/events/", {"page_size": 2}).json()
    assert page["count"] == 4 and len(page["results"]) == 2 and page["next"]
    row = page["results"][0]
    assert row["category_name"] == "道路破损" and row["reporter_name"]


def test_the_map_is_geojson_of_the_same_filters(api, city, events):
    body = api.as_user(city.users[Role.CITY_OFFICER]).get("/api/events/map/", {"state": "reported"}).json()
    assert body["type"] == "FeatureCollection"
    assert {f["id"] for f in body["features"]} == {events[1], events[2], events[3]}
    props = body["features"][0]["properties"]
    assert props["state"] == EventStatus.REPORTED and props["category"] == "road"


def test_people_to_dispatch_to_are_those_of_ones_area(api, city):
    town = city.users[Role.GRID_STAFF]
    people = api.as_user(town).get("/api/events/people/").json()
    assert {p["id"] for p in people} == {city.users[Role.GRID_WORKER].pk, town.pk}
    assert api.as_user(city.users[Role.GRID_WORKER]).get("/api/events/people/").status_code == 403
