"""What the grid tests share: a category with time limits and a county department whose member is
the grid worker."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from grid.models import Department, EventCategory


@pytest.fixture
def category():
    return EventCategory.objects.create(
        key="road", name_zh="道路破损", name_en="Damaged road", deadlines={"accept": 1, "handle": 5}
    )


@pytest.fixture
def department(city):
    dept = Department.objects.create(name="城管局", division=city.counties[0])
    dept.members.add(city.users[Role.GRID_WORKER])
    return dept
