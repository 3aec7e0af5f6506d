"""What every layer record shares: audit fields, a version for optimistic locking, publication,
soft delete, the derived division code, and change history."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.gis.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from layers.english import english_name

MU_M2 = 2000 / 3  # 1 亩 = 666.67 m²


class ActiveManager(models.Manager):
    """Hides soft-deleted records; ``all_objects`` still sees them."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


class LayerFeature(models.Model):
    """Abstract base of every spatial layer record.

    Subclasses declare ``geom`` and may set ``derive_park`` / ``derive_grid_cell`` so that save()
    fills those foreign keys by spatial lookup; nobody types them in. Those with an English name
    (``name_en``, ``fields.english_name_field``) set ``english_from`` to the field it is made from
    when left blank.
    """

    derive_park: ClassVar[bool] = False
    derive_grid_cell: ClassVar[bool] = False
    english_from: ClassVar[str | None] = None

    division_code = models.CharField(
        _("行政区划代码"),
        max_length=12,
        blank=True,
        default="",
        editable=False,
        help_text=_("保存时按空间位置自动判定的所在村/社区12位代码；用于按辖区过滤。"),
    )
    is_public = models.BooleanField(
        _("公开发布"),
        default=False,
        help_text=_("勾选后匿名投资人可在招商地图上看到此记录。"),
    )
    version = models.PositiveIntegerField(
        _("版本号"),
        default=1,
        editable=False,
        help_text=_("每次修改加一；写入时须带上读取时的版本号（If-Match），防止覆盖他人修改。"),
    )
    created_at = models.DateTimeField(
        _("创建时间"), default=timezone.now, editable=False, help_text=_("记录创建的时间。")
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, help_text=_("最后一次修改的时间。"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("创建此记录的用户。"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("最后修改此记录的用户。"),
    )
    deleted_at = models.DateTimeField(
        _("删除时间"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("软删除：非空表示已删除，可由有权限的用户恢复。"),
    )

    history = HistoricalRecords(inherit=True, excluded_fields=["updated_at"])

    objects = ActiveManager()
    all_objects = models.Manager()

    class Meta:
        abstract = True
        base_manager_name = "all_objects"

    def derive(self) -> None:
        """Fill the fields that depend on where the geometry is (one query; see layers.derivation)."""
        from layers.derivation import derive_many

        derive_many([self])

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.geom is not None:
            self.derive()
        if self.english_from and not self.name_en:
            self.name_en = english_name(getattr(self, self.english_from))
        super().save(*args, **kwargs)

    def soft_delete(self, user: Any = None) -> None:
        self.deleted_at = timezone.now()
        self.updated_by = user if getattr(user, "pk", None) else None
        self.version += 1
        self.save()


def division_prefix_index(model_name: str) -> models.Index:
    """A btree that serves ``division_code LIKE '445302%'`` scope filters."""
    return models.Index(
        fields=["division_code"], name=f"{model_name}_division_idx", opclasses=["varchar_pattern_ops"]
    )


class InvestmentContact(models.Model):
    """招商联系人: the investment officer a park or a county publishes for investors to call. Not
    personal data: a work contact published on purpose (the drawer, the brochure), so it is
    neither masked nor encrypted; a personal number belongs in ``contact_phone``, which is."""

    investment_contact_name = models.CharField(
        _("招商联系人"), max_length=50, blank=True, help_text=_("对外公布的招商专员姓名。")
    )
    investment_contact_title = models.CharField(
        _("招商联系人职务"), max_length=50, blank=True, help_text=_("如“招商局招商专员”。")
    )
    investment_contact_phone = models.CharField(
        _("招商咨询电话"),
        max_length=30,
        blank=True,
        help_text=_("对外公布的办公电话，不作脱敏处理；请勿填写个人手机号。"),
    )
    investment_contact_email = models.EmailField(
        _("招商咨询邮箱"), blank=True, help_text=_("对外公布的办公邮箱。")
    )

    class Meta:
        abstract = True


# The fields of a published investment contact: public by design, never masked (and so never
# among a layer's personal_fields).
PUBLISHED_CONTACT_FIELDS = tuple(f.name for f in InvestmentContact._meta.local_fields)
