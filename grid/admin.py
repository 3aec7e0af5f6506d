from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Department, EventAction, EventCategory, GridEvent


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "division", "is_control_centre")
    list_filter = ("is_control_centre",)
    search_fields = ("name", "division__name")
    filter_horizontal = ("members",)


@admin.register(EventCategory)
class EventCategoryAdmin(admin.ModelAdmin):
    """事件类别: step time limits in working days, the urgent channel, escalation, duplicates."""

    list_display = (
        "key",
        "name_zh",
        "opens_from",
        "deadlines",
        "urgent_deadlines",
        "escalate_after_days",
        "active",
    )


class ActionInline(admin.TabularInline):
    model = EventAction
    extra = 0
    can_delete = False
    fields = ("at", "user", "step", "from_state", "to_state", "comment", "department", "handler")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the timeline is written by the workflow


@admin.register(GridEvent)
class GridEventAdmin(admin.ModelAdmin):
    """Read here; events move through their steps in the API and the dispatcher's desk."""

    list_display = (
        "code",
        "title",
        "category",
        "state",
        "urgent",
        "division_code",
        "department",
        "created_at",
    )
    list_filter = ("state", "urgent", "category", "source")
    search_fields = ("code", "title")
    readonly_fields = [f.name for f in GridEvent._meta.fields]
    inlines = [ActionInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
