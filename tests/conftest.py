"""Test set-up shared by the whole suite.

pytest-django's ``django_db_setup`` boots the one PostGIS test database. ``celery_worker`` starts a
real worker process (once per session) pointed at that database and at a queue of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the platform's default language: a request made by an earlier test
    (LocaleMiddleware) leaves its language active in the thread."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


def _delete_run_keys() -> None:
    client = cache._cache.get_client(write=True)  # the shared Redis: never flush it
    # Django's keys ("prefix:1:…") and the tile cache's own ("prefix:tiles:…", tiles.cache._key).
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    keys = list(client.scan_iter(f"{prefix}:*", count=10_000))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Every test starts with none of this run's cache keys (its prefix is the test database's
    name): tile and summary caches are keyed by layer data versions, which a test's rolled-back
    writes never move, and login counters live in Redis, not in the test's transaction."""
    _delete_run_keys()
    yield


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker) -> Iterator[str]:
    """A real Celery worker process on the test database; yields its hostname."""
    from tests.workers import CeleryWorker

    log = ROOT / ".data" / "log" / f"worker-{settings.TEST_DATABASE_NAME}.log"
    log.unlink(missing_ok=True)
    worker = CeleryWorker(settings.CELERY_TASK_DEFAULT_QUEUE, log)
    yield worker.hostname
    worker.stop()


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


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> Iterator[str]:
    """The small demo city ``seed_demo`` loads, once for the module, inside a transaction rolled back
    at its end; the seed's output is the value."""
    import io

    from django.core.management import call_command
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        call_command("seed_demo", scale=0.05, seed=2026, flush=True, stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)
