"""附件资料: the documents a project carries, versioned by kind and checked by content.

``add`` keeps every upload as a new version of its kind (the newest counts for the stage
checklist), refuses a file over ``PROJECT_ATTACHMENT_MAX_MB`` or of a type no office document
has, judging the type by the file's content, never its name (``ingest.sniff``), and treats the
same bytes sent again for the same kind as the version already kept: a replayed upload adds
nothing.
"""

from __future__ import annotations

import hashlib
import tempfile
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from core.outages import save_upload
from ingest.sniff import LABELS, FileType, sniff

from .models import AttachmentKind, EventKind, Project, ProjectAttachment, ProjectEvent

ACCEPTED = (FileType.PDF, FileType.OFD, FileType.DOCX, FileType.XLSX, FileType.JPEG, FileType.PNG)
MB = 1024 * 1024


class Refused(Exception):
    """An attachment the project cannot take: the wrong type (400) or too large (413)."""

    def __init__(self, message: str, *, code: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


def limit_bytes() -> int:
    return int(settings.PROJECT_ATTACHMENT_MAX_MB * MB)


def _too_large(size: int) -> Refused:
    return Refused(
        _(
            "The file is %(size).1f MB; attachments may be at most %(limit).0f MB. Scan at a lower "
            "resolution or split the document."
        )
        % {"size": size / MB, "limit": settings.PROJECT_ATTACHMENT_MAX_MB},
        code="file_too_large",
        status=413,
    )


def latest(project: Project) -> dict[str, ProjectAttachment]:
    """The newest version of each kind the project has."""
    newest: dict[str, ProjectAttachment] = {}
    for attachment in project.attachments.order_by("kind", "-version"):
        newest.setdefault(attachment.kind, attachment)
    return newest


def add(project: Project, user: Any, kind: str, upload: UploadedFile) -> tuple[ProjectAttachment, bool]:
    """Keep ``upload`` as the next version of ``kind``; returns it and whether it is new."""
    if kind not in AttachmentKind.values:
        raise Refused(
            _("Unknown attachment kind %(kind)s; choose one of: %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(AttachmentKind.values)},
            code="unknown_kind",
        )
    if upload.size is not None and upload.size > limit_bytes():
        raise _too_large(upload.size)
    digest, size = hashlib.sha256(), 0
    with tempfile.NamedTemporaryFile(suffix=".upload") as spool:
        for chunk in upload.chunks():
            size += len(chunk)
            if size > limit_bytes():
                raise _too_large(size)
            digest.update(chunk)
            spool.write(chunk)
        spool.flush()
        found = sniff(spool.name).type
        if found not in ACCEPTED:
            raise Refused(
                _(
                    "The file is a %(found)s, judged by its content; attach a PDF, OFD, Word (DOCX) or "
                    "Excel (XLSX) document, or a JPEG or PNG scan."
                )
                % {"found": LABELS[found]},
                code="wrong_type",
            )
        sha = digest.hexdigest()
        name = get_valid_filename(upload.name or "upload")[-120:] or "upload"
        with transaction.atomic():
            Project.objects.select_for_update().filter(pk=project.pk).first()
            previous = project.attachments.filter(kind=kind).order_by("-version").first()
            if previous is not None and previous.sha256 == sha:
                return previous, False
            attachment = ProjectAttachment(
                project=project,
                kind=kind,
                version=(previous.version + 1) if previous else 1,
                filename=name,
                content_type=found.value,
                size=size,
                sha256=sha,
                stage=project.stage,
                uploaded_by=user,
            )
            spool.seek(0)
            # A full media volume is a 507 and leaves no partial file (core.outages).
            save_upload(attachment.file, name, File(spool))
            try:
                attachment.save()
                ProjectEvent.objects.create(
                    project=project,
                    user=user,
                    kind=EventKind.ATTACH,
                    from_stage=project.stage,
                    to_stage=project.stage,
                    comment=f"{AttachmentKind(kind).label} v{attachment.version} {name}",
                )
            except BaseException:
                attachment.file.delete(save=False)  # no file without its row
                raise
            return attachment, True
