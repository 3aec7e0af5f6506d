"""网格员手机端 (/m/): the grid worker's offline-first phone app, its service worker and its manifest.

The page is the app's shell and holds nothing personal: the worker signs in inside the app for a
device token (``POST /api/auth/device/``), and everything of theirs (the cell, tasks, events, the
queue of their offline work) lives on the phone, in IndexedDB. So the same shell serves everyone,
the service worker can keep it for a start with no network, and a lost phone is closed by revoking
its token in the admin, not by anything in the page.

Words and labels come from here, translated (the scripts carry none), as for the staff pages. The
service worker is served from ``/m/sw.js`` so that its scope is ``/m/``; its list of files to keep
(the precache) is written into it when it is served, with each file's content hash as its revision,
so a new deployment replaces exactly the files that changed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from grid.workflow import STEPS
from layers.models import EventStatus
from patrols.models import TaskState
from sync.api import MAX_BATCH
from sync.models import OperationState

from .desk import _step_labels
from .language import page_language, short_lang, with_language_cookie
from .staff import _labels

# The files the app needs with no network: its own, and the map library the staff pages share.
SHELL_FILES = ("web/mobile.js", "web/staff.css", "web/mobile.css", "web/staff-map.js", "web/staff-map.css")
# The event steps a worker takes on the phone; the rest (dispatching, closing) are the desk's.
PHONE_STEPS = ("accept", "start", "feedback", "verify", "verify_failed")
# Photos go up in chunks this big: small enough for a weak network to finish one, within Django's
# DATA_UPLOAD_MAX_MEMORY_SIZE (the photo upload refuses larger bodies).
CHUNK_BYTES = min(256 * 1024, settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 256 * 1024)
SYNC_EVERY_SECONDS = 20


def _text() -> dict[str, str]:
    return {
        "appName": _("网格员"),
        "signIn": _("登录"),
        "signingIn": _("正在登录…"),
        "signInHelp": _("只需在这台手机上登录一次；离线时也能继续打点和巡查。"),
        "username": _("用户名"),
        "password": _("密码"),
        "otp": _("动态口令（已启用二次验证时填写）"),
        "signOut": _("退出登录"),
        "signOutQueued": _("还有 %(n)s 项未同步：退出后它们仍保存在手机上，同一账号再次登录后继续同步。"),
        "tabHome": pgettext("phone tab", "首页"),
        "tabTag": pgettext("phone tab", "打点"),
        "tabPatrol": pgettext("phone tab", "巡查"),
        "tabEvents": pgettext("phone tab", "事件"),
        "tabQueue": pgettext("phone tab", "同步"),
        "online": _("在线"),
        "offline": _("离线：操作先存在手机上，有网络后自动同步"),
        "myCell": _("我的网格"),
        "noCell": _("还没有下载网格数据：请连上网络后打开本页。"),
        "position": _("我的位置"),
        "accuracy": _("精度 ±%(m)s 米"),
        "noPosition": _("还没有定位：请允许本页使用位置信息，并到室外开阔处。"),
        "insideCell": _("在我的网格内"),
        "outsideCell": _("不在我的网格内"),
        "around": _("周边查询"),
        "radius": _("半径（米）"),
        "aroundNone": _("%(m)s 米内没有已下载的地点或打点。"),
        "metres": _("%(m)s 米"),
        "mapFailed": _("地图没有加载出来；离线时只能显示已缓存的网格。"),
        "tilesSaving": _("正在缓存网格地图：%(done)s / %(total)s"),
        "tilesSaved": _("网格地图已缓存 %(n)s 块，离线可用。"),
        "tasksTitle": _("我的巡查任务"),
        "eventsTitle": _("我的事件"),
        "inboxTitle": _("我的消息"),
        "noTasks": _("没有待办的巡查任务。"),
        "noEvents": _("没有待办的事件。"),
        "noMessages": _("没有新消息。"),
        "category": _("类别"),
        "note": _("说明"),
        "photos": _("照片"),
        "takePhoto": _("拍照"),
        "photoAt": _("拍照位置 ±%(m)s 米"),
        "photoNoPosition": _("拍照时没有定位"),
        "removePhoto": _("删除照片"),
        "save": _("保存"),
        "saved": _("已保存在手机上，将自动同步。"),
        "needPosition": _("还没有定位，不能打点：请等待定位成功。"),
        "needCategory": _("请选择类别。"),
        "startPatrol": _("开始巡查"),
        "finishPatrol": _("结束巡查"),
        "patrolling": _("正在巡查：%(task)s"),
        "patrolStats": _("%(km)s 公里 · %(points)s 个点 · %(gaps)s 处中断"),
        "patrolGapHelp": _("锁屏或没有定位的时段记为中断，不画直线。"),
        "checklist": _("检查项"),
        "problems": _("发现的问题"),
        "addProblem": _("记录问题"),
        "problemTitle": _("问题"),
        "yes": _("是"),
        "no": _("否"),
        "finishNeedsTrack": _("轨迹至少要有两个定位点才能结束巡查。"),
        "patrolSaved": _("巡查已结束，将自动同步。"),
        "due": _("截止 %(time)s"),
        "reportEvent": _("上报事件"),
        "eventTitle": _("标题"),
        "description": _("描述"),
        "urgent": _("紧急"),
        "feedback": _("处置情况"),
        "distance": _("距我 %(m)s 米"),
        "stepQueued": _("已保存在手机上，将自动同步。"),
        "queueTitle": _("同步队列"),
        "queueEmpty": _("没有待同步的操作。"),
        "syncNow": _("立即同步"),
        "syncing": _("正在同步…"),
        "lastSync": _("上次同步 %(time)s"),
        "neverSynced": _("尚未同步"),
        "photosPending": _("待上传照片 %(n)s 张"),
        "uploading": _("上传照片 %(done)s / %(total)s KB"),
        "keepMine": _("保留我的"),
        "keepTheirs": _("采用服务器的"),
        "conflictHelp": _("服务器上的记录已被他人修改（现为第 %(version)s 版，冲突字段：%(fields)s）。"),
        "serverState": _("服务器上现为：%(state)s。"),
        "clearDone": _("清除已同步"),
        "persisted": _("已申请持久存储：浏览器不会自动清除离线数据。"),
        "notPersisted": _("浏览器没有批准持久存储：空间紧张时离线数据可能被清除，请尽快同步。"),
        "signedOut": _("登录已失效，请重新登录；未同步的操作仍保存在手机上。"),
        "language": _("English"),
        "networkError": _("连不上服务器，请检查网络后重试。"),
        "httpError": _("服务器没有完成请求（HTTP %(status)s），请稍后重试；一直不行请联系系统管理员。"),
        "photoTooBig": _("照片太大，服务器拒收：请重新拍一张。"),
        "cancel": _("取消"),
    }


def _labels_for_phone() -> dict[str, Any]:
    steps = _step_labels()
    return {
        "states": _labels(EventStatus),
        "taskStates": _labels(TaskState),
        "steps": {name: steps[name] for name in PHONE_STEPS if name in STEPS},
        # The operation's state on the phone: the server's (sync.models.OperationState) and the
        # phone's own before and after it.
        "opStates": {
            **_labels(OperationState),
            "pending": _("待同步"),
            "resolved": _("已重新提交"),
            "discarded": _("已放弃"),
        },
        # The fields a conflict names (sync.operations.events), as the worker knows them.
        "fields": {"feedback": _("处置情况"), "state": _("状态"), "photos": _("照片")},
        "opTypes": {
            "field_point.create": _("信息打点"),
            "event.report": _("上报事件"),
            "event.step": _("事件办理"),
            "patrol.start": _("开始巡查"),
            "patrol.finish": _("结束巡查"),
        },
    }


def _config(lang: str) -> dict[str, Any]:
    photo = reverse("sync-photo", args=["0" * 64]).replace("0" * 64, "{sha}")
    return {
        "lang": lang,
        "text": _text(),
        "labels": _labels_for_phone(),
        "urls": {
            "shell": reverse("web:mobile"),
            "worker": reverse("web:mobile-sw"),
            "login": reverse("device-token"),
            "logout": reverse("api-logout"),
            "area": reverse("sync-area"),
            "sync": reverse("sync"),
            "photo": photo,
            "tasks": reverse("patrol-task-list"),
            "template": reverse("patrol-template-detail", args=[0]).replace("/0/", "/{id}/"),
            "events": reverse("event-list"),
            "inbox": reverse("message-list"),
            "media": settings.MEDIA_URL,
            "mapJs": static("web/staff-map.js"),
            "mapCss": static("web/staff-map.css"),
        },
        "settings": {
            "photoMaxPx": settings.MOBILE_PHOTO_MAX_PX,
            "gapSeconds": settings.MOBILE_TRACK_GAP_SECONDS,
            "chunkBytes": CHUNK_BYTES,
            "maxBatch": MAX_BATCH,
            "syncEverySeconds": SYNC_EVERY_SECONDS,
            "photoMaxBytes": int(settings.SYNC_PHOTO_MAX_MB * 1024 * 1024),
            "timeZone": settings.TIME_ZONE,
        },
    }


@require_GET
def mobile_page(request: HttpRequest) -> HttpResponse:
    code, explicit = page_language(request)
    lang = short_lang(code)
    response = render(
        request,
        "web/mobile.html",
        {
            "config": _config(lang),
            "lang": lang,
            "title": _("网格员"),
            "manifest": reverse("web:mobile-manifest"),
        },
    )
    return with_language_cookie(response, code, explicit)


def _static_bytes(name: str) -> bytes:
    """A static file's content: from the build (static-build/, what runserver and the tests
    serve), else from the collected files (a deployment that kept only STATIC_ROOT)."""
    found = finders.find(name)
    if found:
        with open(found, "rb") as handle:
            return handle.read()
    with staticfiles_storage.open(name) as handle:
        return handle.read()


def _revision(name: str) -> str:
    """A file's content hash: the precache fetches a file again only when this changes. Not
    cached: a rebuild shows without a restart, and hashing the five files takes a few ms."""
    return hashlib.sha256(_static_bytes(name)).hexdigest()[:16]


def precache_list() -> list[dict[str, str]]:
    return [{"url": static(name), "revision": _revision(name)} for name in SHELL_FILES]


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The built worker (frontend/src/mobile/sw.js) with its precache list in front of it."""
    body = _static_bytes("web/mobile-sw.js").decode()
    precache, shell = json.dumps(precache_list()), json.dumps(reverse("web:mobile"))
    head = f"self.__PRECACHE = {precache};\nself.__SHELL = {shell};\n"
    response = HttpResponse(head + body, content_type="text/javascript; charset=utf-8")
    # A browser checks for a new worker on every start; never from a stale HTTP cache.
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = reverse("web:mobile")
    return response


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest: the phone can put the app on its home screen and open it full screen."""
    page_language(request)
    shell = reverse("web:mobile")
    return JsonResponse(
        {
            "name": _("网格员手机端"),
            "short_name": _("网格员"),
            "start_url": shell,
            "scope": shell,
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#1f4e79",
            "icons": [],
        },
        content_type="application/manifest+json",
        json_dumps_params={"ensure_ascii": False},
    )
