"""Celery tasks of the ingest pipeline, and the recovery loop every worker runs."""

from __future__ import annotations

import logging
import threading

from celery import shared_task
from celery.signals import worker_ready, worker_shutdown
from django.db import connection

from . import conf

log = logging.getLogger(__name__)


@shared_task(name="ingest.run_job", bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def run_job(self, job_id: int) -> str:
    """Run ingest job ``job_id``; idempotent, so a redelivered message is harmless."""
    from .runner import Busy, run

    result = run(job_id, hint=self.request.hostname or "")
    if isinstance(result, Busy):
        # Another worker's lease is still running (it may have just died): look again when it ends.
        raise self.retry(countdown=max(1, int(result.seconds)))
    return str(result)


@shared_task(name="ingest.recover_stalled_jobs")
def recover_stalled_jobs() -> list[int]:
    from .runner import recover_stalled_jobs as recover

    return recover()


_stop = threading.Event()


def _recovery_loop() -> None:
    from .runner import recover_stalled_jobs as recover

    try:
        while True:
            try:
                found = recover()
                if found:
                    log.warning("re-queued stalled ingest jobs: %s", found)
            except Exception:
                log.exception("recovering stalled ingest jobs failed")
                connection.close()
            if _stop.wait(max(1.0, conf.lease_seconds() / 2)):
                return
    finally:
        connection.close()


@worker_ready.connect
def _start_recovery(sender=None, **kwargs) -> None:
    """At worker start (and then periodically) pick up jobs a dead worker left behind."""
    threading.Thread(target=_recovery_loop, name="ingest-recovery", daemon=True).start()


@worker_shutdown.connect
def _stop_recovery(sender=None, **kwargs) -> None:
    _stop.set()
