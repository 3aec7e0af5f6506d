"""Export settings (``EXPORT_*`` in geoportal/settings/base.py), read in one place.

Files live outside ``MEDIA_ROOT`` on purpose: ``/media/`` serves a file to whoever may read the
record naming it, and an export belongs to its owner alone, so it must never be reachable there.
The download view (``exports.views``) is the only way out.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

# Excel's rows per sheet; the workbook writer starts a new sheet before it.
XLSX_MAX_ROWS = 1_048_576


def root() -> Path:
    """Where export files are kept: ``EXPORT_ROOT``, or a folder next to ``MEDIA_ROOT`` (so each
    test run, which has its own media folder, also has its own exports)."""
    configured = str(getattr(settings, "EXPORT_ROOT", "") or "")
    if configured:
        return Path(configured)
    media = Path(settings.MEDIA_ROOT)
    return media.with_name(f"{media.name}-exports")


def link_max_age() -> int:
    """Seconds a signed download link stays valid."""
    return int(getattr(settings, "EXPORT_LINK_MAX_AGE", 3600))


def retention_days() -> float:
    """Days a finished export's file is kept before the purge removes it."""
    return float(getattr(settings, "EXPORT_RETENTION_DAYS", 7))
