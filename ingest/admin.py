"""Ingest jobs in the admin: read-only, for following and diagnosing imports."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import IngestJob


@admin.register(IngestJob)
class IngestJobAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "kind",
        "layer",
        "status",
        "progress",
        "filename",
        "created_by",
        "created_at",
        "attempts",
    )
    list_filter = ("status", "kind", "layer")
    search_fields = ("filename", "sha256", "created_by__username")

    def has_change_permission(self, request, obj=None):
        return False
