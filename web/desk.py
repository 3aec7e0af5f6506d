"""事件调度台 (/staff/events/): the dispatcher's desk — the events of one's area on a map and in a
list, the overdue board (逾期看板), patrol tasks with their tracks and coverage, the checklist
templates; and one event's page (/staff/events/<id>/) with its timeline, photos and the steps the
caller may take now.

Served like every staff page (``web.staff._staff_page``): a bundle and its config. The labels are
the models' own (verbose names, ``TextChoices``), the steps' names and every other word are
translated here, never in the scripts (frontend/src/events/).
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.roles import Role
from grid.api import MAP_LIMIT
from grid.models import LEVELS, DeadlineCard, EventCategory, EventSource, GridEvent
from layers.models import Division, EventStatus
from patrols.checklist import ItemType
from patrols.models import AreaKind, ChecklistTemplate, PatrolTask, TaskState
from policy.actions import Action
from policy.predicates import may_configure_checklists, visible_departments, visible_events
from policy.resources import EVENT_CONFIG, GRID_EVENTS, PATROL_TASKS
from policy.rules import role_allows
from policy.scope import ScopeFields, scope_of

from .staff import _choices, _denied, _field_spec, _label, _labels, _staff_page, staff_view

OPEN = ",".join(
    (
        EventStatus.REPORTED,
        EventStatus.ACCEPTED,
        EventStatus.DISPATCHED,
        EventStatus.HANDLING,
        EventStatus.REPLIED,
    )
)


def _may_not_read_events(request: HttpRequest) -> HttpResponse | None:
    if role_allows(request.user, GRID_EVENTS, Action.READ):
        return None
    return _denied(request, _("事件调度台供网格员、网格治理工作人员、专员和领导使用。"))


def _step_labels() -> dict[str, str]:
    """The timeline's and the action bar's names of ``grid.workflow.STEPS`` (and the report)."""
    return {
        "report": _("上报"),
        "accept": _("受理"),
        "reject": _("不予受理"),
        "dispatch": _("派遣"),
        "redispatch": _("转派"),
        "start": _("开始处置"),
        "feedback": _("处置反馈"),
        "verify": _("核查通过"),
        "verify_failed": _("核查未通过"),
        "close": _("结案"),
        "evaluate": _("评价"),
        "chase": _("催办"),
        "escalate": _("升级"),
        "merge": _("合并"),
    }


def _level_labels() -> dict[int, str]:
    """Where an event is handled after ``escalation`` steps up (``grid.models.LEVELS``)."""
    names = {"village": _("村级办理"), "town": _("镇级办理"), "county": _("县级办理"), "city": _("市级办理")}
    return {i: names[level] for i, level in enumerate(LEVELS)}


def _division_names(user: Any) -> dict[str, str]:
    """Names of the counties, towns and villages of the user's area, by code (the list, the board)."""
    scope = scope_of(user)
    inside = scope.q(ScopeFields(division="code"))
    if scope.home_code:
        inside |= Q(code=scope.home_code)
    rows = Division.objects.filter(inside, level__in=("county", "town", "village")).values_list(
        "code", "name"
    )
    return dict(rows)


def _common(request: HttpRequest) -> dict[str, Any]:
    """What both desk pages need: addresses, the coded values' labels, the categories' names."""
    user = request.user
    dispatcher = role_allows(user, EVENT_CONFIG, Action.READ)
    return {
        "deskUrl": reverse("web:events"),
        "eventUrl": reverse("web:event", kwargs={"pk": 0}).replace("/0/", "/{id}/"),
        "eventsApi": reverse("event-list"),
        "eventApi": reverse("event-detail", args=[0]).replace("/0/", "/{id}/"),
        "departmentsApi": reverse("department-list") if dispatcher else None,
        "peopleApi": reverse("event-person-list") if dispatcher else None,
        "openStates": OPEN,
        "mediaUrl": settings.MEDIA_URL,
        "divisionNames": _division_names(user),
        "mapStyleUrl": reverse("tile-style"),
        "mapJs": static("web/staff-map.js"),
        "mapCss": static("web/staff-map.css"),
        "labels": {
            "states": _labels(EventStatus),
            "cards": _labels(DeadlineCard),
            "sources": _labels(EventSource),
            "steps": _step_labels(),
            "levels": _level_labels(),
            "categories": {c.key: c.label for c in EventCategory.objects.order_by("key")},
            "roles": _labels(Role),
        },
        "fieldLabels": {
            "division_code": _("所在村（社区）"),
            **{
                name: _label(GridEvent, name)
                for name in (
                    "code",
                    "category",
                    "state",
                    "source",
                    "reporter",
                    "department",
                    "handler",
                    "due_on",
                    "created_at",
                    "closed_at",
                    "score",
                )
            },
        },
    }


