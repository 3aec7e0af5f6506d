"""园区数据编辑 (/editor/): the park manager's editor, and the officer's review of changesets.

Served like every staff page (``web.staff._staff_page``): a bundle (frontend/src/editor/) and its
config. The form is generated in the page from the layer catalogue (/api/layers/); what this view
adds is the parks the user may open, the addresses, the changesets' states and actions, and every
other word the page shows, translated here.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _

from editing.models import ChangeAction, ChangesetSource, ChangesetState
from jobs.models import JobStatus
from layers.models import Park
from layers.registry import LAYERS
from policy.actions import Action
from policy.predicates import may, read_filter
from policy.resources import CHANGESETS, REVIEWED_LAYERS
from policy.rules import role_allows

from .language import short_lang
from .staff import _denied, _labels, _staff_page, staff_view

# The fields an import may match records by, per layer (the first is the default): a code where
# the layer has one, else its name.
MATCH_FIELDS = {"parcels": ["code", "name"], "buildings": ["name"]}


def _text() -> dict[str, str]:
    return {
        "park": _("园区"),
        "layer": _("图层"),
        "view": _("显示"),
        "working": _("工作版"),
        "published": _("发布版"),
        "tools": _("编辑工具"),
        "mode_select": _("选择/修改"),
        "mode_draw": _("绘制"),
        "mode_split": _("分割"),
        "mode_merge": _("合并"),
        "undo": _("撤销"),
        "redo": _("重做"),
        "save": _("保存"),
        "saveN": _("保存（%(n)s 处）"),
        "sending": _("正在提交…"),
        "cancel": _("取消"),
        "loading": _("正在加载…"),
        "mapLabel": _("园区地块地图：点击地块查看和修改属性"),
        "mapFailed": _("地图没有加载出来，请刷新页面重试。"),
        "reviewNote": _("你的修改先进入本园区的变更集，经辖区招商专员审核通过后才对外发布。"),
        "savedLive": _("已保存并发布。"),
        "savedStaged": _("已保存到变更集，提交审核后由招商专员审核发布。"),
        "carriedRequired": _("这个状态需要填写此项。"),
        "selectFirst": _("请先选中要分割的地块，再画分割线。"),
        "splitDone": _("已分割：请检查新地块的编号和属性后保存。"),
        "mergeHint": _("请点击要合并进来的相邻地块。"),
        "mergeDone": _("已合并：保存后另一个地块将被删除。"),
        "reverted": _("已恢复到所选版本。"),
        "deleteFeature": _("删除此要素"),
        "pickFeature": _("在地图上点击一个要素，查看和修改它的属性。"),
        "area": _("面积"),
        "mu": _("亩"),
        "tabForm": _("属性"),
        "tabHistory": _("历史"),
        "tabChangesets": _("变更集"),
        "tabImport": _("导入"),
        "noHistory": _("这个要素还没有修改记录。"),
        "versionN": _("第 %(n)s 版"),
        "system": _("系统"),
        "shapeChanged": _("图形已改变"),
        "showDiff": _("在地图上查看图形变化"),
        "revert": _("恢复到此版本"),
        "revertQuestion": _("确定把这个要素恢复到第 %(n)s 版吗？当前的属性和图形将被替换（可再次恢复）。"),
        "revertConfirm": _("确定恢复"),
        "conflictTitle": _("别人刚修改了这个要素"),
        "field": _("字段"),
        "theirs": _("现在的值"),
        "mine": _("我的修改"),
        "keepMine": _("保留我的"),
        "shape": _("图形"),
        "theirShape": _("对方保存的图形"),
        "myShape": _("我画的图形"),
        "reapply": _("在最新版本上重新应用"),
        "noChangesets": _("本园区还没有变更集。"),
        "itemCounts": _("新增 %(create)s · 修改 %(update)s · 删除 %(delete)s"),
        "reviewComment": _("审核意见"),
        "changesetTitle": _("变更说明"),
        "submit": _("提交审核"),
        "submitDone": _("已提交审核，招商专员会收到通知。"),
        "approve": _("审核通过并发布"),
        "approveQuestion": _("确定通过吗？变更将写入正式数据并在招商地图上发布。"),
        "approveDone": _("已通过，变更已发布。"),
        "returnIt": _("退回修改"),
        "returnDone": _("已退回，园区管理员会收到你的意见。"),
        "backToList": _("返回变更集列表"),
        "importHelp": _(
            "上传修正后的测绘成果（Shapefile压缩包、GeoPackage、GeoJSON、KML或CSV）：先预览，确认后再写入。"
        ),
        "matchBy": _("按此字段匹配已有记录"),
        "chooseFile": _("选择文件"),
        "importCounts": _("修改 %(update)s 个，新增 %(create)s 个，未变 %(unchanged)s 个"),
        "importCommit": _("确认导入"),
        "importDone": _("导入完成。"),
    }


def _parks(request: HttpRequest) -> list[dict[str, object]]:
    rows = Park.objects.filter(read_filter(request.user, LAYERS["parks"])).order_by("name")
    return [{"id": p.pk, "name": p.name} for p in rows.only("id", "name")]


@staff_view
def editor_page(request: HttpRequest) -> HttpResponse:
    """The editor, for those who keep or review a park's plots; everyone else gets a 403 page."""
    user = request.user
    en = short_lang(request.page_language[0]) == "en"  # type: ignore[attr-defined]
    if not (may(user, "parcels", Action.UPDATE) or role_allows(user, CHANGESETS, Action.READ)):
        return _denied(request, _("园区数据编辑供园区管理员和招商专员使用。"))
    config = {
        "parks": _parks(request),
        # The registry's own titles, as the catalogue gives them (``CatalogueView``).
        "layers": [
            {"name": name, "title": LAYERS[name].title_en if en else LAYERS[name].title_zh}
            for name in sorted(REVIEWED_LAYERS, reverse=True)
        ],
        "matchFields": MATCH_FIELDS,
        "fieldLabels": {
            name: {f: str(LAYERS[name].model._meta.get_field(f).verbose_name) for f in fields}
            for name, fields in MATCH_FIELDS.items()
        },
        "mayImport": may(user, "parcels", Action.CREATE),
        "reviewer": role_allows(user, CHANGESETS, Action.REVIEW),
        "catalogueApi": reverse("layer-catalogue"),
        "layerApi": "/api/{layer}/",
        "workingApi": reverse("editing:working"),
        "editsApi": reverse("editing:edits"),
        "splitApi": reverse("editing:split"),
        "mergeApi": reverse("editing:merge"),
        "changesetsApi": reverse("editing:changesets"),
        "changesetApi": reverse("editing:changeset", args=[0]).replace("/0/", "/{id}/"),
        "ingestApi": reverse("ingest-job-list"),
        "ingestPreviewApi": reverse("ingest-job-preview"),
        "mapStyleUrl": reverse("tile-style"),
        "mapJs": static("web/staff-map.js"),
        "mapCss": static("web/staff-map.css"),
        "labels": {
            "states": _labels(ChangesetState),
            "sources": _labels(ChangesetSource),
            "actions": _labels(ChangeAction),
            "jobStates": _labels(JobStatus),
            "historyTypes": {"created": _("新增"), "changed": _("修改"), "deleted": _("删除")},
        },
        "text": _text(),
    }
    return _staff_page(request, "web/editor", _("园区数据编辑"), config)
