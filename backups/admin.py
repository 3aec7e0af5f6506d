"""Backup jobs in the admin: read-only, for following backups and reading their verification."""

from typing import Any

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from policy.predicates import may_manage_backups

from .models import BackupJob


@admin.register(BackupJob)
class BackupJobAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "name",
        "trigger",
        "status",
        "progress",
        "tables",
        "rows",
        "dump_bytes",
        "media_files",
        "media_copied",
        "verified_at",
        "pruned_at",
    )
    list_filter = ("status", "trigger")
    search_fields = ("name",)

    def has_module_permission(self, request: Any) -> bool:
        return may_manage_backups(request.user)

    def has_view_permission(self, request: Any, obj: Any = None) -> bool:
        return may_manage_backups(request.user)
