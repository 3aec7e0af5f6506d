"""An overlay check whose worker is killed with SIGKILL is finished exactly once, by the beat
schedule's recovery sweep and a new worker (real processes throughout)."""

from __future__ import annotations

import time
import uuid

import pytest
from django.conf import settings
from django.db import connection, connections, transaction

from jobs.models import JobStatus
from jobs.tasks import run_job
from spatial.models import Finding, OverlayCheck
from tests.spatial.builders import building, parcel
from tests.workers import ROOT, CeleryBeat, CeleryWorker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _wait(what, timeout: float, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(step)
    raise AssertionError(f"not there in {timeout} s")


def _blocked_on_a_lock() -> bool:
    """Some other backend of this database waits for a lock (the worker, on the findings table)."""
    with connections["default"].cursor() as cursor:
        # Statistics are a snapshot per transaction, and this runs inside the test's.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0] > 0


def test_a_check_whose_worker_is_killed_is_finished_exactly_once(city):
    farm = parcel(city, city.inside(dx=0.06, dy=0.06), side_m=200, land_use="agricultural", is_public=False)
    building(city, city.inside(dx=0.06, dy=0.06), side_m=40, name="违建")
    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-check-{uuid.uuid4().hex[:6]}"
    log = ROOT / ".data" / "log" / f"worker-check-{settings.TEST_DATABASE_NAME}.log"
    lease = "4"
    check = OverlayCheck.objects.create(kind="illegal_land_use", division=city.city)

    # Hold the findings table so that the worker stops inside its final transaction, after it
    # found everything and before anything is committed; then kill it there.
    first = CeleryWorker(queue, log, name="check", JOBS_LEASE_SECONDS=lease)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("LOCK TABLE spatial_finding IN ACCESS EXCLUSIVE MODE")
            run_job.apply_async(("spatial.OverlayCheck", check.pk), queue=queue)
            _wait(_blocked_on_a_lock, timeout=60)
            running = OverlayCheck.objects.get(pk=check.pk)
            assert running.status == JobStatus.RUNNING and running.attempts == 1
            first.kill()
    finally:
        first.stop()
    killed = OverlayCheck.objects.get(pk=check.pk)
    assert killed.status == JobStatus.RUNNING, "nothing was committed by the killed worker"
    assert not Finding.objects.exists()

    second = CeleryWorker(queue, log, name="check", JOBS_LEASE_SECONDS=lease)
    beat = CeleryBeat(queue, log, JOBS_LEASE_SECONDS=lease, JOBS_RECOVER_EVERY="1")
    try:
        done = _wait(
            lambda: OverlayCheck.objects.filter(pk=check.pk, status=JobStatus.SUCCEEDED).first(),
            timeout=120,
            step=0.2,
        )
    finally:
        beat.stop()
        second.stop()
    assert done.attempts == 2 and done.progress == 100 and done.finding_count == 1
    assert list(Finding.objects.values_list("object_id", flat=True)) == [farm.pk], "exactly once"
    assert done.report["counts"] == {"examined": 1, "findings": 1}
