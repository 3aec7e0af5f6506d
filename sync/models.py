"""The phone's offline work as the server keeps it (issue 16): each operation once, by the UUID the
phone gave it, and each photo uploaded in resumable chunks under its SHA-256."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OperationState(models.TextChoices):
    APPLIED = "applied", _("已应用")
    CONFLICT = "conflict", _("有冲突")
    REJECTED = "rejected", _("已拒绝")
    # Never stored: the phone sends the operation again once its photos are uploaded.
    WAITING = "waiting", _("等待照片")


class Operation(models.Model):
    """One operation of a phone, applied once: a replay answers ``result`` again."""

    uuid = models.UUIDField(_("操作编号"), unique=True, help_text=_("手机端生成的UUID；重放时据此去重。"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        related_name="sync_operations",
        help_text=_("发送此操作的用户。"),
    )
    type = models.CharField(_("类型"), max_length=40, help_text=_("操作类型，如 field_point.create。"))
    body_hash = models.CharField(
        _("内容摘要"), max_length=64, help_text=_("操作内容的SHA-256；同一编号内容不同即拒绝。")
    )
    state = models.CharField(
        _("结果状态"), max_length=16, choices=OperationState.choices, help_text=_("已应用、有冲突或已拒绝。")
    )
    result = models.JSONField(_("结果"), default=dict, blank=True, help_text=_("重放时原样返回的结果。"))
    device_time = models.DateTimeField(
        _("手机时间"), null=True, blank=True, help_text=_("手机记录的操作时间（可能不准）。")
    )
    server_time = models.DateTimeField(
        _("服务器时间"), default=timezone.now, help_text=_("服务器执行的时间。")
    )
    clock_offset_s = models.FloatField(
        _("手机时钟偏差（秒）"),
        null=True,
        blank=True,
        help_text=_(
            "加到手机时间上、换算为服务器时间的秒数（服务器时间减手机发送时的时间；两分钟以内记为0）；"
            "批次未带手机时间时为空。"
        ),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, help_text=_("记录写入的时间。"))

    class Meta:
        verbose_name = _("同步操作")
        verbose_name_plural = _("同步操作")
        indexes = [models.Index(fields=["user", "-server_time"], name="sync_op_user_time")]

    def __str__(self) -> str:
        return f"{self.type} {self.uuid} ({self.state})"


class PhotoUpload(models.Model):
    """A photo arriving in chunks; ``path`` is set once the whole file checked out and was stored."""

    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True, help_text=_("整张照片的SHA-256。"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.PROTECT,
        related_name="sync_photo_uploads",
        help_text=_("开始上传此照片的用户。"),
    )
    total = models.PositiveBigIntegerField(_("总字节数"), help_text=_("整张照片的大小。"))
    received = models.PositiveBigIntegerField(_("已收字节数"), default=0, help_text=_("已收到的连续字节数。"))
    partial = models.CharField(
        _("临时文件"), max_length=255, blank=True, help_text=_("MEDIA_ROOT 下未传完的临时文件。")
    )
    path = models.CharField(
        _("照片路径"), max_length=255, blank=True, help_text=_("传完后在媒体库中的路径。")
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, help_text=_("开始上传的时间。"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, help_text=_("最近收到分块的时间。"))

    class Meta:
        verbose_name = _("照片上传")
        verbose_name_plural = _("照片上传")

    def __str__(self) -> str:
        return f"{self.sha256[:12]} {self.received}/{self.total}"

    @property
    def complete(self) -> bool:
        return bool(self.path)
