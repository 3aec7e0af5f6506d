"""Running a job exactly once, even when workers die.

- **Claim**: a worker takes a job by writing its own ``lease_owner`` and a ``lease_expires_at`` under a
  row lock. A job held by a live lease is not taken (the task retries after the lease ends).
- **Heartbeat**: while it works, a thread renews the lease (and publishes progress) every few
  seconds on its own connection. A worker killed with ``kill -9`` stops renewing.
- **Write**: all rows are written in one transaction which, last of all, locks the job row, checks
  that this worker still owns it, and marks it succeeded. A worker that dies before that commit
  leaves nothing behind (PostgreSQL rolls the transaction back); one that lost its lease rolls back.
- **Recovery**: ``recover_stalled_jobs`` (run when a worker starts, and periodically) puts jobs whose
  lease expired, and queued jobs whose message was lost, back on the queue. Files are written under
  names fixed per job, so a second run overwrites the first run's files instead of adding to them.
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
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from layers.models import LayerFeature
from layers.registry import LAYERS, LayerSpec

from . import conf, gps, orthophoto, panorama, vector, writer
from .models import IngestJob, JobKind, JobStatus
from .report import IngestError, JobCancelled, LeaseLost, Report
from .sniff import check_kind, sniff
from .sources import open_source

log = logging.getLogger(__name__)


@dataclass
class Busy:
    """Another live worker holds the job; try again after ``seconds``."""

    seconds: float


@dataclass
class Batch:
    spec: LayerSpec
    records: list[LayerFeature]
    rows: list[int]
    unit: str


@dataclass
class Output:
    batches: list[Batch] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # storage names to remove if the job fails


# --- claim and heartbeat -------------------------------------------------------------------------


def new_owner(hint: str = "") -> str:
    return f"{(hint or socket.gethostname())[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claim(job_id: int, owner: str) -> IngestJob | Busy | None:
    """Take the job for ``owner``; None when there is nothing to do."""
    with transaction.atomic():
        job = IngestJob.objects.select_for_update().filter(pk=job_id).first()
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
                        "time (out of memory?). Nothing was written. Split the file, or ask an "
                        "administrator to check the workers."
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


def _finish(job: IngestJob, status: str, error: str = "", report: dict | None = None) -> None:
    job.status = status
    job.error = error
    if report is not None:
        job.report = report
    job.finished_at = timezone.now()
    job.lease_owner = ""
    job.lease_expires_at = None
    if status == JobStatus.SUCCEEDED:
        job.progress = 100
    job.stage = status
    job.save()


class Heartbeat(threading.Thread):
    """Renews the lease and publishes progress from its own database connection."""

    def __init__(self, job_id: int, owner: str) -> None:
        super().__init__(name=f"ingest-heartbeat-{job_id}", daemon=True)
        self.job_id = job_id
        self.owner = owner
        self.interval = min(conf.lease_seconds() / 4, 2.0)
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
            mine = IngestJob.objects.filter(pk=self.job_id, lease_owner=self.owner, status=JobStatus.RUNNING)
            renewed = mine.update(
                lease_expires_at=until, progress=self.progress, stage=self.stage, updated_at=timezone.now()
            )
            log.debug(
                "ingest job %s: lease of %s renewed until %s (%s)", self.job_id, self.owner, until, renewed
            )
            if renewed:
                self.cancelled = bool(mine.values_list("cancel_requested", flat=True).first())
                return
            row = IngestJob.objects.filter(pk=self.job_id).values("status", "lease_owner").first()
            # An invisible row (a test's open transaction) is not a lost lease.
            if row is not None and (row["lease_owner"] != self.owner or row["status"] != JobStatus.RUNNING):
                self.lost = True
        except DatabaseError:
            log.warning("ingest job %s: heartbeat failed", self.job_id, exc_info=True)
            connection.close()

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=10)


class Context:
    """What a processor sees of its job: progress reporting and cancellation checkpoints."""

    def __init__(self, job: IngestJob, heartbeat: Heartbeat, workdir: Path) -> None:
        self.job = job
        self.heartbeat = heartbeat
        self.workdir = workdir
        self.report = Report()

    def progress(self, fraction: float, stage: str | None = None, start: int = 5, end: int = 90) -> None:
        self.checkpoint()
        self.heartbeat.progress = max(
            self.heartbeat.progress, int(start + (end - start) * min(max(fraction, 0), 1))
        )
        if stage:
            self.heartbeat.stage = stage

    def stepper(self, stage: str, start: int, end: int):
        return lambda fraction: self.progress(fraction, stage, start, end)

    def checkpoint(self) -> None:
        if self.heartbeat.lost:
            raise LeaseLost()
        if self.heartbeat.cancelled:
            raise JobCancelled()


# --- processing ------------------------------------------------------------------------------------


def _local_copy(job: IngestJob, workdir: Path) -> Path:
    """The upload as a local file (storage may be remote)."""
    try:
        return Path(default_storage.path(job.file.name))
    except NotImplementedError:
        target = workdir / "upload"
        with default_storage.open(job.file.name, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
        return target


def process(job: IngestJob, ctx: Context) -> Output:
    path = _local_copy(job, ctx.workdir)
    sniffed = sniff(path)
    check_kind(job.kind, sniffed, job.filename)
    report = ctx.report
    report.info["detected"] = {"type": sniffed.type.value, "label": sniffed.label}
    user = job.created_by
    token = job.token.hex
    options = job.options or {}
    spec = LAYERS[job.layer]
    out = Output()
    if job.kind == JobKind.VECTOR:
        ctx.progress(0, "reading")
        source = open_source(path, sniffed, options, ctx.workdir)
        crs = vector.source_crs(source, options)
        report.info["source"] = {
            "crs_declared": source.crs_declared,
            "crs_used": crs.key,
            "geometry_type": source.geometry_type,
            "features": source.count,
            "layer_name": source.layer,
        }
        prepared = vector.build_records(
            spec, source, options, report, user, token, ctx.stepper("converting", 10, 70)
        )
        out.batches.append(Batch(spec, prepared.records, prepared.rows, prepared.unit))
    elif job.kind == JobKind.GPS:
        ctx.progress(0, "reading")
        parsed = gps.parse(path, sniffed.type, options, report)
        ctx.progress(0.5, "filtering", 5, 60)
        records = gps.build(parsed, options, report, user, token)
        out.batches.append(Batch(spec, records.tracks, records.track_rows, "track"))
        if records.points:
            out.batches.append(Batch(LAYERS["field_points"], records.points, records.point_rows, "waypoint"))
    elif job.kind == JobKind.PANORAMA:
        result = panorama.process(
            path, job.filename, options, report, user, token, ctx.stepper("tiling", 5, 85)
        )
        out.files.extend(result.files)
        out.batches.append(Batch(spec, [result.record], [1], "image"))
    elif job.kind == JobKind.ORTHOPHOTO:
        ctx.progress(0, "converting")
        result = orthophoto.process(
            path, job.filename, options, report, token, ctx.stepper("converting", 5, 85)
        )
        out.files.extend(result.files)
        out.batches.append(Batch(spec, [result.record], [1], "image"))
    else:  # pragma: no cover - choices prevent it
        raise IngestError(f"unknown job kind {job.kind}")
    return out


class RowErrors(Exception):
    pass


def _common_division(codes: list[str]) -> str:
    """The most specific division holding every code (12 digits, zero padded)."""
    codes = [c for c in codes if c]
    if not codes:
        return ""
    prefix = os.path.commonprefix(codes)
    for length in (12, 9, 6, 4):
        if len(prefix) >= length:
            return prefix[:length].ljust(12, "0")
    return ""


def write(job_id: int, owner: str, ctx: Context, out: Output) -> IngestJob:
    """Derive, check and insert everything, then mark the job succeeded — one transaction."""
    report = ctx.report
    user = ctx.job.created_by
    with transaction.atomic():
        ctx.progress(0, "checking", 90, 93)
        for batch in out.batches:
            writer.derive_many(batch.records)
            writer.check_permissions(user, batch.spec, batch.records, batch.rows, batch.unit, report)
        if report.has_errors:
            raise RowErrors()
        ctx.progress(0, "writing", 93, 99)
        created: dict[str, Any] = {}
        codes: list[str] = []
        for batch in out.batches:
            ids = writer.insert(batch.spec, batch.records, user)
            report.counts["created"] += len(ids)
            created[batch.spec.name] = {"count": len(ids), "ids": ids[:1000]}
            codes.extend(r.division_code for r in batch.records)
        report.info["created"] = created
        ctx.checkpoint()
        job = IngestJob.objects.select_for_update().get(pk=job_id)
        if job.lease_owner != owner or job.status != JobStatus.RUNNING:
            raise LeaseLost()
        if job.cancel_requested:
            raise JobCancelled()
        job.division_code = _common_division(codes) or job.division_code
        _finish(job, JobStatus.SUCCEEDED, report=report.as_dict())
    return job


def _fail(job_id: int, owner: str, status: str, error: str, report: Report | None) -> None:
    with transaction.atomic():
        job = IngestJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.lease_owner != owner or job.status != JobStatus.RUNNING:
            return
        _finish(job, status, error=error, report=report.as_dict() if report else job.report)


def _row_error_message(report: Report) -> str:
    first = report.errors[0] if report.errors else {}
    where = f"{first.get('where')}: " if first.get("where") else ""
    return _(
        "%(n)s problem(s) in the file, so nothing was written (the first: %(where)s%(reason)s). Fix the rows "
        "listed in the report and upload the file again."
    ) % {"n": report.error_count, "where": where, "reason": first.get("reason", "")}


def run(job_id: int, hint: str = "") -> str | Busy:
    """Run one job to its end; safe to call any number of times, from any number of workers."""
    owner = new_owner(hint)
    claimed = claim(job_id, owner)
    if claimed is None or isinstance(claimed, Busy):
        return claimed if isinstance(claimed, Busy) else "nothing to do"
    # Reports speak the language the job was submitted in.
    with translation.override(claimed.language or settings.LANGUAGE_CODE):
        return _run(claimed, owner)


def _run(job: IngestJob, owner: str) -> str:
    heartbeat = Heartbeat(job.pk, owner)
    heartbeat.start()
    workdir = Path(tempfile.mkdtemp(prefix=f"ingest-{job.pk}-"))
    ctx = Context(job, heartbeat, workdir)
    out = Output()
    try:
        out = process(job, ctx)
        ctx.checkpoint()
        write(job.pk, owner, ctx, out)
        return JobStatus.SUCCEEDED
    except LeaseLost:
        log.warning("ingest job %s: another worker took it over; this run stops without writing", job.pk)
        return "lease lost"
    except JobCancelled:
        _remove_files(out.files)
        _fail(job.pk, owner, JobStatus.CANCELLED, _("Cancelled; nothing was written."), ctx.report)
        return JobStatus.CANCELLED
    except RowErrors:
        _remove_files(out.files)
        _fail(job.pk, owner, JobStatus.FAILED, _row_error_message(ctx.report), ctx.report)
        return JobStatus.FAILED
    except IngestError as exc:
        _remove_files(out.files)
        ctx.report.info["failure"] = {"code": exc.code, "field": exc.field}
        _fail(job.pk, owner, JobStatus.FAILED, exc.message, ctx.report)
        return JobStatus.FAILED
    except Exception as exc:
        log.exception("ingest job %s failed", job.pk)
        _remove_files(out.files)
        ctx.report.info["failure"] = {
            "code": "internal_error",
            "trace": traceback.format_exc(limit=3)[-2000:],
        }
        _fail(
            job.pk,
            owner,
            JobStatus.FAILED,
            _(
                "The import stopped on an unexpected error (%(kind)s: %(reason)s); nothing was written. Try "
                "again "
                "later, and report the job number to an administrator if it fails again."
            )
            % {"kind": type(exc).__name__, "reason": str(exc)[:200]},
            ctx.report,
        )
        return JobStatus.FAILED
    finally:
        heartbeat.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def _remove_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            log.warning("could not remove %s", name, exc_info=True)


# --- queueing and recovery -----------------------------------------------------------------------


def enqueue(job: IngestJob) -> None:
    """Put the job on the Celery queue once the current transaction commits."""
    from .tasks import run_job

    job_id = job.pk

    def send() -> None:
        result = run_job.apply_async((job_id,))
        IngestJob.objects.filter(pk=job_id).update(task_id=result.id or "", enqueued_at=timezone.now())

    IngestJob.objects.filter(pk=job_id).update(enqueued_at=timezone.now())
    transaction.on_commit(send)


def recover_stalled_jobs() -> list[int]:
    """Re-queue running jobs whose lease expired (dead worker) and queued jobs nobody started."""
    now = timezone.now()
    requeued: list[int] = []
    with transaction.atomic():
        stalled = IngestJob.objects.select_for_update(skip_locked=True).filter(
            status=JobStatus.RUNNING, lease_expires_at__lt=now
        )
        forgotten = IngestJob.objects.select_for_update(skip_locked=True).filter(
            status=JobStatus.QUEUED, enqueued_at__lt=now - timedelta(seconds=conf.requeue_after_seconds())
        )
        for job in [*stalled, *forgotten]:
            if job.status == JobStatus.RUNNING:
                log.warning(
                    "ingest job %s: worker %s stopped renewing its lease; re-queued", job.pk, job.lease_owner
                )
                job.status = JobStatus.QUEUED
                job.lease_owner = ""
                job.lease_expires_at = None
                job.stage = "requeued"
                job.save(update_fields=["status", "lease_owner", "lease_expires_at", "stage", "updated_at"])
            enqueue(job)
            requeued.append(job.pk)
    return requeued
