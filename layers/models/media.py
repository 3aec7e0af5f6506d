"""Imagery layers: 360° panoramas taken at a point, and drone orthophotos."""

from django.contrib.gis.db import models
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from .base import LayerFeature, division_prefix_index
from .fields import derived_park_field, link_field


class Panorama(LayerFeature):
    derive_park = True

    title = models.CharField(_("标题"), max_length=100, blank=True, help_text=_("全景点名称。"))
    heading_deg = models.FloatField(
        _("朝向（度）"),
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(360)],
        help_text=_("全景图中心相对正北的角度。"),
    )
    captured_at = models.DateTimeField(_("拍摄时间"), null=True, blank=True, help_text=_("来自EXIF。"))
    image = models.FileField(
        _("全景图"), upload_to="panoramas/", blank=True, help_text=_("等距柱状投影原图。")
    )
    thumbnail = models.FileField(
        _("缩略图"), upload_to="panoramas/thumbs/", blank=True, help_text=_("列表用缩略图。")
    )
    tiles_path = models.CharField(
        _("切片目录"), max_length=300, blank=True, help_text=_("供手机端全景查看器加载的切片目录。")
    )
    parcel = link_field("layers.LandParcel", _("关联地块"), "panoramas", _("容差范围内最近的地块。"))
    building = link_field("layers.Building", _("关联楼宇"), "panoramas", _("容差范围内最近的楼宇。"))
    park = derived_park_field("panoramas")
    geom = models.PointField(_("拍摄位置"), srid=4326, help_text=_("全景拍摄点（EPSG:4326）。"))

    class Meta:
        verbose_name = _("全景")
        verbose_name_plural = _("全景")
        indexes = [division_prefix_index("panorama")]

    def __str__(self) -> str:
        return self.title or f"#{self.pk}"


class Orthophoto(LayerFeature):
    title = models.CharField(_("标题"), max_length=100, help_text=_("影像名称，如航飞批次。"))
    resolution_m = models.FloatField(
        _("分辨率（米）"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("地面采样距离。"),
    )
    captured_on = models.DateField(_("拍摄日期"), null=True, blank=True, help_text=_("航飞日期。"))
    cog = models.FileField(
        _("COG文件"), upload_to="orthophotos/", blank=True, help_text=_("云优化GeoTIFF，用于栅格切片服务。")
    )
    geom = models.MultiPolygonField(_("覆盖范围"), srid=4326, help_text=_("影像有效范围（EPSG:4326）。"))

    class Meta:
        verbose_name = _("正射影像")
        verbose_name_plural = _("正射影像")
        indexes = [division_prefix_index("orthophoto")]

    def __str__(self) -> str:
        return self.title