def _common_text() -> dict[str, str]:
    return {
        "cancel": _("取消"),
        "sending": _("正在提交…"),
        "retry": _("重试"),
        "urgent": _("加急"),
        "escalated": _("已升级 %(n)s 次"),
        "dueOn": _("%(date)s 到期"),
        "mapTitle": _("事件分布"),
        "mapFailed": _("地图没有加载出来，请刷新页面重试。"),
        "noPlace": _("没有可以显示在地图上的事件。"),
        "tooMany": _("地图只画出前 %(n)s 个事件，请缩小筛选范围。"),
        "refused409": _("事件的状态已经变了，页面已刷新：请按现在能做的操作继续。"),
        "unset": _("不指定"),
        "refused403": _("这一步不归你办理，或派遣对象不在你的辖区：请选择辖区内的部门或人员，或请上级处理。"),
    }


def _filters(user: Any, names: dict[str, str]) -> list[dict[str, Any]]:
    """The list's filters (grid.listing) as the kit's FilterForm draws them."""
    towns = sorted(
        (code, name) for code, name in names.items() if code.endswith("000") and not code.endswith("000000")
    )
    counties = sorted((code, name) for code, name in names.items() if code.endswith("000000"))
    departments = [
        {"value": str(d.pk), "label": str(d)}
        for d in visible_departments(user).order_by("division__code", "name")
    ]
    return [
        {"name": "q", "label": _("编号或标题"), "type": "text"},
        {
            "name": "state",
            "label": _label(GridEvent, "state"),
            "type": "select",
            "options": [{"value": OPEN, "label": _("全部在办")}, *_choices(EventStatus)],
        },
        {
            "name": "category",
            "label": _label(GridEvent, "category"),
            "type": "select",
            "options": [
                {"value": c.key, "label": c.label}
                for c in EventCategory.objects.filter(active=True).order_by("key")
            ],
        },
        {
            "name": "card",
            "label": _label(GridEvent, "card"),
            "type": "select",
            "options": [{"value": "any", "label": _("即将到期或已逾期")}, *_choices(DeadlineCard)[1:]],
        },
        {
            "name": "escalated",
            "label": _label(GridEvent, "escalation"),
            "type": "select",
            "options": [{"value": "true", "label": _("已升级")}, {"value": "false", "label": _("未升级")}],
        },
        {
            "name": "urgent",
            "label": _label(GridEvent, "urgent"),
            "type": "select",
            "options": [{"value": "true", "label": _("仅加急")}, {"value": "false", "label": _("不含加急")}],
        },
        {
            "name": "source",
            "label": _label(GridEvent, "source"),
            "type": "select",
            "options": _choices(EventSource),
        },
        {
            "name": "division",
            "label": _("所在区域"),
            "type": "select",
            "options": [{"value": code, "label": name} for code, name in counties + towns],
        },
        *(
            [
                {
                    "name": "department",
                    "label": _label(GridEvent, "department"),
                    "type": "select",
                    "options": departments,
                }
            ]
            if departments
            else []
        ),
        {
            "name": "handler",
            "label": _label(GridEvent, "handler"),
            "type": "select",
            "options": [{"value": "me", "label": _("派给我的")}],
        },
        {"name": "since", "label": _("上报起始日期"), "type": "date"},
        {"name": "until", "label": _("上报截止日期"), "type": "date"},
        {
            "name": "order",
            "label": _("排序"),
            "type": "select",
            "anyLabel": _("最新上报在前"),
            "options": [
                {"value": "due", "label": _("到期日近的在前")},
                {"value": "escalation", "label": _("升级次数多的在前")},
            ],
        },
    ]


