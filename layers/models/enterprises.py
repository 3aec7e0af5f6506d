"""企业: the enterprises a city's projects bring, where they are and which carriers they occupy
(seed 004 L207/L211: a plot → the enterprises and projects it carries)."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .base import LayerFeature, division_prefix_index
from .fields import derived_park_field

# GB 32100-2015 统一社会信用代码: 18 characters from this alphabet (no I, O, S, V, Z), the last a
# check character over the first 17 with these weights.
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_check_character(first17: str) -> str:
    total = sum(CREDIT_ALPHABET.index(ch) * w for ch, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    code = value.upper()
    if len(code) != 18 or any(ch not in CREDIT_ALPHABET for ch in code):
        raise ValidationError(
            _("统一社会信用代码是18位数字或大写字母（不含I、O、S、V、Z），请对照营业执照填写。"),
            code="credit_code_format",
        )
    if credit_check_character(code[:17]) != code[17]:
        raise ValidationError(
            _("统一社会信用代码的校验位不对，请对照营业执照逐位核对。"), code="credit_code_check"
        )


class CreditCodeField(models.CharField):
    """Stored as the licence prints it, in capitals, and absent (NULL, not "") when not given, so
    that the unique constraint compares codes and not typing habits, on every path that saves."""

    def pre_save(self, model_instance: models.Model, add: bool) -> str | None:
        value = getattr(model_instance, self.attname)
        value = value.strip().upper() or None if isinstance(value, str) else value
        setattr(model_instance, self.attname, value)
        return value


class EnterpriseTag(models.TextChoices):
    """Labels the city tracks enterprises by (seed 003 L120: 专精特新, 单项冠军)."""

    SPECIALISED = "specialised", _("专精特新")
    LITTLE_GIANT = "little_giant", _("专精特新“小巨人”")
    CHAMPION = "champion", _("单项冠军")
    HIGH_TECH = "high_tech", _("高新技术企业")
    ABOVE_SCALE = "above_scale", _("规上企业")
    FOREIGN = "foreign", _("外资企业")


class Enterprise(LayerFeature):
    derive_park = True

    name = models.CharField(_("企业名称"), max_length=200, help_text=_("营业执照上的企业名称。"))
    credit_code = CreditCodeField(
        _("统一社会信用代码"),
        max_length=18,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_credit_code],
        help_text=_("营业执照上的18位代码；未注册的企业留空。"),
    )
    industry = models.CharField(_("行业"), max_length=50, blank=True, help_text=_("企业所属行业。"))
    tags = ArrayField(
        models.CharField(max_length=20, choices=EnterpriseTag.choices),
        verbose_name=_("企业标签"),
        default=list,
        blank=True,
        help_text=_("专精特新、单项冠军等认定。"),
    )
    chain_link = models.ForeignKey(
        "industries.ChainLink",
        verbose_name=_("产业链环节"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="enterprises",
        help_text=_("企业在重点产业链上所处的环节；不在重点产业链上的留空。"),
    )
    chain_leader = models.BooleanField(
        _("链主企业"),
        default=False,
        help_text=_("产业链的链主：其名称会在公开的招商地图上展示。"),
    )
    registered_on = models.DateField(
        _("注册日期"), null=True, blank=True, help_text=_("工商注册（开办）日期；已签约未注册的企业留空。")
    )
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True, help_text=_("企业联系人。"))
    contact_phone = models.CharField(
        _("联系电话"), max_length=30, blank=True, help_text=_("个人信息：无权查看的角色看到打码号码。")
    )
    parcels = models.ManyToManyField(
        "layers.LandParcel",
        verbose_name=_("占用地块"),
        blank=True,
        related_name="enterprises",
        help_text=_("企业使用的地块。"),
    )
    buildings = models.ManyToManyField(
        "layers.Building",
        verbose_name=_("入驻楼宇"),
        blank=True,
        related_name="enterprises",
        help_text=_("企业入驻的楼宇厂房。"),
    )
    park = derived_park_field("enterprises")
    geom = models.PointField(_("位置"), srid=4326, help_text=_("企业所在位置（EPSG:4326）。"))

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        indexes = [division_prefix_index("enterprise")]

    def __str__(self) -> str:
        return self.name
