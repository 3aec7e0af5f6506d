"""A backup as a job of the jobs engine; what it holds is in its manifest in the store."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from jobs.models import Job


class BackupKind(models.TextChoices):
    FULL = "full", _("完整备份（数据库和媒体文件）")


class BackupTrigger(models.TextChoices):
    SCHEDULED = "scheduled", _("定时")
    MANUAL = "manual", _("手动")


class BackupJob(Job):
    kind = models.CharField(
        _("类型"),
        max_length=16,
        choices=BackupKind.choices,
        default=BackupKind.FULL,
        help_text=_("完整备份：数据库转储和全部媒体文件。"),
    )
    trigger = models.CharField(
        _("触发方式"),
        max_length=16,
        choices=BackupTrigger.choices,
        default=BackupTrigger.MANUAL,
        help_text=_("定时任务（每日）或管理员手动（manage.py backup）。"),
    )
    scheduled_for = models.DateField(
        _("计划日期"),
        null=True,
        blank=True,
        unique=True,
        help_text=_("定时备份所属的日期：每天至多一次，重复触发不会产生第二个备份。"),
    )
    name = models.CharField(
        _("备份名称"),
        max_length=64,
        blank=True,
        db_index=True,
        help_text=_("备份在存储中的名称（UTC时间和任务号），恢复时用它指定备份。"),
    )
    database = models.CharField(_("数据库"), max_length=63, blank=True, help_text=_("被备份的数据库名。"))
    tables = models.PositiveIntegerField(_("表数"), default=0, help_text=_("转储并核对的表的数量。"))
    rows = models.BigIntegerField(_("行数"), default=0, help_text=_("备份时刻全部表的行数之和。"))
    dump_bytes = models.BigIntegerField(
        _("转储大小（字节）"), default=0, help_text=_("pg_dump 文件的字节数。")
    )
    media_files = models.PositiveIntegerField(_("媒体文件数"), default=0, help_text=_("备份中的媒体文件数。"))
    media_bytes = models.BigIntegerField(
        _("媒体大小（字节）"), default=0, help_text=_("备份中媒体文件的总字节数。")
    )
    media_copied = models.PositiveIntegerField(
        _("新复制的媒体文件"), default=0, help_text=_("本次新写入存储的媒体文件数；未变化的文件不再复制。")
    )
    verified_at = models.DateTimeField(
        _("校验时间"), null=True, blank=True, help_text=_("恢复到临时数据库并核对通过的时间。")
    )
    pruned_at = models.DateTimeField(
        _("清理时间"), null=True, blank=True, help_text=_("超出保留策略、文件被删除的时间。")
    )

    class Meta:
        verbose_name = _("备份任务")
        verbose_name_plural = _("备份任务")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "lease_expires_at"], name="backup_job_lease_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.name or self.kind} ({self.status})"
