"""The staff pages' shell: logging in and out, and the pages themselves: the audit log and the
investment workspace (the board, the project list with the leads, the project page, the reports).

A staff page is a template that names its bundle and hands it a config (labels, choices, URLs) as
JSON; the page is drawn by the shared component kit (frontend/src/staff/kit.js). Labels come
from the models' own translated names, so the page and the API say the same thing; every other
word a page shows is translated here (``config.text``), never written into its script.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.forms import LockoutAuthenticationForm
from accounts.roles import Role
from audit.api import COLUMNS, FILTERS
from audit.models import AuditAction, Channel, Entry, Outcome
from layers.models import Division, ProjectStage
from pipeline.models import Lead, LeadStatus
from policy.actions import Action
from policy.predicates import can_create_project, can_update_project, may, may_export, may_read_leads, visible
from policy.resources import AUDIT_LOG, CHANGESETS, GRID_EVENTS, PROJECTS
from policy.rules import role_allows
from policy.scope import role_of, scope_of
from projects.models import (
    AttachmentKind,
    Card,
    EventKind,
    Project,
    ProjectAttachment,
    Review,
    StageRule,
    Supplement,
)
from projects.workflow import ACTIONS

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
        "networkError": _("连不上服务器，请检查网络后重试。"),
        "httpError": _("服务器没有完成请求（HTTP %(status)s），请稍后重试；一直不行请联系系统管理员。"),
    }


def staff_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A staff page: logged in, and in its language (``?lang=`` or the cookie) before the view
    translates a single label."""

    @login_required
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        request.page_language = page_language(request)  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapped


def _nav(request: HttpRequest) -> list[dict[str, Any]]:
    """The staff pages this user may open, for the header; the current one marked."""
    user = request.user
    match = request.resolver_match
    current = match.url_name if match else ""
    pages: list[tuple[str, str]] = []
    if role_allows(user, PROJECTS, Action.READ):
        pages += [("workspace", _("看板")), ("projects", _("项目")), ("reports", _("报表"))]
    if role_allows(user, GRID_EVENTS, Action.READ):
        pages.append(("events", _("事件调度台")))
    if may(user, "parcels", Action.UPDATE) or role_allows(user, CHANGESETS, Action.READ):
        pages.append(("editor", _("园区数据编辑")))
    if may_export(user):
        pages.append(("exports", _("数据导出")))
    if role_allows(user, AUDIT_LOG, Action.READ):
        pages.append(("audit", _("审计日志")))
    if len(pages) < 2:
        return []  # one page needs no menu
    return [
        {
            "href": reverse(f"web:{name}"),
            "label": label,
            "current": name == current or (name, current) in {("projects", "project"), ("events", "event")},
        }
        for name, label in pages
    ]


def _staff_page(request: HttpRequest, bundle: str, title: str, config: dict[str, Any]) -> HttpResponse:
    code, explicit = request.page_language  # type: ignore[attr-defined]
    user = request.user
    config = {
        "lang": short_lang(code),
        "title": title,
        "user": f"{user.get_full_name()} {user.get_username()}".strip(),
        "logoutUrl": reverse("web:logout"),
        "csrfToken": get_token(request),
        "nav": _nav(request),
        **config,
        "text": {**_shell_text(), **config.get("text", {})},
    }
    response = render(
        request,
        "web/staff.html",
        {"config": config, "bundle": bundle, "title": title, "lang": config["lang"], "viewer": user},
    )
    return with_language_cookie(response, code, explicit)


def _denied(request: HttpRequest, reason: str, status: int = 403) -> HttpResponse:
    """A staff page this role may not open: 403, saying who may (404 for a record not theirs)."""
    lang = short_lang(request.page_language[0])  # type: ignore[attr-defined]
    return render(request, "web/staff_denied.html", {"lang": lang, "reason": reason}, status=status)


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


# --- the investment workspace (招商工作台) --------------------------------------------------------

