"""Ingest limits and timings, read from Django settings (``INGEST_*`` in geoportal/settings/base.py).

The settings module reads each value from the environment when it is imported, and a bad one
(``INGEST_ZIP_MAX_MB=many``, ``INGEST_MAX_UPLOAD_MB=-1``) stops the web server or worker at
start-up with ImproperlyConfigured naming the variable, instead of running on the default. Web
processes and workers are separate processes; both import the settings, so both see the same
environment. Tests change a value with ``settings.INGEST_MAX_UPLOAD_MB = 1`` or override_settings.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MB = 1024 * 1024


def _number(name: str) -> float:
    """The setting ``name`` as a positive number; an override of the wrong kind is named too."""
    value = getattr(settings, name)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ImproperlyConfigured(f"{name} must be a number greater than 0, got {value!r}.")
    return float(value)


def max_upload_bytes() -> int:
    """Largest accepted upload (``INGEST_MAX_UPLOAD_MB``, default 512 MB)."""
    return int(_number("INGEST_MAX_UPLOAD_MB") * MB)


def zip_max_entries() -> int:
    return int(_number("INGEST_ZIP_MAX_ENTRIES"))


def zip_max_total_bytes() -> int:
    """Total uncompressed size of an archive (``INGEST_ZIP_MAX_MB``, default 2048 MB)."""
    return int(_number("INGEST_ZIP_MAX_MB") * MB)


def zip_max_ratio() -> float:
    """Largest compression ratio of one archive entry above 1 MB; zip bombs reach 1000:1."""
    return _number("INGEST_ZIP_MAX_RATIO")


def max_report_items() -> int:
    """Errors and warnings kept in a job report; the counts always cover all of them."""
    return int(_number("INGEST_MAX_REPORT_ITEMS"))


def max_raster_pixels() -> int:
    """Largest orthophoto accepted, in pixels (width x height), default 4 gigapixels."""
    return int(_number("INGEST_MAX_RASTER_MEGAPIXELS") * 1_000_000)