def _presets() -> list[dict[str, Any]]:
    """Quick views of the list: what waits for each step."""
    return [
        {"name": _("全部在办"), "query": {"state": OPEN}},
        {"name": _("待受理"), "query": {"state": EventStatus.REPORTED}},
        {"name": _("待派遣"), "query": {"state": EventStatus.ACCEPTED}},
        {"name": _("处置中"), "query": {"state": f"{EventStatus.DISPATCHED},{EventStatus.HANDLING}"}},
        {"name": _("待核查"), "query": {"state": EventStatus.REPLIED}},
        {"name": _("预警事件"), "query": {"card": "any"}},
        {"name": _("派给我的"), "query": {"handler": "me"}},
    ]


def _patrols(user: Any) -> dict[str, Any] | None:
    """巡查任务 and 检查项模板: the addresses, labels and words of the desk's patrol tabs."""
    if not role_allows(user, PATROL_TASKS, Action.READ):
        return None
    task = functools.partial(_label, PatrolTask)
    template = functools.partial(_label, ChecklistTemplate)
    return {
        "tasksApi": reverse("patrol-task-list"),
        "runsApi": reverse("patrol-run-list"),
        "templatesApi": reverse("patrol-template-list"),
        "reviseUrl": reverse("patrol-template-revise", args=[0]).replace("/0/", "/{id}/"),
        "canEdit": may_configure_checklists(user, Action.CREATE)
        and may_configure_checklists(user, Action.UPDATE),
        "states": _labels(TaskState),
        "areaKinds": _labels(AreaKind),
        "filters": [
            {"name": "state", "label": task("state"), "type": "select", "options": _choices(TaskState)},
            {
                "name": "worker",
                "label": task("worker"),
                "type": "select",
                "options": [{"value": "me", "label": _("我的任务")}],
            },
            {
                "name": "overdue",
                "label": task("due_until"),
                "type": "select",
                "options": [{"value": "true", "label": _("已过截止时间未完成")}],
            },
        ],
        "columns": [
            *({"name": name, "label": task(name)} for name in ("title", "worker", "template", "area_kind")),
            *({"name": name, "label": task(name)} for name in ("due_until", "state")),
            {"name": "lock", "label": task("lock_holder")},
            {"name": "coverage", "label": _("上次覆盖率")},
        ],
        "templateColumns": [
            {"name": name, "label": template(name)}
            for name in ("key", "name", "version", "items", "created_at")
        ],
        "columnLabels": {name: template(name) for name in ("version", "name", "items", "created_at")},
        "templateFields": [
            _field_spec(ChecklistTemplate, "key", required=True),
            _field_spec(ChecklistTemplate, "name", required=True),
        ],
        "itemFields": [
            {"name": "key", "label": template("key"), "type": "text"},
            {"name": "label", "label": _("检查项名称"), "type": "text"},
            {"name": "type", "label": _("类型"), "type": "select", "options": _choices(ItemType)},
            {"name": "required", "label": _("必填"), "type": "checkbox"},
            {"name": "choices", "label": _("选项（用顿号分隔）"), "type": "text"},
        ],
        "text": {
            "found": _("共 %(n)s 个任务"),
            "lockedBy": _("%(name)s 领取中，至 %(at)s"),
            "pickTask": _("点任务名称，查看它的巡查范围和轨迹"),
            "tracksOf": _("「%(title)s」的巡查范围和轨迹"),
            "noTracks": _("这个任务还没有巡查轨迹。"),
            "coverage": _("覆盖 %(n)s"),
            "newTemplate": _("新建模板"),
            "reviseTitle": _("修改「%(name)s」（现为第 %(version)s 版）"),
            "createIntro": _("新模板从第 1 版开始；标识创建后不能再改。"),
            "reviseIntro": _("保存后成为下一个版本；已经提交的检查结果仍按原来的版本阅读。"),
            "create": _("创建模板"),
            "saveVersion": _("保存为新版本"),
            "savedVersion": _("已保存「%(name)s」第 %(version)s 版"),
            "historyOf": _("「%(name)s」的历史版本"),
            "close": _("关闭"),
            "noTemplates": _("还没有检查模板。"),
            "tools": _("操作"),
            "revise": _("修改"),
            "history": _("历史版本"),
            "addItem": _("+ 添加检查项"),
            "up": _("上移"),
            "down": _("下移"),
            "removeItem": _("删除这一项"),
        },
    }


