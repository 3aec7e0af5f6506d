"""/media/ files go only to those who may read the record that owns them (geoportal/media.py)."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client, override_settings

from accounts.roles import Role
from fixtures import ingest_inputs as fx
from ingest.models import IngestJob
from tests.builders import make_record
from tests.ingest.conftest import upload

pytestmark = pytest.mark.django_db


def _stored(name: str, data: bytes = b"\xff\xd8\xff\xe0 not really a jpeg") -> str:
    if default_storage.exists(name):
        default_storage.delete(name)
    return default_storage.save(name, ContentFile(data))


def _get(user, name: str) -> int:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client.get(f"/media/{name}").status_code


@pytest.fixture
def panoramas(city):
    public = make_record(
        "panoramas", city, city.inside(0), is_public=True, thumbnail=_stored("panoramas/thumbs/pub.jpg")
    )
    internal = make_record(
        "panoramas",
        city,
        city.inside(0),
        image=_stored("panoramas/int.jpg"),
        tiles_path="panoramas/tiles/int",
    )
    _stored("panoramas/tiles/int/1/f0_0.jpg")
    return public, internal


def test_a_published_panorama_is_served_to_anyone_with_its_bytes(city, panoramas):
    response = Client().get("/media/panoramas/thumbs/pub.jpg")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8")
    assert response["Cache-Control"].startswith("public")
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "role, expected",
    [
        (None, 404),
        (Role.INVESTOR, 404),
        (Role.DISTRICT_OFFICER, 200),  # bound to county 0, where the panorama is
        (Role.CITY_LEADER, 200),
        (Role.ADMIN, 200),
    ],
)
def test_an_internal_panorama_and_its_tiles_follow_the_read_scope(city, panoramas, role, expected):
    user = city.users[role] if role else None
    assert _get(user, "panoramas/int.jpg") == expected
    assert _get(user, "panoramas/tiles/int/1/f0_0.jpg") == expected


def test_an_officer_of_another_county_gets_a_404(city, panoramas):
    from layers.models import Division

    city.users[Role.DISTRICT_OFFICER].division = Division.objects.get(pk=city.counties[1].pk)
    city.users[Role.DISTRICT_OFFICER].save()
    assert _get(city.users[Role.DISTRICT_OFFICER], "panoramas/int.jpg") == 404


def test_an_uploaded_file_goes_only_to_those_who_see_the_job(city, api):
    grid = city.users[Role.GRID_WORKER]
    response = upload(
        api.as_user(grid), fx.parcels_geojson(1), "points.geojson", kind="vector", layer="field_points"
    )
    assert response.status_code in (200, 202), response.json()
    name = IngestJob.objects.get(pk=response.json()["id"]).file.name
    assert _get(grid, name) == 200
    assert _get(city.users[Role.ADMIN], name) == 200
    assert _get(city.users[Role.INVESTOR], name) == 404
    assert _get(None, name) == 404


def test_a_carrier_photo_follows_its_carrier(city):
    photo = _stored("photos/parcel-1.jpg")
    parcel = make_record("parcels", city, city.inside(0), photos=[photo])
    assert _get(None, photo) == 404
    parcel.is_public = True
    parcel.save()
    assert _get(None, photo) == 200


def test_an_event_photo_follows_its_event_to_whoever_it_is_dispatched_to(city):
    from accounts.models import User
    from grid.models import Department, EventCategory, GridEvent

    reported, fed_back = _stored("photos/event-1.jpg"), _stored("photos/event-1-done.jpg")
    category = EventCategory.objects.create(key="media-test", name_zh="测试", name_en="Test")
    event = GridEvent(
        category=category,
        title="井盖缺失",
        geom=city.inside(0),
        reporter=city.users[Role.GRID_WORKER],
        photos=[reported],
        feedback_photos=[fed_back],
    )
    event.locate()
    event.save()
    for name in (reported, fed_back):
        assert _get(city.users[Role.GRID_STAFF], name) == 200, "staff of its area"
        assert _get(city.users[Role.INVESTOR], name) == 404
    elsewhere = Department.objects.create(name="邻县部门", division=city.counties[1])
    leader_of_other = User.objects.create_user(
        username="u-other-leader", role=Role.DISTRICT_LEADER, division=city.counties[1]
    )
    assert _get(leader_of_other, fed_back) == 404
    elsewhere.members.add(leader_of_other)
    GridEvent.objects.filter(pk=event.pk).update(department=elsewhere)
    assert _get(leader_of_other, fed_back) == 200, "dispatched to their department"


@pytest.mark.parametrize("name", ["../secret_key", "panoramas/../../secret_key", "nothing/here.jpg"])
def test_paths_outside_the_media_folder_or_unowned_are_404(city, name):
    assert _get(city.users[Role.ADMIN], name) == 404


@override_settings(MEDIA_ACCEL_REDIRECT="/_protected_media/")
def test_behind_nginx_the_file_goes_out_by_x_accel_redirect(city, panoramas):
    response = Client().get("/media/panoramas/thumbs/pub.jpg")
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == "/_protected_media/panoramas/thumbs/pub.jpg"
    assert response["Content-Type"] == "image/jpeg"
    assert response.content == b""
