"""Words and weights for the synthetic city. Plain data, so layers.demo.city can stay free of Django.

Choice values are the database values of the model choices (LandUse, SupplyStatus, ...); load.py
checks them against the models so a renamed choice fails loudly instead of loading junk.
"""

from __future__ import annotations

from industries.demo import CHAINS

# (code, name, preferred direction from the city centre in degrees, counter-clockwise from east).
# Real GB/T 2260 codes for the five real county-level divisions of Yunfu; 云浮新区 is invented.
COUNTIES: list[tuple[str, str, float | None]] = [
    ("445302", "云城区", None),  # takes the cell at the city centre
    ("445303", "云安区", 80.0),
    ("445321", "新兴县", 330.0),
    ("445322", "郁南县", 160.0),
    ("445381", "罗定市", 225.0),
    ("445304", "云浮新区", 15.0),
]
CITY_CODE = "445300000000"
CITY_NAME = "云浮市"

# Two-character place names are drawn from FIRST x SECOND, without repetition across the city.
NAME_FIRST = list(
    "河石金高新大平东西南北富安龙凤白竹桂莲太连思腰前六里天华双沙松榕杨梅茶黎宝千建通历加满苹生泗稔车水永兴广长庆福德宁"
)
NAME_SECOND = list("口头塘岗坑岭洞滩围坪圩江湾山田林溪城峰石安平丰和兴源岸桥寨湖冲垌步堂竹水龙都陂")

SURNAMES = list("陈李黄张梁林刘何罗吴郑谢周叶冯邓彭曾苏蔡卢潘钟麦欧莫赖")
GIVEN_CHARS = list("伟志明华国强建军文杰俊丽芳燕秀英敏静海波平辉勇健涛斌嘉颖婷振宇浩然晓春玲")

ROADS = [
    "人民路",
    "建设路",
    "新华路",
    "环城路",
    "兴华路",
    "解放路",
    "工业大道",
    "迎宾大道",
    "城南路",
    "富民路",
]

# The leading industries, named as the demo set of industries.demo names them.
INDUSTRIES = [name for _, name, _, _ in CHAINS]
BRANDS = list("华盛金达宏远恒通鸿基粤丰南方永兴中科立信天润嘉禾鼎盛安泰富源隆昌合力信德骏业瑞丰康华新锐")
COMPANY_SUFFIX = ["有限公司", "股份有限公司", "科技有限公司", "实业有限公司", "集团有限公司"]
RESIDENTIAL_DEVELOPER_SUFFIX = "置业有限公司"
COOPERATIVE_SUFFIX = "股份经济合作社"

# Levels handed out in this order: one national park, then fewer of each higher level.
PARK_LEVELS = ["national"] + ["provincial"] * 4 + ["municipal"] * 7 + ["county"] * 8
PARK_SUFFIX = ["工业园", "产业园", "高新技术产业园", "产业转移工业园", "经济开发区"]
PARK_POLICY = (
    "一、固定资产投资超过{invest}亿元的工业项目，土地出让底价按所在地工业用地最低价标准执行；"
    "二、项目投产后前{years}年，地方财政留成部分按{share}%给予奖励；"
    "三、租用标准厂房的企业，前{rent_years}年租金减半；"
    "四、园区提供“一站式”代办服务，{days}个工作日内完成项目备案。"
)
PARK_POLICY_EN = (
    "1. Industrial projects investing over CNY {invest}00 million in fixed assets buy land at the "
    "floor price for industrial land here. "
    "2. For {years} years from the start of production, {share}% of the local share of taxes is paid "
    "back as a reward. "
    "3. Firms renting standard factories pay half rent for the first {rent_years} years. "
    "4. The park's one-stop service files a project within {days} working days."
)

