from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from core.admin import ConfirmedRevertAdmin

from .models import CountyTarget, Project, ProjectAttachment, ProjectEvent, StageRule, Supplement


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

    list_display = (
        "stage",
        "time_limit_days",
        "remind_days",
        "red_grace_days",
        "required_fields",
        "required_attachments",
    )


@admin.register(CountyTarget)
class CountyTargetAdmin(admin.ModelAdmin):
    """招商任务目标: each county's annual targets, which the reports measure completion against."""

    list_display = ("division", "year", "new_projects", "investment_wan")
    list_filter = ("year",)


@admin.register(ProjectAttachment)
class ProjectAttachmentAdmin(admin.ModelAdmin):
    """Read-only: attachments are added through the project page, each upload a new version."""

    list_display = (
        "project",
        "kind",
        "version",
        "filename",
        "content_type",
        "size",
        "uploaded_by",
        "uploaded_at",
    )
    list_filter = ("kind", "content_type")
    search_fields = ("project__code", "project__name", "filename")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Supplement)
class SupplementAdmin(admin.ModelAdmin):
    list_display = ("project", "signed_on", "added_investment_wan", "status", "submitted_by", "decided_at")
    list_filter = ("status",)
    readonly_fields = ("status", "submitted_by", "submitted_at", "decided_at")
