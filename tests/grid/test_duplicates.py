"""疑似重复: the same category, near and soon after, suggested; merged into the one kept."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.roles import Role
from grid.models import GridEvent
from inbox.models import Message
from layers.models import EventStatus
from tests.builders import assert_error, event_step, report_event

pytestmark = pytest.mark.django_db


def _at(city, dx):
    where = city.inside(0, dx=0.01 + dx)
    return {"lon": where.x, "lat": where.y}


def test_a_repeat_nearby_is_suggested_and_merged_into_the_first(api, city, category):
    worker, staff = city.users[Role.GRID_WORKER], city.users[Role.GRID_STAFF]
    first = report_event(api, worker, city, category, **_at(city, 0)).json()["id"]
    repeat = report_event(api, worker, city, category, **_at(city, 0.0003)).json()["id"]  # ~30 m
    far = report_event(api, worker, city, category, **_at(city, 0.002)).json()["id"]  # ~200 m
    late = report_event(api, worker, city, category, **_at(city, 0.0001)).json()["id"]
    GridEvent.objects.filter(pk=late).update(
        created_at=GridEvent.objects.get(pk=first).created_at + timedelta(hours=30)
    )

    suggested = api.as_user(staff).get(f"/api/events/{repeat}/duplicates/").json()
    assert [e["id"] for e in suggested] == [first], "within 50 m and 24 h of it; not the far or late ones"
    assert far not in {e["id"] for e in api.as_user(staff).get(f"/api/events/{first}/duplicates/").json()}

    assert_error(event_step(api, staff, repeat, "merge"), 400, "into")
    assert_error(event_step(api, staff, repeat, "merge", into=repeat), 400, "into")
    assert_error(event_step(api, worker, repeat, "merge", into=first), 403)
    merged = event_step(api, staff, repeat, "merge", into=first).json()
    assert (merged["state"], merged["merged_into"]) == (EventStatus.MERGED, first)
    assert "merge" in [a["step"] for a in api.as_user(staff).get(f"/api/events/{first}/timeline/").json()]
    assert Message.objects.filter(recipient=worker, title__startswith="已合并").count() == 1
    assert set(event_step(api, staff, repeat, "merge", into=first).json()["error"]["allowed"]) == set()


def test_a_merge_into_a_closed_or_other_category_event_is_refused(api, city, category):
    from grid.models import EventCategory

    staff = city.users[Role.GRID_STAFF]
    other = EventCategory.objects.create(key="noise", name_zh="噪音", name_en="Noise")
    first = report_event(api, staff, city, other).json()["id"]
    repeat = report_event(api, staff, city, category).json()["id"]
    error = assert_error(event_step(api, staff, repeat, "merge", into=first), 400, "into")
    assert GridEvent.objects.get(pk=first).code in error["message"]
