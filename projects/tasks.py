from __future__ import annotations

from celery import shared_task

from .notify import deliver_warnings
from .warnings import sweep


@shared_task(name="projects.sweep_warnings")
def sweep_warnings() -> dict[str, int]:
    """Periodic (beat): the projects' 黄牌 / 红牌, then into the inboxes of those they go to;
    running it twice raises and delivers nothing twice."""
    raised = sweep()
    return {**raised, "delivered": deliver_warnings()}
