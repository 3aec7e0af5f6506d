from __future__ import annotations

from celery import shared_task

from .partitions import ensure_partitions


@shared_task(name="audit.ensure_partitions")
def ensure_partitions_task() -> dict[str, list[str]]:
    return ensure_partitions()
