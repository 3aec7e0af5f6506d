"""The audit log (SPEC 9, 等保 level 3): one append-only, hash-chained table, partitioned by month.

The table is created by hand in the migration, not by Django: PostgreSQL partitions it by month
on ``at`` (so old months can be detached and archived), and a trigger refuses UPDATE and DELETE
for every role, the application's own included. Django believes ``id`` alone is the primary key;
the database's key is (id, at), as a partitioned table requires, and ids are unique anyway.

Each entry carries ``seq`` (its place in the chain) and ``mac``: an HMAC over its own content and
the previous entry's MAC (``audit.chain``). ``manage.py audit verify`` walks the chain and names
the first entry that was changed, removed or inserted behind the application's back.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    LOGIN = "login", _("登录")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOGOUT = "logout", _("退出")
    TOKEN_ISSUED = "token_issued", _("签发令牌")
    TOKEN_REVOKED = "token_revoked", _("吊销令牌")
    CREATE = "create", _("新增")
    UPDATE = "update", _("修改")
    DELETE = "delete", _("删除")
    IMPORT = "import", _("批量导入")
    EXPORT = "export", _("导出")
    READ_PERSONAL = "read_personal", _("查看个人信息")
    DENIED = "denied", _("拒绝访问")
    CONFIG = "config", _("配置变更")
    # The database brought back from a backup (backups.restore), recorded in the restored copy.
    RESTORE = "restore", _("恢复备份")
    # A changeset of a park's edits (editing.Changeset): approved into the live layer, or returned.
    APPROVE = "approve", _("审核通过")
    RETURN = "return", _("审核退回")


class Outcome(models.TextChoices):
    SUCCESS = "success", _("成功")
    FAILURE = "failure", _("失败")
    DENIED = "denied", _("拒绝")


class Channel(models.TextChoices):
    """What the action came through."""

    API = "api", _("接口")
    ADMIN = "admin", _("管理后台")
    PAGE = "page", _("页面")
    JOB = "job", _("后台任务")
    COMMAND = "command", _("命令")


class Entry(models.Model):
    id = models.BigAutoField(primary_key=True)
    seq = models.BigIntegerField(
        _("链序号"), help_text=_("Position in the hash chain, from 1, without gaps.")
    )
    at = models.DateTimeField(_("时间"), help_text=_("When it happened (the partition key)."))
    user_id = models.BigIntegerField(
        _("用户编号"),
        null=True,
        blank=True,
        help_text=_("The acting user's id, kept as a number: an entry outlives its user."),
    )
    username = models.CharField(
        _("用户名"), max_length=150, blank=True, help_text=_("As it was at the time.")
    )
    role = models.CharField(_("角色"), max_length=32, blank=True, help_text=_("The user's role at the time."))
    client_address = models.GenericIPAddressField(
        _("客户端地址"),
        null=True,
        blank=True,
        help_text=_("The address our own proxy saw the request come from."),
    )
    user_agent = models.CharField(
        _("客户端"), max_length=256, blank=True, help_text=_("The User-Agent header.")
    )
    channel = models.CharField(
        _("渠道"), max_length=16, choices=Channel.choices, help_text=_("What the action came through.")
    )
    action = models.CharField(_("操作"), max_length=32, choices=AuditAction.choices)
    object_type = models.CharField(
        _("对象类型"), max_length=64, blank=True, help_text=_("app_label.model, or a layer name.")
    )
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    division = models.CharField(
        _("所属区划"),
        max_length=12,
        blank=True,
        help_text=_("Division code of the object (or the user's own)."),
    )
    outcome = models.CharField(_("结果"), max_length=16, choices=Outcome.choices, default=Outcome.SUCCESS)
    request_id = models.CharField(
        _("请求编号"), max_length=64, blank=True, help_text=_("Matches the X-Request-ID of the response.")
    )
    detail = models.JSONField(
        _("详情"), default=dict, blank=True, help_text=_("What changed (field names, counts), never secrets.")
    )
    prev_mac = models.CharField(_("前项校验码"), max_length=80, blank=True)
    mac = models.CharField(
        _("校验码"), max_length=80, help_text=_("algorithm:hex HMAC over this entry and the previous MAC.")
    )

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-seq"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"#{self.seq} {self.at:%Y-%m-%d %H:%M:%S} {self.username or '-'} {self.action}"


class ChainHead(models.Model):
    """The chain's last position and MAC: one row, locked by each append until its commit, so
    entries join the chain one at a time and in commit order."""

    id = models.SmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(_("链序号"), default=0)
    mac = models.CharField(_("校验码"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("审计链头")
        verbose_name_plural = _("审计链头")
        default_permissions = ()

    def __str__(self) -> str:
        return f"#{self.seq} {self.mac}"
