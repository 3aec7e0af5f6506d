"""Changesets in the admin: read-only. They change only through the editor's API (``editing.changesets``),
which checks, records history and audit; an edited row here would bypass all of it."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import ChangeItem, Changeset


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ChangeItemInline(admin.TabularInline):
    model = ChangeItem
    extra = 0
    fields = (
        "layer",
        "record_id",
        "action",
        "base_version",
        "revision",
        "author",
        "updated_at",
        "applied_id",
    )
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Changeset)
class ChangesetAdmin(ReadOnlyAdmin):
    list_display = ("id", "park", "state", "source", "title", "created_by", "submitted_at", "reviewed_by")
    list_filter = ("state", "source")
    search_fields = ("title", "park__name")
    list_select_related = ("park", "created_by", "reviewed_by")
    inlines = [ChangeItemInline]


@admin.register(ChangeItem)
class ChangeItemAdmin(ReadOnlyAdmin):
    list_display = ("id", "changeset", "layer", "record_id", "action", "author", "updated_at")
    list_filter = ("layer", "action")
    list_select_related = ("changeset", "author")
