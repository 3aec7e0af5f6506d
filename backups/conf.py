"""Backup settings (``BACKUP_*`` and ``PG_BIN`` in geoportal/settings/base.py), read in one place."""

from __future__ import annotations

import shutil
from pathlib import Path

from django.conf import settings


def keep_daily() -> int:
    """Days whose newest backup is kept."""
    return int(settings.BACKUP_KEEP_DAILY)


def keep_weekly() -> int:
    """ISO weeks, beyond the daily ones, whose newest backup is kept."""
    return int(settings.BACKUP_KEEP_WEEKLY)


def program(name: str) -> str:
    """A PostgreSQL client program: from ``PG_BIN`` when it is there, else from the PATH (the
    client must be at least as new as the server, which Debian's versioned folder makes sure of)."""
    candidate = Path(settings.PG_BIN) / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(
            f"{name} not found in PG_BIN ({settings.PG_BIN}) or on the PATH: install postgresql-client"
        )
    return found
