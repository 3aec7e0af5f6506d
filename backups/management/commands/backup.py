"""``manage.py backup``: a verified logical backup now (``make backup``)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


class Command(BaseCommand):
    help = (
        "Back up the database and the media files, verify the backup by restoring it, and print its report."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--queue", action="store_true", help="hand the backup to the workers instead of running it here"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from jobs.models import JobStatus
        from jobs.runner import enqueue, run

        from ...models import BackupJob, BackupTrigger

        with transaction.atomic():
            job = BackupJob.objects.create(trigger=BackupTrigger.MANUAL)
            if options["queue"]:
                enqueue(job)
        if options["queue"]:
            self.stdout.write(f"backup job {job.pk} queued; follow it in the admin (备份任务)")
            return
        run(job._meta.label, job.pk, hint="manage.py")
        job.refresh_from_db()
        self.stdout.write(json.dumps(job.report, ensure_ascii=False, indent=2, default=str))
        if job.status != JobStatus.SUCCEEDED:
            raise CommandError(job.error or f"backup job {job.pk} ended {job.status}")
        self.stdout.write(self.style.SUCCESS(f"backup {job.name}: verified"))
