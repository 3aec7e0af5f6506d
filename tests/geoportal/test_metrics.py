"""/metrics (geoportal/metrics.py) and JSON log lines (geoportal/logs.py)."""

from __future__ import annotations

import io
import json
import logging
import re
from datetime import timedelta

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from core.context import RequestContextMiddleware
from geoportal import metrics
from geoportal.logs import JsonFormatter
from ingest.models import IngestJob
from jobs.models import JobStatus
from tests.builders import PASSWORD, make_record

from ..tiles.test_vector_tiles import tile_of

OUTSIDE = {"REMOTE_ADDR": "203.0.113.9"}


@pytest.fixture(autouse=True)
def _no_worker_ping(monkeypatch):
    """A ping waits its whole timeout when no worker runs; the tests need only the figure."""
    monkeypatch.setattr(metrics, "live_workers", lambda: 0.0)


def scrape(client) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    return response.content.decode()


def value(text: str, name: str, **labels: str) -> float:
    """The sample ``name{labels}`` in an exposition (0 when absent)."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_exposition_has_every_family_and_routes_are_patterns(client, db):
    client.get("/healthz/live")
    client.get("/api/layers/")
    text = scrape(client)
    for family in (
        "geoportal_http_request_duration_seconds",
        "geoportal_tile_cache_hits_total",
        "geoportal_tile_cache_misses_total",
        "geoportal_sse_connections",
        "geoportal_job_queue_length",
        "geoportal_job_queue_oldest_age_seconds",
        "geoportal_celery_queue_length",
        "geoportal_celery_workers",
    ):
        assert f"# TYPE {family.removesuffix('_total')}" in text, family
    latency = "geoportal_http_request_duration_seconds_count"
    assert value(text, latency, route="healthz/live", method="GET", status="2xx") >= 1
    assert 'route="api/layers/"' in text
    tile_route = "tiles/<str:layers>/<int:z>/<int:x>/<int:y>.mvt"
    client.get("/tiles/parcels/3/1/1.mvt")
    assert value(scrape(client), "geoportal_http_request_duration_seconds_count", route=tile_route) >= 1
    assert "/tiles/parcels/3/1/1.mvt" not in scrape(client), "never the raw path"


def test_tile_hits_and_misses_move(client, city):
    make_record("parcels", city, city.inside(), is_public=True)
    x, y = tile_of(city.inside().x, city.inside().y, 14)
    before = scrape(client)
    assert client.get(f"/tiles/parcels/14/{x}/{y}.mvt").status_code == 200  # rendered, then stored
    assert client.get(f"/tiles/parcels/14/{x}/{y}.mvt").status_code == 200  # from the cache
    after = scrape(client)
    for name in ("geoportal_tile_cache_misses_total", "geoportal_tile_cache_hits_total"):
        assert value(after, name) - value(before, name) == 1, name


def test_queue_length_and_age_reflect_a_queued_row(client, db):
    label = IngestJob._meta.label
    before = value(scrape(client), "geoportal_job_queue_length", model=label)
    IngestJob.objects.create(
        kind="vector",
        layer="parcels",
        sha256="s",
        options_hash="o",
        file="x",
        status=JobStatus.QUEUED,
        created_at=timezone.now() - timedelta(minutes=5),
    )
    text = scrape(client)
    assert value(text, "geoportal_job_queue_length", model=label) == before + 1
    assert value(text, "geoportal_job_queue_oldest_age_seconds", model=label) >= 299


def test_outside_caller_is_refused_unless_administrator(client, db, settings):
    response = client.get("/metrics", **OUTSIDE)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert response["Cache-Control"] == "no-store"
    # Behind our nginx the peer is loopback; the address nginx appended decides.
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403
    settings.METRICS_ALLOWED_IPS = ["203.0.113.0/24"]
    assert client.get("/metrics", **OUTSIDE).status_code == 200
    settings.METRICS_ALLOWED_IPS = []

    from accounts.models import User
    from accounts.roles import Role

    client.force_login(User.objects.create_user(username="plain", password=PASSWORD))
    assert client.get("/metrics", **OUTSIDE).status_code == 403
    client.force_login(User.objects.create_user(username="ops", password=PASSWORD, role=Role.ADMIN))
    assert client.get("/metrics", **OUTSIDE).status_code == 200


@pytest.fixture
def json_lines():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    loggers = [logging.getLogger("django.request"), logging.getLogger("tests.metrics")]
    for logger in loggers:
        logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    for logger in loggers:
        logger.removeHandler(handler)


def test_json_log_line_carries_the_request_id(client, db, json_lines):
    def view(request):
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("tests.metrics").exception("something %s", "happened")
        return HttpResponse("ok")

    request = RequestFactory().get("/x", HTTP_X_REQUEST_ID="req-logged-0001")
    RequestContextMiddleware(view)(request)
    # django.request logs the 403 after the request context ended, with the request itself.
    client.get("/metrics", HTTP_X_REQUEST_ID="req-refused-0002", **OUTSIDE)

    mine, refused = json_lines()
    assert mine["request_id"] == "req-logged-0001"
    assert mine["message"] == "something happened"
    assert mine["level"] == "ERROR" and mine["logger"] == "tests.metrics"
    assert "ValueError: boom" in mine["exc_info"] and mine["time"].endswith("+00:00")
    assert refused["request_id"] == "req-refused-0002"
    assert refused["status"] == 403 and refused["route"] == "metrics"
    assert "duration_ms" in refused


def test_the_last_verified_backup_is_a_timestamp(client, db):
    from backups.models import BackupJob

    assert "\ngeoportal_backup_last_success_timestamp_seconds " not in scrape(client)
    done = timezone.now() - timedelta(hours=3)
    BackupJob.objects.create(status=JobStatus.SUCCEEDED, finished_at=done)
    BackupJob.objects.create(status=JobStatus.FAILED, finished_at=timezone.now())
    assert value(scrape(client), "geoportal_backup_last_success_timestamp_seconds") == pytest.approx(
        done.timestamp()
    )
