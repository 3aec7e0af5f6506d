"""The catalogue of layers: one ``LayerSpec`` per layer, read by the API, permissions and tiles.

Adding a layer means adding a model and one entry here; nothing else keeps its own list. How a
layer is drawn in tiles, its zooms included, is in ``tiles.config`` (their one home), not here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models as dj_models
from django.utils.translation import gettext_lazy as _

from . import models as m


class Family(dj_models.TextChoices):
    """The kind of layer, grouping the catalogue (who may do what is in policy.resources)."""

    REFERENCE = "reference", _("基础参考")
    CARRIER = "carrier", _("载体资源")
    GOVERNANCE = "governance", _("网格治理")
    PROJECT = "project", _("招商项目")
    IMAGERY = "imagery", _("影像")


@dataclass(frozen=True)
class LayerSpec:
    name: str
    model: type[m.LayerFeature]
    title_zh: str
    title_en: str
    family: Family
    public: bool
    filter_fields: tuple[str, ...]
    geometry_types: tuple[str, ...]
    # Fields holding personal data, masked for roles that may not see it (SPEC 9, privacy).
    personal_fields: tuple[str, ...] = field(default=())
    # Fields only the platform writes (ingest), shown read-only in the API: what they name grants
    # access elsewhere (policy.media), so a client must not choose it.
    server_fields: tuple[str, ...] = field(default=())
    # Foreign keys the API names by a field of the record they point to (a category by its key)
    # rather than by its id: (field, slug field) pairs.
    slug_fields: tuple[tuple[str, str], ...] = field(default=())

    @property
    def has_park(self) -> bool:
        return any(f.name == "park" for f in self.model._meta.get_fields())

    @property
    def has_grid_cell(self) -> bool:
        return any(f.name == "grid_cell" for f in self.model._meta.get_fields())

    @property
    def geometry_field(self):
        return self.model._meta.get_field("geom")

    @property
    def geometry_type(self) -> str:
        name = self.geometry_field.geom_type.title()  # MULTILINESTRING -> Multilinestring
        for word in ("line", "string", "polygon", "point"):
            name = name.replace(word, word.title())
        return name

    @property
    def multi(self) -> bool:
        """Whether the column holds a Multi* type: a single part sent is promoted to it."""
        return self.geometry_field.geom_type.startswith("MULTI")


_POLY = ("Polygon", "MultiPolygon")

LAYERS: dict[str, LayerSpec] = {
    spec.name: spec
    for spec in [
        LayerSpec(
            "divisions",
            m.Division,
            "行政区划",
            "Administrative divisions",
            Family.REFERENCE,
            True,
            ("code", "level", "parent", "name"),
            _POLY,
        ),
        LayerSpec(
            "parks",
            m.Park,
            "园区",
            "Industrial parks",
            Family.CARRIER,
            True,
            ("level", "name", "area_mu", "available_area_m2"),
            _POLY,
            personal_fields=("contact_phone",),
            # Whether the park's own managers are reviewed is not theirs to switch off (the admin).
            server_fields=("edits_need_approval",),
        ),
        LayerSpec(
            "parcels",
            m.LandParcel,
            "地块",
            "Land parcels",
            Family.CARRIER,
            True,
            (
                "code",
                "land_use",
                "supply_status",
                "supply_mode",
                "park",
                "area_m2",
                "area_mu",
                "price_wan_per_mu",
                "rent_yuan_m2_month",
                "serviced_level",
                "plot_ratio",
            ),
            _POLY,
        ),
        LayerSpec(
            "buildings",
            m.Building,
            "楼宇厂房",
            "Buildings and factories",
            Family.CARRIER,
            True,
            (
                "kind",
                "supply_status",
                "park",
                "floors",
                "floor_area_m2",
                "vacant_area_m2",
                "floor_load_kg_m2",
                "clear_height_m",
                "crane",
                "rent_yuan_m2_month",
            ),
            ("Point", "Polygon", "MultiPolygon"),
        ),
        LayerSpec(
            "amenities",
            m.Amenity,
            "配套设施",
            "Amenities",
            Family.REFERENCE,
            True,
            ("category", "name"),
            ("Point",),
        ),
        LayerSpec(
            "transport",
            m.TransportLine,
            "交通水系",
            "Roads, rail and rivers",
            Family.REFERENCE,
            True,
            ("kind", "name", "ref"),
            ("LineString", "MultiLineString"),
        ),
        LayerSpec(
            "grid_cells",
            m.GridCell,
            "网格",
            "Grid cells",
            Family.GOVERNANCE,
            False,
            ("code", "name", "parent"),
            _POLY,
        ),
        LayerSpec(
            "project_sites",
            m.ProjectSite,
            "项目点位",
            "Project sites",
            Family.PROJECT,
            False,
            ("stage", "industry", "park", "investment_wan"),
            ("Point", "Polygon", "MultiPolygon"),
        ),
        LayerSpec(
            "enterprises",
            m.Enterprise,
            "企业",
            "Enterprises",
            Family.PROJECT,
            False,
            ("name", "credit_code", "industry", "park", "registered_on"),
            ("Point",),
            personal_fields=("contact_phone",),
        ),
        LayerSpec(
            "field_points",
            m.FieldPoint,
            "信息打点",
            "Field points",
            Family.GOVERNANCE,
            False,
            ("category", "status", "grid_cell", "reporter", "reported_at", "accuracy_m"),
            ("Point",),
            slug_fields=(("category", "key"),),
        ),
        LayerSpec(
            "places",
            m.Place,
            "组织场所",
            "Places",
            Family.GOVERNANCE,
            False,
            ("name", "place_class", "risk_level", "grid_cell", "park"),
            ("Point", "Polygon", "MultiPolygon"),
            personal_fields=("responsible_phone",),
        ),
        LayerSpec(
            "patrol_tracks",
            m.PatrolTrack,
            "巡查轨迹",
            "Patrol tracks",
            Family.GOVERNANCE,
            False,
            ("worker", "grid_cell", "started_at", "length_m"),
            ("LineString", "MultiLineString"),
        ),
        LayerSpec(
            "panoramas",
            m.Panorama,
            "全景",
            "Panoramas",
            Family.IMAGERY,
            True,
            ("parcel", "building", "park", "captured_at"),
            ("Point",),
            server_fields=("tiles_path",),
        ),
        LayerSpec(
            "orthophotos",
            m.Orthophoto,
            "正射影像",
            "Orthophotos",
            Family.IMAGERY,
            True,
            ("captured_on", "resolution_m"),
            _POLY,
        ),
    ]
}


def get_layer(name: str) -> LayerSpec | None:
    return LAYERS.get(name)


def layer_for_model(model: type) -> LayerSpec:
    for spec in LAYERS.values():
        if spec.model is model:
            return spec
    raise LookupError(f"{model.__name__} is not a registered layer")
