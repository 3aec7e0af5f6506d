"""A run of points written together (``field_point.create``'s bulk variant): each point as one saved
alone would be — derived, audited in an unbroken chain, with its history, on the wall's feed —
and every point the bulk write leaves answered by the one-by-one handler, as before."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role
from audit.models import Entry
from audit.verify import verify
from grid.models import EventCategory, GridEvent
from layers.models import FieldPoint
from sync.models import Operation, OperationState

from .conftest import jpeg, op, send

pytestmark = pytest.mark.django_db


def _points(city, n: int, county: int = 0) -> list[dict]:
    return [
        op(
            "field_point.create",
            {
                "category": "hazard",
                "note": f"第{i}处",
                "lon": city.inside(county).x + i * 1e-5,
                "lat": city.inside(county).y,
            },
        )
        for i in range(n)
    ]


def test_a_hundred_points_go_in_together_each_as_a_single_save(
    api, city, hazard, django_capture_on_commit_callbacks
):
    worker = city.users[Role.GRID_WORKER]
    batch = _points(city, 100)
    with (
        mock.patch("web.signals.publish") as feed,
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True),
    ):
        answers = send(api, worker, *batch)
    assert {a["state"] for a in answers} == {OperationState.APPLIED}
    points = FieldPoint.objects.filter(reporter=worker)
    assert points.count() == 100
    assert {p.grid_cell_id for p in points} == {city.cells[0].pk}
    assert {p.division_code for p in points} == {city.villages[0].code}
    # Each point audited, its history kept, on the wall's feed, once.
    ids = {str(p.pk) for p in points}
    assert (
        set(Entry.objects.filter(object_type="layers.fieldpoint").values_list("object_id", flat=True)) == ids
    )
    assert FieldPoint.history.filter(id__in=[p.pk for p in points], history_type="+").count() == 100
    assert feed.call_count == 100
    assert verify().ok, "the audit chain is unbroken"
    assert Operation.objects.filter(user=worker).count() == 100
    # Set-based: a few queries for the whole run, not some twenty a point.
    assert len(queries) < 150, len(queries)

    # A replay is answered from the stored rows, in one query for the run.
    with CaptureQueriesContext(connection) as replayed:
        again = send(api, worker, *batch)
    assert again == answers and FieldPoint.objects.count() == 100
    assert sum("sync_operation" in q["sql"] for q in replayed.captured_queries) == 1


def test_the_points_it_leaves_get_the_one_by_one_answers(api, city, hazard):
    worker = city.users[Role.GRID_WORKER]
    content, sha = jpeg()
    good, missing_field, elsewhere, waiting = (
        _points(city, 1)[0],
        op("field_point.create", {"category": "hazard", "lon": city.inside(0).x}),
        _points(city, 1, county=1)[0],
        op(
            "field_point.create",
            {
                "category": "hazard",
                "lon": city.inside(0).x,
                "lat": city.inside(0).y,
                "photos": [f"photos/{sha}.jpg"],
            },
        ),
    )
    answers = send(api, worker, good, missing_field, elsewhere, waiting, good)
    assert [a["state"] for a in answers] == ["applied", "rejected", "rejected", "waiting", "applied"]
    assert answers[1]["status"] == 400 and "lat" in answers[1]["fields"]
    assert answers[2]["status"] == 403
    assert answers[3]["photos"] == [f"photos/{sha}.jpg"]
    assert answers[4] == answers[0], "the same id twice in a run is one point"
    assert FieldPoint.objects.filter(reporter=worker).count() == 1


def test_a_category_that_opens_an_event_goes_one_by_one_and_opens_it(api, city, hazard):
    EventCategory.objects.create(key="hazard_event", name_zh="安全隐患", name_en="Hazard", opens_from=hazard)
    worker = city.users[Role.GRID_WORKER]
    answers = send(api, worker, *_points(city, 3))
    assert {a["state"] for a in answers} == {OperationState.APPLIED}
    assert GridEvent.objects.filter(field_point__reporter=worker).count() == 3
