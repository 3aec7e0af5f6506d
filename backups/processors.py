"""The backup job (``jobs.registry``): dump, media, verification, manifest.

``prepare`` takes the snapshot, dumps it while it fingerprints every table in that same snapshot,
copies the media files the store does not hold yet, restores the dump into a scratch database and
checks it (``backups.verify``), and writes the manifest only when that passed. A run that fails for
any reason removes its dump, so the store only ever lists verified backups, and alerts the
administrators. A worker killed on the way leaves a dump under the job's name, which the next run
of the same job overwrites: one job, one backup.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.writer import record
from core.files import file_digest
from jobs.errors import JobCancelled, JobFailed, LeaseLost
from jobs.registry import Processor, register
from jobs.runner import Context

from . import database, media, verify
from . import manifest as manifests
from .models import BackupJob, BackupKind
from .store import Store, default_store

log = logging.getLogger(__name__)


@dataclass
class Made:
    store: Store
    manifest: dict[str, Any]
    copy: media.MediaCopy


def _previous_media(store: Store) -> dict[str, dict[str, Any]]:
    known = manifests.names(store)
    return manifests.load(store, known[-1])["media"] if known else {}


def alert(job: BackupJob, message: str) -> None:
    """Tell every administrator (inbox, and the error log an alerting system watches)."""
    from accounts.models import User
    from accounts.roles import Role
    from inbox.models import MessageKind
    from inbox.send import notify

    log.error("backup job %s failed: %s", job.pk, message)
    admins = User.objects.filter(Q(is_superuser=True) | Q(role=Role.ADMIN), is_active=True)
    notify(
        admins,
        kind=MessageKind.WARNING,
        title=_("Backup #%(id)s failed") % {"id": job.pk},
        key=f"backups.failed.{job.pk}",
        body=message,
        link=f"/admin/backups/backupjob/{job.pk}/change/",
    )


@register(model=BackupJob, kind=BackupKind.FULL)
class FullBackup(Processor):
    def prepare(self, job: BackupJob, ctx: Context) -> Made:
        store = default_store()
        name = manifests.name_for(job.created_at, job.pk)
        try:
            return self._back_up(job, ctx, store, name)
        except Exception as exc:
            store.delete(manifests.dump_key(name))
            # A cancelled run, or one another worker took over, is no failure to report.
            if not isinstance(exc, JobCancelled | LeaseLost):
                alert(job, exc.message if isinstance(exc, JobFailed) else f"{type(exc).__name__}: {exc}")
            raise

    def _back_up(self, job: BackupJob, ctx: Context, store: Store, name: str) -> Made:
        seconds: dict[str, float] = {}
        dump = ctx.workdir / f"{name}.dump"
        started = time.monotonic()
        ctx.progress(0, "snapshot", 0, 5)
        with database.snapshot() as (conn, snapshot_name):
            proc = database.start_dump(snapshot_name, dump)
            tables = database.fingerprints(conn)
            referenced = media.referenced(conn)
            migrations = sorted(database.applied_migrations(conn))
            probe = verify.locate_probe(conn)
            versions = database.server_version(conn)
            ctx.progress(0, "dump", 5, 30)
            try:
                database.wait(proc, "pg_dump", ctx.checkpoint)
            except database.ProgramFailed as exc:
                raise JobFailed(
                    _("pg_dump failed (%(reason)s); no backup was made. Check the database log.")
                    % {"reason": str(exc)[-300:]}
                ) from exc
        seconds["dump"] = round(time.monotonic() - started, 2)
        sha256, size = file_digest(dump)
        ctx.progress(0, "upload", 30, 40)
        mark = time.monotonic()
        store.put(manifests.dump_key(name), dump)
        copy = media.back_up(store, _previous_media(store), ctx.stepper("media", 40, 60))
        seconds["store"] = round(time.monotonic() - mark, 2)
        manifest: dict[str, Any] = {
            "name": name,
            "job": job.pk,
            "taken_at": timezone.now().isoformat(),
            "database": {"name": database.current_name(), **versions},
            "dump": {"key": manifests.dump_key(name), "bytes": size, "sha256": sha256},
            "tables": tables,
            "migrations": migrations,
            "locate": probe,
            "media": copy.files,
            "referenced_media": referenced,
        }
        ctx.progress(0, "verify", 60, 95)
        verification = verify.restore_and_check(manifest, dump, store, ctx.checkpoint)
        ctx.report.info["verification"] = verification
        if not verification["ok"]:
            raise JobFailed(
                _(
                    "The backup did not verify: %(problem)s (problems found: %(n)s, listed in the job "
                    "report). It was not kept. Look at the report and the database log, then run the backup "
                    "again."
                )
                % {"problem": verification["problems"][0], "n": verification["problem_count"]},
                code="verification_failed",
            )
        seconds["verify"] = verification["seconds"]["restore"] + verification["seconds"]["check"]
        manifest["verified_at"] = timezone.now().isoformat()
        manifest["seconds"] = seconds
        manifests.save(store, manifest)
        ctx.report.info.update({"name": name, "store": store.where, "seconds": seconds})
        ctx.report.counts.update(
            tables=len(tables),
            rows=sum(t["rows"] for t in tables.values()),
            media_files=len(copy.files),
            media_copied=copy.copied,
        )
        return Made(store, manifest, copy)

    def commit(self, job: BackupJob, ctx: Context, made: Made) -> dict[str, Any]:
        manifest = made.manifest
        # A backup is an export of everything: audited as one.
        record(
            AuditAction.EXPORT,
            object_type="backups.backupjob",
            object_id=job.pk,
            detail={"step": "backup", "name": manifest["name"], "store": made.store.where},
        )
        return {
            "name": manifest["name"],
            "database": manifest["database"]["name"],
            "tables": len(manifest["tables"]),
            "rows": sum(t["rows"] for t in manifest["tables"].values()),
            "dump_bytes": manifest["dump"]["bytes"],
            "media_files": len(made.copy.files),
            "media_bytes": made.copy.total_bytes,
            "media_copied": made.copy.copied,
            "verified_at": manifest["verified_at"],
        }

    def discard(self, made: Made | None) -> None:
        if made is not None:
            made.store.delete(manifests.manifest_key(made.manifest["name"]))
            made.store.delete(manifests.dump_key(made.manifest["name"]))