# Land-use mix per zone: (value, weight). Town-centre weights depend on the distance from the
# centre, so commerce sits in the core and industry and farmland at the edge.
PARK_LAND_USE = [
    ("industrial", 74),
    ("warehouse", 10),
    ("mixed", 5),
    ("commercial", 3),
    ("public", 4),
    ("transport", 2),
    ("unused", 2),
]
CORE_LAND_USE = [("commercial", 40), ("mixed", 15), ("public", 17), ("residential", 22), ("transport", 6)]
MID_LAND_USE = [
    ("residential", 48),
    ("public", 14),
    ("commercial", 14),
    ("mixed", 6),
    ("industrial", 8),
    ("warehouse", 3),
    ("transport", 4),
    ("water", 3),
]
EDGE_LAND_USE = [
    ("residential", 24),
    ("industrial", 22),
    ("warehouse", 9),
    ("agricultural", 17),
    ("forest", 10),
    ("unused", 5),
    ("water", 5),
    ("public", 8),
]
VILLAGE_LAND_USE = [
    ("agricultural", 46),
    ("forest", 24),
    ("water", 8),
    ("residential", 12),
    ("unused", 5),
    ("public", 5),
]

SUPPLY_STATUS = [
    ("in_use", 45),
    ("sold", 25),
    ("available", 12),
    ("reserved", 6),
    ("leased", 7),
    ("controlled", 5),
]
# Farmland, forest and water are not offered; they are in use or held under control.
RURAL_SUPPLY_STATUS = [("in_use", 80), ("controlled", 20)]
OCCUPIED = ("in_use", "sold", "leased")

# (low, high) 出让价 in 万元/亩 per land use; missing uses are not sold.
PRICE_WAN_PER_MU = {
    "industrial": (15, 80),
    "warehouse": (20, 60),
    "commercial": (80, 400),
    "mixed": (60, 300),
    "residential": (150, 600),
    "transport": (20, 50),
}
TERM_YEARS = {
    "industrial": 50,
    "warehouse": 50,
    "mixed": 50,
    "commercial": 40,
    "residential": 70,
    "public": 50,
    "transport": 50,
}
# (plot ratio, building density %, green ratio %, height limit m) ranges.
PLANNING = {
    "industrial": ((1.0, 3.0), (40, 60), (10, 20), (24, 60)),
    "warehouse": ((0.8, 2.0), (40, 60), (10, 20), (18, 36)),
    "commercial": ((2.0, 6.0), (30, 50), (20, 35), (50, 150)),
    "mixed": ((1.8, 4.5), (30, 50), (20, 35), (40, 100)),
    "residential": ((1.5, 3.5), (20, 35), (30, 40), (54, 100)),
    "public": ((0.8, 2.5), (25, 40), (30, 45), (24, 60)),
    "transport": ((0.3, 1.0), (20, 40), (10, 20), (15, 30)),
}
SERVICED_LEVELS = ["3+1", "5+1", "7+1", "9+1"]

BUILDING_STATUS = [("in_use", 45), ("leased", 25), ("available", 15), ("sold", 10), ("reserved", 5)]
# Which kind of building stands on which land use, and how many per parcel (low, high).
BUILDING_KIND_BY_USE = {
    "industrial": ("standard_factory", 1, 4),
    "warehouse": ("warehouse", 1, 3),
    "commercial": ("office", 1, 3),
    "mixed": ("incubator", 1, 3),
    "residential": ("other", 2, 5),
    "public": ("other", 1, 3),
    "transport": ("other", 1, 1),
}
POWER_KVA_STEPS = [250, 315, 400, 500, 630, 800, 1000, 1250, 1600, 2000, 2500, 3150]
CRANE_TONNAGES = [5, 10, 16, 20, 32, 50]
BUILDING_LABEL = {
    "standard_factory": "标准厂房",
    "office": "写字楼",
    "incubator": "孵化器",
    "warehouse": "仓库",
    "other": "综合楼",
}

