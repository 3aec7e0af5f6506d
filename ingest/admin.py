"""Ingest jobs in the admin: read-only, for following and diagnosing imports."""

from django.contrib import admin

from .models import IngestJob


@admin.register(IngestJob)
class IngestJobAdmin(admin.ModelAdmin):
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
    readonly_fields = [f.name for f in IngestJob._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
