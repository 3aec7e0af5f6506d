"""Bringing a backup back: into a new database, checked, then swapped in by renaming.

Never ``pg_restore --clean`` over the live database: it drops and recreates PostGIS (and with it
every geometry column) and fails on the connections the web and workers hold. Here the live
database is not touched until the restored copy has passed the same checks as a backup's
verification; the swap then takes a moment (``database.swap``) and the old database is kept,
closed, under ``<name>_pre_<time>`` until it is dropped.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.db import connections
from django.utils import timezone

from jobs.models import JobStatus

from . import database, media, verify
from . import manifest as manifests
from .store import Store, default_store


class RestoreRefused(Exception):
    """The restored copy did not pass its checks; the live database was not touched."""


def restore(
    name: str = "latest",
    *,
    store: Store | None = None,
    keep_previous: bool = True,
    say: Callable[[str], None] = lambda line: None,
) -> dict[str, Any]:
    """Restore backup ``name`` (``latest``, a name or its unique prefix) over the database and the
    media files; returns what was done and how long each step took."""
    store = store or default_store()
    name = manifests.resolve(store, name)
    manifest = manifests.load(store, name)
    live = database.current_name()
    stamp = f"{datetime.now(UTC):%Y%m%d%H%M%S}"
    restored = verify.scratch_name(live, f"restore_{stamp}")
    previous = verify.scratch_name(live, f"pre_{stamp}")
    seconds: dict[str, float] = {}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="restore-") as tmp:
        dump = Path(tmp) / "backup.dump"
        say(f"fetching {name} from {store.where}")
        store.get(manifests.dump_key(name), dump)
        seconds["fetch"] = round(time.monotonic() - started, 2)
        say(f"restoring into {restored}")
        database.create_database(restored)
        try:
            mark = time.monotonic()
            database.restore_dump(dump, restored)
            seconds["restore"] = round(time.monotonic() - mark, 2)
            mark = time.monotonic()
            report = verify.check(manifest, restored, store, migrations_current=False)
            seconds["check"] = round(time.monotonic() - mark, 2)
            if not report["ok"]:
                raise RestoreRefused("; ".join(report["problems"][:5]))
            if report["pending_migrations"]:
                say(f"migrating the restored copy: {', '.join(report['pending_migrations'])}")
                database.migrate(restored)
            _settle_jobs(restored, manifest)
        except BaseException:
            database.drop_database(restored)
            raise
    mark = time.monotonic()
    say("restoring media files")
    files = media.restore(store, manifest["media"])
    seconds["media"] = round(time.monotonic() - mark, 2)
    mark = time.monotonic()
    say(f"swapping {restored} in for {live} (the old one is kept as {previous})")
    connections.close_all()
    database.swap(live, restored, previous)
    seconds["swap"] = round(time.monotonic() - mark, 2)
    _after_swap(name, previous)
    if not keep_previous:
        database.drop_database(previous)
    seconds["total"] = round(time.monotonic() - started, 2)
    return {
        "name": name,
        "database": live,
        "previous": previous if keep_previous else None,
        "tables": report["tables"],
        "rows": report["rows"],
        "media": files,
        "seconds": seconds,
    }


def _settle_jobs(dbname: str, manifest: dict[str, Any]) -> None:
    """The backup job itself was running when its snapshot was taken: in the restored copy it is
    marked done, or the recovery sweep would run it again and overwrite the backup just restored.
    Other jobs caught running are left to the sweep, which runs them again (their results were not
    committed at the snapshot)."""
    with database.connect(dbname) as conn:
        conn.execute(
            "UPDATE backups_backupjob SET status = %s, progress = 100, stage = %s, name = %s, "
            "lease_owner = '', lease_expires_at = NULL, finished_at = %s WHERE id = %s",
            [
                JobStatus.SUCCEEDED,
                JobStatus.SUCCEEDED,
                manifest["name"],
                manifest["taken_at"],
                manifest["job"],
            ],
        )


def _after_swap(name: str, previous: str) -> None:
    """Cached tiles show the data as it was before the restore: every layer's version moves on.
    The restore is recorded in the restored database's audit log."""
    from audit.models import AuditAction
    from audit.writer import record
    from tiles.cache import bump

    bump()
    record(
        AuditAction.RESTORE,
        object_type="backups.backup",
        object_id=name,
        detail={"previous_database": previous, "at": timezone.now().isoformat()},
    )
