"""交通与水系: the roads, railways, waterways and air routes staff keep as lines (seed 001 L479–L482:
公路/铁路/水路/民航), drawn as the offline base map beneath the carriers and searched by name."""

from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from .base import LayerFeature, division_prefix_index
from .fields import english_name_field


class TransportKind(models.TextChoices):
    EXPRESSWAY = "expressway", _("高速公路")
    NATIONAL_ROAD = "national_road", _("国道")
    PROVINCIAL_ROAD = "provincial_road", _("省道")
    COUNTY_ROAD = "county_road", _("县乡道路")
    HIGH_SPEED_RAIL = "high_speed_rail", _("高速铁路")
    RAILWAY = "railway", _("普速铁路")
    RIVER = "river", _("河流")
    WATERWAY = "waterway", _("内河航道")
    AIR_ROUTE = "air_route", _("民航航线")


class TransportLine(LayerFeature):
    english_from = "name"

    name = models.CharField(_("名称"), max_length=100, help_text=_("如“广昆高速”“西江”。"))
    name_en = english_name_field()
    ref = models.CharField(
        _("编号"), max_length=20, blank=True, help_text=_("路线编号，如 G80、G324、S113；没有的留空。")
    )
    kind = models.CharField(
        _("类别"),
        max_length=20,
        choices=TransportKind.choices,
        db_index=True,
        help_text=_("公路按等级、铁路按类型，另有河流、航道和航线。"),
    )
    is_public = models.BooleanField(
        _("公开发布"), default=True, help_text=_("交通水系是公开的底图数据，默认发布。")
    )
    geom = models.MultiLineStringField(_("线位"), srid=4326, help_text=_("线路或河道中心线（EPSG:4326）。"))

    class Meta:
        verbose_name = _("交通水系")
        verbose_name_plural = _("交通水系")
        indexes = [division_prefix_index("transportline")]

    def __str__(self) -> str:
        return self.name
