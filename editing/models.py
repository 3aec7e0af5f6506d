"""Changesets: a park's edits held for review (数据录入 → 数据校核 → 数据入库 → 数据发布).

A park whose edits need approval (``Park.edits_need_approval``) gets one *open* changeset at a
time, shared by its park managers: the park's working copy. Each record has at most one pending
item in it, so two managers editing the same plot meet in an optimistic-locking conflict on the
item's ``revision`` rather than in two versions an officer would have to reconcile. Submitting
freezes it for an officer of the park's division, who approves (the items are written to the live
layer, with history and audit, and the public tiles move on) or returns it with a comment (it
opens again for the managers to fix).

The live layer is the published state: until approval nothing of a changeset reaches the public
map, the public API or the public tiles, because nothing of it is in the layer tables.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ChangesetState(models.TextChoices):
    OPEN = "open", _("编辑中")
    SUBMITTED = "submitted", _("待审核")
    APPROVED = "approved", _("已通过")
    RETURNED = "returned", _("已退回")


# A changeset in these states still holds its records: nobody else may change them meanwhile.
PENDING_STATES = (ChangesetState.OPEN, ChangesetState.SUBMITTED, ChangesetState.RETURNED)


class ChangesetSource(models.TextChoices):
    EDITOR = "editor", _("在线编辑")
    IMPORT = "import", _("文件导入")


class ChangeAction(models.TextChoices):
    CREATE = "create", _("新增")
    UPDATE = "update", _("修改")
    DELETE = "delete", _("删除")


class Changeset(models.Model):
    park = models.ForeignKey(
        "layers.Park",
        verbose_name=_("园区"),
        on_delete=models.PROTECT,
        related_name="changesets",
        help_text=_("变更所属的园区；由园区所在辖区的招商专员审核。"),
    )
    state = models.CharField(
        _("状态"),
        max_length=16,
        choices=ChangesetState.choices,
        default=ChangesetState.OPEN,
        db_index=True,
        help_text=_("编辑中、待审核、已通过或已退回。"),
    )
    source = models.CharField(
        _("来源"),
        max_length=16,
        choices=ChangesetSource.choices,
        default=ChangesetSource.EDITOR,
        help_text=_("在线编辑，或导入的测绘文件。"),
    )
    title = models.CharField(_("说明"), max_length=200, blank=True, help_text=_("提交时填写的变更说明。"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("开始这组变更的用户。"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, help_text=_("第一项变更的时间。"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("提交审核的用户。"),
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True, help_text=_("提交审核的时间。"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("通过或退回的招商专员。"),
    )
    reviewed_at = models.DateTimeField(
        _("审核时间"), null=True, blank=True, help_text=_("通过或退回的时间。")
    )
    review_comment = models.TextField(
        _("审核意见"), blank=True, help_text=_("退回时必填：说明需要修改什么。")
    )
    import_job = models.ForeignKey(
        "ingest.IngestJob",
        verbose_name=_("导入任务"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="changesets",
        help_text=_("来源为文件导入时，生成这组变更的导入任务。"),
    )

    class Meta:
        verbose_name = _("变更集")
        verbose_name_plural = _("变更集")
        ordering = ["-created_at"]
        constraints = [
            # The park's working copy: one open changeset per park and source at a time.
            models.UniqueConstraint(
                fields=["park"],
                condition=models.Q(state="open", source="editor"),
                name="editing_one_open_changeset_per_park",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.park} ({self.get_state_display()})"


class ChangeItem(models.Model):
    changeset = models.ForeignKey(
        Changeset,
        verbose_name=_("变更集"),
        on_delete=models.CASCADE,
        related_name="items",
        help_text=_("所属变更集。"),
    )
    layer = models.CharField(_("图层"), max_length=40, help_text=_("图层名，如 parcels、buildings。"))
    record_id = models.BigIntegerField(
        _("记录编号"), null=True, blank=True, help_text=_("修改或删除的记录；新增的记录在通过后才有编号。")
    )
    action = models.CharField(
        _("操作"), max_length=8, choices=ChangeAction.choices, help_text=_("新增、修改或删除。")
    )
    base_version = models.PositiveIntegerField(
        _("基础版本"),
        null=True,
        blank=True,
        help_text=_("编辑时记录的线上版本；通过时若线上已变，则须重新核对。"),
    )
    revision = models.PositiveIntegerField(
        _("修订号"), default=1, help_text=_("这项变更每次被再次编辑加一，用于工作副本上的乐观锁。")
    )
    before = models.JSONField(
        _("修改前"), null=True, blank=True, help_text=_("线上记录的属性与几何（GeoJSON要素）；新增时为空。")
    )
    after = models.JSONField(
        _("修改后"), null=True, blank=True, help_text=_("变更后的属性与几何（GeoJSON要素）；删除时为空。")
    )
    issues = models.JSONField(
        _("拓扑问题"), default=list, blank=True, help_text=_("保存时检查出的重叠、越界等警告。")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("编辑人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("最后编辑这项变更的用户。"),
    )
    updated_at = models.DateTimeField(_("编辑时间"), auto_now=True, help_text=_("最后编辑的时间。"))
    applied_id = models.BigIntegerField(
        _("入库记录编号"), null=True, blank=True, help_text=_("通过后写入的线上记录编号。")
    )

    class Meta:
        verbose_name = _("变更项")
        verbose_name_plural = _("变更项")
        ordering = ["id"]
        indexes = [models.Index(fields=["layer", "record_id"], name="editing_item_record_idx")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.layer} {self.record_id or '+'}"
