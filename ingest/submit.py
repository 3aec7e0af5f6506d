"""Accepting an upload: size limit, content sniffing, permission, options, idempotency, queueing.

Everything that can be decided in a fraction of a second is decided here, so a wrong file gets a
4xx at once instead of a failed job later. The rest (reading every row, converting imagery) is the
worker's.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from rest_framework import serializers, status

from core.errors import Rejected
from jobs.models import JobStatus
from layers.registry import LAYERS
from policy.actions import Action
from policy.predicates import home_division_code, may, visible_jobs

from . import conf, vector
from .models import IngestJob, JobKind
from .options import options_hash, validate_options
from .report import IngestError
from .safezip import open_checked
from .sniff import FileType, check_kind, kind_for, sniff

DEFAULT_LAYER = {"orthophoto": "orthophotos", "panorama": "panoramas", "gps": "patrol_tracks"}
CHUNK = 1024 * 1024


def rejected(exc: IngestError, field: str | None = "file") -> Rejected:
    return Rejected(exc.message, exc.code, exc.field or field)


def too_large(size: int) -> Rejected:
    limit = conf.max_upload_bytes()
    return Rejected(
        _(
            "The file is %(size).1f MB; the upload limit is %(limit).0f MB (INGEST_MAX_UPLOAD_MB). Split it "
            "into "
            "smaller files, or ask an administrator to raise the limit."
        )
        % {"size": size / conf.MB, "limit": limit / conf.MB},
        code="file_too_large",
        field="file",
        status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


@dataclass
class Upload:
    path: Path
    sha256: str
    size: int
    name: str


def receive(upload: UploadedFile, workdir: Path) -> Upload:
    """Hash the upload (and give it a local path) without keeping it in memory."""
    if upload.size is not None and upload.size > conf.max_upload_bytes():
        raise too_large(upload.size)
    digest = hashlib.sha256()
    temporary = getattr(upload, "temporary_file_path", None)
    path = Path(temporary()) if temporary else workdir / "upload"
    size = 0
    sink = None if temporary else open(path, "wb")  # noqa: SIM115 - closed below
    try:
        for chunk in upload.chunks(CHUNK):
            size += len(chunk)
            if size > conf.max_upload_bytes():
                raise too_large(size)
            digest.update(chunk)
            if sink:
                sink.write(chunk)
    finally:
        if sink:
            sink.close()
    name = get_valid_filename(Path(upload.name or "upload").name)[-120:] or "upload"
    return Upload(path, digest.hexdigest(), size, name)


@dataclass
class Decision:
    kind: str
    layer: str
    options: dict[str, Any]
    detected: FileType


def decide(user: Any, received: Upload, kind: str | None, layer: str | None, raw_options: Any) -> Decision:
    try:
        sniffed = sniff(received.path)
        if not kind:
            kind = kind_for(sniffed)
            if kind is None:
                raise IngestError(
                    _("The file is a %(type)s, detected from its content, which cannot be imported.")
                    % {"type": sniffed.label},
                    code="wrong_type",
                )
        check_kind(kind, sniffed, received.name)
        if sniffed.type in (FileType.SHAPEFILE, FileType.KMZ, FileType.XLSX):
            open_checked(received.path)[0].close()  # archive limits, before a worker unpacks anything
    except IngestError as exc:
        raise rejected(exc) from exc
    if not layer:
        layer = DEFAULT_LAYER.get(kind)
        if not layer:
            raise Rejected(_("Name the target layer of a vector import (e.g. parcels)."), "required", "layer")
    spec = LAYERS.get(layer)
    if spec is None:
        raise Rejected(
            _("Unknown layer %(layer)s; GET /api/layers/ lists them.") % {"layer": layer},
            "unknown_layer",
            "layer",
        )
    expected = DEFAULT_LAYER.get(kind)
    if expected and layer != expected:
        raise Rejected(
            _("A %(kind)s import goes into %(expected)s, not %(layer)s.")
            % {"kind": kind, "expected": expected, "layer": layer},
            "invalid",
            "layer",
        )
    if kind == JobKind.VECTOR and layer in vector.OWN_KIND:
        raise Rejected(
            _("%(layer)s are imported with kind=%(kind)s, not as vector files.")
            % {"layer": layer, "kind": vector.OWN_KIND[layer]},
            "invalid",
            "kind",
        )
    if not may(user, spec, Action.CREATE):
        raise Rejected(
            _(
                "You may not import into %(layer)s: your role cannot create records there. Ask an "
                "administrator "
                "if you need access."
            )
            % {"layer": layer},
            "permission_denied",
            status_code=status.HTTP_403_FORBIDDEN,
        )
    options = validate_options(kind, raw_options)
    if kind == JobKind.VECTOR:
        try:
            vector.check_mapping_targets(spec, options)
            options = vector.check_upsert_options(spec, options)
        except IngestError as exc:
            raise rejected(exc, "options") from exc
    return Decision(kind, layer, options, sniffed.type)


def preview(user: Any, received: Upload, decision: Decision) -> dict[str, Any]:
    if decision.kind != JobKind.VECTOR:
        raise Rejected(
            _("A preview is for vector files; this is a %(kind)s import.") % {"kind": decision.kind},
            "invalid",
            "preview",
        )
    with tempfile.TemporaryDirectory(prefix="ingest-preview-") as workdir:
        try:
            return vector.preview(
                LAYERS[decision.layer],
                received.path,
                sniff(received.path),
                decision.options,
                Path(workdir),
                user,
            )
        except IngestError as exc:
            raise rejected(exc) from exc


@dataclass
class Submitted:
    job: IngestJob
    created: bool  # False: an earlier job for the same file and target answers


def submit(user: Any, upload: UploadedFile, received: Upload, decision: Decision) -> Submitted:
    """Create (or find) the job for this file and target, and queue it."""
    from core.outages import DiskFull, QueueUnavailable, save_upload
    from jobs.runner import enqueue, requeue

    key = {
        "sha256": received.sha256,
        "layer": decision.layer,
        "options_hash": options_hash(decision.kind, decision.options),
    }
    existing = IngestJob.objects.filter(**key).first()
    if existing is None:
        job = IngestJob(
            kind=decision.kind,
            filename=received.name,
            size_bytes=received.size,
            detected_type=decision.detected.value,
            options=decision.options,
            created_by=user,
            # Stamped with where the submitter works, so that officers there see the job.
            division_code=home_division_code(user),
            language=translation.get_language() or "",
            **key,
        )
        try:
            with transaction.atomic():
                # A full disk raises DiskFull (507) with no partial file left (core/outages.py).
                save_upload(job.file, received.name, upload)
                job.save()
                enqueue(job)
            return Submitted(job, True)
        except (QueueUnavailable, DiskFull):
            # The row rolled back; the stored file must go too, so nothing is half-accepted.
            if job.file:
                job.file.storage.delete(job.file.name)
            raise
        except IntegrityError:
            if job.file:
                job.file.storage.delete(job.file.name)
            existing = IngestJob.objects.filter(**key).first()
            if existing is None:  # pragma: no cover - the conflicting row vanished
                raise
    if not visible_jobs(user).filter(pk=existing.pk).exists():
        raise Rejected(
            _(
                "This file was already imported into %(layer)s with the same options by someone else (job "
                "#%(id)s). Ask them or an administrator for its result instead of importing it twice."
            )
            % {"layer": decision.layer, "id": existing.pk},
            "duplicate",
            "file",
            status_code=status.HTTP_409_CONFLICT,
        )
    if existing.status in (JobStatus.FAILED, JobStatus.CANCELLED):
        # The same file again after a failure: run it again (the area, permissions or categories may
        # have changed since). It stays one job, so it still gives one result.
        with transaction.atomic():
            again = IngestJob.objects.select_for_update().get(pk=existing.pk)
            if again.status in (JobStatus.FAILED, JobStatus.CANCELLED):
                requeue(again)
            existing = again
        return Submitted(existing, True)
    return Submitted(existing, False)


def validate_kind(kind: Any) -> str | None:
    if kind in (None, ""):
        return None
    if kind not in JobKind.values:
        raise serializers.ValidationError(
            {"kind": [_("kind must be one of %(k)s.") % {"k": ", ".join(JobKind.values)}]}
        )
    return kind
