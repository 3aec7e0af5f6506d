"""Export jobs in the admin: read-only, for following and diagnosing exports (files are downloaded
through the API, which audits each download)."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import ExportJob


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "kind",
        "source",
        "layer",
        "report_name",
        "status",
        "progress",
        "rows",
        "created_by",
        "created_at",
        "expires_at",
    )
    list_filter = ("status", "kind", "source", "layer")
    search_fields = ("filename", "sha256", "created_by__username", "report_name")
