"""网格 governance: grid cells, the points grid workers tag, and the patrols they walk."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .base import LayerFeature, division_prefix_index
from .fields import derived_link_field


class GridCell(LayerFeature):
    code = models.CharField(_("网格编码"), max_length=24, unique=True, help_text=_("村/社区代码加网格序号。"))
    name = models.CharField(_("网格名称"), max_length=100, help_text=_("如“第3网格”。"))
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sub_cells",
        help_text=_("子网格（组）所属的网格；普通网格为空。"),
    )
    geom = models.MultiPolygonField(_("网格范围"), srid=4326, help_text=_("网格边界（EPSG:4326）。"))

    class Meta:
        verbose_name = _("网格")
        verbose_name_plural = _("网格")
        indexes = [division_prefix_index("gridcell")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class FieldPointCategory(models.Model):
    """Categories are configuration (SPEC: configurable), so they are rows, not choices."""

    key = models.SlugField(_("标识"), max_length=40, unique=True, help_text=_("程序使用的英文标识。"))
    name_zh = models.CharField(_("中文名称"), max_length=50, help_text=_("界面显示的中文名称。"))
    name_en = models.CharField(_("英文名称"), max_length=50, help_text=_("界面显示的英文名称。"))
    active = models.BooleanField(_("启用"), default=True, help_text=_("停用后不能再选择此类别。"))

    class Meta:
        verbose_name = _("打点类别")
        verbose_name_plural = _("打点类别")

    def __str__(self) -> str:
        return self.name_zh


class EventStatus(models.TextChoices):
    REPORTED = "reported", _("已上报")
    ACCEPTED = "accepted", _("已受理")
    DISPATCHED = "dispatched", _("已派遣")
    HANDLING = "handling", _("处置中")
    REPLIED = "replied", _("已反馈")
    VERIFIED = "verified", _("已核查")
    CLOSED = "closed", _("已结案")
    REJECTED = "rejected", _("不予受理")
    MERGED = "merged", _("已合并")


class FieldPoint(LayerFeature):
    derive_grid_cell = True

    uuid = models.UUIDField(
        _("客户端编号"),
        default=uuid.uuid4,
        unique=True,
        help_text=_("手机端生成的UUID；离线重放时据此去重。"),
    )
    category = models.ForeignKey(
        FieldPointCategory,
        verbose_name=_("类别"),
        on_delete=models.PROTECT,
        help_text=_("隐患、违建、消防、环境或其他。"),
    )
    note = models.TextField(_("描述"), blank=True, help_text=_("网格员填写的情况说明。"))
    photos = models.JSONField(_("照片"), default=list, blank=True, help_text=_("现场照片地址列表。"))
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上报人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="field_points",
        help_text=_("打点的网格员。"),
    )
    reported_at = models.DateTimeField(
        _("上报时间"), default=timezone.now, db_index=True, help_text=_("现场打点时间（以手机时间为准）。")
    )
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=EventStatus.choices,
        default=EventStatus.REPORTED,
        db_index=True,
        help_text=_("网格事件处理状态。"),
    )
    grid_cell = derived_link_field("layers.GridCell", _("所在网格"), "field_points", _("按位置自动判定。"))
    geom = models.PointField(_("位置"), srid=4326, help_text=_("打点位置（EPSG:4326）。"))
    # Phones strip the location from the EXIF of a picked image, so the app records where it was
    # and how sure the GPS was at the moment of capture; empty when nobody measured it.
    accuracy_m = models.FloatField(
        _("定位精度（米）"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_(
            "拍照时手机报告的 GPS 定位精度半径（米）：手机选图时会去掉照片中的位置信息，"
            "所以由手机端在拍摄时记录位置和精度。"
        ),
    )

    class Meta:
        verbose_name = _("信息打点")
        verbose_name_plural = _("信息打点")
        indexes = [division_prefix_index("fieldpoint")]

    def __str__(self) -> str:
        return f"{self.category} {self.reported_at:%Y-%m-%d %H:%M}"


class PatrolTrack(LayerFeature):
    derive_grid_cell = True

    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("巡查人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="patrol_tracks",
        help_text=_("走这条轨迹的网格员。"),
    )
    started_at = models.DateTimeField(_("开始时间"), help_text=_("第一个轨迹点的时间。"))
    ended_at = models.DateTimeField(_("结束时间"), help_text=_("最后一个轨迹点的时间。"))
    timestamps = ArrayField(
        models.DateTimeField(),
        verbose_name=_("轨迹点时间"),
        default=list,
        blank=True,
        help_text=_("每个顶点一个时间，按各段先后排列，覆盖所有段。"),
    )
    length_m = models.FloatField(
        _("长度（米）"), default=0, editable=False, help_text=_("按椭球自动计算：各段之和，不含段间空缺。")
    )
    checklist_results = models.JSONField(
        _("检查项结果"), default=dict, blank=True, help_text=_("标准检查项及其结果。")
    )
    grid_cell = derived_link_field("layers.GridCell", _("所在网格"), "patrol_tracks", _("按起点自动判定。"))
    # Several parts when the phone stopped recording (a locked screen): the gap between two parts
    # was not walked, so it is neither length nor coverage.
    geom = models.MultiLineStringField(
        _("轨迹"),
        srid=4326,
        help_text=_("巡查轨迹（EPSG:4326）：每段是有定位记录的一段路，段与段之间的空缺未计为走过。"),
    )

    class Meta:
        verbose_name = _("巡查轨迹")
        verbose_name_plural = _("巡查轨迹")
        indexes = [division_prefix_index("patroltrack")]

    def __str__(self) -> str:
        return f"{self.worker} {self.started_at:%Y-%m-%d %H:%M}"
