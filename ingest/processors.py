"""The four kinds of ingest job as processors of the jobs engine (see ``jobs.registry``).

Each kind reads its file into records outside any transaction (``prepare``); the shared
``commit`` derives, checks and inserts every record inside the runner's final transaction, so a
job writes all of its rows or none. Files a run wrote (panorama tiles, COGs) are named per job, so
a second run overwrites the first run's files instead of adding to them, and a failed run removes
them.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.writer import record
from jobs.errors import JobFailed
from jobs.registry import Processor, register
from jobs.runner import Context
from layers.models import LayerFeature
from layers.registry import LAYERS, LayerSpec

from . import gps, orthophoto, panorama, vector, writer
from .models import IngestJob, JobKind
from .report import Report
from .sniff import Sniffed, check_kind, sniff
from .sources import open_source

log = logging.getLogger(__name__)


@dataclass
class Batch:
    spec: LayerSpec
    records: list[LayerFeature]
    rows: list[int]
    unit: str


@dataclass
class Output:
    batches: list[Batch] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # storage names to remove if the job fails


def _local_copy(job: IngestJob, workdir: Path) -> Path:
    """The upload as a local file (storage may be remote)."""
    try:
        return Path(default_storage.path(job.file.name))
    except NotImplementedError:
        target = workdir / "upload"
        with default_storage.open(job.file.name, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
        return target


def _common_division(codes: list[str]) -> str:
    """The most specific division holding every code (12 digits, zero padded)."""
    codes = [c for c in codes if c]
    if not codes:
        return ""
    prefix = os.path.commonprefix(codes)
    for length in (12, 9, 6, 4):
        if len(prefix) >= length:
            return prefix[:length].ljust(12, "0")
    return ""


def _row_error_message(report: Report) -> str:
    first = report.errors[0] if report.errors else {}
    where = f"{first.get('where')}: " if first.get("where") else ""
    return _(
        "%(n)s problem(s) in the file, so nothing was written (the first: %(where)s%(reason)s). Fix the rows "
        "listed in the report and upload the file again."
    ) % {"n": report.error_count, "where": where, "reason": first.get("reason", "")}


class Import(Processor):
    """What every ingest kind shares: the sniffed upload in, one all-or-nothing write out."""

    def new_report(self) -> Report:
        return Report()

    def prepare(self, job: IngestJob, ctx: Context) -> Output:
        path = _local_copy(job, ctx.workdir)
        sniffed = sniff(path)
        check_kind(job.kind, sniffed, job.filename)
        ctx.report.info["detected"] = {"type": sniffed.type.value, "label": sniffed.label}
        return self.read(job, ctx, path, sniffed)

    def read(self, job: IngestJob, ctx: Context, path: Path, sniffed: Sniffed) -> Output:
        raise NotImplementedError

    def commit(self, job: IngestJob, ctx: Context, out: Output) -> dict[str, Any]:
        """Derive, check and insert everything (inside the runner's transaction)."""
        report: Report = ctx.report
        user = job.created_by
        ctx.progress(0, "checking", 90, 93)
        for batch in out.batches:
            writer.derive_many(batch.records)
            writer.check_permissions(user, batch.spec, batch.records, batch.rows, batch.unit, report)
        if report.has_errors:
            raise JobFailed(_row_error_message(report))
        ctx.progress(0, "writing", 93, 99)
        created: dict[str, Any] = {}
        codes: list[str] = []
        for batch in out.batches:
            ids = writer.insert(batch.spec, batch.records, user)
            report.counts["created"] += len(ids)
            created[batch.spec.name] = {"count": len(ids), "ids": ids[:1000]}
            codes.extend(r.division_code for r in batch.records)
        report.info["created"] = created
        division = _common_division(codes) or job.division_code
        # One entry for the whole import: bulk inserts send no per-record signals.
        record(
            AuditAction.IMPORT,
            object_type="ingest.ingestjob",
            object_id=job.pk,
            division=division,
            detail={
                "kind": job.kind,
                "file": job.filename,
                "created": {k: v["count"] for k, v in created.items()},
            },
        )
        # From now on the job belongs where its data landed (officers there see it).
        return {"division_code": division}

    def discard(self, out: Output | None) -> None:
        for name in out.files if out else []:
            try:
                default_storage.delete(name)
            except OSError:
                log.warning("could not remove %s", name, exc_info=True)


@register(model=IngestJob, kind=JobKind.VECTOR)
class VectorImport(Import):
    def read(self, job: IngestJob, ctx: Context, path: Path, sniffed: Sniffed) -> Output:
        options = job.options or {}
        spec = LAYERS[job.layer]
        ctx.progress(0, "reading")
        source = open_source(path, sniffed, options, ctx.workdir)
        crs = vector.source_crs(source, options)
        ctx.report.info["source"] = {
            "crs_declared": source.crs_declared,
            "crs_used": crs.key,
            "geometry_type": source.geometry_type,
            "features": source.count,
            "layer_name": source.layer,
        }
        prepared = vector.build_records(
            spec,
            source,
            options,
            ctx.report,
            job.created_by,
            job.token.hex,
            ctx.stepper("converting", 10, 70),
        )
        return Output([Batch(spec, prepared.records, prepared.rows, prepared.unit)])


@register(model=IngestJob, kind=JobKind.GPS)
class GpsImport(Import):
    def read(self, job: IngestJob, ctx: Context, path: Path, sniffed: Sniffed) -> Output:
        ctx.progress(0, "reading")
        parsed = gps.parse(path, sniffed.type, job.options or {}, ctx.report)
        ctx.progress(0.5, "filtering", 5, 60)
        records = gps.build(parsed, job.options or {}, ctx.report, job.created_by, job.token.hex)
        out = Output([Batch(LAYERS[job.layer], records.tracks, records.track_rows, "track")])
        if records.points:
            out.batches.append(Batch(LAYERS["field_points"], records.points, records.point_rows, "waypoint"))
        return out


@register(model=IngestJob, kind=JobKind.PANORAMA)
class PanoramaImport(Import):
    def read(self, job: IngestJob, ctx: Context, path: Path, sniffed: Sniffed) -> Output:
        result = panorama.process(
            path,
            job.filename,
            job.options or {},
            ctx.report,
            job.created_by,
            job.token.hex,
            ctx.stepper("tiling", 5, 85),
        )
        return Output([Batch(LAYERS[job.layer], [result.record], [1], "image")], list(result.files))


@register(model=IngestJob, kind=JobKind.ORTHOPHOTO)
class OrthophotoImport(Import):
    def read(self, job: IngestJob, ctx: Context, path: Path, sniffed: Sniffed) -> Output:
        ctx.progress(0, "converting")
        result = orthophoto.process(
            path, job.filename, job.options or {}, ctx.report, job.token.hex, ctx.stepper("converting", 5, 85)
        )
        return Output([Batch(LAYERS[job.layer], [result.record], [1], "image")], list(result.files))
