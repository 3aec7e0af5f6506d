"""招商项目: a project from lead to 达产 (SPEC §7; seed 001 L427–L470), its reviews and its log.

The stage vocabulary is the project sites layer's (``layers.models.ProjectStage``): one list for
the map, the wall's funnel and the pipeline. What may happen in each stage, and who reviews it, is
``projects.workflow``; who may act is ``policy``. Every action is a ``ProjectEvent`` row, kept for
good, and field changes (the owner's included) are in the project's history.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from jobs.models import Job
from layers.models import Building, Division, Enterprise, LandParcel, Park, ProjectStage
from layers.models.fields import money_field

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_code() -> str:
    """XM + year + six random characters, e.g. XM2026-7K3F9Q (XM = 项目)."""
    return f"XM{timezone.localdate():%Y}-" + "".join(secrets.choice(CODE_ALPHABET) for _i in range(6))


class Review(models.TextChoices):
    """Whose review a project waits for."""

    NONE = "", _("无")
    COUNTY = "county", _("区县领导审核")
    CITY = "city", _("市级审核")
    RECEIVING = "receiving", _("接收区县确认")


class Card(models.TextChoices):
    """亮灯: a project's warning on its stage's time limit (``projects.warnings``)."""

    NONE = "", _("正常")
    DUE_SOON = "due_soon", _("即将到期")
    YELLOW = "yellow", _("黄牌")
    RED = "red", _("红牌")


class EventKind(models.TextChoices):
    CREATE = "create", _("创建")
    SUBMIT = "submit", _("提交")
    ADVANCE = "advance", _("推进阶段")
    APPROVE = "approve", _("审核通过")
    RETURN = "return", _("退回")
    END = "end", _("终止")
    TO_RESERVE = "to_reserve", _("转入备选库")
    FROM_RESERVE = "from_reserve", _("移出备选库")
    TRANSFER = "transfer", _("流转")
    SUPPLEMENT = "supplement", _("补充签约")
    ATTACH = "attach", _("上传附件")


class Project(models.Model):
    code = models.CharField(
        _("项目编号"), max_length=24, unique=True, default=new_code, editable=False, help_text=_("系统生成。")
    )
    name = models.CharField(_("项目名称"), max_length=200, help_text=_("招商项目名称。"))
    industry = models.CharField(_("产业类别"), max_length=50, blank=True, help_text=_("项目所属产业。"))
    investment_wan = money_field(_("计划投资（万元）"), _("计划总投资。"), max_digits=14)
    foreign_capital = models.BooleanField(_("外资项目"), default=False, help_text=_("是否利用外资。"))
    unified_code = models.CharField(
        _("项目统一代码"),
        max_length=40,
        blank=True,
        help_text=_("投资项目在线审批监管平台赋予的项目代码。"),
    )
    city_direct = models.BooleanField(
        _("市直首谈"), default=False, help_text=_("由市直部门首谈的项目，之后交区县推进。")
    )
    office = models.CharField(
        _("驻点招商机构"),
        max_length=100,
        blank=True,
        help_text=_("引进项目的驻外招商机构（如驻深圳招商联络处）；本地引进的留空。"),
    )
    annual_investment_wan = money_field(_("年度计划投资（万元）"), _("本年度计划完成的投资。"), max_digits=14)
    expected_output_wan = money_field(_("预计年产值（万元）"), _("达产后的预计年产值。"), max_digits=14)
    expected_tax_wan = money_field(_("预计年税收（万元）"), _("达产后的预计年税收。"), max_digits=14)
    progress_percent = models.PositiveSmallIntegerField(
        _("建设进度（%）"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text=_("在建项目的形象进度；预警任务据此预判能否按期竣工（插旗预警）。"),
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("项目企业"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="projects",
        help_text=_("项目落地的企业；签约后载体的使用单位即此企业。"),
    )
    stage = models.CharField(
        _("项目阶段"),
        max_length=20,
        choices=ProjectStage.choices,
        default=ProjectStage.LEAD,
        help_text=_("当前阶段。"),
    )
    stage_entered_at = models.DateTimeField(
        _("进入阶段时间"), default=timezone.now, help_text=_("进入当前阶段的时间：阶段时限从此计算。")
    )
    pending = models.CharField(
        _("待审核"),
        max_length=16,
        choices=Review.choices,
        blank=True,
        default=Review.NONE,
        help_text=_("项目正在等待谁的审核；为空表示没有待审事项。"),
    )
    pending_stage = models.CharField(
        _("申请进入阶段"),
        max_length=20,
        choices=ProjectStage.choices,
        blank=True,
        help_text=_("提交审核时申请进入的阶段；流转时为空。"),
    )
    pending_division = models.ForeignKey(
        Division,
        verbose_name=_("流转至区县"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("流转申请的接收区县。"),
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("待审事项的提交人：退回时退给他。"),
    )
    returned_reason = models.TextField(_("退回原因"), blank=True, help_text=_("最近一次退回的原因。"))
    division = models.ForeignKey(
        Division,
        verbose_name=_("所属区县"),
        on_delete=models.PROTECT,
        related_name="projects",
        help_text=_("负责推进项目的区县（市直项目为市）。"),
    )
    division_code = models.CharField(
        _("区划代码"),
        max_length=12,
        db_index=True,
        editable=False,
        help_text=_("所属区县的代码，用于权限范围。"),
    )
    park = models.ForeignKey(
        Park,
        verbose_name=_("所在园区"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="projects",
        help_text=_("项目落地的园区：园区管理员可查看。"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("项目负责人"),
        on_delete=models.PROTECT,
        related_name="owned_projects",
        help_text=_("负责推进项目的人员；变更记入项目历史。"),
    )
    lead = models.OneToOneField(
        "pipeline.Lead",
        verbose_name=_("来源线索"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="project",
        help_text=_("由招商地图线索转化而来时的线索。"),
    )
    parcels = models.ManyToManyField(
        LandParcel,
        verbose_name=_("地块"),
        blank=True,
        related_name="projects",
        help_text=_("项目使用的地块。"),
    )
    buildings = models.ManyToManyField(
        Building,
        verbose_name=_("楼宇厂房"),
        blank=True,
        related_name="projects",
        help_text=_("项目使用的楼宇。"),
    )
    in_reserve = models.BooleanField(
        _("在备选库"), default=False, help_text=_("在谈项目暂缓推进时转入备选库，可移出后继续。")
    )
    signing_date = models.DateField(_("签约日期"), null=True, blank=True, help_text=_("市级签约复核可修改。"))
    ended_at = models.DateTimeField(_("终止时间"), null=True, blank=True)
    end_reason = models.TextField(_("终止原因"), blank=True)
    card = models.CharField(
        _("预警"),
        max_length=10,
        choices=Card.choices,
        blank=True,
        default=Card.NONE,
        editable=False,
        help_text=_("阶段时限的预警：由预警任务按工作日计算，阶段推进后清除。"),
    )
    due_on = models.DateField(
        _("阶段到期日"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("按阶段规则的工作日时限算出的到期日。"),
    )
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False, help_text=_("乐观锁版本号。"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    # The warning fields are the sweeper's bookkeeping, not edits: no history row for them.
    history = HistoricalRecords(excluded_fields=["updated_at", "card", "due_on"])

    class Meta:
        verbose_name = _("招商项目")
        verbose_name_plural = _("招商项目")
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(
                fields=["division_code"], name="project_division_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["stage", "pending"], name="project_stage_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.division_code = self.division.code
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def is_live(self) -> bool:
        return self.ended_at is None

    @classmethod
    def label(cls, field: str) -> str:
        """A field's translated name, as the checklist and the change log show it."""
        return str(getattr(cls._meta.get_field(field), "verbose_name", field))


