"""Users, with a role and the division, park or grid cell their scope is bound to; their tokens and
recent password hashes."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .roles import SCOPE_BINDING, Role


class User(AbstractUser):
    role = models.CharField(
        _("角色"),
        max_length=32,
        choices=Role.choices,
        default=Role.INVESTOR,
        help_text=_("决定可做的操作；员工角色还需绑定辖区、园区或网格。"),
    )
    division = models.ForeignKey(
        "layers.Division",
        verbose_name=_("所属行政区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("官员和领导的辖区：可见本级及下级。"),
    )
    park = models.ForeignKey(
        "layers.Park",
        verbose_name=_("所属园区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="managers",
        help_text=_("园区管理员管理的园区。"),
    )
    grid_cell = models.ForeignKey(
        "layers.GridCell",
        verbose_name=_("所属网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="workers",
        help_text=_("网格员负责的网格。"),
    )
    phone = models.CharField(
        _("手机号"),
        max_length=20,
        blank=True,
        help_text=_("个人信息：无权限的角色看到的是脱敏后的号码。"),
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def clean(self) -> None:
        super().clean()
        binding = SCOPE_BINDING.get(self.role)
        if binding and getattr(self, f"{binding}_id") is None:
            what = cast(models.Field, self._meta.get_field(binding)).verbose_name
            raise ValidationError({binding: _("此角色必须绑定%(what)s。") % {"what": what}})


class TokenKind(models.TextChoices):
    API = "api", _("接口令牌")
    DEVICE = "device", _("设备令牌")
    DISPLAY = "display", _("大屏令牌")


class AuthToken(models.Model):
    """An API, device or display token, kept only as the SHA-256 digest of its key (as django-rest-knox
    does): a copy of the table gives nobody a usable credential. The key is shown once, when it is
    issued; ``prefix`` lets its owner tell the tokens apart in a list. See ``accounts.tokens``."""

    user = models.ForeignKey(
        User,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="auth_tokens",
        help_text=_("令牌代表的用户：持有令牌即以此用户的身份访问。"),
    )
    kind = models.CharField(
        _("类型"),
        max_length=16,
        choices=TokenKind.choices,
        default=TokenKind.API,
        help_text=_(
            "接口令牌用于接口调用；设备令牌是手机端登录一次后使用的令牌，按设备名称区分；"
            "大屏令牌只能打开大屏及其所需的数据，可以出现在大屏网址中。"
        ),
    )
    name = models.CharField(
        _("名称"),
        max_length=100,
        blank=True,
        help_text=_(
            "帮助用户辨认令牌，例如签发时的客户端；设备令牌是手机报上的设备名称，"
            "同一设备再次登录时，它原来的令牌即被撤销。"
        ),
    )
    prefix = models.CharField(
        _("前缀"),
        max_length=8,
        editable=False,
        help_text=_("密钥的前几位，仅用于辨认；完整密钥不保存。"),
    )
    digest = models.CharField(
        _("摘要"),
        max_length=64,
        unique=True,
        editable=False,
        help_text=_("密钥的 SHA-256 摘要：验证令牌时比对它，数据库中不保存密钥本身。"),
    )
    created_at = models.DateTimeField(
        _("签发时间"), default=timezone.now, editable=False, help_text=_("令牌签发的时间。")
    )
    expires_at = models.DateTimeField(_("过期时间"), help_text=_("此时间之后令牌失效，需重新登录。"))
    last_used_at = models.DateTimeField(
        _("最近使用"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("最近一次使用的时间，精确到分钟（避免每个请求写一次数据库）。"),
    )
    revoked_at = models.DateTimeField(
        _("撤销时间"), null=True, blank=True, help_text=_("令牌被撤销（注销、轮换或管理员撤销）的时间。")
    )

    class Meta:
        verbose_name = _("访问令牌")
        verbose_name_plural = _("访问令牌")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "kind", "revoked_at"], name="accounts_token_user_kind")]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.get_kind_display()}, {self.user})"

    def is_live(self, now: datetime | None = None) -> bool:
        """Neither revoked nor expired."""
        return self.revoked_at is None and self.expires_at > (now or timezone.now())


class PasswordHistory(models.Model):
    """The hashes of a user's recent passwords, newest first: the password policy refuses a reuse
    of the last few (``accounts.passwords.PasswordHistoryValidator``), and the newest entry's time
    is when the current password was set (its age, for expiry)."""

    user = models.ForeignKey(
        User,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="password_history",
        help_text=_("设置此密码的用户。"),
    )
    password = models.CharField(
        _("密码哈希"), max_length=128, editable=False, help_text=_("当时密码的哈希值，不保存明文。")
    )
    created_at = models.DateTimeField(
        _("设置时间"), default=timezone.now, editable=False, help_text=_("设置此密码的时间。")
    )

    class Meta:
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="accounts_pwhistory_user")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.created_at:%Y-%m-%d %H:%M}"


class SecondFactor(models.Model):
    """A user's authenticator app (TOTP, RFC 6238): the second factor 等保 level 3 asks of
    administrators. The shared secret is sealed with SM4-GCM before it is stored (``accounts.totp``),
    so the table alone lets nobody compute a code."""

    user = models.OneToOneField(
        User,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="second_factor",
        help_text=_("使用此身份验证器登录的用户。"),
    )
    sealed_secret = models.TextField(
        _("密钥（已加密）"), editable=False, help_text=_("TOTP 共享密钥，SM4-GCM 加密后保存，不保存明文。")
    )
    last_step = models.BigIntegerField(
        _("最近使用的时间片"),
        default=0,
        editable=False,
        help_text=_("最近一次接受的动态口令所在的 30 秒时间片：同一口令不能用第二次。"),
    )
    created_at = models.DateTimeField(_("启用时间"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("二次验证")
        verbose_name_plural = _("二次验证")

    def __str__(self) -> str:
        return f"{self.user} TOTP"
