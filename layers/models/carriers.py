"""载体: parks, land parcels and buildings — what an investor can occupy."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from crypto.fields import EncryptedCharField
from industries.validators import validate_industry_codes

from .base import InvestmentContact, LayerFeature, division_prefix_index
from .fields import derived_link_field, english_name_field, money_field, photos_field, rent_field


class ParkLevel(models.TextChoices):
    NATIONAL = "national", _("国家级")
    PROVINCIAL = "provincial", _("省级")
    MUNICIPAL = "municipal", _("市级")
    COUNTY = "county", _("县级")


class LandUse(models.TextChoices):
    """GB/T 21010 top-level classes that matter for investment and for the illegal-use check."""

    INDUSTRIAL = "industrial", _("工业用地")
    WAREHOUSE = "warehouse", _("仓储用地")
    COMMERCIAL = "commercial", _("商服用地")
    MIXED = "mixed", _("混合用地")
    RESIDENTIAL = "residential", _("住宅用地")
    PUBLIC = "public", _("公共管理与公共服务用地")
    TRANSPORT = "transport", _("交通运输用地")
    AGRICULTURAL = "agricultural", _("耕地/农用地")
    FOREST = "forest", _("林地")
    WATER = "water", _("水域及水利设施用地")
    UNUSED = "unused", _("未利用地")


# Land where a building is not allowed; a building on it is 疑似违法用地.
NON_CONSTRUCTION_USES = frozenset({LandUse.AGRICULTURAL, LandUse.FOREST, LandUse.WATER, LandUse.UNUSED})


class SupplyStatus(models.TextChoices):
    AVAILABLE = "available", _("可供")
    RESERVED = "reserved", _("预留")
    LEASED = "leased", _("已租")
    SOLD = "sold", _("已出让")
    IN_USE = "in_use", _("已使用")
    CONTROLLED = "controlled", _("控制")


class SupplyMode(models.TextChoices):
    TRANSFER = "transfer", _("出让")
    LEASE = "lease", _("租赁")


class ServicedLevel(models.TextChoices):
    THREE = "3+1", _("三通一平")
    FIVE = "5+1", _("五通一平")
    SEVEN = "7+1", _("七通一平")
    NINE = "9+1", _("九通一平")


class BuildingKind(models.TextChoices):
    STANDARD_FACTORY = "standard_factory", _("标准厂房")
    OFFICE = "office", _("写字楼")
    INCUBATOR = "incubator", _("孵化器")
    WAREHOUSE = "warehouse", _("仓库")
    OTHER = "other", _("其他楼宇")


def supply_status_field() -> models.CharField:
    return models.CharField(
        _("供应状态"),
        max_length=16,
        choices=SupplyStatus.choices,
        default=SupplyStatus.AVAILABLE,
        db_index=True,
        help_text=_("可供、预留、已租、已出让、已使用或控制。"),
    )


def _ratio_field(label: str, help_text: str) -> models.DecimalField:
    return models.DecimalField(
        label,
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=help_text,
        validators=[MinValueValidator(0)],
    )


class Park(LayerFeature, InvestmentContact):
    english_from = "name"

    name = models.CharField(_("园区名称"), max_length=100, help_text=_("园区全称。"))
    name_en = english_name_field()
    level = models.CharField(
        _("园区级别"), max_length=16, choices=ParkLevel.choices, help_text=_("国家级、省级、市级或县级。")
    )
    industries = ArrayField(
        models.SlugField(max_length=40),
        verbose_name=_("主导产业"),
        default=list,
        blank=True,
        validators=[validate_industry_codes],
        help_text=_("园区主导产业的代码（在“重点产业”中维护），如 new_materials。"),
    )
    area_m2 = models.FloatField(
        _("总面积（㎡）"), default=0, editable=False, help_text=_("按边界椭球面积自动计算。")
    )
    area_mu = models.FloatField(
        _("总面积（亩）"), default=0, editable=False, help_text=_("总面积折合亩数（1亩=666.67㎡）。")
    )
    available_area_m2 = models.FloatField(
        _("可供面积（㎡）"),
        default=0,
        validators=[MinValueValidator(0)],
        help_text=_("园区内仍可供应的土地面积。"),
    )
    contact_name = models.CharField(
        _("管理联系人"), max_length=50, blank=True, help_text=_("园区招商联系人姓名。")
    )
    # Personal data: SM4-GCM encrypted at rest when NATIONAL_CRYPTO is on (crypto.fields).
    contact_phone = EncryptedCharField(
        _("联系电话"), max_length=20, blank=True, help_text=_("个人信息，无权限时脱敏显示。")
    )
    policies = models.TextField(_("优惠政策"), blank=True, help_text=_("园区招商政策说明。"))
    policies_en = models.TextField(
        _("优惠政策（英文）"), blank=True, help_text=_("英文页面显示的招商政策；留空则显示中文。")
    )
    policy_files = models.JSONField(
        _("政策文件"), default=list, blank=True, help_text=_("政策附件地址列表。")
    )
    planning_files = models.JSONField(
        _("规划文件"),
        default=list,
        blank=True,
        help_text=_('控制性详细规划、产业规划等文件：[{"title": 标题, "url": 地址}]，地址可留空。'),
    )
    power_capacity_kva = models.PositiveIntegerField(
        _("供电容量（kVA）"), null=True, blank=True, help_text=_("园区变电站可供容量。")
    )
    water_supply_t_day = models.PositiveIntegerField(
        _("日供水能力（吨）"), null=True, blank=True, help_text=_("园区每日可供工业用水量。")
    )
    gas_supply_m3_day = models.PositiveIntegerField(
        _("日供气能力（立方米）"), null=True, blank=True, help_text=_("园区每日可供天然气量。")
    )
    sewage_capacity_t_day = models.PositiveIntegerField(
        _("污水日处理能力（吨）"), null=True, blank=True, help_text=_("园区污水处理厂每日处理能力。")
    )
    intro_video = models.CharField(
        _("宣传视频"), max_length=300, blank=True, help_text=_("园区介绍视频地址。")
    )
    edits_need_approval = models.BooleanField(
        _("编辑需审核"),
        default=True,
        help_text=_("勾选后园区管理员的编辑和导入先进入变更集，经辖区招商专员审核通过才发布。"),
    )
    photos = photos_field()
    geom = models.MultiPolygonField(_("园区范围"), srid=4326, help_text=_("园区边界（EPSG:4326）。"))

    class Meta:
        verbose_name = _("园区")
        verbose_name_plural = _("园区")
        indexes = [division_prefix_index("park")]

    def __str__(self) -> str:
        return self.name


class LandParcel(LayerFeature):
    derive_park = True
    english_from = "name"

    code = models.CharField(_("地块编号"), max_length=40, unique=True, help_text=_("地块唯一编号。"))
    name = models.CharField(_("地块名称"), max_length=100, blank=True, help_text=_("地块通俗名称或坐落。"))
    name_en = english_name_field()
    park = derived_link_field("layers.Park", _("所属园区"), "parcels", _("按位置自动判定；园区外为空。"))
    area_m2 = models.FloatField(
        _("面积（㎡）"), default=0, editable=False, db_index=True, help_text=_("按边界椭球面积自动计算。")
    )
    area_mu = models.FloatField(_("面积（亩）"), default=0, editable=False, help_text=_("面积折合亩数。"))
    land_use = models.CharField(
        _("用地性质"),
        max_length=16,
        choices=LandUse.choices,
        db_index=True,
        help_text=_("GB/T 21010 一级类。"),
    )
    supply_status = supply_status_field()

    supply_mode = models.CharField(
        _("供应方式"),
        max_length=16,
        choices=SupplyMode.choices,
        default=SupplyMode.TRANSFER,
        help_text=_("出让或租赁。"),
    )
    price_wan_per_mu = money_field(_("出让价格（万元/亩）"), _("出让单价。"))
    rent_yuan_m2_month = rent_field()
    term_years = models.PositiveSmallIntegerField(
        _("年限（年）"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(70)],
        help_text=_("出让或租赁年限，最长70年。"),
    )
    plot_ratio = _ratio_field(_("容积率"), _("规划容积率上限。"))
    building_density = _ratio_field(_("建筑密度（%）"), _("规划建筑密度。"))
    green_ratio = _ratio_field(_("绿地率（%）"), _("规划绿地率。"))
    height_limit_m = models.FloatField(
        _("限高（米）"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("规划建筑限高。"),
    )
    serviced_level = models.CharField(
        _("配套条件"), max_length=8, choices=ServicedLevel.choices, blank=True, help_text=_("如七通一平。")
    )
    occupant_enterprise = models.CharField(
        _("使用企业"), max_length=100, blank=True, help_text=_("当前使用或受让的企业。")
    )
    occupant_project = models.ForeignKey(
        "layers.ProjectSite",
        verbose_name=_("落地项目"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("占用此地块的招商项目点位。"),
    )
    photos = photos_field()
    geom = models.MultiPolygonField(_("地块范围"), srid=4326, help_text=_("地块边界（EPSG:4326）。"))

    class Meta:
        verbose_name = _("地块")
        verbose_name_plural = _("地块")
        indexes = [division_prefix_index("parcel")]

    def __str__(self) -> str:
        return self.code


class Building(LayerFeature):
    derive_park = True
    english_from = "name"

    kind = models.CharField(
        _("类型"),
        max_length=20,
        choices=BuildingKind.choices,
        db_index=True,
        help_text=_("标准厂房、写字楼、孵化器等。"),
    )
    name = models.CharField(_("名称"), max_length=100, help_text=_("楼宇名称。"))
    name_en = english_name_field()
    park = derived_link_field("layers.Park", _("所属园区"), "buildings", _("按位置自动判定；园区外为空。"))
    supply_status = supply_status_field()

    floors = models.PositiveSmallIntegerField(
        _("层数"), null=True, blank=True, validators=[MaxValueValidator(200)], help_text=_("地上层数。")
    )
    floor_area_m2 = models.FloatField(
        _("建筑面积（㎡）"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("总建筑面积。"),
    )
    leasable_area_m2 = models.FloatField(
        _("可租售面积（㎡）"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("可租或可售面积。"),
    )
    vacant_area_m2 = models.FloatField(
        _("空置面积（㎡）"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("当前空置面积。"),
    )
    floor_load_kg_m2 = models.PositiveIntegerField(
        _("楼面荷载（kg/㎡）"), null=True, blank=True, help_text=_("厂房楼面承重。")
    )
    clear_height_m = models.FloatField(
        _("净高（米）"), null=True, blank=True, validators=[MinValueValidator(0)], help_text=_("厂房层净高。")
    )
    crane = models.BooleanField(_("行车"), default=False, help_text=_("是否配有行车（吊车）。"))
    crane_tonnage = models.FloatField(
        _("行车吨位（吨）"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("最大起重吨位。"),
    )
    power_kva = models.PositiveIntegerField(
        _("供电容量（kVA）"), null=True, blank=True, help_text=_("配电容量。")
    )
    rent_yuan_m2_month = rent_field()
    sale_price_yuan_m2 = money_field(_("售价（元/㎡）"), _("出售单价。"))
    occupants = ArrayField(
        models.CharField(max_length=100),
        verbose_name=_("入驻企业"),
        default=list,
        blank=True,
        help_text=_("当前入驻企业名称列表。"),
    )
    photos = photos_field()
    geom = models.GeometryField(_("位置"), srid=4326, help_text=_("楼宇轮廓多边形或点（EPSG:4326）。"))

    class Meta:
        verbose_name = _("楼宇/厂房")
        verbose_name_plural = _("楼宇/厂房")
        indexes = [division_prefix_index("building")]

    def __str__(self) -> str:
        return self.name
