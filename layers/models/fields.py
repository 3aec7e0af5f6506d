"""Field builders for definitions several layers share, so they stay identical everywhere."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.core.validators import MinValueValidator
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

StrOrPromise = str | Promise  # a label, translated now or lazily


def money_field(label: StrOrPromise, help_text: StrOrPromise, max_digits: int = 10) -> models.DecimalField:
    return models.DecimalField(
        label,
        max_digits=max_digits,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=help_text,
    )


def rent_field() -> models.DecimalField:
    return money_field(_("租金（元/㎡·月）"), _("租赁单价。"), max_digits=8)


def photos_field() -> models.JSONField:
    return models.JSONField(
        _("照片"), default=list, blank=True, help_text=_("照片地址列表（媒体库中的相对路径或URL）。")
    )


def link_field(to: str, label: str, related_name: str, help_text: str) -> models.ForeignKey:
    """An optional link to another layer's record that is released when that record goes."""
    return models.ForeignKey(
        to,
        verbose_name=label,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name=related_name,
        help_text=help_text,
    )


def derived_link_field(to: str, label: str, related_name: str, help_text: str) -> models.ForeignKey:
    """A link filled by spatial lookup on save (see layers/derivation.py); never typed in."""
    field = link_field(to, label, related_name, help_text)
    field.editable = False
    return field


def derived_park_field(related_name: str) -> models.ForeignKey:
    return derived_link_field("layers.Park", _("所属园区"), related_name, _("按位置自动判定。"))


def english_name_field() -> models.CharField:
    """``name_en``: the name on the English pages, typed in the admin or, left blank, made from the
    name on save (``layers.english``, pinyin with the generic ending translated)."""
    return models.CharField(
        _("英文名称"),
        max_length=200,
        blank=True,
        help_text=_("英文页面显示的名称；留空则保存时按名称拼音生成，如“Xinxing County”。"),
    )