# The project's own fields the project page edits, in the order it shows them; the stage rules'
# required fields join them (``_edit_fields``), so the checklist's "fill in" always has a field.
EDITABLE = (
    "name",
    "industry",
    "investment_wan",
    "annual_investment_wan",
    "expected_output_wan",
    "expected_tax_wan",
    "progress_percent",
    "unified_code",
    "office",
    "foreign_capital",
    "city_direct",
)


def _labels(kind: Any) -> dict[str, str]:
    return {value: str(label) for value, label in kind.choices if value}


def _label(model: type[models.Model], name: str) -> str:
    field: Any = model._meta.get_field(name)  # a concrete field: it has a verbose name
    return str(field.verbose_name)


def _field_spec(model: type[models.Model], name: str, **extra: Any) -> dict[str, Any]:
    """A form field for the kit (``FormField``): the model field's label, help and kind."""
    field: Any = model._meta.get_field(name)
    if isinstance(field, models.BooleanField):
        kind = "checkbox"
    elif isinstance(field, models.DecimalField | models.IntegerField):
        kind = "number"
    elif isinstance(field, models.DateField):
        kind = "date"
    elif isinstance(field, models.TextField):
        kind = "textarea"
    else:
        kind = "text"
    return {
        "name": name,
        "label": str(field.verbose_name),
        "type": kind,
        "help": str(getattr(field, "help_text", "") or ""),
        "required": kind != "checkbox" and not getattr(field, "blank", True),
        **extra,
    }


def _edit_fields() -> list[dict[str, Any]]:
    names = list(EDITABLE)
    for required in StageRule.objects.values_list("required_fields", flat=True):
        for name in required or ():
            field = next((f for f in Project._meta.concrete_fields if f.name == name), None)
            if field is not None and field.editable and not field.is_relation and name not in names:
                names.append(name)
    return [_field_spec(Project, name) for name in names]


def _divisions() -> list[Division]:
    """The city and its counties: a project's division is one of them (市直项目 are the city's)."""
    return list(
        Division.objects.filter(level__in=("city", "county"))
        .order_by("code")
        .only("id", "code", "name", "level")
    )


def _workspace_common(divisions: list[Division]) -> dict[str, Any]:
    """What every workspace page needs: addresses, the coded values' labels, division names."""
    return {
        "projectUrl": reverse("web:project", kwargs={"pk": 0}).replace("/0/", "/{id}/"),
        "listUrl": reverse("web:projects"),
        "labels": {"stages": _labels(ProjectStage), "cards": _labels(Card), "reviews": _labels(Review)},
        "divisionNames": {d.pk: d.name for d in divisions},
    }


def _workspace_text() -> dict[str, str]:
    return {
        "pending": _("待审核"),
        "reserve": _("备选库"),
        "ended": _("已终止"),
        "cancel": _("取消"),
        "sending": _("正在提交…"),
    }


def _may_not_read_projects(request: HttpRequest) -> HttpResponse | None:
    if role_allows(request.user, PROJECTS, Action.READ):
        return None
    return _denied(request, _("工作台供投促专员、领导和园区管理员使用。"))


@staff_view
def workspace_page(request: HttpRequest) -> HttpResponse:
    """招商工作台: the board of the caller's projects, by stage, cards coloured by their warning."""
    if refused := _may_not_read_projects(request):
        return refused
    config = {
        **_workspace_common(_divisions()),
        "boardUrl": reverse("project-board"),
        "text": {
            **_workspace_text(),
            "count": _("共 %(n)s 个"),
            "more": _("另有 %(n)s 个，见项目列表"),
            "empty": _("暂无项目"),
        },
    }
    return _staff_page(request, "web/workspace", _("招商工作台"), config)


def _presets(user: Any) -> list[dict[str, Any]]:
    """Quick views of the list for the user's role: above all, what waits for their review."""
    role = role_of(user)
    reviews: dict[str, str] = {Role.DISTRICT_LEADER: "county", Role.CITY_OFFICER: "city", Role.ADMIN: "any"}
    presets: list[dict[str, Any]] = [{"name": _("全部在办"), "query": {}}]
    if role in reviews:
        presets.append({"name": _("待我审核"), "query": {"pending": reviews[role]}})
    if role_allows(user, PROJECTS, Action.UPDATE):
        presets.append({"name": _("我负责的"), "query": {"owner": "me"}})
    presets += [
        {"name": _("预警项目"), "query": {"card": "any"}},
        {"name": _("备选库"), "query": {"reserve": "true"}},
    ]
    return presets