@staff_view
def desk_page(request: HttpRequest) -> HttpResponse:
    """事件调度台: the area's events (map, list, overdue board), patrol tasks and checklist templates."""
    if refused := _may_not_read_events(request):
        return refused
    user = request.user
    common = _common(request)
    config = {
        **common,
        "mapApi": reverse("event-map"),
        "mapLimit": MAP_LIMIT,
        "filters": _filters(user, common["divisionNames"]),
        "presets": _presets(),
        "columns": [
            {
                "name": name,
                "label": _("所在村（社区）") if name == "division_code" else _label(GridEvent, name),
            }
            for name in (
                "code",
                "title",
                "category",
                "state",
                "division_code",
                "department",
                "due_on",
                "created_at",
            )
        ],
        "patrols": _patrols(user),
        "text": {
            **_common_text(),
            "eventsTab": _("事件"),
            "boardTab": _("逾期看板"),
            "patrolsTab": _("巡查任务"),
            "templatesTab": _("检查项模板"),
            "filtersToggle": _("筛选条件（%(n)s）"),
            "found": _("共 %(n)s 个事件"),
            "boardIntro": _("即将到期、已逾期和已升级的在办事件，到期早的在前。"),
            "groupBy": _("分组"),
            "byLevel": _("按办理层级"),
            "byDivision": _("按镇街"),
            "boardEmpty": _("没有逾期或即将到期的事件。"),
            "count": _("共 %(n)s 个"),
            "otherPlace": _("其他"),
        },
    }
    return _staff_page(request, "web/events", _("事件调度台"), config)


def _step_fields() -> dict[str, list[dict[str, Any]]]:
    """What each step asks for (grid.api ``act``): its dialog's fields."""

    def note(label: str, required: bool = False, help: str = "") -> dict[str, Any]:
        return {"name": "comment", "label": label, "type": "textarea", "required": required, "help": help}

    def target() -> list[dict[str, Any]]:
        return [
            {
                "name": "department",
                "label": _label(GridEvent, "department"),
                "type": "select",
                "options": [],
                "help": _("辖区内的部门：部门成员都会收到通知。"),
            },
            {
                "name": "handler",
                "label": _label(GridEvent, "handler"),
                "type": "select",
                "options": [],
                "help": _("也可以直接派给辖区内的一个人；部门和人员至少选一个。"),
            },
            note(_("派遣说明")),
        ]

    return {
        "accept": [note(_("受理意见"))],
        "reject": [note(_("不予受理的理由"), True, _("上报人会看到这段话：写明为什么不受理。"))],
        "dispatch": target(),
        "redispatch": target(),
        "start": [note(_("说明"))],
        "feedback": [
            {
                "name": "feedback",
                "label": _label(GridEvent, "feedback"),
                "type": "textarea",
                "required": True,
                "help": _("写明怎么处置的、结果如何，核查人据此到现场核查。"),
            }
        ],
        "verify": [note(_("核查意见"))],
        "verify_failed": [note(_("还有什么问题"), True, _("处置人会看到这段话：写明哪里还没处置好。"))],
        "close": [note(_("结案意见"))],
        "evaluate": [
            {
                "name": "score",
                "label": _label(GridEvent, "score"),
                "type": "select",
                "required": True,
                "options": [{"value": str(n), "label": _("%(n)s 分") % {"n": n}} for n in range(5, 0, -1)],
            }
        ],
        "chase": [note(_("催办内容"), help=_("承办人会在消息中心收到这段话。"))],
        "escalate": [note(_("升级原因"), True, _("上一级的控制中心会收到这段话。"))],
        "merge": [
            {
                "name": "into",
                "label": _label(GridEvent, "merged_into"),
                "type": "select",
                "required": True,
                "options": [],
                "help": _("本事件并入所选事件，不再单独办理。"),
            }
        ],
    }


