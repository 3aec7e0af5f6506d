"""重点产业 and their 产业链 (seed 001 L487: the key-industry investment map; 000 L50, L99).

An industry is reference data the city's investment office keeps in the admin: its chain is a
handful of links (环节) from upstream to downstream. Parks lead industries (``Park.industries``),
enterprises sit on a link (``Enterprise.chain_link``), and the gaps of a chain near a site or in a
county are the links nobody fills there (``industries.queries``). Everything that matches an
industry matches its ``code``, never its name, so an English reader's request ranks as a Chinese
one does.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ChainStage(models.TextChoices):
    UPSTREAM = "upstream", _("上游")
    MIDSTREAM = "midstream", _("中游")
    DOWNSTREAM = "downstream", _("下游")


class Industry(models.Model):
    code = models.SlugField(
        _("产业代码"),
        max_length=40,
        unique=True,
        help_text=_("英文小写代码，如 new_materials；匹配按代码进行。"),
    )
    name = models.CharField(_("产业名称"), max_length=50, unique=True, help_text=_("如“新材料”“装备制造”。"))
    name_en = models.CharField(_("英文名称"), max_length=80, help_text=_("英文页面显示的名称。"))
    order = models.PositiveSmallIntegerField(_("排序"), default=0, help_text=_("列表中的先后，小的在前。"))

    class Meta:
        verbose_name = _("重点产业")
        verbose_name_plural = _("重点产业")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class ChainLink(models.Model):
    industry = models.ForeignKey(
        Industry,
        verbose_name=_("产业"),
        on_delete=models.CASCADE,
        related_name="links",
        help_text=_("这一环节所在的产业链。"),
    )
    code = models.SlugField(
        _("环节代码"), max_length=40, help_text=_("产业内唯一的英文小写代码，如 packaging。")
    )
    name = models.CharField(_("环节名称"), max_length=50, help_text=_("如“食品包装”。"))
    name_en = models.CharField(_("英文名称"), max_length=80, help_text=_("英文页面显示的名称。"))
    stage = models.CharField(
        _("上中下游"), max_length=12, choices=ChainStage.choices, help_text=_("环节在产业链中的位置。")
    )
    order = models.PositiveSmallIntegerField(
        _("排序"), default=0, help_text=_("链上的先后，从上游到下游，小的在前。")
    )

    class Meta:
        verbose_name = _("产业链环节")
        verbose_name_plural = _("产业链环节")
        ordering = ["industry__order", "industry__code", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["industry", "code"], name="chain_link_code_per_industry"),
        ]

    def __str__(self) -> str:
        return f"{self.industry.name} · {self.name}"
