"""Background jobs of the spatial functions."""

from celery import shared_task

from .checks import run_check


@shared_task(name="spatial.run_overlay_check", bind=True)
def run_overlay_check(self, check_id: int) -> str:
    """Run overlay check ``check_id`` (idempotent; safe to redeliver)."""
    return run_check(check_id, task_id=self.request.id or "")
