"""How each layer is drawn in vector tiles: zoom range, properties, simplification, aggregation.

This is the one home of the layers' zooms: the tiles, the style, the layer catalogue (/api/layers/)
and the pages (through /api/meta/ and frontend/src/generated/meta.json, see web/meta.py) read them
here.

Below ``detail_minzoom`` a layer with ``aggregate`` set is drawn as one point per division (the
division's label point) carrying the count of its features, so a low-zoom tile never reads the
whole table and stays small. The division level follows the zoom (``aggregate_level``).
"""

from __future__ import annotations

from dataclasses import dataclass

from layers.registry import LAYERS, LayerSpec

EXTENT = 4096
BUFFER = 64
# The highest zoom a style asks tiles for; beyond it MapLibre draws the zoom-16 tiles larger.
SOURCE_MAXZOOM = 16


@dataclass(frozen=True)
class TileLayer:
    spec: LayerSpec
    properties: tuple[str, ...]
    detail_minzoom: int = 0
    maxzoom: int = 22
    aggregate: bool = False
    # Simplify before transforming: worth it for long rings (boundaries, tracks), not for parcels.
    simplify: bool = False
    # A second MVT layer, ``<name>_labels``, of one label point per feature (tiles.sql.labels):
    # the names the base map writes (divisions, parks).
    labels: bool = False

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def minzoom(self) -> int:
        return 0 if self.aggregate else self.detail_minzoom


def aggregate_level(z: int) -> str:
    """Division level whose label points carry the counts at zoom z."""
    if z <= 8:
        return "county"
    if z <= 10:
        return "town"
    return "village"


def division_level_for(z: int) -> str:
    """Which boundaries the divisions layer shows at zoom z."""
    if z <= 7:
        return "county"
    if z <= 10:
        return "town"
    return "village"


_P = LAYERS
TILE_LAYERS: dict[str, TileLayer] = {
    t.name: t
    for t in [
        TileLayer(_P["divisions"], ("code", "name", "level"), simplify=True, labels=True),
        TileLayer(
            _P["parks"],
            ("name", "name_en", "level", "area_mu", "available_area_m2"),
            simplify=True,
            labels=True,
        ),
        TileLayer(
            _P["parcels"],
            # name, name_en: the hover card on the investment map (frontend/src/map/hovercard.js).
            (
                "code",
                "name",
                "name_en",
                "land_use",
                "supply_status",
                "supply_mode",
                "area_mu",
                "price_wan_per_mu",
                "park_id",
            ),
            detail_minzoom=12,
            aggregate=True,
        ),
        TileLayer(
            _P["buildings"],
            ("name", "name_en", "kind", "supply_status", "floors", "vacant_area_m2", "park_id"),
            detail_minzoom=13,
            aggregate=True,
        ),
        TileLayer(_P["amenities"], ("name", "category"), detail_minzoom=11, aggregate=True),
        TileLayer(_P["transport"], ("name", "name_en", "ref", "kind"), simplify=True),
        TileLayer(_P["grid_cells"], ("code", "name"), detail_minzoom=11, simplify=True),
        TileLayer(
            _P["project_sites"],
            ("project_name", "stage", "industry", "investment_wan"),
            detail_minzoom=10,
            aggregate=True,
        ),
        TileLayer(_P["enterprises"], ("name", "industry", "tags"), detail_minzoom=12, aggregate=True),
        TileLayer(
            _P["field_points"], ("category_id", "status", "reported_at"), detail_minzoom=12, aggregate=True
        ),
        TileLayer(_P["places"], ("name", "place_class_id", "risk_level"), detail_minzoom=13, aggregate=True),
        TileLayer(
            _P["patrol_tracks"], ("worker_id", "started_at", "length_m"), detail_minzoom=12, simplify=True
        ),
        TileLayer(_P["panoramas"], ("title", "heading_deg", "parcel_id", "building_id")),
        TileLayer(_P["orthophotos"], ("title", "resolution_m", "captured_on"), simplify=True),
    ]
}
