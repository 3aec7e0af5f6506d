"""/healthz/live (the process), /healthz/ready (database, cache, broker) and /healthz (everything,
workers and the beat scheduler included; details for staff only)."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.core.cache import cache

from geoportal import health
from tests.builders import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def no_workers():
    return {"ok": False, "live": 0}


def broken():
    raise ConnectionError("connection refused")


@pytest.fixture
def staff(db, client):
    """The test client logged in as a staff user, who sees the full /healthz report."""
    from accounts.models import User

    client.force_login(User.objects.create_user(username="ops", password=PASSWORD, is_staff=True))
    return client


@pytest.fixture
def beat_ticked():
    """A fresh beat heartbeat, as HeartbeatScheduler leaves on every tick."""
    health.record_beat_tick()
    yield
    cache.delete(health.BEAT_HEARTBEAT_KEY)


@pytest.mark.worker
@pytest.mark.django_db
def test_healthz_reports_versions_live_workers_and_beat_to_staff(staff, celery_worker, beat_ticked):
    response = staff.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok" and body["failed"] == []
    database = body["checks"]["database"]
    assert database["postgis"].startswith("3.")
    assert database["geos"] and database["proj"] and database["gdal"].startswith("GDAL")
    assert body["checks"]["workers"]["live"] >= 1
    assert body["checks"]["cache"]["ok"] and body["checks"]["broker"]["ok"]
    assert body["checks"]["beat"]["ok"] and body["checks"]["beat"]["last_tick_seconds_ago"] < 60
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_no_worker_fails_the_full_report_but_not_readiness(client, monkeypatch, beat_ticked):
    monkeypatch.setitem(health.PROBES, "workers", no_workers)
    full = client.get("/healthz")
    assert full.status_code == 503
    assert full.json()["failed"] == ["workers"]

    ready = client.get("/healthz/ready")
    body = ready.json()
    assert ready.status_code == 200, body
    assert body["checks"] == {"database": {"ok": True}, "cache": {"ok": True}, "broker": {"ok": True}}


@pytest.mark.django_db
def test_readiness_details_are_for_staff(staff):
    body = staff.get("/healthz/ready").json()
    assert body["checks"]["database"]["postgis"].startswith("3.")


@pytest.mark.django_db
def test_anonymous_and_non_staff_callers_get_status_only(client, city, monkeypatch, beat_ticked):
    """No versions, error text, worker counts or timings: they tell an attacker what to try."""
    from accounts.roles import Role

    monkeypatch.setitem(health.PROBES, "workers", lambda: {"ok": True, "live": 3})
    monkeypatch.setitem(health.PROBES, "broker", broken)
    expected = {
        "status": "fail",
        "failed": ["broker", "workers"],
        "checks": {
            "database": {"ok": True},
            "cache": {"ok": True},
            "broker": {"ok": False},
            "workers": {"ok": False},
            "beat": {"ok": True},
        },
    }
    anonymous = client.get("/healthz")
    assert anonymous.status_code == 503
    assert anonymous.json() == expected
    assert anonymous["Cache-Control"] == "no-store"
    client.force_login(city.users[Role.CITY_OFFICER])
    assert client.get("/healthz").json() == expected


@pytest.mark.django_db
def test_staff_get_the_details(staff, monkeypatch, beat_ticked):
    monkeypatch.setitem(health.PROBES, "workers", lambda: {"ok": True, "live": 3})
    body = staff.get("/healthz").json()
    assert body["checks"]["database"]["postgis"].startswith("3.")
    assert body["checks"]["workers"]["live"] == 3 and "ms" in body["checks"]["cache"]


@pytest.mark.django_db
def test_staff_get_the_details_with_an_api_token(client, monkeypatch, beat_ticked):
    """A monitoring script logs in the documented way, POST /api/auth/token/."""
    from accounts.models import User

    User.objects.create_user(username="ops", password=PASSWORD, is_staff=True)
    login = client.post("/api/auth/token/", {"username": "ops", "password": PASSWORD})
    assert login.status_code == 200, login.content
    monkeypatch.setitem(health.PROBES, "workers", lambda: {"ok": True, "live": 3})
    body = client.get("/healthz", HTTP_AUTHORIZATION=f"Token {login.json()['token']}").json()
    assert body["checks"]["workers"]["live"] == 3


@pytest.mark.django_db
def test_a_bad_token_is_401_in_the_error_shape(client):
    response = client.get("/healthz", HTTP_AUTHORIZATION="Token not-a-token")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


@pytest.mark.django_db
def test_staff_still_get_a_report_when_the_database_is_down(staff, monkeypatch):
    """Who the caller is lives in the database: when it is down the caller gets the public report,
    not a 500."""
    from django.contrib.auth import middleware

    def unreachable(request):
        raise ConnectionError("database unreachable")

    monkeypatch.setattr(middleware, "get_user", unreachable)
    monkeypatch.setitem(health.PROBES, "database", broken)
    response = staff.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {"ok": False}


@pytest.mark.django_db
def test_a_silent_beat_fails_the_full_report(staff, monkeypatch, settings):
    client = staff
    monkeypatch.setitem(health.PROBES, "workers", lambda: {"ok": True, "live": 1})
    cache.delete(health.BEAT_HEARTBEAT_KEY)
    body = client.get("/healthz").json()
    assert body["failed"] == ["beat"]
    assert "no beat scheduler" in body["checks"]["beat"]["error"]

    cache.set(health.BEAT_HEARTBEAT_KEY, time.time() - settings.HEALTH_BEAT_MAX_AGE - 5)
    try:
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["checks"]["beat"]["ok"] is False
    finally:
        cache.delete(health.BEAT_HEARTBEAT_KEY)


@pytest.mark.django_db
def test_healthz_names_the_broker_when_redis_is_unreachable(staff, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    for url in ("/healthz", "/healthz/ready"):
        response = staff.get(url)
        body = response.json()
        assert response.status_code == 503, url
        assert "broker" in body["failed"]
        assert body["checks"]["broker"]["ok"] is False
        assert "error" in body["checks"]["broker"]


@pytest.mark.django_db
def test_healthz_names_the_database_when_postgis_is_unreachable(client, monkeypatch):
    monkeypatch.setitem(health.PROBES, "database", broken)
    monkeypatch.setitem(health.READY_PROBES, "database", broken)
    for url in ("/healthz", "/healthz/ready"):
        response = client.get(url)
        assert response.status_code == 503, url
        assert "database" in response.json()["failed"]


def test_liveness_asks_nothing_else(client, monkeypatch):
    """No django_db mark: a database query here would be refused by pytest-django."""
    for name in ("database", "cache", "broker"):
        monkeypatch.setitem(health.READY_PROBES, name, broken)
        monkeypatch.setitem(health.PROBES, name, broken)
    response = client.get("/healthz/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.worker
def test_beat_runs_the_schedule_and_reports_its_ticks(settings, tmp_path):
    """A real `celery -A geoportal beat`: it sends the stalled-job recovery at once and its
    heartbeat turns the beat probe green. Its messages go to a queue of its own, deleted after."""
    import redis

    cache.delete(health.BEAT_HEARTBEAT_KEY)
    queue = f"beat-test-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "beat.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "geoportal.settings.test",
        "CELERY_QUEUE": queue,
        "CELERY_BEAT_SCHEDULE_FILENAME": str(tmp_path / "celerybeat-schedule"),
        # A new schedule entry first runs one interval after beat starts: make that one second.
        "JOBS_RECOVER_EVERY": "1",
    }
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "geoportal", "beat", "--loglevel", "INFO"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not health.probe_beat()["ok"]:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.3)
        assert health.probe_beat()["ok"], log.read_text()
        while time.monotonic() < deadline and "jobs.recover_stalled" not in log.read_text():
            time.sleep(0.3)
        assert "Sending due task recover-stalled-jobs (jobs.recover_stalled)" in log.read_text()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(queue)
        cache.delete(health.BEAT_HEARTBEAT_KEY)
    assert (tmp_path / "celerybeat-schedule").exists() or list(tmp_path.glob("celerybeat-schedule*"))
