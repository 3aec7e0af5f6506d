"""标准检查项: the city keeps the templates, everyone who patrols reads them, and a revision is a new
version that leaves the old one, and the results filled in for it, as they were."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from patrols.demo import TEMPLATES
from patrols.models import ChecklistTemplate
from tests.builders import assert_error

from .conftest import ITEMS

pytestmark = pytest.mark.django_db
# The demo's templates are configuration a reseed keeps: an earlier demo test may have left them.
DEMO_KEYS = {key for key, _name, _items in TEMPLATES}
OURS = {"rental", "fire"}
URL = "/api/patrols/templates/"


def test_the_city_creates_a_template_and_staff_read_it(api, city):
    made = api.as_user(city.users[Role.CITY_OFFICER]).post(
        URL, {"key": "rental", "name": "出租屋巡查", "items": ITEMS}, format="json"
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["version"], body["items"][3]["required"], body["items"][0]["choices"]) == (1, False, [])
    for role in (Role.GRID_STAFF, Role.DISTRICT_OFFICER, Role.GRID_WORKER, Role.CITY_LEADER):
        keys = [t["key"] for t in api.as_user(city.users[role]).get(URL).json()]
        assert "rental" in keys and set(keys) <= OURS | DEMO_KEYS, role
    for role in (Role.GRID_STAFF, Role.DISTRICT_OFFICER, Role.GRID_WORKER):
        assert_error(api.as_user(city.users[role]).post(URL, {"key": "x", "name": "x", "items": ITEMS}), 403)
    assert_error(api.as_user(city.users[Role.INVESTOR]).get(URL), 403)
    assert_error(
        api.as_user(city.users[Role.CITY_OFFICER]).post(
            URL, {"key": "rental", "name": "again", "items": ITEMS}, format="json"
        ),
        400,
        "key",
    )


def test_a_revision_is_the_next_version_and_the_list_shows_the_current_one(api, city, template, make_task):
    task = make_task()
    officer = api.as_user(city.users[Role.CITY_OFFICER])
    revised = officer.post(
        f"{URL}{template.pk}/revise/", {"name": "消防安全检查（2027版）", "items": ITEMS[:2]}, format="json"
    )
    assert revised.status_code == 201, revised.content
    assert (revised.json()["version"], len(revised.json()["items"])) == (2, 2)
    current = [(t["key"], t["version"]) for t in officer.get(URL).json() if t["key"] not in DEMO_KEYS]
    assert current == [("fire", 2)], "the current version of each key only"
    assert [t["version"] for t in officer.get(URL, {"history": "fire"}).json()] == [2, 1]
    task.refresh_from_db()
    assert task.template_id == template.pk and len(task.template.items) == 5, "the task keeps its version"
    # Revising the old version still makes the next one after the newest.
    assert (
        officer.post(f"{URL}{template.pk}/revise/", {"active": False}, format="json").json()["version"] == 3
    )
    assert_error(
        api.as_user(city.users[Role.GRID_STAFF]).post(f"{URL}{template.pk}/revise/", {"active": True}), 403
    )


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([], "items"),
        ([{"key": "Bad Key", "label": "x", "type": "text"}], "items.0"),
        ([{"key": "a", "label": "x", "type": "text"}, {"key": "a", "label": "y", "type": "text"}], "items.1"),
        ([{"key": "a", "label": "x", "type": "colour"}], "items.0"),
        ([{"key": "a", "label": "x", "type": "choice", "choices": ["only"]}], "items.0"),
        ([{"key": "a", "label": "x", "type": "text", "choices": ["a", "b"]}], "items.0"),
        ([{"key": "a", "label": "", "type": "text"}], "items.0"),
    ],
)
def test_items_that_are_wrong_are_named(api, city, items, field):
    response = api.as_user(city.users[Role.CITY_OFFICER]).post(
        URL, {"key": "bad", "name": "坏模板", "items": items}, format="json"
    )
    error = assert_error(response, 400)
    assert field in error["fields"], error
    assert not ChecklistTemplate.objects.filter(key="bad").exists()
