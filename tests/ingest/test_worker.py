"""Jobs in real Celery worker processes, including one killed with SIGKILL in the middle of a job."""

from __future__ import annotations

import hashlib
import time
import uuid

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.roles import Role
from fixtures import ingest_inputs as fx
from ingest.models import IngestJob
from ingest.sniff import FileType
from ingest.submit import Decision, Upload, submit
from jobs import runner
from jobs.tasks import run_job
from layers.models import LandParcel, PatrolTrack
from tests.workers import ROOT, CeleryBeat, CeleryWorker

from .conftest import upload

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _wait(job_id: int, done, timeout: float = 120, step: float = 0.05) -> IngestJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = IngestJob.objects.get(pk=job_id)
        if done(job):
            return job
        time.sleep(step)
    raise AssertionError(
        f"job {job_id} did not get there in {timeout} s: {IngestJob.objects.get(pk=job_id).__dict__}"
    )


def test_a_job_submitted_through_the_api_is_run_by_a_real_worker(celery_worker, city, api):
    response = upload(
        api.as_user(city.users[Role.ADMIN]),
        fx.parcels_geojson(4),
        "p.geojson",
        kind="vector",
        layer="parcels",
    )
    assert response.status_code == 202, response.json()
    job = _wait(response.json()["id"], lambda j: j.finished)
    assert job.status == "succeeded", job.error
    assert job.task_id and job.attempts == 1
    assert LandParcel.objects.count() == 4


def test_a_worker_killed_mid_job_leaves_nothing_and_the_job_runs_exactly_once(city, tmp_path, monkeypatch):
    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-crash-{uuid.uuid4().hex[:6]}"
    log = ROOT / ".data" / "log" / f"worker-crash-{settings.TEST_DATABASE_NAME}.log"
    lease = 6
    # Big enough to take several seconds: 40 tracks of 10,000 fixes.
    gpx = fx.gpx_file(tmp_path / "patrols.gpx", 400_000, per_track=10_000)
    user = city.users[Role.ADMIN]
    data = gpx.read_bytes()
    received = Upload(gpx, hashlib.sha256(data).hexdigest(), len(data), "patrols.gpx")
    sent: list[int] = []
    monkeypatch.setattr(runner, "enqueue", lambda job: sent.append(job.pk))  # queued below, on our own queue
    result = submit(
        user,
        SimpleUploadedFile("patrols.gpx", data),
        received,
        Decision("gps", "patrol_tracks", {}, FileType.GPX),
    )
    monkeypatch.undo()
    job_id = result.job.pk
    assert sent == [job_id]

    first = CeleryWorker(queue, log, name="crash", JOBS_LEASE_SECONDS=str(lease))
    try:
        run_job.apply_async(("ingest.IngestJob", job_id), queue=queue)
        # Wait until the worker has claimed the job and is working on it, then kill it.
        running = _wait(job_id, lambda j: j.status == "running" and j.attempts == 1, timeout=60, step=0.02)
        time.sleep(0.5)
        first.kill()
    finally:
        first.stop()
    killed = IngestJob.objects.get(pk=job_id)
    assert killed.status == "running", "the kill came too late: the job had already finished"
    assert killed.lease_owner == running.lease_owner
    assert PatrolTrack.objects.count() == 0, "nothing half-written"

    # The acknowledgement never came, but the broker would redeliver only after its visibility
    # timeout (an hour). The beat schedule's recovery sweep finds the expired lease and queues the
    # job again; a new worker runs it.
    second = CeleryWorker(queue, log, name="crash", JOBS_LEASE_SECONDS=str(lease))
    beat = CeleryBeat(queue, log, JOBS_LEASE_SECONDS=str(lease), JOBS_RECOVER_EVERY="1")
    try:
        job = _wait(job_id, lambda j: j.finished, timeout=180, step=0.2)
    finally:
        beat.stop()
        second.stop()
    assert job.status == "succeeded", job.error
    assert job.attempts == 2
    assert job.report["counts"]["tracks"] == 40 and job.report["counts"]["created"] == 40
    assert PatrolTrack.objects.count() == 40, "exactly once: no duplicate tracks"
    starts = list(PatrolTrack.objects.values_list("started_at", flat=True))
    assert len(set(starts)) == 40
    assert sum(len(t) for t in PatrolTrack.objects.values_list("timestamps", flat=True)) == 400_000

    # Running it once more (a late redelivery of the original message) changes nothing.
    runner.run("ingest.IngestJob", job_id)
    assert PatrolTrack.objects.count() == 40
    assert IngestJob.objects.get(pk=job_id).attempts == 2
