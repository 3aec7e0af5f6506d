"""巡查任务 (seed 001 L91: 巡查次数、巡查异常监测、巡查未整改监测、巡查记录、巡查轨迹、标准检查项定义; SPEC
"Patrol tasks"): checklist templates, the tasks staff assign, the runs grid workers walk, and the
places each run came near.

- A ``ChecklistTemplate`` is one *version* of a template: revising it adds the next version, and
  tasks and runs keep the version they were given, so an old result is always read against the
  items it was filled in for.
- A ``PatrolTask`` is for an area — a grid cell, a drawn polygon or a list of places — in a due
  window, assigned to a worker or shared by the workers of its cell, who take it with a lock that
  runs out (``patrols.locks``).
- A ``PatrolRun`` is one walk of a task: started with the phone's uuid, finished with the track (a
  ``layers.PatrolTrack``), the checklist results and the problems found, each of which opened a grid
  event. Its coverage is ``patrols.coverage``; the places it reached are ``PlaceVisit`` rows.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grid.models import GridEvent
from layers.models import Division, GridCell, PatrolTrack, Place

from .checklist import ChecklistError, check_items


class ChecklistTemplate(models.Model):
    """One version of a checklist template (标准检查项): a key names the template, each revision of
    it is a new row with the next ``version``."""

    key = models.SlugField(_("标识"), max_length=40, help_text=_("模板的英文标识，各版本相同。"))
    version = models.PositiveIntegerField(
        _("版本"), default=1, editable=False, help_text=_("同一标识的第几个版本，修订时自动加一。")
    )
    name = models.CharField(_("模板名称"), max_length=100, help_text=_("如“消防安全检查”。"))
    items = models.JSONField(
        _("检查项"),
        default=list,
        help_text=_(
            "检查项列表：key、label（名称）、type（yes_no/number/choice/text/photo）、required、choices。"
        ),
    )
    active = models.BooleanField(_("启用"), default=True, help_text=_("停用后不能再用它布置新任务。"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("创建这一版本的人。"),
    )
    created_at = models.DateTimeField(
        _("创建时间"), default=timezone.now, editable=False, help_text=_("这一版本创建的时间。")
    )

    class Meta:
        verbose_name = _("检查模板")
        verbose_name_plural = _("检查模板")
        ordering = ["key", "-version"]
        constraints = [models.UniqueConstraint(fields=["key", "version"], name="checklist_version_once")]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def clean(self) -> None:
        try:
            self.items = check_items(self.items)
        except ChecklistError as exc:
            raise ValidationError({"items": [f"{k}: {' '.join(v)}" for k, v in exc.errors.items()]}) from exc

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Items are checked and normalised whatever the path (API, admin, demo)."""
        self.clean()
        super().save(*args, **kwargs)

    def is_current(self) -> bool:
        later = ChecklistTemplate.objects.filter(key=self.key, version__gt=self.version)
        return not later.exists()


class AreaKind(models.TextChoices):
    CELL = "cell", _("网格")
    POLYGON = "polygon", _("范围")
    PLACES = "places", _("场所清单")


class TaskState(models.TextChoices):
    PLANNED = "planned", _("待巡查")
    IN_PROGRESS = "in_progress", _("巡查中")
    DONE = "done", _("已完成")
    MISSED = "missed", _("逾期未巡")