class ProjectEvent(models.Model):
    """One action on a project: who, when, from which stage to which, and why. Never edited."""

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    kind = models.CharField(_("操作"), max_length=16, choices=EventKind.choices)
    from_stage = models.CharField(_("原阶段"), max_length=20, choices=ProjectStage.choices)
    to_stage = models.CharField(_("新阶段"), max_length=20, choices=ProjectStage.choices)
    review = models.CharField(
        _("审核层级"), max_length=16, choices=Review.choices, blank=True, help_text=_("审核操作所在的层级。")
    )
    comment = models.TextField(_("意见"), blank=True, help_text=_("提交说明、审核意见或退回原因。"))

    class Meta:
        verbose_name = _("项目操作记录")
        verbose_name_plural = _("项目操作记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.project_id} {self.kind} {self.from_stage}→{self.to_stage}"


class StageWarning(models.Model):
    """A warning raised for a project's stage: the reminder to its owner, the yellow card to the
    county leader, the red card to the city. One per project, stage entry and kind, so a sweep run
    twice notifies nobody twice; the message centre delivers them."""

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="warnings"
    )
    kind = models.CharField(_("预警"), max_length=10, choices=Card.choices)
    stage = models.CharField(_("阶段"), max_length=20, choices=ProjectStage.choices)
    stage_entered_at = models.DateTimeField(_("进入阶段时间"), help_text=_("预警针对的那一次进入阶段。"))
    due_on = models.DateField(_("阶段到期日"))
    notify = models.CharField(
        _("通知对象"), max_length=16, help_text=_("owner：项目负责人；county：区县领导；city：市级。")
    )
    predicted = models.BooleanField(
        _("插旗预警"),
        default=False,
        help_text=_("红牌不是因为已超期，而是按目前进度预判将超出时限（插旗预警）。"),
    )
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    delivered_at = models.DateTimeField(
        _("送达时间"), null=True, blank=True, help_text=_("消息中心送达的时间。")
    )

    class Meta:
        verbose_name = _("项目预警")
        verbose_name_plural = _("项目预警")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "stage_entered_at", "kind"], name="project_warning_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.kind} {self.stage}"