def _list_filters(user: Any, divisions: list[Division]) -> list[dict[str, Any]]:
    """The list's filters (projects.listing) as the kit's FilterForm draws them."""
    scope = scope_of(user)
    counties = [
        {"value": d.code, "label": d.name}
        for d in divisions
        if d.level == "county" and scope.contains(d.code)
    ]
    industries = (
        visible(user, PROJECTS)
        .exclude(industry="")
        .order_by("industry")
        .values_list("industry", flat=True)
        .distinct()
    )
    mine = [{"value": "me", "label": _("我负责的")}]
    return [
        {"name": "q", "label": _("名称或编号"), "type": "text"},
        {
            "name": "stage",
            "label": _label(Project, "stage"),
            "type": "select",
            "options": _choices(ProjectStage),
        },
        {
            "name": "card",
            "label": _label(Project, "card"),
            "type": "select",
            "options": [{"value": "any", "label": _("任一预警")}, *_choices(Card)[1:]],
        },
        {
            "name": "pending",
            "label": _label(Project, "pending"),
            "type": "select",
            "options": [{"value": "any", "label": _("任一审核")}, *_choices(Review)[1:]],
        },
        {"name": "division", "label": _label(Project, "division"), "type": "select", "options": counties},
        {
            "name": "industry",
            "label": _label(Project, "industry"),
            "type": "select",
            "options": [{"value": i, "label": i} for i in industries[:200]],
        },
        {
            "name": "reserve",
            "label": _("备选库"),
            "type": "select",
            "options": [
                {"value": "true", "label": _("仅备选库")},
                {"value": "false", "label": _("不含备选库")},
            ],
        },
        {
            "name": "status",
            "label": _("项目状态"),
            "type": "select",
            "anyLabel": _("在办项目"),
            "options": [
                {"value": "ended", "label": _("已终止")},
                {"value": "all", "label": _("在办和已终止")},
            ],
        },
        *(
            # Only those who run projects own any.
            [{"name": "owner", "label": _label(Project, "owner"), "type": "select", "options": mine}]
            if role_allows(user, PROJECTS, Action.UPDATE)
            else []
        ),
        {
            "name": "order",
            "label": _("排序"),
            "type": "select",
            "anyLabel": _("最近更新在前"),
            "options": [
                {"value": "due", "label": _("到期日近的在前")},
                {"value": "investment", "label": _("投资额大的在前")},
                {"value": "name", "label": _("按名称")},
            ],
        },
    ]


def _create_config(user: Any, divisions: list[Division]) -> dict[str, Any]:
    """新建项目 and 线索转项目: the divisions the user may create projects in, and the form."""
    allowed = [d for d in divisions if can_create_project(user, Project(division=d, division_code=d.code))]
    return {
        "projectsApi": reverse("project-list"),
        "createDivisions": [{"value": d.pk, "label": d.name, "code": d.code} for d in allowed],
        "createFields": [
            _field_spec(Project, "name"),
            _field_spec(Project, "division", type="select", required=True, help=""),
            _field_spec(Project, "industry"),
            _field_spec(Project, "investment_wan"),
        ],
    }


