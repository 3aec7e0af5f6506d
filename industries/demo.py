"""The demo city's key industries and their chains: Yunfu's ten leading industries (vocab.INDUSTRIES),
each with six links, two per stage. Packaging, distribution and services sit downstream in several
chains, so a site far from them shows the gap an investor asks about ("no packaging supplier within
30 km").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Industry

# ChainStage values, spelt out: this module is plain data for layers.demo.vocab, free of Django.
U, M, D = "upstream", "midstream", "downstream"

# (code, name, English name, links: (stage, code, name, English name))
CHAINS: list[tuple[str, str, str, list[tuple[str, str, str, str]]]] = [
    (
        "new_materials",
        "新材料",
        "New materials",
        [
            (U, "minerals", "矿产原料", "Raw minerals"),
            (U, "chemicals", "化工原料", "Chemical feedstock"),
            (M, "building_materials", "新型建材", "Advanced building materials"),
            (M, "functional", "功能材料", "Functional materials"),
            (D, "products", "应用制品", "Finished products"),
            (D, "recycling", "回收利用", "Recycling"),
        ],
    ),
    (
        "equipment",
        "装备制造",
        "Equipment manufacturing",
        [
            (U, "castings", "钢材与铸锻件", "Steel, castings and forgings"),
            (U, "components", "电子元器件", "Electronic components"),
            (M, "machining", "零部件加工", "Parts machining"),
            (M, "assembly", "整机装配", "Final assembly"),
            (D, "integration", "系统集成", "System integration"),
            (D, "service", "售后服务", "After-sales service"),
        ],
    ),
    (
        "biomedicine",
        "生物医药",
        "Biomedicine",
        [
            (U, "herbs", "药材种植", "Medicinal herb farming"),
            (U, "intermediates", "医药中间体", "Pharmaceutical intermediates"),
            (M, "api", "原料药", "Active ingredients"),
            (M, "formulation", "制剂生产", "Formulation"),
            (D, "packaging", "医药包装", "Pharmaceutical packaging"),
            (D, "distribution", "医药流通", "Pharmaceutical distribution"),
        ],
    ),
    (
        "stone",
        "石材",
        "Stone",
        [
            (U, "quarrying", "石材开采", "Quarrying"),
            (U, "blocks", "荒料贸易", "Block trade"),
            (M, "slabs", "板材加工", "Slab processing"),
            (M, "shaped", "异形石材", "Shaped stone"),
            (D, "care", "石材养护", "Stone care"),
            (D, "decoration", "装饰工程", "Decoration contracting"),
        ],
    ),
    (
        "electronics",
        "电子信息",
        "Electronics and IT",
        [
            (U, "materials", "电子材料", "Electronic materials"),
            (U, "components", "元器件", "Components"),
            (M, "pcba", "电路板组装", "Circuit board assembly"),
            (M, "devices", "整机制造", "Device manufacturing"),
            (D, "software", "软件与服务", "Software and services"),
            (D, "packaging", "包装物流", "Packaging and logistics"),
        ],
    ),
    (
        "food",
        "食品加工",
        "Food processing",
        [
            (U, "produce", "农副产品", "Farm produce"),
            (U, "additives", "食品添加剂", "Food additives"),
            (M, "processing", "食品生产", "Food production"),
            (M, "cold_storage", "冷链仓储", "Cold storage"),
            (D, "packaging", "食品包装", "Food packaging"),
            (D, "distribution", "商贸流通", "Distribution"),
        ],
    ),
    (
        "stainless_steel",
        "不锈钢制品",
        "Stainless steel products",
        [
            (U, "coil", "不锈钢卷板", "Stainless coil"),
            (U, "moulds", "模具", "Moulds"),
            (M, "stamping", "冲压成型", "Stamping"),
            (M, "finishing", "表面处理", "Surface finishing"),
            (D, "kitchenware", "厨具卫浴", "Kitchen and bath ware"),
            (D, "packaging", "包装", "Packaging"),
        ],
    ),
    (
        "logistics",
        "现代物流",
        "Modern logistics",
        [
            (U, "warehousing", "仓储设施", "Warehousing"),
            (U, "vehicles", "运输装备", "Transport equipment"),
            (M, "trunk", "干线运输", "Trunk haulage"),
            (M, "cold_chain", "冷链物流", "Cold chain"),
            (D, "delivery", "城市配送", "Urban delivery"),
            (D, "supply_chain", "供应链服务", "Supply chain services"),
        ],
    ),
    (
        "southern_medicine",
        "南药",
        "Southern medicinal herbs",
        [
            (U, "seedlings", "种苗繁育", "Seedling nurseries"),
            (U, "plantations", "种植基地", "Plantations"),
            (M, "decoction", "饮片加工", "Decoction pieces"),
            (M, "extracts", "提取物", "Extracts"),
            (D, "medicines", "中成药", "Proprietary medicines"),
            (D, "wellness", "康养旅游", "Wellness tourism"),
        ],
    ),
    (
        "agri_processing",
        "农产品加工",
        "Agricultural processing",
        [
            (U, "farms", "种养基地", "Farms"),
            (U, "inputs", "农资供应", "Farm inputs"),
            (M, "primary", "初加工", "Primary processing"),
            (M, "deep", "精深加工", "Deep processing"),
            (D, "packaging", "包装", "Packaging"),
            (D, "ecommerce", "电商销售", "E-commerce"),
        ],
    ),
]

# How often the demo puts an enterprise on each position of a chain: the middle is crowded, the
# downstream links are thin, so some counties have none (the gaps the targeting view lists).
LINK_WEIGHTS = (3.0, 1.5, 4.0, 3.0, 1.0, 0.6)


def load_industries() -> dict[str, Industry]:
    """The demo set, by Chinese name (as the demo city's parks and projects name industries);
    kept if already there, so a reseed does not break what an officer has added."""
    from .models import ChainLink, Industry

    out: dict[str, Industry] = {}
    for order, (code, name, name_en, links) in enumerate(CHAINS):
        industry, _ = Industry.objects.update_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "order": order}
        )
        for position, (stage, link, link_name, link_en) in enumerate(links):
            ChainLink.objects.update_or_create(
                industry=industry,
                code=link,
                defaults={"name": link_name, "name_en": link_en, "stage": stage, "order": position},
            )
        out[name] = industry
    return out
