"""Ingest jobs: one uploaded file going into one layer, run in the background by a Celery worker."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobKind(models.TextChoices):
    ORTHOPHOTO = "orthophoto", _("正射影像")
    GPS = "gps", _("GPS轨迹")
    PANORAMA = "panorama", _("全景照片")
    VECTOR = "vector", _("矢量数据")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("处理中")
    SUCCEEDED = "succeeded", _("已完成")
    FAILED = "failed", _("失败")
    CANCELLED = "cancelled", _("已取消")


FINISHED = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})


def upload_to(job: IngestJob, filename: str) -> str:
    # A folder per job; geoportal.media serves the file only to those who may see the job.
    return f"ingest/uploads/{job.token.hex}/{filename}"


class IngestJob(models.Model):
    kind = models.CharField(
        _("类型"),
        max_length=16,
        choices=JobKind.choices,
        help_text=_("正射影像、GPS轨迹、全景照片或矢量数据。"),
    )
    layer = models.CharField(
        _("目标图层"), max_length=32, db_index=True, help_text=_("写入的图层名称，如 parcels。")
    )
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=JobStatus.choices,
        default=JobStatus.QUEUED,
        db_index=True,
        help_text=_("排队中、处理中、已完成、失败或已取消。"),
    )
    progress = models.PositiveSmallIntegerField(
        _("进度（%）"), default=0, validators=[MaxValueValidator(100)], help_text=_("0到100的完成百分比。")
    )
    stage = models.CharField(
        _("当前步骤"), max_length=40, blank=True, help_text=_("正在进行的步骤，如读取、转换、写入。")
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
    report = models.JSONField(
        _("报告"),
        default=dict,
        blank=True,
        help_text=_("计数、警告和错误（含行号或要素序号及原因）。"),
    )
    error = models.TextField(_("失败原因"), blank=True, help_text=_("失败时的主要原因及处理建议。"))
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
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now, help_text=_("任务创建的时间。"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, help_text=_("任务记录最后变化的时间。"))
    enqueued_at = models.DateTimeField(
        _("入队时间"), null=True, blank=True, help_text=_("最近一次放入任务队列的时间。")
    )
    started_at = models.DateTimeField(
        _("开始时间"), null=True, blank=True, help_text=_("首次开始处理的时间。")
    )
    finished_at = models.DateTimeField(
        _("结束时间"), null=True, blank=True, help_text=_("完成、失败或取消的时间。")
    )
    attempts = models.PositiveSmallIntegerField(
        _("执行次数"), default=0, help_text=_("被工作进程领取的次数；进程中途退出后会重新执行。")
    )
    lease_owner = models.CharField(
        _("租约持有者"), max_length=64, blank=True, help_text=_("正在处理此任务的工作进程标识。")
    )
    lease_expires_at = models.DateTimeField(
        _("租约到期"),
        null=True,
        blank=True,
        help_text=_("处理中的任务须在此之前续约（心跳）；过期说明工作进程已退出，任务会被重新执行。"),
    )
    task_id = models.CharField(
        _("Celery任务号"), max_length=64, blank=True, help_text=_("最近一次入队的任务号。")
    )
    language = models.CharField(
        _("语言"), max_length=10, blank=True, help_text=_("提交时界面语言；报告和错误信息用此语言书写。")
    )
    cancel_requested = models.BooleanField(
        _("请求取消"),
        default=False,
        help_text=_("用户请求取消；处理中的任务在下一个检查点停止且不写入任何数据。"),
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

    @property
    def finished(self) -> bool:
        return self.status in FINISHED
