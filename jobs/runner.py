"""Running a job exactly once, even when workers die.

- **Claim**: a worker takes a job by writing its own ``lease_owner`` and a ``lease_expires_at``
  under a row lock. A job held by a live lease is not taken (the task retries after it ends).
- **Heartbeat**: while it works, a thread renews the lease (and publishes progress) every few
  seconds on its own connection. A worker killed with ``kill -9`` stops renewing.
- **Commit**: the processor's writes and, last of all, the job row (locked, checked to be still
  this worker's, marked succeeded) are one transaction. A worker that dies before that commit
  leaves nothing behind (PostgreSQL rolls it back); one that lost its lease rolls back.
- **Recovery**: ``recover_stalled`` (on the beat schedule, and once when a worker starts) puts jobs
  whose lease expired, and queued jobs whose message was lost, back on the queue.
- **Queueing** happens when the submitting transaction commits, never inside it.
- Late acknowledgement (settings) covers a worker child that dies while its parent lives: Celery
  redelivers at once, and the claim waits for the dead child's lease to end.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.context import acting_as

from . import conf, registry
from .errors import JobCancelled, JobFailed, LeaseLost
from .models import Job, JobStatus

log = logging.getLogger(__name__)


@dataclass
class Busy:
    """Another live worker holds the job; try again after ``seconds``."""

    seconds: float


def new_owner(hint: str = "") -> str:
    return f"{(hint or socket.gethostname())[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _model(label: str) -> type[Job]:
    return apps.get_model(label)


def claim(model: type[Job], job_id: int, owner: str) -> Job | Busy | None:
    """Take the job for ``owner``; None when there is nothing to do."""
    with transaction.atomic():
        job = model._default_manager.select_for_update().filter(pk=job_id).first()
        if job is None or job.finished:
            return None
        now = timezone.now()
        if (
            job.status == JobStatus.RUNNING
            and job.lease_owner != owner
            and job.lease_expires_at is not None
            and job.lease_expires_at > now
        ):
            return Busy((job.lease_expires_at - now).total_seconds() + 1)
        if job.cancel_requested or job.attempts >= conf.max_attempts():
            with translation.override(job.language or settings.LANGUAGE_CODE):
                if job.cancel_requested:
                    message = _("Cancelled before it started; nothing was written.")
                else:
                    message = _(
                        "The job was interrupted %(n)s times: the worker processing it stopped each "
                        "time (out of memory?). Nothing was written. Ask an administrator to check the "
                        "workers."
                    ) % {"n": job.attempts}
            _finish(job, JobStatus.CANCELLED if job.cancel_requested else JobStatus.FAILED, error=message)
            return None
        job.status = JobStatus.RUNNING
        job.lease_owner = owner
        job.lease_expires_at = now + timedelta(seconds=conf.lease_seconds())
        job.attempts += 1
        job.started_at = job.started_at or now
        job.stage = "starting"
        job.save(
            update_fields=[
                "status",
                "lease_owner",
                "lease_expires_at",
                "attempts",
                "started_at",
                "stage",
                "updated_at",
            ]
        )
        return job


def _finish(
    job: Job, status: str, *, error: str = "", report: dict[str, Any] | None = None, **fields: Any
) -> None:
    job.status = status
    job.error = error
    if report is not None:
        job.report = report
    for name, value in fields.items():
        setattr(job, name, value)
    job.finished_at = timezone.now()
    job.lease_owner = ""
    job.lease_expires_at = None
    if status == JobStatus.SUCCEEDED:
        job.progress = 100
    job.stage = status
    job.save()


class Heartbeat(threading.Thread):
    """Renews the lease and publishes progress from its own database connection."""

    def __init__(self, model: type[Job], job_id: int, owner: str) -> None:
        super().__init__(name=f"job-heartbeat-{job_id}", daemon=True)
        self.model = model
        self.job_id = job_id
        self.owner = owner
        self.interval = conf.heartbeat_seconds()
        self.progress = 0
        self.stage = "starting"
        self.lost = False
        self.cancelled = False
        self._halt = threading.Event()

    def run(self) -> None:
        try:
            while not self._halt.wait(self.interval):
                self.beat()
        finally:
            connection.close()

    def beat(self) -> None:
        try:
            until = timezone.now() + timedelta(seconds=conf.lease_seconds())
            mine = self.model._default_manager.filter(
                pk=self.job_id, lease_owner=self.owner, status=JobStatus.RUNNING
            )
            renewed = mine.update(
                lease_expires_at=until, progress=self.progress, stage=self.stage, updated_at=timezone.now()
            )
            if renewed:
                self.cancelled = bool(mine.values_list("cancel_requested", flat=True).first())
                return
            row = self.model._default_manager.filter(pk=self.job_id).values("status", "lease_owner").first()
            # An invisible row (a test's open transaction) is not a lost lease.
            if row is not None and (row["lease_owner"] != self.owner or row["status"] != JobStatus.RUNNING):
                self.lost = True
        except DatabaseError:
            log.warning("job %s: heartbeat failed", self.job_id, exc_info=True)
            connection.close()

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=10)


class Context:
    """What a processor sees of its run: progress, cancellation checkpoints, report, a work folder."""

    def __init__(self, job: Job, heartbeat: Heartbeat, workdir: Path, report: Any) -> None:
        self.job = job
        self.heartbeat = heartbeat
        self.workdir = workdir
        self.report = report

    def progress(self, fraction: float, stage: str | None = None, start: int = 5, end: int = 90) -> None:
        """Progress within [start, end] per cent; it never goes back."""
        self.checkpoint()
        self.heartbeat.progress = max(
            self.heartbeat.progress, int(start + (end - start) * min(max(fraction, 0), 1))
        )
        if stage:
            self.heartbeat.stage = stage

    def stepper(self, stage: str, start: int, end: int) -> Callable[[float], None]:
        return lambda fraction: self.progress(fraction, stage, start, end)

    def checkpoint(self) -> None:
        if self.heartbeat.lost:
            raise LeaseLost()
        if self.heartbeat.cancelled:
            raise JobCancelled()


def run(label: str, job_id: int, hint: str = "") -> str | Busy:
    """Run one job to its end; safe to call any number of times, from any number of workers."""
    model = _model(label)
    owner = new_owner(hint)
    claimed = claim(model, job_id, owner)
    if claimed is None or isinstance(claimed, Busy):
        return claimed if isinstance(claimed, Busy) else "nothing to do"
    # Reports speak the language the job was submitted in.
    with translation.override(claimed.language or settings.LANGUAGE_CODE):
        return _run(claimed, owner)


def _run(job: Job, owner: str) -> str:
    processor = registry.processor_for(job)
    model = type(job)
    heartbeat = Heartbeat(model, job.pk, owner)
    heartbeat.start()
    workdir = Path(tempfile.mkdtemp(prefix=f"job-{job._meta.model_name}-{job.pk}-"))
    ctx = Context(job, heartbeat, workdir, processor.new_report())
    prepared: Any = None
    try:
        prepared = processor.prepare(job, ctx)
        ctx.checkpoint()
        with transaction.atomic():
            # The commit is the user's act (the audit log names them), the bookkeeping is not.
            with acting_as(getattr(job, "created_by", None), via=f"{job._meta.label_lower} {job.pk}"):
                fields = processor.commit(job, ctx, prepared)
            ctx.checkpoint()
            locked = model._default_manager.select_for_update().get(pk=job.pk)
            if locked.lease_owner != owner or locked.status != JobStatus.RUNNING:
                raise LeaseLost()
            if locked.cancel_requested:
                raise JobCancelled()
            _finish(locked, JobStatus.SUCCEEDED, report=ctx.report.as_dict(), **fields)
        return JobStatus.SUCCEEDED
    except LeaseLost:
        log.warning("job %s #%s: another worker took it over; this run stops without writing", model, job.pk)
        return "lease lost"
    except JobCancelled:
        processor.discard(prepared)
        _fail(model, job.pk, owner, JobStatus.CANCELLED, _("Cancelled; nothing was written."), ctx.report)
        return JobStatus.CANCELLED
    except JobFailed as exc:
        processor.discard(prepared)
        if exc.code != "failed":
            ctx.report.info["failure"] = {"code": exc.code, "field": exc.field}
        _fail(model, job.pk, owner, JobStatus.FAILED, exc.message, ctx.report)
        return JobStatus.FAILED
    except Exception as exc:
        log.exception("job %s #%s failed", model, job.pk)
        processor.discard(prepared)
        ctx.report.info["failure"] = {
            "code": "internal_error",
            "trace": traceback.format_exc(limit=3)[-2000:],
        }
        message = _(
            "The job stopped on an unexpected error (%(kind)s: %(reason)s); nothing was written. Try "
            "again later, and report the job number to an administrator if it fails again."
        ) % {"kind": type(exc).__name__, "reason": str(exc)[:200]}
        _fail(model, job.pk, owner, JobStatus.FAILED, message, ctx.report)
        return JobStatus.FAILED
    finally:
        heartbeat.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def _fail(model: type[Job], job_id: int, owner: str, status: str, error: str, report: Any) -> None:
    with transaction.atomic():
        job = model._default_manager.select_for_update().filter(pk=job_id).first()
        if job is None or job.lease_owner != owner or job.status != JobStatus.RUNNING:
            return
        _finish(job, status, error=error, report=report.as_dict())


# --- queueing and recovery -----------------------------------------------------------------------


def broker_answers() -> bool:
    """Whether the broker accepts a connection now (at most ~2 s when it is down)."""
    from kombu import Connection

    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
            # No pause between tries: a refused connection answers at once, the submitter waits.
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
    except Exception:  # noqa: BLE001 - any failure means "not now"
        return False
    return True


def enqueue(job: Job, *, check_broker: bool = True) -> None:
    """Put the job on the Celery queue once the current transaction commits.

    With ``check_broker`` (every submission) a broker that does not answer raises
    ``QueueUnavailable`` (503) *here*, inside the submitting transaction: the caller's atomic block
    rolls back the job row (and whatever else it wrote), and the submitter learns at once to try
    again, instead of a job that waits silently for the recovery sweep. This is the one place
    every submitting path goes through (ingest, exports, checks, reports, requeue), so no path can
    forget the check. Files stored before the call are the caller's to remove (ingest does). The
    recovery sweep passes ``check_broker=False``: it re-sends what is already accepted.
    """
    from .tasks import run_job

    if check_broker and not broker_answers():
        from core.outages import QueueUnavailable

        log.warning("job %s: refused, the broker does not answer", job._meta.label)
        raise QueueUnavailable()

    model, job_id, label = type(job), job.pk, job._meta.label

    def send() -> None:
        try:
            result = run_job.apply_async((label, job_id))
        except Exception:  # the broker is down: the job stays queued and the recovery sweep resends it
            log.exception("job %s #%s: could not be queued; the recovery sweep will queue it", label, job_id)
            return
        model._default_manager.filter(pk=job_id).update(task_id=result.id or "", enqueued_at=timezone.now())

    model._default_manager.filter(pk=job_id).update(enqueued_at=timezone.now())
    transaction.on_commit(send)


def requeue(job: Job) -> None:
    """Run a failed or cancelled job again from the start (the same job: still one result)."""
    job.status = JobStatus.QUEUED
    job.progress = 0
    job.stage = ""
    job.report = {}
    job.error = ""
    job.attempts = 0
    job.cancel_requested = False
    job.finished_at = None
    job.save()
    enqueue(job)


class AlreadyFinished(Exception):
    """A cancel asked of a job that has ended; ``job`` is the job as it ended."""

    def __init__(self, job: Job) -> None:
        super().__init__(str(job.status))
        self.job = job


J = TypeVar("J", bound=Job)


def cancel(job: J) -> tuple[J, bool]:
    """Cancel ``job`` under a lock on its row: the job as it now is, and whether it stopped at
    once (``request_cancel``). A job that has already ended raises ``AlreadyFinished``."""
    with transaction.atomic():
        locked = type(job)._default_manager.select_for_update().get(pk=job.pk)
        if locked.finished:
            raise AlreadyFinished(locked)
        return locked, request_cancel(locked)


def request_cancel(job: Job) -> bool:
    """Ask a job to stop; a queued one ends at once (True), a running one at its next checkpoint."""
    job.cancel_requested = True
    stopped = job.status == JobStatus.QUEUED
    if stopped:
        job.status = JobStatus.CANCELLED
        job.error = _("Cancelled before it started; nothing was written.")
        job.finished_at = timezone.now()
    job.save()
    return stopped


def recover_stalled() -> list[str]:
    """Re-queue running jobs whose lease expired (dead worker) and queued jobs nobody started.

    Harmless to run twice or from two places at once: the rows are locked and skipped.
    """
    now = timezone.now()
    requeued: list[str] = []
    for model in registry.job_models():
        with transaction.atomic():
            stalled = model._default_manager.select_for_update(skip_locked=True).filter(
                status=JobStatus.RUNNING, lease_expires_at__lt=now
            )
            forgotten = model._default_manager.select_for_update(skip_locked=True).filter(
                status=JobStatus.QUEUED,
                enqueued_at__lt=now - timedelta(seconds=conf.requeue_after_seconds()),
            )
            for job in [*stalled, *forgotten]:
                if job.status == JobStatus.RUNNING:
                    log.warning(
                        "job %s #%s: worker %s stopped renewing its lease; re-queued",
                        model._meta.label,
                        job.pk,
                        job.lease_owner,
                    )
                    job.status = JobStatus.QUEUED
                    job.lease_owner = ""
                    job.lease_expires_at = None
                    job.stage = "requeued"
                    job.save(
                        update_fields=["status", "lease_owner", "lease_expires_at", "stage", "updated_at"]
                    )
                enqueue(job, check_broker=False)
                requeued.append(f"{model._meta.label}:{job.pk}")
    return requeued
