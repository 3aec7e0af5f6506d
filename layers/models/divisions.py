"""行政区划: city > county/district > town/street > village/community, with 12-digit codes."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from .base import InvestmentContact, LayerFeature, division_prefix_index
from .fields import english_name_field


class DivisionLevel(models.TextChoices):
    CITY = "city", _("市")
    COUNTY = "county", _("县/区")
    TOWN = "town", _("镇/街道")
    VILLAGE = "village", _("村/社区")


# GB/T 2260 codes with town and village extensions: a division's code shares this many leading
# digits with everything inside it, so scope is a prefix match.
PREFIX_LENGTH: dict[str, int] = {
    DivisionLevel.CITY: 4,
    DivisionLevel.COUNTY: 6,
    DivisionLevel.TOWN: 9,
    DivisionLevel.VILLAGE: 12,
}
LEVEL_ORDER = [DivisionLevel.CITY, DivisionLevel.COUNTY, DivisionLevel.TOWN, DivisionLevel.VILLAGE]


# A county publishes its investment contact (InvestmentContact), for the plots outside any park.
class Division(LayerFeature, InvestmentContact):
    english_from = "name"

    code = models.CharField(
        _("区划代码"),
        max_length=12,
        unique=True,
        help_text=_("12位统计用区划代码（GB/T 2260 及乡镇、村级扩展）。"),
    )
    name = models.CharField(_("名称"), max_length=100, help_text=_("行政区划名称，如“云城区”。"))
    name_en = english_name_field()
    level = models.CharField(
        _("级别"),
        max_length=10,
        choices=DivisionLevel.choices,
        db_index=True,
        help_text=_("市、县/区、镇/街道或村/社区。"),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text=_("直接上级；市级为空。"),
    )
    is_public = models.BooleanField(
        _("公开发布"),
        default=True,
        help_text=_("区划边界是公开参考数据，默认发布。"),
    )
    geom = models.MultiPolygonField(_("边界"), srid=4326, help_text=_("区划边界多边形（EPSG:4326）。"))

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        indexes = [division_prefix_index("division")]
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def prefix(self) -> str:
        return self.code[: PREFIX_LENGTH[self.level]]

    def derive(self) -> None:
        self.division_code = self.code
