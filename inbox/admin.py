from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Delivery, Message


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ("channel", "status", "attempts", "next_attempt_at", "sent_at", "last_error")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Messages are written by the platform; the admin shows them and how their delivery went."""

    list_display = ("created_at", "recipient", "kind", "title", "read_at")
    list_filter = ("kind", "deliveries__status")
    search_fields = ("title", "recipient__username", "key")
    readonly_fields = [f.name for f in Message._meta.fields]
    inlines = [DeliveryInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
