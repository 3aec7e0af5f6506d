"""消息中心 (seed 001 L128–L130): each user's inbox, and the deliveries to outside channels.

A ``Message`` is one notice to one person about one object (a project waiting for their review,
a warning on a deadline, a task assigned), with a link to its page and read/unread. Its ``key``
names the occurrence, so the same notice raised twice (a sweep run again, a request replayed)
is one message. Each message goes out on every configured channel once (``Delivery``), retried
with backoff until it is sent or given up.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MessageKind(models.TextChoices):
    ASSIGNMENT = "assignment", _("任务指派")
    REVIEW = "review", _("待我审核")
    RESULT = "result", _("审核结果")
    RETURNED = "returned", _("退回")
    REMINDER = "reminder", _("到期提醒")
    WARNING = "warning", _("预警")


class Message(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="messages",
        help_text=_("消息只有接收人本人可见。"),
    )
    kind = models.CharField(_("类型"), max_length=16, choices=MessageKind.choices)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True, help_text=_("消息所说对象的页面地址。"))
    object_type = models.CharField(
        _("对象类型"), max_length=60, blank=True, help_text=_("如 projects.project。")
    )
    object_id = models.CharField(_("对象编号"), max_length=40, blank=True)
    key = models.CharField(
        _("事由标识"), max_length=120, help_text=_("同一事由只发一次：重复触发不产生第二条消息。")
    )
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["recipient", "key"], name="message_once_per_key")]
        indexes = [models.Index(fields=["recipient", "read_at"], name="message_unread_idx")]

    def __str__(self) -> str:
        return self.title


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class Delivery(models.Model):
    """One message on one outside channel (``inbox.channels``): sent once, retried until then."""

    message = models.ForeignKey(
        Message, verbose_name=_("消息"), on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("渠道"), max_length=40)
    status = models.CharField(
        _("状态"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), default=timezone.now, db_index=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("消息投递")
        verbose_name_plural = _("消息投递")
        constraints = [
            models.UniqueConstraint(fields=["message", "channel"], name="delivery_once_per_channel")
        ]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.channel}"