class PatrolTask(models.Model):
    title = models.CharField(_("任务名称"), max_length=200, help_text=_("任务的名称，如“第1网格消防巡查”。"))
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("巡查人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="patrol_tasks",
        help_text=_("指派的网格员；共享任务可留空，由本网格的网格员领取。"),
    )
    shared = models.BooleanField(
        _("共享任务"), default=False, help_text=_("本网格的网格员都可领取；领取后锁定，到时自动释放。")
    )
    template = models.ForeignKey(
        ChecklistTemplate,
        verbose_name=_("检查模板"),
        on_delete=models.PROTECT,
        related_name="tasks",
        help_text=_("检查模板的一个版本：任务一直使用这个版本。"),
    )
    area_kind = models.CharField(
        _("范围类型"),
        max_length=10,
        choices=AreaKind.choices,
        help_text=_("按网格、按范围或按场所清单布置。"),
    )
    grid_cell = models.ForeignKey(
        GridCell,
        verbose_name=_("所属网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="patrol_tasks",
        help_text=_("按网格布置时即巡查范围；其他范围按位置判定。"),
    )
    area = models.PolygonField(
        _("巡查范围"), srid=4326, null=True, blank=True, help_text=_("按范围布置时画出的多边形。")
    )
    places = models.ManyToManyField(
        Place,
        verbose_name=_("巡查场所"),
        blank=True,
        related_name="patrol_tasks",
        help_text=_("按场所清单布置时的场所。"),
    )
    division_code = models.CharField(
        _("区划代码"), max_length=12, editable=False, help_text=_("按巡查范围判定的村/社区代码。")
    )
    due_from = models.DateTimeField(_("开始时间"), help_text=_("巡查时段的开始。"))
    due_until = models.DateTimeField(_("截止时间"), help_text=_("此时仍未完成即为逾期未巡。"))
    state = models.CharField(
        _("状态"),
        max_length=12,
        choices=TaskState.choices,
        default=TaskState.PLANNED,
        db_index=True,
        help_text=_("待巡查、巡查中、已完成或逾期未巡。"),
    )
    lock_holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("领取人"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("领取共享任务的网格员。"),
    )
    lock_expires_at = models.DateTimeField(
        _("锁定到期"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("领取到期的时间：到时未延长即释放。"),
    )
    missed_at = models.DateTimeField(
        _("逾期时间"), null=True, blank=True, editable=False, help_text=_("巡查监测把它标为逾期未巡的时间。")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("布置人"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("布置任务的工作人员。"),
    )
    created_at = models.DateTimeField(
        _("布置时间"), default=timezone.now, editable=False, help_text=_("任务布置的时间。")
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, help_text=_("最近一次修改的时间。"))

    class Meta:
        verbose_name = _("巡查任务")
        verbose_name_plural = _("巡查任务")
        ordering = ["due_until", "id"]
        indexes = [
            models.Index(
                fields=["division_code"], name="patroltask_division_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["state", "due_until"], name="patroltask_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(due_until__gt=models.F("due_from")), name="patrol_due_window"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def locate(self, places: list[Place] | None = None) -> None:
        """The village and grid cell the task is filed by: the cell itself, else the grid cell and
        village at a point of the polygon or of the first place (two indexed lookups)."""
        if self.area_kind == AreaKind.CELL and self.grid_cell is not None:
            self.division_code = self.grid_cell.division_code
            return
        where = None
        if self.area_kind == AreaKind.POLYGON and self.area is not None:
            where = self.area.point_on_surface
        elif places:
            where = places[0].geom.point_on_surface
        if where is None:
            return
        where.srid = 4326
        village = Division.objects.filter(level="village", geom__contains=where).values_list(
            "code", flat=True
        )
        self.division_code = village.first() or ""
        self.grid_cell = GridCell.objects.filter(geom__contains=where, parent__isnull=True).first()


class CoverageBasis(models.TextChoices):
    PLACES = "places", _("按场所")
    AREA = "area", _("按面积")


class PatrolRun(models.Model):
    """One walk of a task, from the phone's start to its finish."""

    task = models.ForeignKey(
        PatrolTask,
        verbose_name=_("巡查任务"),
        on_delete=models.PROTECT,
        related_name="runs",
        help_text=_("这次巡查所属的任务。"),
    )
    uuid = models.UUIDField(
        _("客户端编号"),
        default=uuid.uuid4,
        unique=True,
        help_text=_("由手机生成：同一编号重复提交仍是这一次巡查（离线补传）。"),
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("巡查人"),
        on_delete=models.PROTECT,
        related_name="patrol_runs",
        help_text=_("巡查的网格员。"),
    )
    template = models.ForeignKey(
        ChecklistTemplate,
        verbose_name=_("检查模板版本"),
        on_delete=models.PROTECT,
        related_name="runs",
        help_text=_("开始巡查时任务的模板版本：结果按它检查、按它阅读。"),
    )
    started_at = models.DateTimeField(_("开始时间"), default=timezone.now, help_text=_("开始巡查的时间。"))
    finished_at = models.DateTimeField(
        _("结束时间"), null=True, blank=True, help_text=_("结束巡查的时间；未结束时为空。")
    )
    track = models.ForeignKey(
        PatrolTrack,
        verbose_name=_("巡查轨迹"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="patrol_runs",
        help_text=_("这次巡查的轨迹（巡查轨迹图层）。"),
    )
    results = models.JSONField(
        _("检查结果"), default=dict, blank=True, help_text=_("按模板版本填写的检查项结果。")
    )
    events = models.ManyToManyField(
        GridEvent,
        verbose_name=_("发现的问题"),
        blank=True,
        related_name="patrol_runs",
        help_text=_("巡查中发现、已上报为事件的问题。"),
    )
    length_m = models.FloatField(_("里程（米）"), default=0, help_text=_("轨迹的长度（米）。"))
    coverage = models.FloatField(
        _("覆盖率"),
        null=True,
        blank=True,
        help_text=_("0 到 1：到达的场所占比，无场所时为轨迹覆盖的面积占比。"),
    )
    coverage_basis = models.CharField(
        _("覆盖率口径"),
        max_length=8,
        choices=CoverageBasis.choices,
        blank=True,
        default="",
        help_text=_("覆盖率按场所还是按面积计算。"),
    )
    coverage_radius_m = models.FloatField(
        _("到达距离（米）"), null=True, blank=True, help_text=_("计算覆盖率时采用的到达距离。")
    )
    covered_places = models.PositiveIntegerField(
        _("到达场所数"), default=0, help_text=_("轨迹到达的场所数。")
    )
    total_places = models.PositiveIntegerField(_("场所总数"), default=0, help_text=_("巡查范围内的场所数。"))

    class Meta:
        verbose_name = _("巡查记录")
        verbose_name_plural = _("巡查记录")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["worker", "started_at"], name="patrolrun_worker_idx")]

    def __str__(self) -> str:
        return f"{self.task} {self.started_at:%Y-%m-%d %H:%M}"


class PlaceVisit(models.Model):
    """A place a run came within the coverage distance of, and when (the time of the track at its
    closest point): reports find the places never patrolled, or not for longer than their class's
    ``patrol_every_days``."""

    run = models.ForeignKey(
        PatrolRun,
        verbose_name=_("巡查记录"),
        on_delete=models.CASCADE,
        related_name="visits",
        help_text=_("到达场所的那次巡查。"),
    )
    place = models.ForeignKey(
        Place,
        verbose_name=_("场所"),
        on_delete=models.CASCADE,
        related_name="patrol_visits",
        help_text=_("巡查到达的场所。"),
    )
    visited_at = models.DateTimeField(_("到达时间"), help_text=_("轨迹经过场所最近点的时间。"))

    class Meta:
        verbose_name = _("场所巡查")
        verbose_name_plural = _("场所巡查")
        constraints = [models.UniqueConstraint(fields=["run", "place"], name="place_visit_once")]
        indexes = [models.Index(fields=["place", "-visited_at"], name="placevisit_last_idx")]

    def __str__(self) -> str:
        return f"{self.place_id} {self.visited_at:%Y-%m-%d %H:%M}"
