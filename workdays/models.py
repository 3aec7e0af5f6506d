"""Days the published calendar gets wrong for us, or does not cover yet (a year the State Council
has not announced): set in the admin, they win over ``chinese_calendar``."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DayOverride(models.Model):
    day = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(
        _("是否工作日"), help_text=_("勾选为工作日（如调休上班），不勾选为休息日。")
    )
    name = models.CharField(_("说明"), max_length=50, blank=True, help_text=_("如“春节”“调休上班”。"))

    class Meta:
        verbose_name = _("日历调整")
        verbose_name_plural = _("日历调整")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {'班' if self.is_workday else '休'} {self.name}"