@staff_view
def projects_page(request: HttpRequest) -> HttpResponse:
    """项目列表: filters, quick and saved views, and the area's leads to convert."""
    if refused := _may_not_read_projects(request):
        return refused
    user = request.user
    divisions = _divisions()
    leads = may_read_leads(user)
    config = {
        **_workspace_common(divisions),
        **_create_config(user, divisions),
        "viewsApi": reverse("saved-view-list"),
        "leadsApi": reverse("lead-list") if leads else None,
        "filters": _list_filters(user, divisions),
        "presets": _presets(user),
        "columns": [
            {"name": name, "label": _label(Project, name)}
            for name in (
                "name",
                "code",
                "stage",
                "division",
                "industry",
                "investment_wan",
                "due_on",
                "updated_at",
            )
        ],
        "leadColumns": [
            *(
                {"name": name, "label": _label(Lead, name)}
                for name in ("reference", "company", "investor_name", "phone", "industry", "investment_wan")
            ),
            {"name": "carriers", "label": _("意向载体")},
            *({"name": name, "label": _label(Lead, name)} for name in ("division", "status", "created_at")),
            {"name": "convert", "label": _("操作")},
        ]
        if leads
        else [],
        "leadStatuses": _choices(LeadStatus),
        "text": {
            **_workspace_text(),
            "projectsTab": _("项目"),
            "filtersToggle": _("筛选条件（%(n)s）"),
            "leadsTab": _("线索"),
            "found": _("共 %(n)s 个项目"),
            "leadsFound": _("共 %(n)s 条线索"),
            "noLeads": _("没有这种状态的线索。"),
            "leadStatus": _label(Lead, "status"),
            "saveView": _("保存当前筛选"),
            "viewName": _("视图名称"),
            "viewSaved": _("已保存视图「%(name)s」"),
            "save": _("保存"),
            "delete": _("删除"),
            "deleteView": _("删除视图「%(name)s」"),
            "deleteViewTitle": _("删除视图"),
            "deleteViewQuestion": _("删除视图「%(name)s」？只删除这个筛选，不影响任何项目。"),
            "createTitle": _("新建项目"),
            "create": _("创建项目"),
            "convert": _("转为项目"),
            "convertTitle": _("线索 %(ref)s 转为项目"),
            "convertIntro": _("项目将带上投资人浏览过的载体，线索标记为已转为项目。"),
        },
    }
    return _staff_page(request, "web/workspace-list", _("项目列表"), config)


def _action_fields() -> dict[str, list[dict[str, Any]]]:
    """What each workflow action asks for (projects.api ``act``): its dialog's fields."""

    def note(label: str, required: bool = False, help: str = "") -> dict[str, Any]:
        return {"name": "comment", "label": label, "type": "textarea", "required": required, "help": help}

    return {
        "submit": [note(_("提交说明"))],
        "approve": [note(_("审核意见"))],
        "send_back": [
            {
                "name": "reason",
                "label": _label(Project, "returned_reason"),
                "type": "textarea",
                "required": True,
                "help": _("提交人会看到这段话：写明要补充或修改什么。"),
            }
        ],
        "end": [
            {"name": "reason", "label": _label(Project, "end_reason"), "type": "textarea", "required": True}
        ],
        "to_reserve": [note(_("说明"))],
        "from_reserve": [note(_("说明"))],
        "transfer": [
            {
                "name": "to",
                "label": _label(Project, "pending_division"),
                "type": "select",
                "required": True,
                "options": [],
            },
            note(_("流转原因"), required=True, help=_("说明项目为什么不适合在本区县落地。")),
        ],
        "supplement": [
            _field_spec(Supplement, "content", required=True),
            _field_spec(Supplement, "signed_on", required=True),
            _field_spec(Supplement, "added_investment_wan"),
        ],
    }


def _action_text() -> dict[str, Any]:
    return {
        "intro": {
            "submit": _("申请进入「%(stage)s」：需要审核的，依次由区县领导、市级审核。"),
            "approve": _("通过「%(review)s」。"),
            "send_back": _("退回给提交人（%(review)s）。"),
            "end": _("终止后项目不再推进，它占用的载体将被释放。此操作不能撤销。"),
            "to_reserve": _("暂缓推进，转入备选库；以后可以移出继续推进。"),
            "from_reserve": _("移出备选库，继续推进。"),
            "transfer": _("把项目流转到另一个区县：市级审核通过后，由接收区县确认接收。"),
            "supplement": _("补充签约提交市级审核；请同时上传这次的补充协议。"),
        },
        "confirm": {
            "submit": _("确认提交"),
            "approve": _("确认通过"),
            "send_back": _("确认退回"),
            "end": _("确认终止"),
            "transfer": _("提交流转"),
            "supplement": _("提交补充签约"),
        },
    }


