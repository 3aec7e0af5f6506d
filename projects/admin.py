from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from core.admin import ConfirmedRevertAdmin

from .models import Project, ProjectEvent, StageRule


class EventInline(admin.TabularInline):
    model = ProjectEvent
    extra = 0
    can_delete = False
    fields = ("at", "user", "kind", "from_stage", "to_stage", "review", "comment")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the timeline is written by the workflow


@admin.register(Project)
class ProjectAdmin(ConfirmedRevertAdmin):
    list_display = ("code", "name", "stage", "pending", "division", "owner", "in_reserve", "ended_at")
    list_filter = ("stage", "pending", "in_reserve", "foreign_capital")
    search_fields = ("code", "name", "industry")
    readonly_fields = ("code", "stage", "pending", "pending_stage", "division_code", "version")
    raw_id_fields = ("parcels", "buildings", "lead", "owner", "submitted_by", "park")
    inlines = [EventInline]


@admin.register(StageRule)
class StageRuleAdmin(admin.ModelAdmin):
    """阶段规则: required fields and attachments, departments and time limits, per stage."""

    list_display = ("stage", "time_limit_days", "remind_days", "red_grace_days", "required_fields")
