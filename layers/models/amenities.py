"""配套设施: the points of interest investors ask about (周边配套)."""

from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from .base import LayerFeature, division_prefix_index


class AmenityCategory(models.TextChoices):
    SCHOOL = "school", _("学校")
    HOSPITAL = "hospital", _("医院")
    BANK = "bank", _("银行")
    TRANSIT_STOP = "transit_stop", _("公交站")
    HIGHWAY_EXIT = "highway_exit", _("高速出入口")
    PORT = "port", _("港口码头")
    RAIL_STATION = "rail_station", _("火车站")
    HOTEL = "hotel", _("酒店")
    MALL = "mall", _("商场")
    RESTAURANT = "restaurant", _("餐饮")
    PETROL_STATION = "petrol_station", _("加油站")
    PARKING = "parking", _("停车场")


class Amenity(LayerFeature):
    category = models.CharField(
        _("类别"), max_length=20, choices=AmenityCategory.choices, db_index=True, help_text=_("设施类别。")
    )
    name = models.CharField(_("名称"), max_length=100, help_text=_("设施名称。"))
    address = models.CharField(_("地址"), max_length=200, blank=True, help_text=_("门牌地址。"))
    is_public = models.BooleanField(
        _("公开发布"),
        default=True,
        help_text=_("配套设施是公开参考数据，默认发布。"),
    )
    geom = models.PointField(_("位置"), srid=4326, help_text=_("设施位置（EPSG:4326）。"))

    class Meta:
        verbose_name = _("配套设施")
        verbose_name_plural = _("配套设施")
        indexes = [division_prefix_index("amenity")]

    def __str__(self) -> str:
        return self.name
