"""Ingest limits and timings, read from Django settings first and the environment second.

Workers are separate processes that read only their environment, so every value can be set either
way: ``INGEST_LEASE_SECONDS = 30`` in a settings module, or ``INGEST_LEASE_SECONDS=30`` in the
environment of the web server and the workers.
"""

from __future__ import annotations

import os

from django.conf import settings

MB = 1024 * 1024


def _number(name: str, default: float) -> float:
    value = getattr(settings, name, None)
    if value is None:
        raw = os.environ.get(name)
        if raw is None or not raw.strip():
            return default
        try:
            value = float(raw)
        except ValueError:
            return default
    return float(value)


def max_upload_bytes() -> int:
    """Largest accepted upload (``INGEST_MAX_UPLOAD_MB``, default 512 MB)."""
    return int(_number("INGEST_MAX_UPLOAD_MB", 512) * MB)


def lease_seconds() -> float:
    """How long a worker holds a job without a heartbeat before another may take it over."""
    return max(1.0, _number("INGEST_LEASE_SECONDS", 60))


def requeue_after_seconds() -> float:
    """A queued job nobody has started for this long is put on the queue again (lost message)."""
    return max(lease_seconds(), _number("INGEST_REQUEUE_AFTER_SECONDS", 900))


def max_attempts() -> int:
    """A job whose worker died this many times fails instead of killing another worker."""
    return int(_number("INGEST_MAX_ATTEMPTS", 5))


def zip_max_entries() -> int:
    return int(_number("INGEST_ZIP_MAX_ENTRIES", 10_000))


def zip_max_total_bytes() -> int:
    """Total uncompressed size of an archive (``INGEST_ZIP_MAX_MB``, default 2048 MB)."""
    return int(_number("INGEST_ZIP_MAX_MB", 2048) * MB)


def zip_max_ratio() -> float:
    """Largest compression ratio of one archive entry above 1 MB; zip bombs reach 1000:1."""
    return _number("INGEST_ZIP_MAX_RATIO", 200)


def max_report_items() -> int:
    """Errors and warnings kept in a job report; the counts always cover all of them."""
    return int(_number("INGEST_MAX_REPORT_ITEMS", 1000))


def max_raster_pixels() -> int:
    """Largest orthophoto accepted, in pixels (width x height), default 4 gigapixels."""
    return int(_number("INGEST_MAX_RASTER_MEGAPIXELS", 4096) * 1_000_000)
