from __future__ import annotations

from celery import shared_task

from .monitor import sweep_missed as sweep


@shared_task(name="patrols.sweep_missed")
def sweep_missed() -> int:
    """Periodic (beat): patrol tasks past their due time become missed, each told once; running it
    twice marks and tells nobody twice."""
    return sweep()
