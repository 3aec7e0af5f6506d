"""网格事件 (seed 001 L91–L113, L209; 004 L230–L276): an event from report to close, the departments
it is dispatched to, and the categories that say how long each step may take.

The states are the field points' (``layers.models.EventStatus``): one vocabulary for the point a
grid worker tagged, the event it opened and the wall. What may happen in each state, and who takes
each step, is ``grid.workflow`` and ``policy`` (``EVENT_STEPS``). Every step is an ``EventAction``
row, kept for good.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.names import in_language
from layers.models import Division, EventStatus, FieldPoint, FieldPointCategory, GridCell

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# The steps a category gives a time limit, in working days (from entering the state before it).
DEADLINE_STEPS = ("accept", "dispatch", "handle", "verify")


def new_code() -> str:
    """SJ + year + six random characters, e.g. SJ2026-7K3F9Q (SJ = 事件)."""
    return f"SJ{timezone.localdate():%Y}-" + "".join(secrets.choice(CODE_ALPHABET) for _i in range(6))


class Department(models.Model):
    """部门: where events are dispatched; each division level may have a control centre (控制中心)
    that is warned when events of the level below run late (004 L230)."""

    name = models.CharField(_("部门名称"), max_length=100, help_text=_("部门的名称，如“城市管理局”。"))
    division = models.ForeignKey(
        Division,
        verbose_name=_("所属区划"),
        on_delete=models.PROTECT,
        related_name="departments",
        help_text=_("部门所属的行政区划：本级及上级的工作人员可向它派遣。"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("成员"),
        blank=True,
        related_name="departments",
        help_text=_("成员能看到并办理派给本部门的事件。"),
    )
    is_control_centre = models.BooleanField(
        _("控制中心"), default=False, help_text=_("本级的指挥调度中心：下级事件逾期时收到提醒。")
    )

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["division__code", "name"]
        constraints = [models.UniqueConstraint(fields=["division", "name"], name="department_name_once")]

    def __str__(self) -> str:
        return f"{self.division.name} {self.name}"


def _check_deadlines(value: Any, field: str) -> dict[str, int]:
    if not isinstance(value, dict):
        raise ValidationError({field: _('时限是一个对象，如 {"accept": 1, "handle": 5}。')})
    wrong = [k for k in value if k not in DEADLINE_STEPS]
    if wrong:
        raise ValidationError(
            {
                field: _("没有这些环节：%(keys)s；可设置：%(known)s。")
                % {"keys": "、".join(wrong), "known": "、".join(DEADLINE_STEPS)}
            }
        )
    bad = [k for k, v in value.items() if not isinstance(v, int) or isinstance(v, bool) or v < 1]
    if bad:
        raise ValidationError(
            {field: _("时限是不小于 1 的整数个工作日：%(keys)s。") % {"keys": "、".join(bad)}}
        )
    return value


class EventCategory(models.Model):
    """事件类别: the time limit of each step in working days, shorter on the urgent channel (加急),
    when an overdue event escalates, and what counts as a duplicate."""

    key = models.SlugField(
        _("标识"), max_length=40, unique=True, help_text=_("程序使用的英文标识，如 road。")
    )
    name_zh = models.CharField(_("中文名称"), max_length=50, help_text=_("类别的中文名称。"))
    name_en = models.CharField(_("英文名称"), max_length=80, help_text=_("类别的英文名称。"))
    opens_from = models.OneToOneField(
        FieldPointCategory,
        verbose_name=_("自动立案的打点类别"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="event_category",
        help_text=_("这一类打点一上报就自动成为本类事件；留空则由网格员选择“上报为事件”。"),
    )
    deadlines = models.JSONField(
        _("环节时限"),
        default=dict,
        blank=True,
        help_text=_("各环节的工作日时限：accept 受理、dispatch 分拨、handle 处置、verify 核查。"),
    )
    urgent_deadlines = models.JSONField(
        _("加急时限"), default=dict, blank=True, help_text=_("加急事件的时限，须不长于普通时限。")
    )
    escalate_after_days = models.PositiveIntegerField(
        _("逾期升级（工作日）"), default=2, help_text=_("逾期多少个工作日后自动升级到上一级。")
    )
    duplicate_radius_m = models.PositiveIntegerField(
        _("疑似重复距离（米）"), default=50, help_text=_("同类事件在这个距离内视为疑似重复。")
    )
    duplicate_hours = models.PositiveIntegerField(
        _("疑似重复时间（小时）"), default=24, help_text=_("同类事件在这段时间内视为疑似重复。")
    )
    active = models.BooleanField(_("启用"), default=True, help_text=_("停用后不能再上报此类事件。"))

    class Meta:
        verbose_name = _("事件类别")
        verbose_name_plural = _("事件类别")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name_zh

    def clean(self) -> None:
        normal = _check_deadlines(self.deadlines, "deadlines")
        urgent = _check_deadlines(self.urgent_deadlines, "urgent_deadlines")
        longer = [k for k, v in urgent.items() if k in normal and v > normal[k]]
        if longer:
            raise ValidationError(
                {"urgent_deadlines": _("加急时限不能长于普通时限：%(keys)s。") % {"keys": "、".join(longer)}}
            )

    @property
    def label(self) -> str:
        """The name in the language of the request."""
        return in_language(self.name_zh, self.name_en)

    def limit(self, step: str, *, urgent: bool) -> int | None:
        table = self.urgent_deadlines if urgent and step in self.urgent_deadlines else self.deadlines
        return table.get(step)


# The steps whose time is measured (statistics), with where each starts: the stay in the state it
# leaves, except handling, timed from the latest dispatch (分拨 or 转派) to the report back (反馈).
TIMED_STEPS: dict[str, str] = {
    "accept": "accept",
    "dispatch": "dispatch",
    "feedback": "handle",
    "verify": "verify",
}

# The levels an event climbs when it runs late (001 L209: 市、县、镇、村 and the grid below them).
LEVELS = ("village", "town", "county", "city")


class DeadlineCard(models.TextChoices):
    NONE = "", _("正常")
    DUE_SOON = "due_soon", _("即将到期")
    OVERDUE = "overdue", _("已逾期")


class EventSource(models.TextChoices):
    FIELD_POINT = "field_point", _("网格员打点")
    STAFF = "staff", _("工作人员登记")
    PATROL = "patrol", _("巡查发现")
    FINDING = "finding", _("叠加分析发现")


class GridEvent(models.Model):
    code = models.CharField(
        _("事件编号"),
        max_length=24,
        unique=True,
        default=new_code,
        editable=False,
        help_text=_("系统生成的事件编号，如 SJ2026-7K3F9Q。"),
    )
    uuid = models.UUIDField(
        _("客户端编号"),
        default=uuid.uuid4,
        unique=True,
        help_text=_("由上报端生成：同一编号重复提交不会产生第二个事件（离线补传）。"),
    )
    category = models.ForeignKey(
        EventCategory,
        verbose_name=_("事件类别"),
        on_delete=models.PROTECT,
        related_name="events",
        help_text=_("决定各环节的时限和疑似重复的判定。"),
    )
    title = models.CharField(_("标题"), max_length=200, help_text=_("事件的简短描述。"))
    description = models.TextField(_("描述"), blank=True, help_text=_("事件的详细情况。"))
    photos = models.JSONField(_("照片"), default=list, blank=True, help_text=_("上报时的现场照片。"))
    geom = models.PointField(_("位置"), srid=4326, help_text=_("事件发生的位置（EPSG:4326）。"))
    division_code = models.CharField(
        _("区划代码"), max_length=12, db_index=True, editable=False, help_text=_("按位置判定的村/社区代码。")
    )
    grid_cell = models.ForeignKey(
        GridCell,
        verbose_name=_("所在网格"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        editable=False,
        help_text=_("按位置判定的网格。"),
    )
    source = models.CharField(
        _("来源"),
        max_length=16,
        choices=EventSource.choices,
        default=EventSource.STAFF,
        help_text=_("事件从哪里来：网格员打点、工作人员登记、巡查发现或叠加分析发现。"),
    )
    field_point = models.OneToOneField(
        FieldPoint,
        verbose_name=_("来源打点"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="event",
        help_text=_("由打点上报的事件：打点的状态随事件变化。"),
    )
    urgent = models.BooleanField(_("加急"), default=False, help_text=_("走加急通道：各环节时限更短。"))
    state = models.CharField(
        _("状态"),
        max_length=16,
        choices=EventStatus.choices,
        default=EventStatus.REPORTED,
        db_index=True,
        help_text=_("事件所处的办理环节。"),
    )
    state_entered_at = models.DateTimeField(
        _("进入状态时间"), default=timezone.now, help_text=_("进入当前状态的时间：本环节的时限从这里算起。")
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上报人"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("上报事件的人：结案和不予受理时通知他。"),
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("承办部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
        help_text=_("事件派遣到的部门：其成员可以办理。"),
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("承办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("事件派遣到的个人。"),
    )
    due_on = models.DateField(
        _("本环节到期日"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("按类别时限与工作日算出，由预警任务维护。"),
    )
    card = models.CharField(
        _("时限状态"),
        max_length=10,
        choices=DeadlineCard.choices,
        blank=True,
        default=DeadlineCard.NONE,
        editable=False,
        help_text=_("预警任务按时限判定：即将到期或已逾期。"),
    )
    escalation = models.PositiveSmallIntegerField(
        _("升级次数"), default=0, help_text=_("0 在村级办理；每升级一次上移一级（镇、县、市）。")
    )
    feedback = models.TextField(_("处置反馈"), blank=True, help_text=_("承办人反馈的处置情况。"))
    feedback_photos = models.JSONField(
        _("反馈照片"), default=list, blank=True, help_text=_("承办人反馈时的照片。")
    )
    score = models.PositiveSmallIntegerField(
        _("评价"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("结案后的评价，1 到 5 分。"),
    )
    version = models.PositiveIntegerField(
        _("版本"), default=1, editable=False, help_text=_("每办理一步加一：离线提交时据此发现冲突。")
    )
    created_at = models.DateTimeField(_("上报时间"), auto_now_add=True, help_text=_("事件上报的时间。"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, help_text=_("最近一次修改的时间。"))
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True, help_text=_("事件结案的时间。"))
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("合并到"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged",
        editable=False,
        help_text=_("重复上报合并后保留的事件；本事件不再单独办理。"),
    )

    class Meta:
        verbose_name = _("网格事件")
        verbose_name_plural = _("网格事件")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["division_code"], name="gridevent_division_idx", opclasses=["varchar_pattern_ops"]
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def get_absolute_url(self) -> str:
        """The event's page on the dispatcher's desk: where a message about it leads."""
        return reverse("web:event", args=[self.pk])

    def locate(self) -> None:
        """Its village and grid cell, from where it is (two indexed lookups)."""
        village = Division.objects.filter(level="village", geom__contains=self.geom).values_list(
            "code", flat=True
        )
        self.division_code = village.first() or ""
        self.grid_cell = GridCell.objects.filter(geom__contains=self.geom, parent__isnull=True).first()


class EventAction(models.Model):
    """One step taken on an event: who, when, from which state to which, and why. Never edited."""

    event = models.ForeignKey(
        GridEvent,
        verbose_name=_("事件"),
        on_delete=models.CASCADE,
        related_name="actions",
        help_text=_("这一步办理的事件。"),
    )
    at = models.DateTimeField(_("时间"), default=timezone.now, help_text=_("办理的时间。"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("办理人；系统自动升级时为空。"),
    )
    step = models.CharField(_("环节"), max_length=16, help_text=_("办理的环节，如 accept、dispatch。"))
    from_state = models.CharField(
        _("原状态"), max_length=16, choices=EventStatus.choices, help_text=_("办理前的状态。")
    )
    to_state = models.CharField(
        _("新状态"), max_length=16, choices=EventStatus.choices, help_text=_("办理后的状态。")
    )
    comment = models.TextField(_("意见"), blank=True, help_text=_("办理意见或理由。"))
    step_started_at = models.DateTimeField(
        _("环节开始时间"),
        null=True,
        blank=True,
        help_text=_(
            "受理、分拨、处置（反馈）、核查这几个环节从何时开始计时：统计各环节用时的中位数时直接读取。"
        ),
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("承办部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("派遣或转派到的部门。"),
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("承办人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("派遣或转派到的个人。"),
    )

    class Meta:
        verbose_name = _("事件办理记录")
        verbose_name_plural = _("事件办理记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.event_id} {self.step}"


class EventWarning(models.Model):
    """A reminder, an overdue warning or an escalation raised for one stay of an event in a state,
    once (the unique constraint): a sweep run twice warns and escalates nobody twice."""

    event = models.ForeignKey(
        GridEvent,
        verbose_name=_("事件"),
        on_delete=models.CASCADE,
        related_name="warnings",
        help_text=_("预警的事件。"),
    )
    kind = models.CharField(
        _("类型"), max_length=16, help_text=_("即将到期、已逾期或逾期升级。")
    )  # due_soon, overdue, escalated
    state_entered_at = models.DateTimeField(
        _("进入状态时间"), help_text=_("预警针对的那一次进入状态的时间。")
    )
    level = models.PositiveSmallIntegerField(_("升级次数"), default=0, help_text=_("预警时事件的升级次数。"))
    created_at = models.DateTimeField(_("时间"), default=timezone.now, help_text=_("预警产生的时间。"))

    class Meta:
        verbose_name = _("事件预警")
        verbose_name_plural = _("事件预警")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "state_entered_at", "kind", "level"], name="event_warning_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_id} {self.kind}"
