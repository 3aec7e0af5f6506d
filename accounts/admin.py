from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "role", "division", "park", "grid_cell", "is_active")
    list_filter = ("role", "is_active", "is_superuser")
    autocomplete_fields = ("division", "park", "grid_cell")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("角色与辖区"), {"fields": ("role", "division", "park", "grid_cell", "phone")}),
    )