@staff_view
def project_page(request: HttpRequest, pk: int) -> HttpResponse:
    """项目详情: where the project stands and what this user may do with it now."""
    if refused := _may_not_read_projects(request):
        return refused
    user = request.user
    project = visible(user, PROJECTS).filter(pk=pk).first()
    if project is None:
        return _denied(request, _("没有这个项目，或它不在你的工作范围内。"), status=404)
    divisions = _divisions()
    common = _workspace_common(divisions)
    config = {
        **common,
        "projectId": project.pk,
        "detailApi": reverse("project-detail", args=[pk]),
        "eventsApi": reverse("project-events", args=[pk]),
        "attachmentsApi": reverse("project-attachments", args=[pk]),
        "mapApi": reverse("project-map", args=[pk]),
        "actionApi": reverse("project-act", kwargs={"pk": pk, "name": "submit"}).replace(
            "/submit/", "/{name}/"
        ),
        "mapStyleUrl": reverse("tile-style"),
        "mapJs": static("web/staff-map.js"),
        "mapCss": static("web/staff-map.css"),
        "canEdit": can_update_project(user, project),
        "editFields": _edit_fields(),
        "actionFields": _action_fields(),
        "signingDateField": _field_spec(Project, "signing_date"),
        "counties": [{"value": str(d.pk), "label": d.name} for d in divisions if d.level == "county"],
        "fieldLabels": {
            name: _label(Project, name)
            for name in ("code", "stage", "division", "investment_wan", "due_on", "signing_date")
        },
        "attachmentColumns": [
            {"name": name, "label": _label(ProjectAttachment, name)}
            for name in ("kind", "version", "filename", "size", "uploaded_by", "uploaded_at")
        ],
        "labels": {
            **common["labels"],
            "events": _labels(EventKind),
            "actions": {name: str(action.label) for name, action in ACTIONS.items()},
            "attachments": _labels(AttachmentKind),
        },
        "text": {
            **_workspace_text(),
            **_action_text(),
            "backToList": _("← 项目列表"),
            "retry": _("重试"),
            "actionsTitle": _("可以做的操作"),
            "noActions": _("你现在对这个项目没有可做的操作。"),
            "waitingStage": _("等待「%(review)s」：申请进入「%(stage)s」。"),
            "waitingTransfer": _("等待「%(review)s」：流转到其他区县的申请。"),
            "waitingSupplement": _("等待「%(review)s」：补充签约。"),
            "returned": _("被退回：%(reason)s"),
            "endedBecause": _("已于 %(at)s 终止：%(reason)s"),
            "checklistFor": _("进入「%(stage)s」需要"),
            "checklistLast": _("项目已在最后阶段，没有下一阶段的要求。"),
            "nothingRequired": _("这一阶段没有必填字段和必需附件。"),
            "done": _("已完成"),
            "todo": _("未完成"),
            "fillIn": _("去填写"),
            "upload": _("上传文件"),
            "uploadNewVersion": _("上传新版本"),
            "uploaded": _("已上传「%(kind)s」第 %(version)s 版。"),
            "sameFile": _("这个文件与「%(kind)s」第 %(version)s 版相同，没有新增版本。"),
            "stillMissing": _("还缺：%(items)s。先补齐再提交，否则会被退回到这里。"),
            "actionDone": _("已完成：%(action)s"),
            "detailsTitle": _("项目信息"),
            "save": _("保存"),
            "saved": _("已保存。"),
            "discard": _("放弃修改"),
            "reloadLatest": _("载入最新版本"),
            "reloadedKeepEdits": _("已载入最新版本；你的修改还在表单里，核对后再保存。"),
            "yes": _("是"),
            "no": _("否"),
            "timelineTitle": _("办理记录"),
            "noEvents": _("还没有记录。"),
            "attachmentsTitle": _("附件资料"),
            "attachmentKind": _label(ProjectAttachment, "kind"),
            "noAttachments": _("还没有附件。"),
            "mapTitle": _("项目点位与载体"),
            "noCarriers": _("这个项目还没有点位或载体。"),
            "mapFailed": _("地图没有加载出来，请刷新页面重试。"),
        },
    }
    return _staff_page(request, "web/workspace-project", _("项目详情"), config)


