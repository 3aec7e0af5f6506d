"""Users, with a role and the division, park or grid cell their scope is bound to."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
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
            what = self._meta.get_field(binding).verbose_name
            raise ValidationError({binding: _("此角色必须绑定%(what)s。") % {"what": what}})
