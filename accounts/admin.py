from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.admin import confirmed_action

from . import tokens
from .forms import LockoutAdminAuthenticationForm
from .models import AuthToken, User

# The admin's login goes through the lockout backend anyway; this form says when a lockout lifts.
admin.site.login_form = LockoutAdminAuthenticationForm


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "role", "division", "park", "grid_cell", "is_active")
    list_filter = ("role", "is_active", "is_superuser")
    autocomplete_fields = ("division", "park", "grid_cell")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("角色与辖区"), {"fields": ("role", "division", "park", "grid_cell", "phone")}),
    )


@admin.register(AuthToken)
class AuthTokenAdmin(admin.ModelAdmin):
    """Every user's tokens, to see and revoke (a lost phone: filter by the device kind, search the
    user, revoke). No adding: a key is shown only to whoever it is issued to (the token and device
    endpoints, ``manage.py wall_token``)."""

    list_display = (
        "prefix",
        "user",
        "kind",
        "name",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("kind", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("user__username", "prefix", "name")
    list_select_related = ("user",)
    readonly_fields = [f.name for f in AuthToken._meta.fields]
    actions = ["revoke_tokens"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoked, not deleted: the record stays for whoever reviews access

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.change_authtoken")

    @admin.action(description=_("撤销所选令牌"), permissions=["revoke"])
    @confirmed_action  # 二次确认: a revoked token cannot be restored
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[AuthToken]) -> None:
        revoked = sum(
            tokens.revoke(token, request=request) for token in queryset.filter(revoked_at__isnull=True)
        )
        self.message_user(request, _("已撤销 %(n)d 个令牌。") % {"n": revoked})
