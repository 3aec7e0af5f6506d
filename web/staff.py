"""The staff pages' shell: logging in and out, and the pages themselves (the audit log now).

A staff page is a template that names its bundle and hands it a config (labels, choices, URLs) as
JSON; the page is drawn by the shared component kit (frontend/src/staff/kit.js). Labels come
from the models' own translated names, so the page and the API say the same thing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.forms import LockoutAuthenticationForm
from accounts.roles import Role
from audit.api import COLUMNS, FILTERS
from audit.models import AuditAction, Channel, Entry, Outcome
from policy.actions import Action
from policy.resources import AUDIT_LOG, PROJECTS
from policy.rules import role_allows
from projects.models import Card

from .language import page_language, short_lang, with_language_cookie


class LoginView(auth_views.LoginView):
    """登录: the staff pages' login, with the lockout's message (accounts.lockout)."""

    template_name = "web/login.html"
    authentication_form = LockoutAuthenticationForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        code, _explicit = page_language(self.request)
        return {**super().get_context_data(**kwargs), "lang": short_lang(code)}


class LogoutView(auth_views.LogoutView):
    next_page = settings.LOGIN_URL


def _shell_text() -> dict[str, str]:
    return {
        "logout": _("退出登录"),
        "search": _("查询"),
        "reset": _("重置"),
        "any": _("全部"),
        "previous": _("上一页"),
        "next": _("下一页"),
        "empty": _("没有符合条件的记录。"),
    }


def staff_view(view: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """A staff page: logged in, and in its language (``?lang=`` or the cookie) before the view
    translates a single label."""

    @login_required
    @functools.wraps(view)
    def wrapped(request: HttpRequest) -> HttpResponse:
        request.page_language = page_language(request)  # type: ignore[attr-defined]
        return view(request)

    return wrapped


def _staff_page(request: HttpRequest, bundle: str, title: str, config: dict[str, Any]) -> HttpResponse:
    code, explicit = request.page_language  # type: ignore[attr-defined]
    user = request.user
    config = {
        "lang": short_lang(code),
        "title": title,
        "user": f"{user.get_full_name()} {user.get_username()}".strip(),
        "logoutUrl": reverse("web:logout"),
        "csrfToken": get_token(request),
        **config,
        "text": {**_shell_text(), **config.get("text", {})},
    }
    response = render(
        request,
        "web/staff.html",
        {"config": config, "bundle": bundle, "title": title, "lang": config["lang"], "viewer": user},
    )
    return with_language_cookie(response, code, explicit)


def _denied(request: HttpRequest, reason: str) -> HttpResponse:
    """A staff page this role may not open: 403, saying who may."""
    lang = short_lang(request.page_language[0])  # type: ignore[attr-defined]
    return render(request, "web/staff_denied.html", {"lang": lang, "reason": reason}, status=403)


def _choices(kind: Any) -> list[dict[str, str]]:
    return [{"value": value, "label": str(label)} for value, label in kind.choices]


@staff_view
def audit_page(request: HttpRequest) -> HttpResponse:
    """审计日志: for auditors (and administrators); everyone else gets a 403 page that says so."""
    if not role_allows(request.user, AUDIT_LOG, Action.READ):
        return _denied(request, _("审计日志仅供安全审计员和系统管理员查看。"))
    choices = {"action": _choices(AuditAction), "outcome": _choices(Outcome), "channel": _choices(Channel)}
    roles = _choices(Role)
    field_label = {name: str(Entry._meta.get_field(name).verbose_name) for name in COLUMNS}
    filter_labels = {"user": field_label["username"], "since": _("起始日期"), "until": _("截止日期")}
    filters = []
    for param in FILTERS:
        name = param.name
        kind = "select" if name in choices else "date" if name in {"since", "until"} else "text"
        filters.append(
            {
                "name": name,
                "label": filter_labels.get(name) or field_label.get(name, name),
                "type": kind,
                "options": choices.get(name, []),
            }
        )
    config = {
        "entriesUrl": reverse("audit-entries"),
        "exportCsvUrl": reverse("audit-export", kwargs={"kind": "csv"}),
        "exportXlsxUrl": reverse("audit-export", kwargs={"kind": "xlsx"}),
        "columns": [{"name": name, "label": field_label[name]} for name in COLUMNS],
        "filters": filters,
        "choices": {**choices, "role": roles},
        "text": {
            "exportCsv": _("导出 CSV"),
            "exportXlsx": _("导出 Excel"),
            "exportNote": _("导出当前筛选的全部记录；导出本身也会记入审计日志。"),
        },
    }
    return _staff_page(request, "web/audit", _("审计日志"), config)


@staff_view
def workspace_page(request: HttpRequest) -> HttpResponse:
    """招商工作台: the board of the caller's projects, by stage, cards coloured by their warning."""
    if not role_allows(request.user, PROJECTS, Action.READ):
        return _denied(request, _("工作台供投促专员、领导和园区管理员使用。"))
    config = {
        "boardUrl": reverse("project-board"),
        "cards": {value: str(label) for value, label in Card.choices if value},
        "text": {
            "count": _("共 %(n)s 个"),
            "more": _("另有 %(n)s 个，见项目列表"),
            "pending": _("待审核"),
            "reserve": _("备选库"),
            "empty": _("暂无项目"),
        },
    }
    return _staff_page(request, "web/workspace", _("招商工作台"), config)