class StageRule(models.Model):
    """What a stage asks for (edited in the admin, not in code; seed 001 L173–L191): the fields and
    attachments a project needs to enter it, the departments involved, and its time limits in
    working days (the warning sweeper reads them)."""

    stage = models.CharField(_("阶段"), max_length=20, choices=ProjectStage.choices, unique=True)
    required_fields = models.JSONField(
        _("必填字段"), default=list, blank=True, help_text=_("进入此阶段前必须填写的项目字段名。")
    )
    required_attachments = models.JSONField(
        _("必需附件"), default=list, blank=True, help_text=_("进入此阶段前必须上传的附件类型。")
    )
    departments = models.JSONField(_("参与部门"), default=list, blank=True, help_text=_("此阶段涉及的部门。"))
    time_limit_days = models.PositiveIntegerField(
        _("时限（工作日）"), default=0, help_text=_("在此阶段停留的期限；0 表示不限。")
    )
    remind_days = models.PositiveIntegerField(
        _("提前提醒（工作日）"), default=0, help_text=_("期限前多少个工作日提醒项目负责人。")
    )
    red_grace_days = models.PositiveIntegerField(
        _("红牌宽限（工作日）"), default=0, help_text=_("超期多少个工作日后由黄牌升为红牌。")
    )

    class Meta:
        verbose_name = _("阶段规则")
        verbose_name_plural = _("阶段规则")
        ordering = ["stage"]

    def __str__(self) -> str:
        return self.get_stage_display()

    def clean(self) -> None:
        """A rule names only fields a project has and attachment kinds that exist."""
        fields = {f.name for f in Project._meta.concrete_fields if f.editable}
        errors: dict[str, str] = {}
        unknown = [name for name in self.required_fields if name not in fields]
        if unknown:
            errors["required_fields"] = _("没有这些项目字段：%(names)s。可选：%(known)s。") % {
                "names": "、".join(map(str, unknown)),
                "known": "、".join(sorted(fields)),
            }
        kinds = [kind for kind in self.required_attachments if kind not in AttachmentKind.values]
        if kinds:
            errors["required_attachments"] = _("没有这些附件类型：%(names)s。可选：%(known)s。") % {
                "names": "、".join(map(str, kinds)),
                "known": "、".join(AttachmentKind.values),
            }
        if errors:
            raise ValidationError(errors)