# Amenity category -> share of the total; every category gets at least two.
AMENITY_SHARE = {
    "restaurant": 0.25,
    "transit_stop": 0.2,
    "parking": 0.11,
    "school": 0.1,
    "bank": 0.08,
    "hotel": 0.06,
    "petrol_station": 0.05,
    "hospital": 0.04,
    "mall": 0.04,
    "highway_exit": 0.01,
    "port": 0.003,
    "rail_station": 0.003,
}
AMENITY_NAMES = {
    "school": ["中心小学", "第一中学", "实验小学", "中学", "幼儿园", "职业技术学校"],
    "hospital": ["人民医院", "中医院", "卫生院", "妇幼保健院", "社区卫生服务中心"],
    "bank": [
        "中国工商银行{}支行",
        "中国农业银行{}支行",
        "中国银行{}支行",
        "中国建设银行{}支行",
        "广东农信{}信用社",
        "中国邮政储蓄银行{}营业所",
    ],
    "transit_stop": ["{}站", "{}路口站", "{}市场站", "{}中学站"],
    "highway_exit": ["{}出入口"],
    "port": ["{}港码头", "{}货运码头"],
    "rail_station": ["{}站", "{}东站"],
    "hotel": ["大酒店", "宾馆", "商务酒店", "国际酒店", "假日酒店"],
    "mall": ["购物广场", "百货", "商业中心", "万家福超市"],
    "restaurant": ["粤菜馆", "酒家", "茶楼", "食府", "客家饭店", "农家菜馆"],
    "petrol_station": ["中国石化{}加油站", "中国石油{}加油站"],
    "parking": ["公共停车场", "地下停车场", "停车场"],
}
# The expressways across the city, with their national route numbers.
HIGHWAYS = [("汕湛高速", "G78"), ("广梧高速", "G80")]

# FieldPointCategory rows the demo needs: key -> (name_zh, name_en, share).
FIELD_POINT_CATEGORIES = {
    "hazard": ("安全隐患", "Hazard", 0.25),
    "illegal_construction": ("违法建设", "Illegal construction", 0.2),
    "fire_risk": ("消防隐患", "Fire risk", 0.15),
    "environment": ("环境卫生", "Environment", 0.3),
    "other": ("其他", "Other", 0.1),
}
FIELD_POINT_NOTES = {
    "hazard": [
        "路边护栏破损，存在坠落风险",
        "排水沟盖板缺失",
        "山体边坡有落石迹象",
        "电线杆倾斜",
        "施工围挡倒塌",
    ],
    "illegal_construction": [
        "农田内新建砖混结构房屋",
        "楼顶加建铁皮房",
        "河道管理范围内搭建棚屋",
        "未批先建厂房一栋",
    ],
    "fire_risk": ["消防通道被车辆占用", "电动车楼道内充电", "灭火器过期", "仓库内堆放易燃物品"],
    "environment": ["垃圾桶满溢未清运", "路面污水横流", "河面漂浮垃圾", "工地扬尘未覆盖", "焚烧秸秆"],
    "other": ["路灯不亮", "井盖噪音扰民", "占道经营", "流浪犬聚集"],
}
EVENT_STATUS = [
    ("reported", 15),
    ("accepted", 10),
    ("dispatched", 10),
    ("handling", 15),
    ("replied", 10),
    ("verified", 10),
    ("closed", 30),
]
PATROL_CHECKLIST = ["安全隐患", "违法建设", "消防通道", "环境卫生"]

PROJECT_STAGE = [
    ("lead", 14),
    ("first_talk", 12),
    ("negotiating", 14),
    ("review", 8),
    ("signed", 12),
    ("started", 8),
    ("construction", 12),
    ("completed", 6),
    ("production", 9),
    ("target_output", 5),
]
# Stages at which a project has land or premises of its own.
SETTLED_STAGES = ("signed", "started", "construction", "completed", "production", "target_output")
PROJECT_NAMES = [
    "年产{n}万吨{ind}生产线项目",
    "{ind}产业基地项目",
    "{ind}智能制造项目",
    "{ind}研发中心项目",
    "{ind}扩产项目",
]

PANORAMA_TITLES = ["园区入口", "标准厂房区", "待出让地块", "园区主干道", "滨江地块", "综合服务中心"]
