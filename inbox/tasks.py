from __future__ import annotations

from celery import shared_task

from .delivery import attempt, retry_due


@shared_task(name="inbox.deliver")
def deliver(delivery_ids: list[int]) -> dict[str, int]:
    """Send new messages on the outside channels (queued when their transaction commits)."""
    return attempt(delivery_ids)


@shared_task(name="inbox.retry_deliveries")
def retry_deliveries() -> dict[str, int]:
    """Periodic (beat): deliveries a channel refused before, when their wait is over."""
    return retry_due()
