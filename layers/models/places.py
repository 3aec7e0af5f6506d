"""组织场所: the places the grid keeps track of and patrols visit (seed 001 L91: 商贸场所, 住宿餐饮,
重点控制场所; phase 2, L285–L295: reservoirs, water sources, hazardous firms, rental houses,
water-logging points).

Classes are configuration, edited in the admin: a 中类 with its 小类 beneath, each with the JSON
Schema of its business attributes (a 小类 without one uses its 中类's). Tags come in categories,
also configuration. A place's ``attributes`` are checked against its class's schema whenever it is
saved, whatever the path (API, admin, import): a write that does not fit is refused naming the
attribute, never stored half-right.
"""

from __future__ import annotations

from typing import Any

from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from core.names import in_language

from .base import LayerFeature, division_prefix_index
from .fields import derived_link_field, derived_park_field


class PlaceClass(models.Model):
    key = models.SlugField(_("标识"), max_length=40, unique=True, help_text=_("程序使用的英文标识。"))
    name_zh = models.CharField(_("中文名称"), max_length=50)
    name_en = models.CharField(_("英文名称"), max_length=80)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("所属中类"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subclasses",
        help_text=_("小类所属的中类；中类本身留空。"),
    )
    attributes_schema = models.JSONField(
        _("业务属性"),
        default=dict,
        blank=True,
        help_text=_("此类场所业务属性的 JSON Schema；小类留空时沿用中类的。"),
    )
    patrol_every_days = models.PositiveIntegerField(
        _("巡查周期（天）"), default=0, help_text=_("多少天内应巡查一次；0 表示不要求。")
    )
    active = models.BooleanField(_("启用"), default=True, help_text=_("停用后不能再选择此类别。"))

    class Meta:
        verbose_name = _("场所类别")
        verbose_name_plural = _("场所类别")
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.parent.name_zh} / {self.name_zh}" if self.parent_id and self.parent else self.name_zh

    @property
    def label(self) -> str:
        """The name in the language of the request."""
        return in_language(self.name_zh, self.name_en)

    def clean(self) -> None:
        if self.parent_id and self.parent and self.parent.parent_id:
            raise ValidationError({"parent": _("场所类别只有中类和小类两级：请选择一个中类。")})
        try:
            Draft202012Validator.check_schema(self.attributes_schema or {})
        except SchemaError as exc:
            raise ValidationError(
                {"attributes_schema": _("不是有效的 JSON Schema：%(error)s") % {"error": exc.message}}
            ) from exc

    def schema(self) -> dict[str, Any]:
        """The schema a place of this class is checked against: its own, else its 中类's."""
        if self.attributes_schema:
            return self.attributes_schema
        return self.parent.attributes_schema if self.parent_id and self.parent else {}


class PlaceTagCategory(models.Model):
    key = models.SlugField(_("标识"), max_length=40, unique=True)
    name_zh = models.CharField(_("中文名称"), max_length=50)
    name_en = models.CharField(_("英文名称"), max_length=80)

    class Meta:
        verbose_name = _("标签类别")
        verbose_name_plural = _("标签类别")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name_zh


class PlaceTag(models.Model):
    category = models.ForeignKey(
        PlaceTagCategory, verbose_name=_("标签类别"), on_delete=models.PROTECT, related_name="tags"
    )
    key = models.SlugField(_("标识"), max_length=40, unique=True, help_text=_("场所的 tags 中写这个标识。"))
    name_zh = models.CharField(_("中文名称"), max_length=50)
    name_en = models.CharField(_("英文名称"), max_length=80)

    class Meta:
        verbose_name = _("场所标签")
        verbose_name_plural = _("场所标签")
        ordering = ["category__key", "key"]

    def __str__(self) -> str:
        return f"{self.category} / {self.name_zh}"


class RiskLevel(models.TextChoices):
    LOW = "low", _("低风险")
    GENERAL = "general", _("一般风险")
    HIGH = "high", _("较大风险")
    MAJOR = "major", _("重大风险")


class Place(LayerFeature):
    derive_park = True
    derive_grid_cell = True

    name = models.CharField(_("场所名称"), max_length=200)
    place_class = models.ForeignKey(
        PlaceClass,
        verbose_name=_("场所类别"),
        on_delete=models.PROTECT,
        related_name="places",
        help_text=_("中类或小类；业务属性按它的 JSON Schema 检查。"),
    )
    tags = ArrayField(
        models.SlugField(max_length=40),
        verbose_name=_("场所标签"),
        default=list,
        blank=True,
        help_text=_("场所标签的标识（后台「场所标签」中设置）。"),
    )
    attributes = models.JSONField(
        _("业务属性"), default=dict, blank=True, help_text=_("按场所类别的 JSON Schema 填写。")
    )
    risk_level = models.CharField(
        _("风险等级"), max_length=10, choices=RiskLevel.choices, default=RiskLevel.LOW, db_index=True
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    responsible_name = models.CharField(_("负责人"), max_length=50, blank=True)
    responsible_phone = models.CharField(
        _("负责人电话"), max_length=30, blank=True, help_text=_("个人信息：无权查看的角色看到打码号码。")
    )
    grid_cell = derived_link_field("layers.GridCell", _("所属网格"), "places", _("按位置自动判定。"))
    park = derived_park_field("places")
    geom = models.GeometryField(_("位置"), srid=4326, help_text=_("场所的点位或范围（EPSG:4326）。"))

    class Meta:
        verbose_name = _("组织场所")
        verbose_name_plural = _("组织场所")
        indexes = [division_prefix_index("place")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        self.check_attributes()

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.check_attributes()
        super().save(*args, **kwargs)

    def check_attributes(self) -> None:
        """The attributes fit the class's schema and the tags exist (a ValidationError naming the
        first attribute or tag that does not)."""
        if not isinstance(self.attributes, dict):
            raise ValidationError({"attributes": _('业务属性是一个对象，如 {"beds": 20}。')})
        error = next(iter(Draft202012Validator(self.place_class.schema()).iter_errors(self.attributes)), None)
        if error is not None:
            where = ".".join(str(p) for p in error.absolute_path) or "attributes"
            raise ValidationError(
                {
                    "attributes": _("业务属性 %(where)s 不符合「%(cls)s」的要求：%(error)s")
                    % {"where": where, "cls": self.place_class, "error": error.message}
                }
            )
        unknown = sorted(
            set(self.tags) - set(PlaceTag.objects.filter(key__in=self.tags).values_list("key", flat=True))
        )
        if unknown:
            raise ValidationError({"tags": _("没有这些场所标签：%(keys)s。") % {"keys": "、".join(unknown)}})