def _step_text() -> dict[str, Any]:
    return {
        "intro": {
            "accept": _("受理后进入派遣环节。"),
            "reject": _("不予受理后事件办结，上报人会收到通知。"),
            "dispatch": _("派给辖区内的部门或人员，他们会在消息中心收到通知。"),
            "redispatch": _("改派给另一个部门或人员，原承办方不再办理。"),
            "start": _("开始处置这个事件。"),
            "feedback": _("处置完成后反馈结果，由网格员或工作人员核查。"),
            "verify": _("现场核查已处置好，等待结案。"),
            "verify_failed": _("退回处置人继续处置。"),
            "close": _("结案后事件办结，上报人会收到通知。"),
            "evaluate": _("给这次办理打分（1 到 5 分）。"),
            "chase": _("提醒承办人尽快办理。"),
            "escalate": _("把事件升到上一级办理，上一级的控制中心会收到通知。"),
            "merge": _("把重复上报的事件并入保留的事件。"),
        },
        "confirm": {
            "reject": _("确认不予受理"),
            "dispatch": _("确认派遣"),
            "redispatch": _("确认转派"),
            "feedback": _("提交反馈"),
            "verify_failed": _("退回处置"),
            "close": _("确认结案"),
            "escalate": _("确认升级"),
            "merge": _("确认合并"),
        },
    }


@staff_view
def event_page(request: HttpRequest, pk: int) -> HttpResponse:
    """事件详情: where the event stands, its photos and timeline, and the steps this user may take."""
    if refused := _may_not_read_events(request):
        return refused
    event = visible_events(request.user).filter(pk=pk).first()
    if event is None:
        return _denied(request, _("没有这个事件，或它不在你的工作范围内。"), status=404)
    place = Division.objects.filter(code=event.division_code).values_list("name", flat=True).first()
    config = {
        **_common(request),
        "eventId": event.pk,
        "divisionName": place or event.division_code,
        "timelineApi": reverse("event-timeline", args=[pk]),
        "duplicatesApi": reverse("event-duplicates", args=[pk]),
        "actionApi": reverse("event-act", kwargs={"pk": pk, "step": "accept"}).replace(
            "/accept/", "/{step}/"
        ),
        "stepFields": _step_fields(),
        "text": {
            **_common_text(),
            **_step_text(),
            "backToDesk": _("← 事件调度台"),
            "actionsTitle": _("可以做的操作"),
            "noActions": _("你现在对这个事件没有可做的操作。"),
            "stepDone": _("已完成：%(step)s"),
            "timelineTitle": _("办理记录"),
            "noTimeline": _("还没有记录。"),
            "photosTitle": _("现场照片"),
            "noPhotos": _("没有照片。"),
            "feedbackTitle": _("处置反馈"),
            "duplicatesTitle": _("疑似重复"),
            "noDuplicates": _("附近同一时段没有同类事件。"),
            "mergeInto": _("并入这个事件"),
            "mergedInto": _("已并入事件 %(code)s，不再单独办理。"),
            "overdueSince": _("本环节 %(date)s 到期，已逾期。"),
            "dueSoon": _("本环节 %(date)s 到期。"),
            "levelNow": _("已升级 %(n)s 次，现由%(level)s。"),
            "noTarget": _("派给部门或人员：至少选一个。"),
            "notLoaded": _("派遣对象没有加载出来：%(message)s"),
            "mapTitle": _("事件位置"),
        },
    }
    return _staff_page(request, "web/events-event", _("事件详情"), config)
