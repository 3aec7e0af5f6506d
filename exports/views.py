"""Exports API (``/api/exports/``): ask for an export, follow it, download it, cancel it.

- ``POST /api/exports/jobs/``: ``{"format", "source", "layer" | "report", "params", "options"}``;
  202 with the job (its ``url`` to poll). Checked at once: a bad parameter is a 400 naming it, a
  source the caller may not read a 403, a report in a map format a 400 ``format_not_available``.
- ``GET /api/exports/jobs/``: your own jobs (administrators: ``?all=true`` for everyone's), newest
  first, with ``status``, ``progress`` and ``stage``.
- ``GET /api/exports/jobs/<id>/``: one job; once done, its ``manifest`` and a ``download`` link,
  signed and valid for ``EXPORT_LINK_MAX_AGE`` seconds (GET the job again for a new one).
- ``GET /api/exports/jobs/<id>/download/?signature=…``: the file, for its owner (or an
  administrator) with a live link; each download is audited. 410 once the link has expired or the
  file was removed (after ``EXPORT_RETENTION_DAYS``), 409 while it is not ready.
- ``POST /api/exports/jobs/<id>/cancel/``: stop a queued or running export; nothing is kept.
- ``GET /api/exports/jobs/sources/``: the formats, sources and the reports you may export.

Exports are for logged-in people (401 anonymous). Somebody else's job is a 404, so job numbers say
nothing.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.roles import Role
from audit.models import AuditAction
from audit.writer import record
from core.errors import Rejected
from jobs.api import cancel_or_refuse
from jobs.models import JobStatus
from policy.predicates import can_cancel_export, can_download_export, visible_exports
from policy.scope import role_of

from . import conf, formats, links, sources, storage
from .models import TABULAR_FORMATS, ExportFormat, ExportJob, SourceKind
from .serializers import ExportJobSerializer, ExportRequestSerializer
from .submit import submit

TAGS = ["exports"]
ERROR = OpenApiResponse(description='{"error": {"code", "message", "fields"}}')


class ExportPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


@extend_schema(tags=TAGS)
class ExportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Export jobs: yours to follow, download and cancel."""

    serializer_class = ExportJobSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = ExportPagination
    queryset = ExportJob.objects.none()
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> Any:
        qs = visible_exports(self.request.user).select_related("created_by")
        if self.action == "list":
            params = self.request.query_params
            everyone = params.get("all") in ("1", "true") and role_of(self.request.user) == Role.ADMIN
            if not everyone:
                qs = qs.filter(created_by=self.request.user)
            for name, field, choices in (
                ("status", "status", JobStatus.values),
                ("format", "kind", ExportFormat.values),
            ):
                value = params.get(name)
                if value:
                    if value not in choices:
                        raise ValidationError(
                            {name: [_("must be one of %(c)s.") % {"c": ", ".join(choices)}]}
                        )
                    qs = qs.filter(**{field: value})
        return qs

    @extend_schema(
        summary="Ask for an export of a layer, a spatial result or a report; returns the job at once (202).",
        request=ExportRequestSerializer,
        responses={
            202: ExportJobSerializer,
            400: OpenApiResponse(
                description="A bad parameter (named), or a format the source has no use for."
            ),
            401: ERROR,
            403: OpenApiResponse(description="You may not read that layer or report."),
        },
    )
    def create(self, request: Request) -> Response:
        form = ExportRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        job = submit(request.user, dict(form.validated_data))
        body = ExportJobSerializer(job, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})

    @extend_schema(
        summary="Your export jobs, newest first (administrators: all=true for everyone's).",
        parameters=[
            OpenApiParameter("status", str, enum=JobStatus.values),
            OpenApiParameter("format", str, enum=ExportFormat.values),
            OpenApiParameter("all", bool, description="Administrators: every user's jobs."),
        ],
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One export job: status, progress and, once done, its manifest and download link.")
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Cancel a queued or running export; a running one stops at its next checkpoint.",
        request=None,
        responses={200: ExportJobSerializer, 202: ExportJobSerializer, 409: ERROR},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        job = self.get_object()
        job, code = cancel_or_refuse(
            job,
            allowed=can_cancel_export(request.user, job),
            refused=_("Only the person who asked for an export, or an administrator, may cancel it."),
            ended=_("The export has already ended (%(status)s); there is nothing to cancel."),
        )
        return Response(ExportJobSerializer(job, context={"request": request}).data, status=code)

    @extend_schema(
        summary="The exported file, through the job's signed link (yours only); each download is audited.",
        parameters=[
            OpenApiParameter("signature", str, required=True, description="From the job's download link.")
        ],
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            403: OpenApiResponse(description="Not a link to this job."),
            409: OpenApiResponse(description="Not ready yet: poll the job."),
            410: OpenApiResponse(
                description="The link expired (GET the job for a new one) or the file was removed."
            ),
        },
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        job = self.get_object()
        if not can_download_export(request.user, job):  # pragma: no cover - get_object() hides it
            raise Rejected(_("This export is not yours."), "permission_denied", status_code=403)
        try:
            links.check(job, str(request.query_params.get("signature", "")))
        except links.LinkExpired:
            raise Rejected(
                _(
                    "This download link has expired (links last %(minutes)s minutes). GET %(url)s for a new "
                    "link while the file is kept."
                )
                % {
                    "minutes": max(1, conf.link_max_age() // 60),
                    "url": ExportJobSerializer(job).get_url(job),
                },
                "link_expired",
                status_code=status.HTTP_410_GONE,
            ) from None
        except links.LinkInvalid:
            raise Rejected(
                _("This is not a download link of this export. Use the download link the job gives."),
                "bad_link",
                "signature",
                status_code=status.HTTP_403_FORBIDDEN,
            ) from None
        if job.status != JobStatus.SUCCEEDED:
            raise Rejected(
                _("The export is not ready (%(status)s); poll the job until it has a download link.")
                % {"status": job.get_status_display()},
                "not_ready",
                status_code=status.HTTP_409_CONFLICT,
            )
        path = storage.path_of(job)
        if job.expired or path is None or not path.exists():
            raise Rejected(
                _(
                    "The file of this export was removed: exports are kept %(days)s days. Ask for the export "
                    "again."
                )
                % {"days": f"{conf.retention_days():g}"},
                "export_removed",
                status_code=status.HTTP_410_GONE,
            )
        record(
            AuditAction.EXPORT,
            object_type="exports.exportjob",
            object_id=job.pk,
            detail={
                "step": "downloaded",
                "format": job.kind,
                "layer": job.layer,
                "report": job.report_name,
                "rows": job.rows,
                "sha256": job.sha256,
                "owner": job.created_by.get_username() if job.created_by else None,
            },
        )
        response = FileResponse(
            open(path, "rb"),  # noqa: SIM115 - FileResponse closes it
            as_attachment=True,
            filename=job.filename,
            content_type=formats.FORMATS[job.kind].content_type,
        )
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response

    @extend_schema(
        summary="What you may export: the formats, the sources and the reports open to you.",
        responses=OpenApiTypes.OBJECT,
    )
    @action(detail=False, methods=["get"])
    def sources(self, request: Request) -> Response:
        reports = [
            {"name": r.name, "title": r.title()}
            for r in sources.reports().values()
            if r.allowed(request.user)
        ]
        return Response(
            {
                "formats": [{"format": f.value, "label": str(f.label)} for f in ExportFormat],
                "tabular_formats": sorted(TABULAR_FORMATS),
                "sources": [{"source": s.value, "label": str(s.label)} for s in SourceKind],
                "reports": reports,
                "link_max_age_seconds": conf.link_max_age(),
                "retention_days": conf.retention_days(),
            }
        )
