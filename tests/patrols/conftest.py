"""Patrol fixtures: a template, a category for problems, a second worker in the first cell, and a way
to make tasks directly (the API's own creation is tested in test_tasks.py)."""

from __future__ import annotations

import pytest

from accounts.models import User
from accounts.roles import Role
from grid.models import EventCategory
from patrols.models import ChecklistTemplate
from tests.builders import patrol_task

ITEMS = [
    {"key": "extinguisher", "label": "灭火器有效", "type": "yes_no", "required": True},
    {"key": "exits", "label": "安全出口数", "type": "number", "required": True},
    {
        "key": "wiring",
        "label": "电线状况",
        "type": "choice",
        "required": True,
        "choices": ["良好", "老化", "私拉乱接"],
    },
    {"key": "note", "label": "备注", "type": "text", "required": False},
    {"key": "photo", "label": "现场照片", "type": "photo", "required": False},
]
GOOD = {"extinguisher": True, "exits": 2, "wiring": "良好"}


@pytest.fixture
def template(db):
    return ChecklistTemplate.objects.create(key="fire", name="消防安全检查", items=ITEMS)


@pytest.fixture
def category(db):
    # The demo's categories may be there already (configuration a reseed keeps): set its limits.
    category, _created = EventCategory.objects.update_or_create(
        key="fire_risk",
        defaults={"name_zh": "消防隐患", "name_en": "Fire risk", "deadlines": {"accept": 1, "handle": 3}},
    )
    return category


@pytest.fixture
def colleague(city):
    """Another grid worker of the first cell."""
    return User.objects.create_user(username="u-colleague", role=Role.GRID_WORKER, grid_cell=city.cells[0])


@pytest.fixture
def make_task(city, template):
    def make(**fields):
        return patrol_task(city, template, **fields)

    return make
