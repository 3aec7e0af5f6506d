"""项目点位: where an investment project is, and which carrier it occupies."""

from django.contrib.gis.db import models
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from .base import LayerFeature, division_prefix_index
from .fields import derived_park_field, link_field


class ProjectStage(models.TextChoices):
    LEAD = "lead", _("线索")
    FIRST_TALK = "first_talk", _("首谈")
    NEGOTIATING = "negotiating", _("在谈")
    REVIEW = "review", _("评审备案")
    SIGNED = "signed", _("签约")
    STARTED = "started", _("开工")
    CONSTRUCTION = "construction", _("在建")
    COMPLETED = "completed", _("竣工")
    PRODUCTION = "production", _("投产")
    TARGET_OUTPUT = "target_output", _("达产")


class ProjectSite(LayerFeature):
    derive_park = True

    project_code = models.CharField(
        _("项目编号"), max_length=40, db_index=True, help_text=_("招商项目编号：一个项目可有多个点位。")
    )
    project_name = models.CharField(_("项目名称"), max_length=200, help_text=_("招商项目名称。"))
    industry = models.CharField(_("产业类别"), max_length=50, blank=True, help_text=_("项目所属产业。"))
    stage = models.CharField(
        _("项目阶段"),
        max_length=16,
        choices=ProjectStage.choices,
        default=ProjectStage.LEAD,
        db_index=True,
        help_text=_("招商项目当前阶段。"),
    )
    investment_wan = models.DecimalField(
        _("计划投资（万元）"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("计划总投资额。"),
    )
    parcel = link_field("layers.LandParcel", _("占用地块"), "+", _("项目落地的地块。"))
    building = link_field("layers.Building", _("占用楼宇"), "+", _("项目入驻的楼宇。"))
    park = derived_park_field("project_sites")
    geom = models.GeometryField(_("位置"), srid=4326, help_text=_("项目点位或范围（EPSG:4326）。"))

    class Meta:
        verbose_name = _("项目点位")
        verbose_name_plural = _("项目点位")
        indexes = [division_prefix_index("projectsite")]

    def __str__(self) -> str:
        return self.project_name
