"""Every export format as a processor of the jobs engine (``jobs.registry``).

``prepare`` does the work: it re-checks the owner (still active, still allowed, with the scope the
job was stamped with at submit time), opens the source with the owner's access as it is now, and
writes the file in the worker's folder, reporting progress as rows go out. Everything is read in
one repeatable-read, read-only transaction, so the count the progress and the manifest give is the
count of the file. The file and its manifest then go to the job's folder (``exports.storage``);
``commit`` stores what the job row says of them, and ``discard`` removes the folder of a run that
failed or was cancelled.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from rest_framework.exceptions import APIException

from core.exports import viewer_name, watermark_text
from core.files import file_digest
from jobs.errors import JobFailed
from jobs.registry import Processor, register
from jobs.runner import Context
from layers.crs import STORAGE_CRS, parse_crs
from policy.predicates import may_export, may_see_personal_data

from . import conf, formats, sources, storage
from .models import ExportFormat, ExportJob
from .scope import stamp

log = logging.getLogger(__name__)


@dataclass
class Made:
    job: ExportJob
    name: str
    filename: str
    rows: int
    size: int
    sha256: str
    manifest: dict[str, Any]
    expires_at: Any


def _refusal(exc: APIException) -> str:
    detail = exc.detail
    if isinstance(detail, dict):
        name, reasons = next(iter(detail.items()))
        reason = reasons[0] if isinstance(reasons, list) and reasons else reasons
        return f"{name}: {reason}"
    if isinstance(detail, list) and detail:
        return str(detail[0])
    return str(detail)


def _owner(job: ExportJob) -> Any:
    user = job.created_by
    if user is None or not user.is_active:
        raise JobFailed(
            _("The account that asked for this export no longer exists or is disabled; nothing was written.")
        )
    if not may_export(user):
        raise JobFailed(_("Your role may no longer export data; nothing was written. Ask an administrator."))
    if stamp(user, job.layer) != job.scope:
        raise JobFailed(
            _(
                "Your role or area changed since you asked for this export, so it was not written with "
                "your old access. Ask for the export again."
            ),
            code="scope_changed",
        )
    return user


def manifest_of(
    job: ExportJob,
    user: Any,
    table: Any,
    filename: str,
    rows: int,
    sha256: str,
    size: int,
    info: dict[str, Any],
    now: Any,
) -> dict[str, Any]:
    """What the file is: its source and filters, size and checksum, who made it, when, with what
    access (the scope stamped at submit), and how each column was written."""
    short = (info or {}).get("short_names") or {}
    return {
        "job": job.pk,
        "format": job.kind,
        "file": filename,
        "size_bytes": size,
        "sha256": sha256,
        "rows": rows,
        "crs": table.crs.key if table.geographic else None,
        "source": {
            "kind": job.source,
            "layer": job.layer,
            "report": job.report_name,
            "title": str(table.title),
        },
        "filters": job.params,
        "options": job.options,
        "exported_by": {
            "id": user.pk,
            "username": user.get_username(),
            "name": viewer_name(user),
            "role": getattr(user, "role", ""),
        },
        "requested_at": job.created_at.isoformat(),
        "created_at": now.isoformat(),
        "expires_at": (now + timedelta(days=conf.retention_days())).isoformat(),
        "scope": job.scope,
        "personal_data": "unmasked" if may_see_personal_data(user) else "masked",
        "watermark": watermark_text(user, now),
        "columns": [
            {
                "name": c.name,
                "title": c.title,
                "kind": c.kind,
                "personal": c.personal,
                **({"short_name": short[c.name]} if c.name in short else {}),
            }
            for c in table.columns
        ],
        "format_notes": {k: v for k, v in (info or {}).items() if k != "short_names"},
    }


class Export(Processor):
    """One processor for every format: the format only changes the writer."""

    def prepare(self, job: ExportJob, ctx: Context) -> Made:
        job = ExportJob.objects.select_related("created_by").get(pk=job.pk)
        user = _owner(job)
        crs = parse_crs((job.options or {}).get("crs") or STORAGE_CRS.key)
        now = timezone.now()
        ctx.progress(0, "reading", 0, 5)
        try:
            # One snapshot (a worker runs this outside any transaction; under an outer one, such as
            # a test's, it reads in that one).
            snapshot = not connection.in_atomic_block
            with transaction.atomic():
                if snapshot:
                    with connection.cursor() as cursor:
                        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                table = sources.open_table(
                    user, job.source, job.layer, job.report_name, job.params or {}, crs
                )
                total = table.count()
                ctx.report.info["total"] = total
                kind = formats.FORMATS[job.kind]
                stem = get_valid_filename(table.name) or "export"
                filename = f"{stem}-{timezone.localtime(now):%Y%m%d-%H%M%S}.{kind.extension}"
                path = ctx.workdir / filename

                def progress(done: int) -> None:
                    ctx.progress(done / max(total, 1), "writing", 5, 95)

                written = formats.write(
                    job.kind,
                    table,
                    path,
                    workdir=ctx.workdir,
                    options=job.options or {},
                    progress=progress,
                    total=total,
                    watermark=watermark_text(user, now),
                    author=viewer_name(user),
                )
        except APIException as exc:  # the source refused, as its API would (a 400 or 403 there)
            raise JobFailed(
                _("The export could not be made: %(reason)s. Correct it and ask for the export again.")
                % {"reason": _refusal(exc)},
                code="refused",
            ) from exc
        ctx.progress(0, "checksum", 95, 98)
        sha256, size = file_digest(path)
        manifest = manifest_of(job, user, table, filename, written.rows, sha256, size, written.info, now)
        name = storage.place(job, path, filename, manifest)
        return Made(
            job,
            name,
            filename,
            written.rows,
            size,
            sha256,
            manifest,
            now + timedelta(days=conf.retention_days()),
        )

    def commit(self, job: ExportJob, ctx: Context, made: Made) -> dict[str, Any]:
        ctx.report.counts["rows"] = made.rows
        return {
            "file": made.name,
            "filename": made.filename,
            "rows": made.rows,
            "size_bytes": made.size,
            "sha256": made.sha256,
            "manifest": made.manifest,
            "expires_at": made.expires_at,
            "removed_at": None,
        }

    def discard(self, made: Made | None) -> None:
        if made is not None:
            storage.remove(made.job)


for _format in ExportFormat:
    register(model=ExportJob, kind=_format)(type(f"{_format.name.title()}Export", (Export,), {}))
