"""Ingest jobs: one uploaded file going into one layer, run in the background by a Celery worker."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jobs.models import Job


class JobKind(models.TextChoices):
    ORTHOPHOTO = "orthophoto", _("正射影像")
    GPS = "gps", _("GPS轨迹")
    PANORAMA = "panorama", _("全景照片")
    VECTOR = "vector", _("矢量数据")


class ImportMode(models.TextChoices):
    """How a vector import treats a feature whose key exists already (the ``mode`` option)."""

    INSERT = "insert", _("仅新增")
    UPSERT = "upsert", _("按键匹配更新")


def upload_to(job: IngestJob, filename: str) -> str:
    # A folder per job; geoportal.media serves the file only to those who may see the job.
    return f"ingest/uploads/{job.token.hex}/{filename}"


class IngestJob(Job):
    kind = models.CharField(
        _("类型"),
        max_length=16,
        choices=JobKind.choices,
        help_text=_("正射影像、GPS轨迹、全景照片或矢量数据。"),
    )
    layer = models.CharField(
        _("目标图层"), max_length=32, db_index=True, help_text=_("写入的图层名称，如 parcels。")
    )
    token = models.UUIDField(
        _("文件标识"),
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text=_("不可猜测的编号，用于上传文件和生成文件的存放路径。"),
    )
    file = models.FileField(
        _("上传文件"), upload_to=upload_to, max_length=300, help_text=_("用户上传的原始文件。")
    )
    filename = models.CharField(
        _("原始文件名"),
        max_length=255,
        blank=True,
        help_text=_("上传时的文件名（仅供显示，类型按内容识别）。"),
    )
    size_bytes = models.BigIntegerField(_("文件大小（字节）"), default=0, help_text=_("上传文件的字节数。"))
    sha256 = models.CharField(
        _("文件摘要（SHA-256）"),
        max_length=64,
        help_text=_("文件内容的SHA-256摘要；同一文件导入同一图层只执行一次。"),
    )
    detected_type = models.CharField(
        _("识别的格式"), max_length=20, blank=True, help_text=_("按文件内容（而非扩展名）识别出的格式。")
    )
    options = models.JSONField(
        _("选项"), default=dict, blank=True, help_text=_("导入选项：源坐标系、字段映射、默认值等。")
    )
    options_hash = models.CharField(
        _("选项摘要"), max_length=64, help_text=_("规范化选项的SHA-256，与文件摘要、图层一起用于去重。")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ingest_jobs",
        help_text=_("上传文件的用户；写入的记录以其身份创建并按其权限检查。"),
    )
    division_code = models.CharField(
        _("所属区划代码"),
        max_length=12,
        blank=True,
        db_index=True,
        help_text=_("提交人所在辖区；成功后改为写入数据共同所在的区划。区县专员据此查看本辖区的任务。"),
    )

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sha256", "layer", "options_hash"], name="ingest_job_unique_input"
            )
        ]
        indexes = [models.Index(fields=["status", "lease_expires_at"], name="ingest_job_lease_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} → {self.layer} ({self.status})"
