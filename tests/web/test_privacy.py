"""Personal data in the pages' server side: the live stream masks it per viewer, and search neither
matches on it nor returns it."""

from __future__ import annotations

import dataclasses
import json

import pytest

from accounts.roles import Role
from layers.registry import LAYERS
from tests.builders import make_record
from web import stream
from web.search import LAYER_SEARCH

pytestmark = pytest.mark.django_db


def _first_point(gen) -> dict:
    for _ in range(20):
        chunk = next(gen)
        if "event: field_point\n" in chunk:
            return json.loads(chunk.split("data: ", 1)[1])
    raise AssertionError("no field_point event")


@pytest.mark.parametrize(
    ("role", "note"), [(Role.DISPLAY, "139****5678"), (Role.CITY_OFFICER, "13912345678")]
)
def test_stream_masks_personal_fields_per_viewer(city, monkeypatch, role, note):
    """Field points carry no personal field today; one declared in the registry is masked on the
    stream, live and replayed, for viewers who may not see personal data."""
    monkeypatch.setattr(
        stream, "SPEC", dataclasses.replace(LAYERS["field_points"], personal_fields=("note",))
    )
    earlier = make_record("field_points", city, city.inside(0), note="13912345678")
    gen = stream.events(stream.field_points(city.users[role]), earlier.pk - 1, lifetime=3)
    assert _first_point(gen)["note"] == note  # the replay
    live = make_record("field_points", city, city.inside(0), note="13912345678")
    stream.publish(live)
    data = _first_point(gen)
    assert data["id"] == live.pk and data["note"] == note
    gen.close()


def test_search_never_matches_or_returns_personal_data(api, city):
    for layer, how in LAYER_SEARCH.items():
        assert not {*how.names, *how.descriptions} & set(LAYERS[layer].personal_fields), layer
    body = api.as_user(city.users[Role.PARK_MANAGER]).get("/api/search/", {"q": "13812345678"}).json()
    assert body["count"] == 0
    hits = api.get("/api/search/", {"q": city.park.name}).json()["results"]
    assert hits and "13812345678" not in json.dumps(hits) and "5678" not in json.dumps(hits)
