"""数据导出 (/exports/): ask for an export of a layer or a report, follow its progress, download it
and read its manifest.

Served like every staff page (``web.staff._staff_page``): a bundle (frontend/src/exports/) and its
config. The layers come from the catalogue (/api/layers/) and the formats and reports from
/api/exports/jobs/sources/, so the page offers exactly what the API accepts from this user; what
this view adds is the user's own area for the division filter, the jobs' states and stages, and
every other word the page shows, translated here.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from exports.formats.shapefile import ENCODINGS
from exports.models import ExportFormat, SourceKind
from jobs.models import JobStatus
from layers.api.filters import looked_at
from policy.predicates import may_export

from .staff import _denied, _labels, _staff_page, staff_view


def _stages() -> dict[str, str]:
    """The stages a running export reports (``jobs.runner``, ``exports.processors``), in order."""
    return {
        "starting": _("准备中"),
        "reading": _("读取数据"),
        "writing": _("写入文件"),
        "checksum": _("计算校验和"),
        "requeued": _("重新排队"),
    }


def _text() -> dict[str, str]:
    return {
        "newExport": _("新建导出"),
        "what": _("导出内容"),
        "layer": _("图层"),
        "report": _("报表"),
        "format": _("格式"),
        "encoding": _("文件编码"),
        "encodingHelp": _("老版本的 ArcGIS 等桌面软件读中文乱码时选 GBK。"),
        "crs": _("坐标系"),
        "division": _("区划"),
        "wholeArea": _("我的全部辖区"),
        "attributes": _("属性筛选"),
        "yes": _("是"),
        "no": _("否"),
        "start": _("开始导出"),
        "starting": _("正在提交…"),
        "submitted": _("已提交，导出在后台进行，完成后可在下方下载。"),
        "loading": _("正在加载…"),
        "noLayers": _("你的账号没有可以导出的图层或报表。"),
        "tabularOnly": _("报表没有图形，只能导出为 CSV 或 Excel。"),
        "kmlCrs": _("KML 固定使用 WGS 84（EPSG:4326）。"),
        "jobs": _("我的导出"),
        "refresh": _("刷新"),
        "noJobs": _("还没有导出记录。在上面选好内容和格式后点“开始导出”。"),
        "source": _("内容"),
        "status": _("状态"),
        "rows": _("行数"),
        "size": _("大小"),
        "createdAt": _("提交时间"),
        "actions": _("操作"),
        "download": _("下载"),
        "manifest": _("清单"),
        "cancel": _("取消"),
        "cancelQuestion": _("确定取消这个导出吗？已写入的部分不会保留。"),
        "cancelConfirm": _("确定取消"),
        "keep": _("不取消"),
        "cancelled": _("已取消。"),
        "again": _("重新导出"),
        "failedHint": _("可按提示修改条件后点“重新导出”；一直失败请联系系统管理员。"),
        "expiredNote": _("文件已过保留期被清理，如需要请重新导出。"),
        "retention": _(
            "导出的文件保留 %(days)s 天，下载链接 %(minutes)s 分钟内有效（过期后点下载会自动换新链接）。"
        ),
        "close": _("关闭"),
        "manifestTitle": _("导出清单 #%(id)s"),
        "mFile": _("文件"),
        "mFormat": _("格式"),
        "mSource": _("内容"),
        "mFilters": _("筛选条件"),
        "mNoFilters": _("无（全部可见记录）"),
        "mOptions": _("选项"),
        "mRows": _("行数"),
        "mSize": _("文件大小"),
        "mSha256": _("SHA-256 校验和"),
        "mCrs": _("坐标系"),
        "mWho": _("导出人"),
        "mRequested": _("提交时间"),
        "mCreated": _("生成时间"),
        "mExpires": _("文件保留至"),
        "mPersonal": _("个人信息"),
        "masked": _("已脱敏"),
        "unmasked": _("未脱敏（你的角色可查看）"),
        "mWatermark": _("水印"),
        "mColumns": _("字段"),
    }


def _area(user: Any) -> list[dict[str, str]]:
    """The user's own division and those one level below it, for the division filter; nothing
    for roles without an area (investors, auditors), whose exports need no such choice."""
    try:
        seen = looked_at(user, "")
    except Exception:  # pragma: no cover - a user bound to nothing: no choice to offer
        return []
    if seen.division is None:
        return []
    home = seen.division
    below = [{"value": code, "label": name} for code, name in seen.children() if code != home.code]
    return [{"value": home.code, "label": home.name}, *below]


@staff_view
def exports_page(request: HttpRequest) -> HttpResponse:
    """The exports page, for every person's account; a display account gets the 403 page."""
    if not may_export(request.user):
        return _denied(request, _("数据导出供登录的工作人员和投资人使用，大屏展示账号不能导出。"))
    config = {
        "catalogueApi": reverse("layer-catalogue"),
        "sourcesApi": reverse("export-job-sources"),
        "jobsApi": reverse("export-job-list"),
        "jobApi": reverse("export-job-detail", args=[0]).replace("/0/", "/{id}/"),
        "cancelApi": reverse("export-job-cancel", args=[0]).replace("/0/", "/{id}/"),
        "divisions": _area(request.user),
        "encodings": [{"value": value, "label": label} for value, label in ENCODINGS.items()],
        "crs": [
            # Names, the same in both languages.
            {"value": "EPSG:4326", "label": "WGS 84 (EPSG:4326)"},
            {"value": "EPSG:4490", "label": "CGCS2000 (EPSG:4490)"},
        ],
        "pollMs": 2000,
        "labels": {
            "states": _labels(JobStatus),
            "stages": _stages(),
            "formats": _labels(ExportFormat),
            "sources": _labels(SourceKind),
        },
        "text": _text(),
    }
    return _staff_page(request, "web/exports", _("数据导出"), config)
