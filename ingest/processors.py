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
from editing import imports
from editing.changesets import EDITOR_LINK, Held
from jobs.errors import JobFailed
from jobs.registry import Processor, register
from jobs.runner import Context
from layers.models import LayerFeature
from layers.registry import LAYERS, LayerSpec

from . import gps, orthophoto, panorama, upsert, vector, writer
from .models import ImportMode, IngestJob, JobKind
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
        ctx.progress(0, "checking", 90, 93)
        self.check(job, ctx, out)
        return self.insert(job, ctx, out)

    def check(self, job: IngestJob, ctx: Context, out: Output) -> None:
        """Derive every record and check it as an API create would; any problem fails the job."""
        for batch in out.batches:
            writer.derive_many(batch.records)
            writer.check_permissions(
                job.created_by, batch.spec, batch.records, batch.rows, batch.unit, ctx.report
            )
        if ctx.report.has_errors:
            raise JobFailed(_row_error_message(ctx.report))

    def insert(self, job: IngestJob, ctx: Context, out: Output) -> dict[str, Any]:
        """Insert the checked records of every batch, with one audit entry for the job."""
        report: Report = ctx.report
        user = job.created_by
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
    """Vector files: inserted (``mode=insert``) or matched to stored records (``mode=upsert``).

    Whatever the mode, a park manager's records in a park whose edits need approval are staged in
    a changeset of that park instead of going live (``editing.imports``): an insert is then an
    upsert that only creates.
    """

    def commit(self, job: IngestJob, ctx: Context, out: Output) -> dict[str, Any]:
        options = job.options or {}
        batch = out.batches[0]
        spec, user, report = batch.spec, job.created_by, ctx.report
        ctx.progress(0, "checking", 90, 93)
        if vector.is_upsert(options):
            writer.derive_many(batch.records)
            key = options.get("match_field") or vector.default_match_field(spec) or ""
            matches = upsert.match(spec, user, batch.records, batch.rows, batch.unit, key, lock=True)
            for m in matches:
                for error in m.errors:
                    report.error(error, m.row, batch.unit)
            if report.has_errors:
                raise JobFailed(_row_error_message(report))
        else:
            self.check(job, ctx, out)
            matches = upsert.as_creates(batch.records, batch.rows)
            if not imports.needs_review(spec, user, matches):
                return self.insert(job, ctx, out)  # as ever: straight into the layer
        ctx.progress(0, "writing", 93, 99)
        return self._write(job, report, spec, matches, options)

    def _write(
        self, job: IngestJob, report: Report, spec: LayerSpec, matches: list[upsert.Match], options: dict
    ) -> dict[str, Any]:
        """Stage what needs review (a changeset per park), apply the rest, skip what is unchanged."""
        user = job.created_by
        writes = [m for m in matches if m.action in (upsert.MatchAction.CREATE, upsert.MatchAction.UPDATE)]
        staged, live = imports.split_by_review(spec, user, writes)
        changesets = []
        for park, group in staged.values():
            try:
                changeset = imports.stage(spec, user, park, job, group)
            except Held as exc:  # staged by someone else since the check, in this very moment
                raise JobFailed(
                    _("%(reason)s Nothing was imported; upload the file again once it is decided.")
                    % {"reason": exc.detail},
                    code="held",
                ) from exc
            changesets.append(
                {
                    "id": changeset.pk,
                    "park": park.pk,
                    "park_name": park.name,
                    **imports.group_counts(group),
                    "link": EDITOR_LINK.format(id=changeset.pk),
                }
            )
        creates = [m.record for m in live if m.action == upsert.MatchAction.CREATE]
        created = writer.insert(spec, creates, user)
        updated = imports.apply_updates(
            spec,
            user,
            [m for m in live if m.action == upsert.MatchAction.UPDATE],
            reason=f"import job #{job.pk}",
        )
        tally = upsert.counts(matches)
        report.counts["created"] += len(created)
        report.counts["updated"] += len(updated)
        report.counts["unchanged"] += tally["unchanged"]
        report.counts["staged"] += sum(c["create"] + c["update"] for c in changesets)
        report.info["match"] = {
            "mode": options.get("mode") or ImportMode.INSERT,
            "match_field": options.get("match_field"),
            **{k: tally[k] for k in ("create", "update", "unchanged")},
        }
        report.info["created"] = (
            {spec.name: {"count": len(created), "ids": created[:1000]}} if created else {}
        )
        report.info["updated"] = (
            {spec.name: {"count": len(updated), "ids": updated[:1000]}} if updated else {}
        )
        report.info["changesets"] = changesets
        codes = [(m.after or m.target or m.record).division_code for m in writes]
        division = _common_division(codes) or job.division_code
        record(
            AuditAction.IMPORT,
            object_type="ingest.ingestjob",
            object_id=job.pk,
            division=division,
            detail={
                "kind": job.kind,
                "file": job.filename,
                "mode": report.info["match"]["mode"],
                "created": {spec.name: len(created)} if created else {},
                "updated": {spec.name: len(updated)} if updated else {},
                "unchanged": tally["unchanged"],
                "changesets": [c["id"] for c in changesets],
            },
        )
        return {"division_code": division}

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