@staff_view
def reports_page(request: HttpRequest) -> HttpResponse:
    """统计报表: the KPIs with their charts, and the reports with their period and Excel export."""
    if refused := _may_not_read_projects(request):
        return refused
    user = request.user
    divisions = _divisions()
    scope = scope_of(user)
    counties = [
        {"value": d.code, "label": d.name}
        for d in divisions
        if d.level == "county" and scope.contains(d.code)
    ]
    county_filter = {"label": _label(Project, "division"), "type": "select", "options": counties}
    config = {
        **_workspace_common(divisions),
        "reportsApi": reverse("project-reports"),
        "kpisApi": reverse("project-kpis"),
        "chartsJs": static("web/staff-charts.js"),
        "kpiFilters": [
            {"name": "year", "label": _("年度"), "type": "number"},
            {
                "name": "month",
                "label": _("对比月份"),
                "type": "select",
                "anyLabel": _("本月"),
                "options": [{"value": str(m), "label": _("%(m)s 月") % {"m": m}} for m in range(1, 13)],
            },
            {"name": "division", **county_filter, "anyLabel": _("全部区县")},
        ],
        "reportFilters": [
            {"name": "from", "label": _("起始日期"), "type": "date"},
            {"name": "to", "label": _("截止日期"), "type": "date"},
            {"name": "rdivision", **county_filter, "anyLabel": _("全部区县")},
        ],
        "text": {
            **_workspace_text(),
            "kpiFor": _("%(year)s 年指标（月度对比：%(month)s 月）"),
            "days": _("%(n)s 天"),
            "yes": _("是"),
            "no": _("否"),
            "kpi": {
                "projects": _("在库项目"),
                "introduced": _("本年新引进"),
                "planned": _("新引进计划投资（万元）"),
                "completion": _("新引进目标完成率"),
                "billion": _("10 亿元以上项目"),
                "foreign": _("外资项目"),
                "notRegistered": _("已签约未注册"),
                "notProducing": _("已竣工未投产"),
                "belowTarget": _("已投产未达产"),
                "signedToProduction": _("签约到投产（中位数）"),
            },
            "chart": {
                "stages": _("各阶段项目数"),
                "projects": _("项目数"),
                "newProjects": _("新引进项目数"),
                "nProjects": _("%(n)s 个"),
                "county": _("各区县年度目标完成率"),
                "industry": _("本年新引进项目（按产业）"),
                "periods": _("本月与上月、去年同月"),
                "projectsRate": _("项目数完成率"),
                "investmentRate": _("投资额完成率"),
                "investment": _("计划投资（万元）"),
                "thisMonth": _("本月"),
                "lastMonth": _("上月"),
                "sameMonthLastYear": _("去年同月"),
                "changes": _("新引进项目数：环比 %(mom)s，同比 %(yoy)s"),
                "noTargets": _("还没有设定年度目标，图中是新引进项目数；目标在后台「招商任务目标」中设定。"),
                "nothing": _("这一年还没有新引进的项目。"),
            },
            "chartsFailed": _("图表没有加载出来，请刷新页面重试。"),
            "reportsTitle": _("报表"),
            "rows": _("共 %(n)s 行"),
            "exportXlsx": _("导出 Excel"),
            "exporting": _("正在导出…"),
            "exportProgress": _("正在生成，已完成 %(n)s%%"),
            "exportDone": _("已生成，浏览器正在下载。"),
            "exportFailed": _("导出没有完成，请稍后重试。"),
            "exportOnly": _("这份报表只提供导出。"),
        },
    }
    return _staff_page(request, "web/workspace-reports", _("统计报表"), config)
