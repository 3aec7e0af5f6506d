from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import ChecklistTemplate, PatrolRun, PatrolTask, PlaceVisit


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(admin.ModelAdmin):
    """标准检查项. A version in use is read here; revising it (the API) makes the next version, so
    the results filled in for this one keep their items."""

    list_display = ("key", "version", "name", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("key", "name")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and (obj.tasks.exists() or obj.runs.exists()):
            return ("key", "version", "items")
        return ("version",)


@admin.register(PatrolTask)
class PatrolTaskAdmin(admin.ModelAdmin):
    list_display = ("title", "worker", "shared", "area_kind", "division_code", "due_until", "state")
    list_filter = ("state", "area_kind", "shared")
    search_fields = ("title", "division_code")
    raw_id_fields = ("worker", "grid_cell", "places", "template")
    readonly_fields = ("division_code", "lock_holder", "lock_expires_at", "missed_at", "created_by")


class VisitInline(admin.TabularInline):
    model = PlaceVisit
    extra = 0
    can_delete = False
    fields = ("place", "visited_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # measured from the track (patrols.coverage)


@admin.register(PatrolRun)
class PatrolRunAdmin(admin.ModelAdmin):
    """Read here; runs are started and finished by the worker's phone."""

    list_display = ("task", "worker", "started_at", "finished_at", "coverage", "length_m")
    list_filter = ("coverage_basis",)
    search_fields = ("task__title",)
    readonly_fields = [f.name for f in PatrolRun._meta.fields]
    inlines = [VisitInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
