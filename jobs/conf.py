"""Timings of the run protocol, from Django settings (``JOBS_*`` in geoportal/settings/base.py)."""

from __future__ import annotations

from django.conf import settings


def lease_seconds() -> float:
    """How long a worker holds a job without a heartbeat before another may take it over."""
    return max(1.0, float(settings.JOBS_LEASE_SECONDS))


def requeue_after_seconds() -> float:
    """A queued job nobody has started for this long is put on the queue again (lost message)."""
    return max(lease_seconds(), float(settings.JOBS_REQUEUE_AFTER_SECONDS))


def max_attempts() -> int:
    """A job whose worker died this many times fails instead of killing another worker."""
    return int(settings.JOBS_MAX_ATTEMPTS)


def heartbeat_seconds() -> float:
    return min(lease_seconds() / 4, 2.0)
