"""The daily backup on the beat schedule (``backups.daily``): retention, then today's backup.

One scheduled backup per day whatever happens to beat (``BackupJob.scheduled_for`` is unique), so a
beat started twice, or a task delivered twice, still makes one.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import IntegrityError, transaction
from django.utils import timezone

log = logging.getLogger(__name__)


def submit_daily() -> int | None:
    """Queue today's backup unless there is one; the job's id, or None."""
    from jobs.runner import enqueue

    from .models import BackupJob, BackupTrigger

    today = timezone.localdate()
    try:
        with transaction.atomic():
            job = BackupJob.objects.create(trigger=BackupTrigger.SCHEDULED, scheduled_for=today)
            enqueue(job)
    except IntegrityError:
        return None
    return job.pk


@shared_task(name="backups.daily")
def daily() -> dict[str, object]:
    from .retention import prune
    from .store import default_store

    pruned = prune(default_store())
    if pruned["backups"]:
        log.info("retention removed backups %s", pruned["backups"])
    return {"queued": submit_daily(), "pruned": pruned["backups"]}
