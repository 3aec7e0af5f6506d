"""The abstract job every kind of background work extends."""

from __future__ import annotations

from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("处理中")
    SUCCEEDED = "succeeded", _("已完成")
    FAILED = "failed", _("失败")
    CANCELLED = "cancelled", _("已取消")


FINISHED = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})


class Job(models.Model):
    """A unit of background work, run exactly once by ``jobs.runner`` whatever happens to workers.

    A concrete job model adds a ``kind`` field (its processors, see ``jobs.registry``) and what the
    work needs. ``report`` is the processor's report; ``error`` the reason a job failed.
    """

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
    report = models.JSONField(
        _("报告"),
        default=dict,
        blank=True,
        help_text=_("计数、警告和错误（含行号或要素序号及原因）。"),
    )
    error = models.TextField(_("失败原因"), blank=True, help_text=_("失败时的主要原因及处理建议。"))
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

    kind: str

    class Meta:
        abstract = True

    @property
    def finished(self) -> bool:
        return self.status in FINISHED
