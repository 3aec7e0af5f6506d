"""Admin pieces shared by the apps' admins: the second confirmation (二次确认) before an irreversible
bulk action and before a revert, and the audit note of personal data shown unmasked."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin

from .context import note_personal_data


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record kept by the platform itself (a job, an upload): shown in full, never added or
    edited in the admin. Every concrete field is read-only."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Sent by the "confirm" button of admin/action_confirmation.html.
ACTION_CONFIRM_FIELD = "_confirmed"

Action = Callable[[admin.ModelAdmin, HttpRequest, QuerySet], HttpResponse | None]


def confirmed_action(action: Action) -> Action:
    """An admin action that first shows the selected objects on a page of its own, as Django's
    delete does, and runs only when that page's button is pressed. Put it under ``@admin.action``."""

    @functools.wraps(action)
    def run(model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        if request.POST.get(ACTION_CONFIRM_FIELD) == "yes":
            return action(model_admin, request, queryset)
        opts = model_admin.model._meta
        context = {
            **model_admin.admin_site.each_context(request),
            "title": _("请确认"),
            "subtitle": None,
            "description": getattr(run, "short_description", action.__name__),
            "action": action.__name__,
            "queryset": queryset,
            "opts": opts,
            "app_label": opts.app_label,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "confirm_field": ACTION_CONFIRM_FIELD,
        }
        return TemplateResponse(request, "admin/action_confirmation.html", context)

    run.confirmed = True  # type: ignore[attr-defined]  # read by tests/web/test_admin_confirm.py
    return run


# The tick box on the revert page (geoportal/templates/admin/history_revert_form.html).
REVERT_CONFIRM_FIELD = "_confirm_revert"


class ConfirmedRevertAdmin(SimpleHistoryAdmin):
    """simple_history's revert overwrites the current record with an old version at one click. Here
    the revert page asks for an explicit tick, and a POST without it is refused and changes nothing,
    whatever the browser did."""

    object_history_form_template = "admin/history_revert_form.html"

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        revert_off = getattr(settings, "SIMPLE_HISTORY_REVERT_DISABLED", False)
        if request.method == "POST" and not revert_off and request.POST.get(REVERT_CONFIRM_FIELD) != "on":
            messages.error(request, _("请先勾选确认：恢复后，当前内容将被这个历史版本覆盖。"))
            return HttpResponseRedirect(request.get_full_path())
        context = {**(extra_context or {}), "revert_confirm_field": REVERT_CONFIRM_FIELD}
        return super().history_form_view(request, object_id, version_id, extra_context=context)


class PersonalDataAdmin(admin.ModelAdmin):
    """An admin whose change and history pages show personal fields unmasked (administrators may
    see them): each such page view is noted for the request's one audit entry of personal-data
    reads, as the API's are. ``personal_fields`` names them."""

    personal_fields: tuple[str, ...] = ()

    def _note(self, object_id: str | None) -> None:
        if self.personal_fields and object_id:
            note_personal_data(self.model._meta.label_lower, object_id, self.personal_fields)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        self._note(object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        self._note(object_id)
        # Only the history admins (SimpleHistoryAdmin, later in the MRO) route to this page.
        return super().history_form_view(request, object_id, version_id, extra_context)  # type: ignore[misc]
