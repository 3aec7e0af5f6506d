"""Fault drills in the tests (issue 19): a dead Redis, a dead PostgreSQL and a full media disk.

Redis is "killed" by pointing the cache and broker at a port nobody listens on: a real refused
connection, not a mock. Then the settings are restored and everything works again.
"""

from __future__ import annotations

import copy
import json
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from core.outages import OutageMiddleware
from fixtures import ingest_inputs as fx
from ingest.models import IngestJob
from tests.builders import make_record
from tests.ingest.conftest import ingest  # noqa: F401 - the fixture
from tests.tiles.test_vector_tiles import tile_of
from tiles import cache as tile_cache


def _dead_port() -> int:
    """A port on which nothing listens (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_down() -> Iterator[str]:
    dead = f"redis://127.0.0.1:{_dead_port()}/0"
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = dead
    tile_cache._redis.cache_clear()
    with override_settings(CACHES=caches, CELERY_BROKER_URL=dead):  # fresh cache connections
        yield dead
    tile_cache._redis.cache_clear()


def _tile(client, city):
    make_record("parcels", city, city.inside(), is_public=True)
    x, y = tile_of(city.inside().x, city.inside().y, 14)
    return client.get(f"/tiles/parcels/14/{x}/{y}.mvt")


def _media_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


@pytest.mark.django_db
def test_redis_down_tiles_render_uploads_refused_health_names_broker_then_recovery(
    client,
    city,
    ingest,  # noqa: F811
    redis_down,
    tmp_path,
):
    response = _tile(client, city)
    assert response.status_code == 200, response.content
    assert response.content

    with override_settings(MEDIA_ROOT=str(tmp_path)):
        refused = ingest.submit(fx.parcels_geojson(2), "p.geojson", kind="vector", layer="parcels")
        assert refused.status_code == 503, refused.content
        assert refused["Content-Type"].startswith("application/json")
        error = refused.json()["error"]
        assert error["code"] == "queue_unavailable" and error["part"] == "broker"
        # In the uploader's language (the ingest fixture's client may ask for English).
        assert "任务队列" in error["message"] or "job queue" in error["message"]
        assert not IngestJob.objects.exists()
        assert _media_files(tmp_path) == []

    health = client.get("/healthz")
    assert health.status_code == 503
    assert "broker" in health.json()["failed"]


@pytest.mark.django_db
def test_with_redis_restored_tiles_cache_and_uploads_are_accepted(client, city, ingest):  # noqa: F811
    tile_cache._redis.cache_clear()
    first = _tile(client, city)
    assert first.status_code == 200
    x, y = tile_of(city.inside().x, city.inside().y, 14)
    again = client.get(f"/tiles/parcels/14/{x}/{y}.mvt", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304  # the cache holds the versions again
    accepted = ingest.submit(fx.parcels_geojson(2), "p.geojson", kind="vector", layer="parcels")
    assert accepted.status_code == 202, accepted.content
    assert IngestJob.objects.count() == 1


def test_a_cache_connection_error_elsewhere_is_a_503_json_naming_the_cache():
    from redis.exceptions import ConnectionError as RedisConnectionError

    def view(request):
        raise RedisConnectionError("Connection refused")

    response = OutageMiddleware(view)(RequestFactory().get("/api/anything/"))
    assert response.status_code == 503 and response["Retry-After"]
    assert json.loads(response.content)["error"]["part"] == "cache"


def test_a_dead_database_is_a_fast_503_and_the_next_request_reconnects(django_db_blocker):
    """Outside a test transaction (no django_db): the drill's own alias connects for real."""
    alias = "outage_drill"
    django_db_blocker.unblock()
    dead = dict(connections["default"].settings_dict, PORT=str(_dead_port()))
    connections.settings[alias] = dead
    try:

        def view(request):
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
            return HttpResponse("ok")

        started = time.monotonic()
        response = OutageMiddleware(view)(RequestFactory().get("/api/parcels/"))
        assert time.monotonic() - started < 6
        assert response.status_code == 503, response.content
        body = json.loads(response.content)["error"]
        assert body["part"] == "database" and response["Retry-After"]
        assert connections[alias].connection is None  # closed: the next request opens a new one
        # PostgreSQL "comes back": the same alias pointed at the live server answers.
        connections.settings[alias] = dict(connections["default"].settings_dict)
        del connections[alias]
        assert OutageMiddleware(view)(RequestFactory().get("/api/parcels/")).status_code == 200
    finally:
        connections[alias].close()
        del connections[alias]
        connections.settings.pop(alias, None)
        django_db_blocker.restore()


@pytest.fixture
def tiny_media() -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    root = Path(tempfile.mkdtemp(prefix="outage-media-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(root)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        root.rmdir()
        pytest.skip(f"mount is not permitted here: {mounted.stderr.strip()}")
    try:
        with override_settings(MEDIA_ROOT=str(root)):
            yield root
    finally:
        subprocess.run(["umount", str(root)], check=False)
        root.rmdir()


@pytest.mark.django_db
def test_disk_full_on_media_is_a_507_with_nothing_half_written(ingest, tiny_media):  # noqa: F811
    data = json.loads(fx.parcels_geojson(2))
    data["padding"] = "x" * 600_000  # bigger than the 256 KiB volume
    response = ingest.submit(json.dumps(data).encode(), "big.geojson", kind="vector", layer="parcels")
    assert response.status_code == 507, response.content
    error = response.json()["error"]
    assert error["code"] == "disk_full"
    assert "存储空间已满" in error["message"] or "storage is full" in error["message"]
    assert _media_files(tiny_media) == []
    assert not IngestJob.objects.exists()


@pytest.mark.django_db
def test_a_project_document_on_a_full_disk_is_a_507_and_leaves_nothing(api, city, tiny_media):
    from accounts.roles import Role
    from projects.models import Project, ProjectAttachment
    from tests.builders import PDF, attach, document

    officer = city.users[Role.DISTRICT_OFFICER]
    project = Project.objects.create(name="满盘项目", division=city.counties[0], owner=officer)
    big = document("合同.pdf", PDF + b"%" + b"x" * 600_000)
    response = attach(api, officer, project.pk, "contract", big)
    assert response.status_code == 507, response.content
    assert response.json()["error"]["code"] == "disk_full"
    assert not ProjectAttachment.objects.exists()
    assert _media_files(tiny_media) == []
