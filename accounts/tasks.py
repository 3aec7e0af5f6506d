from __future__ import annotations

from celery import shared_task

from .tokens import purge


@shared_task(name="accounts.purge_tokens")
def purge_tokens() -> int:
    """Periodic (beat): delete tokens dead for longer than ``tokens.KEEP_DEAD``."""
    return purge()
