"""Export jobs in the admin: read-only, for following and diagnosing exports (files are downloaded
through the API, which audits each download)."""

from typing import Any

from django.contrib import admin

from .models import ExportJob


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
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
    readonly_fields = [f.name for f in ExportJob._meta.fields]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
