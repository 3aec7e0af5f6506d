"""Overlay checks (叠加分析): explicit, repeatable background jobs with a stored report.

An ``OverlayCheck`` is one run of one kind of check over one division (the requester's scope or a
division inside it). Its ``Finding`` rows are the report: each has the geometry of the overlap, its
geodesic area and the records involved, and an officer marks it verified (核实) or a false positive
(消除打点).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from jobs.models import Job


class CheckKind(models.TextChoices):
    ILLEGAL_LAND_USE = "illegal_land_use", _("疑似违法用地（建筑压占非建设用地）")
    PARCEL_OVERLAP = "parcel_overlap", _("园区内地块重叠")


class Verdict(models.TextChoices):
    PENDING = "pending", _("待核实")
    VERIFIED = "verified", _("已核实")
    FALSE_POSITIVE = "false_positive", _("误报（消除打点）")


class OverlayCheck(Job):
    kind = models.CharField(
        _("检查类型"),
        max_length=24,
        choices=CheckKind.choices,
        help_text=_("疑似违法用地：建筑压占耕地、林地、水域或未利用地；地块重叠：同一园区内地块相互重叠。"),
    )
    division = models.ForeignKey(
        "layers.Division",
        verbose_name=_("检查范围"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("只检查此行政区划及其下级内的记录；取自申请人的辖区或其中的下级区划。"),
    )
    min_area_m2 = models.FloatField(
        _("最小重叠面积（㎡）"),
        default=1.0,
        help_text=_("小于此面积的重叠视为边界误差，不列为问题。"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("发起此次检查的用户。"),
    )
    examined_count = models.PositiveIntegerField(
        _("检查记录数"), default=0, help_text=_("参与比对的记录数（建筑或地块）。")
    )
    finding_count = models.PositiveIntegerField(_("问题数"), default=0, help_text=_("发现的疑似问题数。"))

    class Meta:
        verbose_name = _("叠加检查")
        verbose_name_plural = _("叠加检查")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "lease_expires_at"], name="overlay_check_lease_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_status_display()})"


class Finding(models.Model):
    check_run = models.ForeignKey(
        OverlayCheck,
        verbose_name=_("所属检查"),
        on_delete=models.CASCADE,
        related_name="findings",
        db_column="check_id",
        help_text=_("产生此问题的检查。"),
    )
    geom = models.GeometryField(
        _("问题位置"), srid=4326, help_text=_("重叠部分的几何（EPSG:4326）；点状建筑为其位置。")
    )
    overlap_area_m2 = models.FloatField(
        _("重叠面积（㎡）"), help_text=_("重叠部分的椭球面积；点状建筑为 0。")
    )
    subject_layer = models.CharField(
        _("主体图层"), max_length=32, help_text=_("问题主体所在图层：违法用地为 buildings，重叠为 parcels。")
    )
    subject_id = models.BigIntegerField(
        _("主体记录"), help_text=_("主体记录的编号（建筑或编号较小的地块）。")
    )
    object_layer = models.CharField(
        _("客体图层"), max_length=32, help_text=_("被压占或重叠的图层：parcels。")
    )
    object_id = models.BigIntegerField(_("客体记录"), help_text=_("被压占或与之重叠的地块编号。"))
    division_code = models.CharField(
        _("行政区划代码"),
        max_length=12,
        db_index=True,
        help_text=_("被压占地块所在村/社区的12位代码；用于按辖区查看。"),
    )
    details = models.JSONField(
        _("详情"),
        default=dict,
        blank=True,
        help_text=_("检查时记录的属性快照，如建筑名称、地块编号与用地性质。"),
    )
    verdict = models.CharField(
        _("核实结论"),
        max_length=16,
        choices=Verdict.choices,
        default=Verdict.PENDING,
        db_index=True,
        help_text=_("待核实、已核实（核实）或误报（消除打点）。"),
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核实人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("给出结论的用户。"),
    )
    reviewed_at = models.DateTimeField(_("核实时间"), null=True, blank=True, help_text=_("给出结论的时间。"))
    note = models.TextField(_("核实说明"), blank=True, help_text=_("现场核实情况或消除原因。"))

    class Meta:
        verbose_name = _("检查问题")
        verbose_name_plural = _("检查问题")
        ordering = ["check_run", "-overlap_area_m2", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["check_run", "subject_layer", "subject_id", "object_layer", "object_id"],
                name="finding_unique_per_check",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject_layer}:{self.subject_id} × {self.object_layer}:{self.object_id}"
