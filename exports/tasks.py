"""The periodic purge of old export files (``exports.purge_expired`` on the beat schedule).

Idempotent: a job whose file is gone is marked removed once, and a second run (or two at once:
the rows are locked and skipped) finds nothing left to do.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

log = logging.getLogger(__name__)


def purge_expired() -> list[int]:
    """Remove the files of exports past their retention (and of failed or cancelled exports past
    it, should an interrupted run have left a folder); returns the jobs whose files went."""
    from jobs.models import FINISHED

    from . import conf, storage
    from .models import ExportJob

    now = timezone.now()
    cutoff = now - timedelta(days=conf.retention_days())
    removed: list[int] = []
    with transaction.atomic():
        due = (
            ExportJob.objects.select_for_update(skip_locked=True)
            .filter(removed_at__isnull=True, status__in=list(FINISHED))
            .filter(Q(expires_at__lte=now) | Q(expires_at__isnull=True, finished_at__lte=cutoff))
        )
        for job in due:
            storage.remove(job)
            job.removed_at = now
            job.save(update_fields=["removed_at", "updated_at"])
            removed.append(job.pk)
    if removed:
        log.info("removed the files of %s expired exports", len(removed))
    return removed


@shared_task(name="exports.purge_expired")
def purge_expired_task() -> list[int]:
    return purge_expired()