class InspectionStep(models.TextChoices):
    """项目巡查督导 (seed 001 L441–L448): a problem from report to sign-off, step by step."""

    REPORTED = "reported", _("已上报")
    REVIEWED = "reviewed", _("区县已审核")
    MEASURES_CONFIRMED = "measures_confirmed", _("市级已确认措施")
    RECTIFIED = "rectified", _("已报整改")
    RECTIFICATION_REVIEWED = "rectification_reviewed", _("区县已审核整改")
    CLOSED = "closed", _("已销号")


class Inspection(models.Model):
    """A problem found on a project by the city's supervision team or the county's patrol staff;
    the problem ledger (问题台账) is the list of them."""

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="inspections"
    )
    division_code = models.CharField(
        _("区划代码"),
        max_length=12,
        db_index=True,
        editable=False,
        help_text=_("项目所属区县的代码，用于权限范围。"),
    )
    step = models.CharField(
        _("环节"), max_length=24, choices=InspectionStep.choices, default=InspectionStep.REPORTED
    )
    problem = models.TextField(_("问题"), help_text=_("巡查发现的问题。"))
    measures = models.TextField(_("整改措施"), blank=True, help_text=_("市级确认的整改措施。"))
    rectification = models.TextField(_("整改情况"), blank=True, help_text=_("区县上报的整改情况。"))
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上报人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("上报时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("巡查问题")
        verbose_name_plural = _("巡查问题")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.project_id} {self.get_step_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.division_code = self.project.division_code
        super().save(*args, **kwargs)


def attachment_path(attachment: ProjectAttachment, filename: str) -> str:
    """projects/<code>/<kind>/v<n>-<name>: the media policy finds the owner by this name."""
    return f"projects/{attachment.project.code}/{attachment.kind}/v{attachment.version}-{filename}"


class AttachmentKind(models.TextChoices):
    """附件资料 (seed 001 L173): the documents a stage may ask for (阶段规则 → 必需附件)."""

    INTENT = "intent", _("投资意向书")
    FIRST_TALK_FORM = "first_talk_form", _("项目首接信息表")
    PROPOSAL = "proposal", _("项目建议书或可行性研究报告")
    REVIEW_MATERIALS = "review_materials", _("评审备案材料")
    CONTRACT = "contract", _("投资协议（签约合同）")
    SUPPLEMENTARY_CONTRACT = "supplementary_contract", _("补充协议")
    BUSINESS_LICENCE = "business_licence", _("营业执照")
    CONSTRUCTION_PERMIT = "construction_permit", _("施工许可证")
    COMPLETION_ACCEPTANCE = "completion_acceptance", _("竣工验收材料")
    PRODUCTION_PROOF = "production_proof", _("投产证明")
    TARGET_EVIDENCE = "target_evidence", _("达标达产佐证")
    OTHER = "other", _("其他")


class ProjectAttachment(models.Model):
    """One version of one kind of document on a project. Uploading the same kind again adds a
    version; the newest counts for the stage checklist, and every version is kept."""

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="attachments"
    )
    kind = models.CharField(_("附件类型"), max_length=24, choices=AttachmentKind.choices)
    version = models.PositiveIntegerField(_("版本"), help_text=_("同一类型的第几次上传。"))
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=300)
    filename = models.CharField(_("原文件名"), max_length=200, help_text=_("上传时的文件名。"))
    content_type = models.CharField(
        _("文件类型"), max_length=20, help_text=_("按文件内容识别的类型（不看扩展名）。")
    )
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(
        _("SHA-256"), max_length=64, help_text=_("内容摘要：同一文件重复上传不产生新版本。")
    )
    stage = models.CharField(
        _("上传时阶段"), max_length=20, choices=ProjectStage.choices, help_text=_("上传时项目所处的阶段。")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("项目附件")
        verbose_name_plural = _("项目附件")
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["project", "kind", "version"], name="project_attachment_version")
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.kind} v{self.version}"


