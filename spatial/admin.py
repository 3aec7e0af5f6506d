"""Overlay checks in the admin: read the reports, review findings on a map."""

from django.contrib import admin
from django.contrib.gis import admin as gis_admin

from layers.admin import OfflineMapWidget

from .models import Finding, OverlayCheck


class FindingInline(admin.TabularInline):
    model = Finding
    fields = ("subject_layer", "subject_id", "object_id", "overlap_area_m2", "verdict", "reviewed_by", "note")
    readonly_fields = ("subject_layer", "subject_id", "object_id", "overlap_area_m2", "reviewed_by")
    extra = 0
    show_change_link = True
    can_delete = False


@admin.register(OverlayCheck)
class OverlayCheckAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "kind",
        "status",
        "progress",
        "division",
        "finding_count",
        "requested_by",
        "created_at",
    )
    list_filter = ("kind", "status")
    readonly_fields = [f.name for f in OverlayCheck._meta.concrete_fields]
    inlines = [FindingInline]

    def has_add_permission(self, request):  # checks are started through the API, as jobs
        return False


@admin.register(Finding)
class FindingAdmin(gis_admin.GISModelAdmin):
    gis_widget = OfflineMapWidget
    list_display = (
        "id",
        "check_run",
        "subject_layer",
        "subject_id",
        "object_id",
        "overlap_area_m2",
        "verdict",
    )
    list_filter = ("verdict", "check_run__kind")
    readonly_fields = (
        "check_run", "overlap_area_m2", "subject_layer", "subject_id", "object_layer", "object_id",
        "division_code", "details", "reviewed_by", "reviewed_at",
    )  # fmt: skip

    def has_add_permission(self, request):
        return False
