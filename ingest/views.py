"""Jobs API: submit a file (or preview it), follow its progress, list and cancel jobs."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from jobs.api import cancel_or_refuse
from jobs.models import JobStatus
from policy.predicates import can_cancel_job, visible_jobs

from . import conf
from .models import IngestJob, JobKind
from .serializers import JobCreateSerializer, JobSerializer
from .submit import decide, preview, receive, submit, too_large, validate_kind


class JobPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


@extend_schema(tags=["ingest"])
class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Ingest jobs. A user sees their own jobs, officers also those of their division, administrators all."""

    serializer_class = JobSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = JobPagination
    queryset = IngestJob.objects.none()
    lookup_value_regex = r"\d+"

    def get_parsers(self):
        if getattr(self, "action", None) in ("create", "preview"):
            return [MultiPartParser(), FormParser()]
        return super().get_parsers()

    def get_queryset(self):
        qs = visible_jobs(self.request.user).select_related("created_by")
        if self.action == "list":
            params = self.request.query_params
            for name, choices in (("status", JobStatus.values), ("kind", JobKind.values)):
                value = params.get(name)
                if value:
                    if value not in choices:
                        raise ValidationError(
                            {name: [_("must be one of %(c)s.") % {"c": ", ".join(choices)}]}
                        )
                    qs = qs.filter(**{name: value})
            if params.get("layer"):
                qs = qs.filter(layer=params["layer"])
        return qs

    def _check_length(self, request: Request) -> None:
        # Refuse an oversized upload from its header, before reading its body.
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > conf.max_upload_bytes() + 64 * 1024:
            raise too_large(length)

    def _accept(self, request: Request, force_preview: bool = False) -> Response:
        self._check_length(request)
        form = JobCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data: dict[str, Any] = form.validated_data
        upload = data["file"]
        with tempfile.TemporaryDirectory(prefix="ingest-upload-") as workdir:
            received = receive(upload, Path(workdir))
            decision = decide(
                request.user,
                received,
                validate_kind(data.get("kind")),
                data.get("layer"),
                data.get("options"),
            )
            if force_preview or data.get("preview"):
                return Response({"preview": preview(request.user, received, decision)})
            with transaction.atomic():
                result = submit(request.user, upload, received, decision)
        body = JobSerializer(result.job, context={"request": request}).data
        if not result.created:
            body["duplicate"] = True
            return Response(body, status=status.HTTP_200_OK)
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})

    @extend_schema(
        summary="Upload a file to import into a layer; returns the job at once (202), or the earlier job for "
        "the same file and target (200, duplicate=true). With preview=true, a vector file is read and "
        "described without writing.",
        request={"multipart/form-data": JobCreateSerializer},
        responses={
            202: JobSerializer,
            200: OpenApiResponse(JobSerializer, description="The same file was already imported: that job."),
            400: OpenApiResponse(description="Wrong type, unsafe archive, bad options."),
            403: OpenApiResponse(description="Your role may not create records in this layer."),
            409: OpenApiResponse(description="Someone else already imported this file into this layer."),
            413: OpenApiResponse(description="Over the upload limit."),
        },
    )
    def create(self, request: Request) -> Response:
        return self._accept(request)

    @extend_schema(
        summary="Preview a vector file: detected type, CRS, schema, field mapping and the first features.",
        request={"multipart/form-data": JobCreateSerializer},
        responses=OpenApiTypes.OBJECT,
    )
    @action(detail=False, methods=["post"])
    def preview(self, request: Request) -> Response:
        return self._accept(request, force_preview=True)

    @extend_schema(
        summary="Cancel a queued or running job; a running job stops at its next checkpoint without writing.",
        request=None,
        responses={
            200: JobSerializer,
            202: JobSerializer,
            409: OpenApiResponse(description="Already finished."),
        },
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        job = self.get_object()
        job, code = cancel_or_refuse(
            job,
            allowed=can_cancel_job(request.user, job),
            refused=_("Only the person who submitted a job, or an administrator, may cancel it."),
            ended=_("The job has already ended (%(status)s); there is nothing to cancel."),
        )
        return Response(JobSerializer(job, context={"request": request}).data, status=code)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=JobStatus.values),
            OpenApiParameter("kind", str, enum=JobKind.values),
            OpenApiParameter("layer", str),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)
