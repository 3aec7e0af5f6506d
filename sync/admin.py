from django.contrib import admin

from .models import Operation, PhotoUpload


@admin.register(Operation)
class OperationAdmin(admin.ModelAdmin):
    """What each phone sent and what it was answered, for support: read only."""

    list_display = ("uuid", "type", "state", "user", "device_time", "server_time", "clock_offset_s")
    list_filter = ("state", "type")
    search_fields = ("uuid", "user__username")
    readonly_fields = [f.name for f in Operation._meta.fields]


@admin.register(PhotoUpload)
class PhotoUploadAdmin(admin.ModelAdmin):
    list_display = ("sha256", "user", "received", "total", "path", "updated_at")
    search_fields = ("sha256", "user__username")
    readonly_fields = [f.name for f in PhotoUpload._meta.fields]
