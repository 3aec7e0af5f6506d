"""招商项目 pipeline. For now only its first stage: the lead (线索) that an investor's expression of
interest (投资意向) creates on the public investment map, linked to the carriers they looked at."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from crypto.fields import EncryptedCharField, EncryptedEmailField

# Crockford base32 without I, L, O and U: easy to read out over the phone.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class LeadStatus(models.TextChoices):
    NEW = "new", _("新线索")
    CONTACTED = "contacted", _("已联系")
    CONVERTED = "converted", _("已转为项目")
    DROPPED = "dropped", _("已放弃")


class LeadSource(models.TextChoices):
    INVESTMENT_MAP = "investment_map", _("招商地图")


def new_reference() -> str:
    """XS + date + six random characters, e.g. XS20260314-7K3F9Q (XS = 线索)."""
    day = timezone.localdate().strftime("%Y%m%d")
    return f"XS{day}-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _i in range(6))


class Lead(models.Model):
    reference = models.CharField(
        _("线索编号"),
        max_length=24,
        unique=True,
        default=new_reference,
        editable=False,
        help_text=_("提交后告知投资人的编号，用于后续联系时查询。"),
    )
    investor_name = models.CharField(_("联系人"), max_length=50, help_text=_("投资人或联系人姓名。"))
    company = models.CharField(_("企业名称"), max_length=200, blank=True, help_text=_("投资主体企业名称。"))
    # Personal data: SM4-GCM encrypted at rest when NATIONAL_CRYPTO is on (crypto.fields).
    phone = EncryptedCharField(
        _("手机/电话"),
        max_length=20,
        help_text=_("中国大陆手机号、固定电话或带国家代码的境外号码（个人信息，无权限的角色看到脱敏号码）。"),
    )
    email = EncryptedEmailField(_("电子邮箱"), blank=True, help_text=_("可选；个人信息。"))
    consented_at = models.DateTimeField(
        _("同意时间"),
        null=True,
        blank=True,
        help_text=_(
            "投资人勾选同意按《个人信息保护说明》处理其联系方式的时间（《个人信息保护法》要求单独同意）；"
            "此功能之前的线索为空。"
        ),
    )
    industry = models.CharField(_("产业类别"), max_length=50, blank=True, help_text=_("拟投资项目所属产业。"))
    investment_wan = models.DecimalField(
        _("拟投资额（万元）"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("拟投资总额，单位万元。"),
    )
    message = models.TextField(_("需求说明"), blank=True, help_text=_("用地、厂房、时间等需求描述。"))
    parcels = models.ManyToManyField(
        "layers.LandParcel",
        verbose_name=_("浏览的地块"),
        blank=True,
        related_name="leads",
        help_text=_("投资人提交意向时选中的地块。"),
    )
    buildings = models.ManyToManyField(
        "layers.Building",
        verbose_name=_("浏览的楼宇厂房"),
        blank=True,
        related_name="leads",
        help_text=_("投资人提交意向时选中的楼宇厂房。"),
    )
    parks = models.ManyToManyField(
        "layers.Park",
        verbose_name=_("浏览的园区"),
        blank=True,
        related_name="leads",
        help_text=_("投资人在园区详情中提交意向时所看的园区。"),
    )
    carriers = models.JSONField(
        _("载体顺序"),
        default=list,
        blank=True,
        editable=False,
        help_text=_("按投资人选择顺序记录的载体引用列表，如 parcels:12。"),
    )
    source = models.CharField(
        _("来源"),
        max_length=20,
        choices=LeadSource.choices,
        default=LeadSource.INVESTMENT_MAP,
        help_text=_("线索从哪个渠道进入。"),
    )
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=LeadStatus.choices,
        default=LeadStatus.NEW,
        db_index=True,
        help_text=_("新线索、已联系、已转为项目或已放弃。"),
    )
    division = models.ForeignKey(
        "layers.Division",
        verbose_name=_("承接区划"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("按第一个载体所在区县自动分派；没有载体时由市级承接。"),
    )
    division_code = models.CharField(
        _("区划代码"),
        max_length=12,
        blank=True,
        default="",
        db_index=True,
        editable=False,
        help_text=_("第一个载体所在村/社区代码（无载体时为市级代码），用于按辖区查看。"),
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        help_text=_("登录后提交时的账号；匿名提交为空。"),
    )
    client_ip = models.GenericIPAddressField(
        _("来源IP"), null=True, blank=True, editable=False, help_text=_("提交时的客户端地址，用于防刷。")
    )
    created_at = models.DateTimeField(
        _("提交时间"), default=timezone.now, editable=False, db_index=True, help_text=_("意向提交的时间。")
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, help_text=_("最后一次修改的时间。"))
    # Who changed the status or the contact details, when, from what to what (SPEC 3).
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("招商线索")
        verbose_name_plural = _("招商线索")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reference} {self.company or self.investor_name}"

    def assign(self, first_carrier: Any | None) -> None:
        """The county of the first carrier takes the lead; with no carrier, the city does."""
        from layers.models import Division, DivisionLevel

        code = getattr(first_carrier, "division_code", "") or ""
        if code:
            division = Division.objects.filter(level=DivisionLevel.COUNTY, code__startswith=code[:6]).first()
        else:
            division = Division.objects.filter(level=DivisionLevel.CITY).order_by("code").first()
            code = division.code if division else ""
        self.division = division
        self.division_code = code
