"""API shapes of ingest jobs."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from .models import IngestJob, JobKind


class JobSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    url = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    class Meta:
        model = IngestJob
        fields = [
            "id",
            "url",
            "kind",
            "layer",
            "status",
            "progress",
            "stage",
            "filename",
            "size_bytes",
            "sha256",
            "detected_type",
            "options",
            "report",
            "error",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "attempts",
            "cancel_requested",
            "links",
        ]
        read_only_fields = fields

    def get_url(self, job: IngestJob) -> str:
        path = reverse("ingest-job-detail", args=[job.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_links(self, job: IngestJob) -> dict[str, Any]:
        report = job.report or {}
        created = report.get("created") or {}
        out: dict[str, Any] = {}
        for layer, info in created.items():
            ids = info.get("ids") or []
            out[layer] = [f"/api/{layer}/{pk}/" for pk in ids[:20]]
        # An upsert's updated records, and the changesets an import was staged in for review.
        for layer, info in (report.get("updated") or {}).items():
            ids = info.get("ids") or []
            out.setdefault(layer, []).extend(
                f"/api/{layer}/{pk}/" for pk in ids[: max(0, 20 - len(out[layer]))]
            )
        changesets = report.get("changesets") or []
        if changesets:
            out["changesets"] = [f"/api/editing/changesets/{c['id']}/" for c in changesets]
            out["editor"] = [c["link"] for c in changesets]
        if job.kind == JobKind.ORTHOPHOTO:
            ids = (created.get("orthophotos") or {}).get("ids") or []
            if ids:
                out["tilejson"] = f"/tiles/raster/{ids[0]}.json"
                out["tiles"] = f"/tiles/raster/{ids[0]}/{{z}}/{{x}}/{{y}}.png"
        return out


class JobCreateSerializer(serializers.Serializer):
    """multipart/form-data: the file and what to do with it."""

    file = serializers.FileField(help_text="The file to import. Its type is detected from its content.")
    kind = serializers.ChoiceField(
        JobKind.choices,
        required=False,
        help_text="orthophoto, gps, panorama or vector (default: from the content).",
    )
    layer = serializers.CharField(
        required=False, help_text="Target layer (vector: required; others: their own layer)."
    )
    options = serializers.JSONField(
        required=False,
        help_text=(
            'JSON object, e.g. {"crs": "gcj02", "mapping": {"code": "DKBH"}, "defaults": {"land_use": '
            '"industrial"}}. {"mode": "upsert"} matches features to existing records by match_field '
            "(parcels: code) and updates them instead of refusing them; the preview then says, per feature, "
            "what it becomes (match) and the totals (counts)."
        ),
    )
    preview = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Vector files: show schema, CRS and first features; write nothing.",
    )
