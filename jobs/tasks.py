"""The Celery tasks of every job, and the recovery sweep.

``jobs.recover_stalled`` runs on the one beat schedule (geoportal/settings: CELERY_BEAT_SCHEDULE)
and once when a worker starts, so a restarted worker picks up what a dead one left at once.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery import shared_task
from celery.signals import worker_ready
from django.db import connection

log = logging.getLogger(__name__)


@shared_task(name="jobs.run", bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def run_job(self: Any, label: str, job_id: int) -> str:
    """Run job ``job_id`` of model ``label``; idempotent, so a redelivered message is harmless."""
    from .runner import Busy, run

    result = run(label, job_id, hint=self.request.hostname or "")
    if isinstance(result, Busy):
        # Another worker's lease is still running (it may have just died): look again when it ends.
        raise self.retry(countdown=max(1, int(result.seconds)))
    return str(result)


@shared_task(name="jobs.recover_stalled")
def recover_stalled() -> list[str]:
    from .runner import recover_stalled as recover

    return recover()


def _recover_once() -> None:
    from .runner import recover_stalled as recover

    try:
        found = recover()
        if found:
            log.warning("re-queued stalled jobs: %s", found)
    except Exception:
        log.exception("recovering stalled jobs failed")
    finally:
        connection.close()


@worker_ready.connect
def _recover_at_start(sender: Any = None, **kwargs: Any) -> None:
    threading.Thread(target=_recover_once, name="jobs-recovery", daemon=True).start()
