"""Default place classes (seed 001 L91, L285–L295) and tags: starting points, edited in the admin.

Attribute keys are plain identifiers (what the API and imports send); each has a Chinese title.
"""

from django.db import migrations

COUNT = {"type": "integer", "minimum": 0}
AREA = {"type": "number", "minimum": 0}


def schema(**properties):
    return {"type": "object", "properties": properties, "additionalProperties": False}


CLASSES = [
    # key, zh, en, patrol every (days), schema, subclasses [(key, zh, en, schema or {})]
    (
        "commerce",
        "商贸场所",
        "Commercial premises",
        30,
        schema(
            licence_no={"type": "string", "title": "营业执照号"},
            staff={**COUNT, "title": "从业人数"},
            floor_area_m2={**AREA, "title": "营业面积（㎡）"},
        ),
        [
            ("market", "农贸市场", "Farmers' market", {}),
            ("supermarket", "商场超市", "Mall or supermarket", {}),
            ("shop", "商铺门店", "Shop", {}),
        ],
    ),
    (
        "lodging_catering",
        "住宿餐饮",
        "Lodging and catering",
        30,
        schema(licence_no={"type": "string", "title": "营业执照号"}, staff={**COUNT, "title": "从业人数"}),
        [
            (
                "hotel",
                "宾馆酒店",
                "Hotel",
                schema(
                    licence_no={"type": "string", "title": "营业执照号"}, beds={**COUNT, "title": "床位数"}
                ),
            ),
            ("homestay", "民宿", "Homestay", schema(beds={**COUNT, "title": "床位数"})),
            (
                "restaurant",
                "餐饮店",
                "Restaurant",
                schema(
                    licence_no={"type": "string", "title": "营业执照号"},
                    seats={**COUNT, "title": "座位数"},
                    uses_gas={"type": "boolean", "title": "使用燃气"},
                ),
            ),
        ],
    ),
    (
        "key_control",
        "重点控制场所",
        "Key-control places",
        7,
        schema(staff={**COUNT, "title": "从业人数"}),
        [
            ("petrol_station", "加油站", "Petrol station", schema(tanks={**COUNT, "title": "储罐数"})),
            (
                "hazardous_firm",
                "危化品企业",
                "Hazardous-chemicals firm",
                schema(
                    hazard_class={
                        "type": "string",
                        "title": "危险化学品类别",
                        "enum": ["易燃", "易爆", "有毒", "腐蚀"],
                    },
                    stock_t={**AREA, "title": "最大储量（吨）"},
                ),
            ),
            (
                "rental_house",
                "出租屋",
                "Rental house",
                schema(rooms={**COUNT, "title": "出租间数"}, tenants={**COUNT, "title": "租住人数"}),
            ),
            ("internet_cafe", "网吧", "Internet café", schema(seats={**COUNT, "title": "机位数"})),
        ],
    ),
    (
        "water",
        "水利与防灾点位",
        "Water works and hazard points",
        7,
        {},
        [
            (
                "reservoir",
                "山塘水库",
                "Reservoir",
                schema(
                    capacity_m3={**AREA, "title": "库容（m³）"}, dam_height_m={**AREA, "title": "坝高（m）"}
                ),
            ),
            (
                "water_source",
                "饮用水源地",
                "Drinking-water source",
                schema(serves={**COUNT, "title": "供水人口"}),
            ),
            (
                "waterlogging",
                "易涝点",
                "Water-logging point",
                schema(depth_m={**AREA, "title": "历史最大积水深（m）"}),
            ),
        ],
    ),
]
TAGS = [
    (
        "safety",
        "安全",
        "Safety",
        [("fire_risk", "消防隐患", "Fire risk"), ("gas_use", "使用燃气", "Uses gas")],
    ),
    (
        "management",
        "管理",
        "Management",
        [
            ("key_focus", "重点关注", "Key focus"),
            ("three_small", "三小场所", "Small shop, workshop or eatery"),
        ],
    ),
]


def add(apps, schema_editor):
    PlaceClass = apps.get_model("layers", "PlaceClass")
    PlaceTagCategory = apps.get_model("layers", "PlaceTagCategory")
    PlaceTag = apps.get_model("layers", "PlaceTag")
    for key, zh, en, every, attrs, subs in CLASSES:
        parent, _ = PlaceClass.objects.get_or_create(
            key=key,
            defaults={"name_zh": zh, "name_en": en, "patrol_every_days": every, "attributes_schema": attrs},
        )
        for sub_key, sub_zh, sub_en, sub_attrs in subs:
            PlaceClass.objects.get_or_create(
                key=sub_key,
                defaults={
                    "name_zh": sub_zh,
                    "name_en": sub_en,
                    "parent": parent,
                    "patrol_every_days": every,
                    "attributes_schema": sub_attrs,
                },
            )
    for key, zh, en, tags in TAGS:
        category, _ = PlaceTagCategory.objects.get_or_create(key=key, defaults={"name_zh": zh, "name_en": en})
        for tag_key, tag_zh, tag_en in tags:
            PlaceTag.objects.get_or_create(
                key=tag_key, defaults={"category": category, "name_zh": tag_zh, "name_en": tag_en}
            )


class Migration(migrations.Migration):
    dependencies = [("layers", "0008_places")]

    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
