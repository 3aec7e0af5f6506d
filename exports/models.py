"""Export jobs: a layer, a spatial-function result or a report, written to one file in the
background (``exports.processors``), kept for ``EXPORT_RETENTION_DAYS`` and downloaded by its owner
through a signed link that expires (``exports.links``)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jobs.models import Job


class ExportFormat(models.TextChoices):
    GEOJSON = "geojson", _("GeoJSON")
    GPKG = "gpkg", _("GeoPackage")
    KML = "kml", _("KML")
    SHAPEFILE = "shapefile", _("Shapefile（zip）")
    CSV = "csv", _("CSV（UTF-8）")
    XLSX = "xlsx", _("Excel（xlsx）")


# The formats a table without geometry (a report, a roll-up) can be written in.
TABULAR_FORMATS = frozenset({ExportFormat.CSV, ExportFormat.XLSX})


class SourceKind(models.TextChoices):
    LAYER = "layer", _("图层")
    QUERY = "query", _("空间查询")
    NEARBY = "nearby", _("周边查询")
    ROLLUP = "rollup", _("统计汇总")
    REPORT = "report", _("业务报表")


class ExportJob(Job):
    kind = models.CharField(
        _("格式"),
        max_length=16,
        choices=ExportFormat.choices,
        help_text=_("导出文件的格式：GeoJSON、GeoPackage、KML、Shapefile、CSV或Excel。"),
    )
    source = models.CharField(
        _("数据来源"),
        max_length=16,
        choices=SourceKind.choices,
        help_text=_("图层、空间查询、周边查询、统计汇总或业务报表。"),
    )
    layer = models.CharField(
        _("图层"), max_length=32, blank=True, db_index=True, help_text=_("导出的图层名称，如 parcels。")
    )
    report_name = models.CharField(
        _("报表"), max_length=64, blank=True, help_text=_("导出的报表名称，如 projects.new_projects。")
    )
    params = models.JSONField(
        _("筛选条件"),
        default=dict,
        blank=True,
        help_text=_("提交时的查询参数或请求体，与对应接口相同（如 bbox、division、属性筛选）。"),
    )
    options = models.JSONField(
        _("选项"), default=dict, blank=True, help_text=_("输出坐标系（crs）、Shapefile编码（encoding）等。")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="export_jobs",
        help_text=_("申请导出的用户：按其权限范围和脱敏规则生成，仅其本人（和管理员）可下载。"),
    )
    division_code = models.CharField(
        _("所属区划代码"), max_length=12, blank=True, help_text=_("提交人所在辖区（提交时记录）。")
    )
    scope = models.JSONField(
        _("权限范围"),
        default=dict,
        blank=True,
        help_text=_("提交时提交人的角色与范围；运行时范围已变则任务失败，需重新申请。"),
    )
    token = models.UUIDField(
        _("文件标识"),
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text=_("不可猜测的编号，用作文件的存放目录。"),
    )
    file = models.CharField(
        _("文件"), max_length=300, blank=True, help_text=_("导出文件在导出目录中的相对路径。")
    )
    filename = models.CharField(_("文件名"), max_length=200, blank=True, help_text=_("下载时的文件名。"))
    size_bytes = models.BigIntegerField(_("文件大小（字节）"), default=0, help_text=_("导出文件的字节数。"))
    sha256 = models.CharField(
        _("文件摘要（SHA-256）"), max_length=64, blank=True, help_text=_("导出文件内容的SHA-256摘要。")
    )
    rows = models.BigIntegerField(_("行数"), default=0, help_text=_("写入文件的记录数。"))
    manifest = models.JSONField(
        _("清单"),
        default=dict,
        blank=True,
        help_text=_("来源、筛选条件、行数、摘要、格式、坐标系、导出人、时间和权限范围。"),
    )
    expires_at = models.DateTimeField(
        _("到期时间"), null=True, blank=True, db_index=True, help_text=_("此后文件被删除，下载返回410。")
    )
    removed_at = models.DateTimeField(
        _("删除时间"), null=True, blank=True, help_text=_("到期后文件被清理的时间。")
    )

    class Meta:
        verbose_name = _("导出任务")
        verbose_name_plural = _("导出任务")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "lease_expires_at"], name="export_job_lease_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} ← {self.layer or self.report_name or self.source} ({self.status})"

    @property
    def expired(self) -> bool:
        """Whether the file is gone (purged) or past its retention, whatever the purge has done."""
        return self.removed_at is not None or (
            self.expires_at is not None and self.expires_at <= timezone.now()
        )
