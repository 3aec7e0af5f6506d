from __future__ import annotations

from celery import shared_task

from .deadlines import sweep


@shared_task(name="grid.sweep_deadlines")
def sweep_deadlines() -> dict[str, int]:
    """Periodic (beat): reminders, overdue warnings and escalation of open grid events; running it
    twice warns and escalates nobody twice."""
    return sweep()
