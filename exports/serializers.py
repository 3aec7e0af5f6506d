"""API shapes of export jobs."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from jobs.models import JobStatus

from . import conf, links
from .models import ExportFormat, ExportJob, SourceKind


class ExportRequestSerializer(serializers.Serializer):
    """What to export, and how."""

    format = serializers.ChoiceField(
        ExportFormat.choices,
        help_text="geojson, gpkg, kml, shapefile (a zip), csv (UTF-8 with BOM) or xlsx. Reports and roll-ups "
        "have no geometry: csv or xlsx only.",
    )
    source = serializers.ChoiceField(  # type: ignore[assignment]
        SourceKind.choices,
        default=SourceKind.LAYER,
        help_text="layer (default), query (a shape query), nearby, rollup or report.",
    )
    layer = serializers.CharField(
        required=False, help_text="The layer (layer, query, nearby, rollup), e.g. parcels."
    )
    report = serializers.CharField(
        required=False,
        help_text="The report (source=report): projects.<name> (see /api/projects/reports/), patrols.places, "
        "grid.event_stats. GET /api/exports/jobs/sources/ lists those you may export.",
    )
    params = serializers.JSONField(
        required=False,
        help_text='The parameters of the matching API, as an object: a layer\'s query parameters ({"bbox": '
        '"112,22.9,112.1,23", "land_use": "industrial"}), the body of POST /api/spatial/query/, the query of '
        "GET /api/spatial/nearby/ or /api/spatial/rollup/, or a report's query.",
    )
    options = serializers.JSONField(
        required=False,
        help_text='{"crs": "EPSG:4490"} (EPSG:4326 default; EPSG:3857 and CGCS2000 Gauss-Krüger zones '
        '4491-4554; KML is always EPSG:4326); Shapefile: {"encoding": "gbk"} (utf-8 default).',
    )


class ExportJobSerializer(serializers.ModelSerializer):
    format = serializers.CharField(source="kind", read_only=True)
    created_by: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    url = serializers.SerializerMethodField()
    download = serializers.SerializerMethodField()
    download_expires_at = serializers.SerializerMethodField()
    expired = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "url",
            "format",
            "source",
            "layer",
            "report_name",
            "params",
            "options",
            "status",
            "progress",
            "stage",
            "rows",
            "filename",
            "size_bytes",
            "sha256",
            "manifest",
            "download",
            "download_expires_at",
            "expires_at",
            "expired",
            "report",
            "error",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "cancel_requested",
        ]
        read_only_fields = fields

    def get_url(self, job: ExportJob) -> str:
        path = reverse("export-job-detail", args=[job.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def _ready(self, job: ExportJob) -> bool:
        return job.status == JobStatus.SUCCEEDED and bool(job.file) and not job.expired

    @extend_schema_field(
        serializers.CharField(
            allow_null=True,
            help_text="A signed link to the file, valid for EXPORT_LINK_MAX_AGE seconds and only for you; "
            "null until the file is ready and after it was removed. GET the job again for a fresh one.",
        )
    )
    def get_download(self, job: ExportJob) -> str | None:
        return links.download_url(job, self.context.get("request")) if self._ready(job) else None

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_download_expires_at(self, job: ExportJob) -> datetime | None:
        if not self._ready(job):
            return None
        until = timezone.now() + timedelta(seconds=conf.link_max_age())
        return min(until, job.expires_at) if job.expires_at else until

    @extend_schema_field(serializers.BooleanField(help_text="The file was removed (or is past retention)."))
    def get_expired(self, job: ExportJob) -> bool:
        return bool(job.expired)
