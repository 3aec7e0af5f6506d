"""Test set-up shared by the whole suite.

pytest-django's ``django_db_setup`` boots the one PostGIS test database. ``celery_worker`` starts a
real worker process (once per session) pointed at that database and at a queue of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]


def _database_url() -> str:
    """The URL of the database this test session really uses (the test database)."""
    db = settings.DATABASES["default"]
    auth = f"{quote(db['USER'])}:{quote(db['PASSWORD'])}@" if db["USER"] else ""
    return f"postgis://{auth}{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker) -> Iterator[str]:
    """A real Celery worker process on the test database; yields its hostname."""
    from geoportal.celery import app

    hostname = f"test-{uuid.uuid4().hex[:8]}@localhost"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "geoportal.settings.test",
        "DATABASE_URL": _database_url(),
        "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
    }
    log_path = ROOT / ".data" / "log" / f"worker-{settings.TEST_DATABASE_NAME}.log"
    log = open(log_path, "w")  # noqa: SIM115 - lives as long as the worker
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "geoportal",
            "worker",
            "--loglevel",
            "INFO",
            "--pool",
            "prefork",
            "--concurrency",
            "1",
            "--hostname",
            hostname,
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the Celery worker exited early; see {log.name}")
        if hostname in (app.control.inspect(destination=[hostname], timeout=0.5).ping() or {}):
            break
    else:
        proc.kill()
        raise RuntimeError(f"the Celery worker did not answer within 60 s; see {log.name}")
    yield hostname
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture
def city(db):
    """A tiny nested city with one user per role (see tests/builders.py)."""
    from tests.builders import build_city

    return build_city()


@pytest.fixture
def api():
    """A DRF client; ``api.as_user(user)`` authenticates it."""
    from rest_framework.test import APIClient

    client = APIClient()

    def as_user(user):
        client.force_authenticate(user)
        return client

    client.as_user = as_user
    return client
