"""Claims, leases and the recovery of jobs whose worker died (without a worker process), on an
ingest job as the concrete model."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from ingest.models import IngestJob
from jobs.models import JobStatus
from jobs.runner import Busy, claim, recover_stalled


def _job(**fields) -> IngestJob:
    defaults = {"kind": "vector", "layer": "parcels", "sha256": "s", "options_hash": "o", "file": "x"}
    return IngestJob.objects.create(**(defaults | fields))


def test_a_live_lease_is_not_taken_and_an_expired_one_is(db):
    job = _job()
    assert isinstance(claim(IngestJob, job.pk, "a"), IngestJob)
    busy = claim(IngestJob, job.pk, "b")
    assert isinstance(busy, Busy) and 0 < busy.seconds <= 61
    IngestJob.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    taken = claim(IngestJob, job.pk, "b")
    assert taken.lease_owner == "b" and taken.attempts == 2


def test_finished_jobs_are_not_claimed_and_too_many_attempts_fail(db, settings):
    done = _job(sha256="done", status=JobStatus.SUCCEEDED)
    assert claim(IngestJob, done.pk, "a") is None
    settings.JOBS_MAX_ATTEMPTS = 2
    tired = _job(sha256="tired", attempts=2, language="en")
    assert claim(IngestJob, tired.pk, "a") is None
    tired.refresh_from_db()
    assert tired.status == JobStatus.FAILED and "interrupted 2 times" in tired.error


def test_recovery_requeues_expired_leases_and_forgotten_jobs_only(
    db, django_capture_on_commit_callbacks, monkeypatch
):
    from jobs import tasks

    sent = []
    monkeypatch.setattr(
        tasks.run_job, "apply_async", lambda args: sent.append(args[1]) or type("R", (), {"id": "t"})
    )
    now = timezone.now()
    dead = _job(
        sha256="dead", status=JobStatus.RUNNING, lease_owner="w", lease_expires_at=now - timedelta(seconds=5)
    )
    alive = _job(
        sha256="alive",
        status=JobStatus.RUNNING,
        lease_owner="w",
        lease_expires_at=now + timedelta(seconds=50),
    )
    lost = _job(sha256="lost", status=JobStatus.QUEUED, enqueued_at=now - timedelta(hours=1))
    fresh = _job(sha256="fresh", status=JobStatus.QUEUED, enqueued_at=now)
    with django_capture_on_commit_callbacks(execute=True):
        found = recover_stalled()
    assert sorted(found) == sorted([f"ingest.IngestJob:{dead.pk}", f"ingest.IngestJob:{lost.pk}"])
    assert sorted(sent) == sorted([dead.pk, lost.pk])
    dead.refresh_from_db()
    assert dead.status == JobStatus.QUEUED and dead.lease_owner == "" and dead.stage == "requeued"
    assert f"ingest.IngestJob:{alive.pk}" not in found and f"ingest.IngestJob:{fresh.pk}" not in found
