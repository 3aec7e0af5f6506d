from __future__ import annotations

from celery import shared_task

from .warnings import sweep


@shared_task(name="projects.sweep_warnings")
def sweep_warnings() -> dict[str, int]:
    """Periodic (beat): the projects' 黄牌 / 红牌; running it twice raises nothing twice."""
    return sweep()
