"""A suspected illegal land use an overlay check found becomes a grid event once it is verified."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from grid.models import EventCategory, EventSource, GridEvent
from spatial.models import Finding, OverlayCheck
from tests.spatial.builders import farmland_with_buildings, run_check

pytestmark = pytest.mark.django_db


def test_a_verified_finding_is_filed_as_one_event(api, city, settings):
    settings.GRID_FINDING_CATEGORY = "illegal_construction"
    EventCategory.objects.get_or_create(
        key="illegal_construction", defaults={"name_zh": "违法建设", "name_en": "Illegal construction"}
    )
    farmland_with_buildings(city)
    check = OverlayCheck.objects.create(kind="illegal_land_use", division=city.city)
    run_check(check.pk)
    found, other = Finding.objects.filter(check_run=check).order_by("id")[:2]
    officer = api.as_user(city.users[Role.CITY_OFFICER])
    url = f"/api/spatial/checks/{check.pk}/findings/"
    assert officer.patch(f"{url}{other.pk}/", {"verdict": "false_positive"}, format="json").status_code == 200
    for _again in range(2):
        done = officer.patch(f"{url}{found.pk}/", {"verdict": "verified"}, format="json")
        assert done.status_code == 200, done.content
    (event,) = GridEvent.objects.filter(source=EventSource.FINDING)
    assert event.title.startswith("疑似违法用地") and event.reporter == city.users[Role.CITY_OFFICER]
    assert event.geom.intersects(found.geom.buffer(0.0001)), "at the finding"
    assert event.division_code, "located in its village"