class SupplementStatus(models.TextChoices):
    PENDING = "pending", _("待市级审核")
    APPROVED = "approved", _("已通过")
    RETURNED = "returned", _("已退回")


class Supplement(models.Model):
    """补充签约: an addition to a signed project's agreement, reviewed by the city (seed 001 L181).
    While one is pending the project waits for the city's review like any other step."""

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="supplements"
    )
    content = models.TextField(_("补充内容"), help_text=_("补充协议约定的内容。"))
    signed_on = models.DateField(_("补充签约日期"))
    added_investment_wan = money_field(
        _("追加投资（万元）"), _("审核通过后计入项目的计划投资。"), max_digits=14
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=SupplementStatus.choices, default=SupplementStatus.PENDING
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提交人"), on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("补充签约")
        verbose_name_plural = _("补充签约")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project"],
                condition=models.Q(status="pending"),
                name="project_one_pending_supplement",
            )
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.signed_on}"


class CountyTarget(models.Model):
    """招商任务目标: a county's annual targets, which the reports measure completion against."""

    division = models.ForeignKey(
        Division,
        verbose_name=_("区县"),
        on_delete=models.CASCADE,
        related_name="project_targets",
        limit_choices_to={"level": "county"},
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    new_projects = models.PositiveIntegerField(_("新引进项目目标（个）"), default=0)
    investment_wan = models.DecimalField(
        _("计划投资目标（万元）"), max_digits=14, decimal_places=2, default=0
    )

    class Meta:
        verbose_name = _("招商任务目标")
        verbose_name_plural = _("招商任务目标")
        ordering = ["-year", "division__code"]
        constraints = [models.UniqueConstraint(fields=["division", "year"], name="county_target_once")]

    def __str__(self) -> str:
        return f"{self.division} {self.year}"


class SavedView(models.Model):
    """A named filter of the project list, kept per user (the workspace's saved views)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("所有者"), on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("名称"), max_length=60)
    query = models.JSONField(
        _("筛选条件"), default=dict, help_text=_("项目列表的查询参数（阶段、预警、区县、关键词等）。")
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("保存的视图")
        verbose_name_plural = _("保存的视图")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="saved_view_name_once")]

    def __str__(self) -> str:
        return self.name


class ReportJobKind(models.TextChoices):
    XLSX = "xlsx", _("Excel导出")


class ReportJob(Job):
    """A report export too large to build during the request (``projects.report_jobs``): built in
    the background with the submitter's scope and filters; the file is theirs alone to download."""

    kind = models.CharField(
        _("任务类型"), max_length=8, choices=ReportJobKind.choices, default=ReportJobKind.XLSX
    )
    report_name = models.CharField(
        _("报表"), max_length=40, help_text=_("报表名称，如 new_projects（见 projects.reports）。")
    )
    query = models.JSONField(
        _("筛选条件"), default=dict, blank=True, help_text=_("导出时的查询参数（项目列表的筛选与起止日期）。")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("申请导出的用户：按其权限范围生成，仅其本人可下载。"),
    )
    rows = models.PositiveIntegerField(_("行数"), default=0, help_text=_("导出的数据行数。"))
    content = models.BinaryField(
        _("文件内容"), null=True, blank=True, editable=False, help_text=_("生成的带水印Excel文件。")
    )

    class Meta:
        verbose_name = _("报表导出任务")
        verbose_name_plural = _("报表导出任务")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "lease_expires_at"], name="report_job_lease_idx")]

    def __str__(self) -> str:
        return f"{self.report_name} #{self.pk} ({self.get_status_display()})"
